/* jwks.c - the public keys as a JWK Set (jwks.h). */
#include "daemon/jwks.h"

#include <string.h>

#include "shared/b64url.h"
#include "shared/json.h"

/* "name":"base64url of p[0..n)" */
static void jwks_b64(struct buf *out, const char *name, const uint8_t *p,
		     size_t n)
{
	char text[B64URL_ENC_LEN(CRYPTO_SIG_MAX) + 1];

	buf_printf(out, ",\"%s\":\"", name);
	buf_put(out, text, b64url_encode(text, p, n));
	buf_putc(out, '"');
}

static int jwks_key(const struct kr_key *k, struct buf *out,
		    struct ag_error *e)
{
	struct crypto_public p;
	int ec = k->alg->family == ALG_ES;

	if (crypto_public_numbers(k->key->ck, &p) != 0)
		return ag_fail(e, AG_E_CRYPTO, "cannot read the public "
			       "numbers of key %s; check its file (agauthd "
			       "-t), or retire it", k->name);
	buf_printf(out, "{\"kty\":\"%s\"", ec ? "EC" : "RSA");
	/* a key without kid (an imported authKey) signs tokens without
	 * one: its JWK has none either */
	if (k->has_kid) {
		buf_puts(out, ",\"kid\":");
		json_write_str(out, k->kid, strlen(k->kid));
	}
	buf_printf(out, ",\"alg\":\"%s\",\"use\":\"sig\"", k->alg->name);
	if (ec)
		buf_printf(out, ",\"crv\":\"%s\"", k->alg->jwk_crv);
	jwks_b64(out, ec ? "x" : "n", p.a, p.alen);
	jwks_b64(out, ec ? "y" : "e", p.b, p.blen);
	buf_putc(out, '}');
	return 0;
}

int jwks_render(const struct keyring *kr, double now, struct buf *out,
		struct ag_error *e)
{
	const struct kr_key *k;
	int i, n = 0;

	buf_puts(out, "{\"keys\":[");
	for (i = 0; i < kr->n; i++) {
		k = &kr->keys[i];
		/* only RSA and EC keys have a public half: an HMAC secret
		 * verifies and signs alike, and publishing it would let
		 * anyone mint tokens; nor is a key that no longer verifies
		 * in the set */
		if ((k->alg->key != ALG_KEY_RSA && k->alg->key != ALG_KEY_EC) ||
		    !keyring_usable(k, now))
			continue;
		if (n++ > 0)
			buf_putc(out, ',');
		if (jwks_key(k, out, e) != 0)
			return -1;
	}
	buf_puts(out, "]}");
	if (out->err)
		return ag_fail(e, AG_E_NOMEM, "the JWK Set does not fit in %d "
			       "bytes; retire keys that no longer verify",
			       AG_TEXT_REPLY_MAX);
	return 0;
}
