/*
 * bench_daemon - agauthd under load, spoken to over its wire protocol
 * (docs/protocol.md, with shared/proto), next to a bare echo server.
 *
 *   build/bench_daemon DAEMON_SOCKET ECHO_SOCKET SECRET_FILE
 *
 * The daemon's keyring must hold an RS256 (or, for comparison, another
 * asymmetric) primary key and an HS256 verify-only key without kid whose
 * secret is SECRET_FILE's bytes, as an imported SocketCluster authKey
 * (bench/run_daemon.sh sets this up).  The HS256 token is made here, as
 * jsonwebtoken's sign() would make it for
 * {"username":"alice","channels":["a","b"]} with expiresIn 86400.
 *
 * Measurements, interleaved so that the figures compared with each other
 * see the same machine conditions (each repetition runs a slice of each
 * in turn, BENCH_SLICES times):
 *
 *   a. depth 1: the round-trip latency of an HS256 verify, and of the same
 *      request frame through build/echo_server (the floor), the two
 *      alternating request by request;
 *   b. depth 32, pipelined: HS256 verifies per second on one connection
 *      and on two, the daemon's CPU time per verify on one (from
 *      /proc/PID/stat, PID by SO_PEERCRED), and in this process on one
 *      core the engine's own verify of the same token with the same (no)
 *      options (daemon/engine/verify.c: the yardstick, whichever crypto
 *      backend it was built with) and the HMAC agauthd computes alone,
 *      the floor under a verify;
 *   c. depth 1 HS256 verify latency while another connection keeps
 *      BENCH_SIGN_INFLIGHT signs with the primary key (RS256)
 *      outstanding, against the idle figure of a in the same repetition.
 *
 * Each figure is printed as
 *
 *   daemon <name> <median> <min> <max>
 *
 * (latencies in microseconds, rates in ops/s) and each comparison, taken
 * per repetition from measurements run back to back, as
 *
 *   daemon-ratio <name> <median> <min> <max>
 *
 * Other lines start with '#'.  Environment:
 *
 *   BENCH_SECONDS        seconds per throughput repetition (default 1)
 *   BENCH_REPS           repetitions (default 5)
 *   BENCH_LAT_N          requests per latency repetition (default 20000)
 *   BENCH_DEPTH          requests outstanding per connection in b (32)
 *   BENCH_SIGN_INFLIGHT  signs outstanding in c (8)
 *   BENCH_SLICES         slices per repetition (10): a repetition runs
 *                        1/N of each measurement in turn, N times
 *   BENCH_ONLY           a, b or c: only that measurement (for profiling)
 *
 * A benchmark, never a test: any failing request aborts the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_hs256.h"
#include "bench/bench_util.h"
#include "daemon/engine/key.h"
#include "daemon/engine/verify.h"
#include "shared/buf.h"
#include "shared/jwt.h"
#include "shared/limits.h"
#include "shared/proto.h"
#include "shared/vopts.h"

#define BENCH_REPS_DEFAULT 5
#define BENCH_REPS_MAX 101
#define BENCH_CONNS_MAX 2
#define BENCH_DEPTH_MAX 256
#define BENCH_RBUF (256 * 1024)

struct bench_cfg {
	double seconds;              /* per throughput repetition */
	double warmup;               /* seconds */
	int reps;
	size_t lat_n;                /* requests per latency repetition */
	int depth;                   /* b: outstanding per connection */
	int sign_inflight;           /* c: signs outstanding */
	size_t slices;               /* per repetition */
};

/* A request frame whose id is a fixed-width uint32 at id_off, so that
 * each send patches four bytes instead of encoding again. */
struct bench_frame {
	uint8_t *p;
	size_t len;
	size_t id_off;
};

/* A blocking connection with its read buffer. */
struct bench_conn {
	int fd;
	uint8_t *in;
	size_t len, off;             /* bytes held; consumed prefix */
	uint32_t next_id;
	int outstanding;             /* b only */
};

/* c: the connection that keeps signs in flight. */
struct bench_load {
	const char *path;
	const struct bench_frame *req;
	int inflight;
	pthread_t thread;
	atomic_int stop;
	atomic_ulong done;
};

/* Percentiles of one repetition, in microseconds. */
struct bench_lat {
	double p50, p99, p999;
};

/* ---------------------------------------------------------------- frames */

static void bench_frame_end(struct bench_frame *f, struct proto_out *o,
			    struct buf *b)
{
	if (proto_end(o) != 0)
		bench_fatal("cannot encode a request");
	f->p = (uint8_t *)b->p;
	f->len = b->len;
}

