/*
 * test_agauth.c - libagauth and agauthctl's options without a daemon:
 * status mapping, reply decoding from hand-made frames, JSON rendering,
 * options JSON from flags, and the connection's life (pipelining, lost
 * requests, reconnects, protocol violations, timeouts) against a fake
 * agauthd thread (fake.c).
 */
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "client/ctl/opts.h"
#include "client/lib/agauth.h"
#include "shared/render.h"
#include "client/lib/reply.h"
#include "client/lib/status.h"
#include "shared/proto.h"
#include "shared/render.h"
#include "tests/unit/fake.h"

/* ------------------------------------------------------------ status */

Test(agauth_status, classes_map_by_op)
{
	const char *n;

#define ST(name, op) (n = (name), status_of(n, strlen(n), (op)))
	cr_assert_eq(ST("TokenExpiredError", AGAUTH_OP_VERIFY), AGAUTH_EXPIRED);
	cr_assert_eq(ST("NotBeforeError", AGAUTH_OP_VERIFY), AGAUTH_NOT_BEFORE);
	cr_assert_eq(ST("JsonWebTokenError", AGAUTH_OP_VERIFY), AGAUTH_INVALID);
	cr_assert_eq(ST("TypeError", AGAUTH_OP_VERIFY), AGAUTH_INVALID);
	cr_assert_eq(ST("SyntaxError", AGAUTH_OP_VERIFY), AGAUTH_INVALID);
	cr_assert_eq(ST("Error", AGAUTH_OP_VERIFY), AGAUTH_INVALID);
	cr_assert_eq(ST("Error", AGAUTH_OP_SIGN), AGAUTH_SIGN_ERROR);
	cr_assert_eq(ST("TypeError", AGAUTH_OP_SIGN), AGAUTH_SIGN_ERROR);
	cr_assert_eq(ST("AgauthError", AGAUTH_OP_VERIFY), AGAUTH_REFUSED);
	cr_assert_eq(ST("AgauthError", AGAUTH_OP_SIGN), AGAUTH_REFUSED);
	cr_assert_eq(ST("Error", AGAUTH_OP_KEYS), AGAUTH_REFUSED);
	cr_assert_eq(ST("NewError", AGAUTH_OP_VERIFY), AGAUTH_REFUSED);
	/* a prefix is not the class */
	cr_assert_eq(ST("Err", AGAUTH_OP_VERIFY), AGAUTH_REFUSED);
#undef ST
}

Test(agauth_status, strerror_covers_every_status)
{
	int s;

	for (s = AGAUTH_OK; s <= AGAUTH_USAGE; s++)
		cr_assert_neq(strcmp(agauth_strerror(s), "unknown status"), 0);
	cr_assert_str_eq(agauth_strerror((enum agauth_status)99),
			 "unknown status");
}

/* ------------------------------------------------------------ replies */

/* Decodes the frame in b (header and body) as a reply. */
static void decode(struct buf *b, struct proto_msg *m, uint64_t *id, int *ok)
{
	cr_assert_eq(b->err, 0);
	cr_assert_eq(proto_get_len((const uint8_t *)b->p), b->len - PROTO_HDR);
	cr_assert_eq(reply_open(m, (const uint8_t *)b->p + PROTO_HDR,
				b->len - PROTO_HDR, id, ok), 0);
}

Test(agauth_reply, error_frame_rebuilds_the_error)
{
	struct agauth_error err;
	struct ag_error e;
	struct proto_msg m;
	struct buf b;
	uint64_t id;
	int ok;

	buf_init(&b, 1 << 16);
	ag_fail_date(&e, AG_E_EXPIRED, 1700000000.5, NULL);
	proto_error(&b, 42, &e);
	decode(&b, &m, &id, &ok);
	cr_assert_eq(id, 42);
	cr_assert_eq(ok, 0);
	reply_error(m.root, AGAUTH_OP_VERIFY, &err);
	cr_assert_eq(err.status, AGAUTH_EXPIRED);
	cr_assert_str_eq(err.code, "AG_E_EXPIRED");
	cr_assert_str_eq(err.name, "TokenExpiredError");
	cr_assert_str_eq(err.message, "jwt expired");
	cr_assert_eq(err.has_date, 1);
	cr_assert_eq(err.date, 1700000000.5);
	proto_msg_free(&m);
	buf_free(&b);
}

