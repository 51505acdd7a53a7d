/*
 * crypto_openssl.c - the crypto backend (daemon/engine/crypto.h) on
 * OpenSSL's libcrypto 3 through EVP, the default build; HMAC and digests
 * from crypto_sha2.c.  Private bignums live in OpenSSL's secure heap
 * (locked, left out of core dumps, zeroed on free), which crypto_init
 * sizes; a key is decoded once into an EVP_PKEY, and each thread signs
 * and verifies through a slot of its own (crypto_openssl.h).
 */
#define CRYPTO_OPENSSL_INTERNAL
#include "daemon/engine/crypto_openssl.h"

#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#define CRYPTO_SHA2_INTERNAL
#include "daemon/engine/crypto_sha2.h"
#include "daemon/engine/secmem.h"

/* The secure heap's smallest block: a P-256 scalar rounds up to it. */
#define CO_SECURE_MIN 32
/* An ES signature in DER: P-521's r and s, 67 bytes each with a sign
 * byte, in a SEQUENCE with a two-byte length. */
#define CO_ECDSA_DER_MAX 160

static struct {
	pthread_mutex_t lock;
	size_t size;                 /* 0: not readied */
	int rc;
} co_heap = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * Set while a thread makes what an RSA key keeps from its first private
 * operation: OpenSSL 3.0 caches Montgomery contexts of the primes (a copy
 * of p and of q) and the blinding with the key, in memory from its
 * allocator, not the secure heap.  While it is set, every allocation of
 * libcrypto's goes to secmem (locked, left out of dumps, zeroed on free);
 * otherwise to malloc, with no lock.
 */
static _Thread_local int co_locked;

static void *co_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return co_locked ? secmem_alloc(n) : malloc(n);
}

static void co_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	if (secmem_owns(p))
		secmem_free(p);   /* zeroes it */
	else
		free(p);
}

static void *co_realloc(void *p, size_t n, const char *file, int line)
{
	size_t old;
	void *q;

	/* a block in secmem stays there, and so does what is grown while
	 * a key's objects are made */
	if (p != NULL && secmem_owns(p))
		return secmem_realloc(p, n);
	if (p == NULL || !co_locked)
		return p == NULL ? co_malloc(n, file, line) : realloc(p, n);
	old = malloc_usable_size(p);
	q = secmem_alloc(n);
	if (q != NULL) {
		memcpy(q, p, old < n ? old : n);
		explicit_bzero(p, old);
		free(p);
	}
	return q;
}

/* 1 once libcrypto allocates through co_malloc: without it no private
 * key loads (co_ready) */
static int co_mem;

/* libcrypto takes an allocator only before its first allocation, which a
 * library loaded beside the engine may make before main (Criterion's
 * libgit2 initialises libssh2, and so OpenSSL, at start): hence a
 * constructor. */
__attribute__((constructor)) static void co_mem_init(void)
{
	co_mem = CRYPTO_set_mem_functions(co_malloc, co_realloc, co_free);
}

static size_t co_pow2(size_t n)
{
	size_t p = CO_SECURE_MIN;

	while (p < n && p < AG_SECURE_MAX)
		p <<= 1;
	return p;
}

size_t crypto_secure_size(unsigned keys, unsigned threads)
{
	size_t copies = threads < 1 ? 1 :
			threads > AG_CRYPTO_SLOTS ? AG_CRYPTO_SLOTS : threads;

	if (keys > AG_SECURE_KEYS)
		keys = AG_SECURE_KEYS;
	return co_pow2((size_t)keys * copies * AG_SECURE_KEY_BYTES +
		       AG_SECURE_LOAD_BYTES);
}

int crypto_init(unsigned keys, unsigned threads)
{
	size_t size = crypto_secure_size(keys, threads);
	int rc;

	pthread_mutex_lock(&co_heap.lock);
	if (co_heap.size == 0) {
		/* 1: locked and left out of dumps; 2: mlock (or madvise)
		 * refused; 0: no heap, and then private bignums would go to
		 * the ordinary heap: no key loads */
		rc = CRYPTO_secure_malloc_init(size, CO_SECURE_MIN);
		co_heap.rc = rc == 1 ? 0 : rc == 2 ? 1 : -1;
		co_heap.size = size;
		/* the generator the process keeps (its state is in the
		 * secure heap) made now, not inside the first key's use */
		if (co_heap.rc >= 0 && crypto_random(&rc, sizeof rc) != 0)
			co_heap.rc = -1;
	}
	rc = co_heap.size == size ? co_heap.rc : -1;
	pthread_mutex_unlock(&co_heap.lock);
	return rc;
}

