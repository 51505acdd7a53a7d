/* cache_hash.c - the cache's bucket hash (shared/cache.h), which the
 * writer in agauthd and the readers share.  A file of its own: the
 * daemon links it without the readers' lookup, whose per-thread scratch
 * (a struct jwt) would be in every one of its threads' storage. */
#include "cache.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

uint64_t cache_hash(const struct cache_header *h, const char *tok,
		    size_t len)
{
	return XXH3_64bits_withSecret(tok, len, h->secret, sizeof h->secret);
}
