/*
 * daemon_torture.c - cache_torture's counterpart against the real daemon.
 * A real agauthd runs in a temporary directory with a small cache (so
 * that it evicts all the time); one writer process signs, verifies,
 * forges, revokes subjects and single tokens and rotates keys through
 * libagauth at full speed, while reader processes, each with its own
 * libagauth handle and cache mapping, hammer agauth_cache_lookup with
 * valid, expired, revoked, rotated-out and forged tokens.
 *
 * The soundness rule is cache_torture's: the writer declares a token dead
 * only after the daemon's revoke or reload reply came back, and a reader
 * reads that flag before its lookup.  A lookup that began after the token
 * was declared dead must never hit; forged and expired tokens must never
 * hit at all (expired ones are refused with TokenExpiredError, or miss).
 * The daemon's own verify answers are checked the same way.  Every
 * sixteenth token has a payload only the cache's large slots hold.  At
 * the end a fresh handle maps the cache, as any peer with the verify
 * right can, and the whole mapping is scanned for the signature of every
 * token issued: none may be there.
 *
 *   daemon_torture AGAUTHD [SECONDS [READERS]]
 *
 * Exit 0 iff nothing was falsely accepted, no token is recoverable from
 * the mapping, every answer was the expected one, and every category was
 * exercised (valid hits, lookups of revoked
 * and of rotated-out tokens, lookups of forgeries).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/lib/agauth.h"
#include "tests/torture/scan.h"
#include "tests/torture/truth.h"

#define DT_TOKENS    100000
#define DT_SUBJECTS  256
#define DT_READERS   8
#define DT_RECENT    512          /* a "recent" pick is among these */
#define DT_PATH      256
#define DT_SHOW      5            /* wrong answers shown, per process */
#define DT_LOG_TAIL  40           /* lines of agauthd's log on failure */

/* how often, in seconds, the writer revokes and rotates */
#define DT_EVERY_SUB   0.02
#define DT_EVERY_TOK   0.005
#define DT_EVERY_ROT   0.25

struct dt_counts {
	uint64_t lookups, hits[TRUTH_KINDS], dead_lookups[3];
	uint64_t kind_lookups[TRUTH_KINDS], expired_refused;
	uint64_t false_accepts, wrong;
	int failed;                  /* could not attach, ... */
};

struct dt_shared {
	_Atomic uint32_t published;  /* tokens [0, published) are readable */
	_Atomic int stop;
	struct dt_counts readers[DT_READERS];
	struct truth_token t[DT_TOKENS];
};

struct dt_wstats {
	uint64_t signs, verifies, sub_revokes, tok_revokes, rotations;
	uint64_t forged, expired, false_accepts, wrong, errors;
};

static struct dt_shared *sh;
static char dir[128], sock[DT_PATH];
static pid_t daemon_pid = -1;
static uint32_t rot;
/* no token of a subject is signed before this time: its revocation's
 * second must be over, so that no new token falls under it */
static double sub_blocked[DT_SUBJECTS];

static double dt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void dt_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------- files */

static int dt_write(const char *name, const char *text, mode_t mode)
{
	char path[DT_PATH + 64], tmp[DT_PATH + 72];
	size_t n = strlen(text);
	int fd, rc = 0;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) != 0 ||
	    write(fd, text, n) != (ssize_t)n)
		rc = -1;
	if (fd >= 0 && close(fd) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "daemon_torture: %s: %s\n", path,
			strerror(errno));
	return rc;
}

/* keys/rN.key: a fresh HS256 secret, 64 hex characters, encoding text */
static int dt_keyfile(uint32_t r)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32];
	char text[2 * sizeof raw + 1], name[32];
	size_t i;

	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return -1;
	for (i = 0; i < sizeof raw; i++) {
		text[2 * i] = hex[raw[i] >> 4];
		text[2 * i + 1] = hex[raw[i] & 15];
	}
	text[2 * sizeof raw] = '\0';
	snprintf(name, sizeof name, "keys/r%u.key", r);
	return dt_write(name, text, 0600);
}

/* The manifest of rotation r: rR primary, rR-1 verify (no retire), the
 * ones before gone. */
static int dt_manifest(uint32_t r)
{
	char text[512];

	snprintf(text, sizeof text,
		 "[key r%u]\nfile = keys/r%u.key\nencoding = text\n"
		 "algorithm = HS256\nstate = primary\n\n"
		 "[key r%u]\nfile = keys/r%u.key\nencoding = text\n"
		 "algorithm = HS256\nstate = verify\n",
		 r, r, r - 1, r - 1);
	return dt_write("keyring.conf", text, 0600);
}