/* Before a key is read: the heap, with the default size if agauthd did
 * not size it (agjwt, keygen, the tests). */
static int co_ready(void)
{
	int rc;

	pthread_mutex_lock(&co_heap.lock);
	rc = co_heap.size != 0 ? co_heap.rc : -2;
	pthread_mutex_unlock(&co_heap.lock);
	if (rc == -2)
		rc = crypto_init(AG_SECURE_KEYS, AG_CRYPTO_SLOTS);
	/* a private key must never be decoded into the ordinary heap, nor
	 * its first operation leave copies there */
	return rc >= 0 && co_mem && CRYPTO_secure_malloc_initialized() ? 0 :
	       -1;
}

size_t crypto_locked_in_use(void)
{
	struct secmem_stats st;

	secmem_stats(&st);
	/* OpenSSL 3.0 takes a lock that is made with the heap */
	return st.in_use + (CRYPTO_secure_malloc_initialized() ?
			    CRYPTO_secure_used() : 0);
}

int crypto_random(void *out, size_t n)
{
	/* the private generator: it also makes secrets */
	return n > INT_MAX || RAND_priv_bytes(out, (int)n) != 1 ? -1 : 0;
}

static struct crypto_key *co_key_new(void)
{
	return calloc(1, sizeof(struct crypto_key));
}

void crypto_key_free(struct crypto_key *k)
{
	size_t i, j;

	if (k == NULL)
		return;
	for (i = 0; i < AG_CRYPTO_SLOTS; i++) {
		for (j = 0; j < CO_CTXS; j++)
			EVP_PKEY_CTX_free(k->slot[i].ctx[j]);
		if (k->slot[i].pkey != k->pkey)
			EVP_PKEY_free(k->slot[i].pkey);   /* clears secure BNs */
	}
	EVP_PKEY_free(k->pkey);
	crypto_sha2_hmac_free(k->hmac);
	explicit_bzero(k, sizeof *k);
	free(k);
}

int crypto_secret_load(struct crypto_key **out, const uint8_t *s, size_t n)
{
	struct crypto_key *k = co_key_new();

	*out = NULL;
	if (k == NULL)
		return -1;
	k->hmac = crypto_sha2_hmac_new(s, n);
	if (k->hmac == NULL) {
		crypto_key_free(k);
		return -1;
	}
	*out = k;
	return 0;
}

size_t crypto_hmac(const struct crypto_key *k, unsigned bits,
		   const uint8_t *in, size_t n, uint8_t *mac)
{
	return crypto_sha2_hmac(k->hmac, bits, in, n, mac);
}

/* No passphrase: an encrypted key is refused, never prompted for. */
static int co_nopass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static enum alg_curve co_curve(const EVP_PKEY *pk)
{
	char name[64];
	size_t len;
	int nid;

	/* a named curve only: explicit parameters have no name */
	if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
					   name, sizeof name, &len) != 1)
		return ALG_CURVE_OTHER;
	nid = OBJ_txt2nid(name);
	return nid == NID_X9_62_prime256v1 ? ALG_P256 :
	       nid == NID_secp384r1 ? ALG_P384 :
	       nid == NID_secp521r1 ? ALG_P521 : ALG_CURVE_OTHER;
}

/* What the decoded key is; -1 for a type the engine does not use (an
 * RSA-PSS-only key, SM2, Ed25519, ...: mbedTLS reads none either). */
static int co_classify(struct crypto_key *k, struct crypto_info *info)
{
	info->bits = (unsigned)EVP_PKEY_get_bits(k->pkey);
	info->curve = ALG_CURVE_NONE;
	switch (EVP_PKEY_get_base_id(k->pkey)) {
	case EVP_PKEY_RSA:
		info->type = ALG_KEY_RSA;
		k->rsa = 1;
		k->sig_len = (size_t)EVP_PKEY_get_size(k->pkey);
		return 0;
	case EVP_PKEY_EC:
		info->type = ALG_KEY_EC;
		info->curve = co_curve(k->pkey);
		return 0;
	default:
		return -1;
	}
}