Test(agauth_reply, sign_errors_and_refusals)
{
	struct agauth_error err;
	struct ag_error e;
	struct proto_msg m;
	struct buf b;
	uint64_t id;
	int ok;

	buf_init(&b, 1 << 16);
	ag_fail(&e, AG_E_SIGN_OPTION, "\"keyid\" is the key's to set");
	proto_error(&b, 1, &e);
	decode(&b, &m, &id, &ok);
	reply_error(m.root, AGAUTH_OP_SIGN, &err);
	cr_assert_eq(err.status, AGAUTH_SIGN_ERROR);
	cr_assert_str_eq(err.name, "Error");
	cr_assert_str_eq(err.message, "\"keyid\" is the key's to set");
	cr_assert_eq(err.has_date, 0);
	proto_msg_free(&m);
	buf_reset(&b);
	ag_fail(&e, AG_E_UNAUTHORIZED, NULL);
	proto_error(&b, 2, &e);
	decode(&b, &m, &id, &ok);
	reply_error(m.root, AGAUTH_OP_VERIFY, &err);
	cr_assert_eq(err.status, AGAUTH_REFUSED);
	cr_assert_str_eq(err.code, "AG_E_UNAUTHORIZED");
	cr_assert_str_eq(err.name, "AgauthError");
	proto_msg_free(&m);
	buf_free(&b);
}

Test(agauth_reply, missing_name_and_message_come_from_the_code)
{
	struct agauth_error err;
	struct proto_out o;
	struct proto_msg m;
	struct buf b;
	uint64_t id;
	int ok;

	buf_init(&b, 1 << 16);
	proto_begin(&o, &b);
	msgpack_pack_map(&o.pk, 3);
	proto_kv_uint(&o, "id", 5);
	proto_kv_bool(&o, "ok", 0);
	proto_kv_cstr(&o, "code", "AG_E_NOT_ACTIVE");
	cr_assert_eq(proto_end(&o), 0);
	decode(&b, &m, &id, &ok);
	reply_error(m.root, AGAUTH_OP_VERIFY, &err);
	cr_assert_eq(err.status, AGAUTH_NOT_BEFORE);
	cr_assert_str_eq(err.name, "NotBeforeError");
	cr_assert_str_eq(err.message, "jwt not active");
	proto_msg_free(&m);
	buf_free(&b);
}

Test(agauth_reply, not_a_reply)
{
	static const uint8_t not_map[] = { 0x91, 0x01 };
	static const uint8_t no_ok[] = { 0x81, 0xa2, 'i', 'd', 0x01 };
	/* a map claiming 2^32-1 members in five bytes */
	static const uint8_t liar[] = { 0xdf, 0xff, 0xff, 0xff, 0xff };
	struct proto_msg m;
	uint64_t id;
	int ok;

	cr_assert_eq(reply_open(&m, not_map, sizeof not_map, &id, &ok), -1);
	proto_msg_free(&m);
	cr_assert_eq(reply_open(&m, no_ok, sizeof no_ok, &id, &ok), -1);
	proto_msg_free(&m);
	cr_assert_eq(reply_open(&m, liar, sizeof liar, &id, &ok), -1);
	proto_msg_free(&m);
}

/* ------------------------------------------------------------ render */

static char *render_of(const msgpack_object *o, const char *const *skip)
{
	struct buf b;

	buf_init(&b, RENDER_MAX);
	if (skip != NULL)
		render_members(&b, o, skip);
	else
		render_obj(&b, o);
	return render_take(&b);
}

