/* call.c - hello, requests, and matching replies to them. */
#include "client/lib/call.h"

#include <stdlib.h>
#include <string.h>

#include "client/lib/reply.h"
#include "client/lib/status.h"
#include "shared/ops.h"

/* by enum call_op: the names of shared/ops.h (a row without its
 * CALL_OP_ constant does not compile; two rows on one index are an
 * error of -Woverride-init) */
static const char *const call_opnames[] = {
#define CALL_X_NAME(id, name, args, right, handler) [CALL_OP_##id] = name,
	AG_OP_LIST(CALL_X_NAME)
#undef CALL_X_NAME
};
_Static_assert(sizeof call_opnames / sizeof *call_opnames == CALL_OPS &&
	       CALL_OPS == AG_OP_COUNT, "one name per op of shared/ops.h");

/* Sends hello on a new connection and waits for its answer. */
static int call_hello(struct agauth *a, struct agauth_error *err)
{
	struct proto_out o;
	struct proto_msg m;
	const uint8_t *p;
	size_t n;
	uint64_t id = a->next_id++, rid;
	int ok, rc;

	chan_begin(a, &o);
	msgpack_pack_map(&o.pk, 4);
	proto_kv_uint(&o, "id", id);
	proto_kv_cstr(&o, "op", call_opnames[CALL_OP_HELLO]);
	proto_kv_uint(&o, "v", PROTO_VERSION);
	proto_kv_cstr(&o, "client", CALL_CLIENT);
	if (chan_end(a, &o, err) != 0)
		return -1;
	rc = chan_sync(a, chan_deadline(a), &p, &n);
	if (rc == 0)
		return status_set(err, AGAUTH_UNREACHABLE, AG_E_CONNECT,
				  "agauthd at %s did not answer hello within "
				  "%d ms", a->path, a->timeout_ms);
	if (rc < 0)
		return status_set(err, AGAUTH_UNREACHABLE, AG_E_DISCONNECTED,
				  "agauthd at %s closed the connection at "
				  "hello", a->path);
	rc = -1;
	if (reply_open(&m, p, n, &rid, &ok) != 0 || rid != id)
		status_set(err, AGAUTH_UNREACHABLE, AG_E_PROTOCOL,
			   "unexpected reply from agauthd at %s to hello",
			   a->path);
	else
		rc = reply_hello(m.root, ok, &a->max_frame, &a->hello_cache,
				 err);
	proto_msg_free(&m);
	return rc;
}

int call_ready(struct agauth *a, struct agauth_error *err)
{
	/* with nothing live in flight, a connection the daemon has closed
	 * (restart, idle timeout) is replaced before it can swallow a
	 * request */
	if (a->fd >= 0 && a->npend == a->nlost && chan_stale(a))
		chan_break(a);
	if (a->fd >= 0)
		return 0;
	if (chan_connect(a, err) != 0)
		return -1;
	if (call_hello(a, err) != 0) {
		chan_break(a);
		return -1;
	}
	return 0;
}

static int call_check(const struct agauth *a, const struct call_req *rq,
		      struct agauth_error *err)
{
	if (a == NULL)
		return status_set(err, AGAUTH_USAGE, AG_E_BAD_REQUEST,
				  "no agauth handle");
	/* its connection carries events now, and nothing else */
	if (a->watch_id != 0)
		return status_set(err, AGAUTH_USAGE, AG_E_BAD_REQUEST,
				  "this handle watches revocations; use "
				  "another one for requests");
	if (rq->op == AGAUTH_OP_SIGN && rq->payload == NULL)
		return status_set(err, AGAUTH_USAGE, AG_E_BAD_REQUEST,
				  "sign needs a payload");
	if (rq->op == AGAUTH_OP_VERIFY && rq->token == NULL)
		return status_set(err, AGAUTH_USAGE, AG_E_BAD_REQUEST,
				  "verify needs a token");
	return 0;
}

/* The cache hits and misses a request reports (ch, cm): what was
 * counted, at most what the protocol takes. */
struct call_counts {
	uint64_t ch, cm;
};

static void call_encode(struct proto_out *o, uint64_t id,
			const struct call_req *rq, const struct call_counts *k)
{
	/* an empty payload or token is sent: the daemon answers it as
	 * jsonwebtoken does ("jwt must be provided"); the other fields
	 * empty mean absent */
	const struct {
		const char *key, *val;
		int empty_too;
	} args[] = {
		{ "payload", rq->payload, 1 },
		{ "token", rq->token, 1 },
		{ "opts", rq->opts, 0 },
		{ "alg", rq->alg, 0 },
		{ "jti", rq->jti, 0 },
		{ "sub", rq->sub, 0 },
	};
	size_t i, n = (k->ch > 0) + (k->cm > 0) + (rq->cluster != 0) +
		      (rq->cluster && rq->activate_in >= 0);
	int send[sizeof args / sizeof *args];

	for (i = 0; i < sizeof args / sizeof *args; i++) {
		send[i] = args[i].val != NULL &&
			  (args[i].empty_too || *args[i].val != '\0');
		n += send[i];
	}
	msgpack_pack_map(&o->pk, 2 + n);
	proto_kv_uint(o, "id", id);
	proto_kv_cstr(o, "op", call_opnames[rq->op]);
	for (i = 0; i < sizeof args / sizeof *args; i++)
		if (send[i])
			proto_kv_cstr(o, args[i].key, args[i].val);
	if (rq->cluster) {
		proto_key(o, "cluster");
		msgpack_pack_true(&o->pk);
	}
	if (rq->cluster && rq->activate_in >= 0)
		proto_kv_uint(o, "activate_in", (uint64_t)rq->activate_in);
	if (k->ch > 0)
		proto_kv_uint(o, "ch", k->ch);
	if (k->cm > 0)
		proto_kv_uint(o, "cm", k->cm);
}

