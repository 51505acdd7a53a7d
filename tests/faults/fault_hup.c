/*
 * fault_hup.c - SIGHUP every few milliseconds under full load.
 *
 * agauthd holds two HS256 keys (hs1 primary, hs2 verify).  While client
 * processes verify tokens of both keys (with and without kid, made here
 * with the keys' secrets) and forgeries of them as fast as they can -
 * half of them through the shared-memory cache first - this program
 * rewrites the keyring manifest between two equivalent versions (the
 * sections in the other order, and a comment) and sends agauthd SIGHUP,
 * every INTERVAL_MS.
 *
 *   fault_hup AGAUTHD [SECONDS [CLIENTS [INTERVAL_MS]]]
 *
 * Fails if a valid token is refused even once, a forgery is accepted, a
 * reload fails, or nothing was reloaded.  Prints the SIGHUPs sent, the
 * reloads agauthd made (its keyring generation) and the verifies.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/lib/agauth.h"
#include "tests/faults/fault_util.h"

#define HP_CLIENTS_MAX 32
#define HP_TOKENS      32          /* valid ones; as many forgeries */
#define HP_SHOW        5

struct hp_client {
	uint64_t daemon, cached, forged, failed, false_accepts;
	int ready, broken;
};

struct hp_shared {
	_Atomic int stop;
	char valid[HP_TOKENS][FU_TOKEN];
	char forged[HP_TOKENS][FU_TOKEN];
	struct hp_client c[HP_CLIENTS_MAX];
};

static struct hp_shared *sh;
static struct fu_daemon dmn;
static struct fu_key hs1, hs2;

/* Version 0: hs1 then hs2; version 1: hs2 then hs1, with a comment. */
static int hp_manifest(int version)
{
	char ring[1024], a[256], b[256];

	fu_key_section(&hs1, "primary", a, sizeof a);
	fu_key_section(&hs2, "verify", b, sizeof b);
	snprintf(ring, sizeof ring, "%s%s%s", version ? "# the same keys, "
		 "the other way round\n" : "", version ? b : a,
		 version ? a : b);
	return fu_write(&dmn, "keyring.conf", ring, 0600);
}

static int hp_setup(void)
{
	char payload[96];
	int i;

	if (fu_setup(&dmn, "fhup") != 0 || fu_key(&dmn, &hs1, "hs1") != 0 ||
	    fu_key(&dmn, &hs2, "hs2") != 0 || hp_manifest(0) != 0 ||
	    fu_config(&dmn, "[cache]\nsize = 4M\n") != 0)
		return -1;
	for (i = 0; i < HP_TOKENS; i++) {
		snprintf(payload, sizeof payload, "{\"sub\":\"u%d\",\"n\":%d,"
			 "\"exp\":%.0f}", i, i, fu_wall() + 3600);
		/* a quarter without kid: tried against every HS key, in the
		 * keyring's order, which the reloads keep changing */
		fu_token(i % 2 ? &hs2 : &hs1, i % 4 < 3, payload,
			 sh->valid[i]);
		fu_forge(sh->valid[i], sh->forged[i], (unsigned)i * 7);
	}
	return 0;
}

/* The "n" claim of a verified payload, -1 without one. */
static long hp_n(const struct agauth_verified *v)
{
	const char *p = v->payload != NULL ? strstr(v->payload, "\"n\":") :
			NULL;

	return p != NULL ? strtol(p + 4, NULL, 10) : -1;
}

static void hp_client(int id)
{
	struct hp_client *me = &sh->c[id];
	struct agauth_verified v;
	struct agauth_error e;
	unsigned seed = (unsigned)getpid();
	int cache = id % 2, i, forged, ans;
	enum agauth_status st;
	agauth_t *a;

	fu_orphan_guard(SIGKILL);
	/* spinning clients must leave the signal sender its 10 ms beat */
	if (nice(5) == -1)
		perror("nice");
	a = agauth_open(dmn.sock, &e);
	if (a == NULL || (cache && agauth_cache_attach(a, &e) != AGAUTH_OK)) {
		fprintf(stderr, "client %d: %s\n", id, e.message);
		me->broken = 1;
		_exit(2);
	}
	me->ready = 1;
	while (!atomic_load(&sh->stop)) {
		memset(&v, 0, sizeof v);
		i = rand_r(&seed) % HP_TOKENS;
		forged = rand_r(&seed) % 8 == 0;
		ans = cache && !forged ? agauth_cache_lookup(a, sh->valid[i],
							     NULL, &v, &e) :
		      AGAUTH_CACHE_MISS;
		if (ans == AGAUTH_CACHE_VALID && hp_n(&v) == i) {
			me->cached++;
			agauth_verified_free(&v);
			continue;
		}
		agauth_verified_free(&v);
		st = agauth_verify(a, forged ? sh->forged[i] : sh->valid[i],
				   NULL, &v, &e);
		me->daemon++;
		me->forged += forged;
		if (forged && st != AGAUTH_INVALID) {
			if (++me->false_accepts <= HP_SHOW)
				fprintf(stderr, "client %d: forgery of token %d:"
					" %s %s\n", id, i, agauth_strerror(st),
					e.message);
		} else if (!forged && (st != AGAUTH_OK || hp_n(&v) != i)) {
			if (++me->failed <= HP_SHOW)
				fprintf(stderr, "client %d: valid token %d: "
					"%s %s\n", id, i, agauth_strerror(st),
					e.message);
		}
		agauth_verified_free(&v);
	}
	agauth_close(a);
	_exit(0);
}