Test(agauth_render, keys_and_stats)
{
	static const char *const envelope[] = { "id", "ok", NULL };
	struct proto_out o;
	struct proto_msg m;
	struct buf b;
	char *s;

	buf_init(&b, 1 << 16);
	proto_begin(&o, &b);
	msgpack_pack_map(&o.pk, 4);
	proto_kv_uint(&o, "id", 9);
	proto_kv_bool(&o, "ok", 1);
	proto_key(&o, "keys");
	msgpack_pack_array(&o.pk, 1);
	msgpack_pack_map(&o.pk, 5);
	proto_kv_cstr(&o, "kid", "k\"1");
	proto_kv_cstr(&o, "alg", "HS256");
	proto_kv_cstr(&o, "state", "primary");
	proto_kv_uint(&o, "created", 1700000000);
	proto_key(&o, "retire");
	msgpack_pack_nil(&o.pk);
	proto_kv_double(&o, "load", 0.1);
	cr_assert_eq(proto_end(&o), 0);
	cr_assert_eq(proto_decode(&m, (const uint8_t *)b.p + PROTO_HDR,
				  b.len - PROTO_HDR, NULL), 0);
	s = render_of(proto_get(m.root, "keys"), NULL);
	cr_assert_str_eq(s, "[{\"kid\":\"k\\\"1\",\"alg\":\"HS256\","
			 "\"state\":\"primary\",\"created\":1700000000,"
			 "\"retire\":null}]");
	free(s);
	s = render_of(m.root, envelope);
	cr_assert_eq(strncmp(s, "{\"keys\":[", 9), 0);
	cr_assert(strstr(s, ",\"load\":0.1}") != NULL);
	free(s);
	proto_msg_free(&m);
	buf_free(&b);
}

static char *str_of(const char *s, size_t n)
{
	struct buf b;

	buf_init(&b, RENDER_MAX);
	render_str(&b, s, n);
	return render_take(&b);
}

Test(agauth_render, strings_are_json_and_utf8)
{
	char *s;

	s = str_of("a\"\\\n\t\x01/", 7);
	cr_assert_str_eq(s, "\"a\\\"\\\\\\n\\t\\u0001/\"");
	free(s);
	s = str_of("\xc3\xa9\xf0\x9f\x98\x80", 6);
	cr_assert_str_eq(s, "\"\xc3\xa9\xf0\x9f\x98\x80\"");
	free(s);
	/* WHATWG: one U+FFFD per maximal subpart, as Node decodes */
	s = str_of("\xe2\x82" "a\xff\xed\xa0\x80", 7);
	cr_assert_str_eq(s, "\"\\ufffda\\ufffd\\ufffd\\ufffd\\ufffd\"");
	free(s);
	s = str_of("x\0y", 3);
	cr_assert_str_eq(s, "\"x\\u0000y\"");
	free(s);
}

Test(agauth_render, numbers_as_json_stringify)
{
	struct buf b;

	buf_init(&b, 256);
	render_num(&b, 0.1);
	buf_putc(&b, ' ');
	render_num(&b, -0.0);
	buf_putc(&b, ' ');
	render_num(&b, 1.0 / 3);
	buf_putc(&b, ' ');
	render_num(&b, 1e300 * 1e300);
	buf_putc(&b, ' ');
	render_num(&b, 1700000000.5);
	cr_assert_str_eq(buf_cstr(&b),
			 "0.1 0 0.3333333333333333 null 1700000000.5");
	buf_free(&b);
}

/* ------------------------------------------------------------ options */

static const struct args_flag *flag(const struct args_flag *tab,
				    const char *name)
{
	for (; tab->name != NULL; tab++)
		if (strcmp(tab->name, name) == 0)
			return tab;
	cr_assert_fail("no flag --%s", name);
	return NULL;
}

