/* stats.c - the daemon's counters. */
#include "daemon/stats.h"

#include <time.h>

static struct stats stats;

/* 10 us to 1 s: an HS256 verify on the loop takes a few microseconds,
 * an RSA-4096 sign on a busy pool tens of milliseconds */
static const uint64_t stats_bounds[STATS_BUCKETS] = {
	10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 25000000, 50000000,
	100000000, 250000000, 1000000000,
};

struct stats *stats_get(void)
{
	return &stats;
}

void stats_outcome(unsigned op, enum ag_err code)
{
	/* an op or code out of range would write past the table */
	if (op > STATS_OP_UNKNOWN || (unsigned)code >= AG_ERR_COUNT)
		return;
	stats.outcome[op][code]++;
}

uint64_t stats_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void stats_time(struct stats_hist *h, uint64_t start)
{
	uint64_t now = stats_clock(), ns = now > start ? now - start : 0;
	unsigned i;

	for (i = 0; i < STATS_BUCKETS && ns > stats_bounds[i]; i++)
		;
	if (i < STATS_BUCKETS)
		h->bucket[i]++;
	h->count++;
	h->sum_ns += ns;
}

uint64_t stats_bucket_ns(unsigned i)
{
	return i < STATS_BUCKETS ? stats_bounds[i] : UINT64_MAX;
}
