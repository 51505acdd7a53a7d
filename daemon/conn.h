/*
 * conn.h - one client connection: frames in, replies out, with the
 * per-connection bounds of docs/protocol.md (frame size, requests in
 * flight, unread output, idle and partial-frame timeouts).  A connection
 * stays allocated while pool jobs hold references to it, so a reply never
 * lands in freed memory; replies to a closed connection are dropped.
 *
 * struct conn is conn.c's alone: the rest of the daemon reaches a
 * connection through the functions below, and hears from it through the
 * callbacks of struct conn_opts, given when it opens (as ae.c's handlers
 * are).  conn.c knows nothing of operations, the configuration or the
 * server.
 */
#ifndef AG_CONN_H
#define AG_CONN_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/buf.h"

struct conn;

/* Who is at the other end: from SO_PEERCRED at accept, never from a
 * message; serial names the connection in log lines. */
struct conn_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	uint64_t serial;
};

/* A connection's bounds and handler, fixed when it opens; they must
 * outlive it. */
struct conn_opts {
	unsigned max_frame;          /* largest request body, bytes */
	unsigned max_inflight;       /* requests before reading stops */
	unsigned max_output;         /* unread reply bytes before it stops */
	unsigned idle_timeout;       /* seconds */
	unsigned frame_timeout;      /* seconds for the rest of a frame */
	/* Each complete frame in turn; body is valid only during the call.
	 * Every call leads to exactly one conn_sent(c, 1), conn_reply or
	 * conn_complete, now or later. */
	void (*frame)(const void *arg, struct conn *c, const uint8_t *body,
		      size_t n);
	/* The connection closed (its descriptor is gone; references held
	 * keep its memory).  May be NULL. */
	void (*closed)(const void *arg, struct conn *c);
	const void *arg;             /* given to both */
};

/* Takes over an accepted, non-blocking socket. */
void conn_open(struct ev_loop *loop, int fd, const struct conn_opts *o);
unsigned conn_count(void);
/* Closes every open connection (agauthd is stopping; after pool_stop,
 * so that no job holds one any more: their memory goes too). */
void conn_close_all(void);

/* A pool job that will reply later holds a reference. */
void conn_ref(struct conn *c);
void conn_unref(struct conn *c);

const struct conn_peer *conn_peer(const struct conn *c);
const struct conn_opts *conn_opts(const struct conn *c);
/* The descriptor is closed: replies to it are dropped. */
int conn_dead(const struct conn *c);
/* Whether the handshake (hello) was made; conn_greet records it. */
int conn_greeted(const struct conn *c);
void conn_greet(struct conn *c);
/* A watching connection gets events unasked, so it is never idle. */
int conn_watching(const struct conn *c);
void conn_set_watching(struct conn *c, int on);

/* Where replies are appended; then conn_sent.  conn_mark is its end now,
 * and conn_rewind(c, mark) takes back what was appended since (and the
 * overflow it may have met). */
struct buf *conn_out(struct conn *c);
size_t conn_mark(const struct conn *c);
void conn_rewind(struct conn *c, size_t mark);
/* Reply bytes the peer has not read yet. */
size_t conn_unread(const struct conn *c);

/* After a reply was appended to conn_out(c): write it, and re-check flow
 * control.  With `done`, one request in flight completed. */
void conn_sent(struct conn *c, int done);
/* A whole reply made elsewhere (a pool job, a held reply) goes out, or
 * is dropped if the connection is closed; one request completes. */
void conn_reply(struct conn *c, const void *bytes, size_t n);
/* One request completes with no reply (agauthd is stopping). */
void conn_complete(struct conn *c);
/* Reply, then close (protocol errors that end a connection). */
void conn_close_after(struct conn *c);
/* Drops the replies the peer has not begun to read (the rest of the one
 * it has begun still goes), and gives back the memory they held; a
 * descriptor due with a dropped reply is not sent.  -1 if no memory was
 * left for the rest: then the connection is closed. */
int conn_drop_output(struct conn *c);
/* The next byte appended to conn_out(c) carries fd (SCM_RIGHTS); the
 * caller then appends the reply.  -1 if one is already waiting to go. */
int conn_pass_fd(struct conn *c, int fd);

#endif
