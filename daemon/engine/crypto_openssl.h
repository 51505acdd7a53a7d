/*
 * crypto_openssl.h - the OpenSSL backend's key object, for the backend
 * and for tests that check where its bytes live (tests/unit/
 * test_crypto_openssl.c).  Everything else sees struct crypto_key as
 * opaque (daemon/engine/crypto.h): define CRYPTO_OPENSSL_INTERNAL to see
 * it.
 */
#ifndef AG_CRYPTO_OPENSSL_H
#define AG_CRYPTO_OPENSSL_H

#ifdef CRYPTO_OPENSSL_INTERNAL

#include <stdatomic.h>

#include <openssl/evp.h>

#include "daemon/engine/crypto.h"

struct crypto_hmac_states;   /* daemon/engine/crypto_sha2.h */

/* Contexts of one slot: RS, PS, ES x 256, 384, 512 x sign, verify. */
#define CO_CTXS (3 * 3 * 2)

/*
 * What one thread at a time uses of a key: contexts made ready once (an
 * EVP_PKEY_CTX costs more to make than an ECDSA verify) and, for RSA, a
 * copy of the key of its own: OpenSSL 3.0 takes the RSA object's write
 * lock for its blinding on every private operation, and gives a thread
 * that did not make the blinding a second one under a mutex.
 */
struct co_slot {
	atomic_int busy;             /* taken by a thread */
	EVP_PKEY *pkey;              /* slot 0 and EC: the key's own */
	EVP_PKEY_CTX *ctx[CO_CTXS];  /* made at first use */
};

struct crypto_key {
	struct crypto_hmac_states *hmac;   /* secrets, in secmem */
	EVP_PKEY *pkey;              /* RSA and EC: private bignums in the
				      * secure heap */
	int rsa;
	size_t sig_len;              /* RSA: the modulus' bytes */
	struct co_slot slot[AG_CRYPTO_SLOTS];
};

#endif
#endif
