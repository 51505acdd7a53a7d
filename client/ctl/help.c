/* help.c - agauthctl --help and agauthctl COMMAND --help. */
#include "client/ctl/ctl.h"
#include "client/ctl/show.h"

#include <stdio.h>
#include <string.h>

static const char help_main[] =
"usage: agauthctl [--socket PATH] [--json] COMMAND [ARGS...]\n"
"\n"
"Signs and verifies JSON Web Tokens with the keys agauthd holds, and\n"
"administers the daemon.  Tokens, options and errors are jsonwebtoken 9's.\n"
"\n"
"commands:\n"
"  sign [PAYLOAD_JSON]      sign a payload (else standard input); print the token\n"
"  verify [TOKEN]           verify a token (else standard input); print its payload\n"
"  keys                     the keyring (never key material)\n"
"  reload                   reload the keyring\n"
"  rotate [--algorithm ALG] [--cluster [--activate-in SPAN]]\n"
"                           make a new primary key (for the whole fleet);\n"
"                           print its kid\n"
"  stats                    the daemon's counters (help stats: what each\n"
"                           means)\n"
"  metrics                  the daemon's figures as Prometheus text\n"
"  jwks                     the public RS/PS/ES keys as a JWK Set (JSON)\n"
"  ping                     the round-trip time to the daemon\n"
"  revoke (--token T | --jti J | --sub S)\n"
"                           revoke a token, a token id, or a subject's tokens\n"
"  watch                    print revocations as they happen\n"
"  keygen --type TYPE --out FILE [--force]\n"
"                           write a new key file (runs agauthd keygen)\n"
"  help [COMMAND]           this text, or a command's\n"
"\n"
"flags, anywhere on the line:\n"
"  --socket PATH   agauthd's socket (default: $AGAUTHD_SOCKET, else\n"
"                  /run/agauthd/agauthd.sock)\n"
"  --json          print the result, or the error, as one JSON object on\n"
"                  stdout alone: {\"ok\":true,...} or {\"ok\":false,\"code\",\n"
"                  \"name\",\"message\"[,\"date\"][,\"hint\"]}\n"
"  --help, -h      help; `agauthctl COMMAND --help` for a command's flags\n"
"  --version       the release (agauthd's, libagauth's), then exit\n"
"\n"
"Errors go to stderr as the JavaScript error would print, with when for\n"
"a time, then what to do about it when agauthctl knows:\n"
"  TokenExpiredError: jwt expired at 2026-12-07T08:51:41Z\n"
"\n"
"exit status:\n"
"   0  success\n"
"   1  invalid token (JsonWebTokenError; TypeError, SyntaxError or Error\n"
"      from verify)\n"
"   2  token expired (TokenExpiredError, also for maxAge)\n"
"   3  token not yet valid (NotBeforeError)\n"
"   4  any other failure agauthd reports (sign error, unauthorized, busy,\n"
"      limits, keyring, no cache, a revocation not saved), or agauthd\n"
"      keygen failed\n"
"  64  usage error\n"
"  69  agauthd unreachable (not running, connection lost, no answer in\n"
"      time; for watch, the end of the watch), or no agauthd binary to\n"
"      run for keygen\n"
"  74  the output could not be written\n";

static const char help_sign[] =
"usage: agauthctl sign [FLAGS] [PAYLOAD_JSON | -]\n"
"\n"
"Signs PAYLOAD_JSON (else standard input) with agauthd's primary key and\n"
"prints the token; with --json, {\"ok\":true,\"token\":...,\"added\":{...}},\n"
"where added holds the claims sign set.  A JSON string, number or boolean\n"
"is a non-object payload, as in jsonwebtoken.  Each flag sets the\n"
"jsonwebtoken sign option beside it:\n"
"\n"
"  --algorithm ALG          algorithm (default: the primary key's)\n"
"  --expires-in SPAN        expiresIn; only digits: seconds (3600), else a\n"
"                           span string (\"1h\", \"2 days\"; \"120\" quoted in\n"
"                           --options is 120 ms, as in jsonwebtoken)\n"
"  --not-before SPAN        notBefore, the same way\n"
"  --audience AUD           audience; repeat it for an array\n"
"  --issuer ISS             issuer\n"
"  --subject SUB            subject\n"
"  --jwtid ID               jwtid\n"
"  --keyid KID              keyid (agauthd refuses it: the key sets kid)\n"
"  --no-timestamp           noTimestamp: true\n"
"  --header JSON            header: members to add to the header\n"
"  --encoding ENC           encoding (utf8 or latin1)\n"
"  --allow-insecure-key-sizes            allowInsecureKeySizes: true\n"
"  --allow-invalid-asymmetric-key-types  allowInvalidAsymmetricKeyTypes: true\n"
"  --options JSON           the options object itself, merged first: the\n"
"                           flags override its members.  For a negative or\n"
"                           fractional number of seconds:\n"
"                           --options '{\"expiresIn\":-10}'\n";

