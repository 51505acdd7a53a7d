/* test_jws.c - RFC 7515 Appendix A.1-A.4 and RFC 7519 section 6.1. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daemon/engine/crypto.h"
#include "daemon/engine/jws.h"
#include "shared/b64url.h"
#include "shared/limits.h"
#include "tests/unit/util.h"

#define PAYLOAD "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6" \
		"Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
#define A1_IN  "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." PAYLOAD
#define A1_SIG "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define A2_IN  "eyJhbGciOiJSUzI1NiJ9." PAYLOAD
#define A2_SIG "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7" \
	"AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4" \
	"BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K" \
	"0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv" \
	"hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB" \
	"p0igcN_IoypGlUPQGe77Rw"
#define A3_IN  "eyJhbGciOiJFUzI1NiJ9." PAYLOAD
#define A3_SIG "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlS" \
	"ApmWQxfKTUJqPP3-Kg6NU1Q"
#define A4_IN  "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA"
#define A4_SIG "AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZ" \
	"qwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8" \
	"KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn"
#define VEC "tests/vectors/rfc7515/"
/* RFC 7515 A.1 verifies at its own time, one second before exp */
#define A_NOW 1300819379.0

static const struct alg *alg(const char *name)
{
	return alg_find(name, strlen(name));
}

static void check_sig(const struct key *k, const char *name, const char *in,
		      const char *sig)
{
	struct ag_error e;

	cr_assert_eq(jws_verify(k, alg(name), (const uint8_t *)in, strlen(in),
				sig, strlen(sig), &e), 0, "%s: %s", name, e.msg);
}

static void sign_equals(const struct key *k, const char *name,
			const char *in, const char *want)
{
	struct ag_error e;
	struct buf out;

	buf_init(&out, 4096);
	cr_assert_eq(jws_sign(k, alg(name), (const uint8_t *)in, strlen(in),
			      &out, &e), 0);
	cr_assert_str_eq(buf_cstr(&out), want);
	buf_free(&out);
}

Test(jws, rfc7515_a1_hs256)
{
	size_t n;
	char *secret = ut_read(VEC "a1.secret", &n);
	struct key *k;
	struct ag_error e;

	cr_assert_eq(key_load(&k, (const uint8_t *)secret, n, KEY_USE_SIGN,
			      &e), 0);
	sign_equals(k, "HS256", A1_IN, A1_SIG);
	check_sig(k, "HS256", A1_IN, A1_SIG);
	cr_assert_eq(ut_verify(k, A1_IN "." A1_SIG, "{\"clockTimestamp\":"
			       "1300819379}", 0, &e), 0, "%s", e.msg);
	cr_assert_eq(ut_verify(k, A1_IN "." A1_SIG, NULL, A_NOW + 1, &e), -1);
	cr_assert_str_eq(e.msg, "jwt expired");
	key_free(k);
	free(secret);
}

Test(jws, rfc7515_a2_rs256_is_deterministic)
{
	struct key *priv = ut_key_file(VEC "a2.key.pem", KEY_USE_SIGN);
	struct key *pub = ut_key_file(VEC "a2.pub.pem", KEY_USE_VERIFY);

	sign_equals(priv, "RS256", A2_IN, A2_SIG);
	check_sig(pub, "RS256", A2_IN, A2_SIG);
	key_free(priv);
	key_free(pub);
}

Test(jws, rfc7515_a3_es256)
{
	struct key *priv = ut_key_file(VEC "a3.key.pem", KEY_USE_SIGN);
	struct key *pub = ut_key_file(VEC "a3.pub.pem", KEY_USE_VERIFY);
	struct ag_error e;
	struct buf sig;

	check_sig(pub, "ES256", A3_IN, A3_SIG);
	/* ECDSA signatures differ per signing; ours must verify */
	buf_init(&sig, 4096);
	cr_assert_eq(jws_sign(priv, alg("ES256"), (const uint8_t *)A3_IN,
			      strlen(A3_IN), &sig, &e), 0);
	cr_assert_eq(sig.len, 86, "64 bytes r||s");
	check_sig(pub, "ES256", A3_IN, buf_cstr(&sig));
	buf_free(&sig);
	key_free(priv);
	key_free(pub);
}