/* Applies name=value pairs (NULL-ended) and returns the options JSON. */
static char *opts_of(const struct args_flag *tab, const char *const *kv)
{
	struct opts o;
	struct buf b;
	char why[256];

	memset(&o, 0, sizeof o);
	for (; *kv != NULL; kv += 2)
		cr_assert_eq(opts_add(&o, flag(tab, kv[0]), kv[1], why,
				      sizeof why), 0, "%s", why);
	buf_init(&b, 1 << 16);
	cr_assert_eq(opts_json(&o, &b), 0);
	return render_take(&b);
}

/* The options JSON the flags kv build is want. */
static void opts_is(const struct args_flag *tab, const char *const *kv,
		    const char *want)
{
	char *s = opts_of(tab, kv);

	cr_assert_str_eq(s, want);
	free(s);
}

static int opts_refused(const struct args_flag *tab, const char *name,
			const char *val)
{
	struct opts o;
	char why[256];

	memset(&o, 0, sizeof o);
	return opts_add(&o, flag(tab, name), val, why, sizeof why) != 0;
}

Test(agauth_opts, sign_flags)
{
	static const char *const kv[] = {
		"expires-in", "3600", "not-before", "0010",
		"audience", "a", "audience", "b", "issuer", "i\"ss",
		"no-timestamp", NULL, "header", " {\"x\":1} ",
		"subject", "\xff", "algorithm", "HS256",
		"algorithm", "HS384", NULL,
	};

	opts_is(opts_sign, kv, "{\"expiresIn\":3600,\"notBefore\":10,"
			 "\"audience\":[\"a\",\"b\"],\"issuer\":\"i\\\"ss\","
			 "\"noTimestamp\":true,\"header\": {\"x\":1} ,"
			 "\"subject\":\"\\ufffd\",\"algorithm\":\"HS384\"}");
}

Test(agauth_opts, spans_are_numbers_only_when_digits)
{
	static const char *const kv[] = {
		"expires-in", "1h", "not-before", "-10", NULL,
	};
	static const char *const one[] = { "audience", "x", NULL };
	static const char *const zero[] = { "expires-in", "000", NULL };

	opts_is(opts_sign, kv, "{\"expiresIn\":\"1h\",\"notBefore\":\"-10\"}");
	opts_is(opts_sign, one, "{\"audience\":\"x\"}");
	opts_is(opts_sign, zero, "{\"expiresIn\":0}");
}

Test(agauth_opts, options_merge_first_and_flags_override)
{
	static const char *const kv[] = {
		"options", " {\"algorithm\":\"HS384\", \"expiresIn\": 5} ",
		"expires-in", "60", NULL,
	};
	static const char *const empty[] = {
		"options", "{ }", "issuer", "x", NULL,
	};
	static const char *const alone[] = {
		"options", "{\"a\":[1,{\"b\":\"}\"}]}", NULL,
	};
	static const char *const none[] = { NULL };

	opts_is(opts_sign, kv, "{\"algorithm\":\"HS384\", \"expiresIn\": 5,"
			 "\"expiresIn\":60}");
	opts_is(opts_sign, empty, "{\"issuer\":\"x\"}");
	opts_is(opts_sign, alone, "{\"a\":[1,{\"b\":\"}\"}]}");
	opts_is(opts_sign, none, "");
}

Test(agauth_opts, verify_flags)
{
	static const char *const kv[] = {
		"algorithms", "HS256,RS256", "issuer", "a", "issuer", "b",
		"clock-tolerance", "1.5", "max-age", "1d",
		"clock-timestamp", "1700000000", "ignore-expiration", NULL,
		"complete", NULL, NULL,
	};

	opts_is(opts_verify, kv, "{\"algorithms\":[\"HS256\",\"RS256\"],"
			 "\"issuer\":[\"a\",\"b\"],\"clockTolerance\":1.5,"
			 "\"maxAge\":\"1d\",\"clockTimestamp\":1700000000,"
			 "\"ignoreExpiration\":true,\"complete\":true}");
}

