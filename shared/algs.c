/* algs.c - the table of JWS algorithms. */
#include "shared/algs.h"

#include <string.h>

/* jwa's order, which is also the order of the defaults jsonwebtoken
 * allows per key type and of vopts_alg_index (the cache's alg byte) */
static const struct alg alg_table[] = {
	{ "HS256", ALG_HS, ALG_KEY_SECRET, ALG_CURVE_NONE, NULL, NULL, 256, 1, "hs256" },
	{ "HS384", ALG_HS, ALG_KEY_SECRET, ALG_CURVE_NONE, NULL, NULL, 384, 1, "hs384" },
	{ "HS512", ALG_HS, ALG_KEY_SECRET, ALG_CURVE_NONE, NULL, NULL, 512, 1, "hs512" },
	/* RS and PS keys are RSA keys: 2048 bits, as jsonwebtoken's floor */
	{ "RS256", ALG_RS, ALG_KEY_RSA, ALG_CURVE_NONE, NULL, NULL, 256, 0, "rsa2048" },
	{ "RS384", ALG_RS, ALG_KEY_RSA, ALG_CURVE_NONE, NULL, NULL, 384, 0, "rsa2048" },
	{ "RS512", ALG_RS, ALG_KEY_RSA, ALG_CURVE_NONE, NULL, NULL, 512, 0, "rsa2048" },
	{ "PS256", ALG_PS, ALG_KEY_RSA, ALG_CURVE_NONE, NULL, NULL, 256, 0, "rsa2048" },
	{ "PS384", ALG_PS, ALG_KEY_RSA, ALG_CURVE_NONE, NULL, NULL, 384, 0, "rsa2048" },
	{ "PS512", ALG_PS, ALG_KEY_RSA, ALG_CURVE_NONE, NULL, NULL, 512, 0, "rsa2048" },
	{ "ES256", ALG_ES, ALG_KEY_EC, ALG_P256, "prime256v1", "P-256", 256, 0, "p256" },
	{ "ES384", ALG_ES, ALG_KEY_EC, ALG_P384, "secp384r1", "P-384", 384, 0, "p384" },
	{ "ES512", ALG_ES, ALG_KEY_EC, ALG_P521, "secp521r1", "P-521", 512, 0, "p521" },
	/* no key and no family: never a default, never generated */
	{ "none", ALG_NONE, ALG_KEY_NONE, ALG_CURVE_NONE, NULL, NULL, 0, 0, NULL },
};

#define ALG_N (sizeof alg_table / sizeof *alg_table)

const struct alg *alg_find(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < ALG_N; i++)
		if (strlen(alg_table[i].name) == n &&
		    memcmp(alg_table[i].name, s, n) == 0)
			return &alg_table[i];
	return NULL;
}

const struct alg *alg_of_prefix(const char *s, size_t n)
{
	size_t i;

	if (n < 2)
		return NULL;
	/* "none" is no family: jsonwebtoken's startsWith checks never
	 * match it */
	for (i = 0; i < ALG_N; i++)
		if (alg_table[i].family != ALG_NONE &&
		    memcmp(alg_table[i].name, s, 2) == 0)
			return &alg_table[i];
	return NULL;
}

const struct alg *alg_at(size_t i)
{
	return i < ALG_N ? &alg_table[i] : NULL;
}

size_t alg_count(void)
{
	return ALG_N;
}
