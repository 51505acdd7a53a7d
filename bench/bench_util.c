/* bench_util.c - shared helpers of the C benchmarks. */
#include "bench/bench_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *bench_prog = "bench";

static double bench_ts(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_clock(void)
{
	return bench_ts(CLOCK_MONOTONIC);
}

double bench_wall(void)
{
	return bench_ts(CLOCK_REALTIME);
}

void bench_fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", bench_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

double bench_env(const char *name, double def, double lo, double hi)
{
	const char *s = getenv(name);
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return def;
	v = strtod(s, &end);
	if (*end != '\0' || !(v >= lo && v <= hi)) {
		fprintf(stderr, "%s: %s must be a number in [%g, %g]\n",
			bench_prog, name, lo, hi);
		exit(2);
	}
	return v;
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void bench_sort(double *v, size_t n)
{
	qsort(v, n, sizeof *v, bench_cmp);
}

void bench_report(const char *kind, const char *name, const double *v,
		  int n, int decimals)
{
	double *s = malloc((size_t)n * sizeof *s);

	if (s == NULL) {
		fprintf(stderr, "%s: out of memory\n", bench_prog);
		exit(1);
	}
	memcpy(s, v, (size_t)n * sizeof *s);
	bench_sort(s, (size_t)n);
	printf("%s %s %.*f %.*f %.*f\n", kind, name, decimals, s[n / 2],
	       decimals, s[0], decimals, s[n - 1]);
	fflush(stdout);
	free(s);
}
