/* proto.c - frames, bounded msgpack, and reply encoding. */
#include "shared/proto.h"

#include <string.h>

#include "shared/limits.h"

uint32_t proto_get_len(const uint8_t *h)
{
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	       (uint32_t)h[2] << 8 | h[3];
}

static uint64_t proto_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * One msgpack item at p[*i]: how many child items it opens (arrays and
 * maps) and how many payload bytes follow its header.  -1 for the byte
 * msgpack never uses (0xc1) or a header cut short.
 */
static int proto_item(const uint8_t *p, size_t n, size_t *i,
		      uint64_t *children, uint64_t *skip)
{
	static const uint8_t fixext[] = { 1, 2, 4, 8, 16 };
	uint8_t t = p[(*i)++];
	int w;

	*children = 0;
	*skip = 0;
	if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3)
		return 0;
	if (t >= 0x80 && t <= 0x8f) {
		*children = 2u * (t & 0x0f);
		return 0;
	}
	if (t >= 0x90 && t <= 0x9f) {
		*children = t & 0x0f;
		return 0;
	}
	if (t >= 0xa0 && t <= 0xbf) {
		*skip = t & 0x1f;
		return 0;
	}
	switch (t) {
	case 0xca: *skip = 4; return 0;
	case 0xcb: *skip = 8; return 0;
	case 0xcc: case 0xd0: *skip = 1; return 0;
	case 0xcd: case 0xd1: *skip = 2; return 0;
	case 0xce: case 0xd2: *skip = 4; return 0;
	case 0xcf: case 0xd3: *skip = 8; return 0;
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
		*skip = 1u + fixext[t - 0xd4];
		return 0;
	default:
		break;
	}
	/* the rest carry a length (or count) of 1, 2 or 4 bytes */
	switch (t) {
	case 0xc4: case 0xc7: case 0xd9: w = 1; break;
	case 0xc5: case 0xc8: case 0xda: case 0xdc: case 0xde: w = 2; break;
	case 0xc6: case 0xc9: case 0xdb: case 0xdd: case 0xdf: w = 4; break;
	default: return -1;
	}
	if (n - *i < (size_t)w)
		return -1;
	*skip = proto_be(p + *i, w);
	*i += (size_t)w;
	if (t == 0xdc || t == 0xdd) {
		*children = *skip;
		*skip = 0;
	} else if (t == 0xde || t == 0xdf) {
		*children = 2 * *skip;
		*skip = 0;
	} else if (t >= 0xc7 && t <= 0xc9) {
		*skip += 1;  /* the ext type byte */
	}
	return 0;
}

int proto_check(const uint8_t *p, size_t n)
{
	uint64_t left[AG_PROTO_MAX_DEPTH + 1], children, skip;
	size_t i = 0;
	int sp = 0;

	if (n == 0 || !((p[0] >= 0x80 && p[0] <= 0x8f) || p[0] == 0xde ||
			p[0] == 0xdf))
		return -1;  /* the body is a map */
	left[0] = 1;
	while (sp >= 0) {
		if (left[sp] == 0) {
			sp--;
			continue;
		}
		left[sp]--;
		if (i >= n || proto_item(p, n, &i, &children, &skip) != 0)
			return -1;
		/* every item takes at least a byte: a count or length larger
		 * than what is left is a lie, refused before msgpack-c
		 * allocates for it */
		if (skip > n - i || children > n - i)
			return -1;
		i += (size_t)skip;
		if (children > 0) {
			if (sp == AG_PROTO_MAX_DEPTH)
				return -1;
			left[++sp] = children;
		}
	}
	return i == n ? 0 : -1;
}

int proto_decode(struct proto_msg *m, const uint8_t *p, size_t n,
		 msgpack_zone *zone)
{
	size_t off = 0;

	m->own = zone == NULL ? msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE) :
		 NULL;
	m->zone = zone != NULL ? zone : m->own;
	m->root = NULL;
	if (m->zone == NULL || proto_check(p, n) != 0)
		return -1;
	/* msgpack_unpack: into a given zone (msgpack_unpack_next makes a
	 * new one each time); strings stay references into p */
	if (msgpack_unpack((const char *)p, n, &off, m->zone, &m->obj) !=
	    MSGPACK_UNPACK_SUCCESS || off != n ||
	    m->obj.type != MSGPACK_OBJECT_MAP)
		return -1;
	m->root = &m->obj;
	return 0;
}

void proto_msg_free(struct proto_msg *m)
{
	if (m->own != NULL)
		msgpack_zone_free(m->own);
	else if (m->zone != NULL)
		msgpack_zone_clear(m->zone);
	m->zone = m->own = NULL;
	m->root = NULL;
}

const msgpack_object *proto_get(const msgpack_object *map, const char *key)
{
	size_t n = strlen(key);
	uint32_t i;

	if (map == NULL || map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (i = 0; i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
		    memcmp(k->via.str.ptr, key, n) == 0)
			return &map->via.map.ptr[i].val;
	}
	return NULL;
}