static const char help_verify[] =
"usage: agauthctl verify [FLAGS] [TOKEN | -]\n"
"\n"
"Verifies TOKEN (else standard input) and prints its payload: the JSON,\n"
"or the string of a non-JSON payload.  With --complete it prints\n"
"{\"header\",\"payload\",\"signature\"}; with --json, {\"ok\":true,\n"
"[\"header\",]\"payload\"[,\"signature\"][,\"kid\"]} (header and signature\n"
"with --complete).  Each flag sets the jsonwebtoken verify option beside it:\n"
"\n"
"  --algorithms A,B,...     algorithms\n"
"  --audience AUD           audience; repeat it for an array\n"
"  --issuer ISS             issuer; repeat it for an array\n"
"  --subject SUB            subject\n"
"  --jwtid ID               jwtid\n"
"  --nonce NONCE            nonce\n"
"  --ignore-expiration      ignoreExpiration: true\n"
"  --ignore-not-before      ignoreNotBefore: true\n"
"  --clock-tolerance N      clockTolerance (seconds)\n"
"  --max-age SPAN           maxAge; only digits: seconds, else a span string\n"
"  --clock-timestamp N      clockTimestamp (seconds since the epoch)\n"
"  --complete               complete: true\n"
"  --allow-invalid-asymmetric-key-types  allowInvalidAsymmetricKeyTypes: true\n"
"  --options JSON           the options object itself, merged first: the\n"
"                           flags override its members\n"
"\n"
"and, not an option of jsonwebtoken:\n"
"\n"
"  --cache                  attach agauthd's shared-memory cache first and\n"
"                           take its answer if it holds the token (exit\n"
"                           status 4 if agauthd has no cache or refuses\n"
"                           it); with --json, \"cache\":\"hit\" or \"miss\"\n"
"                           says where the answer came from\n";

static const char help_keys[] =
"usage: agauthctl keys\n"
"\n"
"Prints the keyring, one key a line: its name in the manifest, kid, alg,\n"
"state (primary, verify or retired), when it was created and when it\n"
"retires (ISO 8601 in UTC, \"never\" if not set); never key material.\n"
"With --json, agauthd's JSON array of {name, kid, alg, state, created,\n"
"retire} (times in seconds since the epoch, 0 if not set).\n";

static const char help_reload[] =
"usage: agauthctl reload\n"
"\n"
"Reloads the keyring as SIGHUP does: the whole new keyring is loaded and\n"
"checked before it replaces the old one, which stays on any error.\n";

static const char help_rotate[] =
"usage: agauthctl rotate [--algorithm ALG]\n"
"       agauthctl rotate --cluster [--algorithm ALG] [--activate-in SPAN]\n"
"\n"
"Makes a new primary key of algorithm ALG (default: the current primary's)\n"
"and prints its kid.  The old primary keeps verifying for its grace period.\n"
"On a host of a fleet ([cluster]) only --cluster rotates: the key is made\n"
"here, sent sealed to every host through Redis, verifies everywhere at\n"
"once and is primary everywhere SPAN from now (default 10s; seconds, or\n"
"30s, 5m, 1h), which is printed on stderr.\n";

static const char help_stats[] =
"usage: agauthctl stats\n"
"\n"
"Prints agauthd's counters, one a line; with --json, as a JSON object.\n"
"Needs the admin right.\n";

static const char help_metrics[] =
"usage: agauthctl metrics\n"
"\n"
"Prints agauthd's figures in Prometheus' text exposition format 0.0.4:\n"
"requests by op and outcome, sign and verify latency histograms, the\n"
"cache, the keyring's generation and its keys' ages, revocations,\n"
"connections and the crypto queue (with --json, {\"ok\":true,\n"
"\"metrics\":\"TEXT\"}).  Needs the metrics right ([access] metrics,\n"
"by default whoever may verify).  agauthd opens no network port: serve\n"
"the text from your app's /metrics, or write it where node_exporter's\n"
"textfile collector reads (docs/operations.md, \"Metrics\").\n";

