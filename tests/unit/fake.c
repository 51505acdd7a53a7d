/* fake.c - a fake agauthd for the unit suites (fake.h). */
#include "tests/unit/fake.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>

int fake_io(int fd, void *p, size_t n, int wr)
{
	char *c = p;
	ssize_t k;

	while (n > 0) {
		k = wr ? write(fd, c, n) : read(fd, c, n);
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

void fake_send(int fd, struct buf *b)
{
	fake_io(fd, b->p, b->len, 1);
	buf_free(b);
}

void fake_send_fd(int fd, struct buf *b, int passfd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = b->p, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.b, .msg_controllen = sizeof u.b,
	};
	struct cmsghdr *cm;

	memset(&u, 0, sizeof u);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &passfd, sizeof(int));
	if (sendmsg(fd, &mh, 0) == 1)
		fake_io(fd, b->p + 1, b->len - 1, 1);
	buf_free(b);
}

void fake_ok(struct buf *b, struct proto_out *o, uint64_t id,
		    uint32_t extra)
{
	buf_init(b, 1 << 21);
	proto_begin(o, b);
	msgpack_pack_map(&o->pk, 2 + extra);
	proto_kv_uint(o, "id", id);
	proto_kv_bool(o, "ok", 1);
}

void fake_fail(int fd, uint64_t id, enum ag_err code, double date)
{
	struct ag_error e;
	struct buf b;

	buf_init(&b, 1 << 16);
	if (date != 0)
		ag_fail_date(&e, code, date, NULL);
	else
		ag_fail(&e, code, NULL);
	proto_error(&b, id, &e);
	fake_send(fd, &b);
}

int fake_is(const char *op, const char *name)
{
	return strcmp(op, name) == 0;
}

int fake_basic(struct fake *f, int fd, uint64_t id, const char *op,
		      const msgpack_object *req)
{
	struct proto_out o;
	struct buf b;
	const char *tok = "";
	size_t n = 0;

	(void)f;
	proto_str(req, "token", &tok, &n);
	if (fake_is(op, "verify") && n == 7 && memcmp(tok, "expired", 7) == 0) {
		fake_fail(fd, id, AG_E_EXPIRED, 1700000000);
		return 0;
	}
	if (fake_is(op, "verify") && n == 3 && memcmp(tok, "bad", 3) == 0) {
		fake_fail(fd, id, AG_E_BAD_SIGNATURE, 0);
		return 0;
	}
	if (fake_is(op, "sign")) {
		fake_ok(&b, &o, id, 3);
		proto_kv_cstr(&o, "token", "h.p.s");
		proto_kv_cstr(&o, "added", "{\"iat\":1}");
		proto_kv_cstr(&o, "kid", "k1");
	} else if (fake_is(op, "verify") && n == 4) {
		/* a text payload, and no header (no complete: true) */
		fake_ok(&b, &o, id, 2);
		proto_kv_cstr(&o, "kind", "text");
		proto_kv_bin(&o, "payload", "hi", 2);
	} else if (fake_is(op, "verify")) {
		fake_ok(&b, &o, id, 4);
		proto_kv_cstr(&o, "kind", "json");
		proto_kv_bin(&o, "payload", "{\"a\":1}", 7);
		proto_kv_bin(&o, "header", "{\"alg\":\"HS256\"}", 15);
		proto_kv_cstr(&o, "kid", "k1");
	} else if (fake_is(op, "keys")) {
		fake_ok(&b, &o, id, 1);
		proto_key(&o, "keys");
		msgpack_pack_array(&o.pk, 1);
		msgpack_pack_map(&o.pk, 2);
		proto_kv_cstr(&o, "kid", "k1");
		proto_kv_cstr(&o, "alg", "HS256");
	} else if (fake_is(op, "reload")) {
		fake_ok(&b, &o, id, 1);
		proto_kv_uint(&o, "generation", 7);
	} else if (fake_is(op, "rotate")) {
		fake_ok(&b, &o, id, 2);
		proto_kv_cstr(&o, "kid", "k2");
		proto_kv_uint(&o, "generation", 8);
	} else if (fake_is(op, "stats")) {
		fake_ok(&b, &o, id, 2);
		proto_kv_uint(&o, "uptime", 5);
		proto_kv_uint(&o, "requests", 9);
	} else {
		fake_ok(&b, &o, id, 0);
	}
	proto_end(&o);
	fake_send(fd, &b);
	return 0;
}

