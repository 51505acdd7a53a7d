/*
 * cacheread.h - reading agauthd's cache once it is mapped, for every
 * reader: the options a worker last sent, prepared once (it sends the
 * same ones every time), and a cache answer turned into what a verify
 * reply would have carried.  libagauth's handles (cachemap.c) and the
 * Node addon, which maps the cache without libagauth's protocol, both
 * read through it.
 */
#ifndef AGAUTH_CACHEREAD_H
#define AGAUTH_CACHEREAD_H

#include <stddef.h>
#include <stdint.h>

#include "client/lib/agauth.h"
#include "shared/cache.h"
#include "shared/vopts.h"

struct jwt;

struct cacheread {
	struct cache_map map;        /* map.h is NULL while not mapped */
	/* the options parsed last, vo_len bytes of text (0: none) */
	int vo_ok;
	size_t vo_len;
	struct vopts vo;
	struct jwt *jwt;             /* complete: true; made on first use */
};

/* Maps the cache fd (which the caller still closes), replacing any
 * mapping, if it is the cache `instance` agauthd named: 0, or -1 with
 * *err (may be NULL) and nothing mapped. */
int cacheread_map(struct cacheread *c, int fd, uint64_t instance,
		  struct agauth_error *err);

/* The options text as prepared vopts (the last ones if the text is the
 * same), or NULL if it does not parse: the daemon says why. */
const struct vopts *cacheread_opts(struct cacheread *c, const char *opts);

/* cache_lookup in c's mapping at the time now. */
enum cache_result cacheread_lookup(const struct cacheread *c, const char *tok,
				   size_t len, const struct vopts *o,
				   struct cache_hit *hit, struct ag_error *e);

/*
 * Answer r of the cache for tok (enum agauth_cache_answer): VALID with
 * *out filled (out may be NULL; MISS if it cannot be, short of memory),
 * REJECTED with *err made of *e, STALE, or MISS.
 */
int cacheread_answer(struct cacheread *c, enum cache_result r,
		     const char *tok, size_t len, const struct vopts *o,
		     const struct cache_hit *hit, const struct ag_error *e,
		     struct agauth_verified *out, struct agauth_error *err);

/* Options, lookup and answer in one: reads the mapping and nothing else
 * (*out and *err are cleared first; either may be NULL). */
int cacheread_peek(struct cacheread *c, const char *token, const char *opts,
		   struct agauth_verified *out, struct agauth_error *err);

/* Unmaps and lets the prepared state go; c can be mapped again. */
void cacheread_free(struct cacheread *c);

#endif
