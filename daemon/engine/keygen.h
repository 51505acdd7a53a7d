/*
 * keygen.h - new key material: HMAC secrets from the system CSPRNG
 * (getrandom), RSA and EC private keys from the crypto backend
 * (crypto_generate), written to a file that only its owner can read.  Used by `agauthd keygen` (and so by
 * `agauthctl keygen`) and by the rotate operation.
 */
#ifndef AG_KEYGEN_H
#define AG_KEYGEN_H

#include <stddef.h>

#include "shared/agerr.h"

/* Types: hs256 hs384 hs512 rsa2048 rsa3072 rsa4096 p256 p384 p521, and
 * cluster (the fleet key). */
int keygen_valid_type(const char *type);
/* The type rotate generates for an algorithm ("ES384" -> "p384"). */
const char *keygen_type_for_alg(const char *alg);
/* The keyring encoding of a type's file: "base64" or "pem". */
const char *keygen_encoding(const char *type);

/* Writes a new key of `type` to path (mode 0600, created exclusively
 * unless force), fsynced. */
int keygen_write(const char *type, const char *path, int force,
		 struct ag_error *e);
/* Writes key file text[0..len) to path the same way (a key another host
 * of the fleet made: daemon/keyring_rotate.c). */
int keygen_save(const char *path, const unsigned char *text, size_t len,
		int force, struct ag_error *e);

#endif
