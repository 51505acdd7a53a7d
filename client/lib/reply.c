/* reply.c - replies: header, errors, and each op's results. */
#include "client/lib/reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/render.h"
#include "client/lib/status.h"

int reply_open(struct proto_msg *m, const uint8_t *p, size_t n,
	       uint64_t *id, int *ok)
{
	const msgpack_object *v;

	if (proto_decode(m, p, n, NULL) != 0 || proto_uint(m->root, "id", id) != 0)
		return -1;
	v = proto_get(m->root, "ok");
	if (v == NULL || v->type != MSGPACK_OBJECT_BOOLEAN)
		return -1;
	*ok = v->via.boolean;
	return 0;
}

/* A C string of s[0..n) cut to cap. */
static void reply_copy(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

void reply_error(const msgpack_object *root, enum agauth_op op,
		 struct agauth_error *err)
{
	const msgpack_object *date = proto_get(root, "date");
	const char *s;
	size_t n;
	enum ag_err code = AG_ERR_COUNT;

	memset(err, 0, sizeof *err);
	if (proto_str(root, "code", &s, &n) == 0) {
		reply_copy(err->code, sizeof err->code, s, n);
		code = proto_code_parse(s, n);
	}
	/* a reply short of a field still fails; the code fills the gaps */
	if (proto_str(root, "name", &s, &n) != 0) {
		s = ag_errname(code);
		n = strlen(s);
	}
	reply_copy(err->name, sizeof err->name, s, n);
	err->status = status_of(s, n, op);
	if (proto_str(root, "message", &s, &n) != 0) {
		s = ag_strerror(code);
		n = strlen(s);
	}
	reply_copy(err->message, sizeof err->message, s, n);
	if (date == NULL)
		return;
	err->has_date = 1;
	if (date->type == MSGPACK_OBJECT_FLOAT32 ||
	    date->type == MSGPACK_OBJECT_FLOAT64)
		err->date = date->via.f64;
	else if (date->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		err->date = (double)date->via.u64;
	else if (date->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		err->date = (double)date->via.i64;
	else
		err->has_date = 0;
}

static int reply_bad(struct call_done *d, const char *what)
{
	return status_set(&d->err, AGAUTH_UNREACHABLE, AG_E_PROTOCOL,
			  "unexpected reply from agauthd: %s", what);
}

static int reply_nomem(struct call_done *d)
{
	return status_set(&d->err, AGAUTH_REFUSED, AG_E_NOMEM, NULL);
}

char *reply_dup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static int reply_none(const msgpack_object *root, struct call_done *d)
{
	(void)root;
	(void)d;
	return 0;
}

static int reply_sign(const msgpack_object *root, struct call_done *d)
{
	const char *tok, *added = "{}";
	size_t ntok, nadded = 2;

	if (proto_str(root, "token", &tok, &ntok) != 0)
		return reply_bad(d, "sign reply without a token");
	/* `added` is for mutatePayload; a daemon that omits it added
	 * nothing a caller can see */
	if (proto_get(root, "added") != NULL &&
	    proto_str(root, "added", &added, &nadded) != 0)
		return reply_bad(d, "sign reply with a non-string added");
	d->text = reply_dup(tok, ntok);
	d->added = reply_dup(added, nadded);
	return d->text && d->added ? 0 : reply_nomem(d);
}

/* An optional str or bin member as a malloc'd C string: 0 (NULL if it
 * is absent), or -1 if it has another type. */
static int reply_opt_bytes(const msgpack_object *root, const char *key,
			   char **out, size_t *n)
{
	const char *s;

	*out = NULL;
	*n = 0;
	if (proto_get(root, key) == NULL)
		return 0;
	if (proto_bytes(root, key, &s, n) != 0)
		return -1;
	*out = reply_dup(s, *n);
	return 0;
}

static int reply_verify(const msgpack_object *root, struct call_done *d)
{
	struct agauth_verified *v = &d->v;
	const char *kind, *pay, *kid = "";
	size_t nkind, npay, nkid = 0;

	if (proto_str(root, "kind", &kind, &nkind) != 0 ||
	    proto_bytes(root, "payload", &pay, &npay) != 0)
		return reply_bad(d, "verify reply without kind or payload");
	if (nkind == 4 && memcmp(kind, "json", 4) == 0)
		v->is_json = 1;
	else if (!(nkind == 4 && memcmp(kind, "text", 4) == 0))
		return reply_bad(d, "verify reply of an unknown kind");
	/* a cut kid would name another key */
	if (proto_get(root, "kid") != NULL &&
	    (proto_str(root, "kid", &kid, &nkid) != 0 ||
	     nkid >= sizeof v->kid || memchr(kid, '\0', nkid) != NULL))
		return reply_bad(d, "verify reply with a bad kid");
	memcpy(v->kid, kid, nkid);
	v->kid[nkid] = '\0';
	/* agauthd sends the header when the options ask for complete */
	if (reply_opt_bytes(root, "header", &v->header, &v->header_len) != 0)
		return reply_bad(d, "verify reply with a bad header");
	v->payload = reply_dup(pay, npay);
	v->payload_len = npay;
	if (v->payload == NULL || (v->header_len > 0 && v->header == NULL))
		return reply_nomem(d);
	return 0;
}

/* keys and stats: JSON text of the `keys` array / of the whole map. */
static int reply_render(const msgpack_object *val, struct call_done *d,
			const char *const *skip)
{
	struct buf b;

	buf_init(&b, RENDER_MAX);
	if (val->type == MSGPACK_OBJECT_MAP)
		render_members(&b, val, skip);
	else
		render_obj(&b, val);
	d->text = render_take(&b);
	return d->text ? 0 : reply_nomem(d);
}

static int reply_keys(const msgpack_object *root, struct call_done *d)
{
	const msgpack_object *keys = proto_get(root, "keys");

	if (keys == NULL || keys->type != MSGPACK_OBJECT_ARRAY)
		return reply_bad(d, "keys reply without a keys array");
	return reply_render(keys, d, NULL);
}

static int reply_stats(const msgpack_object *root, struct call_done *d)
{
	static const char *const envelope[] = { "id", "ok", NULL };

	return reply_render(root, d, envelope);
}

/* metrics, jwks: the text the daemon made, whole, as a C string */
static int reply_text(const msgpack_object *root, const char *key,
		      struct call_done *d)
{
	const char *s;
	size_t n;

	/* a C string would silently end at a NUL */
	if (proto_str(root, key, &s, &n) != 0 || memchr(s, '\0', n) != NULL)
		return reply_bad(d, "reply without its text");
	d->text = reply_dup(s, n);
	return d->text ? 0 : reply_nomem(d);
}

static int reply_metrics(const msgpack_object *root, struct call_done *d)
{
	return reply_text(root, "text", d);
}

static int reply_jwks(const msgpack_object *root, struct call_done *d)
{
	return reply_text(root, "jwks", d);
}

static int reply_reload(const msgpack_object *root, struct call_done *d)
{
	if (proto_uint(root, "generation", &d->generation) != 0)
		return reply_bad(d, "reload reply without a generation");
	return 0;
}

static int reply_rotate(const msgpack_object *root, struct call_done *d)
{
	const char *kid;
	uint64_t at;
	size_t n;

	if (proto_str(root, "kid", &kid, &n) != 0)
		return reply_bad(d, "rotate reply without a kid");
	/* the generation is informative here; a missing one is no harm */
	proto_uint(root, "generation", &d->generation);
	/* rotate --cluster: when the key is primary everywhere */
	if (proto_uint(root, "activate", &at) == 0)
		d->at = (double)at;
	d->text = reply_dup(kid, n);
	return d->text ? 0 : reply_nomem(d);
}

/* cache: the instance; the descriptor came beside the bytes (chan). */
static int reply_cache(const msgpack_object *root, struct call_done *d)
{
	if (proto_uint(root, "cache", &d->instance) != 0 || d->instance == 0)
		return reply_bad(d, "cache reply without an instance");
	return 0;
}

static int reply_revoke(const msgpack_object *root, struct call_done *d)
{
	const msgpack_object *live = proto_get(root, "live");
	const msgpack_object *at = proto_get(root, "at");

	if (proto_uint(root, "purged", &d->purged) != 0)
		return reply_bad(d, "revoke reply without a purged count");
	/* an agauthd older than the report says nothing: no warning */
	d->live = live == NULL || live->type != MSGPACK_OBJECT_BOOLEAN ||
		  live->via.boolean;
	if (at != NULL && at->type == MSGPACK_OBJECT_FLOAT64)
		d->at = at->via.f64;
	return 0;
}

/* str `key` of root equals the C string want. */
static int reply_str_is(const msgpack_object *root, const char *key,
			const char *want)
{
	const char *s;
	size_t n;

	return proto_str(root, key, &s, &n) == 0 && n == strlen(want) &&
	       memcmp(s, want, n) == 0;
}

static int reply_watch(const msgpack_object *root, struct call_done *d)
{
	if (!reply_str_is(root, "event", "watching"))
		return reply_bad(d, "watch reply without event: watching");
	return 0;
}

static int (*const reply_ops[CALL_OPS])(const msgpack_object *,
					struct call_done *) = {
	[AGAUTH_OP_PING] = reply_none,
	[AGAUTH_OP_SIGN] = reply_sign,
	[AGAUTH_OP_VERIFY] = reply_verify,
	[AGAUTH_OP_KEYS] = reply_keys,
	[AGAUTH_OP_RELOAD] = reply_reload,
	[AGAUTH_OP_ROTATE] = reply_rotate,
	[AGAUTH_OP_STATS] = reply_stats,
	[CALL_OP_CACHE] = reply_cache,
	[CALL_OP_REVOKE] = reply_revoke,
	[CALL_OP_WATCH] = reply_watch,
	[CALL_OP_METRICS] = reply_metrics,
	[CALL_OP_JWKS] = reply_jwks,
};

int reply_fill(const msgpack_object *root, int ok, struct call_done *d)
{
	if (!ok) {
		reply_error(root, d->p.op, &d->err);
		return 0;
	}
	status_ok(&d->err);
	if (reply_ops[d->p.op](root, d) == 0)
		return 0;
	/* no half results: the caller sees an error and nothing else */
	free(d->text);
	free(d->added);
	agauth_verified_free(&d->v);
	d->text = d->added = NULL;
	return -1;
}

int reply_hello(const msgpack_object *root, int ok, uint64_t *max_frame,
		uint64_t *cache, struct agauth_error *err)
{
	uint64_t v;

	if (!ok) {
		/* a refused hello is a refusal whatever its class */
		reply_error(root, AGAUTH_OP_PING, err);
		err->status = AGAUTH_REFUSED;
		return -1;
	}
	if (proto_uint(root, "v", &v) != 0 || v != PROTO_VERSION)
		return status_set(err, AGAUTH_REFUSED, AG_E_HELLO,
				  "agauthd does not speak protocol version %d",
				  PROTO_VERSION);
	/* absent: the documented default; never more than the hard limit */
	if (proto_uint(root, "max_frame", max_frame) != 0)
		*max_frame = AG_FRAME_DEFAULT;
	if (*max_frame > AG_FRAME_HARD_MAX)
		*max_frame = AG_FRAME_HARD_MAX;
	/* absent (a daemon before the cache) or 0: no cache */
	if (proto_uint(root, "cache", cache) != 0)
		*cache = 0;
	return 0;
}

/* An event's number (at): any msgpack number. */
static int reply_num(const msgpack_object *root, const char *key, double *v)
{
	const msgpack_object *o = proto_get(root, key);

	if (o == NULL)
		return -1;
	if (o->type == MSGPACK_OBJECT_FLOAT32 ||
	    o->type == MSGPACK_OBJECT_FLOAT64)
		*v = o->via.f64;
	else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		*v = (double)o->via.u64;
	else
		return -1;
	return 0;
}

static int reply_rewatch(const msgpack_object *root, struct agauth_error *err)
{
	const char *m;
	size_t n;

	if (proto_str(root, "message", &m, &n) != 0)
		return status_set(err, AGAUTH_UNREACHABLE, AG_E_REWATCH, NULL);
	/* n is bounded by the frame (AG_FRAME_HARD_MAX): it fits an int */
	return status_set(err, AGAUTH_UNREACHABLE, AG_E_REWATCH, "%.*s",
			  (int)n, m);
}

int reply_event(const msgpack_object *root, int ok, struct agauth_event *ev,
		struct agauth_error *err)
{
	static const char *const kinds[] = { "token", "jti", "subject" };
	const char *v, *o = "";
	size_t n, i, on = 0;

	memset(ev, 0, sizeof *ev);
	/* agauthd dropped the watch (its events went unread): the events
	 * after the last one here are lost, and the connection closes */
	if (ok && reply_str_is(root, "event", "rewatch"))
		return reply_rewatch(root, err);
	if (!ok || !reply_str_is(root, "event", "revoke") ||
	    proto_bytes(root, "value", &v, &n) != 0 ||
	    reply_num(root, "at", &ev->at) != 0)
		goto bad;
	for (i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (reply_str_is(root, "kind", kinds[i]))
			break;
	if (i == sizeof kinds / sizeof *kinds)
		goto bad;
	/* the origin (a fleet's host) after the value's NUL, where the
	 * struct, whose size is part of the ABI, has no field for it
	 * (agauth_event_origin) */
	if (proto_str(root, "origin", &o, &on) == -2 ||
	    memchr(o, '\0', on) != NULL)
		goto bad;
	ev->value = malloc(n + on + 2);
	if (ev->value == NULL)
		return status_set(err, AGAUTH_REFUSED, AG_E_NOMEM, NULL);
	memcpy(ev->value, v, n);
	ev->value[n] = '\0';
	memcpy(ev->value + n + 1, o, on);
	ev->value[n + 1 + on] = '\0';
	ev->value_len = n;
	strcpy(ev->kind, kinds[i]);
	return 0;
bad:
	ev->at = 0;
	return status_set(err, AGAUTH_UNREACHABLE, AG_E_PROTOCOL,
			  "unexpected event from agauthd");
}