/* Rewrites the manifest and sends SIGHUP every interval, for seconds;
 * returns the number of SIGHUPs. */
static long hp_hup(double seconds, double interval)
{
	double now = fu_now(), end = now + seconds, next = now;
	long n = 0;

	while (now < end) {
		if (hp_manifest((int)(n % 2 == 0)) != 0)
			return -1;
		kill(dmn.pid, SIGHUP);
		n++;
		/* on the beat; after a delay, no burst to catch up (signals
		 * sent close together merge into one) */
		now = fu_now();
		next += interval;
		if (next < now + interval / 2)
			next = now + interval / 2;
		fu_sleep(next - now);
		now = fu_now();
	}
	return n;
}

static int hp_wait_ready(int clients)
{
	double end = fu_now() + 10;
	int i, n;

	do {
		for (i = n = 0; i < clients; i++)
			n += sh->c[i].ready || sh->c[i].broken;
		fu_sleep(0.001);
	} while (n < clients && fu_now() < end);
	return n == clients ? 0 : -1;
}

int main(int argc, char **argv)
{
	double seconds = argc > 2 ? atof(argv[2]) : 3;
	int clients = argc > 3 ? atoi(argv[3]) : 4;
	double interval = (argc > 4 ? atof(argv[4]) : 10) / 1000;
	struct hp_client t;
	pid_t pid[HP_CLIENTS_MAX];
	struct agauth_error e;
	unsigned long long generation = 0;
	long hups, failed_reloads;
	char *stats = NULL;
	agauth_t *a;
	int i, status, bad = 0;

	fu_prog = "fault_hup";
	if (argc < 2 || seconds <= 0 || clients < 1 ||
	    clients > HP_CLIENTS_MAX || interval <= 0) {
		fprintf(stderr, "usage: fault_hup AGAUTHD [SECONDS [CLIENTS "
			"(1-%d) [INTERVAL_MS]]]\n", HP_CLIENTS_MAX);
		return 64;
	}
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || hp_setup() != 0 ||
	    fu_start(&dmn, argv[1], 10) != 0) {
		fu_cleanup(&dmn);
		return 2;
	}
	for (i = 0; i < clients; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			hp_client(i);
	}
	/* and where we may, the sender is ahead of everyone (the machine
	 * may be busy with more than this test) */
	setpriority(PRIO_PROCESS, 0, -10);
	if (hp_wait_ready(clients) != 0)
		bad = 1;
	hups = bad ? 0 : hp_hup(seconds, interval);
	/* the last reload has been made when a request after it answers */
	fu_sleep(0.05);
	atomic_store(&sh->stop, 1);
	memset(&t, 0, sizeof t);
	for (i = 0; i < clients; i++) {
		if (waitpid(pid[i], &status, 0) != pid[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad = 1;
		t.daemon += sh->c[i].daemon;
		t.cached += sh->c[i].cached;
		t.forged += sh->c[i].forged;
		t.failed += sh->c[i].failed;
		t.false_accepts += sh->c[i].false_accepts;
	}
	a = agauth_open(dmn.sock, &e);
	if (a != NULL && agauth_stats(a, &stats, &e) == AGAUTH_OK)
		generation = fu_json_num(stats, "generation");
	agauth_close(a);
	free(stats);
	failed_reloads = fu_log_count(&dmn, "reload failed");
	printf("fault_hup: %.1f s, %d clients, SIGHUP every %.0f ms: %ld "
	       "SIGHUPs (one per %.1f ms), %llu reloads (keyring generation "
	       "%llu), %ld failed\n", seconds, clients, interval * 1e3, hups,
	       hups > 0 ? seconds * 1e3 / (double)hups : 0,
	       generation > 0 ? generation - 1 : 0, generation,
	       failed_reloads);
	printf("  %llu verifies: %llu by agauthd (%llu of forgeries), %llu "
	       "from the cache\n",
	       (unsigned long long)(t.daemon + t.cached),
	       (unsigned long long)t.daemon, (unsigned long long)t.forged,
	       (unsigned long long)t.cached);
	printf("  valid tokens refused: %llu; forgeries accepted: %llu\n",
	       (unsigned long long)t.failed,
	       (unsigned long long)t.false_accepts);
	if (fu_stop(&dmn) != 0 || hups <= 0 || generation < 2 ||
	    failed_reloads != 0 || t.failed || t.false_accepts ||
	    t.daemon == 0)
		bad = 1;
	if (bad)
		fu_show_log(&dmn, 30);
	fu_cleanup(&dmn);
	return bad;
}