static const char help_jwks[] =
"usage: agauthctl jwks\n"
"\n"
"Prints the JWK Set (RFC 7517) of the public halves of the RS, PS and ES\n"
"keys that verify now (primary and verify-only, not retired), each with\n"
"kid, alg and use \"sig\": what another service needs to verify agauthd's\n"
"tokens itself (with --json, {\"ok\":true,\"jwks\":{\"keys\":[...]}}).\n"
"HMAC secrets are never in it (an HS-only keyring gives {\"keys\":[]}),\n"
"nor any private member.  Needs the verify right.\n";

static const char help_ping[] =
"usage: agauthctl ping\n"
"\n"
"Prints the time one request takes to go to agauthd and back; with\n"
"--json, {\"ok\":true,\"ms\":N} to the microsecond (3 decimals).\n";

static const char help_revoke[] =
"usage: agauthctl revoke (--token TOKEN | --jti JTI | --sub SUBJECT)\n"
"\n"
"Revokes, for good, one token; every token whose jti is JTI; or every\n"
"token of SUBJECT issued up to now (agauthd's subject claim, by default\n"
"sub, equals SUBJECT, and iat is not later or absent).  Needs the sign\n"
"right.  The revocation is in force in agauthd and in every cache when\n"
"this returns; prints how many cache entries it removed (--json:\n"
"{\"ok\":true,\"purged\":N}).  A value of - is read from standard input,\n"
"which keeps a token out of the process list.\n"
"\n"
"If agauthd cannot save the revocation to its state directory it says\n"
"why (AG_E_STATE, exit status 4): the revocation is in force all the\n"
"same, until agauthd restarts.\n";

static const char help_watch[] =
"usage: agauthctl watch\n"
"\n"
"Prints every revocation agauthd makes from now on, one line each, as it\n"
"happens:\n"
"\n"
"  revoke subject alice 1795000000.123\n"
"\n"
"(the kind: token, jti or subject; the value, control characters shown\n"
"as ?; when, in seconds since the epoch), or with --json one object per\n"
"line: {\"event\":\"revoke\",\"kind\",\"value\",\"at\"}.  Runs until it is\n"
"interrupted, or until the connection to agauthd breaks, or agauthd\n"
"drops the watch because its events went unread (AG_E_REWATCH; exit\n"
"status 69 either way): revocations made before a new watch starts are\n"
"not shown again.\n";

static const char help_keygen[] =
"usage: agauthctl keygen --type TYPE --out FILE [--force]\n"
"\n"
"Writes a new key to FILE (mode 0600; an existing FILE only with --force).\n"
"TYPE: hs256 hs384 hs512 (HMAC secrets), rsa2048 rsa3072 rsa4096,\n"
"p256 p384 p521 (EC), cluster (the fleet key of [cluster]).  agauthctl\n"
"holds no crypto: it runs\n"
"`agauthd keygen TYPE FILE`, found through $AGAUTHD_BIN, else beside\n"
"agauthctl, else in ../sbin from agauthctl's directory, else on the PATH.\n";

static const struct {
	const char *cmd, *text;
} help_texts[] = {
	{ "sign", help_sign },
	{ "verify", help_verify },
	{ "keys", help_keys },
	{ "reload", help_reload },
	{ "rotate", help_rotate },
	{ "stats", help_stats },
	{ "metrics", help_metrics },
	{ "jwks", help_jwks },
	{ "ping", help_ping },
	{ "revoke", help_revoke },
	{ "watch", help_watch },
	{ "keygen", help_keygen },
	{ "help", help_main },
};

int help_show(const char *cmd)
{
	size_t i;

	if (cmd == NULL) {
		fputs(help_main, stdout);
		return 0;
	}
	for (i = 0; i < sizeof help_texts / sizeof *help_texts; i++) {
		if (strcmp(help_texts[i].cmd, cmd) == 0) {
			fputs(help_texts[i].text, stdout);
			if (strcmp(cmd, "stats") == 0)
				show_stats_help();
			return 0;
		}
	}
	return -1;
}
