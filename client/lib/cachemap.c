/* cachemap.c - a handle's cache mapping, and verifications answered from
 * it (agauth_cache_attach, agauth_cache_lookup, agauth_cache_peek). */
#include "client/lib/cachemap.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/lib/cacheread.h"
#include "client/lib/call.h"
#include "client/lib/status.h"

struct cachemap {
	struct cacheread r;          /* the mapping, and the options last sent */
	uint64_t instance;           /* the mapped cache's */
};

/* Sends `cache` and maps the descriptor that comes with the reply: 0, or
 * -1 with *err (may be NULL). */
static int cachemap_map(struct agauth *a, struct cachemap *c,
			struct agauth_error *err)
{
	struct call_req rq = { .op = CALL_OP_CACHE };
	struct call_done d;
	enum agauth_status st;
	int fd, rc = -1;

	st = call_run(a, &rq, &d, err);
	/* taken whatever the reply said, so that no descriptor lingers */
	fd = chan_take_fd(a);
	if (st != AGAUTH_OK)
		goto out;
	if (cacheread_map(&c->r, fd, d.instance, err) != 0)
		goto out;
	c->instance = d.instance;
	rc = 0;
out:
	/* the mapping stays without it */
	if (fd >= 0)
		close(fd);
	call_done_free(&d);
	return rc;
}

int cachemap_attach(struct agauth *a, struct agauth_error *err)
{
	struct cachemap *c;

	cachemap_free(a);
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return status_set(err, AGAUTH_REFUSED, AG_E_NOMEM, NULL);
	if (cachemap_map(a, c, err) != 0) {
		free(c);
		return -1;
	}
	a->cache = c;
	return 0;
}

void cachemap_free(struct agauth *a)
{
	struct cachemap *c = a->cache;

	if (c == NULL)
		return;
	cacheread_free(&c->r);
	free(c);
	a->cache = NULL;
}

/* Maps the live daemon's cache: 0, or -1.  A blocking round trip, so
 * only with nothing in flight, and only if hello says there is one. */
static int cachemap_reattach(struct agauth *a, struct cachemap *c)
{
	struct agauth_error ignored;

	if (a->npend != 0 || call_ready(a, &ignored) != 0 ||
	    a->hello_cache == 0)
		return -1;
	return cachemap_map(a, c, NULL);
}

/* cache_lookup in the live daemon's cache, re-attaching at most once;
 * never CACHE_STALE. */
static enum cache_result cachemap_find(struct agauth *a, struct cachemap *c,
				       const char *tok, size_t len,
				       const struct vopts *o,
				       struct cache_hit *hit,
				       struct ag_error *e)
{
	struct agauth_error ignored;
	enum cache_result r;
	int again = 0;

	for (;;) {
		/* a reconnect's hello named another daemon's cache */
		if (c->r.map.h != NULL && a->fd >= 0 &&
		    a->hello_cache != c->instance)
			cache_unmap(&c->r.map);
		if (c->r.map.h == NULL) {
			if (again || cachemap_reattach(a, c) != 0)
				return CACHE_MISS;
			again = 1;
		}
		r = cacheread_lookup(&c->r, tok, len, o, hit, e);
		if (r != CACHE_STALE)
			return r;
		/* gone, or only late?  A closed connection is replaced
		 * here, and its hello names the live cache; the same one
		 * late is kept for when its heartbeat comes back */
		if (again || a->npend != 0 || call_ready(a, &ignored) != 0 ||
		    a->hello_cache == c->instance)
			return CACHE_MISS;
		cache_unmap(&c->r.map);
	}
}

int cachemap_verify(struct agauth *a, const char *token, const char *opts,
		    struct agauth_verified *out, struct agauth_error *err,
		    int peek)
{
	struct cache_hit hit;
	struct ag_error e;
	const struct vopts *o;
	enum cache_result r;
	size_t len;
	int answer;

	if (a == NULL || a->cache == NULL) {
		if (out != NULL)
			memset(out, 0, sizeof *out);
		status_ok(err);
		return AGAUTH_CACHE_MISS;
	}
	/* a peek leaves the connection, the mapping and the counts alone */
	if (peek)
		return cacheread_peek(&a->cache->r, token, opts, out, err);
	if (out != NULL)
		memset(out, 0, sizeof *out);
	status_ok(err);
	o = token != NULL ? cacheread_opts(&a->cache->r, opts) : NULL;
	if (o == NULL)
		return AGAUTH_CACHE_MISS;
	len = strlen(token);
	r = cachemap_find(a, a->cache, token, len, o, &hit, &e);
	answer = cacheread_answer(&a->cache->r, r, token, len, o, &hit, &e,
				  out, err);
	a->hits += answer == AGAUTH_CACHE_VALID ||
		   answer == AGAUTH_CACHE_REJECTED;
	return answer;
}

enum agauth_status agauth_cache_attach(agauth_t *a, struct agauth_error *err)
{
	struct agauth_error e;

	if (a == NULL) {
		status_set(err, AGAUTH_USAGE, AG_E_BAD_REQUEST,
			   "no agauth handle");
		return AGAUTH_USAGE;
	}
	if (cachemap_attach(a, &e) != 0) {
		if (err != NULL)
			*err = e;
		return e.status;
	}
	status_ok(err);
	return AGAUTH_OK;
}

int agauth_cache_lookup(agauth_t *a, const char *token, const char *opts_json,
			struct agauth_verified *out, struct agauth_error *err)
{
	struct agauth_error e;
	int r = cachemap_verify(a, token, opts_json, out, &e, 0);

	if (err != NULL)
		*err = e;
	return r;
}

int agauth_cache_peek(agauth_t *a, const char *token, const char *opts_json,
		      struct agauth_verified *out, struct agauth_error *err)
{
	struct agauth_error e;
	int r = cachemap_verify(a, token, opts_json, out, &e, 1);

	if (err != NULL)
		*err = e;
	return r;
}