static void fake_hello(struct fake *f, int fd, uint64_t id)
{
	struct proto_out o;
	struct buf b;

	fake_ok(&b, &o, id, 5);
	proto_kv_uint(&o, "v", f->hello_v);
	proto_kv_cstr(&o, "server", "fake");
	proto_kv_uint(&o, "max_frame", f->max_frame);
	proto_kv_uint(&o, "max_inflight", 256);
	proto_kv_uint(&o, "cache", f->cache);
	proto_end(&o);
	fake_send(fd, &b);
}

/* The cache hits and misses a request reports, added up. */
static void fake_counts(struct fake *f, const msgpack_object *req)
{
	uint64_t v;

	if (proto_uint(req, "ch", &v) == 0)
		atomic_fetch_add(&f->ch, v);
	if (proto_uint(req, "cm", &v) == 0)
		atomic_fetch_add(&f->cm, v);
}

static void fake_conn(struct fake *f, int fd)
{
	struct proto_msg m;
	uint8_t hdr[PROTO_HDR], *body;
	char op[16];
	const char *s;
	uint64_t id = 0;
	uint32_t n;
	size_t ns;
	int stop = 0;

	while (!stop && fake_io(fd, hdr, sizeof hdr, 0) == 0) {
		n = proto_get_len(hdr);
		body = malloc(n);
		if (body == NULL || fake_io(fd, body, n, 0) != 0) {
			free(body);
			break;
		}
		op[0] = '\0';
		if (proto_decode(&m, body, n, NULL) == 0 &&
		    proto_uint(m.root, "id", &id) == 0 &&
		    proto_str(m.root, "op", &s, &ns) == 0 && ns < sizeof op) {
			memcpy(op, s, ns);
			op[ns] = '\0';
			fake_counts(f, m.root);
		}
		if (fake_is(op, "hello")) {
			fake_hello(f, fd, id);
		} else {
			atomic_fetch_add(&f->reqs, 1);
			stop = f->serve(f, fd, id, op, m.root);
		}
		proto_msg_free(&m);
		free(body);
	}
	close(fd);
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	int fd;

	while ((fd = accept(f->lfd, NULL, NULL)) >= 0) {
		atomic_fetch_add(&f->conns, 1);
		fake_conn(f, fd);
	}
	return NULL;
}

void fake_setup(struct fake *f, fake_fn serve)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof *f);
	strcpy(f->dir, "/tmp/agauth-unit-XXXXXX");
	cr_assert_not_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/sock", f->dir);
	strcpy(sa.sun_path, f->path);
	f->serve = serve;
	f->hello_v = PROTO_VERSION;
	f->max_frame = AG_FRAME_DEFAULT;
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(f->lfd, 0);
	cr_assert_eq(bind(f->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	cr_assert_eq(listen(f->lfd, 8), 0);
}

void fake_run(struct fake *f)
{
	cr_assert_eq(pthread_create(&f->th, NULL, fake_main, f), 0);
}

void fake_start(struct fake *f, fake_fn serve)
{
	fake_setup(f, serve);
	fake_run(f);
}

void fake_stop(struct fake *f)
{
	shutdown(f->lfd, SHUT_RDWR);  /* wakes the accept */
	pthread_join(f->th, NULL);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
}

agauth_t *fake_open(struct fake *f)
{
	struct agauth_error e;
	agauth_t *a = agauth_open(f->path, &e);

	cr_assert_not_null(a, "%s", e.message);
	return a;
}

void fake_drain(agauth_t *a, struct agauth_reply *r, int n)
{
	struct pollfd p;
	int got = 0, rc;

	while (got < n) {
		agauth_flush(a);
		rc = agauth_complete(a, &r[got]);
		if (rc == 1) {
			got++;
			continue;
		}
		cr_assert_eq(rc, 0, "connection gone with %d of %d", got, n);
		p.fd = agauth_fd(a);
		p.events = POLLIN;
		cr_assert_eq(poll(&p, 1, 5000), 1, "no reply in 5 s");
	}
}
