/* test_verify.c - jsonwebtoken's verify(): order of checks, errors, and
 * the attacks of RFC 8725. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <mbedtls/md.h>

#include "daemon/engine/verify.h"
#include "shared/b64url.h"
#include "tests/unit/util.h"

#define NOW 1700000000.0
#define VEC "tests/vectors/rfc7515/"

static struct key *secret;

static void setup(void)
{
	secret = ut_key_str("secret", KEY_USE_SIGN);
}

static void teardown(void)
{
	key_free(secret);
}

TestSuite(verify, .init = setup, .fini = teardown);

static char *make(const char *payload, const char *opts)
{
	struct ag_error e;
	char *tok = ut_sign(secret, payload, opts, NOW, &e);

	cr_assert_not_null(tok, "%s", e.msg);
	return tok;
}

static void refused(const struct key *k, const char *tok, const char *opts,
		    double now, enum ag_err code, const char *msg)
{
	struct ag_error e;

	cr_assert_eq(ut_verify(k, tok, opts, now, &e), -1, "accepted %s", tok);
	cr_assert_eq(e.code, code, "%s: got %s", tok, e.msg);
	if (msg != NULL)
		cr_assert_str_eq(e.msg, msg);
}

Test(verify, valid_token)
{
	char *tok = make("{\"sub\":\"u\"}", "{\"expiresIn\":60}");
	struct ag_error e;

	cr_assert_eq(ut_verify(secret, tok, "{\"algorithms\":[\"HS256\"],"
			       "\"subject\":\"u\"}", NOW + 59, &e), 0, "%s",
		     e.msg);
	free(tok);
}

Test(verify, shape_errors_in_order)
{
	refused(secret, "", NULL, NOW, AG_E_JWT_MISSING, "jwt must be provided");
	refused(secret, "a.b", NULL, NOW, AG_E_MALFORMED, "jwt malformed");
	refused(secret, "a.b.c.d", NULL, NOW, AG_E_MALFORMED, NULL);
	refused(secret, "a..c", NULL, NOW, AG_E_INVALID_TOKEN, "invalid token");
	refused(secret, "e30.e30.c=", NULL, NOW, AG_E_INVALID_TOKEN, NULL);
	/* the header JSON is 0, which is falsy */
	refused(secret, "MA.e30.c", NULL, NOW, AG_E_INVALID_TOKEN, NULL);
	refused(secret, "eyJ0eXAiOiJKV1QifQ.bm90IGpzb24.c", NULL, NOW,
		AG_E_PAYLOAD_JSON, NULL);
	refused(secret, "e30.e30.", NULL, NOW, AG_E_SIG_REQUIRED,
		"jwt signature is required");
	refused(secret, "e30.e30.c", NULL, NOW, AG_E_INVALID_ALG,
		"invalid algorithm");
}

Test(verify, nonce_and_clock_options_checked_first)
{
	refused(secret, "", "{\"nonce\":\" \"}", NOW, AG_E_VERIFY_OPTION,
		"nonce must be a non-empty string");
	refused(secret, "", "{\"clockTimestamp\":\"1\"}", NOW,
		AG_E_VERIFY_OPTION, "clockTimestamp must be a number");
}

Test(verify, expiry_and_not_before_carry_dates)
{
	char *tok = make("{}", "{\"expiresIn\":10,\"notBefore\":5}");
	struct ag_error e;

	refused(secret, tok, NULL, NOW + 4, AG_E_NOT_ACTIVE, "jwt not active");
	cr_assert_eq(ut_verify(secret, tok, NULL, NOW + 4, &e), -1);
	cr_assert(e.has_date);
	cr_assert_eq(e.date, NOW + 5);
	/* clockTolerance moves nbf earlier, by exactly that much */
	cr_assert_eq(ut_verify(secret, tok, "{\"clockTolerance\":1}", NOW + 4,
			       &e), 0, "%s", e.msg);
	refused(secret, tok, "{\"clockTolerance\":0.5}", NOW + 4,
		AG_E_NOT_ACTIVE, "jwt not active");
	refused(secret, tok, NULL, NOW + 10, AG_E_EXPIRED, "jwt expired");
	cr_assert_eq(ut_verify(secret, tok, "{\"clockTolerance\":1}", NOW + 10,
			       &e), 0);
	cr_assert_eq(ut_verify(secret, tok, "{\"ignoreExpiration\":true}",
			       NOW + 100, &e), 0);
	cr_assert_eq(ut_verify(secret, tok, "{\"clockTimestamp\":1700000006}",
			       0, &e), 0);
	refused(secret, tok, "{\"maxAge\":\"3s\"}", NOW + 6, AG_E_MAXAGE,
		"maxAge exceeded");
	free(tok);
}

