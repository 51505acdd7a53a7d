/* job.c - sign, verify and rotate: inline on the loop for HMAC, on the
 * crypto pool for RSA, ECDSA and key generation. */
#include "daemon/job.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/audit.h"
#include "daemon/cachew.h"
#include "daemon/clock.h"
#include "daemon/cluster.h"
#include "daemon/conn.h"
#include "daemon/keyring.h"
#include "daemon/log.h"
#include "daemon/memo.h"
#include "daemon/pool.h"
#include "daemon/reply.h"
#include "daemon/request.h"
#include "daemon/revoke.h"
#include "daemon/server.h"
#include "daemon/stats.h"
#include "daemon/engine/secmem.h"
#include "shared/algs.h"

struct job;

/* What a kind of job does.  run: inline, or on a pool thread.  finish:
 * back on the loop, a pool job that succeeded (may be NULL).  end: on
 * the loop, every pool job, before it goes (may be NULL).  op: the
 * request's, for its outcome in the metrics. */
struct job_kind {
	void (*run)(struct job *);
	void (*finish)(struct job *);
	void (*end)(struct job *);
	enum request_op op;
	int quick;                   /* pool_job's quick: a verify */
};

/* What every job has. */
struct job {
	struct pool_job pool;        /* first: the pool hands it back */
	const struct job_kind *kind;
	struct conn *c;
	struct keyring *kr;
	uint64_t id;
	/* the request's argument and options: the frame's bytes inline,
	 * NUL-terminated copies behind the job on the pool (the frame is
	 * gone by then); NULL where the request had none */
	const char *arg, *opts;
	size_t arg_len, opts_len;
	int on_loop;                 /* revocations and the cache may be
				      * touched */
	struct buf *out;             /* inline, the connection's output; on
				      * the pool, &reply */
	struct buf reply;
	struct ag_error e;
	int failed;
	uint64_t start;              /* stats_clock() when it was taken up */
	/* 0, or the wall-clock time from which to run it again: what it
	 * made must not go out (a sign revoke_resign_at holds back) */
	double again;
	ev_timer wait;               /* till then (job_wait) */
	struct job *wnext, **wprev;  /* job_waiting's list */
};

struct sign_job {
	struct job h;
	const struct kr_key *used;   /* the key that signed */
	uint64_t serial;             /* revoke_serial() when the request came */
	double signed_at;            /* the sign's clock, on the pool too */
	struct buf token;            /* on the pool: the token, published
				      * back on the loop */
};

struct verify_job {
	struct job h;
	const struct kr_key *used;   /* the key that verified */
};

struct rotate_job {
	struct job h;
	struct kr_fresh fresh;       /* the key made on the pool */
	int cluster;                 /* for the whole fleet */
	double activate_in;          /* then primary so much later */
};

/* one rotation at a time: each rewrites the manifest */
static int job_rotating;
/* jobs that wait to run again (job_wait), for job_stop */
static struct job *job_waiting;

/*
 * On the loop thread, after a sign or verify succeeded: a revoked token
 * fails verification and is never cached; any other goes into the
 * cache, so the next worker that sees it answers from memory.
 */
static int job_publish(struct job *j, const struct kr_key *used,
		       const struct jwt *t, double now)
{
	if (revoke_check(t, &j->e) != 0)
		return -1;
	cachew_put(j->kr, used, t, now);
	return 0;
}

/* The same from the token's bytes (signed here, or verified on the
 * pool, whose thread's decode is gone); a token signed here goes into
 * the audit trail too, from the same decode. */
static int job_publish_token(struct job *j, const struct kr_key *used,
			     const char *tok, size_t n, int signed_here)
{
	int audit = signed_here && log_enabled(LOG_LEVEL_INFO);
	struct memo *m;
	struct ag_error e;

	if (!audit && !cachew_enabled() && revoke_count() == 0)
		return 0;
	/* a token whose revocation cannot be checked is not answered */
	m = memo_get(&j->e);
	if (m == NULL || jwt_decode(&m->jwt, tok, n, &e) != 0) {
		if (audit)
			audit_sign(j->c, used, NULL);
		return m == NULL ? -1 : 0;
	}
	if (audit)
		audit_sign(j->c, used, &m->jwt);
	return job_publish(j, used, &m->jwt, clock_wall());
}