static int dt_config(void)
{
	char text[2048];
	unsigned uid = (unsigned)getuid();

	/* small: 512 slots of 512 bytes, evictions all the time */
	snprintf(text, sizeof text,
		 "[daemon]\nlog_level = info\nthreads = 1\nstate_dir = %s\n\n"
		 "[socket]\npath = %s\nmode = 0600\n\n"
		 "[keys]\nkeyring = %s/keyring.conf\n\n"
		 "[access]\nsign = uid:%u\nverify = uid:%u\nadmin = uid:%u\n\n"
		 "[cache]\nsize = 1M\nslot = 512\n",
		 dir, sock, dir, uid, uid, uid);
	return dt_write("agauthd.conf", text, 0600);
}

static int dt_setup(void)
{
	char keys[DT_PATH + 8];
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/agauthd-dtorture-XXXXXX",
		 tmp != NULL && *tmp != '\0' && strlen(tmp) < 100 ? tmp :
		 "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sock, sizeof sock, "%s/agauthd.sock", dir);
	snprintf(keys, sizeof keys, "%s/keys", dir);
	if (mkdir(keys, 0700) != 0)
		return -1;
	rot = 1;
	return dt_keyfile(0) != 0 || dt_keyfile(1) != 0 ||
	       dt_manifest(1) != 0 || dt_config() != 0 ? -1 : 0;
}

static int dt_rm1(const char *path, const struct stat *st, int flag,
		  struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int dt_rmtree(void)
{
	return nftw(dir, dt_rm1, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------ daemon */

/* A child that outlives this program (killed half way) gets sig. */
static void dt_orphan_guard(int sig)
{
	if (prctl(PR_SET_PDEATHSIG, sig) != 0 || getppid() == 1)
		_exit(127);
}

static int dt_spawn(const char *path)
{
	char conf[DT_PATH + 16], log[DT_PATH + 16];
	char *const argv[] = { (char *)(uintptr_t)path, "-c", conf, NULL };
	int fd;

	snprintf(conf, sizeof conf, "%s/agauthd.conf", dir);
	snprintf(log, sizeof log, "%s/agauthd.log", dir);
	daemon_pid = fork();
	if (daemon_pid != 0)
		return daemon_pid > 0 ? 0 : -1;
	dt_orphan_guard(SIGTERM);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(127);
	execv(path, argv);
	fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
	_exit(127);
}

/* Polls until the daemon answers a hello (10 s at most). */
static int dt_wait_ready(void)
{
	struct agauth_error e;
	agauth_t *a;
	int i, status;

	for (i = 0; i < 1000; i++) {
		if (waitpid(daemon_pid, &status, WNOHANG) == daemon_pid) {
			daemon_pid = -1;
			fprintf(stderr, "daemon_torture: agauthd exited "
				"(status %d) before it listened\n", status);
			return -1;
		}
		a = agauth_open(sock, &e);
		if (a != NULL) {
			agauth_close(a);
			return 0;
		}
		dt_sleep_ms(10);
	}
	fprintf(stderr, "daemon_torture: agauthd did not listen: %s\n",
		e.message);
	return -1;
}

/* SIGTERM, then waits up to 10 s (SIGKILL after): 0 iff it exited 0. */
static int dt_stop_daemon(void)
{
	int i, status = -1;

	if (daemon_pid <= 0)
		return -1;
	kill(daemon_pid, SIGTERM);
	for (i = 0; i < 1000; i++) {
		if (waitpid(daemon_pid, &status, WNOHANG) == daemon_pid)
			break;
		dt_sleep_ms(10);
	}
	if (i == 1000) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, &status, 0);
		fprintf(stderr, "daemon_torture: agauthd ignored SIGTERM\n");
	}
	daemon_pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "daemon_torture: agauthd exit status %d\n",
			status);
		return -1;
	}
	return 0;
}

/* The last lines of agauthd's log, for a run that failed. */
static void dt_show_log(void)
{
	static char ring[DT_LOG_TAIL][256];
	char path[DT_PATH + 16];
	unsigned n = 0, i;
	FILE *f;

	snprintf(path, sizeof path, "%s/agauthd.log", dir);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(ring[n % DT_LOG_TAIL], sizeof ring[0], f) != NULL)
		n++;
	fclose(f);
	fprintf(stderr, "---- last lines of agauthd's log ----\n");
	for (i = n > DT_LOG_TAIL ? n - DT_LOG_TAIL : 0; i < n; i++)
		fputs(ring[i % DT_LOG_TAIL], stderr);
}

