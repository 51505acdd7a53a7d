/*
 * jws.h - JWS signatures as jwa makes them for jsonwebtoken, for the
 * algorithms of shared/algs.h.  Signatures are base64url; ECDSA
 * signatures are raw r||s of fixed width; PS uses a salt as long as the
 * digest; HMACs compare in constant time.  The crypto itself is the
 * backend's (daemon/engine/crypto.h).
 */
#ifndef AG_JWS_H
#define AG_JWS_H

#include <stddef.h>
#include <stdint.h>

#include "shared/agerr.h"
#include "shared/algs.h"
#include "shared/buf.h"
#include "daemon/engine/key.h"

/* jwa's TypeError for an unknown algorithm name. */
int jws_alg_unknown(struct ag_error *e, const char *name, size_t n);

/* validateAsymmetricKey: an RSA key takes RS and PS, an EC key ES on its
 * own curve.  Secrets pass (their checks come earlier). */
int jws_key_fits(const struct key *k, const char *alg, struct ag_error *e);

/* Appends the base64url signature of in[0..n) to out. */
int jws_sign(const struct key *k, const struct alg *a, const uint8_t *in,
	     size_t n, struct buf *out, struct ag_error *e);
/* 0 if sig (base64url) is a valid signature of in under k; otherwise -1
 * with "invalid signature" or jwa's TypeError for an ECDSA signature of
 * the wrong length. */
int jws_verify(const struct key *k, const struct alg *a,
	       const uint8_t *in, size_t n, const char *sig, size_t siglen,
	       struct ag_error *e);

/* 1 if a[0..n) equals b[0..n), in a time that does not say where they
 * differ (MACs: the HS signatures here, the fleet's records). */
int jws_ct_eq(const char *a, const char *b, size_t n);

#endif
