/*
 * fake.h - a fake agauthd for libagauth's unit suites: a thread that
 * accepts one connection at a time on a socket in a temporary directory,
 * answers hello by itself and hands every other request to a serve
 * function, speaking the protocol with shared/proto.
 */
#ifndef AG_TEST_FAKE_H
#define AG_TEST_FAKE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "client/lib/agauth.h"
#include "shared/proto.h"

struct fake;
/* Answers one request (not hello): 0 to go on, 1 to hang up. */
typedef int (*fake_fn)(struct fake *f, int fd, uint64_t id, const char *op,
		       const msgpack_object *req);

struct fake {
	char dir[32];
	char path[108];
	int lfd;
	pthread_t th;
	fake_fn serve;
	uint64_t hello_v, max_frame;
	uint64_t cache;          /* the cache instance hello names */
	atomic_int conns;        /* connections accepted */
	atomic_int reqs;         /* requests other than hello */
	atomic_ullong ch, cm;    /* cache hits and misses reported */
	uint64_t held[8];        /* ids fake_reverse holds back */
	int nheld;
	void *user;              /* for the serve function */
};

/* Reads or writes all of p[0..n): 0, or -1. */
int fake_io(int fd, void *p, size_t n, int wr);
/* Writes the frame in b and frees b. */
void fake_send(int fd, struct buf *b);
/* The same, with the descriptor passfd beside its first byte. */
void fake_send_fd(int fd, struct buf *b, int passfd);
/* Starts {id, ok:true} in a fresh b with room for extra members. */
void fake_ok(struct buf *b, struct proto_out *o, uint64_t id,
	     uint32_t extra);
/* Sends an error reply of code (with date unless it is 0). */
void fake_fail(int fd, uint64_t id, enum ag_err code, double date);
int fake_is(const char *op, const char *name);
/* A daemon that works: every op, and verify errors by token. */
int fake_basic(struct fake *f, int fd, uint64_t id, const char *op,
	       const msgpack_object *req);

/* Listens on a fresh socket; fake_run then serves it.  Settings such
 * as hello_v may change in between. */
void fake_setup(struct fake *f, fake_fn serve);
void fake_run(struct fake *f);
void fake_start(struct fake *f, fake_fn serve);
/* Call after every handle is closed: the fake serves one at a time. */
void fake_stop(struct fake *f);

/* A handle connected to f (asserts). */
agauth_t *fake_open(struct fake *f);
/* Flushes and completes until n replies are in r (5 s at most). */
void fake_drain(agauth_t *a, struct agauth_reply *r, int n);

#endif