/* ------------------------------------------------------------ reader */

/* Index of a published token: a recent one half the time (they are
 * the ones the small cache holds), else any. */
static uint32_t dt_pick(uint32_t n, unsigned *seed)
{
	uint32_t k = n < DT_RECENT ? n : DT_RECENT;

	if (rand_r(seed) & 1)
		return n - 1 - (uint32_t)rand_r(seed) % k;
	return (uint32_t)rand_r(seed) % n;
}

/* The "n" claim of a hit's payload: it must be the token's own. */
static int dt_own_payload(const struct truth_token *t,
			  const struct agauth_verified *v)
{
	const char *p = v->payload != NULL ? strstr(v->payload, "\"n\":") :
			NULL;

	return p != NULL && strtoul(p + 4, NULL, 10) == t->n;
}

static void dt_show(const struct truth_token *t, uint8_t dead,
		    const char *what, const char *msg)
{
	static const char *const kinds[] = { "valid", "expired", "forged" };
	static const char *const deaths[] = { "live", "revoked",
					      "rotated out" };

	fprintf(stderr, "%s%s%s%s: %s token n=%u sub=user%u key r%u (%s "
		"before the lookup): %s\n", what, *msg ? " (" : "", msg,
		*msg ? ")" : "", kinds[t->kind], t->n, t->sub, t->rot,
		deaths[dead], t->tok);
}

static void dt_count(struct dt_counts *c, const struct truth_token *t,
		     uint8_t dead, int res, const struct agauth_verified *v,
		     const struct agauth_error *e)
{
	c->lookups++;
	c->kind_lookups[t->kind]++;
	if (dead != TRUTH_LIVE)
		c->dead_lookups[dead]++;
	if (res == AGAUTH_CACHE_VALID) {
		c->hits[t->kind]++;
		if (t->kind == TRUTH_VALID && dead == TRUTH_LIVE &&
		    dt_own_payload(t, v))
			return;
		if (++c->false_accepts <= DT_SHOW)
			dt_show(t, dead, "false accept", "");
		return;
	}
	if (res != AGAUTH_CACHE_REJECTED)
		return;
	/* only a live expired token may be refused from the cache, and
	 * only as expired: any other answer means the cache held what it
	 * should not (a purged entry, a forgery) or lost its mind */
	if (t->kind == TRUTH_EXPIRED && dead == TRUTH_LIVE &&
	    strcmp(e->name, "TokenExpiredError") == 0)
		c->expired_refused++;
	else if (++c->wrong <= DT_SHOW)
		dt_show(t, dead, "refused from the cache", e->message);
}

static void dt_reader(int r, double deadline)
{
	struct dt_counts *c = &sh->readers[r];
	struct agauth_verified v;
	struct agauth_error e;
	const struct truth_token *t;
	unsigned seed = (unsigned)getpid();
	agauth_t *a;
	uint32_t n;
	uint8_t dead;
	int res;

	dt_orphan_guard(SIGKILL);
	a = agauth_open(sock, &e);
	if (a == NULL || agauth_cache_attach(a, &e) != AGAUTH_OK) {
		fprintf(stderr, "reader %d: %s\n", r, e.message);
		c->failed = 1;
		_exit(2);
	}
	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
		n = atomic_load_explicit(&sh->published, memory_order_acquire);
		if (n == 0)
			continue;
		t = &sh->t[dt_pick(n, &seed)];
		dead = atomic_load_explicit(&t->dead, memory_order_acquire);
		res = agauth_cache_lookup(a, t->tok, NULL, &v, &e);
		dt_count(c, t, dead, res, &v, &e);
		agauth_verified_free(&v);
		/* a writer that died must not leave readers spinning */
		if ((c->lookups & 0xffff) == 0 && dt_now() > deadline)
			break;
	}
	/* report the hits to the daemon's stats */
	agauth_ping(a, NULL);
	agauth_close(a);
	_exit(0);
}

/* ------------------------------------------------------------ writer */

/* Valid and expired tokens die (a forgery was never alive). */

