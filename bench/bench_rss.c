/*
 * bench_rss - agauthd's resident memory, the shared-memory cache's pages
 * counted apart.
 *
 *   build/bench_rss AGAUTHD CONFIG SOCKET SECRET_FILE
 *
 * Each repetition starts a fresh `AGAUTHD -c CONFIG` (listening on
 * SOCKET), and reads its /proc/PID/smaps:
 *
 *   idle    once it answers its first hello;
 *   loaded  after BENCH_SECONDS of load on a few connections: HS256
 *           verifies of many distinct tokens (made here with the secret of
 *           SECRET_FILE, an HS256 verify-only key without kid), RS256
 *           signs with the primary key and RS256 verifies of what it
 *           signed, pipelined;
 *   conns   with BENCH_CONNS more connections open, each past its hello,
 *           left idle.
 *
 * and prints, over BENCH_REPS repetitions,
 *
 *   daemon rss_idle_kib <median> <min> <max>   RSS, idle
 *   daemon rss_loaded_kib ...                  RSS, loaded
 *   daemon cache_rss_kib ...                   of it the cache's mapping,
 *                                              loaded
 *   daemon rss_idle_less_cache_kib ...         idle less the cache's
 *   daemon rss_loaded_less_cache_kib ...       loaded less the cache's
 *   daemon rss_idle_conns_added_kib ...        conns less loaded
 *   daemon rss_idle_conn_bytes ...             the same per connection
 *
 * (KiB, but the last), with BENCH_CONNS 10000 (the default) naming the
 * sixth rss_10k_idle_conns_added_kib.  Lines starting with '#' say what each
 * repetition's RSS was made of.  RLIMIT_NOFILE is raised for this
 * process and so for the daemons it starts (root, or a hard limit high
 * enough, is needed); their configuration must allow BENCH_CONNS + 8
 * connections.  A benchmark, never a test: a failing request aborts it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_hs256.h"
#include "bench/bench_util.h"
#include "client/lib/agauth.h"

#define BR_REPS_MAX     101
#define BR_CONNS_MAX    60000
#define BR_LOAD_CONNS   4           /* the load's connections */
#define BR_DEPTH        8           /* requests in flight on each */
#define BR_HS_TOKENS    2000        /* distinct HS256 tokens verified */
#define BR_RS_TOKENS    16          /* RS256 tokens kept for verifies */
#define BR_MIX          16          /* of each 16 requests: */
#define BR_MIX_SIGN     1           /*   RS256 signs */
#define BR_MIX_RS       3           /*   RS256 verifies; the rest HS256 */
#define BR_SETTLE       0.3         /* seconds before each reading */
#define BR_CACHE_NAME   "/memfd:agauthd-cache"

/* One reading of smaps, in KiB. */
struct br_mem {
	long rss;                   /* every mapping but the cache's */
	long anon, file, locked;    /* of those: anonymous, file, mlocked */
	long cache;                 /* the cache's mapping */
};

/* The figures, per repetition. */
enum {
	F_IDLE, F_LOADED, F_CACHE, F_IDLE_LESS, F_LOADED_LESS, F_ADDED, F_PER,
	F_COUNT
};

/* The load: its connections and what they send. */
struct br_load {
	agauth_t *conn[BR_LOAD_CONNS];
	char *hs[BR_HS_TOKENS];
	char *rs[BR_RS_TOKENS];
	unsigned long next;          /* requests submitted */
	unsigned long signs, verifies;
};

static const char *br_agauthd, *br_config, *br_sock;

static void br_sleep(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) *
						 1e9) };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Sums smaps's Rss, Anonymous and Locked lines, the cache apart. */
