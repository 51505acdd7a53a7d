/*
 * fault_loris.c - slow-loris and half-open clients against another
 * client's latency.
 *
 * A normal client measures its HS256 verify round trip (libagauth,
 * depth 1, no cache) with nothing else connected, then while an attacker
 * process holds N slow and half-open connections of five kinds at once:
 *
 *   trickle   sends ping frames a byte at a time, each frame just within
 *             frame_timeout, for ever (reads its replies)
 *   stall     sends a frame a byte at a time at intervals just under
 *             frame_timeout (agauthd closes it: the frame takes longer)
 *   partial   hello, then part of a frame, and nothing more
 *   silent    connects and never says anything
 *   shutwr    hello and verifies, then shuts its write side down and
 *             never reads
 *
 * Each attacker connection that agauthd closes comes back about a
 * frame_timeout later.  The client measures for SECONDS/2 idle, then
 * for SECONDS under attack (long enough for agauthd to close stalled and
 * silent connections and for them to come back), then SECONDS/2 idle
 * again, with the attack connections closed; the idle samples are
 * pooled (the machine's own noise shows in both conditions).
 *
 *   fault_loris AGAUTHD [N [SECONDS [KINDS]]]
 *
 * KINDS (default all) is a comma-separated list of the kinds to use.
 *
 * Prints both p50 and p99 and the ratio of the p99s; fails over 2x, or
 * if a verify failed, or if the attack did not take place (connections
 * not open, stalled ones never closed by agauthd).
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/lib/agauth.h"
#include "tests/faults/fault_util.h"

#define LO_MAX          2000
#define LO_FRAME_TIMEOUT 1         /* agauthd's, seconds */
#define LO_IDLE_TIMEOUT  2
#define LO_SAMPLES      2000000
#define LO_SHUT_REQS    16         /* verifies a shutwr client leaves */
#define LO_LIMIT        2.0        /* attacked p99 / idle p99 */

enum lo_kind { LO_TRICKLE, LO_STALL, LO_PARTIAL, LO_SILENT, LO_SHUTWR,
	       LO_KINDS };
static const char *const lo_names[] = { "trickle", "stall", "partial",
					"silent", "shutwr" };

struct lo_conn {
	int fd;
	enum lo_kind kind;
	size_t pos;                  /* bytes of the slow frame sent */
	double next;                 /* when to send, or to reconnect */
};

struct lo_shared {
	_Atomic int attack;          /* wanted: 1 attack, 0 idle, -1 exit */
	_Atomic int open;            /* attack connections open now */
	_Atomic uint64_t closed[LO_KINDS];  /* by agauthd */
	_Atomic uint64_t bytes;      /* slow bytes sent */
};

static struct lo_shared *sh;
static struct fu_daemon dmn;
static int lo_ep;                    /* the attacker's epoll */
static char token[FU_TOKEN];
static struct sockaddr_un addr;

/* ------------------------------------------------------------ frames */

/* A frame: 4-byte length, then a msgpack map of id, op and maybe one
 * string argument. */
static size_t lo_frame(unsigned char *f, unsigned id, const char *op,
		       const char *key, const char *val)
{
	size_t n = 4, k = strlen(op), v = val != NULL ? strlen(val) : 0;

	f[n++] = key != NULL ? 0x83 : 0x82;
	memcpy(f + n, "\xa2id", 3);
	n += 3;
	f[n++] = (unsigned char)id;         /* positive fixint */
	memcpy(f + n, "\xa2op", 3);
	n += 3;
	f[n++] = (unsigned char)(0xa0 | k);
	memcpy(f + n, op, k);
	n += k;
	if (key != NULL) {
		f[n++] = (unsigned char)(0xa0 | strlen(key));
		memcpy(f + n, key, strlen(key));
		n += strlen(key);
		f[n++] = 0xda;              /* str16 */
		f[n++] = (unsigned char)(v >> 8);
		f[n++] = (unsigned char)v;
		memcpy(f + n, val, v);
		n += v;
	}
	f[0] = f[1] = 0;
	f[2] = (unsigned char)((n - 4) >> 8);
	f[3] = (unsigned char)(n - 4);
	return n;
}

static unsigned char hello[64], ping[64], verify[FU_TOKEN + 64];
static size_t hello_n, ping_n, verify_n;

