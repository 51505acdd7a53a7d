/*
 * fault_loris.c - slow-loris and half-open clients against another
 * client's latency and the daemon's time.
 *
 * Two daemons run side by side: one that an attacker process holds N
 * slow and half-open connections to, of five kinds at once,
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
 * and a control daemon, the same in every way but unattacked.  A normal
 * client measures its HS256 verify round trip (libagauth, depth 1, no
 * cache) to both in turn, one verify to the attacked daemon, one to the
 * control, and so on, with the client and both daemons on one CPU (the
 * attacker on the others): whatever else the machine does (other
 * processes on that CPU or its sibling, frequency changes) falls on both
 * series alike, within microseconds, so their comparison holds on a
 * loaded machine.
 * Each attacker connection that agauthd closes comes back about a
 * frame_timeout later.  The client measures for SECONDS/2 with neither
 * daemon attacked (how far two equal daemons differ here: the noise),
 * then for SECONDS under attack (long enough for agauthd to close
 * stalled and silent connections and for them to come back).
 *
 *   fault_loris AGAUTHD [N [SECONDS [KINDS]]]
 *
 * KINDS (default all) is a comma-separated list of the kinds to use.
 *
 * Under attack, the attacked daemon's p50 round trip, and the time the
 * client spent waiting for it in all, must stay within 2x of the
 * control's; at most 3% of its round trips (three times the control's
 * 1%) may be slower than the control's p99 (the attack's own work, new
 * connections and timed-out ones closed in a batch, puts some 1.5-1.8%
 * there); and the CPU time it spends beyond the control's (the slow
 * clients' share of it) must stay under a tenth of the time;
 * fails otherwise, or if a verify failed, or if the attack did not take
 * place (connections not open, stalled ones never closed by agauthd).
 */
#include <errno.h>
#include <sched.h>
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
#define LO_LIMIT        2.0        /* attacked p50, time waited / the
				    * control's */
#define LO_TAIL_LIMIT   3.0        /* % of attacked verifies over the
				    * control's p99 (the control's own: 1) */
#define LO_CPU_LIMIT    0.10       /* the attackers' share of agauthd's time */

enum lo_kind { LO_TRICKLE, LO_STALL, LO_PARTIAL, LO_SILENT, LO_SHUTWR,
	       LO_KINDS };
static const char *const lo_names[] = { "trickle", "stall", "partial",
					"silent", "shutwr" };

struct lo_conn {
	int fd;
	enum lo_kind kind;
	size_t pos;                  /* bytes of the slow frame sent */
	double next;                 /* when to send, or to reconnect */
	double start;                /* trickle: its frame's first byte */
};

struct lo_shared {
	_Atomic int attack;          /* wanted: 1 attack, 0 idle, -1 exit */
	_Atomic int open;            /* attack connections open now */
	_Atomic uint64_t closed[LO_KINDS];  /* by agauthd */
	_Atomic uint64_t late;       /* trickles closed after the attacker
				      * itself ran late (below) */
	_Atomic uint64_t bytes;      /* slow bytes sent */
};

static struct lo_shared *sh;
static struct fu_daemon dmn, ctl;    /* the attacked daemon, the control */
static int lo_ep;                    /* the attacker's epoll */
static cpu_set_t lo_rest;            /* the CPUs but the measuring one */
static char token[FU_TOKEN], ctl_token[FU_TOKEN];
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

/*
 * A trickle whose frame has been on its way for frame_timeout broke the
 * rule it keeps, not by design: this process was kept off the CPU (a
 * loaded machine).  agauthd closing it then is right; such closes are
 * counted apart.  (Seen by the attacker only when it runs again, so a
 * close too early is still caught whenever the attacker keeps time.)
 */
static int lo_late(const struct lo_conn *c, double now)
{
	return c->kind == LO_TRICKLE && c->pos > 0 &&
	       now - c->start >= 0.95 * LO_FRAME_TIMEOUT;
}

static void lo_drop(struct lo_conn *c, double now, int by_daemon)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	atomic_fetch_sub(&sh->open, 1);
	if (by_daemon && lo_late(c, now))
		atomic_fetch_add(&sh->late, 1);
	else if (by_daemon)
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
	if (c->pos == 0)
		c->start = now;
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
	/* off the measuring CPU: the attack goes on at full strength
	 * however busy the client keeps that CPU */
	if (CPU_COUNT(&lo_rest) > 0)
		sched_setaffinity(0, sizeof lo_rest, &lo_rest);
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

/* Round trips of one daemon: its handle and token, and the samples in
 * µs. */
struct lo_series {
	agauth_t *a;
	const char *token;
	double *v;
	size_t n;
};

/* One verify at depth 1 into s; -1 if it failed. */
static int lo_verify(struct lo_series *s)
{
	struct agauth_verified out;
	struct agauth_error e;
	double t0 = fu_now();

	if (agauth_verify(s->a, s->token, NULL, &out, &e) != AGAUTH_OK) {
		fprintf(stderr, "fault_loris: verify: %s\n", e.message);
		return -1;
	}
	s->v[s->n++] = (fu_now() - t0) * 1e6;
	agauth_verified_free(&out);
	return 0;
}

