/*
 * ops.h - the operations of the wire protocol (docs/protocol.md), listed
 * once, as agerr.h lists the errors.  A row:
 *
 *   id       REQ_<id> in the daemon (daemon/request.h), CALL_OP_<id> in
 *            libagauth (client/lib/call.h)
 *   name     the op string on the wire
 *   args     what daemon/request.c takes out of the request's map: its
 *            request_args_<args> (none, version, payload, token, rotate,
 *            revoke)
 *   right    what a peer must be allowed (daemon/dispatch.c): ANY, SIGN,
 *            VERIFY, ADMIN or METRICS
 *   handler  the daemon function that runs it (daemon/dispatch.c); NULL
 *            for an op listed but not served, answered AG_E_UNKNOWN_OP
 *
 * Each user expands only the columns it needs (the client never the
 * handler), so no daemon name reaches the client.  A new op is a row
 * here, its handler in dispatch.c and its call in the clients.
 */
#ifndef AG_OPS_H
#define AG_OPS_H

#define AG_OP_LIST(X) \
	X(HELLO,  "hello",  version, ANY,    op_hello) \
	X(PING,   "ping",   none,    ANY,    op_ping) \
	X(SIGN,   "sign",   payload, SIGN,   op_sign_req) \
	X(VERIFY, "verify", token,   VERIFY, op_verify_req) \
	X(KEYS,   "keys",   none,    VERIFY, op_keys) \
	X(RELOAD, "reload", none,    ADMIN,  op_reload) \
	X(ROTATE, "rotate", rotate,  ADMIN,  op_rotate_req) \
	X(STATS,  "stats",  none,    ADMIN,  op_stats) \
	X(CACHE,  "cache",  none,    VERIFY, op_cache) \
	X(REVOKE, "revoke", revoke,  SIGN,   op_revoke) \
	X(WATCH,  "watch",  none,    VERIFY, op_watch) \
	X(METRICS, "metrics", none,  METRICS, op_metrics) \
	X(JWKS,   "jwks",   none,    VERIFY, op_jwks)

/* How many rows the list has, for the _Static_asserts of its users. */
#define AG_OP_ONE(id, name, args, right, handler) +1
#define AG_OP_COUNT (0 AG_OP_LIST(AG_OP_ONE))

#endif
