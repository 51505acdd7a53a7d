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

#include "daemon/engine/crypto.h"

struct crypto_hmac_states;   /* daemon/engine/crypto_sha2.h */

struct crypto_key {
	int secret;                  /* hmac, else pk */
	mbedtls_pk_context pk;       /* RSA and EC */
	struct crypto_hmac_states *hmac;   /* secrets (crypto_sha2.h), in secmem */
	pthread_mutex_t *lock;       /* RSA signing sets the context's padding */
};

#endif
#endif