/* Verifies to the attacked daemon and to the control in turn for
 * `seconds`, into x and c; -1 if one failed. */
static int lo_measure(struct lo_series *x, struct lo_series *c,
		      double seconds)
{
	double end = fu_now() + seconds;

	while (fu_now() < end && x->n < LO_SAMPLES)
		if (lo_verify(x) != 0 || lo_verify(c) != 0)
			return -1;
	return 0;
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

/* This process and what it starts on the CPU it runs on now (the
 * others into lo_rest, for the attacker); returns the CPU, or -1 (not
 * pinned: the comparison is then noisier). */
static int lo_pin(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	cpu = cpu < 0 ? 0 : cpu;
	CPU_ZERO(&lo_rest);
	if (sched_getaffinity(0, sizeof lo_rest, &lo_rest) == 0)
		CPU_CLR(cpu, &lo_rest);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0) {
		fprintf(stderr, "fault_loris: sched_setaffinity: %s; not "
			"pinned to one CPU\n", strerror(errno));
		return -1;
	}
	return cpu;
}

/* A daemon directory d (key, keyring, configuration) and a token of
 * its key in tok. */
static int lo_daemon(struct fu_daemon *d, const char *tag, char *tok)
{
	char ring[256], extra[256], payload[64];
	struct fu_key k;

	if (fu_setup(d, tag) != 0 || fu_key(d, &k, "hs1") != 0)
		return -1;
	fu_key_section(&k, "primary", ring, sizeof ring);
	snprintf(extra, sizeof extra, "[limits]\nframe_timeout = %d\n"
		 "idle_timeout = %d\n\n[cache]\nsize = 4M\n", LO_FRAME_TIMEOUT,
		 LO_IDLE_TIMEOUT);
	snprintf(payload, sizeof payload, "{\"sub\":\"alice\",\"exp\":%.0f}",
		 fu_wall() + 3600);
	fu_token(&k, 1, payload, tok);
	return fu_write(d, "keyring.conf", ring, 0600) != 0 ||
	       fu_config(d, extra) != 0 ? -1 : 0;
}

static int lo_setup(void)
{
	if (lo_daemon(&dmn, "floris", token) != 0 ||
	    lo_daemon(&ctl, "floris-ctl", ctl_token) != 0)
		return -1;
	addr.sun_family = AF_UNIX;
	if (strlen(dmn.sock) >= sizeof addr.sun_path)
		return -1;
	memcpy(addr.sun_path, dmn.sock, strlen(dmn.sock) + 1);
	lo_frames();
	return 0;
}

/* How x compares with the control. */
struct lo_cmp {
	double r50;                  /* ratio of the p50s */
	double rtime;                /* of the time spent waiting for each */
	double tail;                 /* % of x's verifies over the control's
				      * p99 */
};

/*
 * Prints x against the control c, and how they compare into r.  The
 * time the client waited for each (their sums: how much slower its work
 * went) takes in stalls that a synchronous client meets once each, and
 * that hardly move a percentile.  (A ratio of the p99s flips with the
 * noise on a loaded machine: when about 1% of either series waited for
 * the CPU, its p99 is either a round trip or a time slice.  Counting x's
 * verifies past one threshold does not.)
 */
static void lo_print(const char *what, struct lo_series *x,
		     struct lo_series *c, struct lo_cmp *r)
{
	struct lo_series *s[2] = { x, c };
	double p50[2], p99[2], sum[2] = { 0, 0 };
	size_t i, over = 0;
	int k;

