/*
 * call.h - libagauth's requests and replies: the hello that opens every
 * connection, a request encoded into the connection's output, a reply
 * frame decoded into results or an error, and the blocking round trip.
 */
#ifndef AGAUTH_CALL_H
#define AGAUTH_CALL_H

#include <stdint.h>

#include "client/lib/agauth.h"
#include "client/lib/chan.h"

/* The client string a hello announces. */
#define CALL_CLIENT "libagauth/1"

/* Every op of shared/ops.h by its id: enum agauth_op's where the public
 * API has one; hello, which opens a connection, and those only the
 * blocking calls send beside them (they never reach agauth_complete). */
enum call_op {
	CALL_OP_HELLO = 0,
	CALL_OP_PING = AGAUTH_OP_PING,
	CALL_OP_SIGN = AGAUTH_OP_SIGN,
	CALL_OP_VERIFY = AGAUTH_OP_VERIFY,
	CALL_OP_KEYS = AGAUTH_OP_KEYS,
	CALL_OP_RELOAD = AGAUTH_OP_RELOAD,
	CALL_OP_ROTATE = AGAUTH_OP_ROTATE,
	CALL_OP_STATS = AGAUTH_OP_STATS,
	CALL_OP_CACHE,
	CALL_OP_REVOKE,
	CALL_OP_WATCH,
	CALL_OP_METRICS,
	CALL_OP_JWKS,
	CALL_OPS,
};

/* A request: the op and those of its arguments it takes (NULL: absent). */
struct call_req {
	int op;                  /* enum agauth_op or enum call_op */
	const char *payload;     /* sign */
	const char *token;       /* verify, revoke */
	const char *opts;        /* sign, verify; "" is absent too */
	const char *alg;         /* rotate */
	int cluster;             /* rotate: for the whole fleet, its key
				    primary activate_in seconds on (< 0:
				    the daemon's default) */
	int64_t activate_in;
	const char *jti, *sub;   /* revoke */
};

/* A completed request.  err.status is its status; on failure the result
 * fields are NULL. */
struct call_done {
	struct chan_pend p;
	struct agauth_error err;
	char *text;              /* sign: token; keys, stats, jwks: JSON;
				    rotate: kid; metrics: Prometheus text */
	char *added;             /* sign */
	struct agauth_verified v;
	uint64_t generation;     /* reload, rotate */
	uint64_t instance;       /* cache */
	uint64_t purged;         /* revoke */
	int live;                /* revoke: a live token was known */
	double at;               /* revoke; rotate --cluster: the
				    activation instant */
};

/* Connects and says hello unless the handle has a usable connection. */
int call_ready(struct agauth *a, struct agauth_error *err);
/* Queues a request; its id, or 0 with *err (err may be NULL). */
uint64_t call_submit(struct agauth *a, const struct call_req *rq,
		     void *udata, struct agauth_error *err);
/* Without blocking: 1 with the next completed request in *d, 0 if none
 * is ready, -1 if the connection is broken and nothing is left. */
int call_next(struct agauth *a, struct call_done *d);
/* Sends rq and waits for its reply; the status, with *d filled and *err
 * (if not NULL) a copy of d->err. */
enum agauth_status call_run(struct agauth *a, const struct call_req *rq,
			    struct call_done *d, struct agauth_error *err);
void call_done_free(struct call_done *d);

#endif
