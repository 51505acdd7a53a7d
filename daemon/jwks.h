/*
 * jwks.h - the JWK Set (RFC 7517) of the public halves of the RS, PS and
 * ES keys that verify now (primary and verify-only, not retired): what
 * another service needs to check agauthd's tokens itself (the jwks op,
 * docs/protocol.md).  Each key is {kty, kid, alg, use: "sig"} and n, e
 * (RSA) or crv, x, y (EC), and nothing else.
 */
#ifndef AG_JWKS_H
#define AG_JWKS_H

#include "daemon/keyring.h"
#include "shared/buf.h"

/* {"keys":[...]} of kr's keys usable at now, as JSON text into out.
 * 0, or -1 with *e if a key's numbers cannot be had or the text does
 * not fit out. */
int jwks_render(const struct keyring *kr, double now, struct buf *out,
		struct ag_error *e);

#endif
