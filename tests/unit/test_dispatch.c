/*
 * test_dispatch.c - the op table of shared/ops.h as dispatch.c uses it.
 *
 * dispatch.c is compiled here a second time, under other external names,
 * from a list whose watch row has no handler: as a new op would be that
 * was listed before its handler was written.  Such an op must be answered
 * with a typed error, never called through NULL.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#define dispatch_frame test_dispatch_frame
#define dispatch_end test_dispatch_end

#include "daemon/conn.h"
#include "daemon/request.h"
#include "daemon/server.h"
#include "shared/proto.h"

#undef AG_OP_LIST
#define AG_OP_LIST(X) \
	X(HELLO,  "hello",  version, ANY,    op_hello) \
	X(PING,   "ping",   none,    ANY,    op_ping) \
	X(SIGN,   "sign",   payload, SIGN,   op_sign_req) \
	X(VERIFY, "verify", token,   VERIFY, op_verify_req) \
	X(KEYS,   "keys",   none,    VERIFY, op_keys) \
	X(RELOAD, "reload", none,    ADMIN,  op_reload) \
	X(ROTATE, "rotate", alg,     ADMIN,  op_rotate_req) \
	X(STATS,  "stats",  none,    ADMIN,  op_stats) \
	X(CACHE,  "cache",  none,    VERIFY, op_cache) \
	X(REVOKE, "revoke", revoke,  SIGN,   op_revoke) \
	X(WATCH,  "watch",  none,    VERIFY, NULL)

/* op_watch is left out of the table above */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "daemon/dispatch.c"

/* A connection past hello, inside conn_process (so that replies gather
 * in c->out and nothing is written), with requests in flight. */
static void conn_fake(struct conn *c)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->pass_fd = -1;
	c->hello = 1;
	c->processing = 1;
	c->inflight = 2;
	buf_init(&c->out, AG_FRAME_HARD_MAX);
}

/* Dispatches {id, op} on c. */
static void send_op(struct conn *c, uint64_t id, const char *op)
{
	struct proto_out o;
	struct buf b;

	buf_init(&b, AG_FRAME_HARD_MAX);
	proto_begin(&o, &b);
	msgpack_pack_map(&o.pk, 2);
	proto_kv_uint(&o, "id", id);
	proto_kv_cstr(&o, "op", op);
	cr_assert_eq(proto_end(&o), 0);
	test_dispatch_frame(c, (const uint8_t *)b.p + PROTO_HDR,
			    b.len - PROTO_HDR);
	buf_free(&b);
}

Test(dispatch, op_without_handler_is_answered_not_called)
{
	struct conn c;
	struct proto_msg m;
	const char *code;
	uint64_t id, failures = server_stats()->failures;
	size_t n;

	conn_fake(&c);
	send_op(&c, 7, "watch");
	/* one typed error reply, the request completed, nothing closed */
	cr_assert_gt(c.out.len, PROTO_HDR);
	cr_assert_eq(proto_get_len((const uint8_t *)c.out.p) + PROTO_HDR,
		     c.out.len);
	cr_assert_eq(proto_decode(&m, (const uint8_t *)c.out.p + PROTO_HDR,
				  c.out.len - PROTO_HDR, NULL), 0);
	cr_assert_eq(proto_uint(m.root, "id", &id), 0);
	cr_assert_eq(id, 7);
	cr_assert_eq(proto_str(m.root, "code", &code, &n), 0);
	cr_assert_eq(proto_code_parse(code, n), AG_E_UNKNOWN_OP);
	proto_msg_free(&m);
	cr_assert_eq(c.inflight, 1);
	cr_assert_eq(c.closing, 0);
	cr_assert_eq(server_stats()->failures, failures + 1);
	test_dispatch_end();
	buf_free(&c.out);
}

Test(dispatch, every_op_name_is_its_own)
{
	msgpack_zone *z = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
	struct proto_out o;
	struct proto_msg m;
	struct request r;
	struct buf b;
	int op;

	/* names unique and spelled as listed: each parses back to its op */
	for (op = 0; op < REQ_NOPS; op++) {
		buf_init(&b, AG_FRAME_HARD_MAX);
		proto_begin(&o, &b);
		msgpack_pack_map(&o.pk, 2);
		proto_kv_uint(&o, "id", 1);
		proto_kv_cstr(&o, "op", request_op_name((enum request_op)op));
		cr_assert_eq(proto_end(&o), 0);
		cr_assert_eq(proto_decode(&m, (const uint8_t *)b.p + PROTO_HDR,
					  b.len - PROTO_HDR, z), 0);
		request_parse(&r, m.root);
		cr_assert_neq(r.status, REQ_UNKNOWN_OP);
		cr_assert_eq(r.op, op, "%s", request_op_name(op));
		proto_msg_free(&m);
		buf_free(&b);
	}
	cr_assert_null(request_op_name(REQ_NOPS));
	msgpack_zone_free(z);
}
