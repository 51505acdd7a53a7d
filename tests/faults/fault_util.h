/*
 * fault_util.h - what the fault programs (tests/faults/) share: a real
 * agauthd in a temporary directory (configuration, HS256 keys whose
 * secrets the program knows, start, SIGKILL, clean stop, its log), HS256
 * tokens made here with mbedTLS (the truth the daemon's answers are
 * checked against), clocks and percentiles.
 *
 * Every program runs one daemon at a time: the state is a struct the
 * program owns.  Functions print their own errors to stderr and return
 * -1 on failure.
 */
#ifndef AG_FAULT_UTIL_H
#define AG_FAULT_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#define FU_PATH     256
#define FU_SECRET   64        /* HS256 secrets: 64 hex characters */
#define FU_TOKEN    512

struct fu_daemon {
	char dir[128];
	char sock[FU_PATH];
	pid_t pid;                /* -1 while none runs */
	unsigned long nofile;     /* RLIMIT_NOFILE to start it with, 0: as is */
};

struct fu_key {
	char name[32];
	char secret[FU_SECRET + 1];  /* the secret is this text */
};

/* The program's name in messages. */
extern const char *fu_prog;

double fu_now(void);                 /* CLOCK_MONOTONIC, seconds */
double fu_wall(void);                /* CLOCK_REALTIME, seconds */
void fu_sleep(double seconds);

/* A fresh directory $TMPDIR/agauthd-TAG-XXXXXX with keys/ in it. */
int fu_setup(struct fu_daemon *d, const char *tag);
/* Writes DIR/NAME through a temporary file and rename(2): readers see
 * the old text or the new, never a mix. */
int fu_write(const struct fu_daemon *d, const char *name, const char *text,
	     unsigned mode);
/* A fresh random secret in keys/NAME.key (encoding text). */
int fu_key(const struct fu_daemon *d, struct fu_key *k, const char *name);
/* The keyring section of key k, in the given state, into buf. */
void fu_key_section(const struct fu_key *k, const char *state, char *buf,
		    size_t n);
/* agauthd.conf: this uid may do everything; `extra` (INI text, may be
 * NULL) is appended, so its sections add to the defaults. */
int fu_config(const struct fu_daemon *d, const char *extra);
/* Removes the directory and everything in it. */
int fu_cleanup(struct fu_daemon *d);

/* Starts AGAUTHD -c DIR/agauthd.conf, its output in DIR/agauthd.log,
 * and waits until it answers a hello (timeout seconds). */
int fu_start(struct fu_daemon *d, const char *agauthd, double timeout);
/* Forks and execs it without waiting. */
int fu_spawn(struct fu_daemon *d, const char *agauthd);
int fu_wait_ready(struct fu_daemon *d, double timeout);
/* SIGKILL and reap. */
int fu_kill(struct fu_daemon *d);
/* SIGTERM; 0 iff it exited with status 0 within 10 s. */
int fu_stop(struct fu_daemon *d);
/* The last lines of its log, to stderr. */
void fu_show_log(const struct fu_daemon *d, int lines);
/* How many lines of its log contain s. */
long fu_log_count(const struct fu_daemon *d, const char *s);

/* VmRSS of a process in KiB, -1 if unknown. */
long fu_rss_kb(pid_t pid);
/* User and system CPU time of a process so far, in seconds. */
double fu_cpu(pid_t pid);
/* The number after "key": in a JSON object's text, 0 if absent. */
unsigned long long fu_json_num(const char *json, const char *key);

/* An HS256 token of payload (JSON text) signed with k, with kid k->name
 * if with_kid; into tok (FU_TOKEN bytes).  Returns its length. */
size_t fu_token(const struct fu_key *k, int with_kid, const char *payload,
		char *tok);
/* The same token with one signature character changed. */
void fu_forge(const char *tok, char *out, unsigned seed);

/* Sorts v and returns its p-th percentile (0 < p <= 100). */
double fu_percentile(double *v, size_t n, double p);

/* Raises RLIMIT_NOFILE's soft limit to want (and the hard one if it is
 * lower and we may); returns the soft limit in force. */
unsigned long fu_nofile(unsigned long want);

/* A child that outlives the program (killed half way) gets sig. */
void fu_orphan_guard(int sig);

#endif