static void lo_frames(void)
{
	/* {id: 1, op: "hello", v: 1} */
	static const unsigned char h[] = "\0\0\0\x11\x83\xa2id\x01\xa2op"
					 "\xa5hello\xa1v\x01";

	hello_n = sizeof h - 1;
	memcpy(hello, h, hello_n);
	ping_n = lo_frame(ping, 2, "ping", NULL, NULL);
	verify_n = lo_frame(verify, 3, "verify", "token", token);
}

/* ------------------------------------------------------------ attacker */

static int lo_send(int fd, const void *p, size_t n)
{
	return send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)n ? 0 :
	       -1;
}

static void lo_drop(struct lo_conn *c, double now, int by_daemon)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	atomic_fetch_sub(&sh->open, 1);
	if (by_daemon)
		atomic_fetch_add(&sh->closed[c->kind], 1);
	/* back about a frame_timeout later, spread out */
	c->next = now + LO_FRAME_TIMEOUT * (0.5 + (rand() % 1000) / 1000.0);
}

/* Connects and sends what this kind sends at once. */
static void lo_connect(struct lo_conn *c, double now)
{
	int i, fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct epoll_event ev;

	c->next = now + 0.05;                 /* retry soon if it fails */
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
	    (c->kind != LO_SILENT && lo_send(fd, hello, hello_n) != 0)) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->pos = 0;
	atomic_fetch_add(&sh->open, 1);
	/* shutwr never reads: only the end of the connection wakes it */
	ev.events = c->kind == LO_SHUTWR ? EPOLLRDHUP : EPOLLIN;
	ev.data.ptr = c;
	epoll_ctl(lo_ep, EPOLL_CTL_ADD, fd, &ev);
	switch (c->kind) {
	case LO_TRICKLE:
		c->next = now;
		break;
	case LO_STALL:
		c->next = now + 0.9 * LO_FRAME_TIMEOUT;
		break;
	case LO_PARTIAL:
		lo_send(fd, ping, 6);
		c->next = 1e300;
		break;
	case LO_SHUTWR:
		for (i = 0; i < LO_SHUT_REQS; i++)
			lo_send(fd, verify, verify_n);
		shutdown(fd, SHUT_WR);
		c->next = 1e300;
		break;
	default:
		c->next = 1e300;
	}
}

/* A slow byte of a ping frame, on time. */
static void lo_byte(struct lo_conn *c, double now)
{
	if (lo_send(c->fd, ping + c->pos, 1) != 0) {
		lo_drop(c, now, 1);
		return;
	}
	atomic_fetch_add(&sh->bytes, 1);
	c->pos = (c->pos + 1) % ping_n;
	/* trickle: a whole frame within 0.7 frame_timeout (bytes may be
	 * a tick late); stall: a byte every 0.9 frame_timeout */
	c->next = now + (c->kind == LO_TRICKLE ?
			 0.7 * LO_FRAME_TIMEOUT / (double)ping_n :
			 0.9 * LO_FRAME_TIMEOUT);
}

/* Input on c: replies are read and dropped (shutwr never reads); the end
 * of the connection is agauthd closing it. */
static void lo_input(struct lo_conn *c, uint32_t events, double now)
{
	char buf[4096];
	ssize_t r;

	if (c->kind == LO_SHUTWR) {
		if (events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR))
			lo_drop(c, now, 1);
		return;
	}
	r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
		lo_drop(c, now, 1);
}

static void lo_close_all(struct lo_conn *cs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		lo_drop(&cs[i], 0, 0);
		cs[i].next = 0;
	}
}

static void lo_attacker(int n, const enum lo_kind *kinds, int nkinds)
{
	static struct lo_conn cs[LO_MAX];
	struct epoll_event ev[256];
	int i, k, got, wait_ms, attacking = 0;
	double now, first;

	fu_orphan_guard(SIGKILL);
	srand((unsigned)getpid());
	lo_ep = epoll_create1(EPOLL_CLOEXEC);
	if (lo_ep < 0)
		_exit(2);
	for (i = 0; i < n; i++) {
		cs[i].fd = -1;
		cs[i].kind = kinds[i % nkinds];
	}
	while ((k = atomic_load(&sh->attack)) >= 0) {
		now = fu_now();
		if (!k) {
			if (attacking)
				lo_close_all(cs, n);
			attacking = 0;
			fu_sleep(0.005);
			continue;
		}
		attacking = 1;
		first = now + 0.1;
		for (i = 0; i < n; i++) {
			if (cs[i].fd < 0 && now >= cs[i].next)
				lo_connect(&cs[i], now);
			else if (cs[i].fd >= 0 && now >= cs[i].next)
				lo_byte(&cs[i], now);
			if (cs[i].next < first)
				first = cs[i].next;
		}
		/* what is due is sent in 2 ms ticks: a pass over every
		 * connection per byte would make this process the load */
		wait_ms = (int)((first - now) * 1e3);
		got = epoll_wait(lo_ep, ev, 256, wait_ms < 2 ? 2 : wait_ms);
		now = fu_now();
		for (k = 0; k < got; k++)
			lo_input(ev[k].data.ptr, ev[k].events, now);
	}
	lo_close_all(cs, n);
	_exit(0);
}

