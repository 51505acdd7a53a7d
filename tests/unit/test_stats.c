/* test_stats.c - the counters' outcome table and latency histograms. */
#include <criterion/criterion.h>

#include "daemon/stats.h"

/* A time lands in the first bucket whose bound it does not pass; past
 * the last bound it is only in the count (+Inf); the sum is exact. */
Test(stats, histogram_buckets)
{
	static struct stats_hist h;
	uint64_t now = stats_clock();
	unsigned i;

	stats_time(&h, now + 1000000000u);   /* a start after now: 0 */
	cr_assert_eq(h.bucket[0], 1);
	stats_time(&h, now - 300000000u);    /* 0.3 s, in (0.25, 1] */
	cr_assert_eq(h.bucket[STATS_BUCKETS - 1], 1);
	stats_time(&h, now - 5000000000u);   /* 5 s: +Inf */
	for (i = 1; i + 1 < STATS_BUCKETS; i++)
		cr_assert_eq(h.bucket[i], 0, "bucket %u", i);
	cr_assert_eq(h.count, 3);
	cr_assert_geq(h.sum_ns, 5300000000u);
	for (i = 1; i < STATS_BUCKETS; i++)
		cr_assert_gt(stats_bucket_ns(i), stats_bucket_ns(i - 1));
	cr_assert_eq(stats_bucket_ns(STATS_BUCKETS - 1), 1000000000u);
}

/* An op or code outside the table is not counted (nor written past
 * it). */
Test(stats, outcome_bounds)
{
	const struct stats *s = stats_get();

	stats_outcome(0, AG_OK);
	stats_outcome(STATS_OP_UNKNOWN, AG_E_BAD_FRAME);
	stats_outcome(STATS_OP_UNKNOWN + 1, AG_OK);
	stats_outcome(0, AG_ERR_COUNT);
	cr_assert_eq(s->outcome[0][AG_OK], 1);
	cr_assert_eq(s->outcome[STATS_OP_UNKNOWN][AG_E_BAD_FRAME], 1);
}
