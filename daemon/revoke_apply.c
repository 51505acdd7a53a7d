/* revoke_apply.c - add, persist, purge, publish: in that order. */
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
	/* the record first, written and synced before anyone is told: a
	 * verify answered from here on refuses, and so no token it covers
	 * can go back into the cache after the purge below */
	rc = revoke_add(k, value, n, now, e);
	if (rc == REVOKE_REFUSED)
		return rc;
	/* in force though perhaps not persisted: what the cache still
	 * holds would answer for it in every client, so it goes either
	 * way */
	*purged = revoke_apply_purge(k, value, n, now);
	/* last the watchers, once the daemon itself refuses what they are
	 * told to drop: one that asks back gets the same answer */
	watch_publish(k, value, n, now, origin);
	return rc;
}