static void dt_kill_sub(uint32_t n, uint16_t s)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (sh->t[i].kind != TRUTH_FORGED && sh->t[i].sub == s)
			atomic_store_explicit(&sh->t[i].dead, TRUTH_REVOKED,
					      memory_order_release);
}

static void dt_kill_rot(uint32_t n, uint32_t r)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (sh->t[i].kind != TRUTH_FORGED && sh->t[i].rot == r)
			atomic_store_explicit(&sh->t[i].dead, TRUTH_ROTATED,
					      memory_order_release);
}

/* A subject whose revocation second is over, or -1. */
static int dt_subject(unsigned *seed, double now)
{
	int s = rand_r(seed) % DT_SUBJECTS, k;

	for (k = 0; k < DT_SUBJECTS; k++, s = (s + 1) % DT_SUBJECTS)
		if (now >= sub_blocked[s])
			return s;
	return -1;
}

/* Signs a new valid or expired token into slot n (not yet published). */
static int dt_sign(agauth_t *a, uint32_t n, enum truth_kind kind,
		   unsigned *seed, struct dt_wstats *w)
{
	struct truth_token *t = &sh->t[n];
	struct agauth_error e;
	char payload[1200], pad[1000], *tok = NULL;
	double now = dt_now();
	int s = dt_subject(seed, now), np = n % 16 == 7 ? (int)sizeof pad : 0;
	size_t len;

	if (s < 0)
		return -1;
	/* one in sixteen too long for a 512-byte slot */
	memset(pad, 'p', sizeof pad);
	/* expired from the start: jsonwebtoken takes a past exp as is */
	if (kind == TRUTH_EXPIRED)
		snprintf(payload, sizeof payload,
			 "{\"sub\":\"user%d\",\"n\":%u,\"exp\":%.0f,"
			 "\"pad\":\"%.*s\"}", s, n, now - 100, np, pad);
	else
		snprintf(payload, sizeof payload,
			 "{\"sub\":\"user%d\",\"n\":%u,\"pad\":\"%.*s\"}", s,
			 n, np, pad);
	w->signs++;
	if (agauth_sign(a, payload, NULL, &tok, NULL, &e) != AGAUTH_OK) {
		fprintf(stderr, "sign: %s: %s\n", e.name, e.message);
		w->errors++;
		return -1;
	}
	len = strlen(tok);
	if (len >= TRUTH_TOKLEN) {
		free(tok);
		w->errors++;
		return -1;
	}
	memcpy(t->tok, tok, len + 1);
	free(tok);
	t->len = (uint16_t)len;
	t->kind = (uint8_t)kind;
	t->sub = (uint16_t)s;
	t->n = n;
	t->rot = rot;
	atomic_store_explicit(&t->dead, TRUTH_LIVE, memory_order_relaxed);
	return 0;
}

/* A forgery of token v into slot n: one signature character changed to
 * another base64url character, same length. */
static void dt_forge(uint32_t n, uint32_t v, unsigned *seed)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789-_";
	struct truth_token *t = &sh->t[n];
	const struct truth_token *o = &sh->t[v];
	const char *dot = strrchr(o->tok, '.');
	size_t sig = (size_t)(dot + 1 - o->tok), i;
	char c;

	memcpy(t->tok, o->tok, sizeof t->tok);
	t->len = o->len;
	t->kind = TRUTH_FORGED;
	t->sub = o->sub;
	t->n = o->n;
	t->rot = o->rot;
	atomic_store_explicit(&t->dead, TRUTH_LIVE, memory_order_relaxed);
	i = sig + (size_t)rand_r(seed) % (o->len - sig);
	do
		c = b64[rand_r(seed) % 64];
	while (c == o->tok[i]);
	t->tok[i] = c;
}

/* One new token: a forgery of a valid one a tenth of the time, expired
 * a tenth, else valid; published once it is complete. */
static void dt_new_token(agauth_t *a, unsigned *seed, struct dt_wstats *w)
{
	uint32_t n = atomic_load_explicit(&sh->published,
					  memory_order_relaxed);
	uint32_t v = n > 0 ? (uint32_t)rand_r(seed) % n : 0;
	int s = rand_r(seed) % 10;

	if (n >= DT_TOKENS)
		return;
	/* forgeries of real tokens only: a forgery of a forgery may well
	 * be the real one */
	if (s == 0 && n > 0 && sh->t[v].kind == TRUTH_VALID) {
		dt_forge(n, v, seed);
		w->forged++;
	} else if (dt_sign(a, n, s == 1 ? TRUTH_EXPIRED : TRUTH_VALID, seed,
			   w) != 0) {
		return;
	} else {
		w->expired += s == 1;
	}
	atomic_store_explicit(&sh->published, n + 1, memory_order_release);
}

