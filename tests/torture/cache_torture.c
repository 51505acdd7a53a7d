/*
 * cache_torture.c - the cache's writer (the daemon's own module) inserts,
 * evicts, rotates keys and revokes at full speed while reader processes,
 * each with its own read-only mapping, hammer lookups with valid,
 * expired, revoked, rotated-out and forged tokens.  A reader that sees a
 * token declared dead (after the writer finished purging it) must never
 * hit it; forged and expired tokens must never hit at all.  Every
 * sixteenth token has a payload only the large slots hold.  At every
 * rotation and at the end the whole mapping is scanned for the signature
 * of every token issued: none may be there (the cache keeps a digest).
 *
 *   cache_torture [SECONDS [READERS]]     exit 0 iff no false accept and
 *                                         no token recoverable
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/cachew.h"
#include "shared/cache.h"
#include "tests/torture/scan.h"
#include "tests/torture/truth.h"
#include "tests/unit/fixture.h"

#define TT_TOKENS   100000
#define TT_SUBJECTS 512
#define TT_READERS  8

struct tt_counts {
	uint64_t lookups, hits[TRUTH_KINDS], dead_lookups[3], false_accepts;
};

struct tt_shared {
	_Atomic uint32_t published;  /* tokens [0, published) are readable */
	_Atomic int stop;
	struct tt_counts readers[TT_READERS];
	struct truth_token t[TT_TOKENS];
};

static struct tt_shared *sh;
static char dir[64];
static struct keyring *kr;
static uint32_t rot;

static double tt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ reader */

static void tt_reader(int r)
{
	static struct vopts o;
	struct cache_map m;
	struct cache_hit hit;
	struct ag_error e;
	struct tt_counts *c = &sh->readers[r];
	const struct truth_token *t;
	unsigned seed = (unsigned)getpid();
	uint32_t n, i;
	uint8_t dead;
	enum cache_result res;

	/* a mapping of its own, read-only, as a worker's */
	if (cache_map(&m, cachew_fd(), &e) != 0 ||
	    vopts_parse(&o, NULL, 0, &e) != 0) {
		fprintf(stderr, "reader: %s\n", e.msg);
		_exit(2);
	}
	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
		n = atomic_load_explicit(&sh->published, memory_order_acquire);
		if (n == 0)
			continue;
		i = (uint32_t)rand_r(&seed) % n;
		t = &sh->t[i];
		dead = atomic_load_explicit(&t->dead, memory_order_acquire);
		res = cache_lookup(&m, t->tok, t->len, &o, tt_now(), &hit, &e);
		c->lookups++;
		if (dead != TRUTH_LIVE)
			c->dead_lookups[dead]++;
		if (res != CACHE_HIT)
			continue;
		c->hits[t->kind]++;
		/* the hit names the token's own payload segment */
		if (t->kind != TRUTH_VALID || dead != TRUTH_LIVE ||
		    (const char *)memchr(t->tok, '.', t->len) + 1 !=
		    t->tok + hit.pay_off)
			c->false_accepts++;
	}
	cache_unmap(&m);
	_exit(0);
}

/* ------------------------------------------------------------ writer */

static void tt_keyring(void)
{
	char spec[128];
	struct keyring *next;

	/* a new primary; the previous one verifies; the one before goes */
	snprintf(spec, sizeof spec, "r%u:primary r%u:verify", rot + 1, rot);
	next = fx_keyring(dir, spec, rot + 1);
	if (next == NULL)
		exit(2);
	cachew_keys(next);
	if (kr != NULL)
		keyring_unref(kr);
	kr = next;
	rot++;
}

static void tt_kill(uint32_t from, uint32_t to, int (*match)(uint32_t, uint32_t),
		    uint32_t arg, uint8_t why)
{
	uint32_t i;

	for (i = from; i < to; i++)
		if (sh->t[i].kind == TRUTH_VALID && match(i, arg))
			atomic_store_explicit(&sh->t[i].dead, why,
					      memory_order_release);
}

static int tt_by_rot(uint32_t i, uint32_t r)
{
	return sh->t[i].rot == r;
}

static int tt_by_sub(uint32_t i, uint32_t s)
{
	return sh->t[i].sub == s;
}

