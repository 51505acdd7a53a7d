/* key.c - key material: what it is, and why it is refused. */
#include "daemon/engine/key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/b64url.h"
#include "shared/limits.h"

int key_rng(void *ctx, unsigned char *out, size_t n)
{
	(void)ctx;
	return crypto_random(out, n);
}

size_t key_hmac(const struct key *k, unsigned bits, const uint8_t *in,
		size_t n, uint8_t *mac)
{
	return crypto_hmac(k->ck, bits, in, n, mac);
}

void key_fingerprint(const struct key *k, char out[KEY_FINGERPRINT_MAX])
{
	uint8_t fp[CRYPTO_FINGERPRINT_LEN];
	size_t n;

	_Static_assert(sizeof "HMAC-SHA256:" +
		       B64URL_ENC_LEN(CRYPTO_FINGERPRINT_LEN) <=
		       KEY_FINGERPRINT_MAX, "a fingerprint's text fits");
	out[0] = '\0';
	if (crypto_fingerprint(k->ck, fp) != 0)
		return;
	n = (size_t)snprintf(out, KEY_FINGERPRINT_MAX, "%s",
			     k->type == ALG_KEY_SECRET ? "HMAC-SHA256:" :
			     "SHA256:");
	out[n + b64url_encode(out + n, fp, sizeof fp)] = '\0';
}

/* Material with a PEM boundary anywhere in it is key material, never an
 * HMAC secret, whatever it is for: a public key taken as a secret lets
 * whoever holds the public key forge tokens (algorithm confusion), and a
 * damaged key file must be an error, not a secret.  (Node takes any PEM
 * text it cannot parse as a secret; agauthd refuses it.)  Only PEM is
 * tried: a backend might also try DER, which a secret must never be
 * mistaken for. */
static int key_is_pem(const uint8_t *m, size_t n)
{
	static const char tag[] = "-----BEGIN";

	return memmem(m, n, tag, sizeof tag - 1) != NULL;
}

/* Why PEM text that the backend does not read is refused. */
static const char *key_pem_why(const uint8_t *m, size_t n)
{
	static const char cert[] = "-----BEGIN CERTIFICATE";

	if (memmem(m, n, cert, sizeof cert - 1) != NULL)
		return "a certificate is not a key: give its public key "
		       "(openssl x509 -pubkey -noout -in FILE); PEM text is "
		       "never taken as an HMAC secret";
	return "PEM text that holds no RSA or EC key agauthd can read "
	       "(damaged, encrypted, or another kind of key); PEM text is "
	       "never taken as an HMAC secret";
}

static int key_load_pem(struct key *k, const uint8_t *m, size_t n,
			enum key_use use, struct ag_error *e)
{
	struct crypto_info info;

	if (crypto_pem_load(&k->ck, m, n, &info) != 0)
		return ag_fail(e, AG_E_KEY_LOAD, "%s", key_pem_why(m, n));
	k->type = info.type;
	k->is_private = info.is_private;
	k->bits = info.bits;
	k->curve = info.curve;
	/* signing needs the private half; a public key is never a secret */
	if (use == KEY_USE_SIGN && !k->is_private)
		return ag_fail(e, AG_E_KEY_LOAD, "a public key cannot sign: "
			       "give the private key (PEM text is never taken "
			       "as an HMAC secret)");
	/* jsonwebtoken 9 refuses small RSA keys for signing; a key that
	 * weak has no place in a key-holding daemon at all */
	if (k->type == ALG_KEY_RSA &&
	    (k->bits < AG_RSA_MIN_BITS || k->bits > AG_RSA_MAX_BITS))
		return ag_fail(e, AG_E_KEY_LOAD,
			       "RSA keys must have %d to %d bits, this one "
			       "has %u", AG_RSA_MIN_BITS, AG_RSA_MAX_BITS,
			       k->bits);
	return 0;
}

static int key_load_secret(struct key *k, const uint8_t *m, size_t n,
			   struct ag_error *e)
{
	k->type = ALG_KEY_SECRET;
	k->bits = (unsigned)n * 8;
	if (n > AG_SECRET_MAX)
		return ag_fail(e, AG_E_KEY_LOAD,
			       "HMAC secrets must be at most %d bytes",
			       AG_SECRET_MAX);
	if (crypto_secret_load(&k->ck, m, n) != 0)
		return ag_fail(e, AG_E_NOMEM, "no locked memory left for keys");
	return 0;
}

int key_load(struct key **out, const uint8_t *m, size_t n, enum key_use use,
	     struct ag_error *e)
{
	struct key *k;
	int rc;

	*out = NULL;
	if (n == 0 || n > AG_KEY_MAX)
		return ag_fail(e, AG_E_KEY_LOAD,
			       "key material must be 1 to %d bytes",
			       AG_KEY_MAX);
	k = calloc(1, sizeof *k);
	if (k == NULL)
		return ag_fail(e, AG_E_NOMEM, NULL);
	rc = key_is_pem(m, n) ? key_load_pem(k, m, n, use, e) :
	     key_load_secret(k, m, n, e);
	if (rc == 0) {
		*out = k;
		k = NULL;
	}
	key_free(k);
	return rc;
}

void key_free(struct key *k)
{
	if (k == NULL)
		return;
	crypto_key_free(k->ck);
	memset(k, 0, sizeof *k);
	free(k);
}

int key_same(const struct key *a, const struct key *b)
{
	return a->type == b->type && a->is_private == b->is_private &&
	       crypto_same(a->ck, b->ck);
}