static void br_read(pid_t pid, struct br_mem *m)
{
	char path[64], line[512];
	int cache = 0;
	long kb;
	FILE *f;

	memset(m, 0, sizeof *m);
	snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		bench_fatal("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, f) != NULL) {
		/* a mapping's first line is "start-end perms offset dev
		 * inode [name]" (lowercase hex); its fields follow as
		 * "Name:  value kB" */
		if (line[0] < 'A' || line[0] > 'Z') {
			cache = strstr(line, BR_CACHE_NAME) != NULL;
			continue;
		}
		if (sscanf(line, "Rss: %ld", &kb) == 1) {
			if (cache)
				m->cache += kb;
			else
				m->rss += kb;
		} else if (!cache && sscanf(line, "Anonymous: %ld", &kb) == 1) {
			m->anon += kb;
		} else if (!cache && sscanf(line, "Locked: %ld", &kb) == 1) {
			m->locked += kb;
		}
	}
	fclose(f);
	m->file = m->rss - m->anon;
}

static void br_show(int rep, const char *when, const struct br_mem *m)
{
	printf("# rep %d %s: rss %ld KiB (anonymous %ld, file and shared %ld, "
	       "locked %ld), cache %ld KiB\n", rep, when, m->rss, m->anon,
	       m->file, m->locked, m->cache);
	fflush(stdout);
}

/* ------------------------------------------------------------- daemon */

static pid_t br_start(void)
{
	struct agauth_error e;
	double end = bench_clock() + 10;
	int status;
	agauth_t *a;
	pid_t pid = fork();

	if (pid < 0)
		bench_fatal("fork: %s", strerror(errno));
	if (pid == 0) {
		execl(br_agauthd, br_agauthd, "-c", br_config, (char *)NULL);
		fprintf(stderr, "bench_rss: exec %s: %s\n", br_agauthd,
			strerror(errno));
		_exit(127);
	}
	while (bench_clock() < end) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			bench_fatal("agauthd exited (status %d) before it "
				    "listened", status);
		a = agauth_open(br_sock, &e);
		if (a != NULL) {
			agauth_close(a);
			return pid;
		}
		br_sleep(0.005);
	}
	kill(pid, SIGKILL);
	bench_fatal("agauthd did not answer within 10 s: %s", e.message);
}

static void br_stop(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		bench_fatal("agauthd did not stop cleanly (status %d)", status);
}

/* --------------------------------------------------------------- load */

/* Queues the load's next request on connection i. */
static void br_submit(struct br_load *l, int i)
{
	struct agauth_error e;
	unsigned long k = l->next++, slot = k % BR_MIX;
	char payload[96];
	uint64_t id;

	if (slot < BR_MIX_SIGN) {
		snprintf(payload, sizeof payload, "{\"username\":\"user%lu\","
			 "\"channels\":[\"a\",\"b\"]}", k);
		id = agauth_submit_sign(l->conn[i], payload,
					"{\"expiresIn\":86400}", NULL, &e);
	} else {
		id = agauth_submit_verify(l->conn[i], slot < BR_MIX_SIGN +
					  BR_MIX_RS ? l->rs[k % BR_RS_TOKENS] :
					  l->hs[k % BR_HS_TOKENS], NULL, NULL,
					  &e);
	}
	if (id == 0)
		bench_fatal("submit: %s", e.message);
}

/* Takes connection i's replies; a sign's token replaces an RS256 one. */
static int br_complete(struct br_load *l, int i)
{
	struct agauth_reply r;
	int rc, n = 0;

	while ((rc = agauth_complete(l->conn[i], &r)) == 1) {
		if (r.status != AGAUTH_OK)
			bench_fatal("%s: %s", agauth_strerror(r.status),
				    r.error.message);
		if (r.op == AGAUTH_OP_SIGN) {
			free(l->rs[l->signs % BR_RS_TOKENS]);
			l->rs[l->signs++ % BR_RS_TOKENS] = r.token;
			r.token = NULL;
		} else {
			l->verifies++;
		}
		agauth_reply_free(&r);
		n++;
	}
	if (rc < 0)
		bench_fatal("a load connection broke");
	return n;
}