int crypto_pem_load(struct crypto_key **out, const uint8_t *m, size_t n,
		    struct crypto_info *info)
{
	struct crypto_key *k = NULL;
	BIO *b = NULL;
	int rc = -1;

	*out = NULL;
	memset(info, 0, sizeof *info);
	if (co_ready() != 0 || n > INT_MAX)
		goto out;
	k = co_key_new();
	/* the text is read where it is (locked memory), not copied; the
	 * decoded DER goes to the secure heap, and so do private bignums */
	b = BIO_new_mem_buf(m, (int)n);
	if (k == NULL || b == NULL)
		goto out;
	/* PEM blocks of other kinds are skipped, as Node skips them */
	k->pkey = PEM_read_bio_PrivateKey_ex(b, NULL, co_nopass, NULL, NULL,
					     NULL);
	info->is_private = k->pkey != NULL;
	if (k->pkey == NULL && BIO_reset(b) == 1)
		k->pkey = PEM_read_bio_PUBKEY_ex(b, NULL, co_nopass, NULL, NULL,
						 NULL);
	if (k->pkey == NULL || co_classify(k, info) != 0)
		goto out;
	k->slot[0].pkey = k->pkey;
	*out = k;
	k = NULL;
	rc = 0;
out:
	/* the reasons may name the key's parts, never its bytes; agauthd
	 * words its own error */
	ERR_clear_error();
	BIO_free(b);
	crypto_key_free(k);
	return rc;
}

int crypto_same(const struct crypto_key *a, const struct crypto_key *b)
{
	if ((a->hmac != NULL) != (b->hmac != NULL))
		return 0;
	if (a->hmac != NULL)
		return crypto_sha2_hmac_same(a->hmac, b->hmac);
	/* the public halves: equal for the two halves of one key pair */
	return EVP_PKEY_eq(a->pkey, b->pkey) == 1;
}

/* The text a memory BIO holds into out[0..cap), NUL-terminated. */
static int co_bio_text(BIO *b, char *out, size_t cap, size_t *len)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);

	if (n <= 0 || (size_t)n >= cap)
		return -1;
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	return 0;
}

int crypto_fingerprint(const struct crypto_key *k,
		       uint8_t out[CRYPTO_FINGERPRINT_LEN])
{
	unsigned char *der = NULL;
	int n = 0;

	if (k->hmac == NULL) {
		n = i2d_PUBKEY(k->pkey, &der);
		if (n <= 0) {
			ERR_clear_error();
			return -1;
		}
	}
	crypto_sha2_fingerprint(k->hmac, der, (size_t)n, out);
	OPENSSL_free(der);
	return 0;
}

/* The big-endian bytes of k's BIGNUM parameter name into out: width
 * bytes exactly, or (width 0) as few as it takes; their count, or 0. */
static size_t co_param(const struct crypto_key *k, const char *name,
		       size_t width, uint8_t *out, size_t cap)
{
	BIGNUM *x = NULL;
	size_t n = 0;

	if (EVP_PKEY_get_bn_param(k->pkey, name, &x) == 1) {
		n = width != 0 ? width : (size_t)BN_num_bytes(x);
		if (n == 0 || n > cap || BN_bn2binpad(x, out, (int)n) < 0)
			n = 0;
	}
	BN_free(x);
	ERR_clear_error();
	return n;
}

int crypto_public_numbers(const struct crypto_key *k,
			  struct crypto_public *p)
{
	size_t w;

	memset(p, 0, sizeof *p);
	if (k->hmac != NULL)
		return -1;
	if (k->rsa) {
		/* the public pair only: n and e, never a private member */
		p->alen = co_param(k, OSSL_PKEY_PARAM_RSA_N, 0, p->a,
				   sizeof p->a);
		p->blen = co_param(k, OSSL_PKEY_PARAM_RSA_E, 0, p->b,
				   sizeof p->b);
		return p->alen != 0 && p->blen != 0 ? 0 : -1;
	}
	/* x and y as wide as the curve's field (P-521: 66 bytes) */
	w = ((size_t)EVP_PKEY_get_bits(k->pkey) + 7) / 8;
	p->alen = co_param(k, OSSL_PKEY_PARAM_EC_PUB_X, w, p->a, sizeof p->a);
	p->blen = co_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, w, p->b, sizeof p->b);
	return p->alen == w && p->blen == w ? 0 : -1;
}