/* {id, op[, argk: argv]} */
static void bench_request(struct bench_frame *f, const char *op,
			  const char *argk, const char *argv)
{
	struct proto_out o;
	struct buf b;

	buf_init(&b, AG_FRAME_HARD_MAX);
	proto_begin(&o, &b);
	msgpack_pack_map(&o.pk, argk != NULL ? 3 : 2);
	proto_key(&o, "id");
	f->id_off = b.len + 1;  /* after the 0xce */
	msgpack_pack_fix_uint32(&o.pk, 0);
	proto_kv_cstr(&o, "op", op);
	if (argk != NULL)
		proto_kv_cstr(&o, argk, argv);
	bench_frame_end(f, &o, &b);
}

static void bench_set_id(uint8_t *frame, const struct bench_frame *f,
			 uint32_t id)
{
	uint8_t *p = frame + f->id_off;

	p[0] = (uint8_t)(id >> 24);
	p[1] = (uint8_t)(id >> 16);
	p[2] = (uint8_t)(id >> 8);
	p[3] = (uint8_t)id;
}

/*
 * The daemon's success replies start {id: uint, ok: true, ...} (its
 * encoder writes them in that order): checking those bytes costs the
 * client next to nothing, so the client does not limit the throughput it
 * measures.  Anything else is taken apart by bench_explain.
 */
static int bench_reply_ok(const uint8_t *b, size_t n, uint32_t *id)
{
	size_t i = 5;

	if (n < 9 || b[0] < 0x82 || b[0] > 0x8f || memcmp(b + 1, "\xa2id", 3))
		return 0;
	if (b[4] <= 0x7f) {
		*id = b[4];
	} else if (b[4] == 0xcc && n >= 10) {
		*id = b[5];
		i = 6;
	} else if (b[4] == 0xcd && n >= 11) {
		*id = (uint32_t)b[5] << 8 | b[6];
		i = 7;
	} else if (b[4] == 0xce && n >= 13) {
		*id = (uint32_t)b[5] << 24 | (uint32_t)b[6] << 16 |
		      (uint32_t)b[7] << 8 | b[8];
		i = 9;
	} else {
		return 0;
	}
	return n >= i + 4 && memcmp(b + i, "\xa2ok\xc3", 4) == 0;
}

/* A reply that is not a success: say what it is, and stop. */
static void bench_explain(const char *what, const uint8_t *b, size_t n)
{
	struct proto_msg m;
	const char *code = "?", *msg = "?";
	size_t cl = 1, ml = 1;

	if (proto_decode(&m, b, n, NULL) != 0) {
		proto_msg_free(&m);
		bench_fatal("%s: a reply that is not a msgpack map", what);
	}
	proto_str(m.root, "code", &code, &cl);
	proto_str(m.root, "message", &msg, &ml);
	fprintf(stderr, "bench_daemon: %s failed: %.*s: %.*s\n", what,
		(int)cl, code, (int)ml, msg);
	exit(1);
}

/* ---------------------------------------------------------------- I/O */

static void bench_send(int fd, const void *p, size_t n)
{
	const uint8_t *q = p;
	ssize_t w;

	while (n > 0) {
		w = send(fd, q, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			bench_fatal("send: %s", strerror(errno));
		q += w;
		n -= (size_t)w;
	}
}

/* The next complete frame's body (valid until the next call). */
static const uint8_t *bench_read_frame(struct bench_conn *c, size_t *n)
{
	size_t avail;
	uint32_t len;
	ssize_t r;

	for (;;) {
		avail = c->len - c->off;
		if (avail >= PROTO_HDR) {
			len = proto_get_len(c->in + c->off);
			if (len == 0 || len > BENCH_RBUF - PROTO_HDR)
				bench_fatal("a reply frame of a bad length");
			if (avail >= PROTO_HDR + (size_t)len) {
				c->off += PROTO_HDR + len;
				*n = len;
				return c->in + c->off - len;
			}
		}
		if (c->off > 0) {
			memmove(c->in, c->in + c->off, avail);
			c->len = avail;
			c->off = 0;
		}
		r = recv(c->fd, c->in + c->len, BENCH_RBUF - c->len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			bench_fatal("the server closed the connection");
		if (r < 0)
			bench_fatal("recv: %s", strerror(errno));
		c->len += (size_t)r;
	}
}

static void bench_connect(struct bench_conn *c, const char *path, int hello)
{
	static const char hello_body[] = "\x83\xa2id\x00\xa2op\xa5hello\xa1v\x01";
	struct sockaddr_un sa;
	const uint8_t *b;
	uint8_t frame[4 + sizeof hello_body];
	uint32_t id;
	size_t n;

	memset(c, 0, sizeof *c);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa,
				 sizeof sa) != 0)
		bench_fatal("cannot connect to %s", path);
	c->in = malloc(BENCH_RBUF);
	if (c->in == NULL)
		bench_fatal("out of memory");
	c->next_id = 1;
	if (!hello)
		return;
	/* {id: 0, op: "hello", v: 1} */
	n = sizeof hello_body - 1;
	frame[0] = frame[1] = frame[2] = 0;
	frame[3] = (uint8_t)n;
	memcpy(frame + 4, hello_body, n);
	bench_send(c->fd, frame, 4 + n);
	b = bench_read_frame(c, &n);
	if (!bench_reply_ok(b, n, &id))
		bench_explain("hello", b, n);
}

