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
 *   subject  every token whose subject (claims_subject: the first of
 *            the claims revocation.subject_claims, default "sub
 *            username", the payload has) equals the value and whose iat
 *            is at or before the revocation's second (or that has no
 *            iat): every token agauthd issued before it, since sign
 *            refuses an iat later than the second it signs in
 *            (daemon/engine/sign.c) and holds a sign the revocation's
 *            own second would cover until that second is over
 *            (daemon/job.c)
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
 * the line and byte.  subjects: the subject claims, separated by one
 * space (claims_subject).  A NULL or empty
 * state_dir keeps revocations in memory only (tests, or a daemon without
 * a state directory).  Replaces whatever an earlier open loaded. */
int revoke_open(const char *state_dir, const char *subjects,
		double horizon, double now, int flags, struct ag_error *e);
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
/* revoke_add in two steps: in force at once, written and synced by
 * revoke_commit (which writes every record still waiting).  Between
 * them REVOKE_PERSISTED means "in force, its line queued".  revoke_apply
 * purges the cache in between: a purge need not wait for the disk. */
enum revoke_result revoke_add_later(enum revoke_kind k, const char *value,
				    size_t n, double now, struct ag_error *e);
enum revoke_result revoke_commit(struct ag_error *e);

/* 0, or -1 with AG_E_REVOKED if a record covers the decoded token j. */
int revoke_check(const struct jwt *j, struct ag_error *e);

/*
 * "Log out everywhere, keep this device" (docs/operations.md): tok was
 * just signed, at signed_at, for a request that came when revoke_serial()
 * was serial.  If a subject revocation made before that request covers
 * tok only because tok is dated in the revocation's own second, returns
 * the wall-clock time from which a sign again gets a later iat that it
 * does not cover (the caller signs again then); 0 otherwise: tok may go
 * out (covered or not).  Never more than AG_RESIGN_WAIT_MAX away.
 */
double revoke_resign_at(const char *tok, size_t n, uint64_t serial,
			double signed_at);
/* How many revocations were added since the start: a request that
 * remembers it can tell the ones made before it came. */
uint64_t revoke_serial(void);

/* 1 if a revocation of kind k of value, made at `at` or later, is in
 * force: another of it would change nothing (a record the fleet sends
 * again). */
int revoke_known(enum revoke_kind k, const char *value, size_t n,
		 double at);
/* Calls fn for each revocation in force that the log holds, once, with
 * its latest time; stops at the first fn that does not return 0.  0, or
 * -1 if the log could not be read or fn said so. */
typedef int (*revoke_each_fn)(void *arg, enum revoke_kind k,
			      const char *value, size_t n, double at);
int revoke_each(revoke_each_fn fn, void *arg);

/* 1 if tok is a token (a JSON payload) that has not expired: what
 * revoking it withdraws, unless it is a forgery (not checked). */
int revoke_token_live(const char *tok, size_t n, double now);

/* Drops records whose tokens have all expired; rewrites the file when
 * that frees enough of it. */
void revoke_prune(double now);
size_t revoke_count(void);
const char *revoke_kind_name(enum revoke_kind k);
/* "token", "jti", "subject" (also "sub") -> kind; -1 if none. */
int revoke_kind_parse(const char *s, size_t n);

#endif
