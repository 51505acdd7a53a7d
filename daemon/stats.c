/* stats.c - the daemon's counters. */
#include "daemon/stats.h"

static struct stats stats;

struct stats *stats_get(void)
{
	return &stats;
}