static void br_load_run(struct br_load *l, double seconds)
{
	struct pollfd pfd[BR_LOAD_CONNS];
	double end = bench_clock() + seconds;
	int i, k, n;

	for (i = 0; i < BR_LOAD_CONNS; i++)
		for (k = 0; k < BR_DEPTH; k++)
			br_submit(l, i);
	while (bench_clock() < end) {
		for (i = 0; i < BR_LOAD_CONNS; i++) {
			pfd[i].fd = agauth_fd(l->conn[i]);
			pfd[i].events = agauth_flush(l->conn[i]) == 1 ?
					POLLIN | POLLOUT : POLLIN;
		}
		if (poll(pfd, BR_LOAD_CONNS, 100) < 0 && errno != EINTR)
			bench_fatal("poll: %s", strerror(errno));
		for (i = 0; i < BR_LOAD_CONNS; i++)
			for (n = br_complete(l, i); n > 0; n--)
				br_submit(l, i);
	}
	/* what is still in flight is answered before the reading */
	for (i = 0; i < BR_LOAD_CONNS; i++) {
		while (agauth_inflight(l->conn[i]) > 0) {
			pfd[0].fd = agauth_fd(l->conn[i]);
			pfd[0].events = agauth_flush(l->conn[i]) == 1 ?
					POLLIN | POLLOUT : POLLIN;
			if (poll(pfd, 1, 1000) < 0 && errno != EINTR)
				bench_fatal("poll: %s", strerror(errno));
			br_complete(l, i);
		}
	}
}

static void br_load_open(struct br_load *l)
{
	struct agauth_error e;
	int i;

	for (i = 0; i < BR_LOAD_CONNS; i++) {
		l->conn[i] = agauth_open(br_sock, &e);
		if (l->conn[i] == NULL)
			bench_fatal("connect: %s", e.message);
	}
	/* the RS256 tokens verified before the first signs come back */
	for (i = 0; i < BR_RS_TOKENS; i++) {
		free(l->rs[i]);
		l->rs[i] = NULL;
		if (agauth_sign(l->conn[0], "{\"username\":\"alice\"}",
				"{\"expiresIn\":86400}", &l->rs[i], NULL,
				&e) != AGAUTH_OK)
			bench_fatal("sign: %s", e.message);
	}
}

static void br_load_close(struct br_load *l)
{
	int i;

	for (i = 0; i < BR_LOAD_CONNS; i++)
		agauth_close(l->conn[i]);
}

/* --------------------------------------------------------------- main */

/* n handles, each connected and past its hello. */
static void br_conns_open(agauth_t **c, int n)
{
	struct agauth_error e;
	int i;

	for (i = 0; i < n; i++) {
		c[i] = agauth_open(br_sock, &e);
		if (c[i] == NULL)
			bench_fatal("connection %d: %s", i, e.message);
	}
}

static void br_nofile(unsigned long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		bench_fatal("getrlimit: %s", strerror(errno));
	if (rl.rlim_max < want)
		rl.rlim_max = want;   /* root only */
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		bench_fatal("RLIMIT_NOFILE cannot be raised to %lu (root, or a "
			    "higher hard limit, is needed)", want);
}