Test(agauth_opts, values_that_could_change_the_object_are_refused)
{
	cr_assert(opts_refused(opts_sign, "options", "{\"a\":1"));
	cr_assert(opts_refused(opts_sign, "options", "[1]"));
	cr_assert(opts_refused(opts_sign, "options", "{\"a\":\"}"));
	cr_assert(opts_refused(opts_sign, "options", "{} {}"));
	cr_assert(opts_refused(opts_sign, "options", "x{}"));
	cr_assert(opts_refused(opts_sign, "header", "1,\"alg\":\"none\""));
	cr_assert(opts_refused(opts_sign, "header", ""));
	cr_assert(opts_refused(opts_verify, "clock-tolerance", "01"));
	cr_assert(opts_refused(opts_verify, "clock-tolerance", "1."));
	cr_assert(opts_refused(opts_verify, "clock-tolerance", "abc"));
	cr_assert(opts_refused(opts_verify, "clock-timestamp", "1e"));
	cr_assert(!opts_refused(opts_verify, "clock-tolerance", "-0.5e+2"));
	cr_assert(opts_refused(opts_sign, "header", "5"));
	cr_assert(!opts_refused(opts_sign, "header", "{}"));
}

/* ------------------------------------------------------------ with a daemon */

Test(agauth_conn, daemon_down_names_the_socket, .timeout = 10)
{
	struct agauth_error e;

	cr_assert_null(agauth_open("/nonexistent/agauthd.sock", &e));
	cr_assert_eq(e.status, AGAUTH_UNREACHABLE);
	cr_assert_str_eq(e.code, "AG_E_CONNECT");
	cr_assert(strstr(e.message, "/nonexistent/agauthd.sock") != NULL);
	setenv("AGAUTHD_SOCKET", "/nonexistent/env.sock", 1);
	cr_assert_null(agauth_open(NULL, &e));
	cr_assert(strstr(e.message, "/nonexistent/env.sock") != NULL);
}

Test(agauth_conn, blocking_calls, .timeout = 10)
{
	struct agauth_verified v;
	struct agauth_error e;
	struct fake f;
	char *tok, *added, *json, *kid;
	uint64_t gen;
	agauth_t *a;

	fake_start(&f, fake_basic);
	a = fake_open(&f);
	cr_assert_eq(agauth_ping(a, &e), AGAUTH_OK);
	cr_assert_eq(agauth_sign(a, "{\"a\":1}", "{\"expiresIn\":60}", &tok,
				 &added, &e), AGAUTH_OK);
	cr_assert_str_eq(tok, "h.p.s");
	cr_assert_str_eq(added, "{\"iat\":1}");
	free(tok);
	free(added);
	cr_assert_eq(agauth_verify(a, "a.b.c", NULL, &v, &e), AGAUTH_OK);
	cr_assert_eq(v.is_json, 1);
	cr_assert_str_eq(v.payload, "{\"a\":1}");
	cr_assert_eq(v.payload_len, 7);
	cr_assert_str_eq(v.header, "{\"alg\":\"HS256\"}");
	cr_assert_str_eq(v.kid, "k1");
	agauth_verified_free(&v);
	cr_assert_eq(agauth_verify(a, "text", NULL, &v, &e), AGAUTH_OK);
	cr_assert_eq(v.is_json, 0);
	cr_assert_str_eq(v.payload, "hi");
	cr_assert_null(v.header);
	cr_assert_str_eq(v.kid, "");
	agauth_verified_free(&v);
	cr_assert_eq(agauth_verify(a, "expired", NULL, &v, &e),
		     AGAUTH_EXPIRED);
	cr_assert_str_eq(e.name, "TokenExpiredError");
	cr_assert_str_eq(e.message, "jwt expired");
	cr_assert_eq(e.date, 1700000000);
	cr_assert_null(v.payload);
	cr_assert_eq(agauth_verify(a, "bad", NULL, NULL, NULL),
		     AGAUTH_INVALID);
	cr_assert_eq(agauth_keys(a, &json, &e), AGAUTH_OK);
	cr_assert_str_eq(json, "[{\"kid\":\"k1\",\"alg\":\"HS256\"}]");
	free(json);
	cr_assert_eq(agauth_stats(a, &json, &e), AGAUTH_OK);
	cr_assert_str_eq(json, "{\"uptime\":5,\"requests\":9}");
	free(json);
	cr_assert_eq(agauth_reload(a, &gen, &e), AGAUTH_OK);
	cr_assert_eq(gen, 7);
	cr_assert_eq(agauth_rotate(a, "ES256", &kid, &e), AGAUTH_OK);
	cr_assert_str_eq(kid, "k2");
	free(kid);
	cr_assert_eq(agauth_sign(a, NULL, NULL, &tok, NULL, &e),
		     AGAUTH_USAGE);
	cr_assert_null(tok);
	agauth_close(a);
	fake_stop(&f);
	cr_assert_eq(f.conns, 1);
}

