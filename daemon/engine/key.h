/*
 * key.h - one signing or verification key: an HMAC secret or an RSA/EC key
 * from PEM, classified the way Node's crypto classifies it for
 * jsonwebtoken, with one difference: text that looks like PEM (a
 * "-----BEGIN" anywhere) is a key or an error, never a secret.
 *
 * Secrets are kept only as pre-keyed hash states (the HMAC inner and outer
 * pads already absorbed), which saves two compression blocks per token and
 * means the raw secret is not held at all.  The states, and everything
 * mbedTLS allocates for RSA and EC keys, live in locked memory left out of
 * core dumps (daemon/engine/secmem.h); everything is zeroed on free.
 */
#ifndef AG_KEY_H
#define AG_KEY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/pk.h>
#include <openssl/sha.h>

#include "shared/agerr.h"

enum key_type { KEY_SECRET, KEY_RSA, KEY_EC };
enum key_curve { KEY_CURVE_NONE, KEY_P256, KEY_P384, KEY_P521, KEY_CURVE_OTHER };
/* What the material is for: signing wants a private key, verification a
 * public one (a private key PEM works too, as in Node). */
enum key_use { KEY_USE_SIGN, KEY_USE_VERIFY };

/*
 * The hash states come from libcrypto's low-level SHA API, not mbedTLS:
 * libcrypto compresses with the CPU's SHA extensions where it has them
 * (mbedTLS 2.28 has no such path), a 4x faster HS256, and HMAC is
 * most of what verifying an HS256 token costs.  The low-level API keeps
 * each state a plain struct in memory this module owns (locked, zeroed),
 * which libcrypto's EVP interface would allocate on its own heap.
 */
struct key_hmac {
	SHA256_CTX i256, o256;
	SHA512_CTX i384, o384, i512, o512;
};

struct key {
	enum key_type type;
	int is_private;
	unsigned bits;               /* RSA modulus, EC group size, or
				      * the secret's length */
	enum key_curve curve;
	mbedtls_pk_context pk;       /* RSA and EC */
	struct key_hmac *hmac;       /* secrets */
	pthread_mutex_t *lock;       /* RSA signing sets the context's padding */
};

/* Builds a key from material: PEM text (PKCS#1, PKCS#8, SEC1, SPKI), or
 * else the bytes as an HMAC secret.  PEM text that holds no readable key,
 * a public key to sign with, RSA below AG_RSA_MIN_BITS and unusable keys
 * are refused with a reason. */
int key_load(struct key **out, const uint8_t *material, size_t n,
	     enum key_use use, struct ag_error *e);
void key_free(struct key *k);

/* The same key material (secrets, or the public half of a key pair):
 * a reload that keeps a key keeps its cache entries. */
int key_same(const struct key *a, const struct key *b);

/* HMAC of in[0..n) with SHA-256/384/512 (bits), into mac (64 bytes). */
size_t key_hmac(const struct key *k, unsigned bits, const uint8_t *in,
		size_t n, uint8_t *mac);

/* A CSPRNG for mbedTLS (getrandom), safe from any thread. */
int key_rng(void *ctx, unsigned char *out, size_t n);

#endif
