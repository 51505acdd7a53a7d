/*
 * test_dispatch_nohandler.c - an op listed in shared/ops.h before its
 * handler was written must be answered with a typed error, never called
 * through NULL.
 *
 * dispatch.c is compiled here a second time, under other external names,
 * with shared/ops.h's list but no handler for watch (DISPATCH_HANDLER),
 * and driven through a real connection (tests/unit/connpair.h).
 */
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#define dispatch_frame nh_dispatch_frame
#define dispatch_end nh_dispatch_end
#define dispatch_opts nh_dispatch_opts

#include "daemon/config.h"
#include "daemon/log.h"
#include "shared/ops.h"
#include "shared/proto.h"
#include "tests/unit/connpair.h"

/* shared/ops.h's list as it is, but watch without its handler */
#define DISPATCH_HANDLER(id, handler) \
	(REQ_##id == REQ_WATCH ? NULL : (handler))

#include "daemon/dispatch.c"

/* The next reply's code ("" for ok). */
static void nh_expect(struct connpair *p, uint64_t id, const char *code)
{
	struct proto_msg m;
	uint8_t b[4096];
	const char *s = "";
	uint64_t rid;
	size_t n = 0;
	long len = cp_reply(p, b, sizeof b);

	cr_assert_gt(len, 0, "a reply to request %llu", (unsigned long long)id);
	cr_assert_eq(proto_decode(&m, b, (size_t)len, NULL), 0);
	cr_assert_eq(proto_uint(m.root, "id", &rid), 0);
	cr_assert_eq(rid, id);
	if (!proto_get(m.root, "ok")->via.boolean)
		cr_assert_eq(proto_str(m.root, "code", &s, &n), 0);
	cr_assert(n == strlen(code) && memcmp(s, code, n) == 0,
		  "request %llu: '%.*s', not '%s'", (unsigned long long)id,
		  (int)n, s, code);
	proto_msg_free(&m);
}

Test(dispatch, op_without_handler_is_answered_not_called)
{
	struct config cfg;
	struct conn_opts opts;
	struct connpair p;
	uint64_t failures;

	log_init(LOG_LEVEL_WARN);
	config_defaults(&cfg);
	cfg.verify.n = 1;
	cfg.verify.e[0].id = (unsigned)getuid();
	nh_dispatch_opts(&cfg, &opts);
	cp_open(&p, &opts, 0);
	cp_request(&p, 1, "hello");
	nh_expect(&p, 1, "");
	failures = stats_get()->failures;
	cp_request(&p, 7, "watch");
	nh_expect(&p, 7, proto_code_name(AG_E_UNKNOWN_OP));
	cr_assert_eq(stats_get()->failures, failures + 1);
	/* the request completed and the connection goes on */
	cp_request(&p, 8, "ping");
	nh_expect(&p, 8, "");
	cp_close(&p);
	nh_dispatch_end();
}
