/* log.c - stderr logging, journald-aware. */
#include "daemon/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/limits.h"

static enum log_level log_max = LOG_LEVEL_INFO;
static int log_journal;

static const char *const log_names[8] = {
	[LOG_LEVEL_ERR] = "error", [LOG_LEVEL_WARN] = "warning",
	[LOG_LEVEL_INFO] = "info", [LOG_LEVEL_DEBUG] = "debug",
};

void log_init(enum log_level max)
{
	log_max = max;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

int log_enabled(enum log_level level)
{
	return level <= log_max;
}

int log_level_parse(const char *s, enum log_level *out)
{
	int l;

	for (l = 0; l < 8; l++)
		if (log_names[l] != NULL && strcmp(s, log_names[l]) == 0) {
			*out = (enum log_level)l;
			return 0;
		}
	return -1;
}

static void log_line(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void log_line(enum log_level level, const char *fmt, va_list ap)
{
	char line[1024], stamp[32];
	struct timespec ts;
	struct tm tm;

	vsnprintf(line, sizeof line, fmt, ap);
	if (log_journal) {
		fprintf(stderr, "<%d>%s\n", (int)level, line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ agauthd %s: %s\n", stamp,
		ts.tv_nsec / 1000000, log_names[level], line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	log_line(level, fmt, ap);
	va_end(ap);
}

static double log_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The sites that have suppressed lines. */
static struct log_limit *log_sites;

/* One line for what a site held back. */
static void log_tell(struct log_limit *l, double now)
{
	if (l->suppressed == 0)
		return;
	log_msg(l->level, "%s: suppressed %llu similar messages in %.1f s "
		"(at most %d a second are logged)", l->what, l->suppressed,
		now - l->first, AG_LOG_BURST);
	l->suppressed = 0;
}

void log_limited(struct log_limit *l, enum log_level level,
		 const char *fmt, ...)
{
	double now;
	va_list ap;

	if (level > log_max)
		return;
	now = log_clock();
	l->level = level;
	if (now - l->start >= 1) {
		log_tell(l, now);
		l->start = now;
		l->shown = 0;
	}
	/* a flood of lines a peer causes must not flood the journal, nor
	 * cost a write each */
	if (l->shown == AG_LOG_BURST) {
		if (l->suppressed++ == 0)
			l->first = now;
		if (!l->listed) {
			l->listed = 1;
			l->next = log_sites;
			log_sites = l;
		}
		return;
	}
	l->shown++;
	va_start(ap, fmt);
	log_line(level, fmt, ap);
	va_end(ap);
}

void log_flush(int all)
{
	double now = log_clock();
	struct log_limit *l;

	for (l = log_sites; l != NULL; l = l->next)
		if (all || now - l->start >= 1)
			log_tell(l, now);
}
