/*
 * claims.h - jsonwebtoken's claim checks (verify steps 7-10): nbf, exp,
 * audience, issuer, subject, jwtid, nonce, maxAge, in that order, with
 * clockTolerance and clockTimestamp.  Run by the daemon after the
 * signature check and by clients on a cache hit, so both answer alike.
 */
#ifndef AG_CLAIMS_H
#define AG_CLAIMS_H

#include "shared/agerr.h"
#include "shared/algs.h"
#include "shared/jwt.h"
#include "shared/vopts.h"

/* now: the wall clock in seconds (fractions allowed). */
int claims_check(const struct jwt *j, const struct vopts *o, double now,
		 struct ag_error *e);

/* The time claims alone (nbf, exp, iat): what a cache entry carries. */
enum { CLAIMS_ABSENT = 0, CLAIMS_NUMBER = 1, CLAIMS_OTHER = -1 };
struct claims_times {
	signed char nbf, exp, iat;
	double vnbf, vexp, viat;
};
void claims_times_get(const struct jwt *j, struct claims_times *t);
/* claims_check for options whose checks need no more than the time
 * claims (vopts.fast): nbf, exp, then maxAge. */
int claims_check_times(const struct claims_times *t, const struct vopts *o,
		       double now, struct ag_error *e);

/*
 * jsonwebtoken's options.algorithms check: header.alg must be listed,
 * or, when the option is falsy, be one of the defaults jsonwebtoken
 * picks by key type: the algorithms of shared/algs.h that take `key`
 * (ALG_KEY_NONE for no key: none).
 */
int claims_alg_listed(const struct jwt *j, const struct vopts *o,
		      enum alg_keytype key, struct ag_error *e);

/*
 * The text a revocation names a claim's value by: a string's characters
 * (UTF-8), a number's String().  Returns 0, or -1 if the payload has no
 * such claim of those types.
 */
int claims_text(const struct jwt *j, const char *name, struct buf *out);

/*
 * A token's subject, as revocation knows it (docs/operations.md,
 * "Revocation"): the text (claims_text) of the first claim among names,
 * names separated by one space ("sub username"), that the payload has as
 * a string or a number whose text out has room for.  One definition for
 * every side that matches subjects: the revocation check and the cache's
 * purge.  Returns 0, or -1 if none of them is there.
 */
int claims_subject(const struct jwt *j, const char *names, struct buf *out);

#endif
