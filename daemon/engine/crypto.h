/*
 * crypto.h - the one door to a crypto library.  Everything the engine
 * asks of one goes through here: a key from material (an HMAC secret, or
 * PEM text), HMAC, sign, verify, generate, export a public key (as PEM,
 * or as the numbers a JWK carries), compare material, free; and
 * AES-256-GCM, which wraps keys sent across the fleet.  Nothing else in agauthd includes a crypto library's
 * header; a backend is one file, chosen at build time: crypto_openssl.c
 * (the default: libcrypto 3 through EVP) or crypto_mbedtls.c (make
 * CRYPTO=mbedtls: mbedTLS 2.28).  Both take HMAC and digests from
 * crypto_sha2.c (libcrypto's low-level SHA-2).
 *
 * The contract a backend keeps (tests/unit/test_crypto.c checks it, and
 * a second backend must pass it unchanged):
 *   - a key is parsed once, at load, into a ready object; after that it
 *     is only read, from any number of threads at once;
 *   - everything a key holds, and every temporary of an operation that
 *     holds key bytes, is in locked memory left out of core dumps (secmem,
 *     daemon/engine/secmem.h, or the backend's own secure heap, counted by
 *     crypto_locked_in_use) and zeroed when dropped;
 *   - no lock is taken per sign or verify that makes threads wait on
 *     each other (tests/unit/test_crypto.c signs and verifies one key from
 *     several threads at once);
 *   - no error text carries a key byte: calls return 0 or -1, and the
 *     engine words the error.
 * Signatures are raw bytes in JWS form: RSA as wide as the modulus, ES as
 * r||s of fixed width (crypto_sig_len); base64url is the engine's.
 */
#ifndef AG_CRYPTO_H
#define AG_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "shared/algs.h"
#include "shared/limits.h"

/* The widest signature: an RSA modulus of AG_RSA_MAX_BITS. */
#define CRYPTO_SIG_MAX (AG_RSA_MAX_BITS / 8)
/* The widest HMAC (SHA-512). */
#define CRYPTO_MAC_MAX 64

/* A key ready to use; what it is lives in the backend. */
struct crypto_key;

/* What PEM material turned out to be. */
struct crypto_info {
	enum alg_keytype type;       /* ALG_KEY_RSA or ALG_KEY_EC */
	int is_private;
	unsigned bits;               /* RSA modulus or EC group size */
	enum alg_curve curve;        /* EC */
};

/*
 * Readies the backend before the first key is loaded: locked memory for
 * up to `keys` private keys used by `threads` crypto threads at once
 * (the OpenSSL backend's secure heap, crypto_secure_size bytes).  agauthd
 * calls it at start while it is still root, whom RLIMIT_MEMLOCK does not
 * bind; anything else that loads a key gets it with a default size.
 * 0; 1 when the memory is there but could not be locked (RLIMIT_MEMLOCK:
 * it is still left out of core dumps and zeroed on free); -1 when it is
 * not there, or was readied already with another size.
 */
int crypto_init(unsigned keys, unsigned threads);
/* The bytes crypto_init(keys, threads) locks (0: none of its own). */
size_t crypto_secure_size(unsigned keys, unsigned threads);
/* Bytes of locked memory keys hold now: secmem's and the backend's. */
size_t crypto_locked_in_use(void);

/* n bytes from a cryptographically secure generator (the system's, or
 * one it seeds); 0, or -1 if it failed. */
int crypto_random(void *out, size_t n);

/* An HMAC key from the secret s[0..n) (n <= AG_SECRET_MAX); -1 when
 * locked memory is full. */
int crypto_secret_load(struct crypto_key **out, const uint8_t *s, size_t n);
/* A key from PEM text m[0..n): a private key (PKCS#1, PKCS#8, SEC1), or
 * else a public one (SPKI, PKCS#1); *info says which and what.  -1 if
 * the text holds no key the backend reads, or memory is short. */
int crypto_pem_load(struct crypto_key **out, const uint8_t *m, size_t n,
		    struct crypto_info *info);
/* Zeroes and frees everything the key holds; NULL is a no-op. */
void crypto_key_free(struct crypto_key *k);

/* The same material: the same secret, or the same public key (the two
 * halves of one key pair are the same).  Keys of different kinds are
 * not. */
int crypto_same(const struct crypto_key *a, const struct crypto_key *b);

