/*
 * revoke.h - revoked tokens, token ids and subjects (docs/operations.md,
 * "Revocation").  Held in memory for the check on every verify, and
 * persisted as an append-only log in the state directory: each record is
 * written and fsync'd before the revoke is answered, survives restarts,
 * and is pruned once every token it covers has expired.
 *
 * Kinds:
 *   token    the exact token; pruned at its exp (kept if it has none)
 *   jti      every token whose jti claim equals the value
 *   subject  every token whose subject claim (config: revocation.claim,
 *            default "sub") equals the value and whose iat is at or
 *            before the revocation's second (or that has no iat): every
 *            token agauthd issued before it, since sign refuses an iat
 *            later than the second it signs in (daemon/engine/sign.c)
 * jti and subject records are pruned `horizon` seconds after they were
 * made (config: revocation.horizon, default the default token lifetime).
 *
 * Loop thread only.
 */
#ifndef AG_REVOKE_H
#define AG_REVOKE_H

#include <stddef.h>

#include "shared/agerr.h"
#include "shared/jwt.h"

enum revoke_kind { REVOKE_TOKEN, REVOKE_JTI, REVOKE_SUBJECT };

/* revoke_open's flags */
#define REVOKE_CHECK 1    /* read and check only (agauthd -t): nothing is
			   * made, cut, mended or compacted, nothing stays
			   * open, and a log not there yet is no error */

/* Loads (and compacts) state_dir/revocations, whose directory must exist
 * (statedir_lock makes it).  An incomplete last record from a crash is
 * cut off and logged; any record that does not check out refuses, naming
 * the line and byte.  claim: the subject claim's name.  A NULL or empty
 * state_dir keeps revocations in memory only (tests, or a daemon without
 * a state directory).  Replaces whatever an earlier open loaded. */
int revoke_open(const char *state_dir, const char *claim, double horizon,
		double now, int flags, struct ag_error *e);
void revoke_close(void);

/* What became of a revocation, told by the store that knows: a caller
 * never guesses it from an error code. */
enum revoke_result {
	REVOKE_PERSISTED = 0,          /* in force, and written and synced
					* (in memory only: with no state
					* directory, in force is all) */
	REVOKE_IN_FORCE_NOT_PERSISTED, /* in force; *e (AG_E_STATE) says why
					* it is not on disk */
	REVOKE_REFUSED,                /* not in force; *e says why */
};

/*
 * Revokes.  A record not persisted is in force all the same, and is
 * written with the next one that succeeds, unless AG_REVOKE_PENDING_MAX
 * bytes of records already wait: then it holds until restart only.
 * Nothing already on disk is lost by a failed write.  The store only:
 * revoke_apply (daemon/revoke_apply.h) also purges the cache and tells
 * the watchers.
 */
enum revoke_result revoke_add(enum revoke_kind k, const char *value,
			      size_t n, double now, struct ag_error *e);

/* 0, or -1 with AG_E_REVOKED if a record covers the decoded token j. */
int revoke_check(const struct jwt *j, struct ag_error *e);

/* Drops records whose tokens have all expired; rewrites the file when
 * that frees enough of it. */
void revoke_prune(double now);
size_t revoke_count(void);
const char *revoke_kind_name(enum revoke_kind k);
/* "token", "jti", "subject" (also "sub") -> kind; -1 if none. */
int revoke_kind_parse(const char *s, size_t n);

#endif
