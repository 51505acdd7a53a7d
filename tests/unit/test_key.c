/* test_key.c - key material classification, like Node's crypto. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <mbedtls/md.h>

#include "daemon/engine/key.h"
#include "tests/unit/util.h"

#define VEC "tests/vectors/rfc7515/"

Test(key, secrets_and_pem)
{
	struct key *k = ut_key_str("my authKey", KEY_USE_SIGN);

	cr_assert_eq(k->type, ALG_KEY_SECRET);
	key_free(k);
	k = ut_key_file(VEC "a2.key.pem", KEY_USE_SIGN);
	cr_assert_eq(k->type, ALG_KEY_RSA);
	cr_assert_eq(k->bits, 2048);
	cr_assert(k->is_private);
	key_free(k);
	k = ut_key_file(VEC "a4.pub.pem", KEY_USE_VERIFY);
	cr_assert_eq(k->type, ALG_KEY_EC);
	cr_assert_eq(k->curve, ALG_P521);
	cr_assert(!k->is_private);
	key_free(k);
}

Test(key, private_pem_verifies_public_pem_never_signs)
{
	/* Node: createPublicKey(privatePem) works; createPrivateKey(publicPem)
	 * fails and jsonwebtoken falls back to a secret of the PEM text,
	 * which anyone with the public key knows: agauthd refuses it */
	struct key *k = ut_key_file(VEC "a3.key.pem", KEY_USE_VERIFY);
	struct ag_error e;
	size_t n;
	char *pem = ut_read(VEC "a3.pub.pem", &n);

	cr_assert_eq(k->type, ALG_KEY_EC);
	key_free(k);
	cr_assert_eq(key_load(&k, (const uint8_t *)pem, n, KEY_USE_SIGN, &e),
		     -1, "a public key PEM loaded for signing");
	cr_assert_null(k);
	cr_assert_eq(e.code, AG_E_KEY_LOAD);
	cr_assert_str_eq(e.msg, "a public key cannot sign: give the private "
			 "key (PEM text is never taken as an HMAC secret)");
	free(pem);
}

/* Anything with a "-----BEGIN" in it is a key or an error, for signing
 * and verifying alike: a damaged key file, a certificate, PEM after
 * other text, or a secret that merely looks like PEM. */
Test(key, pem_text_is_never_a_secret)
{
	static const char *const damaged[] = {
		"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
		"-----BEGIN PUBLIC KEY-----\n",
		"  \n\t-----BEGIN RSA PRIVATE KEY-----\nMIIB\n",
		"my secret -----BEGIN not a key-----",
		"-----BEGIN",
	};
	static const enum key_use uses[] = { KEY_USE_SIGN, KEY_USE_VERIFY };
	struct ag_error e;
	struct key *k;
	size_t i, u, n, half;
	char *cert = ut_read("tests/vectors/keys/rsa2048.cert.pem", &n);
	char *pub = ut_read("tests/vectors/keys/rsa2048.spki.pem", &half);

	for (u = 0; u < 2; u++) {
		for (i = 0; i < sizeof damaged / sizeof *damaged; i++) {
			cr_assert_eq(key_load(&k, (const uint8_t *)damaged[i],
					      strlen(damaged[i]), uses[u], &e),
				     -1, "loaded '%s'", damaged[i]);
			cr_assert_null(k);
			cr_assert_eq(e.code, AG_E_KEY_LOAD);
			cr_assert(strstr(e.msg, "PEM text that holds no RSA or "
					 "EC key") != NULL, "%s", e.msg);
			cr_assert(strstr(e.msg, "never taken as an HMAC "
					 "secret") != NULL, "%s", e.msg);
		}
		cr_assert_eq(key_load(&k, (const uint8_t *)cert, n, uses[u],
				      &e), -1, "a certificate loaded");
		cr_assert(strstr(e.msg, "a certificate is not a key") != NULL,
			  "%s", e.msg);
		/* a public key cut in half */
		cr_assert_eq(key_load(&k, (const uint8_t *)pub, half / 2,
				      uses[u], &e), -1, "half a PEM loaded");
		cr_assert(strstr(e.msg, "PEM text that holds no") != NULL,
			  "%s", e.msg);
	}
	free(cert);
	free(pub);
}

