/* job.c - sign, verify and rotate: inline on the loop for HMAC, on the
 * crypto pool for RSA, ECDSA and key generation. */
#include "daemon/job.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cachew.h"
#include "daemon/conn.h"
#include "daemon/keyring.h"
#include "daemon/log.h"
#include "daemon/pool.h"
#include "daemon/reply.h"
#include "daemon/request.h"
#include "daemon/revoke.h"
#include "daemon/server.h"
#include "shared/algs.h"

/* A sign, verify or rotate: runs inline or on the pool, then replies. */
struct op_job {
	struct pool_job job;
	struct conn *c;
	struct keyring *kr;
	uint64_t id;
	enum request_op op;          /* REQ_SIGN, REQ_VERIFY or REQ_ROTATE */
	const char *arg, *opts;      /* NUL-terminated copies on the pool (the
				      * frame is gone by then), the frame's
				      * bytes inline */
	size_t arg_len, opts_len;
	char *copy;                  /* pool: holds arg and opts */
	int on_loop;                 /* inline: revocations and the cache
				      * may be touched */
	const struct kr_key *used;   /* the key that signed or verified */
	struct buf token;            /* pool sign: the token, for the cache */
	struct kr_fresh *fresh;      /* rotate: the key made on the pool */
	struct ag_error e;
	int failed;
	struct buf *out;             /* &reply on the pool; inline, the
				      * connection's output */
	struct buf reply;
};

/* one rotation at a time: each rewrites the manifest */
static int job_rotating;

/*
 * Scratch for sign and verify, one set per thread (loop and pool), made
 * on the thread's first job and freed as it ends.  Not in thread-local
 * storage itself: glibc clears all of that for every thread as it
 * starts, 50 KiB of resident memory each whether it verifies or not; on
 * the heap only what tokens reach into is ever touched.
 */
struct job_scratch {
	struct jwt jwt;
	struct vopts vopts;
	/* vopts holds the options of vopts_len bytes parsed last on this
	 * thread */
	int vopts_ok;
	size_t vopts_len;
};
static _Thread_local struct job_scratch *job_tls;
static pthread_once_t job_once = PTHREAD_ONCE_INIT;
static pthread_key_t job_key;

static void job_key_make(void)
{
	(void)pthread_key_create(&job_key, free);
}

/* This thread's scratch; NULL, with e filled, without memory. */
static struct job_scratch *job_scratch(struct ag_error *e)
{
	struct job_scratch *s = job_tls;

	if (s != NULL)
		return s;
	pthread_once(&job_once, job_key_make);
	s = malloc(sizeof *s);
	if (s == NULL) {
		ag_fail(e, AG_E_NOMEM, "no memory for a job's scratch");
		return NULL;
	}
	s->vopts_ok = 0;
	/* the key frees it when the thread ends */
	(void)pthread_setspecific(job_key, s);
	job_tls = s;
	return s;
}

/*
 * Verify options, parsed.  A worker sends the same options (or none) with
 * every verify, and parsing even "{}" costs a twentieth of an HS256
 * verification: options byte for byte the same as the last ones parsed on
 * this thread are not parsed again.
 */
static const struct vopts *job_vopts_get(struct job_scratch *s,
					 const char *opts, size_t n,
					 struct ag_error *e)
{
	struct vopts *v = &s->vopts;

	if (s->vopts_ok && n == s->vopts_len &&
	    (n == 0 || memcmp(v->text, opts, n) == 0))
		return v;
	s->vopts_ok = 0;
	if (vopts_parse(v, opts, n, e) != 0)
		return NULL;
	s->vopts_ok = 1;
	s->vopts_len = n;
	return v;
}

/*
 * On the loop thread, after a sign or verify succeeded: a revoked token
 * fails verification and is never cached; any other goes into the
 * cache, so the next worker that sees it answers from memory.
 */
