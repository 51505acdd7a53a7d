/*
 * cluster.c - the fleet over Redis: the outbox, the stream, the state.
 *
 * Two connections, both on the daemon's loop through hiredis's libev
 * adapter: the writer (AUTH, the epoch, XADD) and the reader (AUTH, then
 * XREAD BLOCK, one after another).  Either one lost drops both; they come
 * back after a backoff, the writer first, and the reader starts once the
 * epoch is known.
 *
 * Files of the state directory:
 *   cluster.state   "v1 EPOCH LAST_ID\n": the Redis epoch this host read
 *                   from, and the last stream id it applied (replaced
 *                   whole: statedir_replace)
 *   cluster.outbox  records made here that Redis has not taken yet, one
 *                   a line, appended and fsync'd before the revoke is
 *                   answered; emptied once Redis has taken them all
 *   cluster.rotation the latest rotation record (by its activation
 *                   instant), sealed as it travels: put back into a Redis
 *                   that came back empty (replaced whole)
 */
#include "daemon/cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/adapters/libev.h>

#include "daemon/clock.h"
#include "daemon/engine/crypto.h"
#include "daemon/engine/secmem.h"
#include "daemon/keyring.h"
#include "daemon/log.h"
#include "daemon/revoke_apply.h"
#include "daemon/statedir.h"

#define CL_STATE   "cluster.state"
#define CL_OUTBOX  "cluster.outbox"
#define CL_ROTATION "cluster.rotation"
#define CL_ID_MAX  47                  /* "ms-seq": two 20-digit numbers */
#define CL_EPOCH_LEN 32                /* hex digits of a new epoch */

/* A record on its way to Redis. */
struct cl_msg {
	struct cl_msg *next;
	size_t len;
	char line[];
};

static struct {
	struct ev_loop *loop;
	int on;
	struct cluster_keys keys;
	char name[AG_CLUSTER_NAME_MAX + 1];
	char stream[AG_CLUSTER_PREFIX_MAX + 16];
	char epoch_key[AG_CLUSTER_PREFIX_MAX + 16];
	char dir[PATH_MAX];
	/* where Redis is: a Unix socket path, or an address and port */
	char path[AG_CLUSTER_ADDR_MAX + 1];
	char ip[INET6_ADDRSTRLEN];
	int port;
	char where[AG_CLUSTER_ADDR_MAX + 16];  /* for the log */
	char why[128];                   /* cl_open's failure */
	char user[AG_CLUSTER_NAME_MAX + 1];
	char *password;                  /* locked memory; NULL: no AUTH */
	size_t password_len;
	double retain;                   /* seconds a record stays in the
					  * stream */
	redisAsyncContext *w, *r;        /* writer, reader; NULL: down */
	int connected;                   /* the epoch is known */
	int reachable;                   /* as last logged */
	ev_timer retry;
	ev_timer save;                   /* cluster.state, when it moved */
	ev_timer stall;                  /* an XREAD Redis does not answer */
	double backoff;
	char epoch[CL_EPOCH_LEN + 1];
	char last_id[CL_ID_MAX + 1];
	char saved_id[CL_ID_MAX + 1];    /* in cluster.state */
	int hold_id;                     /* a record was not persisted:
					  * cluster.state stays before it */
	struct cl_msg *head, **tail;
	uint64_t queued, sent;           /* sent: of the queued, on the
					  * current writer */
	int outbox_fd;
	uint64_t outbox_lines;           /* in the file */
	uint64_t applied, refused, unlogged;
	double logged_at, lag_ms;
	uint8_t *val;                    /* a decoded value, or key (locked
					  * memory) */
	struct buf enc;                  /* a record being encoded */
	cluster_install_fn *install;
	char *rotation;                  /* the latest rotation record */
	size_t rotation_len;
	double rotation_at;              /* its activation instant */
} cl = { .tail = &cl.head, .outbox_fd = -1 };

static void cl_connect(void);

const char *cluster_name(void)
{
	return cl.on ? cl.name : NULL;
}

/* --------------------------------------------------------------- files */

static void cl_save_state(void)
{
	char text[16 + CL_EPOCH_LEN + CL_ID_MAX];
	struct ag_error e;
	int n;

	if (cl.hold_id || strcmp(cl.saved_id, cl.last_id) == 0)
		return;
	n = snprintf(text, sizeof text, "v1 %s %s\n", cl.epoch, cl.last_id);
	if (statedir_replace(cl.dir, CL_STATE, text, (size_t)n, &e) != 0) {
		/* the records are in force; a restart reads them again */
		log_warn("cluster: %s", e.msg);
		return;
	}
	memcpy(cl.saved_id, cl.last_id, sizeof cl.saved_id);
}

