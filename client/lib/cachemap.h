/*
 * cachemap.h - libagauth's side of agauthd's verified-token cache: the
 * mapping a handle holds (shared/cache.c reads it), the options it last
 * prepared, and turning a cache answer into what agauth_verify returns.
 */
#ifndef AGAUTH_CACHEMAP_H
#define AGAUTH_CACHEMAP_H

#include "client/lib/agauth.h"
#include "client/lib/chan.h"

/* Asks for the cache and maps it into a->cache (replacing any mapping):
 * 0, or -1 with *err; the handle then has no cache. */
int cachemap_attach(struct agauth *a, struct agauth_error *err);
/* Lets the mapping go (a->cache is NULL after). */
void cachemap_free(struct agauth *a);

/*
 * The cache's answer for token (enum agauth_cache_answer): VALID with
 * *out filled (out may be NULL), REJECTED with *err, or MISS.  Counts
 * hits in the handle; re-attaches at most once when the mapped daemon is
 * gone.  With peek set it only reads the mapping: no request, no
 * re-attach, no count, and STALE when the mapped daemon is gone.
 */
int cachemap_verify(struct agauth *a, const char *token, const char *opts,
		    struct agauth_verified *out, struct agauth_error *err,
		    int peek);

#endif
