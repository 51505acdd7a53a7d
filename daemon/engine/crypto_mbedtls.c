/*
 * crypto_mbedtls.c - the crypto backend (daemon/engine/crypto.h) on
 * mbedTLS 2.28 (make CRYPTO=mbedtls), and libcrypto's low-level SHA-2 for
 * HMAC and digests (daemon/engine/crypto_sha2.h).  mbedTLS
 * allocates through secmem (the build links a copy whose calloc and free
 * are secmem's), so its bignums and temporaries are in locked memory.
 */
#define CRYPTO_MBEDTLS_INTERNAL
#include "daemon/engine/crypto_mbedtls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/pem.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>

#define CRYPTO_SHA2_INTERNAL
#include "daemon/engine/crypto_sha2.h"
#include "daemon/engine/secmem.h"

/* mbedTLS allocates through secmem: no memory of its own to ready. */
int crypto_init(unsigned keys, unsigned threads)
{
	(void)keys;
	(void)threads;
	return 0;
}

size_t crypto_secure_size(unsigned keys, unsigned threads)
{
	(void)keys;
	(void)threads;
	return 0;
}

size_t crypto_locked_in_use(void)
{
	struct secmem_stats st;

	secmem_stats(&st);
	return st.in_use;
}

int crypto_random(void *out, size_t n)
{
	unsigned char *p = out;
	ssize_t r;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* crypto_random as mbedTLS's f_rng. */
static int cm_rng(void *ctx, unsigned char *out, size_t n)
{
	(void)ctx;
	return crypto_random(out, n) == 0 ? 0 :
	       MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
}

static struct crypto_key *cm_key_new(void)
{
	struct crypto_key *k = calloc(1, sizeof *k);

	if (k == NULL)
		return NULL;
	mbedtls_pk_init(&k->pk);
	k->lock = malloc(sizeof *k->lock);
	if (k->lock == NULL) {
		free(k);
		return NULL;
	}
	pthread_mutex_init(k->lock, NULL);
	return k;
}

void crypto_key_free(struct crypto_key *k)
{
	if (k == NULL)
		return;
	mbedtls_pk_free(&k->pk);
	pthread_mutex_destroy(k->lock);
	free(k->lock);
	crypto_sha2_hmac_free(k->hmac);
	mbedtls_platform_zeroize(k, sizeof *k);
	free(k);
}

int crypto_secret_load(struct crypto_key **out, const uint8_t *s, size_t n)
{
	struct crypto_key *k = cm_key_new();

	*out = NULL;
	if (k == NULL)
		return -1;
	k->hmac = crypto_sha2_hmac_new(s, n);
	if (k->hmac == NULL) {
		crypto_key_free(k);
		return -1;
	}
	k->secret = 1;
	*out = k;
	return 0;
}

size_t crypto_hmac(const struct crypto_key *k, unsigned bits,
		   const uint8_t *in, size_t n, uint8_t *mac)
{
	return crypto_sha2_hmac(k->hmac, bits, in, n, mac);
}

static enum alg_curve cm_curve_of(mbedtls_ecp_group_id id)
{
	switch (id) {
	case MBEDTLS_ECP_DP_SECP256R1:
		return ALG_P256;
	case MBEDTLS_ECP_DP_SECP384R1:
		return ALG_P384;
	case MBEDTLS_ECP_DP_SECP521R1:
		return ALG_P521;
	default:
		return ALG_CURVE_OTHER;
	}
}

static mbedtls_ecp_group_id cm_group_of(enum alg_curve c)
{
	return c == ALG_P256 ? MBEDTLS_ECP_DP_SECP256R1 :
	       c == ALG_P384 ? MBEDTLS_ECP_DP_SECP384R1 :
	       c == ALG_P521 ? MBEDTLS_ECP_DP_SECP521R1 : MBEDTLS_ECP_DP_NONE;
}

/*
 * mbedTLS keeps the multiples of the generator in the group, made by the
 * first multiplication that needs them (ecp_mul_comb's grp->T): pool
 * threads making them at once leak a table, and may free the one another
 * thread is reading.  Make them now, while the key is not shared; later
 * multiplications only read them.  A curve without such a table makes
 * none, and then nothing is shared either.
 */
static void cm_ec_precompute(struct crypto_key *k)
{
	mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
	mbedtls_ecp_point r;
	mbedtls_mpi one;

	mbedtls_ecp_point_init(&r);
	mbedtls_mpi_init(&one);
	if (mbedtls_mpi_lset(&one, 1) == 0)
		(void)mbedtls_ecp_mul(&ec->grp, &r, &one, &ec->grp.G, cm_rng,
				      NULL);
	mbedtls_mpi_free(&one);
	mbedtls_ecp_point_free(&r);
}

/* What the parsed key is; -1 for a type the engine does not use. */
static int cm_classify(struct crypto_key *k, struct crypto_info *info)
{
	info->bits = (unsigned)mbedtls_pk_get_bitlen(&k->pk);
	info->curve = ALG_CURVE_NONE;
	switch (mbedtls_pk_get_type(&k->pk)) {
	case MBEDTLS_PK_RSA:
		info->type = ALG_KEY_RSA;
		return 0;
	case MBEDTLS_PK_ECKEY:
	case MBEDTLS_PK_ECKEY_DH:
	case MBEDTLS_PK_ECDSA:
		info->type = ALG_KEY_EC;
		info->curve = cm_curve_of(mbedtls_pk_ec(k->pk)->grp.id);
		cm_ec_precompute(k);
		return 0;
	default:
		return -1;
	}
}

int crypto_pem_load(struct crypto_key **out, const uint8_t *m, size_t n,
		    struct crypto_info *info)
{
	struct crypto_key *k;
	unsigned char *z;
	int rc = -1;

	*out = NULL;
	memset(info, 0, sizeof *info);
	k = cm_key_new();
	if (k == NULL)
		return -1;
	/* mbedTLS wants PEM NUL-terminated, length included; the copy is
	 * the private key, so it goes where keys go */
	z = secmem_alloc(n + 1);
	if (z == NULL)
		goto out;
	memcpy(z, m, n);
	z[n] = '\0';
	rc = mbedtls_pk_parse_key(&k->pk, z, n + 1, NULL, 0);
	info->is_private = rc == 0;
	if (rc != 0) {
		mbedtls_pk_free(&k->pk);
		mbedtls_pk_init(&k->pk);
		rc = mbedtls_pk_parse_public_key(&k->pk, z, n + 1);
	}
	secmem_free(z);   /* zeroes it */
	if (rc == 0)
		rc = cm_classify(k, info);
	if (rc == 0) {
		*out = k;
		k = NULL;
	}
out:
	crypto_key_free(k);
	return rc == 0 ? 0 : -1;
}

/* Public halves in DER, written at the end of buf; its length or < 0. */
static int cm_pub_der(const struct crypto_key *k, unsigned char *buf,
		      size_t cap)
{
	/* the mbedtls_pk_context is only read, but the API is not const */
	return mbedtls_pk_write_pubkey_der(
		(mbedtls_pk_context *)(uintptr_t)&k->pk, buf, cap);
}

int crypto_same(const struct crypto_key *a, const struct crypto_key *b)
{
	unsigned char da[AG_KEY_MAX], db[AG_KEY_MAX];
	int na, nb;

	if (a->secret != b->secret)
		return 0;
	if (a->secret)
		return crypto_sha2_hmac_same(a->hmac, b->hmac);
	/* public halves in DER: equal for the two halves of one key pair */
	na = cm_pub_der(a, da, sizeof da);
	nb = cm_pub_der(b, db, sizeof db);
	return na > 0 && na == nb &&
	       memcmp(da + sizeof da - na, db + sizeof db - nb,
		      (size_t)na) == 0;
}

int crypto_fingerprint(const struct crypto_key *k,
		       uint8_t out[CRYPTO_FINGERPRINT_LEN])
{
	unsigned char der[AG_KEY_MAX];
	int n = 0;

	if (!k->secret) {
		n = cm_pub_der(k, der, sizeof der);
		if (n <= 0)
			return -1;
	}
	crypto_sha2_fingerprint(k->secret ? k->hmac : NULL,
				der + sizeof der - n, (size_t)n, out);
	return 0;
}

int crypto_public_pem(const struct crypto_key *k, char *out, size_t cap,
		      size_t *len)
{
	if (k->secret ||
	    mbedtls_pk_write_pubkey_pem((mbedtls_pk_context *)(uintptr_t)&k->pk,
					(unsigned char *)out, cap) != 0)
		return -1;
	*len = strlen(out);
	return 0;
}

/* x big-endian into out, exactly width bytes, or (width 0) as few as it
 * takes; its length, or 0 if it does not fit cap. */
static size_t cm_mpi_bytes(const mbedtls_mpi *x, size_t width,
			   uint8_t *out, size_t cap)
{
	size_t n = width != 0 ? width : mbedtls_mpi_size(x);

	if (n == 0 || n > cap || mbedtls_mpi_write_binary(x, out, n) != 0)
		return 0;
	return n;
}

int crypto_public_numbers(const struct crypto_key *k,
			  struct crypto_public *p)
{
	const mbedtls_ecp_keypair *ec;
	mbedtls_mpi n, e;
	int rc = -1;

	memset(p, 0, sizeof *p);
	if (k->secret)
		return -1;
	if (mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_RSA) {
		mbedtls_mpi_init(&n);
		mbedtls_mpi_init(&e);
		/* the public pair only: the private members stay NULL */
		if (mbedtls_rsa_export(mbedtls_pk_rsa(k->pk), &n, NULL, NULL,
				       NULL, &e) == 0) {
			p->alen = cm_mpi_bytes(&n, 0, p->a, sizeof p->a);
			p->blen = cm_mpi_bytes(&e, 0, p->b, sizeof p->b);
			rc = p->alen != 0 && p->blen != 0 ? 0 : -1;
		}
		mbedtls_mpi_free(&n);
		mbedtls_mpi_free(&e);
		return rc;
	}
	/* the public point, in the affine coordinates a parsed key has */
	ec = mbedtls_pk_ec(k->pk);
	p->alen = cm_mpi_bytes(&ec->Q.X, (ec->grp.pbits + 7) / 8, p->a,
			       sizeof p->a);
	p->blen = cm_mpi_bytes(&ec->Q.Y, p->alen, p->b, sizeof p->b);
	return p->alen != 0 && p->blen == p->alen ? 0 : -1;
}

static mbedtls_md_type_t cm_md(unsigned bits)
{
	return bits == 256 ? MBEDTLS_MD_SHA256 :
	       bits == 384 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA512;
}

/* Width of r and s in an ES signature (P-521: 66 bytes). */
static size_t cm_es_width(unsigned bits)
{
	return bits == 512 ? 66 : bits / 8;
}

size_t crypto_sig_len(const struct crypto_key *k, const struct alg *a)
{
	if (a->family == ALG_ES)
		return 2 * cm_es_width(a->bits);
	return mbedtls_pk_get_len(&k->pk);
}

static int cm_sign_rsa(const struct crypto_key *k, const struct alg *a,
		       const uint8_t *hash, size_t hlen, uint8_t *sig)
{
	mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);
	int rc;

	/* Both paddings sign only in their own mode of the context, and PSS
	 * takes the MGF1 hash from it: set both and sign under the key's
	 * lock, so that RS after PS, or PS256 beside PS512, cannot fail or
	 * mix them up */
	pthread_mutex_lock(k->lock);
	if (a->family == ALG_RS) {
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15,
					MBEDTLS_MD_NONE);
		rc = mbedtls_rsa_rsassa_pkcs1_v15_sign(rsa, cm_rng, NULL,
						       MBEDTLS_RSA_PRIVATE,
						       cm_md(a->bits),
						       (unsigned)hlen, hash, sig);
	} else {
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21,
					cm_md(a->bits));
		rc = mbedtls_rsa_rsassa_pss_sign_ext(rsa, cm_rng, NULL,
						     cm_md(a->bits),
						     (unsigned)hlen, hash,
						     (int)hlen, sig);
	}
	pthread_mutex_unlock(k->lock);
	return rc;
}