/* A stream id as Redis writes them: "ms-seq". */
static int cl_id_ok(const char *s, size_t n)
{
	const char *dash = memchr(s, '-', n);

	return n > 0 && n <= CL_ID_MAX && dash != NULL && dash != s &&
	       dash != s + n - 1 && strspn(s, "0123456789") == (size_t)(dash - s)
	       && strspn(dash + 1, "0123456789") >= (size_t)(s + n - dash - 1);
}

static int cl_load_state(struct ag_error *e)
{
	char text[16 + CL_EPOCH_LEN + CL_ID_MAX], epoch[CL_EPOCH_LEN + 1];
	char id[CL_ID_MAX + 1];
	size_t len;
	int rc;

	snprintf(cl.last_id, sizeof cl.last_id, "0-0");
	rc = statedir_read(cl.dir, CL_STATE, text, sizeof text - 1, &len, e);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	text[len] = '\0';
	if (sscanf(text, "v1 %32[0-9a-f] %47[0-9-]\n", epoch, id) != 2 ||
	    !cl_id_ok(id, strlen(id)))
		return ag_fail(e, AG_E_STATE, "%s/%s: damaged; remove it (the "
			       "stream is then read from its start, which "
			       "changes nothing that is in force)", cl.dir,
			       CL_STATE);
	memcpy(cl.epoch, epoch, sizeof cl.epoch);
	memcpy(cl.last_id, id, sizeof cl.last_id);
	memcpy(cl.saved_id, id, sizeof cl.saved_id);
	return 0;
}

/* The latest rotation this host knows, from cluster.rotation: one that
 * does not check out (another fleet key) is left aside, and said. */
static int cl_load_rotation(struct ag_error *e)
{
	struct cluster_record r;
	size_t len;
	char *text = malloc(CLUSTER_RECORD_MAX + 2);
	int rc;

	if (text == NULL)
		return ag_fail(e, AG_E_NOMEM, NULL);
	rc = statedir_read(cl.dir, CL_ROTATION, text, CLUSTER_RECORD_MAX + 1,
			   &len, e);
	if (rc == 0 && len > 0 && text[len - 1] == '\n' &&
	    cluster_record_decode(&cl.keys, text, len - 1, &r, cl.val) ==
	    CLUSTER_REC_OK && r.type == CLUSTER_ROTATION) {
		memset(cl.val, 0, r.len);
		cl.rotation = text;
		cl.rotation_len = len - 1;
		cl.rotation_at = r.at;
		return 0;
	}
	if (rc == 0)
		log_warn("cluster: %s/%s does not check out (another fleet "
			 "key?): left aside", cl.dir, CL_ROTATION);
	free(text);
	return rc < 0 ? -1 : 0;
}

static struct cl_msg *cl_msg_new(const char *p, size_t n)
{
	struct cl_msg *m = malloc(sizeof *m + n);

	if (m == NULL)
		return NULL;
	m->next = NULL;
	m->len = n;
	memcpy(m->line, p, n);
	return m;
}

static void cl_queue(struct cl_msg *m)
{
	*cl.tail = m;
	cl.tail = &m->next;
	cl.queued++;
}

/* The outbox's records back into the queue, at start.  A last line
 * without its newline was never acknowledged (the sync comes after it):
 * cut off.  A line that does not check out is dropped and said so. */
static int cl_load_outbox(struct ag_error *e)
{
	char path[PATH_MAX + 16];
	struct cluster_record r;
	struct cl_msg *m;
	struct stat st;
	const char *map, *p, *nl, *end;

	snprintf(path, sizeof path, "%s/%s", cl.dir, CL_OUTBOX);
	cl.outbox_fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW |
			    O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
	if (cl.outbox_fd < 0)
		return ag_fail(e, AG_E_STATE, "%s: %s", path, strerror(errno));
	if (fstat(cl.outbox_fd, &st) != 0 || !S_ISREG(st.st_mode))
		return ag_fail(e, AG_E_STATE, "%s: not a regular file", path);
	if (statedir_owned(path, &st, 0, e) != 0)
		return -1;
	if (st.st_size == 0)
		return 0;
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
		   cl.outbox_fd, 0);
	if (map == MAP_FAILED)
		return ag_fail(e, AG_E_STATE, "%s: %s", path, strerror(errno));
	end = map + st.st_size;
	for (p = map; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			log_warn("%s: cutting an incomplete last record (never "
				 "acknowledged)", path);
			if (ftruncate(cl.outbox_fd, p - map) != 0)
				log_warn("%s: %s", path, strerror(errno));
			break;
		}
		if (cluster_record_decode(&cl.keys, p, (size_t)(nl - p), &r,
					  cl.val) != CLUSTER_REC_OK) {
			log_warn("%s: a record that does not check out (another "
				 "fleet key?) dropped", path);
			continue;
		}
		memset(cl.val, 0, r.len);
		m = cl_msg_new(p, (size_t)(nl - p));
		if (m == NULL)
			break;
		cl_queue(m);
		cl.outbox_lines++;
	}
	munmap((void *)(uintptr_t)map, (size_t)st.st_size);
	if (cl.queued > 0)
		log_info("cluster: %llu records made here wait in %s for Redis",
			 (unsigned long long)cl.queued, path);
	return 0;
}

