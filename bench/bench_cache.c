/*
 * bench_cache - what a cache hit costs a worker, next to verifying the
 * same token in process (the engine's HS256 verify, the baseline of
 * every HS256 figure, and the HMAC-SHA256 under it), in one run:
 *
 *   hit, hot       the same token again and again
 *   hit, RS256     the same, an RS256 token (~480 bytes, a 342-character
 *                  signature the hit digests; made in the shape agauthd
 *                  signs, with random signature bytes: the cache checks
 *                  no signature, and this benchmark has no RSA key)
 *   hit, random    random entries of a cache holding over a million
 *                  (BENCH_CACHE_TOKENS signed, default 1.1M; those the
 *                  8-way buckets evicted are left out)
 *   2 readers      the random case in two processes at once, against one
 *
 * The cache is filled by the daemon's own writer (daemon/cachew.c); the
 * readers map it read-only as workers do.  The measurements of a
 * repetition run back to back, and each ratio is taken per repetition.
 * Prints "cache <name> <median> <min> <max>" lines (ns per lookup, or
 * ops/s, as the name says) and "cache-ratio <name> ..." lines.
 *
 *   BENCH_SECONDS, BENCH_REPS as for the other benchmarks
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>


#include "bench/bench_util.h"
#include "daemon/cachew.h"
#include "daemon/engine/verify.h"
#include "shared/b64url.h"
#include "shared/cache.h"
#include "tests/unit/fixture.h"

#define BC_REPS_MAX 32

static char **bc_tok;
static size_t bc_n;
static struct cache_map bc_map;
static struct vopts bc_opts, bc_rs_opts;
static char *bc_rs_tok;

static void bc_die(const char *what)
{
	fprintf(stderr, "bench_cache: %s\n", what);
	exit(1);
}

/*
 * ns per lookup over `seconds`; random tokens or the first one.  A worker
 * looks up the token it has just received, so each batch of tokens is
 * copied to a local buffer first, outside the timed part: the figure is
 * the cache's cost, not that of fetching our own test data.
 */
#define BC_BATCH 64
static double bc_lookups(double seconds, int random, uint64_t seed,
			 const char *hot, const struct vopts *o)
{
	static char local[BC_BATCH][1024];
	static size_t len[BC_BATCH];
	struct cache_hit hit;
	struct ag_error e;
	double now = bench_wall(), el = 0, t0;
	uint64_t n = 0, i = 0, hits = 0;
	const char *t;
	int k;

	while (el < seconds) {
		for (k = 0; k < BC_BATCH; k++) {
			i = random ? (i * 6364136223846793005ULL + seed) >> 1 : 0;
			t = random ? bc_tok[i % bc_n] : hot;
			len[k] = strlen(t);
			memcpy(local[k], t, len[k]);
		}
		t0 = bench_clock();
		for (k = 0; k < BC_BATCH; k++, n++)
			hits += cache_lookup(&bc_map, local[k], len[k],
					     o, now, &hit, &e) ==
				CACHE_HIT;
		el += bench_clock() - t0;
		/* we are the daemon too: keep the cache alive */
		cachew_heartbeat(bench_wall());
	}
	if (hits != n)
		bc_die("a lookup missed: the benchmark would measure misses");
	return el * 1e9 / (double)n;
}

/* The floor under a random hit: one dependent read of a random line of
 * a buffer as large as the cache (ns). */
static double bc_floor(double seconds)
{
	const volatile uint8_t *p = bc_map.base;
	uint64_t n = 0, i = 1, lines = bc_map.size / 64, acc = 0;
	double t0 = bench_clock(), el;

	do {
		for (int k = 0; k < 4096; k++, n++) {
			i = (i * 6364136223846793005ULL + 1442695040888963407ULL +
			     acc) >> 1;
			acc += p[(i % lines) * 64] & 1;
		}
		el = bench_clock() - t0;
	} while (el < seconds);
	return el * 1e9 / (double)n;
}

/* What bc_verify times: the engine's verify, or its HMAC alone. */
enum bc_what { BC_VERIFY, BC_HMAC };