static int cm_sign_ec(const struct crypto_key *k, const struct alg *a,
		      const uint8_t *hash, size_t hlen, uint8_t *sig)
{
	mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
	size_t w = cm_es_width(a->bits);
	mbedtls_mpi r, s;
	int rc;

	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	rc = mbedtls_ecdsa_sign_det_ext(&ec->grp, &r, &s, &ec->d, hash, hlen,
					cm_md(a->bits), cm_rng, NULL);
	if (rc == 0)
		rc = mbedtls_mpi_write_binary(&r, sig, w);
	if (rc == 0)
		rc = mbedtls_mpi_write_binary(&s, sig + w, w);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	return rc;
}

int crypto_sign(const struct crypto_key *k, const struct alg *a,
		const uint8_t *in, size_t n, uint8_t *sig)
{
	uint8_t hash[64];
	size_t hlen = crypto_sha2_digest(a->bits, in, n, hash);
	int rc;

	if (a->family == ALG_ES)
		rc = cm_sign_ec(k, a, hash, hlen, sig);
	else
		rc = cm_sign_rsa(k, a, hash, hlen, sig);
	return rc == 0 ? 0 : -1;
}

static int cm_verify_rsa(const struct crypto_key *k, const struct alg *a,
			 const uint8_t *hash, size_t hlen, const uint8_t *sig,
			 size_t slen)
{
	mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);

	/* mbedTLS reads exactly the modulus length from sig */
	if (slen != mbedtls_rsa_get_len(rsa))
		return -1;
	if (a->family == ALG_RS)
		return mbedtls_rsa_rsassa_pkcs1_v15_verify(rsa, NULL, NULL,
							   MBEDTLS_RSA_PUBLIC,
							   cm_md(a->bits),
							   (unsigned)hlen,
							   hash, sig);
	return mbedtls_rsa_rsassa_pss_verify_ext(rsa, NULL, NULL,
						 MBEDTLS_RSA_PUBLIC,
						 cm_md(a->bits),
						 (unsigned)hlen, hash,
						 cm_md(a->bits), (int)hlen,
						 sig);
}

