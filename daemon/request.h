/*
 * request.h - what a request frame asks for (docs/protocol.md), taken out
 * of its msgpack map with no daemon state: the operation, its id, its
 * arguments, and the cache counters a client reports.  dispatch.c acts on
 * the result; tests/fuzz/fuzz_request.c feeds it any bytes.
 *
 * Strings point into the decoded frame and live as long as it does.
 */
#ifndef AG_REQUEST_H
#define AG_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "daemon/revoke.h"
#include "shared/ops.h"

/* REQ_HELLO, REQ_PING, ...: one per row of shared/ops.h */
enum request_op {
#define REQ_X_ENUM(id, name, args, right, handler) REQ_##id,
	AG_OP_LIST(REQ_X_ENUM)
#undef REQ_X_ENUM
	REQ_NOPS
};

enum request_status {
	REQ_OK,           /* id, op and (for op) well-formed arguments */
	REQ_MALFORMED,    /* no id (uint) or no op (str) */
	REQ_UNKNOWN_OP,   /* an op this daemon does not have */
	REQ_BAD_ARGS,     /* op known, its arguments are not right */
};

struct request {
	enum request_status status;
	uint64_t id;                 /* 0 unless present as a uint */
	enum request_op op;          /* REQ_NOPS unless known */
	const char *op_name;         /* the op as sent ("" if none) */
	size_t op_len;
	/* cache hits and misses the client counted since its last request;
	 * 0 when absent or larger than UINT32_MAX (so that a hostile count
	 * cannot wrap the daemon's totals) */
	uint64_t ch, cm;
	/* hello: v (0 if absent or not a uint: REQ_BAD_ARGS) */
	uint64_t version;
	/* rotate: for the whole fleet, its key primary activate_in seconds
	 * on (AG_CLUSTER_ACTIVATE_IN unless given) */
	int cluster;
	uint64_t activate_in;
	/* sign: payload, verify: token, rotate: alg (optional: NULL) */
	const char *arg;
	size_t arg_len;
	/* sign, verify, rotate: opts (NULL if absent) */
	const char *opts;
	size_t opts_len;
	/* revoke: exactly one of token, jti, sub */
	enum revoke_kind revoke_kind;
	const char *value;
	size_t value_len;
};

/* The name of an op (REQ_NOPS: NULL). */
const char *request_op_name(enum request_op op);

/* Fills *r from a decoded frame's root map; returns r->status. */
enum request_status request_parse(struct request *r,
				  const msgpack_object *root);

#endif