int crypto_public_pem(const struct crypto_key *k, char *out, size_t cap,
		      size_t *len)
{
	BIO *b;
	int rc = -1;

	if (k->hmac != NULL)
		return -1;
	b = BIO_new(BIO_s_mem());
	if (b != NULL && PEM_write_bio_PUBKEY(b, k->pkey) == 1)
		rc = co_bio_text(b, out, cap, len);
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

/* Width of r and s in an ES signature (P-521: 66 bytes). */
static size_t co_es_width(unsigned bits)
{
	return bits == 512 ? 66 : bits / 8;
}

size_t crypto_sig_len(const struct crypto_key *k, const struct alg *a)
{
	if (a->family == ALG_ES)
		return 2 * co_es_width(a->bits);
	return k->sig_len;
}

static const EVP_MD *co_md(unsigned bits)
{
	return bits == 256 ? EVP_sha256() :
	       bits == 384 ? EVP_sha384() : EVP_sha512();
}

/* A context for a under pk, ready to sign or verify: PKCS#1 v1.5, or
 * PSS with MGF1 of the same digest and a salt as long as the digest in
 * both directions (jwa's RSA_PSS_SALTLEN_DIGEST), or ECDSA. */
static EVP_PKEY_CTX *co_ctx_new(EVP_PKEY *pk, const struct alg *a,
				int sign)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	const EVP_MD *md = co_md(a->bits);
	int ok;

	if (c == NULL)
		return NULL;
	ok = (sign ? EVP_PKEY_sign_init(c) : EVP_PKEY_verify_init(c)) == 1 &&
	     EVP_PKEY_CTX_set_signature_md(c, md) == 1;
	if (ok && a->family == ALG_RS)
		ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1;
	if (ok && a->family == ALG_PS)
		ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING) ==
		     1 && EVP_PKEY_CTX_set_rsa_mgf1_md(c, md) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(c, RSA_PSS_SALTLEN_DIGEST)
		     == 1;
	if (!ok) {
		EVP_PKEY_CTX_free(c);
		return NULL;
	}
	return c;
}

/* Which of a slot's contexts serves a, signing or not. */
static size_t co_ctx_index(const struct alg *a, int sign)
{
	size_t fam = a->family == ALG_RS ? 0 : a->family == ALG_PS ? 1 : 2;
	size_t bits = a->bits == 256 ? 0 : a->bits == 384 ? 1 : 2;

	return (fam * 3 + bits) * 2 + (size_t)(sign != 0);
}

/* A free slot, starting from the one this thread took last: threads
 * settle on slots of their own.  NULL when every slot is taken. */
static struct co_slot *co_slot_take(struct crypto_key *k)
{
	static _Thread_local unsigned hint;
	struct co_slot *s;
	unsigned i, j;

	for (i = 0; i < AG_CRYPTO_SLOTS; i++) {
		j = (hint + i) % AG_CRYPTO_SLOTS;
		s = &k->slot[j];
		if (atomic_load_explicit(&s->busy, memory_order_relaxed) == 0 &&
		    atomic_exchange_explicit(&s->busy, 1,
					     memory_order_acquire) == 0) {
			hint = j;
			return s;
		}
	}
	return NULL;
}

static void co_slot_give(struct co_slot *s)
{
	atomic_store_explicit(&s->busy, 0, memory_order_release);
}

/* The slot's context for a, made at its first use: the slot is this
 * thread's until it gives it back, so nothing else writes it. */
static EVP_PKEY_CTX *co_slot_ctx(struct crypto_key *k, struct co_slot *s,
				 const struct alg *a, int sign)
{
	EVP_PKEY_CTX **c = &s->ctx[co_ctx_index(a, sign)];

	if (*c != NULL)
		return *c;
	/* RSA: a copy of the key per slot (crypto_openssl.h says why) */
	if (s->pkey == NULL)
		s->pkey = k->rsa ? EVP_PKEY_dup(k->pkey) : k->pkey;
	if (s->pkey != NULL)
		*c = co_ctx_new(s->pkey, a, sign);
	return *c;
}

