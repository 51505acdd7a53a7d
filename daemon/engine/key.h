/*
 * key.h - one signing or verification key: an HMAC secret or an RSA/EC key
 * from PEM, classified the way Node's crypto classifies it for
 * jsonwebtoken, with one difference: text that looks like PEM (a
 * "-----BEGIN" anywhere) is a key or an error, never a secret.
 *
 * The material itself is the crypto backend's (daemon/engine/crypto.h),
 * in locked memory left out of core dumps (daemon/engine/secmem.h) and
 * zeroed on free; this module decides what material is and words why it
 * is refused.
 */
#ifndef AG_KEY_H
#define AG_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "shared/agerr.h"
#include "shared/algs.h"
#include "daemon/engine/crypto.h"

/* What the material is for: signing wants a private key, verification a
 * public one (a private key PEM works too, as in Node). */
enum key_use { KEY_USE_SIGN, KEY_USE_VERIFY };

struct key {
	enum alg_keytype type;       /* ALG_KEY_SECRET, _RSA or _EC */
	int is_private;
	unsigned bits;               /* RSA modulus, EC group size, or
				      * the secret's length */
	enum alg_curve curve;
	struct crypto_key *ck;       /* the material, ready to use */
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

/* The key's fingerprint as text into out (KEY_FINGERPRINT_MAX bytes):
 * "SHA256:" and the base64url of crypto_fingerprint for an RSA or EC key,
 * "HMAC-SHA256:" and likewise for a secret.  "" if it cannot be made. */
#define KEY_FINGERPRINT_MAX 64
void key_fingerprint(const struct key *k, char out[KEY_FINGERPRINT_MAX]);

/* n random bytes (crypto_random), in the shape of an mbedTLS f_rng: 0,
 * or -1 if the system CSPRNG failed.  Safe from any thread. */
int key_rng(void *ctx, unsigned char *out, size_t n);

#endif
