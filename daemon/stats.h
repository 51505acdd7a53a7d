/*
 * stats.h - the counters the stats op reports (docs/protocol.md), kept
 * by whoever sees the event: dispatch, jobs, replies and the listener.
 * A module of its own, so that counting makes no module depend on the
 * server.
 */
#ifndef AG_STATS_H
#define AG_STATS_H

#include <stdint.h>

struct stats {
	uint64_t requests, signs, verifies, failures, busy;
	uint64_t cache_hits, cache_misses;   /* as clients report them */
	double started;                      /* ev_now at start */
};

/* The one set of counters (loop thread only). */
struct stats *stats_get(void);

#endif
