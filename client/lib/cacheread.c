/* cacheread.c - options, lookups and answers of a mapped cache. */
#include "client/lib/cacheread.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/lib/status.h"
#include "shared/b64url.h"
#include "shared/jwt.h"

int cacheread_map(struct cacheread *c, int fd, uint64_t instance,
		  struct agauth_error *err)
{
	struct ag_error e;

	cache_unmap(&c->map);
	if (fd < 0)
		return status_set(err, AGAUTH_UNREACHABLE, AG_E_PROTOCOL,
				  "agauthd's cache reply came without its "
				  "descriptor (out of descriptors?)");
	if (cache_map(&c->map, fd, &e) != 0)
		return status_set(err, AGAUTH_UNREACHABLE, AG_E_PROTOCOL,
				  "%s", e.msg);
	/* the descriptor must be the cache hello and the reply named */
	if (c->map.h->instance != instance) {
		cache_unmap(&c->map);
		return status_set(err, AGAUTH_UNREACHABLE, AG_E_PROTOCOL,
				  "cache: agauthd sent another cache than "
				  "it named");
	}
	return 0;
}

const struct vopts *cacheread_opts(struct cacheread *c, const char *opts)
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

enum cache_result cacheread_lookup(const struct cacheread *c, const char *tok,
				   size_t len, const struct vopts *o,
				   struct cache_hit *hit, struct ag_error *e)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return cache_lookup(&c->map, tok, len, o,
			    (double)ts.tv_sec + ts.tv_nsec / 1e9, hit, e);
}

_Static_assert(sizeof ((struct agauth_verified *)0)->kid >=
	       sizeof ((struct cache_hit *)0)->kid, "a hit's kid fits out->kid");

/* What the daemon's verify reply would carry, from the caller's token:
 * 0, or -1 (out of memory) with *out empty. */
static int cacheread_fill(struct cacheread *c, const char *tok, size_t len,
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
	out->header = malloc(c->jwt->hdoc.len + 1);
	if (out->header == NULL)
		goto fail;
	memcpy(out->header, c->jwt->hdoc.src, c->jwt->hdoc.len);
	out->header[c->jwt->hdoc.len] = '\0';
	out->header_len = c->jwt->hdoc.len;
	return 0;
fail:
	agauth_verified_free(out);
	return -1;
}

int cacheread_answer(struct cacheread *c, enum cache_result r,
		     const char *tok, size_t len, const struct vopts *o,
		     const struct cache_hit *hit, const struct ag_error *e,
		     struct agauth_verified *out, struct agauth_error *err)
{
	switch (r) {
	case CACHE_HIT:
		/* short of memory the daemon may still answer */
		if (out != NULL && cacheread_fill(c, tok, len, o, hit, out) != 0)
			return AGAUTH_CACHE_MISS;
		return AGAUTH_CACHE_VALID;
	case CACHE_REJECT:
		status_from(err, e, AGAUTH_OP_VERIFY);
		return AGAUTH_CACHE_REJECTED;
	case CACHE_STALE:
		return AGAUTH_CACHE_STALE;
	default:
		return AGAUTH_CACHE_MISS;
	}
}

int cacheread_peek(struct cacheread *c, const char *token, const char *opts,
		   struct agauth_verified *out, struct agauth_error *err)
{
	struct cache_hit hit;
	struct ag_error e;
	const struct vopts *o;
	enum cache_result r;
	size_t len;

	if (out != NULL)
		memset(out, 0, sizeof *out);
	status_ok(err);
	if (token == NULL)
		return AGAUTH_CACHE_MISS;
	o = cacheread_opts(c, opts);
	if (o == NULL)
		return AGAUTH_CACHE_MISS;
	len = strlen(token);
	r = cacheread_lookup(c, token, len, o, &hit, &e);
	return cacheread_answer(c, r, token, len, o, &hit, &e, out, err);
}

void cacheread_free(struct cacheread *c)
{
	cache_unmap(&c->map);
	free(c->jwt);
	c->jwt = NULL;
	c->vo_ok = 0;
}

void agauth_verified_free(struct agauth_verified *v)
{
	if (v == NULL)
		return;
	free(v->payload);
	free(v->header);
	memset(v, 0, sizeof *v);
}
