/* jws.c - JWS signatures with mbedTLS. */
#include "daemon/engine/jws.h"

#include <pthread.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>

#include "shared/b64url.h"
#include "shared/limits.h"

static const struct jws_alg jws_algs[] = {
	{ "HS256", JWS_HS, 256 }, { "HS384", JWS_HS, 384 }, { "HS512", JWS_HS, 512 },
	{ "RS256", JWS_RS, 256 }, { "RS384", JWS_RS, 384 }, { "RS512", JWS_RS, 512 },
	{ "PS256", JWS_PS, 256 }, { "PS384", JWS_PS, 384 }, { "PS512", JWS_PS, 512 },
	{ "ES256", JWS_ES, 256 }, { "ES384", JWS_ES, 384 }, { "ES512", JWS_ES, 512 },
	{ "none", JWS_NONE, 0 },
};

const struct jws_alg *jws_alg_find(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof jws_algs / sizeof *jws_algs; i++)
		if (strlen(jws_algs[i].name) == n &&
		    memcmp(jws_algs[i].name, s, n) == 0)
			return &jws_algs[i];
	return NULL;
}

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
	static const char *const curve_name[] = {
		"prime256v1", "secp384r1", "secp521r1"
	};
	static const char *const es[] = { "ES256", "ES384", "ES512" };
	static const char *const rsa[] = {
		"RS256", "PS256", "RS384", "PS384", "RS512", "PS512"
	};
	int i;

	/* validateAsymmetricKey returns at once for an empty algorithm */
	if (k == NULL || k->type == KEY_SECRET || alg[0] == '\0')
		return 0;
	if (k->type == KEY_RSA) {
		for (i = 0; i < 6; i++)
			if (strcmp(alg, rsa[i]) == 0)
				return 0;
		return ag_fail(e, AG_E_KEY_ALG, "\"alg\" parameter for \"rsa\" "
			       "key type must be one of: RS256, PS256, RS384, "
			       "PS384, RS512, PS512.");
	}
	for (i = 0; i < 3; i++)
		if (strcmp(alg, es[i]) == 0)
			break;
	if (i == 3)
		return ag_fail(e, AG_E_KEY_ALG, "\"alg\" parameter for \"ec\" "
			       "key type must be one of: ES256, ES384, ES512.");
	if ((int)k->curve != KEY_P256 + i)
		return ag_fail(e, AG_E_KEY_ALG, "\"alg\" parameter \"%s\" "
			       "requires curve \"%s\".", alg, curve_name[i]);
	return 0;
}

static mbedtls_md_type_t jws_md(unsigned bits)
{
	return bits == 256 ? MBEDTLS_MD_SHA256 :
	       bits == 384 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA512;
}

static size_t jws_hash(unsigned bits, const uint8_t *in, size_t n,
		       uint8_t *out)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(jws_md(bits));

	mbedtls_md(md, in, n, out);
	return bits / 8;
}

/* Width of r and s in an ES signature (P-521: 66 bytes). */
static size_t jws_es_width(unsigned bits)
{
	return bits == 512 ? 66 : bits / 8;
}

static void jws_put_b64(struct buf *out, const uint8_t *sig, size_t n)
{
	if (buf_reserve(out, B64URL_ENC_LEN(n)) != 0)
		return;
	out->len += b64url_encode(out->p + out->len, sig, n);
}

static int jws_sign_rsa(const struct key *k, const struct jws_alg *a,
			const uint8_t *hash, size_t hlen, uint8_t *sig)
{
	mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);
	int rc;

	/* Both paddings sign only in their own mode of the context, and PSS
	 * takes the MGF1 hash from it: set both and sign under the key's
	 * lock, so that RS after PS, or PS256 beside PS512, cannot fail or
	 * mix them up */
	pthread_mutex_lock(k->lock);
	if (a->family == JWS_RS) {
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15,
					MBEDTLS_MD_NONE);
		rc = mbedtls_rsa_rsassa_pkcs1_v15_sign(rsa, key_rng, NULL,
						       MBEDTLS_RSA_PRIVATE,
						       jws_md(a->bits),
						       (unsigned)hlen, hash, sig);
	} else {
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21,
					jws_md(a->bits));
		rc = mbedtls_rsa_rsassa_pss_sign_ext(rsa, key_rng, NULL,
						     jws_md(a->bits),
						     (unsigned)hlen, hash,
						     (int)hlen, sig);
	}
	pthread_mutex_unlock(k->lock);
	return rc;
}

static int jws_sign_ec(const struct key *k, const struct jws_alg *a,
		       const uint8_t *hash, size_t hlen, uint8_t *sig)
{
	mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
	size_t w = jws_es_width(a->bits);
	mbedtls_mpi r, s;
	int rc;

	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	rc = mbedtls_ecdsa_sign_det_ext(&ec->grp, &r, &s, &ec->d, hash, hlen,
					jws_md(a->bits), key_rng, NULL);
	if (rc == 0)
		rc = mbedtls_mpi_write_binary(&r, sig, w);
	if (rc == 0)
		rc = mbedtls_mpi_write_binary(&s, sig + w, w);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	return rc;
}