Test(key, refuses_empty_and_oversized)
{
	struct key *k;
	struct ag_error e;
	static uint8_t big[20000];

	cr_assert_eq(key_load(&k, (const uint8_t *)"", 0, KEY_USE_SIGN, &e), -1);
	cr_assert_eq(e.code, AG_E_KEY_LOAD);
	cr_assert_null(k);
	memset(big, 'x', sizeof big);
	cr_assert_eq(key_load(&k, big, sizeof big, KEY_USE_SIGN, &e), -1);
	cr_assert_eq(key_load(&k, big, 5000, KEY_USE_SIGN, &e), -1,
		     "secret above AG_SECRET_MAX");
}

Test(key, refuses_small_rsa)
{
	size_t n;
	char *pem = ut_read("tests/vectors/weak/rsa1024.pub.pem", &n);
	struct key *k;
	struct ag_error e;
	cr_assert_eq(key_load(&k, (const uint8_t *)pem, n, KEY_USE_VERIFY,
			      &e), -1);
	cr_assert_eq(e.code, AG_E_KEY_LOAD);
	cr_assert(strstr(e.msg, "1024") != NULL, "%s", e.msg);
	free(pem);
}

Test(key, hmac_matches_rfc4231_case_2)
{
	struct key *k = ut_key_str("Jefe", KEY_USE_SIGN);
	static const char msg[] = "what do ya want for nothing?";
	static const uint8_t want[32] = {
		0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
		0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
		0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43,
	};
	uint8_t mac[64];

	cr_assert_eq(key_hmac(k, 256, (const uint8_t *)msg, strlen(msg), mac),
		     32);
	cr_assert_arr_eq(mac, want, 32);
	key_free(k);
}

/* The daemon's HMAC (libcrypto's SHA-2 from pre-keyed states) against
 * mbedTLS's one-shot HMAC, across key lengths on both sides of each block
 * size (long keys are hashed first) and message lengths on both sides of
 * each padding boundary. */
Test(key, hmac_matches_mbedtls_for_every_size)
{
	static const struct {
		unsigned bits;
		mbedtls_md_type_t md;
	} h[] = {
		{ 256, MBEDTLS_MD_SHA256 },
		{ 384, MBEDTLS_MD_SHA384 },
		{ 512, MBEDTLS_MD_SHA512 },
	};
	uint8_t key[300], msg[300], mac[64], want[64];
	struct ag_error e;
	struct key *k;
	size_t kn, mn, i;
	unsigned seed = 1;

	for (i = 0; i < sizeof key; i++)
		key[i] = (uint8_t)(rand_r(&seed) % 255 + 1);
	for (i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)rand_r(&seed);
	for (kn = 1; kn <= sizeof key; kn += kn < 140 ? 1 : 37) {
		cr_assert_eq(key_load(&k, key, kn, KEY_USE_SIGN, &e), 0,
			     "%zu: %s", kn, e.msg);
		for (mn = 0; mn <= sizeof msg; mn += mn < 260 ? 7 : 1) {
			for (i = 0; i < sizeof h / sizeof h[0]; i++) {
				mbedtls_md_hmac(mbedtls_md_info_from_type(h[i].md),
						key, kn, msg, mn, want);
				cr_assert_eq(key_hmac(k, h[i].bits, msg, mn, mac),
					     h[i].bits / 8);
				cr_assert_arr_eq(mac, want, h[i].bits / 8,
						 "HS%u key %zu msg %zu", h[i].bits,
						 kn, mn);
			}
		}
		key_free(k);
	}
}
