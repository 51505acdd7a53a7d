/* dispatch.c - operations of docs/protocol.md. */
#include "daemon/dispatch.h"

#include <string.h>

#include "daemon/audit.h"
#include "daemon/cachew.h"
#include "daemon/clock.h"
#include "daemon/cluster.h"
#include "daemon/conn.h"
#include "daemon/hold.h"
#include "daemon/job.h"
#include "daemon/jwks.h"
#include "daemon/keyring.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/pool.h"
#include "daemon/reply.h"
#include "daemon/request.h"
#include "daemon/revoke.h"
#include "daemon/revoke_apply.h"
#include "daemon/server.h"
#include "daemon/stats.h"
#include "daemon/watch.h"
#include "shared/ops.h"
#include "shared/proto.h"

#define DISPATCH_SERVER "agauthd 0.1"

enum op_right { RIGHT_ANY, RIGHT_SIGN, RIGHT_VERIFY, RIGHT_ADMIN,
		RIGHT_METRICS };

/* the key of [access] that grants each right, for the refusal */
static const char *const dispatch_right_names[] = {
	[RIGHT_ANY] = "any", [RIGHT_SIGN] = "sign",
	[RIGHT_VERIFY] = "verify", [RIGHT_ADMIN] = "admin",
	[RIGHT_METRICS] = "metrics",
};

/* Answers the request with an error; returns its code, the request's
 * outcome. */
static int dispatch_refuse(struct conn *c, uint64_t id, enum ag_err code,
			   const char *msg)
{
	reply_fail_code(c, id, code, msg);
	return code;
}

static int op_hello(struct conn *c, uint64_t id, const struct request *r)
{
	const struct conn_opts *lim = conn_opts(c);
	struct proto_out o;

	/* an unknown version cannot be spoken to: say so and hang up */
	if (r->status != REQ_OK || r->version != PROTO_VERSION) {
		conn_close_after(c);
		return dispatch_refuse(c, id, AG_E_HELLO, "protocol version 1 "
				       "required");
	}
	conn_greet(c);
	reply_ok(&o, conn_out(c), id, 5);
	proto_kv_uint(&o, "v", PROTO_VERSION);
	proto_kv_cstr(&o, "server", DISPATCH_SERVER);
	/* the bounds this connection is held to */
	proto_kv_uint(&o, "max_frame", lim->max_frame);
	proto_kv_uint(&o, "max_inflight", lim->max_inflight);
	/* which cache is live: a client mapping another one re-maps */
	proto_kv_uint(&o, "cache", cachew_instance());
	proto_end(&o);
	conn_sent(c, 1);
	return AG_OK;
}

static int op_ping(struct conn *c, uint64_t id, const struct request *req)
{
	struct proto_out o;

	(void)req;
	reply_ok(&o, conn_out(c), id, 0);
	proto_end(&o);
	conn_sent(c, 1);
	return AG_OK;
}

static int op_keys(struct conn *c, uint64_t id, const struct request *req)
{
	const struct keyring *kr = server_keyring();
	const struct kr_key *k;
	struct proto_out o;
	char fp[KEY_FINGERPRINT_MAX];
	double now = clock_wall();
	int i;

	(void)req;
	reply_ok(&o, conn_out(c), id, 2);
	proto_kv_uint(&o, "generation", kr->generation);
	proto_key(&o, "keys");
	msgpack_pack_array(&o.pk, (size_t)kr->n);
	for (i = 0; i < kr->n; i++) {
		k = &kr->keys[i];
		/* names, dates and a fingerprint (of a public key, or a MAC
		 * that reveals nothing of a secret): never material */
		key_fingerprint(k->key, fp);
		msgpack_pack_map(&o.pk, 7 + (k->activate != 0));
		proto_kv_cstr(&o, "name", k->name);
		proto_kv_cstr(&o, "kid", k->has_kid ? k->kid : "");
		proto_kv_cstr(&o, "alg", k->alg->name);
		proto_kv_cstr(&o, "state", keyring_state_name(
			      keyring_state_at(kr, i, now)));
		proto_kv_uint(&o, "created", (uint64_t)k->created);
		/* when it stops verifying: its retire time, or the next
		 * key's activation + grace */
		proto_kv_uint(&o, "retire", (uint64_t)k->until);
		/* a pending (or past) activation: primary from then */
		if (k->activate != 0)
			proto_kv_uint(&o, "activate", (uint64_t)k->activate);
		proto_kv_cstr(&o, "fingerprint", fp);
	}
	proto_end(&o);
	conn_sent(c, 1);
	return AG_OK;
}