static double bc_verify(double seconds, const struct key *k, enum bc_what w)
{
	static struct jwt j;
	struct ag_error e;
	uint8_t mac[64];
	double t0 = bench_clock(), now = bench_wall(), el;
	uint64_t n = 0;
	const char *t = bc_tok[0];
	size_t len = strlen(t), sig = (size_t)(strrchr(t, '.') - t);

	do {
		for (int r = 0; r < 256; r++, n++) {
			if (w == BC_HMAC)
				key_hmac(k, 256, (const uint8_t *)t, sig, mac);
			else if (verify_token(k, t, len, &bc_opts, now, &j,
					      &e) != 0)
				bc_die(e.msg);
		}
		el = bench_clock() - t0;
	} while (el < seconds);
	return el * 1e9 / (double)n;
}

/* Lookups per second of `procs` processes at once (random tokens). */
static double bc_parallel(int procs, double seconds)
{
	double *ns = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0), total = 0;
	pid_t pid[8];
	int p, st;

	for (p = 0; p < procs; p++) {
		pid[p] = fork();
		if (pid[p] == 0) {
			ns[p] = bc_lookups(seconds, 1, 1442695040888963407ULL +
					   2 * (uint64_t)p, NULL, &bc_opts);
			_exit(0);
		}
	}
	for (p = 0; p < procs; p++) {
		waitpid(pid[p], &st, 0);
		total += 1e9 / ns[p];
	}
	munmap(ns, 4096);
	return total;
}

/* An RS256 token as agauthd would sign it (k0's kid), its signature
 * random bytes, put in as the daemon puts in what it verified. */