/* HMAC-SHA-<bits> of in[0..n) under a secret key into mac
 * (CRYPTO_MAC_MAX bytes); returns the MAC's length. */
size_t crypto_hmac(const struct crypto_key *k, unsigned bits,
		   const uint8_t *in, size_t n, uint8_t *mac);

/* The length of a's signatures with k (RS/PS: the modulus, ES: 2 r/s
 * widths), at most CRYPTO_SIG_MAX. */
size_t crypto_sig_len(const struct crypto_key *k, const struct alg *a);
/* Signs in[0..n) with the private key k under a (RS, PS or ES) into
 * sig (crypto_sig_len bytes).  0, or -1. */
int crypto_sign(const struct crypto_key *k, const struct alg *a,
		const uint8_t *in, size_t n, uint8_t *sig);
/* 0 if sig[0..slen) is a valid signature of in[0..n) under k with a
 * (RS, PS or ES); -1 otherwise, a signature of the wrong length
 * included. */
int crypto_verify(const struct crypto_key *k, const struct alg *a,
		  const uint8_t *in, size_t n, const uint8_t *sig,
		  size_t slen);

/* A new private key as PEM text into out[0..cap), *len its length:
 * RSA of rsa_bits bits (type ALG_KEY_RSA), or EC on curve (ALG_KEY_EC).
 * scratch: AG_KEY_MAX bytes of locked memory, left dirty (the caller
 * frees it, which zeroes it).  0, or -1. */
int crypto_generate(enum alg_keytype type, unsigned rsa_bits,
		    enum alg_curve curve, uint8_t *out, size_t cap,
		    size_t *len, uint8_t *scratch);

/* What tells keys apart without giving them away, the same on every
 * host that holds the key: SHA-256 of the public key (DER SPKI, as
 * `openssl pkey -pubout -outform DER | sha256sum`) of an RSA or EC key;
 * for a secret, HMAC-SHA-256 under it of "agauthd key fingerprint v1".
 * 0, or -1. */
#define CRYPTO_FINGERPRINT_LEN 32
int crypto_fingerprint(const struct crypto_key *k,
		       uint8_t out[CRYPTO_FINGERPRINT_LEN]);

/*
 * AES-256-GCM (NIST SP 800-38D) with a 96-bit nonce and a 128-bit tag:
 * how a key travels to the other hosts of a fleet (daemon/cluster.h).
 * key: 32 bytes (the caller's, in locked memory); the cipher's state
 * lives in locked memory while it runs and is zeroed after.
 * CRYPTO_SEAL: in[0..n) to out[0..n), and its tag into tag.
 * CRYPTO_OPEN: in[0..n) to out[0..n) if tag authenticates in and aad
 * under key and nonce; else -1, and out holds nothing (zeroed).  out may
 * not overlap in.  0, or -1.
 */
#define CRYPTO_AEAD_KEY   32
#define CRYPTO_AEAD_NONCE 12
#define CRYPTO_AEAD_TAG   16
enum crypto_aead_dir { CRYPTO_OPEN, CRYPTO_SEAL };
int crypto_aead(enum crypto_aead_dir dir, const uint8_t key[CRYPTO_AEAD_KEY],
		const uint8_t nonce[CRYPTO_AEAD_NONCE], const uint8_t *aad,
		size_t alen, const uint8_t *in, size_t n, uint8_t *out,
		uint8_t tag[CRYPTO_AEAD_TAG]);

/* The public half of an RSA or EC key as PEM text (SPKI) into
 * out[0..cap), NUL-terminated, *len without the NUL.  0, or -1. */
int crypto_public_pem(const struct crypto_key *k, char *out, size_t cap,
		      size_t *len);

/* The public numbers of an RSA or EC key, as a JWK carries them (RFC
 * 7518 6.2.1, 6.3.1), big-endian: RSA's modulus n and exponent e with no
 * leading zero bytes; EC's x and y each as wide as the curve's field
 * (P-521: 66 bytes).  Public values: ordinary memory. */
struct crypto_public {
	uint8_t a[CRYPTO_SIG_MAX];   /* n, or x */
	uint8_t b[CRYPTO_SIG_MAX];   /* e, or y */
	size_t alen, blen;
};
/* k's numbers into *p.  0, or -1 (a secret, or the backend failed). */
int crypto_public_numbers(const struct crypto_key *k,
			  struct crypto_public *p);

#endif