/* Redis took everything: the outbox starts again empty. */
static void cl_outbox_clear(void)
{
	if (cl.outbox_lines == 0 || cl.queued != 0)
		return;
	if (ftruncate(cl.outbox_fd, 0) != 0 || fdatasync(cl.outbox_fd) != 0) {
		/* sent again after a restart, which changes nothing */
		log_warn("cluster: cannot empty the outbox: %s",
			 strerror(errno));
		return;
	}
	cl.outbox_lines = 0;
}

/* ---------------------------------------------------------- connection */

static void cl_logged_reach(int up, const char *why)
{
	if (up == cl.reachable)
		return;
	cl.reachable = up;
	if (up)
		log_info("cluster: connected to Redis at %s; %llu records to "
			 "send", cl.where, (unsigned long long)cl.queued);
	else
		log_warn("cluster: Redis unreachable (%s): revocations stay in "
			 "force here and wait in the outbox; retrying", why);
}

/* Drops both connections (a callback of one of them may be running:
 * hiredis then frees it when the callback returns) and tries again
 * later, unless stopping. */
static void cl_drop(const char *why, int again)
{
	redisAsyncContext *w = cl.w, *r = cl.r;

	cl.w = cl.r = NULL;
	cl.connected = 0;
	cl.sent = 0;
	if (cl.loop != NULL)
		ev_timer_stop(cl.loop, &cl.stall);
	if (w != NULL)
		redisAsyncFree(w);
	if (r != NULL)
		redisAsyncFree(r);
	if (!again)
		return;
	cl_logged_reach(0, why);
	ev_timer_stop(cl.loop, &cl.retry);
	ev_timer_set(&cl.retry, cl.backoff, 0);
	ev_timer_start(cl.loop, &cl.retry);
	cl.backoff = fmin(cl.backoff * 2, AG_CLUSTER_RETRY_MAX);
}

static void cl_on_disconnect(const redisAsyncContext *ac, int status)
{
	(void)status;
	/* one we dropped ourselves is gone already */
	if (ac != cl.w && ac != cl.r)
		return;
	if (ac == cl.w)
		cl.w = NULL;
	else
		cl.r = NULL;
	cl_drop(ac->errstr[0] ? ac->errstr : "connection lost", 1);
}

static void cl_on_connect(const redisAsyncContext *ac, int status)
{
	if (status == REDIS_OK || (ac != cl.w && ac != cl.r))
		return;
	/* hiredis frees it after this */
	if (ac == cl.w)
		cl.w = NULL;
	else
		cl.r = NULL;
	cl_drop(ac->errstr, 1);
}

/* A reply that is an error, or none (the connection went): 1, and for an
 * error, the connection is dropped, saying what Redis said. */
static int cl_failed(redisAsyncContext *ac, const redisReply *rp,
		     const char *what)
{
	char why[256];

	if (rp == NULL || (ac != cl.w && ac != cl.r))
		return 1;
	if (rp->type != REDIS_REPLY_ERROR)
		return 0;
	snprintf(why, sizeof why, "%s: %.*s", what, (int)rp->len, rp->str);
	/* said once, not at every retry (cl_drop says the rest) */
	if (cl.reachable != 0 && (strncmp(rp->str, "WRONGPASS", 9) == 0 ||
	    strncmp(rp->str, "NOAUTH", 6) == 0 ||
	    strncmp(rp->str, "NOPERM", 6) == 0))
		log_err("cluster: Redis refused us: %s: check [cluster] user "
			"and password_file, and the user's ACL (it needs XADD, "
			"XREAD, GET, SET on %s*)", why, cl.stream);
	cl_drop(why, 1);
	return 1;
}

static void cl_on_auth(redisAsyncContext *ac, void *reply, void *priv)
{
	(void)priv;
	(void)cl_failed(ac, reply, "AUTH");
}