static int cm_verify_ec(const struct crypto_key *k, const struct alg *a,
			const uint8_t *hash, size_t hlen, const uint8_t *sig,
			size_t slen)
{
	mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
	size_t w = cm_es_width(a->bits);
	mbedtls_mpi r, s;
	int rc;

	/* r and s are read at their fixed width: nothing else is one */
	if (slen != 2 * w)
		return -1;
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

int crypto_verify(const struct crypto_key *k, const struct alg *a,
		  const uint8_t *in, size_t n, const uint8_t *sig,
		  size_t slen)
{
	uint8_t hash[64];
	size_t hlen = crypto_sha2_digest(a->bits, in, n, hash);
	int rc;

	if (a->family == ALG_ES)
		rc = cm_verify_ec(k, a, hash, hlen, sig, slen);
	else
		rc = cm_verify_rsa(k, a, hash, hlen, sig, slen);
	return rc == 0 ? 0 : -1;
}

/*
 * A PEM private key, as mbedtls_pk_write_key_pem writes it, but through a
 * DER buffer of ours: mbedTLS's own is a stack array it never zeroes.
 */
static int cm_key_pem(mbedtls_pk_context *pk, unsigned char *der,
		      unsigned char *out, size_t cap, size_t *len)
{
	int rsa = mbedtls_pk_get_type(pk) == MBEDTLS_PK_RSA;
	int n, rc;

	/* the DER is written at the end of the buffer */
	n = mbedtls_pk_write_key_der(pk, der, AG_KEY_MAX);
	if (n < 0)
		return n;
	rc = mbedtls_pem_write_buffer(rsa ? "-----BEGIN RSA PRIVATE KEY-----\n" :
				      "-----BEGIN EC PRIVATE KEY-----\n",
				      rsa ? "-----END RSA PRIVATE KEY-----\n" :
				      "-----END EC PRIVATE KEY-----\n",
				      der + AG_KEY_MAX - n, (size_t)n, out, cap,
				      len);
	/* the length counts the terminating NUL */
	if (rc == 0 && *len > 0)
		(*len)--;
	return rc;
}

int crypto_generate(enum alg_keytype type, unsigned rsa_bits,
		    enum alg_curve curve, uint8_t *out, size_t cap,
		    size_t *len, uint8_t *scratch)
{
	mbedtls_pk_context pk;
	int rc;

	mbedtls_pk_init(&pk);
	if (type == ALG_KEY_RSA) {
		rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(
					      MBEDTLS_PK_RSA));
		if (rc == 0)
			rc = mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), cm_rng,
						 NULL, rsa_bits, 65537);
	} else {
		rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(
					      MBEDTLS_PK_ECKEY));
		if (rc == 0)
			rc = mbedtls_ecp_gen_key(cm_group_of(curve),
						 mbedtls_pk_ec(pk), cm_rng, NULL);
	}
	if (rc == 0)
		rc = cm_key_pem(&pk, scratch, out, cap, len);
	mbedtls_pk_free(&pk);   /* zeroes the bignums it frees */
	return rc == 0 ? 0 : -1;
}

