/* verify.c - signature and claims, in jsonwebtoken's order. */
#include "daemon/engine/verify.h"

#include <string.h>

#include "shared/claims.h"
#include "daemon/engine/jws.h"

/* jsonwebtoken's own header.alg.startsWith checks, kept as it words
 * them (the contract: "HSfoo" is an HMAC algorithm to it, and is then
 * refused by name), not the algorithm table's families. */
static int verify_prefix(const char *alg, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strncmp(alg, *list, 2) == 0)
			return 1;
	return 0;
}

/* header.alg decoded into alg[], cut to fit messages (*whole: all of it,
 * without NUL, so that it may name an algorithm); the key must be of the
 * kind the algorithm's family needs. */
static int verify_key_kind(const struct key *k, const struct jwt *j,
			   char *alg, size_t cap, int *whole,
			   struct ag_error *e)
{
	static const char *const hs[] = { "HS", NULL };
	static const char *const asym[] = { "RS", "PS", "ES", NULL };

	/* header.alg.startsWith(): V8 words undefined and null apart */
	if (j->alg < 0 || json_type(&j->hdoc, j->alg) == JSON_NULL)
		return ag_fail(e, AG_E_OPTION_TYPE, "Cannot read properties "
			       "of %s (reading 'startsWith')",
			       j->alg < 0 ? "undefined" : "null");
	if (json_type(&j->hdoc, j->alg) != JSON_STRING)
		return ag_fail(e, AG_E_OPTION_TYPE,
			       "header.alg.startsWith is not a function");
	*whole = json_str_copy(&j->hdoc, j->alg, alg, cap);
	if (!verify_prefix(alg, hs) && !verify_prefix(alg, asym))
		return 0;
	/* jsonwebtoken reads key.type here and throws on a null key */
	if (k == NULL)
		return ag_fail(e, AG_E_OPTION_TYPE, "Cannot read properties of "
			       "null (reading 'type')");
	if (verify_prefix(alg, hs) && k->type != ALG_KEY_SECRET)
		return ag_fail(e, AG_E_KEY_KIND, "secretOrPublicKey must be a "
			       "symmetric key when using %s", alg);
	if (verify_prefix(alg, asym) && k->type == ALG_KEY_SECRET)
		return ag_fail(e, AG_E_KEY_KIND, "secretOrPublicKey must be an "
			       "asymmetric key when using %s", alg);
	return 0;
}

int verify_token(const struct key *k, const char *token, size_t len,
		 const struct vopts *o, double now, struct jwt *j,
		 struct ag_error *e)
{
	if (o->early.code != AG_OK) {
		*e = o->early;
		return -1;
	}
	if (jwt_decode(j, token, len, e) != 0)
		return -1;
	return verify_decoded(k, j, o, now, e);
}

int verify_decoded(const struct key *k, const struct jwt *j,
		   const struct vopts *o, double now, struct ag_error *e)
{
	const struct alg *a;
	char alg[AG_ERRMSG_MAX / 2];
	int has_sig, whole = 0;

	has_sig = j->seglen[2] > 0;
	if (!has_sig && k != NULL)
		return ag_fail(e, AG_E_SIG_REQUIRED, NULL);
	if (has_sig && k == NULL)
		return ag_fail(e, AG_E_KEY_REQUIRED, NULL);
	if (!has_sig && !json_truthy(&o->doc, o->algorithms))
		return ag_fail(e, AG_E_NONE_UNLISTED, NULL);
	if (claims_alg_listed(j, o, k == NULL ? ALG_KEY_NONE : k->type,
			      e) != 0)
		return -1;
	if (verify_key_kind(k, j, alg, sizeof alg, &whole, e) != 0 ||
	    jws_key_fits(k, alg, e) != 0)
		return -1;
	/* jws.verify checks that it has an algorithm before jwa parses it */
	if (whole && alg[0] == '\0')
		return ag_fail(e, AG_E_ALG_MISSING, NULL);
	a = whole ? alg_find(alg, strlen(alg)) : NULL;
	if (a == NULL)
		return jws_alg_unknown(e, alg, strlen(alg));
	if (jws_verify(k, a, (const uint8_t *)j->token, j->signing_len,
		       j->seg[2], j->seglen[2], e) != 0)
		return -1;
	return claims_check(j, o, now, e);
}