/* A connection, or NULL and why in cl.why. */
static redisAsyncContext *cl_open(void)
{
	redisAsyncContext *ac = cl.path[0] != '\0' ?
				redisAsyncConnectUnix(cl.path) :
				redisAsyncConnect(cl.ip, cl.port);

	snprintf(cl.why, sizeof cl.why, "%s", ac == NULL ? "out of memory" :
		 ac->errstr);
	if (ac == NULL)
		return NULL;
	if (ac->err) {
		redisAsyncFree(ac);
		return NULL;
	}
	redisLibevAttach(cl.loop, ac);
	redisAsyncSetConnectCallback(ac, cl_on_connect);
	redisAsyncSetDisconnectCallback(ac, cl_on_disconnect);
	/* sent first, ahead of everything queued after it */
	if (cl.password != NULL && cl.user[0] != '\0')
		redisAsyncCommand(ac, cl_on_auth, NULL, "AUTH %s %b", cl.user,
				  cl.password, cl.password_len);
	else if (cl.password != NULL)
		redisAsyncCommand(ac, cl_on_auth, NULL, "AUTH %b", cl.password,
				  cl.password_len);
	return ac;
}

/* -------------------------------------------------------------- sending */

static void cl_on_xadd(redisAsyncContext *ac, void *reply, void *priv)
{
	struct cl_msg *m = cl.head;

	(void)priv;
	if (ac != cl.w || cl_failed(ac, reply, "XADD") || m == NULL)
		return;
	cl.head = m->next;
	if (cl.head == NULL)
		cl.tail = &cl.head;
	free(m);
	cl.queued--;
	cl.sent--;
	cl_outbox_clear();
}

/* Everything queued and not yet sent on this writer, in order.  The
 * stream keeps records for cl.retain: XADD's MINID trims what is older
 * (~: whole nodes, so a little more stays). */
static void cl_send(void)
{
	struct cl_msg *m = cl.head;
	long long minid = llround((clock_wall() - cl.retain) * 1000);
	uint64_t i;

	if (!cl.connected)
		return;
	for (i = 0; m != NULL && i < cl.sent; i++)
		m = m->next;
	for (; m != NULL; m = m->next, cl.sent++)
		redisAsyncCommand(cl.w, cl_on_xadd, NULL,
				  "XADD %s MINID ~ %lld * r %b", cl.stream,
				  minid > 0 ? minid : 0, m->line, m->len);
}

/* A record's line[0..n) (no newline) into the queue and the outbox
 * (not synced: cl_sync). */
static int cl_put_line(const char *line, size_t n, struct ag_error *e)
{
	struct iovec io[2] = { { (void *)(uintptr_t)line, n },
			       { (void *)(uintptr_t)"\n", 1 } };
	struct cl_msg *m;

	if (cl.queued >= AG_CLUSTER_OUTBOX_MAX)
		return ag_fail(e, AG_E_STATE, "cluster: %d records wait for "
			       "Redis already; this one stays on this host",
			       AG_CLUSTER_OUTBOX_MAX);
	m = cl_msg_new(line, n);
	if (m == NULL)
		return ag_fail(e, AG_E_NOMEM, NULL);
	cl_queue(m);
	/* one append: a line is in the outbox whole or not at all */
	if (writev(cl.outbox_fd, io, 2) != (ssize_t)n + 1)
		return ag_fail(e, AG_E_STATE, "cluster: in force here, but not "
			       "in the outbox: %s (sent while agauthd runs)",
			       strerror(errno));
	cl.outbox_lines++;
	return 0;
}

/* Encodes r, a record of this host, into the queue and the outbox. */
static int cl_put_record(struct cluster_record *r, struct ag_error *e)
{
	memcpy(r->origin, cl.name, sizeof r->origin);
	buf_reset(&cl.enc);
	if (cluster_record_encode(&cl.keys, r, &cl.enc) != 0 || cl.enc.err)
		return ag_fail(e, AG_E_STATE, "cluster: cannot encode a record");
	return cl_put_line(cl.enc.p, cl.enc.len, e);
}

static int cl_put(enum revoke_kind k, const char *value, size_t n,
		  double at, struct ag_error *e)
{
	struct cluster_record r;

	memset(&r, 0, sizeof r);
	r.kind = k;
	r.at = at;
	r.value = (const uint8_t *)value;
	r.len = n;
	return cl_put_record(&r, e);
}

static int cl_sync(struct ag_error *e)
{
	if (fdatasync(cl.outbox_fd) == 0)
		return 0;
	return ag_fail(e, AG_E_STATE, "cluster: in force here, but the outbox "
		       "cannot be synced: %s (sent while agauthd runs)",
		       strerror(errno));
}

int cluster_publish(enum revoke_kind k, const char *value, size_t n,
		    double at, struct ag_error *e)
{
	int rc;

	if (!cl.on)
		return 0;
	/* in the outbox, synced, before the revoke is answered: a crash
	 * from here on still sends it */
	rc = cl_put(k, value, n, at, e) == 0 ? cl_sync(e) : -1;
	cl_send();
	return rc;
}

