/*
 * proto.h - agauthd's wire protocol (docs/protocol.md): frames of a
 * big-endian uint32 length and one msgpack map, encoded and decoded the
 * same way by the daemon and by every C client.
 *
 * Decoding walks the bytes first and refuses counts and lengths larger
 * than the bytes left and nesting deeper than AG_PROTO_MAX_DEPTH, so
 * msgpack-c never sees a header that would make it allocate more than the
 * frame's own size.
 */
#ifndef AG_PROTO_H
#define AG_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "shared/agerr.h"
#include "shared/buf.h"

#define PROTO_VERSION 1
#define PROTO_HDR 4

uint32_t proto_get_len(const uint8_t *hdr);

/* 0 if p[0..n) is exactly one bounded msgpack map. */
int proto_check(const uint8_t *p, size_t n);

/* A decoded frame; root is a map (msgpack-c's objects, in a zone). */
struct proto_msg {
	msgpack_zone *zone;
	msgpack_zone *own;    /* the zone, if made for this frame */
	msgpack_object obj;
	const msgpack_object *root;
};

/* Checks and decodes a frame body.  proto_msg_free in every case.  With a
 * zone of the caller's, the objects go there and proto_msg_free clears it
 * for the next frame (a busy connection then allocates nothing per
 * frame); with NULL, each frame gets a zone of its own. */
int proto_decode(struct proto_msg *m, const uint8_t *p, size_t n,
		 msgpack_zone *zone);
void proto_msg_free(struct proto_msg *m);

/* Field access: the value of key in map, or NULL. */
const msgpack_object *proto_get(const msgpack_object *map, const char *key);
/* 0 and the value; -1 absent; -2 present with another type. */
int proto_str(const msgpack_object *map, const char *key, const char **s,
	      size_t *n);
int proto_uint(const msgpack_object *map, const char *key, uint64_t *v);
/* str or bin */
int proto_bytes(const msgpack_object *map, const char *key, const char **s,
		size_t *n);

/* Several keys in one walk of the map: out[k] is names[k]'s value, or
 * NULL; then the same typed access on a value (NULL: absent). */
struct proto_name {
	const char *s;
	size_t n;
};
#define PROTO_NAME(lit) { lit, sizeof(lit) - 1 }
void proto_get_many(const msgpack_object *map, const struct proto_name *names,
		    int n, const msgpack_object **out);
int proto_val_str(const msgpack_object *v, const char **s, size_t *n);
int proto_val_bytes(const msgpack_object *v, const char **s, size_t *n);
int proto_val_uint(const msgpack_object *v, uint64_t *u);

/*
 * Encoding: msgpack written straight into a struct buf, after a 4-byte
 * placeholder that proto_end fills with the body's length.
 */
struct proto_out {
	msgpack_packer pk;
	struct buf *b;
	size_t start;
};

void proto_begin(struct proto_out *o, struct buf *b);
/* Returns 0, or -1 if the buffer failed (ceiling or memory). */
int proto_end(struct proto_out *o);

void proto_kv_str(struct proto_out *o, const char *k, const char *v,
		  size_t n);
void proto_kv_cstr(struct proto_out *o, const char *k, const char *v);
void proto_kv_bin(struct proto_out *o, const char *k, const void *v,
		  size_t n);
void proto_kv_uint(struct proto_out *o, const char *k, uint64_t v);
void proto_kv_bool(struct proto_out *o, const char *k, int v);
void proto_kv_double(struct proto_out *o, const char *k, double v);
void proto_key(struct proto_out *o, const char *k);

/* An error reply: {id, ok:false, code, name, message[, date]}. */
void proto_error(struct buf *b, uint64_t id, const struct ag_error *e);
/* The symbolic name of a code on the wire ("AG_E_EXPIRED"), and back. */
const char *proto_code_name(enum ag_err code);
enum ag_err proto_code_parse(const char *s, size_t n);

#endif