static int op_reload(struct conn *c, uint64_t id, const struct request *req)
{
	struct ag_error e;
	struct proto_out o;
	size_t mark = conn_mark(c);

	(void)req;
	if (server_reload(&e) != 0) {
		audit_reload(c, 0, &e);
		reply_fail(c, id, &e);
		return e.code;
	}
	audit_reload(c, server_keyring()->generation, NULL);
	/* keys it removed may still hit in a dead predecessor's cache */
	reply_ok(&o, conn_out(c), id, 1);
	proto_kv_uint(&o, "generation", server_keyring()->generation);
	proto_end(&o);
	hold_reply(c, mark);
	return AG_OK;
}

static int op_stats(struct conn *c, uint64_t id, const struct request *req)
{
	const struct stats *s = stats_get();
	struct cachew_stats cs;
	struct cluster_stats cl;
	struct proto_out o;

	(void)req;
	cachew_stats(&cs);
	cluster_stats(&cl);
	reply_ok(&o, conn_out(c), id, 19 + (cl.enabled ? 6 : 0));
	proto_kv_uint(&o, "uptime", (uint64_t)(clock_wall() - s->started));
	proto_kv_uint(&o, "connections", conn_count());
	proto_kv_uint(&o, "requests", s->requests);
	proto_kv_uint(&o, "signs", s->signs);
	proto_kv_uint(&o, "verifies", s->verifies);
	proto_kv_uint(&o, "failures", s->failures);
	proto_kv_uint(&o, "busy", s->busy);
	proto_kv_uint(&o, "generation", server_keyring()->generation);
	proto_kv_uint(&o, "pool_queue", pool_queued());
	/* hits and misses happen in the clients, which report them */
	proto_kv_uint(&o, "cache_hits", s->cache_hits);
	proto_kv_uint(&o, "cache_misses", s->cache_misses);
	proto_kv_uint(&o, "cache_inserts", cs.inserts);
	proto_kv_uint(&o, "cache_evictions", cs.evictions);
	proto_kv_uint(&o, "cache_entries", cs.entries);
	proto_kv_uint(&o, "cache_slots", cs.slots);
	proto_kv_uint(&o, "cache_skipped", cs.skipped);
	proto_kv_uint(&o, "cache_bytes", cs.bytes);
	proto_kv_uint(&o, "revocations", revoke_count());
	proto_kv_uint(&o, "watchers", watch_count());
	if (cl.enabled) {
		proto_kv_bool(&o, "cluster_connected", cl.connected);
		proto_kv_cstr(&o, "cluster_last_id", cl.last_id);
		proto_kv_uint(&o, "cluster_outbox", cl.outbox);
		proto_kv_uint(&o, "cluster_applied", cl.applied);
		proto_kv_uint(&o, "cluster_refused", cl.refused);
		proto_kv_double(&o, "cluster_lag_ms", cl.lag_ms);
	}
	proto_end(&o);
	conn_sent(c, 1);
	return AG_OK;
}

/* The cache descriptor travels with the reply (SCM_RIGHTS); the peer
 * check of the verify right has been made, and the memfd is sealed so
 * that the descriptor cannot write or resize it. */
static int op_cache(struct conn *c, uint64_t id, const struct request *req)
{
	struct cachew_stats cs;
	struct proto_out o;

	(void)req;
	if (!cachew_enabled())
		return dispatch_refuse(c, id, AG_E_NO_CACHE, NULL);
	if (conn_pass_fd(c, cachew_fd()) != 0)
		return dispatch_refuse(c, id, AG_E_BUSY, "a cache descriptor "
				       "is still on its way");
	cachew_stats(&cs);
	reply_ok(&o, conn_out(c), id, 2);
	proto_kv_uint(&o, "cache", cachew_instance());
	proto_kv_uint(&o, "bytes", cs.bytes);
	proto_end(&o);
	conn_sent(c, 1);
	return AG_OK;
}

