/*
 * bench_fleet.c - how long a revocation takes to reach another host of
 * the fleet: from the reply to a revoke on host A to the moment host B's
 * cache no longer answers for the token (its purge), as a worker on B
 * sees it.  Run by bench/bench_fleet.js, which starts Redis and the
 * daemons:
 *
 *   bench_fleet SOCK_A SOCK_B N
 *
 * For each of N subjects: a token signed on A, verified on B (so that B's
 * cache holds it, checked with a peek), then `revoke --sub` on A; the
 * clock starts when its reply is in, and B's cache is peeked until it no
 * longer says VALID.  Prints the latencies' percentiles in ms as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "client/lib/agauth.h"

#define FLEET_TIMEOUT 5.0        /* s a revocation may take, at most */

static agauth_t *fleet_open(const char *sock, int cache)
{
	struct agauth_error e;
	agauth_t *a = agauth_open(sock, &e);

	if (a == NULL || (cache && agauth_cache_attach(a, &e) != AGAUTH_OK))
		bench_fatal("%s: %s", sock, e.message);
	return a;
}

/* ms from A's revoke reply to B's cache refusing */
static double fleet_one(agauth_t *a, agauth_t *b, int i)
{
	struct agauth_verified v;
	struct agauth_error e;
	char payload[64], sub[32], *tok;
	double t0, t;
	int r;

	snprintf(sub, sizeof sub, "fleet-%d", i);
	snprintf(payload, sizeof payload, "{\"sub\":\"%s\"}", sub);
	if (agauth_sign(a, payload, "{\"expiresIn\":3600}", &tok, NULL, &e) !=
	    AGAUTH_OK)
		bench_fatal("sign: %s", e.message);
	if (agauth_verify(b, tok, NULL, &v, &e) != AGAUTH_OK)
		bench_fatal("verify on B: %s", e.message);
	agauth_verified_free(&v);
	if (agauth_cache_peek(b, tok, NULL, &v, &e) != AGAUTH_CACHE_VALID)
		bench_fatal("the token is not in B's cache");
	agauth_verified_free(&v);
	if (agauth_revoke(a, "sub", sub, NULL, &e) != AGAUTH_OK)
		bench_fatal("revoke: %s", e.message);
	t0 = bench_clock();
	do {
		r = agauth_cache_peek(b, tok, NULL, &v, &e);
		if (r == AGAUTH_CACHE_VALID)
			agauth_verified_free(&v);
		t = bench_clock();
		if (t - t0 > FLEET_TIMEOUT)
			bench_fatal("B's cache still answers after %.0f s",
				    FLEET_TIMEOUT);
	} while (r == AGAUTH_CACHE_VALID);
	free(tok);
	return (t - t0) * 1000;
}

int main(int argc, char **argv)
{
	agauth_t *a, *b;
	double *v;
	int i, n;

	bench_prog = "bench_fleet";
	if (argc != 4 || (n = atoi(argv[3])) < 1)
		bench_fatal("usage: bench_fleet SOCK_A SOCK_B N");
	a = fleet_open(argv[1], 0);
	b = fleet_open(argv[2], 1);
	v = calloc((size_t)n, sizeof *v);
	if (v == NULL)
		bench_fatal("no memory");
	for (i = 0; i < n; i++)
		v[i] = fleet_one(a, b, i);
	bench_sort(v, (size_t)n);
	printf("{\"n\":%d,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,"
	       "\"max_ms\":%.3f}\n", n, v[n / 2], v[n * 9 / 10],
	       v[n * 99 / 100], v[n - 1]);
	free(v);
	agauth_close(a);
	agauth_close(b);
	return 0;
}
