/* test_conn.c - the connection module through its door alone: frames in
 * to the handler given at open, replies out, over a socketpair on a real
 * ev loop.  The handler here knows nothing of operations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daemon/conn.h"
#include "shared/limits.h"
#include "shared/proto.h"
#include "tests/unit/connpair.h"

enum tc_mode {
	TC_ECHO,                     /* reply with the frame, complete it */
	TC_HOLD,                     /* keep it in flight */
	TC_BIG,                      /* reply with TC_BIG_REPLY bytes */
	TC_CLOSE,                    /* reply, then end the connection */
};
#define TC_BIG_REPLY 4096
#define TC_HELD_MAX  64

static struct {
	enum tc_mode mode;
	unsigned frames, closed;
	uid_t uid;
	pid_t pid;
	uint8_t last[256];
	size_t last_n;
	struct conn *held[TC_HELD_MAX];
	unsigned nheld;
	long peer_had[TC_HELD_MAX]; /* bytes the client could read when
				      * each frame reached the handler */
} tc;
static struct connpair tc_p;

static void tc_frame(const void *arg, struct conn *c, const uint8_t *body,
		     size_t n)
{
	static const uint8_t big[TC_BIG_REPLY];
	uint8_t h[PROTO_HDR];
	const uint8_t *r = tc.mode == TC_BIG ? big : body;
	size_t rn = tc.mode == TC_BIG ? sizeof big : n;

	cr_assert_eq(arg, &tc, "the handler gets the arg it was opened with");
	if (tc.frames < TC_HELD_MAX)
		tc.peer_had[tc.frames] = recv(tc_p.peer, tc.last, sizeof tc.last,
					      MSG_PEEK | MSG_DONTWAIT);
	tc.frames++;
	tc.uid = conn_peer(c)->uid;
	tc.pid = conn_peer(c)->pid;
	tc.last_n = n < sizeof tc.last ? n : sizeof tc.last;
	memcpy(tc.last, body, tc.last_n);
	if (tc.mode == TC_HOLD) {
		cr_assert(tc.nheld < TC_HELD_MAX);
		conn_ref(c);
		tc.held[tc.nheld++] = c;
		return;
	}
	h[0] = (uint8_t)(rn >> 24);
	h[1] = (uint8_t)(rn >> 16);
	h[2] = (uint8_t)(rn >> 8);
	h[3] = (uint8_t)rn;
	buf_put(conn_out(c), h, sizeof h);
	buf_put(conn_out(c), r, rn);
	if (tc.mode == TC_CLOSE)
		conn_close_after(c);
	conn_sent(c, 1);
}

static void tc_closed(const void *arg, struct conn *c)
{
	(void)arg;
	cr_assert(conn_dead(c));
	tc.closed++;
}

static struct conn_opts tc_opts = {
	.max_frame = 1024,
	.max_inflight = 4,
	.max_output = 1024,
	.idle_timeout = 60,
	.frame_timeout = 60,
	.frame = tc_frame,
	.closed = tc_closed,
	.arg = &tc,
};

static void tc_setup(void)
{
	memset(&tc, 0, sizeof tc);
}

static void tc_teardown(void)
{
	unsigned i;

	for (i = 0; i < tc.nheld; i++)
		conn_unref(tc.held[i]);
	cp_close(&tc_p);
	cr_assert_eq(conn_count(), 0);
}

TestSuite(conn, .init = tc_setup, .fini = tc_teardown);

Test(conn, frame_reaches_the_handler_and_the_reply_the_peer)
{
	uint8_t b[64];

	cp_open(&tc_p, &tc_opts, 0);
	cp_frame(&tc_p, "hello", 5);
	cr_assert_eq(cp_reply(&tc_p, b, sizeof b), 5);
	cr_assert_eq(tc.frames, 1);
	cr_assert_eq(tc.last_n, 5);
	cr_assert_eq(memcmp(tc.last, "hello", 5), 0);
	cr_assert_eq(memcmp(b, "hello", 5), 0);
	/* the identity is the kernel's */
	cr_assert_eq(tc.uid, getuid());
	cr_assert_eq(tc.pid, getpid());
}

Test(conn, partial_frame_waits_for_its_rest)
{
	uint8_t b[64];

	cp_open(&tc_p, &tc_opts, 0);
	cp_write(&tc_p, "\0\0\0\x0a" "01234", 9);
	cp_spin(&tc_p);
	cr_assert_eq(tc.frames, 0, "half a frame is not a frame");
	cr_assert_eq(cp_reply(&tc_p, b, sizeof b), -2);
	cp_write(&tc_p, "\0", 1);
	cp_spin(&tc_p);
	cr_assert_eq(tc.frames, 0);
	cp_write(&tc_p, "567", 3);
	cr_assert_eq(cp_reply(&tc_p, b, sizeof b), -2);
	cp_write(&tc_p, "8", 1);
	cr_assert_eq(cp_reply(&tc_p, b, sizeof b), 10);
	cr_assert_eq(tc.frames, 1);
	cr_assert_eq(memcmp(b, "01234\0" "567" "8", 10), 0);
}

