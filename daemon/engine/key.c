/* key.c - key material: parsing, classification, HMAC key schedule. */
#include "daemon/engine/key.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>

#include "daemon/engine/secmem.h"
#include "shared/limits.h"

int key_rng(void *ctx, unsigned char *out, size_t n)
{
	ssize_t r;

	(void)ctx;
	while (n > 0) {
		r = getrandom(out, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
		out += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One SHA-2 function of libcrypto's low-level API, by digest size. */
struct key_sha {
	int (*init)(void *);
	int (*update)(void *, const void *, size_t);
	int (*final)(unsigned char *, void *);
	size_t block, len;
};

/* typed wrappers: a function is called only through its own type */
#define KEY_SHA(fn, ctx, b, l)                                               \
	static int key_##fn##_init(void *c)                                  \
	{                                                                    \
		return fn##_Init((ctx *)c);                                  \
	}                                                                    \
	static int key_##fn##_update(void *c, const void *p, size_t n)       \
	{                                                                    \
		return fn##_Update((ctx *)c, p, n);                          \
	}                                                                    \
	static int key_##fn##_final(unsigned char *md, void *c)              \
	{                                                                    \
		return fn##_Final(md, (ctx *)c);                             \
	}                                                                    \
	static const struct key_sha key_##fn = {                             \
		key_##fn##_init, key_##fn##_update, key_##fn##_final, b, l   \
	}

KEY_SHA(SHA256, SHA256_CTX, 64, 32);
KEY_SHA(SHA384, SHA512_CTX, 128, 48);
KEY_SHA(SHA512, SHA512_CTX, 128, 64);

/* RFC 2104: keys longer than the block are hashed first; the states are
 * left with the inner and outer pads absorbed. */
static void key_pads(const struct key_sha *f, const uint8_t *k, size_t n,
		     void *inner, void *outer)
{
	uint8_t kk[64], ipad[128], opad[128];
	size_t i;

	if (n > f->block) {
		f->init(inner);
		f->update(inner, k, n);
		f->final(kk, inner);
		k = kk;
		n = f->len;
	}
	memset(ipad, 0x36, f->block);
	memset(opad, 0x5c, f->block);
	for (i = 0; i < n; i++) {
		ipad[i] ^= k[i];
		opad[i] ^= k[i];
	}
	f->init(inner);
	f->update(inner, ipad, f->block);
	f->init(outer);
	f->update(outer, opad, f->block);
	mbedtls_platform_zeroize(kk, sizeof kk);
	mbedtls_platform_zeroize(ipad, sizeof ipad);
	mbedtls_platform_zeroize(opad, sizeof opad);
}

static int key_hmac_init(struct key *k, const uint8_t *s, size_t n)
{
	/* the pre-keyed states are the secret, as good as: locked memory */
	struct key_hmac *h = secmem_alloc(sizeof *h);

	if (h == NULL)
		return -1;
	key_pads(&key_SHA256, s, n, &h->i256, &h->o256);
	key_pads(&key_SHA384, s, n, &h->i384, &h->o384);
	key_pads(&key_SHA512, s, n, &h->i512, &h->o512);
	k->hmac = h;
	return 0;
}

/* HMAC from pre-keyed states: a copy of each, so the key serves threads
 * at once. */
static void key_hmac_run(const struct key_sha *f, const void *inner,
			 const void *outer, void *c, size_t size,
			 const uint8_t *in, size_t n, uint8_t *mac)
{
	uint8_t digest[64];

	memcpy(c, inner, size);
	f->update(c, in, n);
	f->final(digest, c);
	memcpy(c, outer, size);
	f->update(c, digest, f->len);
	f->final(mac, c);
	mbedtls_platform_zeroize(c, size);
	mbedtls_platform_zeroize(digest, sizeof digest);
}

size_t key_hmac(const struct key *k, unsigned bits, const uint8_t *in,
		size_t n, uint8_t *mac)
{
	const struct key_hmac *h = k->hmac;
	SHA256_CTX c256;
	SHA512_CTX c512;

	if (bits == 256)
		key_hmac_run(&key_SHA256, &h->i256, &h->o256, &c256,
			     sizeof c256, in, n, mac);
	else if (bits == 384)
		key_hmac_run(&key_SHA384, &h->i384, &h->o384, &c512,
			     sizeof c512, in, n, mac);
	else
		key_hmac_run(&key_SHA512, &h->i512, &h->o512, &c512,
			     sizeof c512, in, n, mac);
	return bits / 8;
}

static enum key_curve key_curve_of(mbedtls_ecp_group_id id)
{
	switch (id) {
	case MBEDTLS_ECP_DP_SECP256R1:
		return KEY_P256;
	case MBEDTLS_ECP_DP_SECP384R1:
		return KEY_P384;
	case MBEDTLS_ECP_DP_SECP521R1:
		return KEY_P521;
	default:
		return KEY_CURVE_OTHER;
	}
}

/* Material with a PEM boundary anywhere in it is key material, never an
 * HMAC secret, whatever it is for: a public key taken as a secret lets
 * whoever holds the public key forge tokens (algorithm confusion), and a
 * damaged key file must be an error, not a secret.  (Node takes any PEM
 * text it cannot parse as a secret; agauthd refuses it.)  Only PEM is
 * tried: mbedTLS would also try DER, which a secret must never be
 * mistaken for. */
static int key_is_pem(const uint8_t *m, size_t n)
{
	static const char tag[] = "-----BEGIN";

	return memmem(m, n, tag, sizeof tag - 1) != NULL;
}

/* Why PEM text that mbedTLS does not read is refused. */
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

/* A private key, else a public one (k->is_private says which). */
static int key_parse_pem(struct key *k, const uint8_t *m, size_t n,
			 struct ag_error *e)
{
	unsigned char *z;
	int rc;

	/* mbedTLS wants PEM NUL-terminated, length included; the copy is
	 * the private key, so it goes where keys go */
	z = secmem_alloc(n + 1);
	if (z == NULL)
		return ag_fail(e, AG_E_NOMEM, "no locked memory left for keys");
	memcpy(z, m, n);
	z[n] = '\0';
	rc = mbedtls_pk_parse_key(&k->pk, z, n + 1, NULL, 0);
	k->is_private = rc == 0;
	if (rc != 0) {
		mbedtls_pk_free(&k->pk);
		mbedtls_pk_init(&k->pk);
		rc = mbedtls_pk_parse_public_key(&k->pk, z, n + 1);
	}
	secmem_free(z);   /* zeroes it */
	return rc == 0 ? 0 : ag_fail(e, AG_E_KEY_LOAD, "%s", key_pem_why(m, n));
}

/*
 * mbedTLS keeps the multiples of the generator in the group, made by the
 * first multiplication that needs them (ecp_mul_comb's grp->T): pool
 * threads making them at once leak a table, and may free the one another
 * thread is reading.  Make them now, while the key is not shared; later
 * multiplications only read them.  A curve without such a table makes
 * none, and then nothing is shared either.
 */
static void key_ec_precompute(struct key *k)
{
	mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
	mbedtls_ecp_point r;
	mbedtls_mpi one;

	mbedtls_ecp_point_init(&r);
	mbedtls_mpi_init(&one);
	if (mbedtls_mpi_lset(&one, 1) == 0)
		(void)mbedtls_ecp_mul(&ec->grp, &r, &one, &ec->grp.G, key_rng,
				      NULL);
	mbedtls_mpi_free(&one);
	mbedtls_ecp_point_free(&r);
}

static int key_classify(struct key *k, enum key_use use,
			struct ag_error *e)
{
	/* signing needs the private half; a public key is never a secret */
	if (use == KEY_USE_SIGN && !k->is_private)
		return ag_fail(e, AG_E_KEY_LOAD, "a public key cannot sign: "
			       "give the private key (PEM text is never taken "
			       "as an HMAC secret)");
	switch (mbedtls_pk_get_type(&k->pk)) {
	case MBEDTLS_PK_RSA:
		k->type = KEY_RSA;
		k->bits = (unsigned)mbedtls_pk_get_bitlen(&k->pk);
		/* jsonwebtoken 9 refuses small RSA keys for signing; a key
		 * that weak has no place in a key-holding daemon at all */
		if (k->bits < AG_RSA_MIN_BITS || k->bits > AG_RSA_MAX_BITS)
			return ag_fail(e, AG_E_KEY_LOAD,
				       "RSA keys must have %d to %d bits, "
				       "this one has %u", AG_RSA_MIN_BITS,
				       AG_RSA_MAX_BITS, k->bits);
		return 0;
	case MBEDTLS_PK_ECKEY:
	case MBEDTLS_PK_ECKEY_DH:
	case MBEDTLS_PK_ECDSA:
		k->type = KEY_EC;
		k->curve = key_curve_of(mbedtls_pk_ec(k->pk)->grp.id);
		k->bits = (unsigned)mbedtls_pk_get_bitlen(&k->pk);
		key_ec_precompute(k);
		return 0;
	default:
		return ag_fail(e, AG_E_KEY_LOAD,
			       "unsupported key type (RSA and EC only)");
	}
}

int key_load(struct key **out, const uint8_t *m, size_t n, enum key_use use,
	     struct ag_error *e)
{
	struct key *k;
	int rc = -1;

	*out = NULL;
	if (n == 0 || n > AG_KEY_MAX)
		return ag_fail(e, AG_E_KEY_LOAD,
			       "key material must be 1 to %d bytes",
			       AG_KEY_MAX);
	k = calloc(1, sizeof *k);
	if (k == NULL)
		return ag_fail(e, AG_E_NOMEM, NULL);
	mbedtls_pk_init(&k->pk);
	k->lock = malloc(sizeof *k->lock);
	if (k->lock == NULL) {
		free(k);
		return ag_fail(e, AG_E_NOMEM, NULL);
	}
	pthread_mutex_init(k->lock, NULL);
	if (key_is_pem(m, n)) {
		if (key_parse_pem(k, m, n, e) != 0 ||
		    key_classify(k, use, e) != 0)
			goto out;
	} else {
		k->type = KEY_SECRET;
		k->bits = (unsigned)n * 8;
		if (n > AG_SECRET_MAX) {
			ag_fail(e, AG_E_KEY_LOAD,
				"HMAC secrets must be at most %d bytes",
				AG_SECRET_MAX);
			goto out;
		}
		if (key_hmac_init(k, m, n) != 0) {
			ag_fail(e, AG_E_NOMEM, NULL);
			goto out;
		}
	}
	*out = k;
	k = NULL;
	rc = 0;
out:
	key_free(k);
	return rc;
}

void key_free(struct key *k)
{
	if (k == NULL)
		return;
	mbedtls_pk_free(&k->pk);
	if (k->lock != NULL) {
		pthread_mutex_destroy(k->lock);
		free(k->lock);
	}
	/* secmem zeroes what it takes back */
	secmem_free(k->hmac);
	mbedtls_platform_zeroize(k, sizeof *k);
	free(k);
}

/* Public halves in DER: equal for the two halves of one key pair. */
static int key_pub_same(const struct key *a, const struct key *b)
{
	unsigned char da[AG_KEY_MAX], db[AG_KEY_MAX];
	int na, nb;

	/* the mbedtls_pk_context is only read, but the API is not const */
	na = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)(uintptr_t)&a->pk,
					 da, sizeof da);
	nb = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)(uintptr_t)&b->pk,
					 db, sizeof db);
	/* the DER is written at the end of the buffer */
	return na > 0 && na == nb &&
	       memcmp(da + sizeof da - na, db + sizeof db - nb,
		      (size_t)na) == 0;
}

int key_same(const struct key *a, const struct key *b)
{
	const struct key_hmac *x = a->hmac, *y = b->hmac;

	if (a->type != b->type || a->is_private != b->is_private)
		return 0;
	if (a->type != KEY_SECRET)
		return key_pub_same(a, b);
	/* pre-keyed states are a function of the secret alone */
	return memcmp(x->i256.h, y->i256.h, sizeof x->i256.h) == 0 &&
	       memcmp(x->o256.h, y->o256.h, sizeof x->o256.h) == 0 &&
	       memcmp(x->i384.h, y->i384.h, sizeof x->i384.h) == 0 &&
	       memcmp(x->o384.h, y->o384.h, sizeof x->o384.h) == 0 &&
	       memcmp(x->i512.h, y->i512.h, sizeof x->i512.h) == 0 &&
	       memcmp(x->o512.h, y->o512.h, sizeof x->o512.h) == 0;
}