/* Signs a token of the given kind into slot n (not yet published). */
static int tt_make(uint32_t n, enum truth_kind kind, unsigned *seed)
{
	struct truth_token *t = &sh->t[n];
	const struct kr_key *k;
	char payload[1100], pad[1000], *tok;
	double now = tt_now();

	memset(pad, 'p', sizeof pad);
	t->sub = (uint16_t)(rand_r(seed) % TT_SUBJECTS);
	t->kind = (uint8_t)kind;
	t->rot = rot;
	/* one in sixteen too long for a 512-byte slot */
	snprintf(payload, sizeof payload,
		 "{\"sub\":\"user%u\",\"n\":%u,\"pad\":\"%.*s\"}", t->sub, n,
		 n % 16 == 7 ? (int)sizeof pad : 0, pad);
	tok = fx_sign(kr, payload, kind == TRUTH_EXPIRED ? "{\"expiresIn\":1}" :
		      NULL, kind == TRUTH_EXPIRED ? now - 100 : now, &k);
	if (tok == NULL || strlen(tok) >= TRUTH_TOKLEN)
		return -1;
	t->len = (uint16_t)strlen(tok);
	memcpy(t->tok, tok, t->len);
	free(tok);
	return 0;
}

/* A forgery of token v: one signature character changed, same length.
 * Its signing input is v's, so it shares v's bucket and entry: only the
 * digest of the signature tells them apart. */
static void tt_forge(uint32_t n, uint32_t v)
{
	struct truth_token *t = &sh->t[n];

	*t = sh->t[v];
	t->kind = TRUTH_FORGED;
	t->tok[t->len - 2] = t->tok[t->len - 2] == 'A' ? 'B' : 'A';
}

struct tt_wstats {
	uint64_t inserts, revokes, rotations, forged, expired, scans;
	long recoverable;            /* tokens found in the mapping; -1: the
				      * scan does not work */
};

/* Every token issued so far, looked for in the whole mapping. */
static void tt_scan(const struct cache_map *m, uint32_t n,
		    struct tt_wstats *w)
{
	long found = scan_tokens(m->base, m->size, sh->t, n);

	w->scans++;
	if (found != 0 && w->recoverable >= 0)
		w->recoverable = found < 0 ? -1 : w->recoverable + found;
}

static void tt_insert(uint32_t i, struct tt_wstats *w)
{
	static struct vopts o;
	static struct jwt j;
	static int ready;
	struct ag_error e;
	const struct kr_key *k;
	const struct truth_token *t = &sh->t[i];

	if (!ready)
		ready = vopts_parse(&o, "{\"ignoreExpiration\":true}", 25,
				    &e) == 0;
	if (t->kind == TRUTH_FORGED ||
	    atomic_load_explicit(&t->dead, memory_order_relaxed) != TRUTH_LIVE)
		return;
	/* as the daemon does: verify (expired ones only by signature, so
	 * that readers have expired entries to refuse), then insert */
	if (keyring_verify(kr, t->tok, t->len, &o, tt_now(), &j, &k, &e) != 0)
		return;
	cachew_put(kr, k, &j, tt_now());
	w->inserts++;
}