void proto_get_many(const msgpack_object *map, const struct proto_name *names,
		    int n, const msgpack_object **out)
{
	uint32_t i;
	int k;

	for (k = 0; k < n; k++)
		out[k] = NULL;
	if (map == NULL || map->type != MSGPACK_OBJECT_MAP)
		return;
	for (i = 0; i < map->via.map.size; i++) {
		const msgpack_object *key = &map->via.map.ptr[i].key;

		if (key->type != MSGPACK_OBJECT_STR)
			continue;
		/* the first of duplicate keys counts, as for proto_get */
		for (k = 0; k < n; k++)
			if (out[k] == NULL && key->via.str.size == names[k].n &&
			    memcmp(key->via.str.ptr, names[k].s, names[k].n) == 0)
				out[k] = &map->via.map.ptr[i].val;
	}
}

int proto_val_str(const msgpack_object *v, const char **s, size_t *n)
{
	if (v == NULL)
		return -1;
	if (v->type != MSGPACK_OBJECT_STR)
		return -2;
	*s = v->via.str.ptr;
	*n = v->via.str.size;
	return 0;
}

int proto_val_bytes(const msgpack_object *v, const char **s, size_t *n)
{
	if (v != NULL && v->type == MSGPACK_OBJECT_BIN) {
		*s = v->via.bin.ptr;
		*n = v->via.bin.size;
		return 0;
	}
	return proto_val_str(v, s, n);
}

int proto_val_uint(const msgpack_object *o, uint64_t *v)
{
	if (o == NULL)
		return -1;
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -2;
	*v = o->via.u64;
	return 0;
}

int proto_str(const msgpack_object *map, const char *key, const char **s,
	      size_t *n)
{
	return proto_val_str(proto_get(map, key), s, n);
}

int proto_bytes(const msgpack_object *map, const char *key, const char **s,
		size_t *n)
{
	return proto_val_bytes(proto_get(map, key), s, n);
}

int proto_uint(const msgpack_object *map, const char *key, uint64_t *v)
{
	return proto_val_uint(proto_get(map, key), v);
}

static int proto_write(void *data, const char *p, size_t n)
{
	struct buf *b = data;

	buf_put(b, p, n);
	return b->err;
}

void proto_begin(struct proto_out *o, struct buf *b)
{
	o->b = b;
	o->start = b->len;
	buf_put(b, "\0\0\0\0", PROTO_HDR);
	msgpack_packer_init(&o->pk, b, proto_write);
}

int proto_end(struct proto_out *o)
{
	struct buf *b = o->b;
	size_t n = b->len - o->start - PROTO_HDR;
	uint8_t *h;

	if (b->err || n > AG_FRAME_HARD_MAX) {
		b->len = o->start;  /* drop the partial frame */
		return -1;
	}
	h = (uint8_t *)b->p + o->start;
	h[0] = (uint8_t)(n >> 24);
	h[1] = (uint8_t)(n >> 16);
	h[2] = (uint8_t)(n >> 8);
	h[3] = (uint8_t)n;
	return 0;
}

void proto_key(struct proto_out *o, const char *k)
{
	msgpack_pack_str_with_body(&o->pk, k, strlen(k));
}

void proto_kv_str(struct proto_out *o, const char *k, const char *v,
		  size_t n)
{
	proto_key(o, k);
	msgpack_pack_str_with_body(&o->pk, v, n);
}

void proto_kv_cstr(struct proto_out *o, const char *k, const char *v)
{
	proto_kv_str(o, k, v, strlen(v));
}

void proto_kv_bin(struct proto_out *o, const char *k, const void *v,
		  size_t n)
{
	proto_key(o, k);
	msgpack_pack_bin_with_body(&o->pk, v, n);
}

void proto_kv_uint(struct proto_out *o, const char *k, uint64_t v)
{
	proto_key(o, k);
	msgpack_pack_uint64(&o->pk, v);
}

void proto_kv_bool(struct proto_out *o, const char *k, int v)
{
	proto_key(o, k);
	if (v)
		msgpack_pack_true(&o->pk);
	else
		msgpack_pack_false(&o->pk);
}

void proto_kv_double(struct proto_out *o, const char *k, double v)
{
	proto_key(o, k);
	msgpack_pack_double(&o->pk, v);
}

const char *proto_code_name(enum ag_err code)
{
	return ag_codename(code);
}

enum ag_err proto_code_parse(const char *s, size_t n)
{
	const char *name;
	int c;

	for (c = 0; c < AG_ERR_COUNT; c++) {
		name = ag_codename((enum ag_err)c);
		if (strlen(name) == n && memcmp(name, s, n) == 0)
			return (enum ag_err)c;
	}
	return AG_ERR_COUNT;
}

void proto_error(struct buf *b, uint64_t id, const struct ag_error *e)
{
	struct proto_out o;

	proto_begin(&o, b);
	msgpack_pack_map(&o.pk, e->has_date ? 6 : 5);
	proto_kv_uint(&o, "id", id);
	proto_kv_bool(&o, "ok", 0);
	proto_kv_cstr(&o, "code", proto_code_name(e->code));
	proto_kv_cstr(&o, "name", ag_errname(e->code));
	proto_kv_cstr(&o, "message", e->msg);
	if (e->has_date)
		proto_kv_double(&o, "date", e->date);
	proto_end(&o);
}