/*
 * "Log out everywhere, keep this device": a token dated in the second of
 * a subject revocation made before the request came is covered by it,
 * though it was signed after.  Rather than hand it out revoked, the sign
 * runs again once that second is over (docs/operations.md).  On the loop
 * only: the revocations are there.
 */
static int sign_again(struct sign_job *j, const char *tok, size_t n)
{
	j->h.again = revoke_resign_at(tok, n, j->serial, j->signed_at);
	return j->h.again > 0;
}

static void sign_run(struct job *h)
{
	struct sign_job *j = (struct sign_job *)h;
	struct sign_req r;
	struct buf tok, added;
	const struct kr_key *k = NULL;
	struct proto_out o;

	memset(&r, 0, sizeof r);
	r.payload = h->arg;
	r.payload_len = h->arg_len;
	r.opts = h->opts;
	r.opts_len = h->opts_len;
	r.now = j->signed_at = clock_wall();
	r.allow_none = server_config()->allow_none;
	buf_init(&tok, 2 * AG_TOKEN_MAX);
	buf_init(&added, AG_OPTS_MAX + 256);
	if (keyring_sign(h->kr, &r, &tok, &added, &k, &h->e) != 0) {
		h->failed = 1;
	} else if (h->on_loop && sign_again(j, tok.p, tok.len)) {
		/* no reply: it is signed again later */
	} else {
		j->used = k;
		if (h->on_loop)
			job_publish_token(h, k, tok.p, tok.len, 1);
		else
			buf_put(&j->token, tok.p, tok.len);
		reply_ok(&o, h->out, h->id, k->has_kid ? 3 : 2);
		proto_kv_str(&o, "token", tok.p, tok.len);
		proto_kv_str(&o, "added", added.p ? added.p : "{}",
			     added.p ? added.len : 2);
		if (k->has_kid)
			proto_kv_cstr(&o, "kid", k->kid);
		proto_end(&o);
	}
	buf_free(&tok);
	buf_free(&added);
}

static void sign_finish(struct job *h)
{
	struct sign_job *j = (struct sign_job *)h;

	if (!sign_again(j, j->token.p, j->token.len))
		(void)job_publish_token(h, j->used, j->token.p, j->token.len,
					1);
	/* the token of a sign that runs again stays unsaid */
	buf_reset(&j->token);
}

static void sign_end(struct job *h)
{
	buf_free(&((struct sign_job *)h)->token);
}

static void verify_run(struct job *h)
{
	struct verify_job *j = (struct verify_job *)h;
	struct memo *m = memo_get(&h->e);
	const struct vopts *v;
	const struct kr_key *k = NULL;
	struct jwt *t;
	struct proto_out o;
	/* one reading of the clock for the claims and the cache entry */
	double now = clock_wall();

	v = m != NULL ? memo_vopts(m, h->opts, h->opts_len, &h->e) : NULL;
	if (v == NULL || keyring_verify(h->kr, h->arg, h->arg_len, v,
					now, &m->jwt, &k,
					&h->e) != 0) {
		h->failed = 1;
		return;
	}
	t = &m->jwt;
	j->used = k;
	if (h->on_loop && job_publish(h, k, t, now) != 0) {
		h->failed = 1;
		return;
	}
	reply_ok(&o, h->out, h->id, 2 + (k->has_kid != 0) +
		    (v->complete != 0));
	proto_kv_cstr(&o, "kind", t->kind == JWT_PAYLOAD_JSON ? "json" : "text");
	proto_kv_bin(&o, "payload", t->payload, t->plen);
	if (k->has_kid)
		proto_kv_cstr(&o, "kid", k->kid);
	if (v->complete)
		proto_kv_bin(&o, "header", t->hdoc.src, t->hdoc.len);
	proto_end(&o);
}

/* A token verified on the pool: revoked, it fails after all. */
static void verify_finish(struct job *h)
{
	struct verify_job *j = (struct verify_job *)h;

	h->failed = job_publish_token(h, j->used, h->arg, h->arg_len, 0) != 0;
}

