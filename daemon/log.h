/*
 * log.h - levelled logging to stderr.  Under systemd (JOURNAL_STREAM set)
 * each line carries a <N> syslog priority prefix that journald reads;
 * otherwise a timestamp and the level.  Never pass a key byte, a token
 * signature or a secret to these functions.
 */
#ifndef AG_LOG_H
#define AG_LOG_H

/* syslog's priorities (journald reads them as <N>), under names of our
 * own: <syslog.h>'s LOG_ERR and LOG_INFO would collide */
enum log_level {
	LOG_LEVEL_ERR = 3, LOG_LEVEL_WARN = 4, LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7
};

void log_init(enum log_level max);
/* Whether lines of level are written: work done only for them can be
 * skipped. */
int log_enabled(enum log_level level);
int log_level_parse(const char *s, enum log_level *out);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Lines a peer can cause (a refusal per request) are rate-limited per
 * call site: at most AG_LOG_BURST a second; the rest are counted, and
 * one line tells how many were suppressed, when the site next logs
 * after its second or at log_flush.  Loop thread only.
 */
struct log_limit {
	const char *what;            /* names the site in that line */
	enum log_level level;        /* of its lines */
	double start;                /* its current second (CLOCK_MONOTONIC) */
	unsigned shown;              /* lines written in it */
	unsigned long long suppressed;
	double first;                /* when the first was suppressed */
	struct log_limit *next;      /* sites that have suppressed lines */
	int listed;
};

void log_limited(struct log_limit *l, enum log_level level,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Tells what each site suppressed in a second that has ended (all of
 * it, with `all`: agauthd is stopping). */
void log_flush(int all);

#define LOG_LIMITED(level, site, ...) do {                                 \
		static struct log_limit log_site_ = { .what = (site) };    \
		log_limited(&log_site_, (level), __VA_ARGS__);             \
	} while (0)
#define log_info_limited(site, ...) LOG_LIMITED(LOG_LEVEL_INFO, site, __VA_ARGS__)
#define log_warn_limited(site, ...) LOG_LIMITED(LOG_LEVEL_WARN, site, __VA_ARGS__)

/* "s" after a count other than one: "1 key", "2 keys" */
#define LOG_PLURAL(n) ((n) == 1 ? "" : "s")

#define log_err(...)   log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
