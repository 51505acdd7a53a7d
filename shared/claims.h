/*
 * claims.h - jsonwebtoken's claim checks (verify steps 7-10): nbf, exp,
 * audience, issuer, subject, jwtid, nonce, maxAge, in that order, with
 * clockTolerance and clockTimestamp.  Run by the daemon after the
 * signature check and by clients on a cache hit, so both answer alike.
 */
#ifndef AG_CLAIMS_H
#define AG_CLAIMS_H

#include "agerr.h"
#include "jwt.h"
#include "vopts.h"

/* now: the wall clock in seconds (fractions allowed). */
int claims_check(const struct jwt *j, const struct vopts *o, double now,
		 struct ag_error *e);

/*
 * The text a revocation names a claim's value by: a string's characters
 * (UTF-8), a number's String().  Returns 0, or -1 if the payload has no
 * such claim of those types.
 */
int claims_text(const struct jwt *j, const char *name, struct buf *out);

#endif
