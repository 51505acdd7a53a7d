/* test_dispatch.c - request frames through a real connection to
 * dispatch_frame: the handshake, unknown ops, garbage, and the rights
 * check, with the peer's rights set by the configuration (the peer is
 * this process: its uid comes from SO_PEERCRED). */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daemon/config.h"
#include "daemon/dispatch.h"
#include "daemon/log.h"
#include "daemon/request.h"
#include "daemon/stats.h"
#include "daemon/watch.h"
#include "shared/proto.h"
#include "tests/unit/connpair.h"

static struct config td_cfg;
static struct conn_opts td_opts;
static struct connpair td_p;

/* Only the peer's uid, or nobody. */
static void td_acl(struct acl *a, int allowed)
{
	memset(a, 0, sizeof *a);
	if (!allowed)
		return;
	a->n = 1;
	a->e[0].id = (unsigned)getuid();
}

static void td_setup(void)
{
	log_init(LOG_LEVEL_WARN);   /* the refusals' info lines are expected */
	config_defaults(&td_cfg);
	td_acl(&td_cfg.sign, 0);
	td_acl(&td_cfg.verify, 1);
	td_acl(&td_cfg.admin, 0);
	dispatch_opts(&td_cfg, &td_opts);
}

static void td_teardown(void)
{
	cp_close(&td_p);
	dispatch_end();
}

TestSuite(dispatch, .init = td_setup, .fini = td_teardown);

/* The next reply: its id and ok, and for an error its code. */
static void td_expect(uint64_t id, enum ag_err code)
{
	struct proto_msg m;
	uint8_t b[4096];
	const char *s;
	uint64_t rid;
	size_t n;
	long len = cp_reply(&td_p, b, sizeof b);

	cr_assert_gt(len, 0, "a reply to request %llu",
		     (unsigned long long)id);
	cr_assert_eq(proto_decode(&m, b, (size_t)len, NULL), 0);
	cr_assert_eq(proto_uint(m.root, "id", &rid), 0);
	cr_assert_eq(rid, id);
	cr_assert_eq(proto_get(m.root, "ok")->via.boolean, code == AG_OK);
	if (code != AG_OK) {
		cr_assert_eq(proto_str(m.root, "code", &s, &n), 0);
		cr_assert(n == strlen(proto_code_name(code)) &&
			  memcmp(s, proto_code_name(code), n) == 0,
			  "request %llu: %.*s, not %s", (unsigned long long)id,
			  (int)n, s, proto_code_name(code));
	}
	proto_msg_free(&m);
}

Test(dispatch, hello_then_ping)
{
	cp_open(&td_p, &td_opts, 0);
	cp_request(&td_p, 1, "hello");
	td_expect(1, AG_OK);
	cp_request(&td_p, 2, "ping");
	td_expect(2, AG_OK);
}

Test(dispatch, nothing_before_hello)
{
	cp_open(&td_p, &td_opts, 0);
	cp_request(&td_p, 7, "ping");
	td_expect(7, AG_E_HELLO);
	cr_assert_eq(cp_reply(&td_p, NULL, 0), -1, "then it hangs up");
}

Test(dispatch, unknown_op_answered_with_an_error)
{
	cp_open(&td_p, &td_opts, 0);
	cp_request(&td_p, 1, "hello");
	td_expect(1, AG_OK);
	cp_request(&td_p, 2, "launch");
	td_expect(2, AG_E_UNKNOWN_OP);
	/* and the connection goes on */
	cp_request(&td_p, 3, "ping");
	td_expect(3, AG_OK);
}

/* A peer without the admin right asks for stats, without the sign right
 * signs or revokes: refused, each, before anything runs. */
Test(dispatch, refused_right)
{
	cp_open(&td_p, &td_opts, 0);
	cp_request(&td_p, 1, "hello");
	td_expect(1, AG_OK);
	cp_request(&td_p, 2, "stats");
	td_expect(2, AG_E_UNAUTHORIZED);
	cp_request(&td_p, 3, "reload");
	td_expect(3, AG_E_UNAUTHORIZED);
	cp_request(&td_p, 4, "rotate");
	td_expect(4, AG_E_UNAUTHORIZED);
	cp_request(&td_p, 5, "sign");
	td_expect(5, AG_E_UNAUTHORIZED);
	cp_request(&td_p, 6, "revoke");
	td_expect(6, AG_E_UNAUTHORIZED);
	cp_request(&td_p, 7, "ping");
	td_expect(7, AG_OK);
}

/* The metrics right is its own: a peer that may verify (and would have
 * it by default) is refused metrics once [access] metrics leaves it
 * out, and still verifies. */
Test(dispatch, metrics_needs_its_own_right)
{
	td_acl(&td_cfg.metrics, 0);
	cp_open(&td_p, &td_opts, 0);
	cp_request(&td_p, 1, "hello");
	td_expect(1, AG_OK);
	cp_request(&td_p, 2, "metrics");
	td_expect(2, AG_E_UNAUTHORIZED);
	cp_request(&td_p, 3, "watch");
	td_expect(3, AG_OK);
}

/* Each request is counted once, by its op and the code it was answered
 * with: unknown ops and garbage under "unknown". */