static int job_publish(struct op_job *j, const struct jwt *t)
{
	if (revoke_check(t, &j->e) != 0)
		return -1;
	cachew_put(j->kr, j->used, t, reply_now());
	return 0;
}

/* The same from the token's bytes (signed here, or verified on the
 * pool, whose thread's decode is gone). */
static int job_publish_token(struct op_job *j, const char *tok, size_t n)
{
	struct job_scratch *s;
	struct ag_error e;

	if (!cachew_enabled() && revoke_count() == 0)
		return 0;
	/* a token whose revocation cannot be checked is not answered */
	s = job_scratch(&j->e);
	if (s == NULL)
		return -1;
	if (jwt_decode(&s->jwt, tok, n, &e) != 0)
		return 0;
	return job_publish(j, &s->jwt);
}

static void op_sign(struct op_job *j)
{
	struct sign_req r;
	struct buf tok, added;
	const struct kr_key *k = NULL;
	struct proto_out o;

	memset(&r, 0, sizeof r);
	r.payload = j->arg;
	r.payload_len = j->arg_len;
	r.opts = j->opts;
	r.opts_len = j->opts_len;
	r.now = reply_now();
	r.allow_none = server_config()->allow_none;
	buf_init(&tok, 2 * AG_TOKEN_MAX);
	buf_init(&added, AG_OPTS_MAX + 256);
	if (keyring_sign(j->kr, &r, &tok, &added, &k, &j->e) != 0) {
		j->failed = 1;
	} else {
		j->used = k;
		if (j->on_loop)
			job_publish_token(j, tok.p, tok.len);
		else
			buf_put(&j->token, tok.p, tok.len);
		reply_ok(&o, j->out, j->id, k->has_kid ? 3 : 2);
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

static void op_verify(struct op_job *j)
{
	struct job_scratch *s = job_scratch(&j->e);
	const struct vopts *v;
	const struct kr_key *k = NULL;
	struct jwt *t;
	struct proto_out o;

	v = s != NULL ? job_vopts_get(s, j->opts, j->opts_len, &j->e) : NULL;
	if (v == NULL || keyring_verify(j->kr, j->arg, j->arg_len, v,
					reply_now(), &s->jwt, &k,
					&j->e) != 0) {
		j->failed = 1;
		return;
	}
	t = &s->jwt;
	j->used = k;
	if (j->on_loop && job_publish(j, t) != 0) {
		j->failed = 1;
		return;
	}
	reply_ok(&o, j->out, j->id, 2 + (k->has_kid != 0) +
		    (v->complete != 0));
	proto_kv_cstr(&o, "kind", t->kind == JWT_PAYLOAD_JSON ? "json" : "text");
	proto_kv_bin(&o, "payload", t->payload, t->plen);
	if (k->has_kid)
		proto_kv_cstr(&o, "kid", k->kid);
	if (v->complete)
		proto_kv_bin(&o, "header", t->hdoc.src, t->hdoc.len);
	proto_end(&o);
}

/* The key only: op_done applies it to the keyring live by then, and
 * replies. */
static void op_rotate(struct op_job *j)
{
	if (keyring_rotate_make(j->kr, j->arg, reply_now(), j->fresh,
				&j->e) != 0)
		j->failed = 1;
}

/* Back on the loop: the new key goes into the keyring live now, which a
 * reload may have replaced while the key was made. */
static void op_rotate_done(struct op_job *j)
{
	struct keyring *kr;
	struct proto_out o;

	if (keyring_rotate_commit(server_keyring(), j->fresh, reply_now(),
				  server_config()->default_expiry, &kr,
				  &j->e) != 0) {
		log_err("rotation by uid %u refused: %s", (unsigned)j->c->uid,
			j->e.msg);
		j->failed = 1;
		return;
	}
	log_info("rotation by uid %u: %s is primary", (unsigned)j->c->uid,
		 kr->keys[kr->primary].name);
	server_set_keyring(kr);
	/* the generation that went live: a reload while the key was made
	 * may have moved it on */
	reply_ok(&o, j->out, j->id, 2);
	proto_kv_cstr(&o, "kid", kr->keys[kr->primary].name);
	proto_kv_uint(&o, "generation", kr->generation);
	proto_end(&o);
}

static void op_run(struct pool_job *pj)
{
	struct op_job *j = (struct op_job *)pj;

	if (j->op == REQ_SIGN)
		op_sign(j);
	else if (j->op == REQ_VERIFY)
		op_verify(j);
	else
		op_rotate(j);
	if (!j->failed && j->out->err) {
		j->failed = 1;
		ag_fail(&j->e, AG_E_NOMEM, "reply larger than a frame");
	}
}

/* Back on the loop thread: the reply goes out, references drop. */
static void op_done(struct pool_job *pj)
{
	struct op_job *j = (struct op_job *)pj;
	struct conn *c = j->c;

	if (pj->cancelled) {
		j->failed = 1;
		ag_fail(&j->e, AG_E_BUSY, "agauthd is stopping");
	}
	j->on_loop = 1;
	if (!j->failed && j->op == REQ_VERIFY)
		j->failed = job_publish_token(j, j->arg, j->arg_len) != 0;
	else if (!j->failed && j->op == REQ_SIGN)
		(void)job_publish_token(j, j->token.p, j->token.len);
	if (!j->failed && j->op == REQ_ROTATE)
		op_rotate_done(j);
	if (j->op == REQ_ROTATE) {
		keyring_rotate_drop(j->fresh);
		job_rotating = 0;
	}
	if (c->dead) {
		c->inflight--;
	} else if (j->failed) {
		reply_fail(c, j->id, &j->e);
	} else {
		buf_put(&c->out, j->reply.p, j->reply.len);
		conn_sent(c, 1);
	}
	keyring_unref(j->kr);
	conn_unref(c);
	buf_free(&j->reply);
	buf_free(&j->token);
	free(j->fresh);
	free(j->copy);
	free(j);
}

/* The header segment last peeked at, and what it said (loop thread). */
static char job_hdr[128];
static size_t job_hdr_len;
static char job_hdr_fam[3];
static int job_hdr_rc;

/*
 * jwt_peek_family, remembered: a worker's tokens come from one issuer and
 * carry the same header, byte for byte, and decoding it costs as much as
 * a twentieth of an HS256 verification.  The family depends on nothing
 * but the header segment's bytes.
 */
static int job_family(const char *tok, size_t len, char fam[3])
{
	const char *dot = memchr(tok, '.', len);
	size_t hn = dot != NULL ? (size_t)(dot - tok) : len;
	int rc;

	if (hn > 0 && hn == job_hdr_len &&
	    memcmp(tok, job_hdr, hn) == 0) {
		memcpy(fam, job_hdr_fam, 3);
		return job_hdr_rc;
	}
	rc = jwt_peek_family(tok, len, fam);
	if (hn <= sizeof job_hdr) {
		memcpy(job_hdr, tok, hn);
		job_hdr_len = hn;
		memcpy(job_hdr_fam, fam, 3);
		job_hdr_rc = rc;
	}
	return rc;
}

/* HMAC work costs less than a trip through the pool; RSA and ECDSA
 * would stall every other client for milliseconds.  Which is which is
 * the algorithm table's on_loop (shared/algs.h). */
static int job_inline(enum request_op op, const struct keyring *kr,
		      const char *arg, size_t alen)
{
	const struct alg *a;
	char fam[3];

	if (op == REQ_ROTATE)
		return 0;
	if (op == REQ_SIGN)
		return kr->primary < 0 ||
		       kr->keys[kr->primary].alg->on_loop;
	if (job_family(arg, alen, fam) != 0)
		return 1;
	a = alg_of_prefix(fam, 2);
	return a != NULL && a->on_loop;
}

/*
 * An HMAC sign or verify, run while the request's frame is still there:
 * nothing is copied or allocated, and the reply is encoded straight into
 * the connection's output.  Nothing can change the keyring or free the
 * connection meanwhile, so no references are taken.
 */
static void job_now(struct conn *c, uint64_t id, enum request_op op,
		    struct keyring *kr, const char *arg, size_t alen,
		    const char *opts, size_t olen)
{
	struct op_job j;

	j.c = c;
	j.kr = kr;
	j.id = id;
	j.op = op;
	j.arg = arg;
	j.arg_len = alen;
	j.opts = opts;
	j.opts_len = olen;
	j.copy = NULL;
	j.fresh = NULL;
	j.failed = 0;
	j.on_loop = 1;
	j.used = NULL;
	j.out = &c->out;
	op_run(&j.job);
	if (j.failed) {
		/* proto_end dropped a reply too large for a frame: its error
		 * goes out instead, as from the pool */
		c->out.err = 0;
		reply_fail(c, id, &j.e);
		return;
	}
	conn_sent(c, 1);
}

/* Returns 0 once a job will reply, -1 if the request was answered with
 * an error here. */
static int job_make(struct conn *c, const struct request *r)
{
	struct op_job *j;
	struct keyring *kr = server_keyring();
	const char *arg = r->arg, *opts = r->opts;
	size_t alen = r->arg_len, olen = r->opts_len;
	uint64_t id = r->id;

	/* rotate's alg is optional; sign and verify need their argument
	 * (request_parse says) */
	if (r->status != REQ_OK) {
		reply_fail_code(c, id, AG_E_BAD_REQUEST, NULL);
		return -1;
	}
	if (job_inline(r->op, kr, arg, alen)) {
		job_now(c, id, r->op, kr, arg, alen, opts, olen);
		return 0;
	}
	/* one block for both copies, each NUL-terminated (rotate's alg is
	 * read as a C string) */
	j = calloc(1, sizeof *j);
	if (j == NULL || (j->copy = malloc(alen + olen + 2)) == NULL ||
	    (r->op == REQ_ROTATE &&
	     (j->fresh = calloc(1, sizeof *j->fresh)) == NULL)) {
		if (j != NULL)
			free(j->copy);
		free(j);
		reply_fail_code(c, id, AG_E_NOMEM, NULL);
		return -1;
	}
	if (arg != NULL) {
		memcpy(j->copy, arg, alen);
		j->arg = j->copy;
	}
	j->copy[alen] = '\0';
	if (opts != NULL) {
		memcpy(j->copy + alen + 1, opts, olen);
		j->opts = j->copy + alen + 1;
	}
	j->copy[alen + 1 + olen] = '\0';
	j->arg_len = alen;
	j->opts_len = olen;
	j->c = c;
	j->id = id;
	j->op = r->op;
	j->kr = kr;
	keyring_ref(j->kr);
	conn_ref(c);
	buf_init(&j->reply, AG_FRAME_HARD_MAX);
	buf_init(&j->token, 2 * AG_TOKEN_MAX);
	j->out = &j->reply;
	j->job.run = op_run;
	j->job.done = op_done;
	if (pool_submit(&j->job) != 0) {
		server_stats()->busy++;
		ag_fail(&j->e, AG_E_BUSY, "crypto queue full (%u jobs)",
			server_config()->pool_queue);
		j->failed = 1;
		op_done(&j->job);
	}
	return 0;
}

int job_start(struct conn *c, const struct request *r)
{
	int rotate = r->op == REQ_ROTATE;

	if (rotate && job_rotating) {
		server_stats()->busy++;
		reply_fail_code(c, r->id, AG_E_BUSY, "a rotation is running");
		return -1;
	}
	job_rotating |= rotate;
	if (job_make(c, r) != 0) {
		if (rotate)
			job_rotating = 0;
		return -1;
	}
	return 0;
}