static void bc_rs256(const struct keyring *kr)
{
	static const char hdr[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k0\"}";
	static struct jwt j;
	char payload[128];
	uint8_t sig[256];
	struct ag_error e;
	size_t n, i;

	snprintf(payload, sizeof payload, "{\"username\":\"rsa-user\","
		 "\"channels\":[\"a\",\"b\"],\"iat\":%.0f,\"exp\":%.0f}",
		 bench_wall(), bench_wall() + 86400);
	for (i = 0; i < sizeof sig; i++)
		sig[i] = (uint8_t)(i * 167 + 13);
	bc_rs_tok = malloc(1024);
	n = b64url_encode(bc_rs_tok, (const uint8_t *)hdr, sizeof hdr - 1);
	bc_rs_tok[n++] = '.';
	n += b64url_encode(bc_rs_tok + n, (const uint8_t *)payload,
			   strlen(payload));
	bc_rs_tok[n++] = '.';
	n += b64url_encode(bc_rs_tok + n, sig, sizeof sig);
	bc_rs_tok[n] = '\0';
	if (jwt_decode(&j, bc_rs_tok, n, &e) != 0 ||
	    vopts_parse(&bc_rs_opts, "{\"algorithms\":[\"RS256\"]}", 24,
			&e) != 0)
		bc_die(e.msg);
	cachew_put(kr, &kr->keys[0], &j, bench_wall());
	printf("# RS256 token: %zu bytes\n", n);
}

static void bc_fill(const char *dir, size_t n, struct keyring **kr)
{
	static struct jwt j;
	const struct kr_key *k;
	struct ag_error e;
	char payload[96];
	double now = bench_wall();
	size_t i;

	*kr = fx_keyring(dir, "k0:primary", 1);
	/* 512-byte slots, 1.5 per token */
	if (*kr == NULL || cachew_open(4096 + (unsigned long long)n * 768, 512, 0,
				       "sub", now, &e) != 0)
		bc_die("cannot make the cache");
	cachew_keys(*kr);
	bc_tok = calloc(n, sizeof *bc_tok);
	for (i = 0; i < n; i++) {
		snprintf(payload, sizeof payload,
			 "{\"username\":\"user%zu\",\"channels\":[\"a\",\"b\"]}",
			 i);
		bc_tok[i] = fx_sign(*kr, payload, "{\"expiresIn\":86400}", now,
				    &k);
		if (bc_tok[i] == NULL ||
		    jwt_decode(&j, bc_tok[i], strlen(bc_tok[i]), &e) != 0)
			bc_die("cannot sign");
		cachew_put(*kr, k, &j, now);
	}
	/* before the tokens it may evict are told apart from the rest */
	bc_rs256(*kr);
	if (cache_map(&bc_map, cachew_fd(), &e) != 0 ||
	    vopts_parse(&bc_opts, "{\"algorithms\":[\"HS256\"]}", 24, &e) != 0)
		bc_die(e.msg);
	/* keep the tokens the cache holds */
	for (i = 0; i < n; i++) {
		struct cache_hit hit;

		if (cache_lookup(&bc_map, bc_tok[i], strlen(bc_tok[i]),
				 &bc_opts, now, &hit, &e) == CACHE_HIT)
			bc_tok[bc_n++] = bc_tok[i];
		else
			free(bc_tok[i]);
	}
}

/* Prints "cache-ratio <name>" of a[r] / b[r] over the repetitions. */
static void bc_ratio(const char *name, const double *a, const double *b,
		     int reps)
{
	double v[BC_REPS_MAX];
	int r;

	for (r = 0; r < reps; r++)
		v[r] = a[r] / b[r];
	bench_report("cache-ratio", name, v, reps, 3);
}

int main(void)
{
	double secs = bench_env("BENCH_SECONDS", 1, 0.05, 60);
	int reps = (int)bench_env("BENCH_REPS", 5, 1, BC_REPS_MAX), r;
	size_t n = (size_t)bench_env("BENCH_CACHE_TOKENS", 1100000, 1000,
				     1e7);
	double hot[BC_REPS_MAX], rnd[BC_REPS_MAX], ver[BC_REPS_MAX];
	double rs[BC_REPS_MAX];
	double hmac[BC_REPS_MAX], one[BC_REPS_MAX];
	double two[BC_REPS_MAX];
	double flo[BC_REPS_MAX];
	char dir[] = "/tmp/agauthd-bench-cache-XXXXXX", cmd[64];
	struct keyring *kr;
	struct cachew_stats st;

	bench_prog = "bench_cache";
	if (mkdtemp(dir) == NULL)
		bc_die("mkdtemp");
	bc_fill(dir, n, &kr);
	cachew_stats(&st);
	printf("# cache: %zu tokens, %llu slots, %llu entries, %llu MiB\n", bc_n,
	       (unsigned long long)st.slots, (unsigned long long)st.entries,
	       (unsigned long long)(st.bytes >> 20));
	for (r = 0; r < reps; r++) {
		cachew_heartbeat(bench_wall());
		hot[r] = bc_lookups(secs, 0, 0, bc_tok[0], &bc_opts);
		rs[r] = bc_lookups(secs, 0, 0, bc_rs_tok, &bc_rs_opts);
		rnd[r] = bc_lookups(secs, 1, 1442695040888963407ULL, NULL,
				    &bc_opts);
		ver[r] = bc_verify(secs, kr->keys[0].key, BC_VERIFY);
		hmac[r] = bc_verify(secs, kr->keys[0].key, BC_HMAC);
		flo[r] = bc_floor(secs);
		cachew_heartbeat(bench_wall());
		one[r] = bc_parallel(1, secs);
		cachew_heartbeat(bench_wall());
		two[r] = bc_parallel(2, secs);
	}
	bench_report("cache", "hit_hot_ns", hot, reps, 1);
	bench_report("cache", "hit_hot_rs256_ns", rs, reps, 1);
	bench_report("cache", "hit_random_ns", rnd, reps, 1);
	bench_report("cache", "engine_hs256_verify_ns", ver, reps, 1);
	bench_report("cache", "agauthd_hmac_sha256_ns", hmac, reps, 1);
	bench_report("cache", "random_line_read_ns", flo, reps, 1);
	bench_report("cache", "random_1_process_ops", one, reps, 0);
	bench_report("cache", "random_2_processes_ops", two, reps, 0);
	bc_ratio("hit_hot_per_hs256_verify", hot, ver, reps);
	bc_ratio("hit_hot_rs256_per_hs256_verify", rs, ver, reps);
	bc_ratio("hit_random_per_hs256_verify", rnd, ver, reps);
	bc_ratio("hit_random_per_line_read", rnd, flo, reps);
	bc_ratio("two_readers_per_one", two, one, reps);
	free(bc_rs_tok);
	cache_unmap(&bc_map);
	cachew_close();
	keyring_unref(kr);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) != 0;
}