Test(dispatch, requests_counted_by_op_and_outcome)
{
	const struct stats *s = stats_get();

	cp_open(&td_p, &td_opts, 0);
	cp_request(&td_p, 1, "hello");
	td_expect(1, AG_OK);
	cp_request(&td_p, 2, "ping");
	td_expect(2, AG_OK);
	cp_request(&td_p, 3, "ping");
	td_expect(3, AG_OK);
	cp_request(&td_p, 4, "stats");
	td_expect(4, AG_E_UNAUTHORIZED);
	cp_request(&td_p, 5, "launch");
	td_expect(5, AG_E_UNKNOWN_OP);
	cp_frame(&td_p, "\xc1", 1);
	td_expect(0, AG_E_BAD_FRAME);
	cr_assert_eq(s->outcome[REQ_HELLO][AG_OK], 1);
	cr_assert_eq(s->outcome[REQ_PING][AG_OK], 2);
	cr_assert_eq(s->outcome[REQ_STATS][AG_E_UNAUTHORIZED], 1);
	cr_assert_eq(s->outcome[REQ_STATS][AG_OK], 0);
	cr_assert_eq(s->outcome[STATS_OP_UNKNOWN][AG_E_UNKNOWN_OP], 1);
	cr_assert_eq(s->outcome[STATS_OP_UNKNOWN][AG_E_BAD_FRAME], 1);
	cr_assert_eq(s->requests, 6);
}

Test(dispatch, garbage_closes)
{
	cp_open(&td_p, &td_opts, 0);
	cp_request(&td_p, 1, "hello");
	td_expect(1, AG_OK);
	cp_frame(&td_p, "\xc1\xc1\xc1", 3);
	td_expect(0, AG_E_BAD_FRAME);
	cr_assert_eq(cp_reply(&td_p, NULL, 0), -1, "then it hangs up");
}

/* A watcher that hangs up stops being one: the connection's closed
 * callback, not the connection module, knows about watchers. */
Test(dispatch, watcher_gone_with_its_connection)
{
	cp_open(&td_p, &td_opts, 0);
	cp_request(&td_p, 1, "hello");
	td_expect(1, AG_OK);
	cp_request(&td_p, 2, "watch");
	td_expect(2, AG_OK);
	cr_assert_eq(watch_count(), 1);
	shutdown(td_p.peer, SHUT_RDWR);
	cp_spin(&td_p);
	cr_assert_eq(conn_count(), 0);
	cr_assert_eq(watch_count(), 0);
}

/* hello reports the bounds the connection is held to. */
Test(dispatch, hello_reports_the_connections_bounds)
{
	struct proto_msg m;
	uint8_t b[4096];
	uint64_t v;
	long len;

	td_cfg.max_frame = 4321;
	dispatch_opts(&td_cfg, &td_opts);
	cp_open(&td_p, &td_opts, 0);
	cp_request(&td_p, 1, "hello");
	len = cp_reply(&td_p, b, sizeof b);
	cr_assert_gt(len, 0);
	cr_assert_eq(proto_decode(&m, b, (size_t)len, NULL), 0);
	cr_assert_eq(proto_uint(m.root, "max_frame", &v), 0);
	cr_assert_eq(v, 4321);
	cr_assert_eq(proto_uint(m.root, "max_inflight", &v), 0);
	cr_assert_eq(v, td_cfg.max_inflight);
	proto_msg_free(&m);
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

/* rotate's fields: cluster a bool, activate_in seconds (bounded) and
 * only with cluster; 10 s unless given. */
Test(dispatch, rotate_cluster_arguments)
{
	static const struct {
		int cluster;             /* -1 absent, 2 a string */
		int64_t in;              /* -1 absent */
		enum request_status want;
		uint64_t want_in;
	} rows[] = {
		{ 1, -1, REQ_OK, AG_CLUSTER_ACTIVATE_IN },
		{ 1, 30, REQ_OK, 30 },
		{ 1, AG_CLUSTER_ACTIVATE_MAX, REQ_OK, AG_CLUSTER_ACTIVATE_MAX },
		{ 1, AG_CLUSTER_ACTIVATE_MAX + 1, REQ_BAD_ARGS, 0 },
		{ -1, 30, REQ_BAD_ARGS, 0 },
		{ 0, 30, REQ_BAD_ARGS, 0 },
		{ 2, -1, REQ_BAD_ARGS, 0 },
		{ -1, -1, REQ_OK, AG_CLUSTER_ACTIVATE_IN },
	};
	msgpack_zone *z = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
	struct proto_out o;
	struct proto_msg m;
	struct request r;
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof rows / sizeof *rows; i++) {
		buf_init(&b, AG_FRAME_HARD_MAX);
		proto_begin(&o, &b);
		msgpack_pack_map(&o.pk, 2 + (rows[i].cluster >= 0) +
				 (rows[i].in >= 0));
		proto_kv_uint(&o, "id", 1);
		proto_kv_cstr(&o, "op", "rotate");
		if (rows[i].cluster == 2)
			proto_kv_cstr(&o, "cluster", "yes");
		else if (rows[i].cluster >= 0) {
			proto_key(&o, "cluster");
			if (rows[i].cluster)
				msgpack_pack_true(&o.pk);
			else
				msgpack_pack_false(&o.pk);
		}
		if (rows[i].in >= 0)
			proto_kv_uint(&o, "activate_in", (uint64_t)rows[i].in);
		cr_assert_eq(proto_end(&o), 0);
		cr_assert_eq(proto_decode(&m, (const uint8_t *)b.p + PROTO_HDR,
					  b.len - PROTO_HDR, z), 0);
		cr_assert_eq(request_parse(&r, m.root), rows[i].want, "row %zu",
			     i);
		if (rows[i].want == REQ_OK) {
			cr_assert_eq(r.cluster, rows[i].cluster == 1);
			cr_assert_eq(r.activate_in, rows[i].want_in, "row %zu", i);
		}
		proto_msg_free(&m);
		buf_free(&b);
	}
	msgpack_zone_free(z);
}
