/* connpair.h - a daemon connection over a socketpair, on a real ev loop,
 * for the conn and dispatch suites: the test plays the client. */
#ifndef AG_TEST_CONNPAIR_H
#define AG_TEST_CONNPAIR_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/conn.h"

struct connpair {
	struct ev_loop *loop;
	int peer;                    /* the client's end (non-blocking) */
};

/* Opens a connection with o on one end of a new socketpair; sndbuf, if
 * not 0, shrinks the daemon end's send buffer. */
void cp_open(struct connpair *p, const struct conn_opts *o, int sndbuf);
/* Closes every connection, the peer and the loop. */
void cp_close(struct connpair *p);
/* Runs the loop until it has nothing more to do at once. */
void cp_spin(struct connpair *p);
/* Writes all of n bytes from the client. */
void cp_write(struct connpair *p, const void *b, size_t n);
/* Writes one frame (length header, then body). */
void cp_frame(struct connpair *p, const void *body, size_t n);
/* Sends the request {id, op} (and v = PROTO_VERSION for hello). */
void cp_request(struct connpair *p, uint64_t id, const char *op);
/* Reads one whole reply frame after spinning the loop: its body length,
 * body into b (cap bytes at most); -1 at end of stream, -2 if none is
 * there. */
long cp_reply(struct connpair *p, uint8_t *b, size_t cap);

#endif
