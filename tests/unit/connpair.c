/* connpair.c - a daemon connection over a socketpair. */
#include "tests/unit/connpair.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "shared/proto.h"

void cp_open(struct connpair *p, const struct conn_opts *o, int sndbuf)
{
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
				SOCK_CLOEXEC, 0, sv), 0);
	if (sndbuf > 0) {
		cr_assert_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
					sizeof sndbuf), 0);
		cr_assert_eq(setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sndbuf,
					sizeof sndbuf), 0);
	}
	p->loop = ev_loop_new(EVFLAG_AUTO);
	cr_assert_not_null(p->loop);
	p->peer = sv[1];
	conn_open(p->loop, sv[0], o);
	cr_assert_eq(conn_count(), 1);
}

void cp_close(struct connpair *p)
{
	conn_close_all();
	close(p->peer);
	ev_loop_destroy(p->loop);
}

void cp_spin(struct connpair *p)
{
	int i;

	for (i = 0; i < 64; i++)
		ev_run(p->loop, EVRUN_NOWAIT);
}

void cp_write(struct connpair *p, const void *b, size_t n)
{
	const char *s = b;
	ssize_t w;

	while (n > 0) {
		w = send(p->peer, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EAGAIN) {
			cp_spin(p);
			continue;
		}
		cr_assert(w > 0, "write: %s", strerror(errno));
		s += w;
		n -= (size_t)w;
	}
}

void cp_frame(struct connpair *p, const void *body, size_t n)
{
	uint8_t h[PROTO_HDR] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16),
				 (uint8_t)(n >> 8), (uint8_t)n };

	cp_write(p, h, sizeof h);
	cp_write(p, body, n);
}

void cp_request(struct connpair *p, uint64_t id, const char *op)
{
	struct proto_out o;
	struct buf b;
	int hello = strcmp(op, "hello") == 0;

	buf_init(&b, 4096);
	proto_begin(&o, &b);
	msgpack_pack_map(&o.pk, hello ? 3 : 2);
	proto_kv_uint(&o, "id", id);
	proto_kv_cstr(&o, "op", op);
	if (hello)
		proto_kv_uint(&o, "v", PROTO_VERSION);
	cr_assert_eq(proto_end(&o), 0);
	cp_write(p, b.p, b.len);
	buf_free(&b);
}

/* Exactly n bytes, spinning the loop while they are on their way. */
static int cp_read(struct connpair *p, uint8_t *b, size_t n, int first)
{
	ssize_t r;
	int idle = 0;

	while (n > 0) {
		r = read(p->peer, b, n);
		if (r == 0)
			return -1;
		if (r < 0) {
			cr_assert(errno == EAGAIN, "read: %s", strerror(errno));
			/* nothing begun and nothing coming */
			if (first && ++idle > 4)
				return -2;
			cr_assert(idle++ < 1000, "a frame stopped half-way");
			cp_spin(p);
			continue;
		}
		first = 0;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

long cp_reply(struct connpair *p, uint8_t *b, size_t cap)
{
	uint8_t h[PROTO_HDR];
	uint32_t len;
	int rc;

	cp_spin(p);
	rc = cp_read(p, h, sizeof h, 1);
	if (rc != 0)
		return rc;
	len = proto_get_len(h);
	cr_assert(len <= cap, "reply of %u bytes", (unsigned)len);
	cr_assert_eq(cp_read(p, b, len, 0), 0);
	return (long)len;
}