/* Verifies a published token through the daemon (which caches what it
 * accepts) and checks the daemon's answer against the truth. */
static void dt_verify(agauth_t *a, unsigned *seed, struct dt_wstats *w)
{
	uint32_t n = atomic_load_explicit(&sh->published,
					  memory_order_relaxed);
	const struct truth_token *t;
	struct agauth_verified v;
	struct agauth_error e;
	enum agauth_status st;
	int dead;

	if (n == 0)
		return;
	t = &sh->t[dt_pick(n, seed)];
	dead = atomic_load_explicit(&t->dead, memory_order_relaxed);
	/* expired ones only by signature, so that they enter the cache and
	 * readers have expired entries to refuse */
	st = agauth_verify(a, t->tok, t->kind == TRUTH_EXPIRED ?
			   "{\"ignoreExpiration\":true}" : NULL, &v, &e);
	w->verifies++;
	if (st == AGAUTH_OK && (t->kind == TRUTH_FORGED || dead != TRUTH_LIVE ||
				!dt_own_payload(t, &v))) {
		if (++w->false_accepts <= DT_SHOW)
			dt_show(t, (uint8_t)dead, "daemon's false accept", "");
	} else if (st != AGAUTH_OK &&
		   ((t->kind != TRUTH_FORGED && dead == TRUTH_LIVE) ||
		    st != AGAUTH_INVALID)) {
		/* a live token refused, or a dead one for another reason
		 * than an invalid token */
		if (++w->wrong <= DT_SHOW)
			dt_show(t, (uint8_t)dead, "daemon refused", e.message);
	}
	agauth_verified_free(&v);
}

/* Logs a subject out everywhere; no token of it is signed until the
 * revocation's second is over. */
static void dt_revoke_sub(agauth_t *a, unsigned *seed, struct dt_wstats *w)
{
	uint32_t n = atomic_load_explicit(&sh->published,
					  memory_order_relaxed);
	uint16_t s = (uint16_t)(rand_r(seed) % DT_SUBJECTS);
	struct agauth_error e;
	char sub[16];
	double after;

	snprintf(sub, sizeof sub, "user%u", s);
	/* blocked from before the request: its second is the daemon's */
	sub_blocked[s] = 1e300;
	if (agauth_revoke(a, "sub", sub, NULL, &e) != AGAUTH_OK) {
		fprintf(stderr, "revoke sub: %s\n", e.message);
		w->errors++;
		return;
	}
	after = dt_now();
	/* every token of s signed so far has iat <= now: all covered */
	dt_kill_sub(n, s);
	sub_blocked[s] = (double)(long long)after + 1;
	w->sub_revokes++;
}

/* Revokes one valid token by its bytes. */
static void dt_revoke_token(agauth_t *a, unsigned *seed, struct dt_wstats *w)
{
	uint32_t n = atomic_load_explicit(&sh->published,
					  memory_order_relaxed);
	struct truth_token *t;
	struct agauth_error e;

	if (n == 0)
		return;
	t = &sh->t[dt_pick(n, seed)];
	if (t->kind != TRUTH_VALID)
		return;
	if (agauth_revoke(a, "token", t->tok, NULL, &e) != AGAUTH_OK) {
		fprintf(stderr, "revoke token: %s\n", e.message);
		w->errors++;
		return;
	}
	atomic_store_explicit(&t->dead, TRUTH_REVOKED, memory_order_release);
	w->tok_revokes++;
}

/* A new primary, the previous one verifies, the one before leaves: its
 * tokens are dead once the reload has replied. */
static int dt_rotate(agauth_t *a, struct dt_wstats *w)
{
	uint32_t n = atomic_load_explicit(&sh->published,
					  memory_order_relaxed);
	struct agauth_error e;
	char old[DT_PATH + 32];

	if (dt_keyfile(rot + 1) != 0 || dt_manifest(rot + 1) != 0)
		return -1;
	if (agauth_reload(a, NULL, &e) != AGAUTH_OK) {
		fprintf(stderr, "reload: %s\n", e.message);
		return -1;
	}
	rot++;
	dt_kill_rot(n, rot - 2);
	snprintf(old, sizeof old, "%s/keys/r%u.key", dir, rot - 2);
	unlink(old);
	w->rotations++;
	return 0;
}

