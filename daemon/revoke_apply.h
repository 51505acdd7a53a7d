/*
 * revoke_apply.h - a revocation applied everywhere it must be, in one
 * place: the store (daemon/revoke.h) puts the record in force, the
 * shared-memory cache drops what it covers, the watchers hear of it, and
 * the store writes and syncs the record, before anyone is answered.  The
 * revoke op calls it for a client; the fleet (daemon/cluster.h) calls it
 * for a record another host made.  Holding the answer (daemon/hold.h) is
 * the caller's: it is about a reply, and a replicated revocation has
 * none.
 *
 * Loop thread only.
 */
#ifndef AG_REVOKE_APPLY_H
#define AG_REVOKE_APPLY_H

#include <stddef.h>

#include "daemon/revoke.h"
#include "shared/agerr.h"

/* Revokes value[0..n) of kind k at now.  REVOKE_REFUSED changes nothing;
 * otherwise the record is in force, *purged cache entries went and the
 * watchers were told (with origin, the host it was made on, if not NULL),
 * and REVOKE_IN_FORCE_NOT_PERSISTED says (in *e) that the log could not
 * take it. */
enum revoke_result revoke_apply(enum revoke_kind k, const char *value,
				size_t n, double now, const char *origin,
				size_t *purged, struct ag_error *e);

#endif