Test(jws, rfc7515_a4_es512_with_string_payload)
{
	struct key *pub = ut_key_file(VEC "a4.pub.pem", KEY_USE_VERIFY);
	struct ag_error e;

	check_sig(pub, "ES512", A4_IN, A4_SIG);
	cr_assert_eq(ut_verify(pub, A4_IN "." A4_SIG, NULL, A_NOW, &e), 0,
		     "%s", e.msg);
	key_free(pub);
}

Test(jws, ecdsa_refuses_zero_and_wrong_length)
{
	struct key *pub = ut_key_file(VEC "a3.pub.pem", KEY_USE_VERIFY);
	struct ag_error e;
	char zero[87];

	memset(zero, 'A', 86);
	zero[86] = '\0';
	cr_assert_eq(jws_verify(pub, alg("ES256"), (const uint8_t *)A3_IN,
				strlen(A3_IN), zero, 86, &e), -1);
	cr_assert_eq(e.code, AG_E_BAD_SIGNATURE, "r = s = 0");
	cr_assert_eq(jws_verify(pub, alg("ES256"), (const uint8_t *)A3_IN,
				strlen(A3_IN), zero, 84, &e), -1);
	cr_assert_eq(e.code, AG_E_SIG_LENGTH);
	cr_assert_str_eq(e.msg, "\"ES256\" signatures must be \"64\" bytes, "
			 "saw \"63\"");
	key_free(pub);
}

Test(jws, rfc7519_6_1_unsecured_jwt)
{
	const char *tok = "eyJhbGciOiJub25lIn0." PAYLOAD ".";
	struct key *k = ut_key_str("secret", KEY_USE_VERIFY);
	struct ag_error e;

	cr_assert_eq(ut_verify(NULL, tok, "{\"algorithms\":[\"none\"]}", A_NOW,
			       &e), 0, "%s", e.msg);
	cr_assert_eq(ut_verify(NULL, tok, NULL, A_NOW, &e), -1);
	cr_assert_str_eq(e.msg, "please specify \"none\" in \"algorithms\" "
			 "to verify unsigned tokens");
	cr_assert_eq(ut_verify(k, tok, "{\"algorithms\":[\"none\"]}", A_NOW,
			       &e), -1);
	cr_assert_str_eq(e.msg, "jwt signature is required");
	key_free(k);
}

/* An RSA modulus of a size that is not a whole number of bytes (2050
 * bits): the signature is as wide as the modulus in bytes (257), not
 * bits / 8, or every token signed with such a key is cut short and never
 * verifies.  (mbedTLS reports such a key's size rounded up to bytes; a
 * backend that reports it exactly must sign whole signatures too.) */
Test(jws, rsa_key_of_an_odd_size_signs_whole_signatures)
{
	static uint8_t pem[2 * AG_KEY_MAX];
	const char *const algs[] = { "RS256", "PS384" };
	struct key *k;
	struct ag_error e;
	struct buf sig;
	size_t len, i;

	cr_assert_eq(crypto_generate(ALG_KEY_RSA, 2050, ALG_CURVE_NONE, pem,
				     AG_KEY_MAX, &len, pem + AG_KEY_MAX), 0);
	cr_assert_eq(key_load(&k, pem, len, KEY_USE_SIGN, &e), 0, "%s", e.msg);
	for (i = 0; i < 2; i++) {
		buf_init(&sig, 1024);
		cr_assert_eq(jws_sign(k, alg(algs[i]), (const uint8_t *)A2_IN,
				      strlen(A2_IN), &sig, &e), 0);
		cr_assert_eq(sig.len, B64URL_ENC_LEN(257), "%s", algs[i]);
		cr_assert_eq(jws_verify(k, alg(algs[i]), (const uint8_t *)A2_IN,
					strlen(A2_IN), sig.p, sig.len, &e), 0,
			     "%s: %s", algs[i], e.msg);
		buf_free(&sig);
	}
	key_free(k);
}
