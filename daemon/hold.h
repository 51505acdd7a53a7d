/*
 * hold.h - replies that wait until no cache of an earlier daemon can
 * still answer.
 *
 * A daemon that died without closing its cache (SIGKILL, a crash) leaves
 * clients mapping it until its heartbeat is CACHE_STALE_MS old.  If we
 * answered a revoke or a reload before then, the caller would believe in
 * force what an old mapping could still contradict.  So for that long
 * after we start, those replies are held (the change itself is in force
 * at once) and go out when the window closes.
 *
 * Only after an unclean end: a daemon that stops cleanly closes its cache
 * first.  STATE_DIR/agauthd.running exists while a daemon runs; found at
 * start, it says the last one did not stop cleanly (or that we cannot
 * tell: then we hold too).
 */
#ifndef AG_HOLD_H
#define AG_HOLD_H

#include <ev.h>
#include <stddef.h>

struct conn;

void hold_start(struct ev_loop *loop, const char *state_dir);
/* Sends (or holds) the reply appended to conn_out(c) from conn_mark
 * mark on;
 * one request completes either way. */
void hold_reply(struct conn *c, size_t mark);
/* A clean stop: held replies are dropped (an early one could be wrong;
 * their clients see the connection end) and the marker goes. */
void hold_stop(void);

#endif