/* ------------------------------------------------------------ measurer */

/* The kinds named in list (NULL: all) into kinds; returns how many, or
 * -1 for a name that is not one. */
static int lo_kinds(const char *list, enum lo_kind *kinds)
{
	char copy[128], *name, *save;
	int n = 0, k;

	if (list == NULL)
		list = "trickle,stall,partial,silent,shutwr";
	snprintf(copy, sizeof copy, "%s", list);
	for (name = strtok_r(copy, ",", &save); name != NULL;
	     name = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < LO_KINDS && strcmp(name, lo_names[k]); k++)
			;
		if (k == LO_KINDS || n == LO_KINDS)
			return -1;
		kinds[n++] = (enum lo_kind)k;
	}
	return n;
}

/* count verifies at depth 1 for `seconds`; their round trips in µs are
 * appended to v.  Returns how many, or -1 if one failed. */
static long lo_measure(agauth_t *a, double seconds, double *v, size_t *n)
{
	struct agauth_verified out;
	struct agauth_error e;
	double end = fu_now() + seconds, t0, t1;
	long k = 0;

	for (t0 = fu_now(); t0 < end && *n < LO_SAMPLES; t0 = t1, k++) {
		if (agauth_verify(a, token, NULL, &out, &e) != AGAUTH_OK) {
			fprintf(stderr, "fault_loris: verify: %s\n", e.message);
			return -1;
		}
		t1 = fu_now();
		v[(*n)++] = (t1 - t0) * 1e6;
		agauth_verified_free(&out);
	}
	return k;
}

/* Waits until the attacker has at least want connections open (or none,
 * want 0), 5 s at most. */
static int lo_wait_open(int want)
{
	double end = fu_now() + 5;

	while (fu_now() < end) {
		if (want ? atomic_load(&sh->open) >= want :
		    atomic_load(&sh->open) == 0)
			return 0;
		fu_sleep(0.005);
	}
	fprintf(stderr, "fault_loris: %d attack connections open, want %d\n",
		atomic_load(&sh->open), want);
	return -1;
}

static int lo_setup(void)
{
	char ring[256], extra[256], payload[64];
	struct fu_key k;

	if (fu_setup(&dmn, "floris") != 0 || fu_key(&dmn, &k, "hs1") != 0)
		return -1;
	fu_key_section(&k, "primary", ring, sizeof ring);
	snprintf(extra, sizeof extra, "[limits]\nframe_timeout = %d\n"
		 "idle_timeout = %d\n\n[cache]\nsize = 4M\n", LO_FRAME_TIMEOUT,
		 LO_IDLE_TIMEOUT);
	snprintf(payload, sizeof payload, "{\"sub\":\"alice\",\"exp\":%.0f}",
		 fu_wall() + 3600);
	fu_token(&k, 1, payload, token);
	addr.sun_family = AF_UNIX;
	if (strlen(dmn.sock) >= sizeof addr.sun_path)
		return -1;
	memcpy(addr.sun_path, dmn.sock, strlen(dmn.sock) + 1);
	lo_frames();
	return fu_write(&dmn, "keyring.conf", ring, 0600) != 0 ||
	       fu_config(&dmn, extra) != 0 ? -1 : 0;
}