/* The operation itself on the digest: a signature into sig[0..*slen)
 * (*slen: its length after), or a check of sig[0..*slen). */
static int co_run(EVP_PKEY_CTX *c, int sign, const uint8_t *hash,
		  size_t hlen, uint8_t *sig, size_t *slen)
{
	if (sign)
		return EVP_PKEY_sign(c, sig, slen, hash, hlen) == 1 ? 0 : -1;
	return EVP_PKEY_verify(c, sig, *slen, hash, hlen) == 1 ? 0 : -1;
}

/* Signs or verifies through a slot, or, when all are taken, a context
 * made for this one operation. */
static int co_op(const struct crypto_key *ck, const struct alg *a,
		 int sign, const uint8_t *hash, size_t hlen, uint8_t *sig,
		 size_t *slen)
{
	/* the key is shared read-only; only a taken slot is written */
	struct crypto_key *k = (struct crypto_key *)(uintptr_t)ck;
	struct co_slot *s = co_slot_take(k);
	EVP_PKEY_CTX *c;
	int rc = -1, first;

	if (s != NULL) {
		/* the first private operation through a slot's context may
		 * be its key's first: what that keeps goes to secmem */
		first = s->ctx[co_ctx_index(a, sign)] == NULL && k->rsa && sign;
		c = co_slot_ctx(k, s, a, sign);
		co_locked = first;
		if (c != NULL)
			rc = co_run(c, sign, hash, hlen, sig, slen);
		co_locked = 0;
		co_slot_give(s);
	} else {
		c = co_ctx_new(k->pkey, a, sign);
		co_locked = k->rsa && sign;
		if (c != NULL)
			rc = co_run(c, sign, hash, hlen, sig, slen);
		co_locked = 0;
		EVP_PKEY_CTX_free(c);
	}
	if (rc != 0)
		ERR_clear_error();
	return rc;
}

/* JWS r||s from the DER ECDSA-Sig-Value OpenSSL signs in. */
static int co_der_to_rs(const uint8_t *der, size_t n, size_t w, uint8_t *sig)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
	const BIGNUM *r, *s;
	int rc = -1;

	if (es == NULL)
		return -1;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, (int)w) == (int)w &&
	    BN_bn2binpad(s, sig + w, (int)w) == (int)w)
		rc = 0;
	ECDSA_SIG_free(es);
	return rc;
}

/* DER from JWS r||s (each w bytes) into der[0..CO_ECDSA_DER_MAX); its
 * length, or 0.  r or s of 0 or past the order is encoded as it is and
 * refused by the verify (OpenSSL checks both are in [1, n-1]). */
static size_t co_rs_to_der(const uint8_t *sig, size_t w, uint8_t *der)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)w, NULL), *s = BN_bin2bn(sig + w,
								  (int)w, NULL);
	unsigned char *p = der;
	int n = 0;

	if (es != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(es, r, s)) {
		r = s = NULL;   /* es owns them */
		if (i2d_ECDSA_SIG(es, NULL) <= CO_ECDSA_DER_MAX)
			n = i2d_ECDSA_SIG(es, &p);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return n > 0 ? (size_t)n : 0;
}

int crypto_sign(const struct crypto_key *k, const struct alg *a,
		const uint8_t *in, size_t n, uint8_t *sig)
{
	uint8_t hash[64], der[CO_ECDSA_DER_MAX];
	size_t hlen = crypto_sha2_digest(a->bits, in, n, hash);
	size_t len = a->family == ALG_ES ? sizeof der : k->sig_len;

	if (a->family != ALG_ES)
		return co_op(k, a, 1, hash, hlen, sig, &len) == 0 &&
		       len == k->sig_len ? 0 : -1;
	if (co_op(k, a, 1, hash, hlen, der, &len) != 0)
		return -1;
	return co_der_to_rs(der, len, co_es_width(a->bits), sig);
}