/* The key only: rotate_finish applies it to the keyring live by then. */
static void rotate_run(struct job *h)
{
	struct rotate_job *j = (struct rotate_job *)h;

	if (keyring_rotate_make(h->kr, h->arg, clock_wall(), &j->fresh,
				&h->e) != 0)
		h->failed = 1;
}

/* Back on the loop: the new key goes into the keyring live now, which a
 * reload may have replaced while the key was made.  The fleet's key is
 * primary at one announced instant on every host (here too), and goes
 * to the others sealed (cluster_rotate). */
static void rotate_finish(struct job *h)
{
	struct rotate_job *j = (struct rotate_job *)h;
	struct kr_key *k = &j->fresh.key;
	unsigned char *text = NULL;
	double now = clock_wall();
	struct keyring *kr;
	struct proto_out o;
	size_t n = 0;

	if (j->cluster) {
		k->activate = (int64_t)ceil(now + j->activate_in);
		/* the file's text, for the other hosts: locked memory */
		text = secmem_alloc(AG_CLUSTER_KEYFILE_MAX);
		if (text == NULL)
			ag_fail(&h->e, AG_E_NOMEM, "no locked memory left for "
				"the key");
		if (text == NULL || keyring_read_file(j->fresh.path, text,
						      AG_CLUSTER_KEYFILE_MAX,
						      &n, &h->e) != 0)
			goto fail;
	}
	if (keyring_rotate_commit(server_keyring(), &j->fresh, now,
				  server_config()->default_expiry, &kr,
				  &h->e) != 0)
		goto fail;
	audit_rotate(h->c, k->name, NULL);
	server_set_keyring(kr);
	/* an outbox that cannot take it: installed here, sent while
	 * agauthd runs, and said */
	if (j->cluster && cluster_rotate(k->kid, k->alg, (double)k->activate,
					 text, n, &h->e) != 0)
		goto fail;
	/* the generation that went live: a reload while the key was made
	 * may have moved it on */
	reply_ok(&o, h->out, h->id, 2 + j->cluster);
	proto_kv_cstr(&o, "kid", k->name);
	proto_kv_uint(&o, "generation", kr->generation);
	if (j->cluster)
		proto_kv_uint(&o, "activate", (uint64_t)k->activate);
	proto_end(&o);
	secmem_free(text);
	return;
fail:
	h->failed = 1;  /* job_done audits it */
	secmem_free(text);   /* zeroes it */
}

static void rotate_end(struct job *h)
{
	keyring_rotate_drop(&((struct rotate_job *)h)->fresh);
	job_rotating = 0;
}

static const struct job_kind job_sign_kind = {
	sign_run, sign_finish, sign_end, REQ_SIGN, 0
};
static const struct job_kind job_verify_kind = {
	verify_run, verify_finish, NULL, REQ_VERIFY, 1
};
static const struct job_kind job_rotate_kind = {
	rotate_run, rotate_finish, rotate_end, REQ_ROTATE, 0
};

/* A job's outcome, and for sign and verify the time it took: queued,
 * run and answered (on the loop, as every count: stats.h). */
static void job_count(const struct job *j)
{
	struct stats *s = stats_get();

	stats_outcome(j->kind->op, j->failed ? j->e.code : AG_OK);
	if (j->kind->op == REQ_SIGN)
		stats_time(&s->sign_time, j->start);
	else if (j->kind->op == REQ_VERIFY)
		stats_time(&s->verify_time, j->start);
}

static void job_run(struct pool_job *pj)
{
	struct job *j = (struct job *)pj;

	j->kind->run(j);
	if (!j->failed && j->out->err) {
		j->failed = 1;
		ag_fail(&j->e, AG_E_NOMEM, "reply larger than a frame");
	}
}

/* A job that failed, into the audit trail: a refused verify (at debug),
 * a rotation.  A refused sign is the caller's to report. */
static void job_audit_failure(const struct job *j)
{
	if (j->kind == &job_verify_kind)
		audit_refused(j->c, j->arg, j->arg_len, &j->e);
	else if (j->kind == &job_rotate_kind)
		audit_rotate(j->c, NULL, &j->e);
}

static void job_submit(struct job *j);

static void job_wake(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct job *j = (struct job *)((char *)w - offsetof(struct job, wait));

	(void)loop;
	(void)revents;
	if ((*j->wprev = j->wnext) != NULL)
		j->wnext->wprev = j->wprev;
	job_submit(j);
}