uint64_t call_submit(struct agauth *a, const struct call_req *rq,
		     void *udata, struct agauth_error *err)
{
	struct call_counts k;
	struct proto_out o;
	uint64_t id;

	if (call_check(a, rq, err) != 0 || chan_room(a, err) != 0 ||
	    call_ready(a, err) != 0)
		return 0;
	/* a verify the daemon answers is a miss of an attached cache */
	if (rq->op == AGAUTH_OP_VERIFY && a->cache != NULL)
		a->misses++;
	k.ch = a->hits < UINT32_MAX ? a->hits : UINT32_MAX;
	k.cm = a->misses < UINT32_MAX ? a->misses : UINT32_MAX;
	id = a->next_id++;
	chan_begin(a, &o);
	call_encode(&o, id, rq, &k);
	if (chan_end(a, &o, err) != 0)
		return 0;
	/* counted once: what did not fit goes with the next request */
	a->hits -= k.ch;
	a->misses -= k.cm;
	chan_track(a, id, rq->op, udata);
	status_ok(err);
	return id;
}

static void call_lost(struct call_done *d)
{
	status_set(&d->err, AGAUTH_UNREACHABLE, AG_E_DISCONNECTED, NULL);
}

/*
 * Matches the reply frame p[0..n) to its request and fills d: 0.  -1 if
 * the frame answers nothing in flight (no map, no id, an id 0 error
 * before the daemon hangs up, an id never sent): the connection is then
 * broken, since no later reply on it could be trusted.
 */
static int call_reply(struct agauth *a, const uint8_t *p, size_t n,
		      struct call_done *d)
{
	struct proto_msg m;
	uint64_t id;
	int ok, rc = -1;

	if (reply_open(&m, p, n, &id, &ok) != 0 ||
	    chan_take(a, id, &d->p) != 0) {
		chan_break(a);
		goto out;
	}
	rc = 0;
	/* a reply that breaks the protocol ends the connection too; the
	 * other requests on it complete as lost */
	if (reply_fill(m.root, ok, d) != 0 &&
	    d->err.status == AGAUTH_UNREACHABLE)
		chan_break(a);
out:
	proto_msg_free(&m);
	return rc;
}

int call_next(struct agauth *a, struct call_done *d)
{
	const uint8_t *p;
	size_t n;
	int rc;

	memset(d, 0, sizeof *d);
	for (;;) {
		if (chan_take_lost(a, &d->p)) {
			call_lost(d);
			return 1;
		}
		if (a->fd < 0)
			return -1;
		rc = chan_frame(a, &p, &n);
		if (rc > 0 && call_reply(a, p, n, d) == 0)
			return 1;
		if (rc == 0 && chan_fill(a) == 0)
			return 0;
		/* a frame was used up, bytes came in, or the connection
		 * broke (its requests are now lost): look again */
	}
}

enum agauth_status call_run(struct agauth *a, const struct call_req *rq,
			    struct call_done *d, struct agauth_error *err)
{
	const uint8_t *p;
	size_t n;
	int rc;

	memset(d, 0, sizeof *d);
	/* a reply to a pipelined request would have to wait somewhere */
	if (a != NULL && a->npend != 0) {
		status_set(&d->err, AGAUTH_USAGE, AG_E_BAD_REQUEST,
			   "%zu pipelined requests in flight; complete them "
			   "first", a->npend);
		goto out;
	}
	if (call_submit(a, rq, NULL, &d->err) == 0)
		goto out;
	rc = chan_sync(a, chan_deadline(a), &p, &n);
	if (rc > 0 && call_reply(a, p, n, d) == 0)
		goto out;
	/* timed out or broken: the request may have reached the daemon, so
	 * it is not sent again; the connection goes with it */
	chan_break(a);
	chan_take_lost(a, &d->p);
	if (rc == 0)
		status_set(&d->err, AGAUTH_UNREACHABLE, AG_E_DISCONNECTED,
			   "agauthd at %s did not answer within %d ms",
			   a->path, a->timeout_ms);
	else
		call_lost(d);
out:
	if (err != NULL)
		*err = d->err;
	return d->err.status;
}

void call_done_free(struct call_done *d)
{
	free(d->text);
	free(d->added);
	agauth_verified_free(&d->v);
	d->text = d->added = NULL;
}
