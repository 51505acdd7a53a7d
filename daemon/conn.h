/*
 * conn.h - one client connection: frames in, replies out, with the
 * per-connection bounds of docs/protocol.md (frame size, requests in
 * flight, unread output, idle and partial-frame timeouts).  A connection
 * stays allocated while pool jobs hold references to it, so a reply never
 * lands in freed memory; replies to a closed connection are dropped.
 */
#ifndef AG_CONN_H
#define AG_CONN_H

#include <ev.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/buf.h"

struct conn {
	int fd;
	uint64_t serial;             /* for log lines */
	uid_t uid;                   /* SO_PEERCRED, at accept */
	gid_t gid;
	pid_t pid;
	ev_io rio, wio;
	ev_timer timer;
	struct buf in, out;
	size_t in_off, out_off;      /* consumed prefixes */
	unsigned inflight;
	int hello;                   /* handshake done */
	int closing;                 /* close once the output is written */
	int eof;                     /* the peer will send no more */
	int dead;                    /* fd closed */
	int processing;              /* inside conn_process: no re-entry */
	int refs;
	int watching;                /* gets revocation events: never idle */
	int pass_fd;                 /* a descriptor to send with the byte at
				      * out offset pass_at, or -1 */
	size_t pass_at;
	ev_tstamp idle_from;         /* its last request, or the reply that
				      * left none in flight */
	ev_tstamp frame_start;
	ev_tstamp last_write;        /* output last moved, or began to wait */
	struct conn *prev, *next;    /* the open connections */
};

/* Takes over an accepted, non-blocking socket. */
void conn_open(struct ev_loop *loop, int fd);
unsigned conn_count(void);
/* Closes every open connection (agauthd is stopping; after pool_stop,
 * so that no job holds one any more: their memory goes too). */
void conn_close_all(void);

/* A pool job that will reply later holds a reference. */
void conn_ref(struct conn *c);
void conn_unref(struct conn *c);
/* After a reply was appended to c->out: write it, and re-check flow
 * control.  With `done`, one request in flight completed. */
void conn_sent(struct conn *c, int done);
/* Reply, then close (protocol errors that end a connection). */
void conn_close_after(struct conn *c);
/* Drops the replies the peer has not begun to read (the rest of the one
 * it has begun still goes), and gives back the memory they held; a
 * descriptor due with a dropped reply is not sent.  -1 if no memory was
 * left for the rest: then the connection is closed. */
int conn_drop_output(struct conn *c);
/* The next byte appended to c->out carries fd (SCM_RIGHTS); the caller
 * then appends the reply.  -1 if one is already waiting to go. */
int conn_pass_fd(struct conn *c, int fd);

#endif
