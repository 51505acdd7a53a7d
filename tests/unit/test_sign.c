/* test_sign.c - jsonwebtoken's sign(), bytes and errors. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daemon/engine/sign.h"
#include "tests/unit/util.h"

#define NOW 1700000000.123

static struct key *secret;

static void setup(void)
{
	secret = ut_key_str("secret", KEY_USE_SIGN);
}

static void teardown(void)
{
	key_free(secret);
}

/* Tokens below were produced by jsonwebtoken 9.0.3 at the same clock. */
static void same_as_jsonwebtoken(const char *payload, const char *opts,
				 const char *want)
{
	struct ag_error e;
	char *tok = ut_sign(secret, payload, opts, NOW, &e);

	cr_assert_not_null(tok, "%s", e.msg);
	cr_assert_str_eq(tok, want);
	free(tok);
}

static void fails_with(const char *payload, const char *opts,
		       const char *name, const char *msg)
{
	struct ag_error e;
	char *tok = ut_sign(secret, payload, opts, NOW, &e);

	cr_assert_null(tok, "signed %s", payload);
	cr_assert_str_eq(ag_errname(e.code), name);
	cr_assert_str_eq(e.msg, msg);
}

TestSuite(sign, .init = setup, .fini = teardown);

Test(sign, keeps_order_iat_and_appends_claims)
{
	same_as_jsonwebtoken(
		"{\"sub\":\"u1\",\"iat\":0,\"2\":1,\"a\":\"\xc3\xa9\\u00e9\"}",
		"{\"expiresIn\":\"1.5h\",\"audience\":[\"a\",\"b\"],"
		"\"keyid\":\"k1\"}",
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0."
		"eyIyIjoxLCJzdWIiOiJ1MSIsImlhdCI6MTcwMDAwMDAwMCwiYSI6IsOpw6kiLC"
		"JleHAiOjE3MDAwMDU0MDAsImF1ZCI6WyJhIiwiYiJdfQ."
		"STEgMrM0xLEALhWJYgflojh3zC8AnWEf1MM1Eh8v2m0");
}

Test(sign, unitless_span_is_milliseconds_and_numbers_reformat)
{
	same_as_jsonwebtoken(
		"{\"x\":1e21,\"y\":0.1,\"z\":-0}",
		"{\"expiresIn\":120,\"notBefore\":\"120\"}",
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
		"eyJ4IjoxZSsyMSwieSI6MC4xLCJ6IjowLCJpYXQiOjE3MDAwMDAwMDAsIm5iZi"
		"I6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAwMTIwfQ."
		"BUzcwCSz7Y5Wdj0MImKTysJ3wpDPf-y7FW3R9j2wxIA");
}

Test(sign, header_option_merges_in_javascript_order)
{
	same_as_jsonwebtoken(
		"{\"iat\":1600000000.5}",
		"{\"expiresIn\":\"10y\",\"issuer\":\"me\",\"header\":"
		"{\"x\":1,\"typ\":\"AT\",\"0\":2}}",
		"eyIwIjoyLCJhbGciOiJIUzI1NiIsInR5cCI6IkFUIiwieCI6MX0."
		"eyJpYXQiOjE2MDAwMDAwMDAuNSwiZXhwIjoxOTE1NTc2MDAwLCJpc3MiOiJtZSJ9."
		"NR0v6cnqKtBvNIy9WmqapoUCnBAijI5wJtJuQtNIuYI");
}

Test(sign, string_payload_has_no_typ_and_no_claims)
{
	same_as_jsonwebtoken("\"hello\"", "{\"keyid\":\"a\"}",
		"eyJhbGciOiJIUzI1NiIsImtpZCI6ImEifQ.aGVsbG8."
		"N0D7yzKcqT-mwGU2cakyXjiTx-xnlROC_ZTBJ6V9J1E");
	same_as_jsonwebtoken("{}", "{\"noTimestamp\":true,\"jwtid\":\"j\"}",
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJqdGkiOiJqIn0."
		"9n_dsE8FdII__bHvt_YXRo8mteQMjMwqifOSiDgzKcM");
}

