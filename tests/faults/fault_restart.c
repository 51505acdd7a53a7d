/*
 * fault_restart.c - SIGKILL and restart under full load.
 *
 * Client processes (libagauth, one handle each, half of them with the
 * shared-memory cache attached) verify tokens this program made with the
 * keyring's secrets - valid ones of two keys, and forged, expired,
 * unknown-key and malformed ones - and sign tokens and verify what they
 * got, as fast as they can, while agauthd is killed with SIGKILL and
 * started again on the same directory, RESTARTS times.
 *
 *   fault_restart AGAUTHD [RESTARTS [CLIENTS [SECONDS]]]
 *
 * SECONDS is the load between restarts.  A wrong answer - a valid token
 * refused, an invalid one accepted or refused for another reason, a
 * signed token that does not verify - fails the run; so does any error
 * other than "agauthd unreachable / connection lost" (what the outage
 * is expected to give), and any client not back (a successful sign,
 * begun after the kill) within 1 s of the restart.  Prints per restart
 * the time the new daemon took to listen and the clients' recovery time
 * (max over clients), then the totals.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/lib/agauth.h"
#include "tests/faults/fault_util.h"

#define RS_CLIENTS_MAX  64
#define RS_RESTARTS_MAX 100
#define RS_CASES        64
#define RS_BACK_LIMIT   1.0       /* s from the restart to every client */
#define RS_SHOW         5         /* wrong answers shown, per client */

struct rs_case {
	char tok[FU_TOKEN];
	enum agauth_status want;
	char name[32];               /* the error's class when not OK */
	unsigned n;                  /* the "n" claim, when OK */
};

struct rs_client {
	uint64_t verifies, accepted, refused, signs, signed_ok;
	uint64_t unreachable, wrong, other;
	double back[RS_RESTARTS_MAX];  /* first success after kill k+1 */
	int ready, failed;
};

struct rs_shared {
	_Atomic int stop;
	_Atomic int killed;          /* kills so far */
	int ncases;
	struct rs_case cases[RS_CASES];
	struct rs_client c[RS_CLIENTS_MAX];
};

static struct rs_shared *sh;
static struct fu_daemon dmn;

/* ------------------------------------------------------------ setup */

static int rs_case(const struct fu_key *k, int kid, const char *payload,
		   enum agauth_status want, const char *name, unsigned n)
{
	struct rs_case *c = &sh->cases[sh->ncases++];

	fu_token(k, kid, payload, c->tok);
	c->want = want;
	snprintf(c->name, sizeof c->name, "%s", name);
	c->n = n;
	return sh->ncases - 1;
}

/* Valid tokens of hs1 and hs2 (with and without kid), and for each a
 * forgery; expired ones; one of a key agauthd does not have; garbage. */
static int rs_setup(void)
{
	struct fu_key hs1, hs2, other;
	char ring[1024], sec[256], payload[128];
	double now = fu_wall();
	unsigned n;
	int i;

	if (fu_setup(&dmn, "frestart") != 0 || fu_key(&dmn, &hs1, "hs1") ||
	    fu_key(&dmn, &hs2, "hs2") || fu_key(&dmn, &other, "hs3"))
		return -1;
	fu_key_section(&hs1, "primary", ring, sizeof ring);
	fu_key_section(&hs2, "verify", sec, sizeof sec);
	strcat(ring, sec);
	if (fu_write(&dmn, "keyring.conf", ring, 0600) != 0 ||
	    fu_config(&dmn, "[cache]\nsize = 8M\n") != 0)
		return -1;
	for (n = 1; n <= 12; n++) {
		snprintf(payload, sizeof payload, "{\"sub\":\"user%u\",\"n\":%u,"
			 "\"exp\":%.0f}", n, n, now + 3600);
		i = rs_case(n % 2 ? &hs1 : &hs2, n % 3 != 0, payload,
			    AGAUTH_OK, "", n);
		fu_forge(sh->cases[i].tok, sh->cases[sh->ncases].tok, n);
		sh->cases[sh->ncases].want = AGAUTH_INVALID;
		strcpy(sh->cases[sh->ncases++].name, "JsonWebTokenError");
	}
	snprintf(payload, sizeof payload, "{\"n\":100,\"exp\":%.0f}", now - 60);
	rs_case(&hs1, 1, payload, AGAUTH_EXPIRED, "TokenExpiredError", 0);
	rs_case(&hs2, 0, payload, AGAUTH_EXPIRED, "TokenExpiredError", 0);
	rs_case(&other, 1, "{\"n\":101}", AGAUTH_INVALID, "JsonWebTokenError",
		0);
	rs_case(&other, 0, "{\"n\":102}", AGAUTH_INVALID, "JsonWebTokenError",
		0);
	strcpy(sh->cases[sh->ncases].tok, "not.a.token");
	sh->cases[sh->ncases].want = AGAUTH_INVALID;
	strcpy(sh->cases[sh->ncases++].name, "JsonWebTokenError");
	return 0;
}

/* ------------------------------------------------------------ client */

