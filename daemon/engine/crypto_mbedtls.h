/*
 * crypto_mbedtls.h - the mbedTLS backend's key object, for the backend
 * and for tests that check where its bytes live (tests/unit/
 * test_secmem.c).  Everything else sees struct crypto_key as opaque
 * (daemon/engine/crypto.h): define CRYPTO_MBEDTLS_INTERNAL to see it.
 */
#ifndef AG_CRYPTO_MBEDTLS_H
#define AG_CRYPTO_MBEDTLS_H

#ifdef CRYPTO_MBEDTLS_INTERNAL

#include <pthread.h>

#include <mbedtls/pk.h>
#include <openssl/sha.h>

#include "daemon/engine/crypto.h"

/*
 * The hash states come from libcrypto's low-level SHA API, not mbedTLS:
 * libcrypto compresses with the CPU's SHA extensions where it has them
 * (mbedTLS 2.28 has no such path), a 4x faster HS256, and HMAC is
 * most of what verifying an HS256 token costs.  The low-level API keeps
 * each state a plain struct in memory this module owns (locked, zeroed),
 * which libcrypto's EVP interface would allocate on its own heap.
 * Secrets are kept only as these pre-keyed states (the HMAC inner and
 * outer pads already absorbed), which saves two compression blocks per
 * token and means the raw secret is not held at all.
 */
struct crypto_hmac_states {
	SHA256_CTX i256, o256;
	SHA512_CTX i384, o384, i512, o512;
};

struct crypto_key {
	int secret;                  /* hmac, else pk */
	mbedtls_pk_context pk;       /* RSA and EC */
	struct crypto_hmac_states *hmac;   /* secrets, in secmem */
	pthread_mutex_t *lock;       /* RSA signing sets the context's padding */
};

#endif
#endif