int crypto_verify(const struct crypto_key *k, const struct alg *a,
		  const uint8_t *in, size_t n, const uint8_t *sig,
		  size_t slen)
{
	uint8_t hash[64], der[CO_ECDSA_DER_MAX];
	size_t hlen, w = co_es_width(a->bits), len;

	if (a->family != ALG_ES) {
		/* exactly the modulus' width: OpenSSL would take a PSS
		 * signature with its leading zeros cut, one token spelled
		 * two ways */
		if (slen != k->sig_len)
			return -1;
		hlen = crypto_sha2_digest(a->bits, in, n, hash);
		return co_op(k, a, 0, hash, hlen, (uint8_t *)(uintptr_t)sig,
			     &slen);
	}
	/* r and s are read at their fixed width: nothing else is one */
	if (slen != 2 * w)
		return -1;
	len = co_rs_to_der(sig, w, der);
	if (len == 0)
		return -1;
	hlen = crypto_sha2_digest(a->bits, in, n, hash);
	return co_op(k, a, 0, hash, hlen, der, &len);
}

int crypto_generate(enum alg_keytype type, unsigned rsa_bits,
		    enum alg_curve curve, uint8_t *out, size_t cap,
		    size_t *len, uint8_t *scratch)
{
	static const char *const groups[] = {
		[ALG_P256] = "P-256", [ALG_P384] = "P-384",
		[ALG_P521] = "P-521",
	};
	OSSL_ENCODER_CTX *e = NULL;
	EVP_PKEY *pk = NULL;
	BIO *b = NULL;
	int rc = -1;

	(void)scratch;   /* the text is made in the secure heap */
	if (co_ready() != 0)
		goto out;
	if (type == ALG_KEY_RSA)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)rsa_bits);
	else if (curve == ALG_P256 || curve == ALG_P384 || curve == ALG_P521)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", groups[curve]);
	/* PKCS#1 and SEC1 ("RSA PRIVATE KEY", "EC PRIVATE KEY"), as the
	 * mbedTLS backend writes them, through a BIO in the secure heap */
	if (pk != NULL)
		e = OSSL_ENCODER_CTX_new_for_pkey(pk, EVP_PKEY_KEYPAIR, "PEM",
						  "type-specific", NULL);
	b = BIO_new(BIO_s_secmem());
	if (e != NULL && b != NULL && OSSL_ENCODER_to_bio(e, b) == 1)
		rc = co_bio_text(b, (char *)out, cap, len);
out:
	OSSL_ENCODER_CTX_free(e);
	BIO_free(b);        /* a secure BIO clears what it frees */
	EVP_PKEY_free(pk);  /* and so does the key */
	ERR_clear_error();
	return rc;
}

/*
 * AES-256-GCM through EVP.  The context's key schedule is allocated by
 * libcrypto: co_locked sends it to secmem (locked, zeroed on free).  A
 * tag that does not authenticate leaves nothing in out.
 */
int crypto_aead(enum crypto_aead_dir dir, const uint8_t key[CRYPTO_AEAD_KEY],
		const uint8_t nonce[CRYPTO_AEAD_NONCE], const uint8_t *aad,
		size_t alen, const uint8_t *in, size_t n, uint8_t *out,
		uint8_t tag[CRYPTO_AEAD_TAG])
{
	EVP_CIPHER_CTX *c;
	int len, ok, seal = dir == CRYPTO_SEAL;

	if (n > INT_MAX || alen > INT_MAX)
		return -1;
	co_locked = 1;
	c = EVP_CIPHER_CTX_new();
	ok = c != NULL &&
	     EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL,
			       seal) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, CRYPTO_AEAD_NONCE,
				 NULL) == 1 &&
	     EVP_CipherInit_ex(c, NULL, NULL, key, nonce, seal) == 1 &&
	     (alen == 0 || EVP_CipherUpdate(c, NULL, &len, aad,
					    (int)alen) == 1) &&
	     (n == 0 || EVP_CipherUpdate(c, out, &len, in, (int)n) == 1) &&
	     (seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG,
					  CRYPTO_AEAD_TAG, tag) == 1) &&
	     /* opening: the tag is checked here, and only here */
	     EVP_CipherFinal_ex(c, out + n, &len) == 1 &&
	     (!seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG,
					   CRYPTO_AEAD_TAG, tag) == 1);
	EVP_CIPHER_CTX_free(c);
	co_locked = 0;
	ERR_clear_error();
	if (!ok && !seal)
		explicit_bzero(out, n);
	return ok ? 0 : -1;
}