static int op_revoke(struct conn *c, uint64_t id, const struct request *req)
{
	enum revoke_result rc;
	struct ag_error e, ce;
	struct proto_out o;
	size_t purged, mark = conn_mark(c);
	double now = clock_wall();
	int live;

	if (req->status != REQ_OK)
		return dispatch_refuse(c, id, AG_E_BAD_REQUEST, "revoke needs "
				       "one of token, jti or sub (str)");
	rc = revoke_apply(req->revoke_kind, req->value, req->value_len, now,
			  cluster_name(), &purged, &e);
	if (rc == REVOKE_REFUSED) {
		reply_fail(c, id, &e);
		return e.code;
	}
	/* on to the fleet, once in force here; an outbox that cannot take
	 * it is said as a log that cannot: in force here, not for good */
	if (cluster_publish(req->revoke_kind, req->value, req->value_len, now,
			    &ce) != 0 && rc == REVOKE_PERSISTED) {
		rc = REVOKE_IN_FORCE_NOT_PERSISTED;
		e = ce;
	}
	/* a live token it withdraws that agauthd knows of: one the cache
	 * held, or the token itself; none is most often a misspelled
	 * subject or the wrong subject claim, which the caller is told */
	live = purged > 0 || (req->revoke_kind == REVOKE_TOKEN &&
			      revoke_token_live(req->value, req->value_len,
						now));
	audit_revoke(c, req->revoke_kind, req->value, req->value_len, purged,
		     live, rc != REVOKE_IN_FORCE_NOT_PERSISTED);
	/* in force here and now; a dead predecessor's cache may still
	 * answer for a moment after we started, so the reply may wait */
	if (rc == REVOKE_IN_FORCE_NOT_PERSISTED) {
		stats_get()->failures++;
		proto_error(conn_out(c), id, &e);
	} else {
		reply_ok(&o, conn_out(c), id, 3);
		proto_kv_uint(&o, "purged", purged);
		proto_kv_bool(&o, "live", live);
		proto_kv_double(&o, "at", now);
		proto_end(&o);
	}
	hold_reply(c, mark);
	return rc == REVOKE_IN_FORCE_NOT_PERSISTED ? e.code : AG_OK;
}

static int op_watch(struct conn *c, uint64_t id, const struct request *req)
{
	struct proto_out o;

	(void)req;
	if (watch_add(c, id) != 0)
		return dispatch_refuse(c, id, AG_E_BUSY, conn_watching(c) ?
				       "this connection watches already" :
				       "too many watchers");
	reply_ok(&o, conn_out(c), id, 1);
	proto_kv_cstr(&o, "event", "watching");
	proto_end(&o);
	conn_sent(c, 1);
	return AG_OK;
}

/* What renders the text of a metrics or jwks reply (daemon/metrics.h,
 * daemon/jwks.h) from the live keyring. */
typedef int dispatch_render_fn(const struct keyring *, double, struct buf *,
			       struct ag_error *);

/* A reply of one str member, key, that render makes: at most
 * AG_TEXT_REPLY_MAX bytes. */
static int dispatch_text(struct conn *c, uint64_t id, const char *key,
			 dispatch_render_fn *render)
{
	struct ag_error e;
	struct proto_out o;
	struct buf text;
	int rc = AG_OK;

	buf_init(&text, AG_TEXT_REPLY_MAX);
	if (render(server_keyring(), clock_wall(), &text, &e) != 0) {
		reply_fail(c, id, &e);
		rc = e.code;
		goto out;
	}
	reply_ok(&o, conn_out(c), id, 1);
	proto_kv_str(&o, key, text.p, text.len);
	proto_end(&o);
	conn_sent(c, 1);
out:
	buf_free(&text);
	return rc;
}

/* Prometheus text: counts and names, no token and no key, behind a
 * right of its own ([access] metrics) so that a scraper needs neither
 * verify nor admin. */