static void bench_close(struct bench_conn *c)
{
	close(c->fd);
	free(c->in);
	c->fd = -1;
	c->in = NULL;
}

/* ---------------------------------------------------------------- a, c */

/* v[q * n], nearest rank, of sorted v */
static double bench_rank(const double *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)n + 0.999999);

	return v[i == 0 ? 0 : i > n ? n - 1 : i - 1];
}

/* One round trip at depth 1, in microseconds: the time is taken around
 * the send and the read, checking the reply is outside it.  echo: the
 * reply must be the request itself. */
static double bench_rt(struct bench_conn *c, uint8_t *frame,
		       const struct bench_frame *f, int echo)
{
	const uint8_t *b;
	double t0, t1;
	uint32_t id = c->next_id++, got;
	size_t len;

	bench_set_id(frame, f, id);
	t0 = bench_clock();
	bench_send(c->fd, frame, f->len);
	b = bench_read_frame(c, &len);
	t1 = bench_clock();
	if (echo) {
		if (len != f->len - PROTO_HDR ||
		    memcmp(b, frame + PROTO_HDR, len) != 0)
			bench_fatal("the echo server changed a frame");
	} else if (!bench_reply_ok(b, len, &got)) {
		bench_explain("verify", b, len);
	} else if (got != id) {
		bench_fatal("a reply to another request");
	}
	return (t1 - t0) * 1e6;
}

static void bench_percentiles(double *v, size_t n, struct bench_lat *l)
{
	bench_sort(v, n);
	l->p50 = bench_rank(v, n, 0.50);
	l->p99 = bench_rank(v, n, 0.99);
	l->p999 = bench_rank(v, n, 0.999);
}

/*
 * n verifies at depth 1 on dc; with ec, as many echoes of the same frame,
 * alternating request by request so that the daemon and its floor are
 * measured under the same machine conditions (other processes, CPU
 * frequency, the host's scheduling of this VM).  Latencies go to vd and
 * ve, n each.
 */
static void bench_latency(struct bench_conn *dc, struct bench_conn *ec,
			  const struct bench_frame *f, size_t n, double *vd,
			  double *ve)
{
	uint8_t *frame = malloc(f->len);
	size_t i;

	if (frame == NULL)
		bench_fatal("out of memory");
	memcpy(frame, f->p, f->len);
	for (i = 0; i < n; i++) {
		vd[i] = bench_rt(dc, frame, f, 0);
		if (ec != NULL)
			ve[i] = bench_rt(ec, frame, f, 1);
	}
	free(frame);
}

static void *bench_load_thread(void *arg)
{
	struct bench_load *ld = arg;
	struct bench_conn c;
	uint8_t *frame = malloc(ld->req->len);
	const uint8_t *b;
	int out = 0;
	uint32_t id;
	size_t n;

	if (frame == NULL)
		bench_fatal("out of memory");
	memcpy(frame, ld->req->p, ld->req->len);
	bench_connect(&c, ld->path, 1);
	for (;;) {
		while (out < ld->inflight && !atomic_load(&ld->stop)) {
			bench_set_id(frame, ld->req, c.next_id++);
			bench_send(c.fd, frame, ld->req->len);
			out++;
		}
		if (out == 0)
			break;
		b = bench_read_frame(&c, &n);
		if (!bench_reply_ok(b, n, &id))
			bench_explain("sign", b, n);
		out--;
		atomic_fetch_add(&ld->done, 1);
	}
	bench_close(&c);
	free(frame);
	return NULL;
}