/* Holds three requests and answers them last first. */
static int fake_reverse(struct fake *f, int fd, uint64_t id, const char *op,
			const msgpack_object *req)
{
	f->held[f->nheld++] = id;
	if (f->nheld < 3)
		return 0;
	while (f->nheld > 0)
		fake_basic(f, fd, f->held[--f->nheld], op, req);
	return 0;
}

Test(agauth_conn, pipelined_replies_match_by_id, .timeout = 10)
{
	struct agauth_reply r[3];
	struct fake f;
	uint64_t id[3];
	int i, tag[3] = { 10, 11, 12 };
	agauth_t *a;

	fake_start(&f, fake_reverse);
	a = fake_open(&f);
	for (i = 0; i < 3; i++) {
		id[i] = agauth_submit_sign(a, "{}", NULL, &tag[i], NULL);
		cr_assert_neq(id[i], 0);
	}
	cr_assert_eq(agauth_inflight(a), 3);
	fake_drain(a, r, 3);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(r[i].id, id[2 - i]);
		cr_assert_eq(r[i].udata, &tag[2 - i]);
		cr_assert_eq(r[i].op, AGAUTH_OP_SIGN);
		cr_assert_eq(r[i].status, AGAUTH_OK);
		cr_assert_str_eq(r[i].token, "h.p.s");
		agauth_reply_free(&r[i]);
	}
	cr_assert_eq(agauth_inflight(a), 0);
	cr_assert_eq(agauth_complete(a, &r[0]), 0);
	agauth_close(a);
	fake_stop(&f);
}

/* Answers the first request and hangs up on the second, unanswered;
 * then serves normally. */
static int fake_drop_second(struct fake *f, int fd, uint64_t id,
			    const char *op, const msgpack_object *req)
{
	if (atomic_load(&f->reqs) == 2)
		return 1;
	return fake_basic(f, fd, id, op, req);
}

Test(agauth_conn, in_flight_requests_fail_when_the_connection_breaks,
     .timeout = 10)
{
	struct agauth_reply r[3];
	struct fake f;
	uint64_t id[3];
	agauth_t *a;
	int i;

	fake_start(&f, fake_drop_second);
	a = fake_open(&f);
	for (i = 0; i < 3; i++)
		id[i] = agauth_submit_ping(a, NULL, NULL);
	fake_drain(a, r, 3);
	cr_assert_eq(r[0].id, id[0]);
	cr_assert_eq(r[0].status, AGAUTH_OK);
	for (i = 1; i < 3; i++) {
		cr_assert_eq(r[i].id, id[i]);
		cr_assert_eq(r[i].status, AGAUTH_UNREACHABLE);
		cr_assert_str_eq(r[i].error.code, "AG_E_DISCONNECTED");
		cr_assert_str_eq(r[i].error.message,
				 "connection to agauthd lost");
	}
	cr_assert_eq(agauth_complete(a, &r[0]), -1);
	cr_assert_eq(agauth_fd(a), -1);
	cr_assert_eq(agauth_flush(a), -1);
	/* the next request reconnects, with hello */
	id[0] = agauth_submit_ping(a, NULL, NULL);
	cr_assert_neq(id[0], 0);
	cr_assert_geq(agauth_fd(a), 0);
	fake_drain(a, r, 1);
	cr_assert_eq(r[0].status, AGAUTH_OK);
	agauth_close(a);
	fake_stop(&f);
	cr_assert_eq(f.conns, 2);
}