/* The "n" claim of a verified payload. */
static unsigned rs_n(const struct agauth_verified *v)
{
	const char *p = v->payload != NULL ? strstr(v->payload, "\"n\":") :
			NULL;

	return p != NULL ? (unsigned)strtoul(p + 4, NULL, 10) : 0;
}

/* Counts one answer: 1 if it was the outage, 0 otherwise. */
static int rs_check(struct rs_client *me, int id, const char *what,
		    enum agauth_status want, const char *name, unsigned n,
		    enum agauth_status st, const struct agauth_verified *v,
		    const struct agauth_error *e)
{
	if (st == AGAUTH_UNREACHABLE) {
		me->unreachable++;
		return 1;
	}
	if (st == want && (st == AGAUTH_OK ? rs_n(v) == n :
			   strcmp(e->name, name) == 0)) {
		if (st == AGAUTH_OK)
			me->accepted++;
		else
			me->refused++;
		return 0;
	}
	if (st == AGAUTH_REFUSED)
		me->other++;
	else
		me->wrong++;
	if (me->wrong + me->other <= RS_SHOW)
		fprintf(stderr, "client %d: %s: want %s%s%s, got %s%s%s "
			"(n=%u)\n", id, what, agauth_strerror(want),
			*name ? " " : "", name, agauth_strerror(st),
			st != AGAUTH_OK ? " " : "",
			st != AGAUTH_OK ? e->message : "", rs_n(v));
	return 0;
}

static void rs_verify_case(agauth_t *a, struct rs_client *me, int id,
			   const struct rs_case *c)
{
	struct agauth_verified v;
	struct agauth_error e;
	enum agauth_status st = agauth_verify(a, c->tok, NULL, &v, &e);

	me->verifies++;
	if (rs_check(me, id, c->tok, c->want, c->name, c->n, st, &v, &e))
		fu_sleep(0.001);
	agauth_verified_free(&v);
}

/* Signs {"c":id,"n":seq} and verifies the token; a token whose verify
 * met the outage is verified on a later round.  Returns 1 if the sign
 * succeeded. */
static int rs_sign(agauth_t *a, struct rs_client *me, int id, unsigned seq,
		   char *pending, unsigned *pending_n)
{
	struct agauth_verified v;
	struct agauth_error e;
	enum agauth_status st;
	char payload[64], *tok = NULL;
	int signed_now = 0;

	if (*pending == '\0') {
		snprintf(payload, sizeof payload, "{\"c\":%d,\"n\":%u}", id, seq);
		st = agauth_sign(a, payload, NULL, &tok, NULL, &e);
		me->signs++;
		if (st == AGAUTH_UNREACHABLE) {
			me->unreachable++;
			fu_sleep(0.001);
			return 0;
		}
		if (st != AGAUTH_OK) {
			me->other++;
			fprintf(stderr, "client %d: sign: %s\n", id, e.message);
			return 0;
		}
		signed_now = 1;
		if (strlen(tok) < FU_TOKEN)
			strcpy(pending, tok);
		*pending_n = seq;
		free(tok);
	}
	st = agauth_verify(a, pending, NULL, &v, &e);
	me->verifies++;
	if (!rs_check(me, id, "a token it signed", AGAUTH_OK, "", *pending_n,
		      st, &v, &e)) {
		me->signed_ok += st == AGAUTH_OK;
		*pending = '\0';
	}
	agauth_verified_free(&v);
	return signed_now;
}

static void rs_client(int id)
{
	struct rs_client *me = &sh->c[id];
	struct agauth_error e;
	char pending[FU_TOKEN] = "";
	unsigned seq = 0, pending_n = 0, seed = (unsigned)getpid();
	agauth_t *a;
	int killed;

	fu_orphan_guard(SIGKILL);
	a = agauth_open(dmn.sock, &e);
	if (a == NULL || (id % 2 == 0 && agauth_cache_attach(a, &e) != 0)) {
		fprintf(stderr, "client %d: %s\n", id, e.message);
		me->failed = 1;
		_exit(2);
	}
	agauth_set_timeout(a, 2000);
	while (!atomic_load(&sh->stop)) {
		/* a success of a request begun after kill k is the new
		 * daemon's */
		killed = atomic_load(&sh->killed);
		rs_verify_case(a, me, id,
			       &sh->cases[rand_r(&seed) % sh->ncases]);
		rs_verify_case(a, me, id,
			       &sh->cases[rand_r(&seed) % sh->ncases]);
		if (rs_sign(a, me, id, ++seq, pending, &pending_n)) {
			if (killed > 0 && me->back[killed - 1] == 0)
				me->back[killed - 1] = fu_now();
			me->ready = 1;
		}
	}
	agauth_close(a);
	_exit(0);
}

/* ------------------------------------------------------------ parent */

/* Waits until every client has succeeded since kill k (0: at all), at
 * most limit seconds; returns how many have. */
