/*
 * verify.h - jsonwebtoken 9's verify(): the same checks, in the same
 * order, with the same errors.  The key may be NULL (jsonwebtoken's
 * `verify(token, null, {algorithms: ['none']})`).
 */
#ifndef AG_VERIFY_H
#define AG_VERIFY_H

#include "shared/agerr.h"
#include "shared/jwt.h"
#include "daemon/engine/key.h"
#include "shared/vopts.h"

/* Fills *j (header, payload) on success.  now: seconds since the epoch. */
int verify_token(const struct key *k, const char *token, size_t len,
		 const struct vopts *o, double now, struct jwt *j,
		 struct ag_error *e);

/* The same for a token already taken apart with jwt_decode (after the
 * options' early checks): a keyring tries several keys on one decode. */
int verify_decoded(const struct key *k, const struct jwt *j,
		   const struct vopts *o, double now, struct ag_error *e);

#endif