static void tt_writer(double seconds, struct tt_wstats *w)
{
	struct cache_map m;
	struct ag_error e;
	unsigned seed = 1;
	uint32_t n = 0, s, v;
	double end = tt_now() + seconds, beat = 0;
	uint64_t ops = 0;
	char sub[16];

	cache_map(&m, cachew_fd(), &e);
	while (tt_now() < end && n < TT_TOKENS) {
		ops++;
		if (tt_now() - beat > 0.1) {
			beat = tt_now();
			cachew_heartbeat(beat);
		}
		if (ops % 4 == 0) {
			/* a new token: valid, expired, or a forgery */
			s = (uint32_t)rand_r(&seed) % 10;
			v = n > 0 ? (uint32_t)rand_r(&seed) % n : 0;
			/* forgeries of real tokens only: a forgery of a
			 * forgery may well be the real one */
			if (s == 0 && n > 0 && sh->t[v].kind == TRUTH_VALID) {
				tt_forge(n, v);
				w->forged++;
			} else if (tt_make(n, s == 1 ? TRUTH_EXPIRED : TRUTH_VALID,
					   &seed) != 0) {
				continue;
			}
			w->expired += s == 1;
			atomic_store_explicit(&sh->published, ++n,
					      memory_order_release);
			tt_insert(n - 1, w);
		} else if (n > 0) {
			tt_insert((uint32_t)rand_r(&seed) % n, w);
		}
		if (ops % 2000 == 0 && n > 0) {
			/* log a subject out everywhere */
			s = (uint32_t)rand_r(&seed) % TT_SUBJECTS;
			snprintf(sub, sizeof sub, "user%u", s);
			cachew_purge_subject(sub, strlen(sub), tt_now() + 1);
			tt_kill(0, n, tt_by_sub, s, TRUTH_REVOKED);
			w->revokes++;
		}
		if (ops % 1000 == 0 && n > 0) {
			/* one token revoked by its bytes */
			s = (uint32_t)rand_r(&seed) % n;
			if (sh->t[s].kind == TRUTH_VALID) {
				cachew_purge_token(sh->t[s].tok, sh->t[s].len);
				atomic_store_explicit(&sh->t[s].dead, TRUTH_REVOKED,
						      memory_order_release);
				w->revokes++;
			}
		}
		if (ops % 20000 == 0) {
			/* rotation: the key before the previous one leaves */
			tt_keyring();
			tt_kill(0, n, tt_by_rot, rot - 2, TRUTH_ROTATED);
			w->rotations++;
			tt_scan(&m, n, w);
		}
	}
	tt_scan(&m, n, w);
	/* the control: the scan finds tokens where they are (the truth
	 * table's first ones, in its own memory) */
	if (n >= 64 && scan_tokens((const uint8_t *)sh->t, 64 * sizeof *sh->t,
				   sh->t, 64) != 64)
		w->recoverable = -1;
	cache_unmap(&m);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	int readers = argc > 2 ? atoi(argv[2]) : 3, r, status, bad = 0;
	struct tt_counts sum;
	struct tt_wstats w;
	struct cachew_stats st;
	struct ag_error e;
	pid_t pid[TT_READERS];
	char cmd[96];
	int k;

	if (readers < 1 || readers > TT_READERS)
		readers = 3;
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	snprintf(dir, sizeof dir, "/tmp/agauthd-torture-XXXXXX");
	if (sh == MAP_FAILED || mkdtemp(dir) == NULL)
		return 2;
	/* small: evictions all the time */
	if (cachew_open(1024 * 1024, 512, 0, "sub", tt_now(), &e) != 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 2;
	}
	tt_keyring();
	tt_keyring();
	for (r = 0; r < readers; r++) {
		pid[r] = fork();
		if (pid[r] == 0)
			tt_reader(r);
	}
	memset(&w, 0, sizeof w);
	tt_writer(seconds, &w);
	atomic_store(&sh->stop, 1);
	for (r = 0; r < readers; r++)
		if (waitpid(pid[r], &status, 0) != pid[r] || status != 0)
			bad = 1;
	memset(&sum, 0, sizeof sum);
	for (r = 0; r < readers; r++) {
		sum.lookups += sh->readers[r].lookups;
		sum.false_accepts += sh->readers[r].false_accepts;
		for (k = 0; k < TRUTH_KINDS; k++)
			sum.hits[k] += sh->readers[r].hits[k];
		for (k = 0; k < 3; k++)
			sum.dead_lookups[k] += sh->readers[r].dead_lookups[k];
	}
	cachew_stats(&st);
	printf("cache torture: %.1f s, %d reader processes, %llu lookups, "
	       "%llu valid hits\n", seconds, readers,
	       (unsigned long long)sum.lookups,
	       (unsigned long long)sum.hits[TRUTH_VALID]);
	printf("  writer: %llu inserts, %llu evictions, %llu revocations, "
	       "%llu rotations, %u tokens (%llu forged, %llu expired)\n",
	       (unsigned long long)w.inserts, (unsigned long long)st.evictions,
	       (unsigned long long)w.revokes, (unsigned long long)w.rotations,
	       atomic_load(&sh->published), (unsigned long long)w.forged,
	       (unsigned long long)w.expired);
	printf("  lookups of dead tokens: %llu revoked, %llu rotated out; "
	       "hits on forged %llu, on expired %llu\n",
	       (unsigned long long)sum.dead_lookups[TRUTH_REVOKED],
	       (unsigned long long)sum.dead_lookups[TRUTH_ROTATED],
	       (unsigned long long)sum.hits[TRUTH_FORGED],
	       (unsigned long long)sum.hits[TRUTH_EXPIRED]);
	printf("  false accepts: %llu\n", (unsigned long long)sum.false_accepts);
	printf("  tokens recoverable from the mapping: %ld (%llu scans of "
	       "every token issued)\n", w.recoverable,
	       (unsigned long long)w.scans);
	cachew_close();
	keyring_unref(kr);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		bad = 1;
	/* a run that hit nothing valid, or never met a dead token, proved
	 * nothing */
	return bad || sum.false_accepts != 0 || w.recoverable != 0 ||
	       sum.hits[TRUTH_VALID] == 0 ||
	       sum.dead_lookups[TRUTH_REVOKED] == 0 ||
	       sum.dead_lookups[TRUTH_ROTATED] == 0 || w.forged == 0;
}