/*
 * AES-256-GCM through mbedtls_gcm.  The context holds the key schedule:
 * it lives in secmem (locked), and mbedtls_gcm_free zeroes it.
 * mbedtls_gcm_auth_decrypt compares the tag in constant time and zeroes
 * out when it does not authenticate.
 */
int crypto_aead(enum crypto_aead_dir dir, const uint8_t key[CRYPTO_AEAD_KEY],
		const uint8_t nonce[CRYPTO_AEAD_NONCE], const uint8_t *aad,
		size_t alen, const uint8_t *in, size_t n, uint8_t *out,
		uint8_t tag[CRYPTO_AEAD_TAG])
{
	mbedtls_gcm_context *c = secmem_alloc(sizeof *c);
	int rc = -1, seal = dir == CRYPTO_SEAL;

	if (c == NULL)
		return -1;
	mbedtls_gcm_init(c);
	if (mbedtls_gcm_setkey(c, MBEDTLS_CIPHER_ID_AES, key,
			       8 * CRYPTO_AEAD_KEY) != 0)
		goto out;
	rc = seal ? mbedtls_gcm_crypt_and_tag(c, MBEDTLS_GCM_ENCRYPT, n, nonce,
					      CRYPTO_AEAD_NONCE, aad, alen, in,
					      out, CRYPTO_AEAD_TAG, tag) :
	     mbedtls_gcm_auth_decrypt(c, n, nonce, CRYPTO_AEAD_NONCE, aad,
				      alen, tag, CRYPTO_AEAD_TAG, in, out);
out:
	mbedtls_gcm_free(c);
	secmem_free(c);
	if (rc != 0 && !seal)
		mbedtls_platform_zeroize(out, n);
	return rc == 0 ? 0 : -1;
}
