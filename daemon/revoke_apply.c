/* revoke_apply.c - add, purge, publish, persist: in that order. */
#include "daemon/revoke_apply.h"

#include <math.h>

#include "daemon/cachew.h"
#include "daemon/watch.h"

/* The cache entries the record covers. */
static size_t revoke_apply_purge(enum revoke_kind k, const char *v, size_t n,
				 double now)
{
	switch (k) {
	case REVOKE_TOKEN:
		return cachew_purge_token(v, n);
	case REVOKE_JTI:
		return cachew_purge_jti(v, n);
	default:
		/* tokens issued up to the revocation's second */
		return cachew_purge_subject(v, n, floor(now));
	}
}

enum revoke_result revoke_apply(enum revoke_kind k, const char *value,
				size_t n, double now, const char *origin,
				size_t *purged, struct ag_error *e)
{
	enum revoke_result rc;

	*purged = 0;
	/* the record first, in force before anyone is told: a verify
	 * answered from here on refuses, and so no token it covers can go
	 * back into the cache after the purge below */
	rc = revoke_add_later(k, value, n, now, e);
	if (rc == REVOKE_REFUSED)
		return rc;
	/* in force though perhaps not persisted: what the cache still
	 * holds would answer for it in every client, so it goes either
	 * way, and without waiting for the disk (for a record of the
	 * fleet, that wait would be the most of its way to this cache) */
	*purged = revoke_apply_purge(k, value, n, now);
	/* then the watchers, once the daemon itself refuses what they are
	 * told to drop: one that asks back gets the same answer */
	watch_publish(k, value, n, now, origin);
	/* last the disk, before anyone is answered: written and synced */
	return rc == REVOKE_PERSISTED ? revoke_commit(e) : rc;
}
