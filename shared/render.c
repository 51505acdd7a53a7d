/* render.c - msgpack values and C strings as JSON text. */
#include "shared/render.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The UTF-8 sequence at s[0..n): its length if it is valid, else minus
 * the number of bytes one U+FFFD replaces (WHATWG's maximal subpart, as
 * Buffer#toString and Node's process.argv decode).
 */
static int render_utf8(const unsigned char *s, size_t n)
{
	unsigned lo = 0x80, hi = 0xbf;
	int len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return -1;
	/* the second byte's range rules out overlong forms, surrogates and
	 * code points past U+10FFFF */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	for (i = 1; i < len; i++) {
		if ((size_t)i >= n || s[i] < lo || s[i] > hi)
			return -i;
		lo = 0x80;
		hi = 0xbf;
	}
	return len;
}

/* JSON.stringify's two-character escapes, or NULL. */
static const char *render_esc(unsigned char c)
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\b': return "\\b";
	case '\f': return "\\f";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	default: return NULL;
	}
}

void render_str(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *e;
	size_t i = 0;
	int k;

	buf_putc(b, '"');
	while (i < n) {
		if ((e = render_esc(p[i])) != NULL) {
			buf_puts(b, e);
			i++;
		} else if (p[i] < 0x20) {
			buf_printf(b, "\\u%04x", p[i]);
			i++;
		} else if ((k = render_utf8(p + i, n - i)) < 0) {
			buf_puts(b, "\\ufffd");
			i += (size_t)-k;
		} else {
			buf_put(b, p + i, (size_t)k);
			i += (size_t)k;
		}
	}
	buf_putc(b, '"');
}

void render_num(struct buf *b, double v)
{
	char tmp[32];
	int prec;

	if (!isfinite(v)) {
		buf_puts(b, "null");
		return;
	}
	if (v == 0) {
		buf_putc(b, '0');  /* JSON.stringify(-0) is "0" */
		return;
	}
	/* the shortest spelling that reads back as the same double */
	for (prec = 15; prec < 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	snprintf(tmp, sizeof tmp, "%.*g", prec, v);
	buf_puts(b, tmp);
}

void render_obj(struct buf *b, const msgpack_object *o)
{
	uint32_t i;

	/* proto_decode bounds the nesting, so this recursion is bounded */
	switch (o->type) {
	case MSGPACK_OBJECT_BOOLEAN:
		buf_puts(b, o->via.boolean ? "true" : "false");
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		buf_printf(b, "%" PRIu64, o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		buf_printf(b, "%" PRId64, o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		render_num(b, o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		render_str(b, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		render_str(b, o->via.bin.ptr, o->via.bin.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		buf_putc(b, '[');
		for (i = 0; i < o->via.array.size; i++) {
			if (i > 0)
				buf_putc(b, ',');
			render_obj(b, &o->via.array.ptr[i]);
		}
		buf_putc(b, ']');
		break;
	case MSGPACK_OBJECT_MAP:
		render_members(b, o, NULL);
		break;
	default:
		buf_puts(b, "null");  /* nil, and ext (JSON has no such) */
		break;
	}
}

static int render_skipped(const msgpack_object *k, const char *const *skip)
{
	for (; skip != NULL && *skip != NULL; skip++)
		if (strlen(*skip) == k->via.str.size &&
		    memcmp(*skip, k->via.str.ptr, k->via.str.size) == 0)
			return 1;
	return 0;
}

void render_members(struct buf *b, const msgpack_object *map,
		    const char *const *skip)
{
	const msgpack_object_kv *kv;
	uint32_t i;
	int first = 1;

	buf_putc(b, '{');
	for (i = 0; i < map->via.map.size; i++) {
		kv = &map->via.map.ptr[i];
		/* the protocol's maps have string keys; others have no JSON
		 * spelling that would not invent a name */
		if (kv->key.type != MSGPACK_OBJECT_STR ||
		    render_skipped(&kv->key, skip))
			continue;
		if (!first)
			buf_putc(b, ',');
		first = 0;
		render_str(b, kv->key.via.str.ptr, kv->key.via.str.size);
		buf_putc(b, ':');
		render_obj(b, &kv->val);
	}
	buf_putc(b, '}');
}

char *render_take(struct buf *b)
{
	char *s = NULL;

	if (buf_cstr(b) != NULL)
		s = b->p;
	else
		free(b->p);
	buf_init(b, b->max);
	return s;
}