/* Redis came back empty: what is in force here goes back into the
 * stream, for hosts that missed it. */
static int cl_republish_one(void *arg, enum revoke_kind k, const char *v,
			    size_t n, double at)
{
	struct ag_error e;

	(void)arg;
	if (cl_put(k, v, n, at, &e) != 0) {
		log_warn("%s", e.msg);
		return -1;
	}
	return 0;
}

/* The latest rotation (by its activation instant) is line[0..n): kept,
 * and in cluster.rotation, for a Redis that comes back empty. */
static void cl_keep_rotation(const char *line, size_t n, double at)
{
	struct ag_error e;
	char *copy;

	if (cl.rotation != NULL && at < cl.rotation_at)
		return;
	copy = malloc(n + 1);
	if (copy == NULL)
		return;
	memcpy(copy, line, n);
	copy[n] = '\n';
	free(cl.rotation);
	cl.rotation = copy;
	cl.rotation_len = n;
	cl.rotation_at = at;
	if (statedir_replace(cl.dir, CL_ROTATION, copy, n + 1, &e) != 0)
		log_warn("cluster: %s (the latest rotation is not put back "
			 "into an empty Redis after a restart)", e.msg);
}

int cluster_rotate(const char *kid, const struct alg *alg, double at,
		   const uint8_t *text, size_t n, struct ag_error *e)
{
	struct cluster_record r;
	int rc;

	if (!cl.on)
		return ag_fail(e, AG_E_KEYRING, "this host is not in a fleet");
	memset(&r, 0, sizeof r);
	r.type = CLUSTER_ROTATION;
	snprintf(r.kid, sizeof r.kid, "%s", kid);
	r.alg = alg;
	r.at = at;
	r.value = text;
	r.len = n;
	/* in the outbox, synced, before the rotation is answered */
	rc = cl_put_record(&r, e) == 0 ? cl_sync(e) : -1;
	if (cl.enc.len > 0 && !cl.enc.err)
		cl_keep_rotation(cl.enc.p, cl.enc.len, at);
	cl_send();
	return rc;
}

/* ------------------------------------------------------------- reading */

static void cl_read(void);

/* Refused records are logged, but not one line each: a flood of forged
 * entries must not flood the log. */
static void cl_refuse(const char *id, enum cluster_verdict v)
{
	double now = clock_wall();

	cl.refused++;
	if (now - cl.logged_at < AG_CLUSTER_LOG_EVERY) {
		cl.unlogged++;
		return;
	}
	log_warn("cluster: stream entry %s refused: %s (a host with another "
		 "fleet key, or someone who may write to Redis); %llu more "
		 "refused since the last such line", id,
		 cluster_verdict_name(v), (unsigned long long)cl.unlogged);
	cl.logged_at = now;
	cl.unlogged = 0;
}

/* A rotation read from the stream: its key installed (verifying at
 * once, primary at its instant), unless held already. */
static void cl_rotation(const char *line, size_t n,
			const struct cluster_record *r)
{
	struct ag_error e;
	int rc = cl.install(r, &e);

	if (rc < 0) {
		log_err("cluster: key %s from %s not installed: %s; when that "
			"is put right, restart agauthd: it reads the record "
			"again", r->kid, r->origin, e.msg);
		/* cluster.state stays before it */
		cl.hold_id = 1;
		return;
	}
	cl_keep_rotation(line, n, r->at);
	cl.applied += rc == 0;
}

static void cl_apply(const char *id, const char *line, size_t n)
{
	struct cluster_record r;
	enum cluster_verdict v;
	enum revoke_result rc;
	struct ag_error e;
	size_t purged;

	v = cluster_record_decode(&cl.keys, line, n, &r, cl.val);
	if (v != CLUSTER_REC_OK) {
		cl_refuse(id, v);
		return;
	}
	if (r.type == CLUSTER_ROTATION) {
		cl_rotation(line, n, &r);
		/* the key's text stays nowhere */
		memset(cl.val, 0, r.len);
		return;
	}
	cl.lag_ms = clock_wall() * 1000 - strtod(id, NULL);
	/* a record in force already (ours, or sent again) changes
	 * nothing: not the log, not the cache, not the watchers */
	if (revoke_known(r.kind, (const char *)r.value, r.len, r.at))
		return;
	rc = revoke_apply(r.kind, (const char *)r.value, r.len, r.at, r.origin,
			  &purged, &e);
	if (rc == REVOKE_REFUSED) {
		log_warn("cluster: a %s revocation from %s refused here: %s",
			 revoke_kind_name(r.kind), r.origin, e.msg);
		return;
	}
	cl.applied++;
	log_info("cluster: a %s revocation from %s (%zu cache entries "
		 "purged)%s", revoke_kind_name(r.kind), r.origin, purged,
		 rc == REVOKE_IN_FORCE_NOT_PERSISTED ? "; NOT persisted" : "");
	/* not on disk here: the next start reads it again */
	if (rc == REVOKE_IN_FORCE_NOT_PERSISTED)
		cl.hold_id = 1;
}