/* A length past max_frame is answered as soon as its header is in: the
 * connection does not wait for (or make room for) the body. */
Test(conn, oversize_frame_refused_from_its_header)
{
	struct proto_msg m;
	uint8_t b[256];
	const char *code;
	size_t n;
	long len;

	cp_open(&tc_p, &tc_opts, 0);
	cp_write(&tc_p, "\0\0\x04\x01", 4);        /* 1025 > 1024 */
	len = cp_reply(&tc_p, b, sizeof b);
	cr_assert_gt(len, 0, "refused before any body byte was sent");
	cr_assert_eq(proto_decode(&m, b, (size_t)len, NULL), 0);
	cr_assert_eq(proto_str(m.root, "code", &code, &n), 0);
	cr_assert_eq(strncmp(code, proto_code_name(AG_E_FRAME_TOO_LARGE), n),
		     0);
	proto_msg_free(&m);
	cr_assert_eq(cp_reply(&tc_p, b, sizeof b), -1, "then it closes");
	cr_assert_eq(tc.frames, 0);
	cr_assert_eq(tc.closed, 1);
	cr_assert_eq(conn_count(), 0);
}

Test(conn, zero_length_frame_refused)
{
	uint8_t b[256];

	cp_open(&tc_p, &tc_opts, 0);
	cp_write(&tc_p, "\0\0\0\0", 4);
	cr_assert_gt(cp_reply(&tc_p, b, sizeof b), 0);
	cr_assert_eq(cp_reply(&tc_p, b, sizeof b), -1);
	cr_assert_eq(tc.frames, 0);
}

/* 200 frames in one write: every one handled in order, every reply
 * back in order. */
Test(conn, pipelined_burst)
{
	char burst[200 * 8 + 1];     /* + snprintf's NUL */
	uint8_t b[64];
	unsigned i;

	cp_open(&tc_p, &tc_opts, 0);
	for (i = 0; i < 200; i++) {
		memcpy(burst + 8 * i, "\0\0\0\x04", 4);
		snprintf(burst + 8 * i + 4, 5, "%04u", i);
	}
	cp_write(&tc_p, burst, 200 * 8);
	for (i = 0; i < 200; i++) {
		cr_assert_eq(cp_reply(&tc_p, b, sizeof b), 4, "reply %u", i);
		cr_assert_eq(memcmp(b, burst + 8 * i + 4, 4), 0, "reply %u", i);
	}
	cr_assert_eq(tc.frames, 200);
}

/* A connection opened with o, in that mode, sent n one-byte frames at
 * once. */
static void tc_burst(enum tc_mode mode, const struct conn_opts *o,
		     unsigned n)
{
	char burst[TC_HELD_MAX * 5];
	unsigned i;

	cr_assert(n <= TC_HELD_MAX);
	tc.mode = mode;
	cp_open(&tc_p, o, 0);
	for (i = 0; i < n; i++)
		memcpy(burst + 5 * i, "\0\0\0\x01x", 5);
	cp_write(&tc_p, burst, 5 * n);
	cp_spin(&tc_p);
}

static void tc_hold_burst(unsigned n)
{
	tc_burst(TC_HOLD, &tc_opts, n);
}

/* No more than max_inflight requests in flight: the rest wait in the
 * socket until one completes. */
Test(conn, inflight_bound)
{
	uint8_t h[PROTO_HDR] = { 0, 0, 0, 1 };
	struct conn *c;

	tc_hold_burst(10);
	cr_assert_eq(tc.frames, 4);
	/* one completes: one more comes in */
	c = tc.held[0];
	buf_put(conn_out(c), h, sizeof h);
	buf_put(conn_out(c), "y", 1);
	conn_sent(c, 1);
	cp_spin(&tc_p);
	cr_assert_eq(tc.frames, 5);
	/* a reply made elsewhere (a pool job) counts the same */
	conn_reply(tc.held[1], "\0\0\0\x01" "z", 5);
	cp_spin(&tc_p);
	cr_assert_eq(tc.frames, 6);
}

/* A client that does not read stops being read: unread replies past
 * max_output hold its requests back, and they go on when it reads. */
Test(conn, output_flow_control)
{
	uint8_t b[TC_BIG_REPLY];
	unsigned i, got = 0;
	long n;

	tc.mode = TC_BIG;
	cp_open(&tc_p, &tc_opts, 4096);
	/* one at a time, as a client would that asks without reading */
	for (i = 0; i < 100; i++) {
		cp_write(&tc_p, "\0\0\0\x01x", 5);
		cp_spin(&tc_p);
	}
	cr_assert_lt(tc.frames, 20, "a client that does not read is not "
		     "read");
	while (got < 100) {
		n = cp_reply(&tc_p, b, sizeof b);
		cr_assert_eq(n, TC_BIG_REPLY, "reply %u: %ld", got, n);
		got++;
	}
	cr_assert_eq(tc.frames, 100, "reading lets the rest in");
}

/* conn_close_after: the reply goes, then the connection ends, and what
 * the peer sent behind the frame is not handled. */