static void lo_print(const char *what, double *v, size_t n)
{
	double p50 = fu_percentile(v, n, 50), p99 = fu_percentile(v, n, 99);

	printf("  %-8s %7zu verifies: p50 %6.1f us, p99 %6.1f us, max %8.1f "
	       "us\n", what, n, p50, p99, v[n - 1]);
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 300, k, status, bad = 0;
	double seconds = argc > 3 ? atof(argv[3]) : 3, p99i, p99a;
	double cpu_d = 0, cpu_a = 0;
	enum lo_kind kinds[LO_KINDS];
	int nkinds;
	double *idle = calloc(LO_SAMPLES, sizeof *idle);
	double *att = calloc(LO_SAMPLES, sizeof *att);
	size_t ni = 0, na = 0;
	struct agauth_error e;
	agauth_t *a = NULL;
	pid_t pid = -1;

	fu_prog = "fault_loris";
	nkinds = lo_kinds(argc > 4 ? argv[4] : NULL, kinds);
	if (argc < 2 || n < nkinds || n > LO_MAX || seconds <= 0 ||
	    nkinds <= 0) {
		fprintf(stderr, "usage: fault_loris AGAUTHD [N (%d-%d) "
			"[SECONDS [KINDS]]]\nKINDS: a comma-separated list of "
			"trickle stall partial silent shutwr\n", LO_KINDS,
			LO_MAX);
		return 64;
	}
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || idle == NULL || att == NULL ||
	    lo_setup() != 0 || fu_start(&dmn, argv[1], 10) != 0) {
		fu_cleanup(&dmn);
		return 2;
	}
	pid = fork();
	if (pid == 0)
		lo_attacker(n, kinds, nkinds);
	a = agauth_open(dmn.sock, &e);
	/* a warm-up, then idle, attacked, idle */
	if (a == NULL || lo_measure(a, 0.2, idle, &ni) < 0)
		bad = 1;
	ni = 0;
	if (bad || lo_measure(a, seconds / 2, idle, &ni) < 0)
		bad = 1;
	atomic_store(&sh->attack, 1);
	if (bad || lo_wait_open(n * 4 / 5) != 0)
		bad = 1;
	fu_sleep(0.5);
	cpu_d = fu_cpu(dmn.pid);
	cpu_a = fu_cpu(pid);
	if (bad || lo_measure(a, seconds, att, &na) < 0)
		bad = 1;
	cpu_d = fu_cpu(dmn.pid) - cpu_d;
	cpu_a = fu_cpu(pid) - cpu_a;
	atomic_store(&sh->attack, 0);
	if (bad || lo_wait_open(0) != 0 ||
	    lo_measure(a, seconds / 2, idle, &ni) < 0)
		bad = 1;
	atomic_store(&sh->attack, -1);
	waitpid(pid, &status, 0);
	agauth_close(a);
	if (ni == 0 || na == 0) {
		fu_stop(&dmn);
		fu_show_log(&dmn, 20);
		fu_cleanup(&dmn);
		return 1;
	}
	printf("fault_loris: %d attack connections (%d of each of %d kinds), "
	       "frame_timeout %d s, idle_timeout %d s; %.2f s idle, %.2f s "
	       "attacked\n", n, n / nkinds, nkinds, LO_FRAME_TIMEOUT,
	       LO_IDLE_TIMEOUT, seconds, seconds);
	lo_print("idle", idle, ni);
	lo_print("attacked", att, na);
	p99i = fu_percentile(idle, ni, 99);
	p99a = fu_percentile(att, na, 99);
	printf("  p99 attacked / idle: %.2f (limit %.1f); %llu slow bytes "
	       "sent; closed by agauthd:", p99a / p99i, LO_LIMIT,
	       (unsigned long long)atomic_load(&sh->bytes));
	for (k = 0; k < LO_KINDS; k++)
		printf(" %s %llu", lo_names[k],
		       (unsigned long long)atomic_load(&sh->closed[k]));
	printf("\n  CPU while attacked: agauthd %.2f s, the attacker %.2f s, "
	       "in %.2f s\n", cpu_d, cpu_a, seconds);
	/* trickling connections keep to the rules: never closed; stalled,
	 * partial, silent and shut-down ones are */
	if (p99a > LO_LIMIT * p99i || atomic_load(&sh->closed[LO_TRICKLE]))
		bad = 1;
	for (k = 0; k < nkinds; k++)
		if (kinds[k] != LO_TRICKLE && !atomic_load(&sh->closed[kinds[k]]))
			bad = 1;
	if (fu_stop(&dmn) != 0)
		bad = 1;
	if (bad)
		fu_show_log(&dmn, 20);
	fu_cleanup(&dmn);
	free(idle);
	free(att);
	return bad;
}