	for (k = 0; k < 2; k++) {
		p50[k] = fu_percentile(s[k]->v, s[k]->n, 50);
		p99[k] = fu_percentile(s[k]->v, s[k]->n, 99);
		for (i = 0; i < s[k]->n; i++)
			sum[k] += s[k]->v[i];
		printf("  %-8s %-8s %7zu verifies: p50 %6.1f us, p99 %7.1f us, "
		       "max %8.1f us, %.3f s in all\n", k == 0 ? what : "",
		       k == 0 ? "attacked" : "control", s[k]->n, p50[k], p99[k],
		       s[k]->v[s[k]->n - 1], sum[k] / 1e6);
	}
	for (i = 0; i < x->n; i++)
		over += x->v[i] > p99[1];
	r->r50 = p50[0] / p50[1];
	r->rtime = sum[0] / sum[1];
	r->tail = 100.0 * (double)over / (double)x->n;
	printf("  %-8s p50 %.2fx, time %.2fx, p99 %.2fx the control's; %.2f%% "
	       "of its verifies slower than the control's p99\n", "", r->r50,
	       r->rtime, p99[0] / p99[1], r->tail);
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 300, k, status, bad = 0, cpu;
	double seconds = argc > 3 ? atof(argv[3]) : 3, share;
	struct lo_cmp r;
	double cpu_d, cpu_c, cpu_a;
	enum lo_kind kinds[LO_KINDS];
	int nkinds;
	struct lo_series idle = { .token = token }, idle_c = { .token = ctl_token };
	struct lo_series att = { .token = token }, att_c = { .token = ctl_token };
	struct lo_series *all[4] = { &idle, &idle_c, &att, &att_c };
	struct agauth_error e;
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
	for (k = 0; k < 4; k++)
		if ((all[k]->v = calloc(LO_SAMPLES, sizeof *all[k]->v)) == NULL)
			return 2;
	cpu = lo_pin();
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || lo_setup() != 0 ||
	    fu_start(&dmn, argv[1], 10) != 0 || fu_start(&ctl, argv[1], 10) != 0) {
		fu_stop(&dmn);
		fu_stop(&ctl);
		fu_cleanup(&dmn);
		fu_cleanup(&ctl);
		return 2;
	}
	pid = fork();
	if (pid == 0)
		lo_attacker(n, kinds, nkinds);
	idle.a = att.a = agauth_open(dmn.sock, &e);
	idle_c.a = att_c.a = agauth_open(ctl.sock, &e);
	/* a warm-up, then both idle, then one attacked */
	if (idle.a == NULL || idle_c.a == NULL ||
	    lo_measure(&idle, &idle_c, 0.2) != 0)
		bad = 1;
	idle.n = idle_c.n = 0;
	if (bad || lo_measure(&idle, &idle_c, seconds / 2) != 0)
		bad = 1;
	atomic_store(&sh->attack, 1);
	if (bad || lo_wait_open(n * 4 / 5) != 0)
		bad = 1;
	fu_sleep(0.5);
	cpu_d = fu_cpu(dmn.pid);
	cpu_c = fu_cpu(ctl.pid);
	cpu_a = fu_cpu(pid);
	if (bad || lo_measure(&att, &att_c, seconds) != 0)
		bad = 1;
	cpu_d = fu_cpu(dmn.pid) - cpu_d;
	cpu_c = fu_cpu(ctl.pid) - cpu_c;
	cpu_a = fu_cpu(pid) - cpu_a;
	atomic_store(&sh->attack, 0);
	if (bad || lo_wait_open(0) != 0)
		bad = 1;
	atomic_store(&sh->attack, -1);
	waitpid(pid, &status, 0);
	agauth_close(idle.a);
	agauth_close(idle_c.a);
	if (idle.n == 0 || att.n == 0) {
		fu_stop(&dmn);
		fu_stop(&ctl);
		fu_show_log(&dmn, 20);
		fu_cleanup(&dmn);
		fu_cleanup(&ctl);
		return 1;
	}
	printf("fault_loris: %d attack connections (%d of each of %d kinds), "
	       "frame_timeout %d s, idle_timeout %d s; verifies to the attacked "
	       "daemon and to a control in turn, both and the client on CPU %d, "
	       "%.2f s with neither attacked, %.2f s attacked\n", n,
	       n / nkinds, nkinds, LO_FRAME_TIMEOUT, LO_IDLE_TIMEOUT, cpu,
	       seconds / 2, seconds);
	lo_print("idle", &idle, &idle_c, &r);
	lo_print("attack", &att, &att_c, &r);
	/* both served the same verifies: what the attacked one spent beyond
	 * the control, the slow clients took */
	share = (cpu_d - cpu_c) / seconds;
	printf("  CPU while attacked: agauthd %.2f s, the control %.2f s "
	       "(the attack's share %.3f, limit %.2f), the attacker %.2f s, "
	       "in %.2f s\n", cpu_d, cpu_c, share, LO_CPU_LIMIT, cpu_a, seconds);
	printf("  limits: p50 and time within %.1fx of the control's, at most "
	       "%.0f%% slower than its p99; %llu slow bytes sent; closed by "
	       "agauthd:", LO_LIMIT, LO_TAIL_LIMIT,
	       (unsigned long long)atomic_load(&sh->bytes));
	for (k = 0; k < LO_KINDS; k++)
		printf(" %s %llu", lo_names[k],
		       (unsigned long long)atomic_load(&sh->closed[k]));
	printf("; trickles closed after the attacker itself ran late (a "
	       "loaded machine): %llu\n",
	       (unsigned long long)atomic_load(&sh->late));
	if (r.r50 > LO_LIMIT || r.rtime > LO_LIMIT || r.tail > LO_TAIL_LIMIT ||
	    share > LO_CPU_LIMIT)
		bad = 1;
	/* trickling connections keep to the rules: never closed; stalled,
	 * partial, silent and shut-down ones are */
	if (atomic_load(&sh->closed[LO_TRICKLE]))
		bad = 1;
	for (k = 0; k < nkinds; k++)
		if (kinds[k] != LO_TRICKLE && !atomic_load(&sh->closed[kinds[k]]))
			bad = 1;
	if (fu_stop(&dmn) != 0 || fu_stop(&ctl) != 0)
		bad = 1;
	if (bad)
		fu_show_log(&dmn, 20);
	fu_cleanup(&dmn);
	fu_cleanup(&ctl);
	for (k = 0; k < 4; k++)
		free(all[k]->v);
	return bad;
}