/* One entry of XREAD's reply: [id, [field, value, ...]]. */
static void cl_entry(const redisReply *en)
{
	const redisReply *id, *f;
	size_t i;

	if (en->type != REDIS_REPLY_ARRAY || en->elements != 2 ||
	    (id = en->element[0])->type != REDIS_REPLY_STRING ||
	    !cl_id_ok(id->str, id->len) ||
	    (f = en->element[1])->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 0; i + 1 < f->elements; i += 2)
		if (f->element[i]->type == REDIS_REPLY_STRING &&
		    f->element[i]->len == 1 && f->element[i]->str[0] == 'r' &&
		    f->element[i + 1]->type == REDIS_REPLY_STRING)
			cl_apply(id->str, f->element[i + 1]->str,
				 f->element[i + 1]->len);
	memcpy(cl.last_id, id->str, id->len + 1);
}

static void cl_on_read(redisAsyncContext *ac, void *reply, void *priv)
{
	const redisReply *rp = reply, *s, *ens;
	size_t i;

	(void)priv;
	if (ac != cl.r || cl_failed(ac, rp, "XREAD"))
		return;
	ev_timer_stop(cl.loop, &cl.stall);
	/* nil: nothing new within the block */
	if (rp->type == REDIS_REPLY_ARRAY && rp->elements == 1 &&
	    (s = rp->element[0])->type == REDIS_REPLY_ARRAY &&
	    s->elements == 2 &&
	    (ens = s->element[1])->type == REDIS_REPLY_ARRAY) {
		for (i = 0; i < ens->elements; i++)
			cl_entry(ens->element[i]);
	}
	/* cluster.state follows on the save timer: its syncs stay off the
	 * way from the stream to the cache, and a start after a crash only
	 * reads again what is in force already */
	cl_read();
}

static void cl_read(void)
{
	if (cl.r == NULL || !cl.connected)
		return;
	redisAsyncCommand(cl.r, cl_on_read, NULL,
			  "XREAD COUNT %d BLOCK %d STREAMS %s %s",
			  AG_CLUSTER_READ_COUNT, AG_CLUSTER_BLOCK_MS, cl.stream,
			  cl.last_id);
	/* a Redis that hangs, or a connection lost without a word (no
	 * FIN, no RST), would stop the fleet's news for good: an XREAD
	 * not answered soon after its block ends drops the connections */
	ev_timer_set(&cl.stall, AG_CLUSTER_BLOCK_MS / 1000.0 +
		     AG_CLUSTER_STALL, 0);
	ev_timer_start(cl.loop, &cl.stall);
}

static void cl_on_stall(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	cl_drop("Redis did not answer in time", 1);
}

/* ---------------------------------------------------------------- epoch */

/* The epoch Redis holds: ours, or a new Redis (restarted empty, or
 * replaced): what is in force here goes back into the stream, which is
 * read again from its start. */
static void cl_on_epoch(redisAsyncContext *ac, void *reply, void *priv)
{
	const redisReply *rp = reply;
	struct ag_error e;
	int fresh;

	(void)priv;
	if (ac != cl.w || cl_failed(ac, rp, "GET"))
		return;
	if (rp->type != REDIS_REPLY_STRING || rp->len != CL_EPOCH_LEN) {
		cl_drop("the epoch key holds something else: another "
			"program's key under [cluster] prefix?", 1);
		return;
	}
	if (memcmp(cl.epoch, rp->str, CL_EPOCH_LEN) != 0) {
		fresh = cl.epoch[0] == '\0';
		if (!fresh)
			log_warn("cluster: Redis has a new epoch (restarted "
				 "empty, or another Redis): putting the "
				 "revocations in force here back into the "
				 "stream, and reading it from its start");
		/* and the latest rotation: a host that missed it still
		 * ends with its key */
		if (!fresh && (revoke_each(cl_republish_one, NULL) != 0 ||
			       (cl.rotation != NULL &&
				cl_put_line(cl.rotation, cl.rotation_len,
					    &e) != 0) ||
			       cl_sync(&e) != 0))
			log_warn("cluster: not every revocation (or the latest "
				 "rotation) could be put back into the "
				 "stream");
		memcpy(cl.epoch, rp->str, CL_EPOCH_LEN);
		snprintf(cl.last_id, sizeof cl.last_id, "0-0");
		cl.saved_id[0] = '\0';
		cl_save_state();
	}
	cl.connected = 1;
	cl.backoff = AG_CLUSTER_RETRY_MIN;
	cl_logged_reach(1, NULL);
	cl_send();
	cl.r = cl_open();
	if (cl.r == NULL) {
		cl_drop(cl.why, 1);
		return;
	}
	cl_read();
}

