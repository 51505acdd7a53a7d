/* bench_util.h - clocks, settings from the environment and reporting
 * shared by the C benchmarks. */
#ifndef AG_BENCH_UTIL_H
#define AG_BENCH_UTIL_H

#include <stddef.h>

/* The program name used in messages ("bench_engine"). */
extern const char *bench_prog;

double bench_clock(void);            /* CLOCK_MONOTONIC, seconds */
double bench_wall(void);             /* CLOCK_REALTIME, seconds */
/* "<bench_prog>: <message>" on stderr, and exit(1). */
void bench_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* A number from the environment, def when unset; exits on a bad one. */
double bench_env(const char *name, double def, double lo, double hi);
void bench_sort(double *v, size_t n);
/* Prints "<kind> <name> <median> <min> <max>" of v (n values, left as
 * they are). */
void bench_report(const char *kind, const char *name, const double *v,
		  int n, int decimals);

#endif