Test(verify, claim_options_and_messages)
{
	char *tok = make("{\"aud\":[\"x\",\"y\"],\"iss\":\"i\",\"jti\":\"j\"}",
			 "{\"noTimestamp\":true}");

	refused(secret, tok, "{\"audience\":[\"a\",\"b\"]}", NOW, AG_E_AUDIENCE,
		"jwt audience invalid. expected: a or b");
	refused(secret, tok, "{\"issuer\":[\"a\",\"b\"]}", NOW, AG_E_ISSUER,
		"jwt issuer invalid. expected: a,b");
	refused(secret, tok, "{\"jwtid\":\"k\"}", NOW, AG_E_JWTID,
		"jwt jwtid invalid. expected: k");
	refused(secret, tok, "{\"subject\":\"s\"}", NOW, AG_E_SUBJECT,
		"jwt subject invalid. expected: s");
	refused(secret, tok, "{\"maxAge\":60}", NOW, AG_E_IAT_REQUIRED, NULL);
	free(tok);
}

Test(verify, refuses_alg_none_with_a_key)
{
	/* {"alg":"none"}.{} with no signature */
	refused(secret, "eyJhbGciOiJub25lIn0.e30.", "{\"algorithms\":"
		"[\"none\"]}", NOW, AG_E_SIG_REQUIRED, NULL);
	refused(secret, "eyJhbGciOiJub25lIn0.e30.c2ln", "{\"algorithms\":"
		"[\"none\"]}", NOW, AG_E_BAD_SIGNATURE, NULL);
}

/* An HS256 token whose HMAC key is the PEM text: what an attacker who
 * holds only the public key makes. */
static char *forge_hs256(const char *pem, size_t n)
{
	static const char input[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30";
	uint8_t mac[32];
	char *tok = malloc(sizeof input + 1 + B64URL_ENC_LEN(sizeof mac) + 1);

	cr_assert_not_null(tok);
	cr_assert_eq(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
				     (const uint8_t *)pem, n,
				     (const uint8_t *)input, sizeof input - 1,
				     mac), 0);
	memcpy(tok, input, sizeof input - 1);
	tok[sizeof input - 1] = '.';
	tok[sizeof input + b64url_encode(tok + sizeof input, mac,
					 sizeof mac)] = '\0';
	return tok;
}

Test(verify, refuses_rsa_public_key_as_hmac_secret)
{
	size_t n;
	char *pem = ut_read(VEC "a2.pub.pem", &n);
	struct key *pub = ut_key_file(VEC "a2.pub.pem", KEY_USE_VERIFY);
	char *tok = forge_hs256(pem, n);

	refused(pub, tok, NULL, NOW, AG_E_INVALID_ALG, NULL);
	refused(pub, tok, "{\"algorithms\":[\"HS256\"]}", NOW, AG_E_KEY_KIND,
		"secretOrPublicKey must be a symmetric key when using HS256");
	free(tok);
	free(pem);
	key_free(pub);
}

Test(verify, one_token_one_spelling)
{
	char *tok = make("{}", NULL);
	size_t n = strlen(tok);
	char *padded = malloc(n + 2);

	/* HS signature with altered trailing bits: same MAC bytes */
	tok[n - 1] = tok[n - 1] == 'A' ? 'B' : 'A';
	refused(secret, tok, NULL, NOW, AG_E_BAD_SIGNATURE, NULL);
	memcpy(padded, tok, n);
	memcpy(padded + n, "=", 2);
	refused(secret, padded, NULL, NOW, AG_E_INVALID_TOKEN, NULL);
	free(padded);
	free(tok);
}

Test(verify, refuses_oversized_and_deep_tokens)
{
	static char big[AG_TOKEN_MAX + 10];
	static char deep[4096];
	struct buf b;
	struct ag_error e;
	int i;

	memset(big, 'a', sizeof big - 1);
	big[10] = '.';
	big[20] = '.';
	refused(secret, big, NULL, NOW, AG_E_TOO_LARGE, NULL);
	for (i = 0; i < 40; i++)
		deep[i] = '[';
	for (; i < 80; i++)
		deep[i] = ']';
	buf_init(&b, 8192);
	buf_puts(&b, "eyJhbGciOiJIUzI1NiJ9.");
	buf_reserve(&b, 200);
	b.len += b64url_encode(b.p + b.len, (const uint8_t *)deep, 80);
	buf_puts(&b, ".c2ln");
	cr_assert_eq(ut_verify(secret, buf_cstr(&b), NULL, NOW, &e), -1);
	cr_assert_eq(e.code, AG_E_TOO_COMPLEX);
	buf_free(&b);
}

Test(verify, ecdsa_token_against_wrong_curve)
{
	struct key *p521 = ut_key_file(VEC "a4.pub.pem", KEY_USE_VERIFY);
	const char *tok = "eyJhbGciOiJFUzI1NiJ9.e30.c2ln";

	refused(p521, tok, NULL, NOW, AG_E_KEY_ALG,
		"\"alg\" parameter \"ES256\" requires curve \"prime256v1\".");
	key_free(p521);
}