Test(conn, close_after_reply)
{
	uint8_t b[64];

	tc.mode = TC_CLOSE;
	cp_open(&tc_p, &tc_opts, 0);
	cp_write(&tc_p, "\0\0\0\x03" "bad" "\0\0\0\x02" "ok", 13);
	cr_assert_eq(cp_reply(&tc_p, b, sizeof b), 3);
	cr_assert_eq(cp_reply(&tc_p, b, sizeof b), -1);
	cr_assert_eq(tc.frames, 1);
	cr_assert_eq(tc.closed, 1);
}

/* A peer that hangs up: the closed callback runs once, and a job that
 * still holds the connection may complete into it safely. */
Test(conn, peer_gone_while_a_request_is_held)
{
	struct conn *c;

	tc.mode = TC_HOLD;
	cp_open(&tc_p, &tc_opts, 0);
	cp_frame(&tc_p, "x", 1);
	cp_spin(&tc_p);
	cr_assert_eq(tc.nheld, 1);
	shutdown(tc_p.peer, SHUT_RDWR);
	cp_spin(&tc_p);
	c = tc.held[0];
	/* half-closed peers still get their replies: it stays open while
	 * the request is in flight, and goes when it completes */
	conn_reply(c, "\0\0\0\x01z", 5);
	cp_spin(&tc_p);
	cr_assert(conn_dead(c));
	cr_assert_eq(tc.closed, 1);
	cr_assert_eq(conn_count(), 0);
}

/* conn_rewind takes back what was appended after the mark, and only
 * that. */
Test(conn, rewind_to_mark)
{
	uint8_t b[64];
	struct conn *c;
	size_t mark;

	tc.mode = TC_HOLD;
	cp_open(&tc_p, &tc_opts, 0);
	cp_frame(&tc_p, "x", 1);
	cp_spin(&tc_p);
	c = tc.held[0];
	buf_put(conn_out(c), "\0\0\0\x01" "a", 5);
	mark = conn_mark(c);
	buf_put(conn_out(c), "\0\0\0\x01" "b", 5);
	conn_rewind(c, mark);
	cr_assert_eq(conn_mark(c), mark);
	conn_sent(c, 1);
	cr_assert_eq(cp_reply(&tc_p, b, sizeof b), 1);
	cr_assert_eq(b[0], 'a');
	cr_assert_eq(cp_reply(&tc_p, b, sizeof b), -2);
}

/* Replies made outside the read of a batch (pool results, one after
 * another) go out together before the loop next waits: the client is
 * woken once for them, not once per reply. */
Test(conn, replies_made_between_reads_leave_in_one_send)
{
	uint8_t b[64];
	unsigned i;

	tc_hold_burst(3);
	cr_assert_eq(tc.nheld, 3);
	for (i = 0; i < 3; i++)
		conn_reply(tc.held[i], "\0\0\0\x01z", 5);
	cr_assert_eq(recv(tc_p.peer, b, sizeof b, MSG_DONTWAIT), -1,
		     "no reply leaves before the loop is about to wait");
	cp_spin(&tc_p);
	cr_assert_eq(recv(tc_p.peer, b, sizeof b, MSG_DONTWAIT), 15,
		     "all three at once");
}

/* A long pipeline read at once is not answered in one send at the end:
 * the replies ready so far leave every AG_CONN_SEND_EVERY requests, so
 * the client can refill while the daemon answers the rest. */
Test(conn, long_pipeline_replies_leave_while_it_is_answered)
{
	/* the connection keeps its options till teardown */
	static struct conn_opts o;
	unsigned i, n = 2 * AG_CONN_SEND_EVERY + 4;
	uint8_t b[64];

	o = tc_opts;
	o.max_inflight = TC_HELD_MAX;
	tc_burst(TC_ECHO, &o, n);
	cr_assert_eq(tc.frames, n, "one read took the whole pipeline");
	cr_assert_eq(tc.peer_had[AG_CONN_SEND_EVERY - 1], -1,
		     "nothing leaves before the first %d", AG_CONN_SEND_EVERY);
	cr_assert_eq(tc.peer_had[AG_CONN_SEND_EVERY], 5 * AG_CONN_SEND_EVERY,
		     "the first %d replies left before the next request",
		     AG_CONN_SEND_EVERY);
	cr_assert_eq(tc.peer_had[2 * AG_CONN_SEND_EVERY],
		     2 * 5 * AG_CONN_SEND_EVERY);
	for (i = 0; i < n; i++)
		cr_assert_eq(cp_reply(&tc_p, b, sizeof b), 1, "reply %u", i);
}

/* A reply still unsent when agauthd stops is written, not dropped, and
 * its connection is not leaked by the queue that held it. */
Test(conn, reply_queued_at_stop_is_written)
{
	uint8_t b[64];

	tc.mode = TC_HOLD;
	cp_open(&tc_p, &tc_opts, 0);
	cp_frame(&tc_p, "x", 1);
	cp_spin(&tc_p);
	conn_reply(tc.held[0], "\0\0\0\x01z", 5);
	conn_close_all();
	cr_assert_eq(recv(tc_p.peer, b, sizeof b, MSG_DONTWAIT), 5);
}
