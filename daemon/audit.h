/*
 * audit.h - the audit trail: who signed, revoked, rotated and reloaded,
 * logged at info as one line each,
 *
 *   audit: sign uid=1000 pid=4242 kid="hs1" sub="alice" jti="j-1"
 *   audit: revoke subject uid=0 pid=77 sub="alice" purged=3
 *
 * and each verify refused, at debug, rate-limited, with its reason:
 *
 *   audit: verify refused uid=1000 pid=4242 kid="hs1" sub="alice"
 *          jti="j-1": jwt revoked
 *
 * so that "why was this user logged out?" is a grep for sub="alice".
 * Values are JSON strings (a name cannot forge a line), cut at
 * AG_AUDIT_VALUE_MAX bytes, "-" where a token has no such claim.  A
 * token is named by its claims, never by its bytes or its signature,
 * and no key byte is ever written.
 */
#ifndef AG_AUDIT_H
#define AG_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/conn.h"
#include "daemon/keyring.h"
#include "daemon/revoke.h"
#include "shared/agerr.h"
#include "shared/jwt.h"

/* A token signed with k (t: the token decoded, or NULL if it could not
 * be). */
void audit_sign(const struct conn *c, const struct kr_key *k,
		const struct jwt *t);
/* A revocation of kind k by value[0..n) (a token's own claims are logged,
 * not the token), in force with purged cache entries removed; live says
 * whether it withdrew a live token agauthd knew of, saved whether it
 * reached the state directory (and the fleet's outbox). */
void audit_revoke(const struct conn *c, enum revoke_kind k,
		  const char *value, size_t n, size_t purged, int live,
		  int saved);
/* A rotation that made kid the primary (NULL: refused, e says why). */
void audit_rotate(const struct conn *c, const char *kid,
		  const struct ag_error *e);
/* A reload asked by c: the generation live after it (e: refused). */
void audit_reload(const struct conn *c, uint64_t generation,
		  const struct ag_error *e);
/* A verify of tok[0..n) refused for e (only at debug: decoding the token
 * again for its claims costs nothing otherwise). */
void audit_refused(const struct conn *c, const char *tok, size_t n,
		   const struct ag_error *e);

#endif