/* Hangs up on the first request without answering it. */
static int fake_swallow_first(struct fake *f, int fd, uint64_t id,
			      const char *op, const msgpack_object *req)
{
	if (atomic_load(&f->reqs) == 1)
		return 1;
	return fake_basic(f, fd, id, op, req);
}

Test(agauth_conn, blocking_call_is_not_sent_twice, .timeout = 10)
{
	struct agauth_error e;
	struct fake f;
	char *tok = NULL;
	agauth_t *a;

	fake_start(&f, fake_swallow_first);
	a = fake_open(&f);
	cr_assert_eq(agauth_sign(a, "{}", NULL, &tok, NULL, &e),
		     AGAUTH_UNREACHABLE);
	cr_assert_str_eq(e.message, "connection to agauthd lost");
	cr_assert_null(tok);
	cr_assert_eq(atomic_load(&f.reqs), 1);
	cr_assert_eq(agauth_ping(a, &e), AGAUTH_OK, "%s", e.message);
	agauth_close(a);
	fake_stop(&f);
	cr_assert_eq(f.reqs, 2);
	cr_assert_eq(f.conns, 2);
}

/* Answers, then hangs up as an idle timeout or a restart would. */
static int fake_answer_and_hang_up(struct fake *f, int fd, uint64_t id,
				   const char *op, const msgpack_object *req)
{
	fake_basic(f, fd, id, op, req);
	return 1;
}

Test(agauth_conn, closed_idle_connection_is_replaced, .timeout = 10)
{
	struct agauth_error e;
	struct pollfd p;
	struct fake f;
	agauth_t *a;

	fake_start(&f, fake_answer_and_hang_up);
	a = fake_open(&f);
	cr_assert_eq(agauth_ping(a, &e), AGAUTH_OK);
	/* wait until the daemon's hang-up is visible on the socket */
	p.fd = agauth_fd(a);
	p.events = POLLIN;
	cr_assert_eq(poll(&p, 1, 5000), 1);
	cr_assert_eq(agauth_ping(a, &e), AGAUTH_OK, "%s", e.message);
	agauth_close(a);
	fake_stop(&f);
	cr_assert_eq(f.reqs, 2);
	cr_assert_eq(f.conns, 2);
}

static int fake_oversize(struct fake *f, int fd, uint64_t id, const char *op,
			 const msgpack_object *req)
{
	static const uint8_t hdr[] = { 0x00, 0x10, 0x00, 0x01, 0x80 };

	(void)f, (void)id, (void)op, (void)req;
	fake_io(fd, (void *)(uintptr_t)hdr, sizeof hdr, 1);
	return 0;
}

static int fake_wrong_id(struct fake *f, int fd, uint64_t id, const char *op,
			 const msgpack_object *req)
{
	return fake_basic(f, fd, id + 1000, op, req);
}

static int fake_no_token(struct fake *f, int fd, uint64_t id, const char *op,
			 const msgpack_object *req)
{
	struct proto_out o;
	struct buf b;

	(void)f, (void)op, (void)req;
	fake_ok(&b, &o, id, 0);
	proto_end(&o);
	fake_send(fd, &b);
	return 0;
}