Test(sign, errors_match_jsonwebtoken)
{
	fails_with("{\"exp\":5}", "{\"expiresIn\":5}", "Error",
		   "Bad \"options.expiresIn\" option the payload already has "
		   "an \"exp\" property.");
	fails_with("{\"nbf\":null}", "{\"notBefore\":5}", "Error",
		   "\"nbf\" should be a number of seconds");
	fails_with("{\"aud\":1}", "{\"audience\":\"x\"}", "Error",
		   "Bad \"options.audience\" option. The payload already has "
		   "an \"aud\" property.");
	fails_with("{}", "{\"foo\":1}", "Error",
		   "\"foo\" is not allowed in \"options\"");
	fails_with("{}", "{\"expiresIn\":1.5}", "Error",
		   "\"expiresIn\" should be a number of seconds or string "
		   "representing a timespan");
	fails_with("{}", "{\"expiresIn\":\"abc\"}", "Error",
		   "\"expiresIn\" should be a number of seconds or string "
		   "representing a timespan eg: \"1d\", \"20h\", 60");
	fails_with("{}", "{\"algorithm\":\"HS257\"}", "Error",
		   "\"algorithm\" must be a valid string enum value");
	fails_with("[1]", NULL, "Error",
		   "Expected \"payload\" to be a plain object.");
	fails_with("\"s\"", "{\"subject\":\"x\",\"expiresIn\":1}", "Error",
		   "invalid expiresIn,subject option for string payload");
	fails_with("{}", "{\"algorithm\":\"RS256\"}", "Error",
		   "secretOrPrivateKey must be an asymmetric key when using "
		   "RS256");
}

Test(sign, refuses_none_unless_configured)
{
	struct sign_req r = {
		.payload = "{}", .payload_len = 2,
		.opts = "{\"algorithm\":\"none\"}", .opts_len = 20, .now = NOW,
	};
	struct ag_error e;
	struct buf tok;

	buf_init(&tok, 4096);
	cr_assert_eq(sign_token(secret, &r, &tok, NULL, &e), -1);
	cr_assert_eq(e.code, AG_E_NONE_DISABLED);
	r.allow_none = 1;
	cr_assert_eq(sign_token(secret, &r, &tok, NULL, &e), 0);
	cr_assert_eq(tok.p[tok.len - 1], '.', "empty signature");
	buf_free(&tok);
}

Test(sign, reports_added_claims_for_mutate_payload)
{
	struct sign_req r = {
		.payload = "{\"a\":1}", .payload_len = 7,
		.opts = "{\"expiresIn\":60,\"subject\":\"s\"}", .opts_len = 30,
		.now = NOW,
	};
	struct ag_error e;
	struct buf tok, added;

	buf_init(&tok, 4096);
	buf_init(&added, 4096);
	cr_assert_eq(sign_token(secret, &r, &tok, &added, &e), 0, "%s", e.msg);
	cr_assert_str_eq(buf_cstr(&added),
			 "{\"iat\":1700000000,\"exp\":1700000060,\"sub\":\"s\"}");
	buf_free(&tok);
	buf_free(&added);
}

Test(sign, bounds_and_refuses_bad_input)
{
	static char big[20000];
	struct ag_error e;

	memset(big, ' ', sizeof big - 3);
	memcpy(big + sizeof big - 3, "{}", 3);
	cr_assert_null(ut_sign(secret, big, NULL, NOW, &e));
	cr_assert_eq(e.code, AG_E_INPUT_LIMIT);
	cr_assert_null(ut_sign(secret, "{\"a\":\"\xff\"}", NULL, NOW, &e));
	cr_assert_eq(e.code, AG_E_INPUT_UTF8);
	cr_assert_null(ut_sign(secret, "{\"a\":}", NULL, NOW, &e));
	cr_assert_eq(e.code, AG_E_INPUT_JSON);
	cr_assert_null(ut_sign(secret, "{}", "[]", NOW, &e));
	cr_assert_eq(e.code, AG_E_INPUT_JSON);
}