/* token's segment i (0 header, 1 payload, 2 signature), malloc'd */
static char *segment(const char *tok, int i)
{
	const char *p = tok, *end;

	for (; i > 0; i--)
		p = strchr(p, '.') + 1;
	end = strchr(p, '.');
	return strndup(p, end != NULL ? (size_t)(end - p) : strlen(p));
}

/* a.b.c of three segments, malloc'd */
static char *splice(const char *a, const char *b, const char *c)
{
	char *s = malloc(strlen(a) + strlen(b) + strlen(c) + 3);

	sprintf(s, "%s.%s.%s", a, b, c);
	return s;
}

/*
 * One algorithm's attacks: a token signed with `signer` verifies with
 * `verifier`; its payload swapped for another token's (the signature
 * kept), its header swapped likewise, one character in the middle of its
 * signature changed, and the same claims signed with `other` (another
 * key of the same kind) are each refused as invalid signatures.
 */
static void refuses_forgeries(const struct key *signer,
			      const struct key *verifier,
			      const struct key *other, const char *alg)
{
	char opts[64], hopts[96], *tok, *admin, *hdr, *forged, *seg[3], *swap;
	struct ag_error e;
	size_t mid;
	int i;

	snprintf(opts, sizeof opts, "{\"algorithm\":\"%s\"}", alg);
	snprintf(hopts, sizeof hopts, "{\"algorithm\":\"%s\",\"header\":"
		 "{\"x\":1}}", alg);
	tok = ut_sign(signer, "{\"sub\":\"u\",\"admin\":false}", opts, NOW, &e);
	admin = ut_sign(signer, "{\"sub\":\"u\",\"admin\":true}", opts, NOW, &e);
	hdr = ut_sign(signer, "{\"sub\":\"u\",\"admin\":false}", hopts, NOW,
		      &e);
	cr_assert(tok != NULL && admin != NULL && hdr != NULL, "%s: %s", alg,
		  e.msg);
	cr_assert_eq(ut_verify(verifier, tok, NULL, NOW, &e), 0, "%s: %s", alg,
		     e.msg);
	for (i = 0; i < 3; i++)
		seg[i] = segment(tok, i);

	swap = segment(admin, 1);
	forged = splice(seg[0], swap, seg[2]);
	refused(verifier, forged, NULL, NOW, AG_E_BAD_SIGNATURE, NULL);
	free(forged);
	free(swap);
	swap = segment(hdr, 0);
	forged = splice(swap, seg[1], seg[2]);
	refused(verifier, forged, NULL, NOW, AG_E_BAD_SIGNATURE, NULL);
	free(forged);
	free(swap);
	/* a middle character: all six of its bits are signature bits */
	mid = strlen(seg[2]) / 2;
	seg[2][mid] = seg[2][mid] == 'A' ? 'B' : 'A';
	forged = splice(seg[0], seg[1], seg[2]);
	refused(verifier, forged, NULL, NOW, AG_E_BAD_SIGNATURE, NULL);
	free(forged);
	free(tok);

	tok = ut_sign(other, "{\"sub\":\"u\",\"admin\":false}", opts, NOW, &e);
	cr_assert_not_null(tok, "%s: %s", alg, e.msg);
	refused(verifier, tok, NULL, NOW, AG_E_BAD_SIGNATURE, NULL);
	free(tok);
	free(admin);
	free(hdr);
	for (i = 0; i < 3; i++)
		free(seg[i]);
}

Test(verify, refuses_tampered_tokens_and_other_keys)
{
	static const char *const hs[] = { "HS256", "HS384", "HS512" };
	struct key *other = ut_key_str("secret2", KEY_USE_SIGN);
	struct key *rsa = ut_key_file("tests/vectors/keys/rsa2048.pkcs1.pem",
				      KEY_USE_SIGN);
	struct key *rsa_pub = ut_key_file("tests/vectors/keys/rsa2048.spki.pem",
					  KEY_USE_VERIFY);
	struct key *rsa_b = ut_key_file("tests/vectors/keys/rsa2048b.pkcs1.pem",
					KEY_USE_SIGN);
	struct key *ec = ut_key_file(VEC "a3.key.pem", KEY_USE_SIGN);
	struct key *ec_pub = ut_key_file(VEC "a3.pub.pem", KEY_USE_VERIFY);
	struct key *ec_b = ut_key_file("tests/vectors/keys/ecp256.pkcs8.pem",
				       KEY_USE_SIGN);
	int i;

	for (i = 0; i < 3; i++)
		refuses_forgeries(secret, secret, other, hs[i]);
	refuses_forgeries(rsa, rsa_pub, rsa_b, "RS256");
	refuses_forgeries(rsa, rsa_pub, rsa_b, "PS256");
	refuses_forgeries(ec, ec_pub, ec_b, "ES256");
	key_free(other);
	key_free(rsa);
	key_free(rsa_pub);
	key_free(rsa_b);
	key_free(ec);
	key_free(ec_pub);
	key_free(ec_b);
}
