/*
 * crypto_sha2.c - HMAC from pre-keyed SHA-2 states and the message digest,
 * for both crypto backends (daemon/engine/crypto_sha2.h says why the
 * low-level API).
 */
#define CRYPTO_SHA2_INTERNAL
#include "daemon/engine/crypto_sha2.h"

#include <string.h>

#include <openssl/crypto.h>

#include "daemon/engine/secmem.h"

/* One SHA-2 function of libcrypto's low-level API, by digest size. */
struct cs_sha {
	int (*init)(void *);
	int (*update)(void *, const void *, size_t);
	int (*final)(unsigned char *, void *);
	size_t block, len;
};

/* typed wrappers: a function is called only through its own type */
#define CS_SHA(fn, ctx, b, l)                                                \
	static int cs_##fn##_init(void *c)                                   \
	{                                                                    \
		return fn##_Init((ctx *)c);                                  \
	}                                                                    \
	static int cs_##fn##_update(void *c, const void *p, size_t n)        \
	{                                                                    \
		return fn##_Update((ctx *)c, p, n);                          \
	}                                                                    \
	static int cs_##fn##_final(unsigned char *md, void *c)               \
	{                                                                    \
		return fn##_Final(md, (ctx *)c);                             \
	}                                                                    \
	static const struct cs_sha cs_##fn = {                               \
		cs_##fn##_init, cs_##fn##_update, cs_##fn##_final, b, l      \
	}

CS_SHA(SHA256, SHA256_CTX, 64, 32);
CS_SHA(SHA384, SHA512_CTX, 128, 48);
CS_SHA(SHA512, SHA512_CTX, 128, 64);

/* RFC 2104: keys longer than the block are hashed first; the states are
 * left with the inner and outer pads absorbed. */
static void cs_pads(const struct cs_sha *f, const uint8_t *k, size_t n,
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
	explicit_bzero(kk, sizeof kk);
	explicit_bzero(ipad, sizeof ipad);
	explicit_bzero(opad, sizeof opad);
}

struct crypto_hmac_states *crypto_sha2_hmac_new(const uint8_t *s, size_t n)
{
	/* the pre-keyed states are the secret, as good as: locked memory */
	struct crypto_hmac_states *h = secmem_alloc(sizeof *h);

	if (h == NULL)
		return NULL;
	cs_pads(&cs_SHA256, s, n, &h->i256, &h->o256);
	cs_pads(&cs_SHA384, s, n, &h->i384, &h->o384);
	cs_pads(&cs_SHA512, s, n, &h->i512, &h->o512);
	return h;
}

void crypto_sha2_hmac_free(struct crypto_hmac_states *h)
{
	secmem_free(h);   /* zeroes what it takes back */
}

int crypto_sha2_hmac_same(const struct crypto_hmac_states *x,
			  const struct crypto_hmac_states *y)
{
	return memcmp(x->i256.h, y->i256.h, sizeof x->i256.h) == 0 &&
	       memcmp(x->o256.h, y->o256.h, sizeof x->o256.h) == 0 &&
	       memcmp(x->i384.h, y->i384.h, sizeof x->i384.h) == 0 &&
	       memcmp(x->o384.h, y->o384.h, sizeof x->o384.h) == 0 &&
	       memcmp(x->i512.h, y->i512.h, sizeof x->i512.h) == 0 &&
	       memcmp(x->o512.h, y->o512.h, sizeof x->o512.h) == 0;
}

/* HMAC from pre-keyed states: a copy of each, so the key serves threads
 * at once. */
static void cs_hmac_run(const struct cs_sha *f, const void *inner,
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
	explicit_bzero(c, size);
	explicit_bzero(digest, sizeof digest);
}

size_t crypto_sha2_hmac(const struct crypto_hmac_states *h, unsigned bits,
			const uint8_t *in, size_t n, uint8_t *mac)
{
	SHA256_CTX c256;
	SHA512_CTX c512;

	if (bits == 256)
		cs_hmac_run(&cs_SHA256, &h->i256, &h->o256, &c256,
			    sizeof c256, in, n, mac);
	else if (bits == 384)
		cs_hmac_run(&cs_SHA384, &h->i384, &h->o384, &c512,
			    sizeof c512, in, n, mac);
	else
		cs_hmac_run(&cs_SHA512, &h->i512, &h->o512, &c512,
			    sizeof c512, in, n, mac);
	return bits / 8;
}

void crypto_sha2_fingerprint(const struct crypto_hmac_states *h,
			     const uint8_t *der, size_t n, uint8_t *out)
{
	static const char label[] = "agauthd key fingerprint v1";
	uint8_t d[64];

	/* a secret's own digest would be a guessing oracle for short
	 * secrets: a MAC under it of a fixed text reveals nothing of it */
	if (h != NULL)
		crypto_sha2_hmac(h, 256, (const uint8_t *)label,
				 sizeof label - 1, d);
	else
		crypto_sha2_digest(256, der, n, d);
	memcpy(out, d, 32);
	OPENSSL_cleanse(d, sizeof d);
}

/* The low-level functions, not the one-shot SHA256(): OpenSSL 3's
 * one-shot fetches the algorithm from its provider on every call, about
 * 1 µs of every RS256 verify (bench/NOTES.md). */
size_t crypto_sha2_digest(unsigned bits, const uint8_t *in, size_t n,
			  uint8_t *out)
{
	const struct cs_sha *f = bits == 256 ? &cs_SHA256 :
				 bits == 384 ? &cs_SHA384 : &cs_SHA512;
	union {
		SHA256_CTX c256;
		SHA512_CTX c512;
	} c;

	f->init(&c);
	f->update(&c, in, n);
	f->final(out, &c);
	return f->len;
}
