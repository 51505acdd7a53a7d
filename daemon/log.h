/*
 * log.h - levelled logging to stderr.  Under systemd (JOURNAL_STREAM set)
 * each line carries a <N> syslog priority prefix that journald reads;
 * otherwise a timestamp and the level.  Never pass a key byte, a token
 * signature or a secret to these functions.
 */
#ifndef AG_LOG_H
#define AG_LOG_H

enum log_level { LOG_ERR = 3, LOG_WARN = 4, LOG_INFO = 6, LOG_DEBUG = 7 };

void log_init(enum log_level max);
int log_level_parse(const char *s, enum log_level *out);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
