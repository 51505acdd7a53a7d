/* jws.c - JWS signatures: the engine's side of jwa (encoding, lengths,
 * the constant-time compare); the crypto is the backend's. */
#include "daemon/engine/jws.h"

#include <string.h>

#include "shared/b64url.h"
#include "shared/limits.h"

int jws_alg_unknown(struct ag_error *e, const char *name, size_t n)
{
	return ag_fail(e, AG_E_ALG_UNKNOWN,
		       "\"%.*s\" is not a valid algorithm.\n"
		       "  Supported algorithms are:\n"
		       "  \"HS256\", \"HS384\", \"HS512\", \"RS256\", "
		       "\"RS384\", \"RS512\", \"PS256\", \"PS384\", \"PS512\", "
		       "\"ES256\", \"ES384\", \"ES512\" and \"none\".",
		       (int)(n > 200 ? 200 : n), name);
}

int jws_key_fits(const struct key *k, const char *alg, struct ag_error *e)
{
	const struct alg *a;

	/* validateAsymmetricKey returns at once for an empty algorithm */
	if (k == NULL || k->type == ALG_KEY_SECRET || alg[0] == '\0')
		return 0;
	a = alg_find(alg, strlen(alg));
	/* the key type's own algorithms only: an RSA key never signs or
	 * verifies ES, an EC key never RS or PS (and never "none") */
	if (k->type == ALG_KEY_RSA)
		return a != NULL && a->key == ALG_KEY_RSA ? 0 :
		       ag_fail(e, AG_E_KEY_ALG, "\"alg\" parameter for \"rsa\" "
			       "key type must be one of: RS256, PS256, RS384, "
			       "PS384, RS512, PS512.");
	if (a == NULL || a->key != ALG_KEY_EC)
		return ag_fail(e, AG_E_KEY_ALG, "\"alg\" parameter for \"ec\" "
			       "key type must be one of: ES256, ES384, ES512.");
	/* an EC key signs on its own curve only */
	if (k->curve != a->curve)
		return ag_fail(e, AG_E_KEY_ALG, "\"alg\" parameter \"%s\" "
			       "requires curve \"%s\".", alg, a->curve_name);
	return 0;
}

static void jws_put_b64(struct buf *out, const uint8_t *sig, size_t n)
{
	if (buf_reserve(out, B64URL_ENC_LEN(n)) != 0)
		return;
	out->len += b64url_encode(out->p + out->len, sig, n);
}

int jws_sign(const struct key *k, const struct alg *a, const uint8_t *in,
	     size_t n, struct buf *out, struct ag_error *e)
{
	uint8_t sig[CRYPTO_SIG_MAX];
	size_t slen;

	if (a->family == ALG_NONE)
		return 0;
	if (a->family == ALG_HS) {
		slen = key_hmac(k, a->bits, in, n, sig);
	} else {
		slen = crypto_sig_len(k->ck, a);
		if (crypto_sign(k->ck, a, in, n, sig) != 0)
			return ag_fail(e, AG_E_CRYPTO, "signing with %s failed "
				       "in the crypto library: retry; if it "
				       "persists, replace the key", a->name);
	}
	jws_put_b64(out, sig, slen);
	explicit_bzero(sig, sizeof sig);
	return 0;
}

int jws_ct_eq(const char *a, const char *b, size_t n)
{
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static int jws_verify_hs(const struct key *k, const struct alg *a,
			 const uint8_t *in, size_t n, const char *sig,
			 size_t siglen)
{
	uint8_t mac[64];
	char enc[B64URL_ENC_LEN(64)];
	size_t elen;

	/* jwa compares the signature text with the canonical encoding of
	 * the MAC: any other spelling is refused */
	elen = b64url_encode(enc, mac, key_hmac(k, a->bits, in, n, mac));
	return elen == siglen && jws_ct_eq(enc, sig, elen) ? 0 : -1;
}

int jws_verify(const struct key *k, const struct alg *a,
	       const uint8_t *in, size_t n, const char *sig, size_t siglen,
	       struct ag_error *e)
{
	uint8_t raw[B64URL_DEC_MAX(AG_TOKEN_MAX)];
	size_t loose;
	long slen;
	int rc = -1;

	if (a->family == ALG_NONE)
		return siglen == 0 ? 0 : ag_fail(e, AG_E_BAD_SIGNATURE, NULL);
	if (a->family == ALG_HS) {
		rc = jws_verify_hs(k, a, in, n, sig, siglen);
		return rc == 0 ? 0 : ag_fail(e, AG_E_BAD_SIGNATURE, NULL);
	}
	if (siglen > AG_TOKEN_MAX)
		return ag_fail(e, AG_E_BAD_SIGNATURE, NULL);
	loose = b64url_loose_len(siglen);
	/* ecdsa-sig-formatter measures the leniently decoded length */
	if (a->family == ALG_ES && loose != crypto_sig_len(k->ck, a))
		return ag_fail(e, AG_E_SIG_LENGTH,
			       "\"%s\" signatures must be \"%zu\" bytes, "
			       "saw \"%zu\"", a->name,
			       crypto_sig_len(k->ck, a), loose);
	/* one signature, one spelling: non-canonical base64url is refused */
	slen = b64url_decode_strict(raw, sig, siglen);
	if (slen < 0)
		return ag_fail(e, AG_E_BAD_SIGNATURE, NULL);
	rc = crypto_verify(k->ck, a, in, n, raw, (size_t)slen);
	return rc == 0 ? 0 : ag_fail(e, AG_E_BAD_SIGNATURE, NULL);
}