int jws_sign(const struct key *k, const struct jws_alg *a, const uint8_t *in,
	     size_t n, struct buf *out, struct ag_error *e)
{
	uint8_t hash[64], sig[AG_RSA_MAX_BITS / 8];
	size_t hlen, slen = 0;
	int rc = 0;

	switch (a->family) {
	case JWS_NONE:
		return 0;
	case JWS_HS:
		slen = key_hmac(k, a->bits, in, n, sig);
		break;
	case JWS_RS:
	case JWS_PS:
		hlen = jws_hash(a->bits, in, n, hash);
		rc = jws_sign_rsa(k, a, hash, hlen, sig);
		slen = k->bits / 8;
		break;
	case JWS_ES:
		hlen = jws_hash(a->bits, in, n, hash);
		rc = jws_sign_ec(k, a, hash, hlen, sig);
		slen = 2 * jws_es_width(a->bits);
		break;
	}
	if (rc != 0)
		return ag_fail(e, AG_E_CRYPTO, "signing failed (mbedTLS -0x%04x)",
			       (unsigned)-rc);
	jws_put_b64(out, sig, slen);
	mbedtls_platform_zeroize(sig, sizeof sig);
	return 0;
}

/* Constant-time comparison of equal-length strings. */
static int jws_ct_eq(const char *a, const char *b, size_t n)
{
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static int jws_verify_hs(const struct key *k, const struct jws_alg *a,
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

static int jws_verify_rsa(const struct key *k, const struct jws_alg *a,
			  const uint8_t *hash, size_t hlen, const uint8_t *sig,
			  size_t slen)
{
	mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);

	/* mbedTLS reads exactly the modulus length from sig */
	if (slen != mbedtls_rsa_get_len(rsa))
		return -1;
	if (a->family == JWS_RS)
		return mbedtls_rsa_rsassa_pkcs1_v15_verify(rsa, NULL, NULL,
							   MBEDTLS_RSA_PUBLIC,
							   jws_md(a->bits),
							   (unsigned)hlen,
							   hash, sig);
	return mbedtls_rsa_rsassa_pss_verify_ext(rsa, NULL, NULL,
						 MBEDTLS_RSA_PUBLIC,
						 jws_md(a->bits),
						 (unsigned)hlen, hash,
						 jws_md(a->bits), (int)hlen,
						 sig);
}

static int jws_verify_ec(const struct key *k, const struct jws_alg *a,
			 const uint8_t *hash, size_t hlen, const uint8_t *sig)
{
	mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
	size_t w = jws_es_width(a->bits);
	mbedtls_mpi r, s;
	int rc;

	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	rc = mbedtls_mpi_read_binary(&r, sig, w);
	if (rc == 0)
		rc = mbedtls_mpi_read_binary(&s, sig + w, w);
	/* mbedtls_ecdsa_verify refuses r or s outside [1, n-1] */
	if (rc == 0)
		rc = mbedtls_ecdsa_verify(&ec->grp, hash, hlen, &ec->Q, &r, &s);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	return rc;
}

int jws_verify(const struct key *k, const struct jws_alg *a,
	       const uint8_t *in, size_t n, const char *sig, size_t siglen,
	       struct ag_error *e)
{
	uint8_t raw[B64URL_DEC_MAX(AG_TOKEN_MAX)], hash[64];
	size_t hlen, loose;
	long slen;
	int rc = -1;

	if (a->family == JWS_NONE)
		return siglen == 0 ? 0 : ag_fail(e, AG_E_BAD_SIGNATURE, NULL);
	if (a->family == JWS_HS) {
		rc = jws_verify_hs(k, a, in, n, sig, siglen);
		return rc == 0 ? 0 : ag_fail(e, AG_E_BAD_SIGNATURE, NULL);
	}
	if (siglen > AG_TOKEN_MAX)
		return ag_fail(e, AG_E_BAD_SIGNATURE, NULL);
	loose = b64url_loose_len(siglen);
	/* ecdsa-sig-formatter measures the leniently decoded length */
	if (a->family == JWS_ES && loose != 2 * jws_es_width(a->bits))
		return ag_fail(e, AG_E_SIG_LENGTH,
			       "\"%s\" signatures must be \"%zu\" bytes, "
			       "saw \"%zu\"", a->name,
			       2 * jws_es_width(a->bits), loose);
	/* one signature, one spelling: non-canonical base64url is refused */
	slen = b64url_decode_strict(raw, sig, siglen);
	if (slen < 0)
		return ag_fail(e, AG_E_BAD_SIGNATURE, NULL);
	hlen = jws_hash(a->bits, in, n, hash);
	if (a->family == JWS_ES)
		rc = jws_verify_ec(k, a, hash, hlen, raw);
	else
		rc = jws_verify_rsa(k, a, hash, hlen, raw, (size_t)slen);
	return rc == 0 ? 0 : ag_fail(e, AG_E_BAD_SIGNATURE, NULL);
}
