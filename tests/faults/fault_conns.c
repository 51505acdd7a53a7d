/*
 * fault_conns.c - ten thousand connections held open at once.
 *
 * One process opens CONNECTIONS libagauth handles to one agauthd (each
 * connects and says hello), leaves them all idle for IDLE seconds, then
 * submits a verify on every one of them at once (the pipelined
 * interface) and waits, with epoll, until each is answered with its own
 * token's payload.  RLIMIT_NOFILE is raised here, and for agauthd where
 * its hard limit would not allow the connections.
 *
 *   fault_conns AGAUTHD [CONNECTIONS [IDLE]]
 *
 * Prints the time to open them and to use them, and agauthd's VmRSS
 * before, with the connections idle, and after they were used.  Fails
 * if a connection cannot be opened, a verify is not answered correctly
 * within 30 s, agauthd's count of connections is wrong, or its VmRSS
 * grew by more than CN_CONN_KIB a connection (plus CN_SLACK_KIB), idle
 * or after the verifies: a connection holds no buffer while it has
 * nothing to read or write (about half a KiB all told; 8.5 KiB when
 * each had its own input buffer).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "client/lib/agauth.h"
#include "tests/faults/fault_util.h"

#define CN_MAX      60000
#define CN_TOKENS   100            /* distinct tokens, by i % CN_TOKENS */
#define CN_EVENTS   512
#define CN_CONN_KIB  4             /* VmRSS a connection may add */
#define CN_SLACK_KIB 2048          /* growth not per connection: libev's
				    * arrays, the heap's step, the cache */

static struct fu_daemon dmn;
static struct fu_key key;
static char tokens[CN_TOKENS][FU_TOKEN];
static agauth_t **conns;

/* agauthd's stats: connections and the like. */
static unsigned long long cn_stat(agauth_t *admin, const char *what)
{
	struct agauth_error e;
	char *json = NULL;
	unsigned long long n;

	if (agauth_stats(admin, &json, &e) != AGAUTH_OK) {
		fprintf(stderr, "fault_conns: stats: %s\n", e.message);
		return 0;
	}
	n = fu_json_num(json, what);
	free(json);
	return n;
}

static int cn_setup(int n)
{
	char ring[256], payload[64];
	struct rlimit rl;
	unsigned long want = (unsigned long)n + 64;
	int i;

	if (fu_nofile(want) < want) {
		fprintf(stderr, "fault_conns: RLIMIT_NOFILE cannot be raised to "
			"%lu (root, or a higher hard limit, needed)\n", want);
		return -1;
	}
	if (fu_setup(&dmn, "fconns") != 0 || fu_key(&dmn, &key, "hs1") != 0)
		return -1;
	fu_key_section(&key, "primary", ring, sizeof ring);
	if (fu_write(&dmn, "keyring.conf", ring, 0600) != 0 ||
	    fu_config(&dmn, "[cache]\nsize = 4M\n") != 0)
		return -1;
	/* agauthd raises its soft limit to the hard one: where the hard
	 * one is short, it gets one that is not (prlimit's job) */
	want = (unsigned long)n + 256;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max < want)
		dmn.nofile = want;
	for (i = 0; i < CN_TOKENS; i++) {
		snprintf(payload, sizeof payload, "{\"n\":%d,\"exp\":%.0f}", i,
			 fu_wall() + 3600);
		fu_token(&key, 1, payload, tokens[i]);
	}
	return 0;
}

/* Opens n connections (hello on each). */
static int cn_open(int n)
{
	struct agauth_error e;
	int i;

	for (i = 0; i < n; i++) {
		conns[i] = agauth_open(dmn.sock, &e);
		if (conns[i] == NULL) {
			fprintf(stderr, "fault_conns: connection %d: %s\n", i,
				e.message);
			return -1;
		}
	}
	return 0;
}

/* The "n" claim of a verified payload, -1 without one. */
static long cn_n(const struct agauth_verified *v)
{
	const char *p = v->payload != NULL ? strstr(v->payload, "\"n\":") :
			NULL;

	return p != NULL ? strtol(p + 4, NULL, 10) : -1;
}

/* Completes what connection i has; returns how many were right, or -1
 * on a wrong answer or a broken connection. */
static int cn_complete(int i)
{
	struct agauth_reply r;
	int rc, right = 0;

	while ((rc = agauth_complete(conns[i], &r)) == 1) {
		if (r.status != AGAUTH_OK ||
		    cn_n(&r.verified) != i % CN_TOKENS) {
			fprintf(stderr, "fault_conns: connection %d: %s %s\n", i,
				agauth_strerror(r.status), r.error.message);
			right = -1;
		} else if (right >= 0) {
			right++;
		}
		agauth_reply_free(&r);
	}
	if (rc < 0) {
		fprintf(stderr, "fault_conns: connection %d broke\n", i);
		return -1;
	}
	return right;
}

