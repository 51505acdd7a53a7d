/*
 * reply.h - decoding agauthd's replies (docs/protocol.md): the id and ok
 * every reply carries, an error's code, class, message and date, and the
 * results of each op.  Frames go through proto_decode, which bounds them
 * before msgpack-c sees them; every field is type-checked here.
 */
#ifndef AGAUTH_REPLY_H
#define AGAUTH_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "client/lib/call.h"
#include "shared/proto.h"

/* Decodes the body p[0..n) into *m (proto_msg_free it in every case) and
 * reads its id and ok: 0, or -1 if it is not a well-formed reply. */
/* A malloc'd, NUL-terminated copy of s[0..n), or NULL. */
char *reply_dup(const char *s, size_t n);

int reply_open(struct proto_msg *m, const uint8_t *p, size_t n,
	       uint64_t *id, int *ok);
/* Fills d from the reply to d->p: its results, or its error.  0, or -1
 * with d->err set by libagauth (AGAUTH_UNREACHABLE if the reply breaks
 * the protocol); the result fields are then NULL. */
int reply_fill(const msgpack_object *root, int ok, struct call_done *d);
/* The error a failed reply carries, as a reply to op. */
void reply_error(const msgpack_object *root, enum agauth_op op,
		 struct agauth_error *err);
/* Checks a hello reply and reads the daemon's max_frame and cache
 * instance (0: none): 0 or -1. */
int reply_hello(const msgpack_object *root, int ok, uint64_t *max_frame,
		uint64_t *cache, struct agauth_error *err);
/* A watch's event frame into *ev: 0, or -1 with *err (AGAUTH_UNREACHABLE
 * if it is not a revocation event; *ev is then empty). */
int reply_event(const msgpack_object *root, int ok, struct agauth_event *ev,
		struct agauth_error *err);

#endif
