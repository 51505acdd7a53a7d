/*
 * chan.h - libagauth's connection to agauthd: the Unix socket, the output
 * and input buffers, frames, and the table of requests in flight.  It
 * knows frames, not operations (call.c knows those).
 *
 * Every request in flight is in `pend`, in id order.  When the connection
 * breaks, all of them become "lost": a prefix pend[0..nlost) that later
 * completes with AGAUTH_UNREACHABLE, while requests sent on the next
 * connection queue up behind it.
 *
 * Reads take one descriptor passed with SCM_RIGHTS (the cache's, with the
 * reply to `cache`) and keep it in `rfd` until someone takes it; it is
 * closed when another arrives, when the connection breaks, and at the
 * end, so none leaks.
 */
#ifndef AGAUTH_CHAN_H
#define AGAUTH_CHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "client/lib/agauth.h"
#include "shared/buf.h"
#include "shared/limits.h"
#include "shared/proto.h"


struct chan_pend {
	uint64_t id;
	enum agauth_op op;
	void *udata;
};

struct cachemap;

/* The handle behind agauth_t. */
struct agauth {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;                  /* -1 while there is no connection */
	int timeout_ms;          /* 0: wait forever */
	uint64_t next_id;
	uint64_t max_frame;      /* the daemon's, from hello */
	struct buf out;          /* frames to write, from out_off */
	size_t out_off;
	struct buf in;           /* bytes read, parsed from in_off */
	size_t in_off;
	struct chan_pend *pend;  /* in flight, ascending ids */
	size_t npend, cap;
	size_t nlost;            /* pend[0..nlost) died with a connection */
	int rfd;                 /* a descriptor that came with a reply,
				    or -1 */
	uint64_t hello_cache;    /* the cache instance hello named */
	struct cachemap *cache;  /* NULL until agauth_cache_attach */
	uint64_t hits, misses;   /* cache lookups not yet reported */
	uint64_t watch_id;       /* the watch request's id; 0: no watch */
};

/* Takes the socket path (NULL: $AGAUTHD_SOCKET, then the default). */
int chan_init(struct agauth *a, const char *path, struct agauth_error *err);
void chan_fini(struct agauth *a);

/* Connects (no hello); AGAUTH_UNREACHABLE naming the path on failure. */
int chan_connect(struct agauth *a, struct agauth_error *err);
/* With nothing in flight: 1 if the connection is closed or carries bytes
 * nobody asked for, so it must not take a request. */
int chan_stale(struct agauth *a);
/* Closes the connection; everything in flight becomes lost. */
void chan_break(struct agauth *a);

/* A request frame: chan_begin, proto_* into o, chan_end.  chan_end drops
 * the frame and fails if it exceeds max_frame or the output bound. */
void chan_begin(struct agauth *a, struct proto_out *o);
int chan_end(struct agauth *a, struct proto_out *o, struct agauth_error *err);

/* chan_room makes sure chan_track cannot fail (bound and memory). */
int chan_room(struct agauth *a, struct agauth_error *err);
void chan_track(struct agauth *a, uint64_t id, enum agauth_op op,
		void *udata);
/* Removes the live request id into *p: 0, or -1 if none is in flight. */
int chan_take(struct agauth *a, uint64_t id, struct chan_pend *p);
/* Removes the oldest lost request into *p: 1, or 0 if none is lost. */
int chan_take_lost(struct agauth *a, struct chan_pend *p);

/* Non-blocking I/O.  flush: 1 output remains, 0 all written, -1 broken.
 * fill: 1 bytes read, 0 none available, -1 broken.  A descriptor that
 * comes with the bytes goes to rfd. */
int chan_flush(struct agauth *a);
int chan_fill(struct agauth *a);
/* The next whole reply frame (body p[0..n), valid until the next fill):
 * 1, 0 if none is buffered, -1 if its length is impossible (the
 * connection is then broken). */
int chan_frame(struct agauth *a, const uint8_t **p, size_t *n);

/* The descriptor that came last (the caller closes it), or -1. */
int chan_take_fd(struct agauth *a);

/* Monotonic milliseconds the handle's timeout ends at; -1 for none. */
int64_t chan_deadline(const struct agauth *a);
/* Monotonic milliseconds ms from now; -1 (no deadline) for ms < 0. */
int64_t chan_after(int ms);
/* Writes all output and waits for the next reply frame: 1 with it,
 * 0 if the deadline passed, -1 if the connection broke. */
int chan_sync(struct agauth *a, int64_t deadline, const uint8_t **p,
	      size_t *n);

#endif
