/*
 * crypto_sha2.h - what both crypto backends (crypto_openssl.c,
 * crypto_mbedtls.c) take from libcrypto's low-level SHA-2: HMAC from
 * pre-keyed states, and the digest a signature is made over.  For the
 * backends and for tests that check where the states live (tests/unit/
 * test_crypto_*.c); define CRYPTO_SHA2_INTERNAL to see them.
 *
 * The low-level API, not EVP: libcrypto compresses with the CPU's SHA
 * extensions where it has them (mbedTLS 2.28 has no such path, a 4x
 * slower HS256), and each state is a plain struct in memory this module
 * owns (locked, zeroed), which EVP would allocate on its own heap and
 * reach through a provider on every call.  Secrets are kept only as these
 * pre-keyed states (the HMAC inner and outer pads already absorbed),
 * which saves two compression blocks per token and means the raw secret
 * is not held at all.
 */
#ifndef AG_CRYPTO_SHA2_H
#define AG_CRYPTO_SHA2_H

#ifdef CRYPTO_SHA2_INTERNAL

#include <stddef.h>
#include <stdint.h>

#include <openssl/sha.h>

struct crypto_hmac_states {
	SHA256_CTX i256, o256;
	SHA512_CTX i384, o384, i512, o512;
};

/* The states of the secret s[0..n), in secmem; NULL when it is full. */
struct crypto_hmac_states *crypto_sha2_hmac_new(const uint8_t *s, size_t n);
/* Zeroes and frees them (secmem does); NULL is a no-op. */
void crypto_sha2_hmac_free(struct crypto_hmac_states *h);
/* The same secret: pre-keyed states are a function of it alone. */
int crypto_sha2_hmac_same(const struct crypto_hmac_states *a,
			  const struct crypto_hmac_states *b);
/* HMAC-SHA-<bits> of in[0..n) into mac; returns its length. */
size_t crypto_sha2_hmac(const struct crypto_hmac_states *h, unsigned bits,
			const uint8_t *in, size_t n, uint8_t *mac);
/* crypto_fingerprint's 32 bytes (crypto.h), the same in every backend: a
 * secret's (h) MAC of a fixed text, or the SHA-256 of a public key's
 * DER SPKI der[0..n) (h NULL). */
void crypto_sha2_fingerprint(const struct crypto_hmac_states *h,
			     const uint8_t *der, size_t n, uint8_t *out);
/* SHA-<bits> of in[0..n) into out (64 bytes); returns its length. */
size_t crypto_sha2_digest(unsigned bits, const uint8_t *in, size_t n,
			  uint8_t *out);

#endif
#endif