/* j (on the heap, with its references) runs again at j->again, on the
 * pool; what it made goes. */
static void job_wait(struct job *j)
{
	double d = j->again - clock_wall();

	buf_reset(&j->reply);
	j->again = 0;
	j->on_loop = 0;
	ev_timer_init(&j->wait, job_wake, d > 0 ? d : 0, 0);
	ev_timer_start(server_loop(), &j->wait);
	if ((j->wnext = job_waiting) != NULL)
		job_waiting->wprev = &j->wnext;
	j->wprev = &job_waiting;
	job_waiting = j;
}

/* Back on the loop thread: the reply goes out, references drop. */
static void job_done(struct pool_job *pj)
{
	struct job *j = (struct job *)pj;
	struct conn *c = j->c;

	if (pj->cancelled) {
		j->failed = 1;
		ag_fail(&j->e, AG_E_BUSY, "agauthd is stopping");
	}
	j->on_loop = 1;
	if (!j->failed && j->kind->finish != NULL)
		j->kind->finish(j);
	if (!j->failed && j->again > 0) {
		job_wait(j);
		return;
	}
	if (j->kind->end != NULL)
		j->kind->end(j);
	if (j->failed)
		job_audit_failure(j);
	job_count(j);
	if (conn_dead(c))
		conn_complete(c);
	else if (j->failed)
		reply_fail(c, j->id, &j->e);
	else
		conn_reply(c, j->reply.p, j->reply.len);
	keyring_unref(j->kr);
	conn_unref(c);
	buf_free(&j->reply);
	free(j);
}

/* The head of a job for r on c with kr; the rest of the size bytes at j
 * are zero. */
static void job_init(struct job *j, size_t size, const struct job_kind *k,
		     struct conn *c, const struct request *r,
		     struct keyring *kr)
{
	memset(j, 0, size);
	j->kind = k;
	j->c = c;
	j->kr = kr;
	j->id = r->id;
	j->arg = r->arg;
	j->arg_len = r->arg_len;
	j->opts = r->opts;
	j->opts_len = r->opts_len;
	j->start = stats_clock();
}

/*
 * An HMAC sign or verify, run while the request's frame is still there:
 * nothing is copied or allocated, and the reply is encoded straight into
 * the connection's output.  Nothing can change the keyring or free the
 * connection meanwhile, so no references are taken.
 */
static int job_now(struct job *j)
{
	struct conn *c = j->c;
	size_t mark = conn_mark(c);

	j->on_loop = 1;
	j->out = conn_out(c);
	job_run(&j->pool);
	/* the caller makes it a job that waits */
	if (!j->failed && j->again > 0) {
		conn_rewind(c, mark);
		return 1;
	}
	job_count(j);
	if (j->failed) {
		/* proto_end dropped a reply too large for a frame: its error
		 * goes out instead, as from the pool */
		conn_rewind(c, mark);
		job_audit_failure(j);
		reply_fail(c, j->id, &j->e);
		return 0;
	}
	conn_sent(c, 1);
	return 0;
}

/* A NUL-terminated copy of n bytes of s at *at, moved on; NULL for
 * NULL. */