static void cl_connect(void)
{
	uint8_t raw[CL_EPOCH_LEN / 2];
	char epoch[CL_EPOCH_LEN + 1];
	int i;

	cl.w = cl_open();
	if (cl.w == NULL) {
		cl_drop(cl.why, 1);
		return;
	}
	/* the first host to reach an empty Redis names its epoch */
	if (crypto_random(raw, sizeof raw) != 0) {
		cl_drop("no random bytes", 1);
		return;
	}
	for (i = 0; i < (int)sizeof raw; i++)
		snprintf(epoch + 2 * i, 3, "%02x", raw[i]);
	redisAsyncCommand(cl.w, NULL, NULL, "SET %s %s NX", cl.epoch_key,
			  epoch);
	redisAsyncCommand(cl.w, cl_on_epoch, NULL, "GET %s", cl.epoch_key);
}

static void cl_on_save(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	cl_save_state();
}

static void cl_on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	cl_connect();
}

/* ---------------------------------------------------------------- start */

/* "host:port" resolved once (the loop never waits for a lookup), or a
 * path. */
static int cl_where(const char *a, struct ag_error *e)
{
	struct addrinfo hints, *res = NULL;
	char host[AG_CLUSTER_ADDR_MAX + 1];
	const char *colon = strrchr(a, ':');
	char *end;
	long port;
	int rc;

	if (a[0] == '/' || colon == NULL) {
		snprintf(cl.path, sizeof cl.path, "%s", a);
		snprintf(cl.where, sizeof cl.where, "%s", a);
		return 0;
	}
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535 || colon == a)
		return ag_fail(e, AG_E_CONFIG, "[cluster] redis = %s: want a "
			       "Unix socket path or host:port", a);
	snprintf(host, sizeof host, "%.*s", (int)(colon - a), a);
	/* [::1]:6379 */
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0)
		return ag_fail(e, AG_E_CONFIG, "[cluster] redis = %s: %s", a,
			       gai_strerror(rc));
	if (res->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr,
			  cl.ip, sizeof cl.ip);
	else
		inet_ntop(AF_INET6,
			  &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr,
			  cl.ip, sizeof cl.ip);
	freeaddrinfo(res);
	cl.port = (int)port;
	snprintf(cl.where, sizeof cl.where, "%s port %ld", cl.ip, port);
	return 0;
}

/* A secret file (the fleet key, Redis's password) as key files are read:
 * owner only, through locked memory. */
static int cl_secret(const char *path, unsigned char *buf, size_t cap,
		     size_t *len, struct ag_error *e)
{
	if (keyring_read_file(path, buf, cap, len, e) != 0)
		return -1;
	/* one trailing newline is the file's */
	if (*len > 0 && buf[*len - 1] == '\n')
		(*len)--;
	if (*len > 0 && buf[*len - 1] == '\r')
		(*len)--;
	return 0;
}

static int cl_keys(const struct config *cfg, struct ag_error *e)
{
	size_t cap = B64_STD_ENC_LEN(AG_CLUSTER_KEY_MAX) + 8, len = 0;
	unsigned char *text = secmem_alloc(2 * cap);
	long n;
	int rc = -1;

	if (text == NULL)
		return ag_fail(e, AG_E_NOMEM, "no locked memory left for the "
			       "fleet key");
	if (cl_secret(cfg->cluster_key, text, cap, &len, e) != 0)
		goto out;
	n = b64url_decode_std(text + cap, (const char *)text, len);
	if (n < 0) {
		ag_fail(e, AG_E_CONFIG, "%s: not a fleet key (base64 of %d to "
			"%d bytes): make one with agauthctl keygen --type "
			"cluster", cfg->cluster_key, AG_CLUSTER_KEY_MIN,
			AG_CLUSTER_KEY_MAX);
		goto out;
	}
	rc = cluster_keys_derive(&cl.keys, text + cap, (size_t)n, e);
out:
	memset(text, 0, 2 * cap);
	secmem_free(text);
	return rc;
}

