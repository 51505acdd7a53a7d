/*
 * watch.h - connections that asked for revocation events (the watch op of
 * docs/protocol.md).  Each revocation is pushed to every watcher as an
 * event frame carrying the watch request's id.  A watcher that stops
 * reading is dropped by the usual output bound.
 */
#ifndef AG_WATCH_H
#define AG_WATCH_H

#include <stdint.h>

#include "daemon/revoke.h"

struct conn;

/* -1 if AG_WATCH_MAX connections watch already. */
int watch_add(struct conn *c, uint64_t id);
void watch_drop(struct conn *c);
void watch_publish(enum revoke_kind k, const char *value, size_t n,
		   double at);
unsigned watch_count(void);

#endif