/* Starts the load and returns once signs are completing. */
static void bench_load_start(struct bench_load *ld)
{
	struct timespec nap = { 0, 1000000 };

	atomic_store(&ld->stop, 0);
	atomic_store(&ld->done, 0);
	if (pthread_create(&ld->thread, NULL, bench_load_thread, ld) != 0)
		bench_fatal("cannot start the load thread");
	while (atomic_load(&ld->done) < 2)
		nanosleep(&nap, NULL);
}

static void bench_load_stop(struct bench_load *ld)
{
	atomic_store(&ld->stop, 1);
	pthread_join(ld->thread, NULL);
}

/* ---------------------------------------------------------------- b */

/* Connections that keep `depth` verifies each outstanding while a slice
 * runs, open for the whole run; verifies and seconds summed over the
 * slices. */
struct bench_tp {
	int nconn, depth, epfd;
	struct bench_conn c[BENCH_CONNS_MAX];
	uint8_t *block;              /* depth copies of the request */
	const struct bench_frame *f;
	pid_t daemon;                /* its pid, for its CPU time */
	double ops, secs, cpu;       /* cpu: the daemon's, seconds */
};

/* In this process: the engine's verify of the token (o set), or the
 * HMAC under it, likewise summed over slices. */
struct bench_hm {
	const struct key *k;
	const char *in;              /* the token */
	size_t len, n;               /* its length, its signing input's */
	const struct vopts *o;
	struct jwt j;
	double ops, secs;
};

/* The CPU time pid has used, user and system, in seconds. */
static double bench_cpu(pid_t pid)
{
	char path[64], b[1024], *p;
	unsigned long ut, st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, b, sizeof b - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		bench_fatal("cannot read %s", path);
	b[n] = '\0';
	/* the fields after the name, which may hold anything but ends at
	 * the last ')': state is field 3, utime 14, stime 15 */
	p = strrchr(b, ')');
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
				"%*u %*u %lu %lu", &ut, &st) != 2)
		bench_fatal("cannot parse %s", path);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The pid at the other end of a Unix socket. */
static pid_t bench_peer_pid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		bench_fatal("SO_PEERCRED: %s", strerror(errno));
	return cred.pid;
}

/* Sends k requests on c. */
static void bench_refill(struct bench_tp *t, struct bench_conn *c, int k)
{
	const struct bench_frame *f = t->f;
	int i;

	for (i = 0; i < k; i++)
		bench_set_id(t->block + (size_t)i * f->len, f, c->next_id++);
	bench_send(c->fd, t->block, (size_t)k * f->len);
	c->outstanding += k;
}

/* Reads what is there and counts the replies; returns how many. */
static int bench_drain(struct bench_conn *c)
{
	const uint8_t *b;
	size_t avail, n;
	uint32_t len, id;
	ssize_t r;
	int got = 0;

	if (c->off > 0) {
		memmove(c->in, c->in + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	r = recv(c->fd, c->in + c->len, BENCH_RBUF - c->len, MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r <= 0)
		bench_fatal("recv: %s", r == 0 ? "the daemon closed the "
			  "connection" : strerror(errno));
	c->len += (size_t)r;
	for (;;) {
		avail = c->len - c->off;
		if (avail < PROTO_HDR)
			break;
		len = proto_get_len(c->in + c->off);
		if (len == 0 || len > BENCH_RBUF / 2)
			bench_fatal("a reply frame of a bad length");
		if (avail < PROTO_HDR + (size_t)len)
			break;
		b = c->in + c->off + PROTO_HDR;
		n = len;
		if (!bench_reply_ok(b, n, &id))
			bench_explain("verify", b, n);
		c->off += PROTO_HDR + len;
		got++;
	}
	c->outstanding -= got;
	return got;
}

static void bench_tp_open(struct bench_tp *t, const char *path, int nconn,
			  int depth, const struct bench_frame *f)
{
	struct epoll_event ev;
	int i;

	memset(t, 0, sizeof *t);
	t->nconn = nconn;
	t->depth = depth;
	t->f = f;
	t->block = malloc((size_t)depth * f->len);
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->block == NULL || t->epfd < 0)
		bench_fatal("out of memory");
	for (i = 0; i < depth; i++)
		memcpy(t->block + (size_t)i * f->len, f->p, f->len);
	for (i = 0; i < nconn; i++) {
		bench_connect(&t->c[i], path, 1);
		t->daemon = bench_peer_pid(t->c[i].fd);
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->c[i].fd, &ev) != 0)
			bench_fatal("epoll_ctl: %s", strerror(errno));
	}
}

static void bench_tp_close(struct bench_tp *t)
{
	int i;

	for (i = 0; i < t->nconn; i++)
		bench_close(&t->c[i]);
	close(t->epfd);
	free(t->block);
}