/* A protocol violation ends the connection; no wrong answer comes out. */
static void violation(fake_fn serve, const char *code)
{
	struct agauth_error e;
	struct fake f;
	char *tok = NULL;
	agauth_t *a;

	fake_start(&f, serve);
	a = fake_open(&f);
	cr_assert_eq(agauth_sign(a, "{}", NULL, &tok, NULL, &e),
		     AGAUTH_UNREACHABLE);
	cr_assert_str_eq(e.code, code);
	cr_assert_null(tok);
	cr_assert_eq(agauth_fd(a), -1);
	agauth_close(a);
	fake_stop(&f);
}

Test(agauth_conn, reply_over_the_hard_limit, .timeout = 10)
{
	violation(fake_oversize, "AG_E_DISCONNECTED");
}

Test(agauth_conn, reply_to_an_unknown_id, .timeout = 10)
{
	violation(fake_wrong_id, "AG_E_DISCONNECTED");
}

Test(agauth_conn, sign_reply_without_token, .timeout = 10)
{
	violation(fake_no_token, "AG_E_PROTOCOL");
}

static int fake_silent(struct fake *f, int fd, uint64_t id, const char *op,
		       const msgpack_object *req)
{
	(void)f, (void)fd, (void)id, (void)op, (void)req;
	return 0;
}

Test(agauth_conn, timeout, .timeout = 10)
{
	struct agauth_error e;
	struct fake f;
	agauth_t *a;

	fake_start(&f, fake_silent);
	a = fake_open(&f);
	agauth_set_timeout(a, 100);
	cr_assert_eq(agauth_ping(a, &e), AGAUTH_UNREACHABLE);
	cr_assert(strstr(e.message, "did not answer within 100 ms") != NULL,
		  "%s", e.message);
	agauth_close(a);
	fake_stop(&f);
}

Test(agauth_conn, hello_of_another_version_is_refused, .timeout = 10)
{
	struct agauth_error e;
	struct fake f;

	fake_setup(&f, fake_basic);
	f.hello_v = 2;
	fake_run(&f);
	cr_assert_null(agauth_open(f.path, &e));
	cr_assert_eq(e.status, AGAUTH_REFUSED);
	cr_assert_str_eq(e.code, "AG_E_HELLO");
	fake_stop(&f);
}

Test(agauth_conn, requests_over_max_frame_are_refused_locally,
     .timeout = 10)
{
	struct agauth_error e;
	struct fake f;
	char big[200], *tok = NULL;
	agauth_t *a;

	fake_setup(&f, fake_basic);
	f.max_frame = 100;
	fake_run(&f);
	a = fake_open(&f);
	memset(big, ' ', sizeof big - 1);
	big[0] = '1';
	big[sizeof big - 1] = '\0';
	cr_assert_eq(agauth_sign(a, big, NULL, &tok, NULL, &e),
		     AGAUTH_REFUSED);
	cr_assert_str_eq(e.code, "AG_E_FRAME_TOO_LARGE");
	/* nothing was sent; the connection stays */
	cr_assert_eq(agauth_ping(a, &e), AGAUTH_OK);
	agauth_close(a);
	fake_stop(&f);
	cr_assert_eq(f.reqs, 1);
	cr_assert_eq(f.conns, 1);
}

Test(agauth_conn, blocking_call_waits_for_pipelined_ones, .timeout = 10)
{
	struct agauth_reply r;
	struct agauth_error e;
	struct fake f;
	agauth_t *a;

	fake_start(&f, fake_basic);
	a = fake_open(&f);
	cr_assert_neq(agauth_submit_ping(a, NULL, NULL), 0);
	cr_assert_eq(agauth_ping(a, &e), AGAUTH_USAGE);
	fake_drain(a, &r, 1);
	cr_assert_eq(agauth_ping(a, &e), AGAUTH_OK);
	agauth_close(a);
	fake_stop(&f);
}
