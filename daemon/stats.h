/*
 * stats.h - the counters the stats and metrics ops report
 * (docs/protocol.md), kept by whoever sees the event: dispatch, jobs,
 * replies and the listener.  A module of its own, so that counting makes
 * no module depend on the server.
 *
 * Everything here is written and read on the loop thread only (pool
 * jobs are counted when they come back to it): a count is a plain
 * increment, with no lock and no atomic on the request path.
 */
#ifndef AG_STATS_H
#define AG_STATS_H

#include <stdint.h>

#include "shared/agerr.h"
#include "shared/ops.h"

/* The upper bounds of the latency histograms' buckets, in nanoseconds,
 * ascending (stats_bucket_ns); +Inf is the count. */
#define STATS_BUCKETS 15

/* One latency histogram: per bucket (not cumulative; bucket i counts
 * what is above bound i-1 and at most bound i), the total, the sum. */
struct stats_hist {
	uint64_t bucket[STATS_BUCKETS];
	uint64_t count, sum_ns;
};

/* The op index of a request whose op was not known (or not even read). */
#define STATS_OP_UNKNOWN AG_OP_COUNT

struct stats {
	uint64_t requests, signs, verifies, failures, busy;
	uint64_t cache_hits, cache_misses;   /* as clients report them */
	double started;                      /* ev_now at start */
	/* requests by op (shared/ops.h's order, then STATS_OP_UNKNOWN) and
	 * outcome (AG_OK, or the code of the error answered) */
	uint64_t outcome[AG_OP_COUNT + 1][AG_ERR_COUNT];
	struct stats_hist sign_time, verify_time;
};

/* The one set of counters (loop thread only). */
struct stats *stats_get(void);

/* A request of op (an index of shared/ops.h, or STATS_OP_UNKNOWN) was
 * answered with code (AG_OK: success). */
void stats_outcome(unsigned op, enum ag_err code);

/* Now, in nanoseconds of CLOCK_MONOTONIC, to time a request with. */
uint64_t stats_clock(void);
/* Counts the time from start (stats_clock) to now into h. */
void stats_time(struct stats_hist *h, uint64_t start);
/* The upper bound of bucket i, in nanoseconds. */
uint64_t stats_bucket_ns(unsigned i);

#endif