/*
 * One slice: every connection gets `depth` verifies, and every reply read
 * is answered with a new request in one send, for `warm` and then `secs`
 * which count; then what is in flight is read.  One thread and epoll for
 * all connections, so that the client takes one core at most and leaves
 * the other to the daemon's loop.
 */
static void bench_tp_slice(struct bench_tp *t, double warm, double secs)
{
	struct epoll_event ev[BENCH_CONNS_MAX];
	unsigned long done = 0, done0 = 0;
	double now, tstart, t0 = 0, t1 = 0, cpu0 = 0;
	int i, n, got, measuring = 0;

	for (i = 0; i < t->nconn; i++)
		bench_refill(t, &t->c[i], t->depth);
	tstart = bench_clock();
	for (;;) {
		n = epoll_wait(t->epfd, ev, BENCH_CONNS_MAX, 1000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			bench_fatal("no reply for a second");
		for (i = 0; i < n; i++) {
			struct bench_conn *c = &t->c[ev[i].data.u32];

			got = bench_drain(c);
			done += (unsigned long)got;
			if (got > 0 && t1 == 0)
				bench_refill(t, c, t->depth - c->outstanding);
		}
		now = bench_clock();
		if (!measuring && now - tstart >= warm) {
			measuring = 1;
			t0 = now;
			done0 = done;
			cpu0 = bench_cpu(t->daemon);
		} else if (measuring && t1 == 0 && now - t0 >= secs) {
			t1 = now;
			done0 = done - done0;
			t->cpu += bench_cpu(t->daemon) - cpu0;
		}
		if (t1 != 0) {
			/* stopped sending: wait for what is in flight */
			for (i = 0; i < t->nconn && t->c[i].outstanding == 0;
			     i++)
				;
			if (i == t->nconn)
				break;
		}
	}
	t->ops += (double)done0;
	t->secs += t1 - t0;
}

/* The baselines for secs: the engine's verify of the token, as the
 * daemon runs it (the same key, options and clock reading), or the HMAC
 * under it alone. */
static void bench_inproc_slice(struct bench_hm *h, double secs)
{
	uint8_t mac[64];
	unsigned long count = 0, batch = 256, i;
	double t0 = bench_clock(), t, now = bench_wall();
	struct ag_error e;

	do {
		for (i = 0; i < batch && h->o == NULL; i++)
			key_hmac(h->k, 256, (const uint8_t *)h->in, h->n, mac);
		for (i = 0; i < batch && h->o != NULL; i++)
			if (verify_token(h->k, h->in, h->len, h->o, now, &h->j,
					 &e) != 0)
				bench_fatal("verify_token: %s", e.msg);
		count += batch;
		t = bench_clock();
	} while (t - t0 < secs);
	h->ops += (double)count;
	h->secs += t - t0;
}

/* ---------------------------------------------------------------- setup */

/* What jsonwebtoken's sign(payload, secret, {expiresIn: 86400}) makes. */
static char *bench_token(const uint8_t *key, size_t klen, size_t *sign_len)
{
	char payload[160];
	long long now = (long long)time(NULL);

	snprintf(payload, sizeof payload, "{\"username\":\"alice\","
		 "\"channels\":[\"a\",\"b\"],\"iat\":%lld,\"exp\":%lld}",
		 now, now + 86400);
	return bench_hs256_token(key, klen, payload, sign_len);
}

/* One figure over the repetitions: name, values per repetition. */
struct bench_fig {
	const char *kind, *name;
	int decimals;
	double v[BENCH_REPS_MAX];
};

enum {
	F_D1_P50, F_D1_P99, F_D1_P999, F_ECHO_P50, F_ECHO_P99, F_ECHO_P999,
	F_ADDED_P50, F_LOAD_P50, F_LOAD_P99, F_LOAD_P999, F_SIGNS,
	F_C1, F_C2, F_ENGINE, F_HMAC_OWN, F_CPU_C1,
	R_ECHO_P50, R_ECHO_P99, R_ECHO_P999, R_FLOOR_P50, R_C1, R_C2, R_C1_OWN,
	R_LOAD_P99, R_LOAD_P50, R_LOAD_P999, F_COUNT
};

/* Was figure i measured, with a, b and c run or not? */
static int bench_ran(int i, int a, int b, int c)
{
	switch (i) {
	case F_D1_P50: case F_D1_P99: case F_D1_P999:
	case F_ECHO_P50: case F_ECHO_P99: case F_ECHO_P999:
		return a || c;
	case F_ADDED_P50: case R_ECHO_P50: case R_ECHO_P99: case R_ECHO_P999:
		return a;
	case R_FLOOR_P50:
		return a && b;
	case F_C1: case F_C2: case F_ENGINE: case R_C1: case R_C2:
	case F_HMAC_OWN: case R_C1_OWN: case F_CPU_C1:
		return b;
	default:
		return c;
	}
}

int main(int argc, char **argv)
{
	static struct bench_fig fig[F_COUNT] = {
		[F_D1_P50] = { "daemon", "hs256_verify_d1_p50_us", 1, { 0 } },
		[F_D1_P99] = { "daemon", "hs256_verify_d1_p99_us", 1, { 0 } },
		[F_D1_P999] = { "daemon", "hs256_verify_d1_p999_us", 1, { 0 } },
		[F_ECHO_P50] = { "daemon", "echo_d1_p50_us", 1, { 0 } },
		[F_ECHO_P99] = { "daemon", "echo_d1_p99_us", 1, { 0 } },
		[F_ECHO_P999] = { "daemon", "echo_d1_p999_us", 1, { 0 } },
		[F_ADDED_P50] = { "daemon", "hs256_verify_d1_added_p50_us", 1,
				  { 0 } },
		[F_LOAD_P50] = { "daemon", "hs256_verify_d1_signload_p50_us", 1,
				 { 0 } },
		[F_LOAD_P99] = { "daemon", "hs256_verify_d1_signload_p99_us", 1,
				 { 0 } },
		[F_LOAD_P999] = { "daemon", "hs256_verify_d1_signload_p999_us",
				  1, { 0 } },
		[F_SIGNS] = { "daemon", "signs_under_load_ops", 0, { 0 } },
		[F_C1] = { "daemon", "hs256_verify_d32_c1_ops", 0, { 0 } },
		[F_C2] = { "daemon", "hs256_verify_d32_c2_ops", 0, { 0 } },
		[F_ENGINE] = { "daemon", "engine_hs256_verify_ops", 0, { 0 } },
		[F_HMAC_OWN] = { "daemon", "hmac_sha256_agauthd_ops", 0, { 0 } },
		[F_CPU_C1] = { "daemon", "daemon_cpu_per_verify_d32_c1_us", 2,
			       { 0 } },
		[R_ECHO_P50] = { "daemon-ratio", "verify_per_echo_p50", 3, { 0 } },
		[R_ECHO_P99] = { "daemon-ratio", "verify_per_echo_p99", 3, { 0 } },
		[R_ECHO_P999] = { "daemon-ratio", "verify_per_echo_p999", 3,
				  { 0 } },
		[R_FLOOR_P50] = { "daemon-ratio",
				  "echo_plus_engine_verify_per_echo_p50", 3,
				  { 0 } },
		[R_C1] = { "daemon-ratio", "verify_d32_c1_per_engine_verify", 3,
			   { 0 } },
		[R_C2] = { "daemon-ratio", "verify_d32_c2_per_engine_verify", 3,
			   { 0 } },
		[R_C1_OWN] = { "daemon-ratio", "verify_d32_c1_per_agauthd_hmac",
			       3, { 0 } },
		[R_LOAD_P99] = { "daemon-ratio", "verify_p99_signload_per_idle", 3,
				 { 0 } },
		[R_LOAD_P50] = { "daemon-ratio", "verify_p50_signload_per_idle", 3,
				 { 0 } },
		[R_LOAD_P999] = { "daemon-ratio", "verify_p999_signload_per_idle",
				  3, { 0 } },
	};
	static uint8_t key[BENCH_SECRET_MAX];
	struct bench_conn dc, ec;
	struct bench_frame verify, sign;
	struct bench_load load;
	struct bench_lat d1, echo, ld;
	struct bench_cfg cfg;
	struct bench_tp tp1, tp2;
	struct bench_hm hm, own;
	struct vopts none;
	struct key *k;
	struct ag_error e;
	size_t klen, sign_len, per, sl;
	double *v, *ve, *vl, t0, signs = 0, c1 = 0, c2 = 0, engine = 0, hown = 0;
	double cpu1 = 0;
	double sdone, stime, ssecs, swarm;
	unsigned long s0;
	const char *only_s = getenv("BENCH_ONLY");
	char *token;
	int r, i, a, b, c;

	bench_prog = "bench_daemon";
	if (argc != 4) {
		fprintf(stderr, "usage: bench_daemon DAEMON_SOCKET ECHO_SOCKET "
			"SECRET_FILE\n");
		return 64;
	}
	cfg.seconds = bench_env("BENCH_SECONDS", 1, 0.01, 3600);
	cfg.reps = (int)bench_env("BENCH_REPS", BENCH_REPS_DEFAULT, 1,
				  BENCH_REPS_MAX);
	cfg.lat_n = (size_t)bench_env("BENCH_LAT_N", 20000, 100, 1e8);
	cfg.depth = (int)bench_env("BENCH_DEPTH", 32, 1, BENCH_DEPTH_MAX);
	cfg.sign_inflight = (int)bench_env("BENCH_SIGN_INFLIGHT", 8, 1, 64);
	cfg.slices = (size_t)bench_env("BENCH_SLICES", 10, 1, 1000);
	cfg.warmup = cfg.seconds / 10 < 0.05 ? 0.05 : cfg.seconds / 10;
	if (cfg.warmup > 0.1)
		cfg.warmup = 0.1;
	/* a, b or c alone, for profiling */
	a = b = c = 1;
	if (only_s != NULL && *only_s != '\0') {
		if (strlen(only_s) != 1 || only_s[0] < 'a' || only_s[0] > 'c')
			bench_fatal("BENCH_ONLY must be a, b or c");
		a = only_s[0] == 'a';
		b = only_s[0] == 'b';
		c = only_s[0] == 'c';
	}
	per = cfg.lat_n / cfg.slices > 0 ? cfg.lat_n / cfg.slices : 1;
	ssecs = cfg.seconds / (double)cfg.slices;
	swarm = ssecs / 10;
	v = malloc(per * cfg.slices * sizeof *v);
	ve = malloc(per * cfg.slices * sizeof *ve);
	vl = malloc(per * cfg.slices * sizeof *vl);
	if (v == NULL || ve == NULL || vl == NULL)
		bench_fatal("out of memory");

	klen = bench_hs256_secret(argv[3], key);
	token = bench_token(key, klen, &sign_len);
	bench_request(&verify, "verify", "token", token);
	bench_request(&sign, "sign", "payload",
		      "{\"username\":\"alice\",\"channels\":[\"a\",\"b\"]}");
	printf("# hs256 token %s (%zu bytes)\n", token, strlen(token));
	printf("# verify request frame %zu bytes; %d reps of %zu slices, "
	       "%zu requests per latency rep, %.2f s per throughput rep, depth "
	       "%d, %d signs in flight\n", verify.len, cfg.reps, cfg.slices,
	       per * cfg.slices, cfg.seconds, cfg.depth, cfg.sign_inflight);
	fflush(stdout);

	memset(&hm, 0, sizeof hm);
	if (key_load(&k, key, klen, KEY_USE_VERIFY, &e) != 0)
		bench_fatal("key_load: %s", e.msg);
	/* the daemon's verify request carries no options */
	if (vopts_parse(&none, NULL, 0, &e) != 0)
		bench_fatal("vopts_parse: %s", e.msg);
	hm.k = k;
	hm.in = token;
	hm.len = strlen(token);
	hm.n = sign_len;
	own = hm;
	hm.o = &none;
	load.path = argv[1];
	load.req = &sign;
	load.inflight = cfg.sign_inflight;

	/* one connection to each server for the whole run, as a worker
	 * would keep; warm both up first */
	bench_connect(&dc, argv[1], 1);
	bench_connect(&ec, argv[2], 0);
	bench_latency(&dc, &ec, &verify, per, v, ve);
	if (b) {
		bench_tp_open(&tp1, argv[1], 1, cfg.depth, &verify);
		bench_tp_open(&tp2, argv[1], 2, cfg.depth, &verify);
		bench_tp_slice(&tp1, cfg.warmup, cfg.warmup);
		bench_inproc_slice(&hm, cfg.warmup);
		bench_inproc_slice(&own, cfg.warmup);
	}

	memset(&d1, 0, sizeof d1);
	memset(&echo, 0, sizeof echo);
	memset(&ld, 0, sizeof ld);
	for (r = 0; r < cfg.reps; r++) {
		tp1.ops = tp1.secs = tp2.ops = tp2.secs = hm.ops = hm.secs = 0;
		tp1.cpu = 0;
		own.ops = own.secs = 0;
		sdone = stime = 0;
		/* the measurements of a repetition advance slice by slice,
		 * so that a change in the machine's load (this is a shared
		 * VM) reaches all of them alike */
		for (sl = 0; sl < cfg.slices; sl++) {
			/* a (and c's idle figure): daemon and echo, request
			 * by request */
			if (a || c)
				bench_latency(&dc, &ec, &verify, per,
					      v + sl * per, ve + sl * per);
			/* c: the daemon alone, with signs in flight */
			if (c) {
				bench_load_start(&load);
				s0 = atomic_load(&load.done);
				t0 = bench_clock();
				bench_latency(&dc, NULL, &verify, per,
					      vl + sl * per, NULL);
				sdone += (double)(atomic_load(&load.done) - s0);
				stime += bench_clock() - t0;
				bench_load_stop(&load);
			}
			/* b: one connection, two, the engine, its HMAC */
			if (b) {
				bench_tp_slice(&tp1, swarm, ssecs);
				bench_tp_slice(&tp2, swarm, ssecs);
				bench_inproc_slice(&hm, ssecs);
				bench_inproc_slice(&own, ssecs);
			}
		}
		if (a || c) {
			bench_percentiles(v, per * cfg.slices, &d1);
			bench_percentiles(ve, per * cfg.slices, &echo);
		}
		if (c) {
			bench_percentiles(vl, per * cfg.slices, &ld);
			signs = sdone / stime;
		}
		if (b) {
			c1 = tp1.ops / tp1.secs;
			c2 = tp2.ops / tp2.secs;
			engine = hm.ops / hm.secs;
			hown = own.ops / own.secs;
			cpu1 = tp1.cpu * 1e6 / tp1.ops;
		}
		fig[F_D1_P50].v[r] = d1.p50;
		fig[F_D1_P99].v[r] = d1.p99;
		fig[F_D1_P999].v[r] = d1.p999;
		fig[F_ECHO_P50].v[r] = echo.p50;
		fig[F_ECHO_P99].v[r] = echo.p99;
		fig[F_ECHO_P999].v[r] = echo.p999;
		fig[F_ADDED_P50].v[r] = d1.p50 - echo.p50;
		fig[F_LOAD_P50].v[r] = ld.p50;
		fig[F_LOAD_P99].v[r] = ld.p99;
		fig[F_LOAD_P999].v[r] = ld.p999;
		fig[F_SIGNS].v[r] = signs;
		fig[F_C1].v[r] = c1;
		fig[F_C2].v[r] = c2;
		fig[F_ENGINE].v[r] = engine;
		fig[F_CPU_C1].v[r] = cpu1;
		fig[F_HMAC_OWN].v[r] = hown;
		if (a) {
			fig[R_ECHO_P50].v[r] = d1.p50 / echo.p50;
			fig[R_ECHO_P99].v[r] = d1.p99 / echo.p99;
			fig[R_ECHO_P999].v[r] = d1.p999 / echo.p999;
		}
		/* what the ratio would be if the daemon added one in-process
		 * verify to the echo and nothing else */
		if (a && b)
			fig[R_FLOOR_P50].v[r] = (echo.p50 + 1e6 / engine) /
						echo.p50;
		if (b) {
			fig[R_C1].v[r] = c1 / engine;
			fig[R_C2].v[r] = c2 / engine;
			fig[R_C1_OWN].v[r] = c1 / hown;
		}
		if (c) {
			fig[R_LOAD_P99].v[r] = ld.p99 / d1.p99;
			fig[R_LOAD_P50].v[r] = ld.p50 / d1.p50;
			fig[R_LOAD_P999].v[r] = ld.p999 / d1.p999;
		}
		printf("# rep %d:", r + 1);
		if (a || c)
			printf(" verify p50/p99/p999 %.1f/%.1f/%.1f us, echo "
			       "%.1f/%.1f/%.1f us;", d1.p50, d1.p99, d1.p999,
			       echo.p50, echo.p99, echo.p999);
		if (c)
			printf(" with signs in flight %.1f/%.1f/%.1f us (%.0f "
			       "signs/s);", ld.p50, ld.p99, ld.p999, signs);
		if (b)
			printf(" depth %d: %.0f ops/s on 1 connection (the "
			       "daemon's CPU %.2f us a verify), %.0f on 2; "
			       "in-process engine verify %.0f/s", cfg.depth, c1,
			       cpu1, c2, engine);
		printf("\n");
		fflush(stdout);
	}
	bench_close(&dc);
	bench_close(&ec);
	if (b) {
		bench_tp_close(&tp1);
		bench_tp_close(&tp2);
	}
	key_free(k);

	for (i = 0; i < F_COUNT; i++)
		if (bench_ran(i, a, b, c))
			bench_report(fig[i].kind, fig[i].name, fig[i].v,
				     cfg.reps, fig[i].decimals);
	free(v);
	free(ve);
	free(vl);
	free(token);
	free(verify.p);
	free(sign.p);
	return 0;
}