static const char *job_copy(char **at, const char *s, size_t n)
{
	char *d = *at;

	if (s == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	*at = d + n + 1;
	return d;
}

/*
 * A job of size bytes for the pool, its arguments copied behind it
 * (rotate's alg is read as a C string), holding references to c and kr;
 * NULL, the request answered, without memory.
 */
static struct job *job_new(size_t size, const struct job_kind *k,
			   struct conn *c, const struct request *r,
			   struct keyring *kr)
{
	struct job *j = malloc(size + r->arg_len + r->opts_len + 2);
	char *at;

	if (j == NULL) {
		reply_fail_code(c, r->id, AG_E_NOMEM, NULL);
		return NULL;
	}
	job_init(j, size, k, c, r, kr);
	at = (char *)j + size;
	j->arg = job_copy(&at, r->arg, r->arg_len);
	j->opts = job_copy(&at, r->opts, r->opts_len);
	j->out = &j->reply;
	buf_init(&j->reply, AG_FRAME_HARD_MAX);
	j->pool.run = job_run;
	j->pool.done = job_done;
	j->pool.quick = k->quick;
	keyring_ref(kr);
	conn_ref(c);
	return j;
}

/* job_done answers and counts it, now (queue full) or later. */
static void job_submit(struct job *j)
{
	if (pool_submit(&j->pool) == 0)
		return;
	stats_get()->busy++;
	ag_fail(&j->e, AG_E_BUSY, "crypto queue full (%u jobs)",
		server_config()->pool_queue);
	j->failed = 1;
	job_done(&j->pool);
}

/* sign and verify need their argument (request_parse says); rotate's
 * alg is optional. */
static int job_bad(struct conn *c, const struct request *r)
{
	if (r->status == REQ_OK)
		return 0;
	reply_fail_code(c, r->id, AG_E_BAD_REQUEST, NULL);
	return 1;
}

/* HMAC work costs less than a trip through the pool; RSA and ECDSA
 * would stall every other client for milliseconds. */
int job_sign(struct conn *c, const struct request *r)
{
	struct keyring *kr = server_keyring();
	struct sign_job s, *j;
	int p;

	s.h.again = 0;
	if (job_bad(c, r))
		return AG_E_BAD_REQUEST;
	/* HMAC costs less than a trip through the pool; RSA and ECDSA would
	 * stall every other client for milliseconds: the algorithm table's
	 * on_loop (shared/algs.h) says which is which */
	p = keyring_primary(kr, clock_wall());
	if (p < 0 || kr->keys[p].alg->on_loop) {
		job_init(&s.h, sizeof s, &job_sign_kind, c, r, kr);
		s.serial = revoke_serial();
		if (job_now(&s.h) == 0)
			return JOB_COUNTED;
	}
	j = (struct sign_job *)job_new(sizeof *j, &job_sign_kind, c, r, kr);
	if (j == NULL)
		return AG_E_NOMEM;
	buf_init(&j->token, 2 * AG_TOKEN_MAX);
	j->serial = revoke_serial();
	if (s.h.again == 0) {
		job_submit(&j->h);
		return JOB_COUNTED;
	}
	/* the request still came before any revocation made since */
	j->serial = s.serial;
	j->h.again = s.h.again;
	job_wait(&j->h);
	return JOB_COUNTED;
}

void job_stop(void)
{
	struct job *j;

	while ((j = job_waiting) != NULL) {
		job_waiting = j->wnext;
		ev_timer_stop(server_loop(), &j->wait);
		j->failed = 1;
		ag_fail(&j->e, AG_E_BUSY, "agauthd is stopping");
		job_done(&j->pool);
	}
}

int job_verify(struct conn *c, const struct request *r)
{
	struct keyring *kr = server_keyring();
	struct verify_job v;
	const struct alg *a;
	struct job *j;
	char fam[3];

	if (job_bad(c, r))
		return AG_E_BAD_REQUEST;
	/* a token not even its header makes sense of is refused inline */
	if (memo_family(r->arg, r->arg_len, fam) != 0 ||
	    ((a = alg_of_prefix(fam, 2)) != NULL && a->on_loop)) {
		job_init(&v.h, sizeof v, &job_verify_kind, c, r, kr);
		job_now(&v.h);
		return JOB_COUNTED;
	}
	j = job_new(sizeof v, &job_verify_kind, c, r, kr);
	if (j == NULL)
		return AG_E_NOMEM;
	job_submit(j);
	return JOB_COUNTED;
}

int job_rotate(struct conn *c, const struct request *r)
{
	struct job *j;

	if (job_rotating) {
		stats_get()->busy++;
		reply_fail_code(c, r->id, AG_E_BUSY, "a rotation is running");
		return AG_E_BUSY;
	}
	if (job_bad(c, r))
		return AG_E_BAD_REQUEST;
	j = job_new(sizeof(struct rotate_job), &job_rotate_kind, c, r,
		    server_keyring());
	if (j == NULL)
		return AG_E_NOMEM;
	((struct rotate_job *)j)->cluster = r->cluster;
	((struct rotate_job *)j)->activate_in = (double)r->activate_in;
	/* until rotate_end */
	job_rotating = 1;
	job_submit(j);
	return JOB_COUNTED;
}