static int dt_writer(agauth_t *a, double seconds, struct dt_wstats *w)
{
	double start = dt_now(), now = start, next_sub = start,
	       next_tok = start, next_rot = start + DT_EVERY_ROT;
	unsigned seed = (unsigned)getpid();
	uint64_t ops = 0;

	while (now < start + seconds) {
		ops++;
		if (ops % 4 == 0)
			dt_new_token(a, &seed, w);
		else
			dt_verify(a, &seed, w);
		now = dt_now();
		if (now >= next_sub) {
			dt_revoke_sub(a, &seed, w);
			next_sub = now + DT_EVERY_SUB;
		}
		if (now >= next_tok) {
			dt_revoke_token(a, &seed, w);
			next_tok = now + DT_EVERY_TOK;
		}
		if (now >= next_rot) {
			if (dt_rotate(a, w) != 0)
				return -1;
			next_rot = now + DT_EVERY_ROT;
		}
		if (w->errors > 100)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ report */

/* The number after "key": in the stats JSON, 0 if absent. */
static unsigned long long dt_stat(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	p = json != NULL ? strstr(json, pat) : NULL;
	return p != NULL ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

static void dt_sum(struct dt_counts *sum, int readers)
{
	const struct dt_counts *c;
	int r, k;

	memset(sum, 0, sizeof *sum);
	for (r = 0; r < readers; r++) {
		c = &sh->readers[r];
		sum->lookups += c->lookups;
		sum->false_accepts += c->false_accepts;
		sum->wrong += c->wrong;
		sum->expired_refused += c->expired_refused;
		sum->failed |= c->failed;
		for (k = 0; k < TRUTH_KINDS; k++) {
			sum->hits[k] += c->hits[k];
			sum->kind_lookups[k] += c->kind_lookups[k];
		}
		for (k = 0; k < 3; k++)
			sum->dead_lookups[k] += c->dead_lookups[k];
	}
}

static void dt_report(double seconds, int readers,
		      const struct dt_counts *s, const struct dt_wstats *w,
		      const char *stats)
{
	printf("daemon torture: %.1f s, %d reader processes, %llu lookups, "
	       "%llu valid hits\n", seconds, readers,
	       (unsigned long long)s->lookups,
	       (unsigned long long)s->hits[TRUTH_VALID]);
	printf("  writer: %llu signs, %llu verifies, %llu revocations "
	       "(%llu subjects, %llu tokens), %llu rotations, %u tokens "
	       "(%llu forged, %llu expired)\n",
	       (unsigned long long)w->signs, (unsigned long long)w->verifies,
	       (unsigned long long)(w->sub_revokes + w->tok_revokes),
	       (unsigned long long)w->sub_revokes,
	       (unsigned long long)w->tok_revokes,
	       (unsigned long long)w->rotations,
	       atomic_load(&sh->published), (unsigned long long)w->forged,
	       (unsigned long long)w->expired);
	printf("  daemon: %llu cache_inserts, %llu cache_evictions, "
	       "%llu revocations, %llu cache_hits reported\n",
	       dt_stat(stats, "cache_inserts"),
	       dt_stat(stats, "cache_evictions"),
	       dt_stat(stats, "revocations"), dt_stat(stats, "cache_hits"));
	printf("  lookups of dead tokens: %llu revoked, %llu rotated out; "
	       "of forged %llu (hits %llu), of expired %llu (hits %llu, "
	       "refused as expired %llu)\n",
	       (unsigned long long)s->dead_lookups[TRUTH_REVOKED],
	       (unsigned long long)s->dead_lookups[TRUTH_ROTATED],
	       (unsigned long long)s->kind_lookups[TRUTH_FORGED],
	       (unsigned long long)s->hits[TRUTH_FORGED],
	       (unsigned long long)s->kind_lookups[TRUTH_EXPIRED],
	       (unsigned long long)s->hits[TRUTH_EXPIRED],
	       (unsigned long long)s->expired_refused);
	printf("  wrong answers: %llu from the cache, %llu from the daemon\n",
	       (unsigned long long)s->wrong, (unsigned long long)w->wrong);
	printf("  false accepts: %llu\n",
	       (unsigned long long)(s->false_accepts + w->false_accepts));
}

/*
 * A fresh handle maps the cache as any peer with the verify right may,
 * and the mapping (found by its memfd's name in /proc/self/maps) is
 * scanned for every token issued: how many are recoverable, -1 if the
 * scan could not be made.
 */
static long dt_scan_cache(void)
{
	struct agauth_error e;
	agauth_t *a = agauth_open(sock, &e);
	unsigned long lo, hi;
	char line[512];
	long found = -1;
	FILE *f;

	if (a == NULL || agauth_cache_attach(a, &e) != AGAUTH_OK) {
		fprintf(stderr, "scan: %s\n", e.message);
		agauth_close(a);
		return -1;
	}
	f = fopen("/proc/self/maps", "r");
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (strstr(line, "memfd:agauthd-cache") != NULL &&
		    sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			found = scan_tokens((const uint8_t *)lo, hi - lo, sh->t,
					    atomic_load(&sh->published));
	if (f != NULL)
		fclose(f);
	agauth_close(a);
	return found;
}

/* Stops the readers: 0 iff every one exited 0. */
static int dt_join(const pid_t *pid, int readers)
{
	int r, status, bad = 0;

	atomic_store(&sh->stop, 1);
	for (r = 0; r < readers; r++)
		if (pid[r] > 0 && (waitpid(pid[r], &status, 0) != pid[r] ||
				   !WIFEXITED(status) ||
				   WEXITSTATUS(status) != 0))
			bad = 1;
	return bad ? -1 : 0;
}

/* Every category exercised, nothing false, nothing wrong. */
static int dt_verdict(const struct dt_counts *s, const struct dt_wstats *w)
{
	return s->false_accepts == 0 && w->false_accepts == 0 &&
	       s->wrong == 0 && w->wrong == 0 && w->errors == 0 &&
	       !s->failed && s->hits[TRUTH_VALID] > 0 &&
	       s->dead_lookups[TRUTH_REVOKED] > 0 &&
	       s->dead_lookups[TRUTH_ROTATED] > 0 &&
	       s->kind_lookups[TRUTH_FORGED] > 0 &&
	       s->kind_lookups[TRUTH_EXPIRED] > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	double seconds = argc > 2 ? atof(argv[2]) : 3;
	int readers = argc > 3 ? atoi(argv[3]) : 3, r, bad = 0;
	pid_t pid[DT_READERS];
	struct dt_wstats w;
	struct dt_counts sum;
	struct agauth_error e;
	agauth_t *a = NULL;
	char *stats = NULL;
	long recoverable;

	if (argc < 2) {
		fprintf(stderr, "usage: daemon_torture AGAUTHD [SECONDS "
			"[READERS]]\n");
		return 64;
	}
	if (readers < 1 || readers > DT_READERS)
		readers = 3;
	if (seconds <= 0 || seconds > 600)
		seconds = 3;
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || dt_setup() != 0) {
		fprintf(stderr, "daemon_torture: setup failed\n");
		return 2;
	}
	if (dt_spawn(argv[1]) != 0 || dt_wait_ready() != 0) {
		dt_show_log();
		dt_stop_daemon();
		dt_rmtree();
		return 2;
	}
	memset(pid, 0, sizeof pid);
	for (r = 0; r < readers; r++) {
		pid[r] = fork();
		if (pid[r] == 0)
			dt_reader(r, dt_now() + seconds + 30);
	}
	memset(&w, 0, sizeof w);
	a = agauth_open(sock, &e);
	if (a == NULL || dt_writer(a, seconds, &w) != 0)
		bad = 1;
	if (dt_join(pid, readers) != 0)
		bad = 1;
	/* after the readers' pings: their hits are in */
	if (a != NULL && agauth_stats(a, &stats, &e) != AGAUTH_OK)
		bad = 1;
	agauth_close(a);
	recoverable = dt_scan_cache();
	dt_sum(&sum, readers);
	dt_report(seconds, readers, &sum, &w, stats);
	printf("  tokens recoverable from the mapping: %ld of %u issued\n",
	       recoverable, atomic_load(&sh->published));
	fflush(stdout);
	free(stats);
	if (dt_stop_daemon() != 0)
		bad = 1;
	if (recoverable != 0)
		bad = 1;
	if (bad || dt_verdict(&sum, &w) != 0)
		dt_show_log();
	if (dt_rmtree() != 0)
		bad = 1;
	/* a run that hit nothing valid, or never met a dead token, proved
	 * nothing */
	return bad || dt_verdict(&sum, &w) != 0;
}