static int rs_wait_back(int clients, int k, double limit)
{
	double end = fu_now() + limit;
	int i, n;

	for (;;) {
		for (i = n = 0; i < clients; i++)
			n += k == 0 ? sh->c[i].ready : sh->c[i].back[k - 1] > 0;
		if (n == clients || fu_now() > end)
			return n;
		fu_sleep(0.001);
	}
}

static void rs_total(int clients, struct rs_client *t)
{
	const struct rs_client *c;
	int i;

	memset(t, 0, sizeof *t);
	for (i = 0; i < clients; i++) {
		c = &sh->c[i];
		t->verifies += c->verifies;
		t->accepted += c->accepted;
		t->refused += c->refused;
		t->signs += c->signs;
		t->signed_ok += c->signed_ok;
		t->unreachable += c->unreachable;
		t->wrong += c->wrong;
		t->other += c->other;
		t->failed |= c->failed;
	}
}

/* One kill and restart; prints its line.  Returns 0 if every client was
 * back in time. */
static int rs_restart(const char *agauthd, int k, int clients)
{
	double kill_at, spawn_at, ready_at, worst = 0, best = 1e9, b;
	int i, back, late = 0;

	kill_at = fu_now();
	fu_kill(&dmn);
	atomic_store(&sh->killed, k);
	spawn_at = fu_now();
	if (fu_spawn(&dmn, agauthd) != 0 || fu_wait_ready(&dmn, 10) != 0)
		return -1;
	ready_at = fu_now();
	back = rs_wait_back(clients, k, 3);
	for (i = 0; i < clients; i++) {
		b = sh->c[i].back[k - 1];
		if (b == 0) {
			late++;
			continue;
		}
		worst = b - spawn_at > worst ? b - spawn_at : worst;
		best = b - spawn_at < best ? b - spawn_at : best;
		late += b - spawn_at > RS_BACK_LIMIT;
	}
	printf("  restart %d: reaped %.1f ms after SIGKILL, listening %.1f ms "
	       "after the restart; clients back %.1f to %.1f ms after it "
	       "(%d of %d)\n", k, (spawn_at - kill_at) * 1e3,
	       (ready_at - spawn_at) * 1e3, back ? best * 1e3 : 0,
	       worst * 1e3, back, clients);
	if (late)
		fprintf(stderr, "restart %d: %d clients not back within "
			"%.1f s\n", k, late, RS_BACK_LIMIT);
	return late ? -1 : 0;
}

int main(int argc, char **argv)
{
	int restarts = argc > 2 ? atoi(argv[2]) : 5;
	int clients = argc > 3 ? atoi(argv[3]) : 16;
	double seconds = argc > 4 ? atof(argv[4]) : 0.5, start;
	pid_t pid[RS_CLIENTS_MAX];
	struct rs_client t;
	int i, k, status, bad = 0;

	fu_prog = "fault_restart";
	if (argc < 2 || restarts < 1 || restarts > RS_RESTARTS_MAX ||
	    clients < 1 || clients > RS_CLIENTS_MAX || seconds <= 0) {
		fprintf(stderr, "usage: fault_restart AGAUTHD [RESTARTS (1-%d) "
			"[CLIENTS (1-%d) [SECONDS]]]\n", RS_RESTARTS_MAX,
			RS_CLIENTS_MAX);
		return 64;
	}
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || rs_setup() != 0 ||
	    fu_start(&dmn, argv[1], 10) != 0) {
		fu_cleanup(&dmn);
		return 2;
	}
	for (i = 0; i < clients; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			rs_client(i);
	}
	printf("fault_restart: %d clients, %d cases (%d valid), %d restarts "
	       "with %.1f s of load before each\n", clients, sh->ncases, 12,
	       restarts, seconds);
	if (rs_wait_back(clients, 0, 10) != clients)
		bad = 1;
	start = fu_now();
	for (k = 1; k <= restarts && !bad; k++) {
		fu_sleep(seconds);
		if (rs_restart(argv[1], k, clients) != 0)
			bad = 1;
	}
	fu_sleep(seconds);
	atomic_store(&sh->stop, 1);
	for (i = 0; i < clients; i++)
		if (waitpid(pid[i], &status, 0) != pid[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			bad = 1;
	rs_total(clients, &t);
	printf("  totals over %.1f s: %llu verifies (%llu accepted, %llu "
	       "refused as they should be), %llu signs, %llu signed tokens "
	       "verified; %llu requests met the outage\n", fu_now() - start,
	       (unsigned long long)t.verifies, (unsigned long long)t.accepted,
	       (unsigned long long)t.refused, (unsigned long long)t.signs,
	       (unsigned long long)t.signed_ok,
	       (unsigned long long)t.unreachable);
	printf("  wrong answers: %llu; other errors: %llu\n",
	       (unsigned long long)t.wrong, (unsigned long long)t.other);
	if (fu_stop(&dmn) != 0)
		bad = 1;
	if (bad || t.wrong || t.other || t.failed || t.signed_ok == 0)
		fu_show_log(&dmn, 30);
	fu_cleanup(&dmn);
	return bad || t.wrong || t.other || t.failed || t.signed_ok == 0;
}
