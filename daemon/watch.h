/*
 * watch.h - connections that asked for revocation events (the watch op of
 * docs/protocol.md).  Each revocation is pushed to every watcher as an
 * event frame carrying the watch request's id.  A watcher that leaves
 * more than max_output bytes unread, or the one that leaves the most
 * while all of them together leave more than watch_output, is sent a
 * rewatch event in place of what it has not begun to read, and closed.
 */
#ifndef AG_WATCH_H
#define AG_WATCH_H

#include <stdint.h>

#include "daemon/revoke.h"

struct conn;

/* -1 if AG_WATCH_MAX connections watch already. */
int watch_add(struct conn *c, uint64_t id);
void watch_drop(struct conn *c);
/* A revocation to every watcher: {event: "revoke", kind, value, at} and,
 * in a fleet, origin (the host it was made on). */
void watch_publish(enum revoke_kind k, const char *value, size_t n,
		   double at, const char *origin);
unsigned watch_count(void);

#endif