Test(sign, rsa_and_ec_keys_sign_their_own_algorithms)
{
	struct key *rsa = ut_key_file("tests/vectors/rfc7515/a2.key.pem",
				      KEY_USE_SIGN);
	struct key *ec = ut_key_file("tests/vectors/rfc7515/a3.key.pem",
				     KEY_USE_SIGN);
	struct key *ecpub = ut_key_file("tests/vectors/rfc7515/a3.pub.pem",
					KEY_USE_VERIFY);
	struct ag_error e;
	char *tok;

	tok = ut_sign(rsa, "{}", "{\"algorithm\":\"PS384\"}", NOW, &e);
	cr_assert_not_null(tok, "%s", e.msg);
	free(tok);
	tok = ut_sign(ec, "{}", "{\"algorithm\":\"ES384\"}", NOW, &e);
	cr_assert_null(tok);
	cr_assert_str_eq(e.msg, "\"alg\" parameter \"ES384\" requires curve "
			 "\"secp384r1\".");
	tok = ut_sign(ec, "{}", "{\"algorithm\":\"RS256\"}", NOW, &e);
	cr_assert_str_eq(e.msg, "\"alg\" parameter for \"ec\" key type must "
			 "be one of: ES256, ES384, ES512.");
	tok = ut_sign(ec, "{}", "{\"algorithm\":\"ES256\"}", NOW, &e);
	cr_assert_not_null(tok, "%s", e.msg);
	cr_assert_eq(ut_verify(ecpub, tok, NULL, NOW, &e), 0, "%s", e.msg);
	free(tok);
	key_free(rsa);
	key_free(ec);
	key_free(ecpub);
}

/* A signer that dates a token after the second it signs it in would put
 * it out of reach of a later revocation of its subject: refused, although
 * jsonwebtoken signs it (docs/engine.md, "Deliberate differences"). */
Test(sign, refuses_an_iat_after_the_second_it_signs_in)
{
	static const char *const later[] = {
		"{\"sub\":\"alice\",\"iat\":99999999999}",
		"{\"iat\":1700000001}",
		"{\"iat\":1700000000.5}",            /* after second NOW */
		"{\"iat\":1e400}",
		"{\"iat\":1,\"sub\":\"a\",\"iat\":1700000100}",  /* the last wins */
	};
	static const char *const fine[] = {
		"{\"iat\":1700000000}", "{\"iat\":1699999999.5}", "{\"iat\":0}",
		"{\"iat\":-5}", "{\"iat\":1700000100,\"iat\":1}", "{}",
	};
	struct ag_error e;
	size_t i;
	char *tok;

	fails_with(later[0], NULL, "Error", "\"iat\" 99999999999 is later than "
		   "1700000000, the second the token is signed in: agauthd signs "
		   "no token dated after it is issued, which a revocation of its "
		   "subject could not cover; leave \"iat\" out to have the "
		   "current time");
	for (i = 0; i < sizeof later / sizeof *later; i++) {
		tok = ut_sign(secret, later[i], "{\"expiresIn\":60}", NOW, &e);
		cr_assert_null(tok, "signed %s", later[i]);
		cr_assert_eq(e.code, AG_E_IAT_FUTURE, "%s: %s", later[i], e.msg);
	}
	cr_assert(strstr(e.msg, "\"iat\" 1700000100 is later") != NULL, "%s",
		  e.msg);
	tok = ut_sign(secret, later[3], NULL, NOW, &e);
	cr_assert(strstr(e.msg, "\"iat\" Infinity is later") != NULL, "%s",
		  e.msg);
	for (i = 0; i < sizeof fine / sizeof *fine; i++) {
		tok = ut_sign(secret, fine[i], NULL, NOW, &e);
		cr_assert_not_null(tok, "%s: %s", fine[i], e.msg);
		free(tok);
	}
	/* without an iat in the token, nothing is dated: noTimestamp */
	tok = ut_sign(secret, later[0], "{\"noTimestamp\":true}", NOW, &e);
	cr_assert_not_null(tok, "%s", e.msg);
	free(tok);
	/* jsonwebtoken's own errors come first */
	fails_with(later[1], "{\"expiresIn\":\"soon\"}", "Error",
		   "\"expiresIn\" should be a number of seconds or string "
		   "representing a timespan eg: \"1d\", \"20h\", 60");
}
