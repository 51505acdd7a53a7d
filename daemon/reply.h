/*
 * reply.h - what every operation answers with: an ok map with id and ok
 * first, or an error reply.
 */
#ifndef AG_REPLY_H
#define AG_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "shared/agerr.h"
#include "shared/proto.h"

struct conn;

/* Starts {id, ok: true, ...} with `fields` more members to come. */
void reply_ok(struct proto_out *o, struct buf *b, uint64_t id, size_t fields);
/* Queues an error reply and completes the request. */
void reply_fail(struct conn *c, uint64_t id, const struct ag_error *e);
/* The same with a code and a message (NULL: the code's own). */
void reply_fail_code(struct conn *c, uint64_t id, enum ag_err code,
		     const char *msg);

#endif
