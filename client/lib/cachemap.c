/* cachemap.c - a handle's cache mapping, and verifications answered from
 * it (agauth_cache_attach, agauth_cache_lookup, agauth_cache_peek). */
#include "client/lib/cachemap.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/lib/call.h"
#include "client/lib/reply.h"
#include "client/lib/status.h"
#include "shared/b64url.h"
#include "shared/cache.h"
#include "shared/jwt.h"
#include "shared/vopts.h"

struct cachemap {
	struct cache_map map;        /* map.h is NULL while not mapped */
	uint64_t instance;           /* the mapped cache's */
	/* the options parsed last, vo_len bytes of text (0: none), as the
	 * daemon keeps them: a worker sends the same ones every time */
	int vo_ok;
	size_t vo_len;
	struct vopts vo;
	struct jwt *jwt;             /* complete: true; made on first use */
};

static double cachemap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sends `cache` and maps the descriptor that comes with the reply: 0, or
 * -1 with *err (may be NULL). */
static int cachemap_map(struct agauth *a, struct cachemap *c,
			struct agauth_error *err)
{
	struct call_req rq = { .op = CALL_OP_CACHE };
	struct call_done d;
	struct ag_error e;
	enum agauth_status st;
	int fd, rc = -1;

	st = call_run(a, &rq, &d, err);
	/* taken whatever the reply said, so that no descriptor lingers */
	fd = chan_take_fd(a);
	if (st != AGAUTH_OK)
		goto out;
	if (fd < 0) {
		status_set(err, AGAUTH_UNREACHABLE, AG_E_PROTOCOL,
			   "agauthd's cache reply came without its "
			   "descriptor (out of descriptors?)");
		goto out;
	}
	if (cache_map(&c->map, fd, &e) != 0) {
		status_set(err, AGAUTH_UNREACHABLE, AG_E_PROTOCOL, "%s", e.msg);
		goto out;
	}
	if (c->map.h->instance != d.instance) {
		cache_unmap(&c->map);
		status_set(err, AGAUTH_UNREACHABLE, AG_E_PROTOCOL,
			   "cache: agauthd sent another cache than it named");
		goto out;
	}
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
	cache_unmap(&c->map);
	free(c->jwt);
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
		if (c->map.h != NULL && a->fd >= 0 &&
		    a->hello_cache != c->instance)
			cache_unmap(&c->map);
		if (c->map.h == NULL) {
			if (again || cachemap_reattach(a, c) != 0)
				return CACHE_MISS;
			again = 1;
		}
		r = cache_lookup(&c->map, tok, len, o, cachemap_now(), hit, e);
		if (r != CACHE_STALE)
			return r;
		/* gone, or only late?  A closed connection is replaced
		 * here, and its hello names the live cache; the same one
		 * late is kept for when its heartbeat comes back */
		if (again || a->npend != 0 || call_ready(a, &ignored) != 0 ||
		    a->hello_cache == c->instance)
			return CACHE_MISS;
		cache_unmap(&c->map);
	}
}

/* The options text as a prepared vopts (the last one if the text is the
 * same), or NULL if it does not parse: the daemon says why. */
static const struct vopts *cachemap_opts(struct cachemap *c,
					 const char *opts)
{
	size_t n = opts != NULL ? strlen(opts) : 0;
	struct ag_error e;

	if (c->vo_ok && n == c->vo_len &&
	    (n == 0 || memcmp(c->vo.text, opts, n) == 0))
		return &c->vo;
	c->vo_ok = 0;
	if (vopts_parse(&c->vo, opts, n, &e) != 0)
		return NULL;
	c->vo_ok = 1;
	c->vo_len = n;
	return &c->vo;
}

_Static_assert(sizeof ((struct agauth_verified *)0)->kid >=
	       sizeof ((struct cache_hit *)0)->kid, "a hit's kid fits out->kid");

/* What the daemon's verify reply would carry, from the caller's token:
 * 0, or -1 (out of memory) with *out empty. */
static int cachemap_fill(struct cachemap *c, const char *tok, size_t len,
			 const struct vopts *o, const struct cache_hit *hit,
			 struct agauth_verified *out)
{
	struct ag_error e;
	long n;

	/* the cache holds tokens with an object payload only */
	out->is_json = 1;
	/* (cache_lookup ends hit->kid with a NUL) */
	memcpy(out->kid, hit->kid, sizeof hit->kid);
	out->payload = malloc(B64URL_DEC_MAX(hit->pay_len) + 1);
	if (out->payload == NULL)
		goto fail;
	n = b64url_decode_loose((uint8_t *)out->payload, tok + hit->pay_off,
				hit->pay_len);
	if (n < 0)
		goto fail;
	out->payload[n] = '\0';
	out->payload_len = (size_t)n;
	if (!o->complete)
		return 0;
	/* the header as the daemon sends it: its decode, latin1 as UTF-8 */
	if (c->jwt == NULL && (c->jwt = malloc(sizeof *c->jwt)) == NULL)
		goto fail;
	if (jwt_decode(c->jwt, tok, len, &e) != 0)
		goto fail;
	out->header = reply_dup(c->jwt->hdoc.src, c->jwt->hdoc.len);
	if (out->header == NULL)
		goto fail;
	out->header_len = c->jwt->hdoc.len;
	return 0;
fail:
	agauth_verified_free(out);
	return -1;
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

	if (out != NULL)
		memset(out, 0, sizeof *out);
	status_ok(err);
	if (a == NULL || a->cache == NULL || token == NULL)
		return AGAUTH_CACHE_MISS;
	o = cachemap_opts(a->cache, opts);
	if (o == NULL)
		return AGAUTH_CACHE_MISS;
	len = strlen(token);
	/* a peek leaves the connection, the mapping and the counts alone */
	r = peek ? cache_lookup(&a->cache->map, token, len, o, cachemap_now(),
				&hit, &e) :
		   cachemap_find(a, a->cache, token, len, o, &hit, &e);
	switch (r) {
	case CACHE_HIT:
		/* short of memory the daemon may still answer */
		if (out != NULL &&
		    cachemap_fill(a->cache, token, len, o, &hit, out) != 0)
			return AGAUTH_CACHE_MISS;
		a->hits += !peek;
		return AGAUTH_CACHE_VALID;
	case CACHE_REJECT:
		status_from(err, &e, AGAUTH_OP_VERIFY);
		a->hits += !peek;
		return AGAUTH_CACHE_REJECTED;
	case CACHE_STALE:
		return AGAUTH_CACHE_STALE;
	default:
		return AGAUTH_CACHE_MISS;
	}
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