/* A verify on every connection at once; waits for all the answers. */
static int cn_use(int n)
{
	struct epoll_event ev[CN_EVENTS];
	struct agauth_error e;
	double end = fu_now() + 30;
	int ep = epoll_create1(EPOLL_CLOEXEC), i, k, got, left = n, rc = -1;

	if (ep < 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct epoll_event one = { .events = EPOLLIN, .data.u32 =
					   (uint32_t)i };

		if (agauth_submit_verify(conns[i], tokens[i % CN_TOKENS], NULL,
					 NULL, &e) == 0) {
			fprintf(stderr, "fault_conns: verify on connection "
				"%d: %s\n", i, e.message);
			goto out;
		}
		/* one small frame: the socket takes it at once */
		if (agauth_flush(conns[i]) != 0 ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, agauth_fd(conns[i]),
			      &one) != 0) {
			fprintf(stderr, "fault_conns: connection %d: cannot "
				"send or watch\n", i);
			goto out;
		}
	}
	while (left > 0 && fu_now() < end) {
		got = epoll_wait(ep, ev, CN_EVENTS, 100);
		if (got < 0 && errno != EINTR)
			goto out;
		for (k = 0; k < got; k++) {
			i = (int)ev[k].data.u32;
			if (agauth_inflight(conns[i]) == 0)
				continue;
			if (cn_complete(i) < 0)
				goto out;
			left -= agauth_inflight(conns[i]) == 0;
		}
	}
	if (left > 0)
		fprintf(stderr, "fault_conns: %d verifies unanswered after 30 "
			"s\n", left);
	rc = left > 0 ? -1 : 0;
out:
	close(ep);
	return rc;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 10000, i, bad = 1;
	double idle = argc > 3 ? atof(argv[3]) : 1, t0, opened, used;
	long rss0, rss_idle, rss_used;
	unsigned long long seen_idle = 0, seen_used = 0;
	struct agauth_error e;
	agauth_t *admin = NULL;

	fu_prog = "fault_conns";
	if (argc < 2 || n < 1 || n > CN_MAX || idle < 0) {
		fprintf(stderr, "usage: fault_conns AGAUTHD [CONNECTIONS (1-%d) "
			"[IDLE_SECONDS]]\n", CN_MAX);
		return 64;
	}
	conns = calloc((size_t)n, sizeof *conns);
	if (conns == NULL || cn_setup(n) != 0 ||
	    fu_start(&dmn, argv[1], 10) != 0) {
		fu_cleanup(&dmn);
		return 2;
	}
	admin = agauth_open(dmn.sock, &e);
	rss0 = fu_rss_kb(dmn.pid);
	t0 = fu_now();
	if (admin == NULL || cn_open(n) != 0)
		goto out;
	opened = fu_now() - t0;
	fu_sleep(idle);
	rss_idle = fu_rss_kb(dmn.pid);
	seen_idle = cn_stat(admin, "connections");
	t0 = fu_now();
	if (cn_use(n) != 0)
		goto out;
	used = fu_now() - t0;
	rss_used = fu_rss_kb(dmn.pid);
	seen_used = cn_stat(admin, "connections");
	printf("fault_conns: %d connections opened (connect and hello) in "
	       "%.2f s (%.0f/s), idle %.1f s, a verify on each answered in "
	       "%.3f s (%.0f/s)\n", n, opened, n / opened, idle, used,
	       n / used);
	printf("  agauthd VmRSS: %ld KiB before, %ld KiB with the connections "
	       "idle, %ld KiB after they were used (%.1f KiB a connection); "
	       "it counted %llu and %llu connections\n", rss0, rss_idle,
	       rss_used, (double)(rss_used - rss0) / n, seen_idle, seen_used);
	bad = seen_idle != (unsigned long long)n + 1 ||
	      seen_used != (unsigned long long)n + 1;
	if (rss0 < 0 || rss_idle - rss0 > (long)n * CN_CONN_KIB +
	    CN_SLACK_KIB || rss_used - rss0 > (long)n * CN_CONN_KIB +
	    CN_SLACK_KIB) {
		fprintf(stderr, "fault_conns: agauthd's VmRSS grew by more "
			"than %d KiB a connection and %d KiB\n", CN_CONN_KIB,
			CN_SLACK_KIB);
		bad = 1;
	}
out:
	for (i = 0; i < n; i++)
		agauth_close(conns[i]);
	free(conns);
	agauth_close(admin);
	if (fu_stop(&dmn) != 0)
		bad = 1;
	if (bad)
		fu_show_log(&dmn, 20);
	fu_cleanup(&dmn);
	return bad;
}
