/* test_timespan.c - the ms package's spans and jsonwebtoken's timespan. */
#include <math.h>
#include <string.h>

#include <criterion/criterion.h>

#include "shared/timespan.h"

static double ms(const char *s)
{
	double v;

	cr_assert_eq(timespan_ms(s, strlen(s), &v), 0, "%s", s);
	return v;
}

static int bad(const char *s)
{
	double v;

	return timespan_ms(s, strlen(s), &v) != 0;
}

Test(timespan, units_and_unitless_milliseconds)
{
	cr_assert_eq(ms("120"), 120);
	cr_assert_eq(ms("1.5h"), 5400000);
	cr_assert_eq(ms("-1h"), -3600000);
	cr_assert_eq(ms("10y"), 315576000000.0);
	cr_assert_eq(ms("2 days"), 172800000);
	cr_assert_eq(ms("1D"), 86400000);
	cr_assert_eq(ms(".5s"), 500);
	cr_assert_eq(ms("3   weeks"), 1814400000);
	cr_assert_eq(ms("5 MSECS"), 5);
}

Test(timespan, refuses_what_ms_refuses)
{
	cr_assert(bad(""));
	cr_assert(bad("abc"));
	cr_assert(bad("1."));
	cr_assert(bad(" 1d"));
	cr_assert(bad("1e3"));
	cr_assert(bad("1d "));
	cr_assert(bad("1 fortnight"));
	cr_assert(bad("--1"));
	cr_assert(bad("1111111111111111111111111111111111111111111111111111"
		      "11111111111111111111111111111111111111111111111111"));
}

Test(timespan, eval_counts_from_iat_or_now)
{
	struct json_tok tok[8];
	struct json_doc d;
	double out;
	const char *s = "[\"1.5h\",60,true,\"x\"]";

	cr_assert_eq(json_parse(&d, s, strlen(s), tok, 8, 0), 5);
	cr_assert_eq(timespan_eval(&d, 1, 1000, 5, &out), 0);
	cr_assert_eq(out, 1000 + 5400);
	cr_assert_eq(timespan_eval(&d, 1, 0, 77.9, &out), 0, "iat 0 is now");
	cr_assert_eq(out, 77 + 5400);
	cr_assert_eq(timespan_eval(&d, 2, 10.5, 0, &out), 0);
	cr_assert_eq(out, 70.5, "numbers are not floored");
	cr_assert_eq(timespan_eval(&d, 3, 1, 1, &out), -1);
	cr_assert_eq(timespan_eval(&d, 4, 1, 1, &out), -1);
}