static int cl_password(const struct config *cfg, struct ag_error *e)
{
	if (cfg->cluster_password_file[0] == '\0')
		return 0;
	cl.password = secmem_alloc(AG_CLUSTER_PASSWORD_MAX);
	if (cl.password == NULL)
		return ag_fail(e, AG_E_NOMEM, "no locked memory left for the "
			       "Redis password");
	return cl_secret(cfg->cluster_password_file,
			 (unsigned char *)cl.password, AG_CLUSTER_PASSWORD_MAX,
			 &cl.password_len, e);
}

static int cl_names(const struct config *cfg, struct ag_error *e)
{
	if (cfg->cluster_name[0] != '\0')
		snprintf(cl.name, sizeof cl.name, "%s", cfg->cluster_name);
	else if (gethostname(cl.name, sizeof cl.name) != 0)
		cl.name[0] = '\0';
	cl.name[sizeof cl.name - 1] = '\0';
	if (!cluster_name_ok(cl.name, strlen(cl.name)))
		return ag_fail(e, AG_E_CONFIG, "[cluster] name '%s': want 1 to "
			       "%d letters, digits, '.', '_' or '-' (set it: the "
			       "host name does not fit)", cl.name,
			       AG_CLUSTER_NAME_MAX);
	snprintf(cl.stream, sizeof cl.stream, "%srevocations",
		 cfg->cluster_prefix);
	snprintf(cl.epoch_key, sizeof cl.epoch_key, "%sepoch",
		 cfg->cluster_prefix);
	snprintf(cl.user, sizeof cl.user, "%s", cfg->cluster_user);
	snprintf(cl.dir, sizeof cl.dir, "%s", cfg->state_dir);
	return 0;
}

int cluster_start(struct ev_loop *loop, const struct config *cfg,
		  cluster_install_fn *install, struct ag_error *e)
{
	if (cfg->cluster_redis[0] == '\0')
		return 0;
	cl.loop = loop;
	cl.backoff = AG_CLUSTER_RETRY_MIN;
	/* the longest a record matters: a jti or subject record's horizon,
	 * and tokens' lifetimes (a token record lives to its exp) */
	cl.retain = fmax(cfg->revoke_horizon, cfg->default_expiry);
	cl.install = install;
	/* a rotation's key is decoded into it */
	cl.val = secmem_alloc(CLUSTER_VALUE_CAP);
	buf_init(&cl.enc, CLUSTER_RECORD_MAX + 1);
	if (cl.val == NULL)
		return ag_fail(e, AG_E_NOMEM, NULL);
	if (cl_names(cfg, e) != 0 || cl_where(cfg->cluster_redis, e) != 0 ||
	    cl_keys(cfg, e) != 0 || cl_password(cfg, e) != 0 ||
	    cl_load_state(e) != 0 || cl_load_outbox(e) != 0 ||
	    cl_load_rotation(e) != 0) {
		cluster_stop();
		return -1;
	}
	cl.on = 1;
	cl.reachable = -1;
	ev_timer_init(&cl.retry, cl_on_retry, 0, 0);
	ev_timer_init(&cl.stall, cl_on_stall, 0, 0);
	ev_timer_init(&cl.save, cl_on_save, AG_CLUSTER_SAVE_EVERY,
		      AG_CLUSTER_SAVE_EVERY);
	ev_timer_start(loop, &cl.save);
	log_info("cluster: host %s of fleet %s, Redis at %s", cl.name,
		 cl.keys.fleet, cl.where);
	cl_connect();
	return 0;
}

void cluster_stop(void)
{
	struct cl_msg *m;

	if (cl.loop != NULL && cl.on) {
		ev_timer_stop(cl.loop, &cl.retry);
		ev_timer_stop(cl.loop, &cl.save);
		cl_save_state();
	}
	cl_drop(NULL, 0);
	while ((m = cl.head) != NULL) {
		cl.head = m->next;
		free(m);
	}
	if (cl.outbox_fd >= 0)
		close(cl.outbox_fd);
	if (cl.password != NULL) {
		memset(cl.password, 0, AG_CLUSTER_PASSWORD_MAX);
		secmem_free(cl.password);
	}
	cluster_keys_drop(&cl.keys);
	secmem_free(cl.val);
	free(cl.rotation);
	buf_free(&cl.enc);
	memset(&cl, 0, sizeof cl);
	cl.tail = &cl.head;
	cl.outbox_fd = -1;
}

void cluster_stats(struct cluster_stats *s)
{
	memset(s, 0, sizeof *s);
	if (!cl.on)
		return;
	s->enabled = 1;
	s->connected = cl.connected;
	snprintf(s->last_id, sizeof s->last_id, "%s", cl.last_id);
	s->outbox = cl.queued;
	s->applied = cl.applied;
	s->refused = cl.refused;
	s->lag_ms = cl.lag_ms;
}