int main(int argc, char **argv)
{
	static const char *name[F_COUNT] = {
		[F_IDLE] = "rss_idle_kib", [F_LOADED] = "rss_loaded_kib",
		[F_CACHE] = "cache_rss_kib",
		[F_IDLE_LESS] = "rss_idle_less_cache_kib",
		[F_LOADED_LESS] = "rss_loaded_less_cache_kib",
		[F_PER] = "rss_idle_conn_bytes",
	};
	static double v[F_COUNT][BR_REPS_MAX];
	static uint8_t key[BENCH_SECRET_MAX];
	static struct br_load load;
	struct br_mem idle, loaded, conns;
	char payload[128], added_name[64];
	double seconds, now = bench_wall();
	size_t klen, sign_len;
	agauth_t **c;
	int reps, nconns, r, i;
	pid_t pid;

	bench_prog = "bench_rss";
	if (argc != 5) {
		fprintf(stderr, "usage: bench_rss AGAUTHD CONFIG SOCKET "
			"SECRET_FILE\n");
		return 64;
	}
	br_agauthd = argv[1];
	br_config = argv[2];
	br_sock = argv[3];
	seconds = bench_env("BENCH_SECONDS", 1, 0.01, 3600);
	reps = (int)bench_env("BENCH_REPS", 3, 1, BR_REPS_MAX);
	nconns = (int)bench_env("BENCH_CONNS", 10000, 1, BR_CONNS_MAX);
	c = calloc((size_t)nconns, sizeof *c);
	if (c == NULL)
		bench_fatal("out of memory");
	br_nofile((unsigned long)nconns + 256);
	klen = bench_hs256_secret(argv[4], key);
	for (i = 0; i < BR_HS_TOKENS; i++) {
		snprintf(payload, sizeof payload, "{\"username\":\"user%d\","
			 "\"channels\":[\"a\",\"b\"],\"iat\":%.0f,\"exp\":%.0f}",
			 i, now, now + 86400);
		load.hs[i] = bench_hs256_token(key, klen, payload, &sign_len);
	}
	printf("# %d repetitions, each a fresh agauthd: load %d connections x "
	       "%d in flight for %.1f s (of each %d requests %d RS256 sign, "
	       "%d RS256 verifies, the rest HS256 verifies of %d tokens); "
	       "then %d idle connections\n", reps, BR_LOAD_CONNS, BR_DEPTH,
	       seconds, BR_MIX, BR_MIX_SIGN, BR_MIX_RS, BR_HS_TOKENS, nconns);
	for (r = 0; r < reps; r++) {
		pid = br_start();
		br_sleep(BR_SETTLE);
		br_read(pid, &idle);
		br_load_open(&load);
		br_load_run(&load, seconds);
		br_load_close(&load);
		br_sleep(BR_SETTLE);
		br_read(pid, &loaded);
		br_conns_open(c, nconns);
		br_sleep(BR_SETTLE);
		br_read(pid, &conns);
		for (i = 0; i < nconns; i++)
			agauth_close(c[i]);
		br_stop(pid);
		br_show(r + 1, "idle", &idle);
		br_show(r + 1, "loaded", &loaded);
		br_show(r + 1, "with the connections", &conns);
		printf("# rep %d: %lu signs, %lu verifies\n", r + 1, load.signs,
		       load.verifies);
		load.signs = load.verifies = load.next = 0;
		v[F_IDLE][r] = (double)(idle.rss + idle.cache);
		v[F_LOADED][r] = (double)(loaded.rss + loaded.cache);
		v[F_CACHE][r] = (double)loaded.cache;
		v[F_IDLE_LESS][r] = (double)idle.rss;
		v[F_LOADED_LESS][r] = (double)loaded.rss;
		v[F_ADDED][r] = (double)(conns.rss + conns.cache -
					 loaded.rss - loaded.cache);
		v[F_PER][r] = v[F_ADDED][r] * 1024 / nconns;
	}
	if (nconns == 10000)
		snprintf(added_name, sizeof added_name,
			 "rss_10k_idle_conns_added_kib");
	else
		snprintf(added_name, sizeof added_name,
			 "rss_%d_idle_conns_added_kib", nconns);
	name[F_ADDED] = added_name;
	for (i = 0; i < F_COUNT; i++)
		bench_report("daemon", name[i], v[i], reps, 0);
	for (i = 0; i < BR_HS_TOKENS; i++)
		free(load.hs[i]);
	for (i = 0; i < BR_RS_TOKENS; i++)
		free(load.rs[i]);
	free(c);
	return 0;
}