static int op_metrics(struct conn *c, uint64_t id, const struct request *req)
{
	(void)req;
	return dispatch_text(c, id, "text", metrics_render);
}

/* The JWK Set of the public keys.  The verify right: it is the right to
 * learn which keys verify (the keys op), and a public key is nothing
 * more than what verifying with it takes; no secret and no private
 * member is ever in it. */
static int op_jwks(struct conn *c, uint64_t id, const struct request *req)
{
	(void)req;
	return dispatch_text(c, id, "jwks", jwks_render);
}

static int op_sign_req(struct conn *c, uint64_t id, const struct request *r)
{
	(void)id;  /* r->id */
	stats_get()->signs++;
	return job_sign(c, r);
}

static int op_verify_req(struct conn *c, uint64_t id,
			  const struct request *r)
{
	(void)id;  /* r->id */
	stats_get()->verifies++;
	return job_verify(c, r);
}

static int op_rotate_req(struct conn *c, uint64_t id,
			  const struct request *r)
{
	log_info("rotation%s requested by uid %u", r->cluster ? " of the fleet"
		 : "", (unsigned)conn_peer(c)->uid);
	/* a key made here alone: this host's new tokens would fail on
	 * every other host of the fleet (invalid signature, unknown kid) */
	if (cluster_name() != NULL && !r->cluster) {
		log_warn("rotation by uid %u refused: host %s is in a fleet",
			 (unsigned)conn_peer(c)->uid, cluster_name());
		return dispatch_refuse(c, id, AG_E_KEYRING, "this host is in "
				       "a fleet ([cluster] in agauthd.conf): "
				       "a key made here alone would sign "
				       "tokens the other hosts cannot verify; "
				       "rotate the whole fleet: agauthctl "
				       "rotate --cluster (docs/operations.md, "
				       "\"Several hosts\")");
	}
	/* nowhere to send the key to */
	if (cluster_name() == NULL && r->cluster)
		return dispatch_refuse(c, id, AG_E_KEYRING, "this host is not "
				       "in a fleet (no [cluster] in "
				       "agauthd.conf): rotate without "
				       "--cluster");
	return job_rotate(c, r);
}

/* A handler answers r now or later, and returns the code it answered
 * with (AG_OK for success), or JOB_COUNTED for a job that counts its
 * own outcome (daemon/job.h). */
typedef int dispatch_fn(struct conn *, uint64_t, const struct request *);

/* The handler column as it is; tests/unit/test_dispatch_nohandler.c
 * defines it to leave one op without a handler. */
#ifndef DISPATCH_HANDLER
#define DISPATCH_HANDLER(id, handler) handler
#endif

/* by enum request_op: the right and handler columns of shared/ops.h */
static const struct {
	enum op_right right;
	dispatch_fn *run;
} dispatch_ops[] = {
#define DISPATCH_X_ROW(id, name, args, right, handler) \
	[REQ_##id] = { RIGHT_##right, DISPATCH_HANDLER(id, handler) },
	AG_OP_LIST(DISPATCH_X_ROW)
#undef DISPATCH_X_ROW
};
_Static_assert(sizeof dispatch_ops / sizeof *dispatch_ops == REQ_NOPS,
	       "one row per op of shared/ops.h");

static int dispatch_allowed(const struct config *cfg, const struct conn *c,
			    enum op_right r)
{
	const struct conn_peer *p = conn_peer(c);

	switch (r) {
	case RIGHT_SIGN:
		return config_allows(&cfg->sign, p->uid, p->gid);
	case RIGHT_VERIFY:
		return config_allows(&cfg->verify, p->uid, p->gid);
	case RIGHT_ADMIN:
		return config_allows(&cfg->admin, p->uid, p->gid);
	case RIGHT_METRICS:
		return config_allows(&cfg->metrics, p->uid, p->gid);
	default:
		return 1;
	}
}

/* Names the right and the peer, so whoever reads the error knows what
 * to grant (the peer's own uid and gid are no secret to it). */
/* A peer without right r: says which right, and where it is granted. */
static int dispatch_unauthorized(struct conn *c, uint64_t id,
				 enum op_right r)
{
	const struct conn_peer *p = conn_peer(c);
	struct ag_error e;

	ag_fail(&e, AG_E_UNAUTHORIZED, "uid %u (gid %u) lacks the %s right: "
		"add the user or one of its groups to '%s' in [access] of "
		"agauthd.conf, then restart agauthd",
		(unsigned)p->uid, (unsigned)p->gid, dispatch_right_names[r],
		dispatch_right_names[r]);
	reply_fail(c, id, &e);
	return AG_E_UNAUTHORIZED;
}

/* The loop thread's zone for decoded frames, cleared after each. */
static msgpack_zone *dispatch_zone;

void dispatch_end(void)
{
	if (dispatch_zone != NULL)
		msgpack_zone_free(dispatch_zone);
	dispatch_zone = NULL;
}

/* A connection that watched stops watching as it closes. */
static void dispatch_closed(const void *arg, struct conn *c)
{
	(void)arg;
	if (conn_watching(c))
		watch_drop(c);
}

void dispatch_opts(const struct config *cfg, struct conn_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_frame = cfg->max_frame;
	o->max_inflight = cfg->max_inflight;
	o->max_output = cfg->max_output;
	o->idle_timeout = cfg->idle_timeout;
	o->frame_timeout = cfg->frame_timeout;
	o->frame = dispatch_frame;
	o->closed = dispatch_closed;
	o->arg = cfg;
}

void dispatch_frame(const void *arg, struct conn *c, const uint8_t *body, size_t n)
{
	const struct config *cfg = arg;
	struct stats *s = stats_get();
	struct proto_msg m;
	struct request r;
	int outcome;

	s->requests++;
	if (dispatch_zone == NULL)
		dispatch_zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
	if (proto_decode(&m, body, n, dispatch_zone) != 0) {
		/* garbage: answer once, then hang up on it */
		conn_close_after(c);
		reply_fail_code(c, 0, AG_E_BAD_FRAME, NULL);
		stats_outcome(STATS_OP_UNKNOWN, AG_E_BAD_FRAME);
		goto out;
	}
	request_parse(&r, m.root);
	/* before hello, anything else - a malformed request too - ends the
	 * connection: no talking without the handshake */
	if (!conn_greeted(c) && r.op != REQ_HELLO) {
		conn_close_after(c);
		outcome = dispatch_refuse(c, r.id, AG_E_HELLO, NULL);
		goto count;
	}
	if (r.status == REQ_MALFORMED) {
		outcome = dispatch_refuse(c, r.id, AG_E_BAD_REQUEST, "a request "
				       "needs id (uint) and op (str)");
		goto count;
	}
	/* an op this daemon does not know, or lists without serving it,
	 * is answered, never called */
	if (r.status == REQ_UNKNOWN_OP || dispatch_ops[r.op].run == NULL) {
		outcome = dispatch_refuse(c, r.id, AG_E_UNKNOWN_OP, NULL);
		goto count;
	}
	/* the peer's rights come from SO_PEERCRED, checked per operation;
	 * arguments are checked by each operation.  A peer may send
	 * refused requests as fast as it can write: their lines are
	 * rate-limited */
	if (!dispatch_allowed(cfg, c, dispatch_ops[r.op].right)) {
		log_info_limited("refused requests", "uid %u gid %u refused %s",
				 (unsigned)conn_peer(c)->uid,
				 (unsigned)conn_peer(c)->gid,
				 request_op_name(r.op));
		outcome = dispatch_unauthorized(c, r.id, dispatch_ops[r.op].right);
		goto count;
	}
	/* cache hits and misses happen in the clients, which report them
	 * with their requests (request_parse bounds them); only a peer
	 * that may verify (and map the cache) has any to report, so no
	 * other moves the counters, not even with a ping */
	if (dispatch_allowed(cfg, c, RIGHT_VERIFY)) {
		s->cache_hits += r.ch;
		s->cache_misses += r.cm;
	}
	outcome = dispatch_ops[r.op].run(c, r.id, &r);
count:
	/* every request is counted once, by op and outcome: here, or by
	 * its job when it ends */
	if (outcome != JOB_COUNTED)
		stats_outcome(r.op, (enum ag_err)outcome);
out:
	proto_msg_free(&m);
}
