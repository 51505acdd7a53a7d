/* test_cache.c - the shared-memory cache: writer (daemon/cachew.c) and
 * reader (shared/cache.c) against the daemon's own verification. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <stddef.h>

#include "daemon/cachew.h"
#include "daemon/meminfo.h"
#include "tests/unit/fixture.h"
#include "daemon/engine/key.h"
#include "shared/b64url.h"
#include "shared/cache.h"

#define NOW 1800000000.0

static char dir[64];
static struct keyring *kr;
static struct cache_map map;
static struct jwt jw;

static void setup(void)
{
	struct ag_error e;

	snprintf(dir, sizeof dir, "/tmp/agauthd-cache-%d-XXXXXX", (int)getpid());
	cr_assert_not_null(mkdtemp(dir));
	kr = fx_keyring(dir, "k0:primary k1:verify", 1);
	cr_assert_not_null(kr);
	cr_assert_eq(cachew_open(1 << 20, 512, 0, "sub", NOW, &e), 0, "%s", e.msg);
	cachew_keys(kr);
	cr_assert_eq(cache_map(&map, cachew_fd(), &e), 0, "%s", e.msg);
}

static void teardown(void)
{
	char cmd[128];

	cache_unmap(&map);
	cachew_close();
	keyring_unref(kr);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(cache, .init = setup, .fini = teardown);

/* What the daemon does after a verify: decode and insert. */
static void put(const struct keyring *r, const struct kr_key *k,
		const char *tok, double now)
{
	struct ag_error e;

	cr_assert_eq(jwt_decode(&jw, tok, strlen(tok), &e), 0, "%s", e.msg);
	cachew_put(r, k, &jw, now);
}

static char *signed_put(const char *payload, const char *opts)
{
	const struct kr_key *k;
	char *tok = fx_sign(kr, payload, opts, NOW, &k);

	cr_assert_not_null(tok);
	put(kr, k, tok, NOW);
	return tok;
}

static enum cache_result look(const char *tok, const char *opts, double now,
			      struct cache_hit *hit, struct ag_error *e)
{
	static struct vopts o;

	cr_assert_eq(vopts_parse(&o, opts, opts ? strlen(opts) : 0, e), 0);
	cachew_heartbeat(now);
	return cache_lookup(&map, tok, strlen(tok), &o, now, hit, e);
}

static enum cache_result look_now(const char *tok)
{
	struct cache_hit hit;
	struct ag_error e;

	return look(tok, NULL, NOW, &hit, &e);
}

/* The class and bucket a token's entry goes to, as one number. */
static uint64_t bucket_of(const char *t)
{
	size_t in = jwt_signing_len(t, strlen(t));
	int c = cache_class_for(map.room, in);

	cr_assert_geq(c, 0, "a token some class holds");
	return (uint64_t)c << 62 |
	       cache_hash(map.h, t, in) % map.cls[c].nbuckets;
}

/* Where in the file the first slot of that bucket is. */
static off_t bucket_offset(const char *t)
{
	uint64_t b = bucket_of(t);
	const struct cache_class *k = &map.h->cls[b >> 62];

	return (off_t)(k->slots_off + (b & ~(3ULL << 62)) * CACHE_WAYS *
		       k->slot_size);
}

/* tok with its signature replaced by sig (as another spelling of it). */
static char *respell(const char *tok, const char *sig)
{
	size_t in = jwt_signing_len(tok, strlen(tok));
	char *t = malloc(in + strlen(sig) + 2);

	cr_assert_not_null(t);
	memcpy(t, tok, in + 1);
	strcpy(t + in + 1, sig);
	return t;
}

/* Whether needle[n] occurs anywhere in the mapping. */
static int in_mapping(const char *needle, size_t n)
{
	return memmem(map.base, map.size, needle, n) != NULL;
}

Test(cache, clients_cannot_write_or_resize)
{
	char path[64];
	int fd;

	/* the mapping, the descriptor, and a fresh open of the same file */
	cr_assert_eq(mprotect((void *)(uintptr_t)map.base, 4096,
			      PROT_READ | PROT_WRITE), -1);
	cr_assert_eq(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			  cachew_fd(), 0), MAP_FAILED);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(write(cachew_fd(), "x", 1), -1);
	cr_assert_eq(ftruncate(cachew_fd(), 0), -1);
	snprintf(path, sizeof path, "/proc/self/fd/%d", cachew_fd());
	/* the open itself succeeds (docs/cache.md says so): seals act on
	 * writes, truncation and writable maps, not on opens */
	fd = open(path, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, "x", 1, 0), -1);
	cr_assert_eq(ftruncate(fd, 0), -1);
	cr_assert_eq(fallocate(fd, 0, 0, (off_t)map.size * 2), -1);
	cr_assert_eq(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			  0), MAP_FAILED);
	cr_assert_eq(fcntl(fd, F_ADD_SEALS, 0), -1, "seals are sealed");
	close(fd);
}

Test(cache, hit_gives_payload_segment_and_kid)
{
	struct cache_hit hit;
	struct ag_error e;
	char *tok = signed_put("{\"sub\":\"alice\"}", NULL);
	const char *dot = strchr(tok, '.');

	cr_assert_eq(look(tok, NULL, NOW, &hit, &e), CACHE_HIT, "%s", e.msg);
	cr_assert_eq(hit.pay_off, (size_t)(dot + 1 - tok));
	cr_assert_eq(hit.pay_len, (size_t)(strchr(dot + 1, '.') - dot - 1));
	cr_assert_str_eq(hit.kid, "k0");
	free(tok);
}

/* Same length, one byte different, and (the worst case) the same bucket:
 * the bytes decide, never the hash.  The bucket is the signing input's,
 * so a changed signature always shares it; its digest decides. */
Test(cache, forgeries_miss)
{
	char *tok = signed_put("{\"sub\":\"bob\"}", NULL), *f = strdup(tok);
	size_t in = jwt_signing_len(tok, strlen(tok)), i, tries = 0;
	uint64_t b = bucket_of(tok);
	int same = 0;

	f[strlen(f) - 1] ^= 1;
	cr_assert_eq(bucket_of(f), b, "a signature does not move the bucket");
	cr_assert_eq(look_now(f), CACHE_MISS, "another signature");
	f[strlen(f) - 1] = tok[strlen(f) - 1];
	for (i = in - 1; i > 0 && !same; i--) {
		for (f[i] = 'A'; f[i] <= 'z' && !same; f[i]++, tries++)
			same = f[i] != tok[i] && bucket_of(f) == b;
		if (!same)
			f[i] = tok[i];
		else
			f[i]--;
	}
	cr_assert(same, "a same-bucket forgery after %zu tries", tries);
	cr_assert_eq(look_now(f), CACHE_MISS, "another signing input");
	cr_assert_eq(look_now(tok), CACHE_HIT);
	f[strlen(f) - 1] = '\0';
	cr_assert_eq(look_now(f), CACHE_MISS, "a prefix");
	strcpy(f, tok);
	f[in] = '\0';
	cr_assert_eq(look_now(f), CACHE_MISS, "the signing input alone");
	free(tok);
	free(f);
}

/*
 * A reader of the whole mapping (any peer with the verify right) learns
 * claims, never a token it could present: the entry keeps the signing
 * input and a digest of the signature, so neither the token nor its
 * signature is anywhere in the file.
 */
Test(cache, the_mapping_holds_no_usable_token)
{
	char payload[64], *t[40];
	const char *sig;
	size_t i;

	for (i = 0; i < 40; i++) {
		snprintf(payload, sizeof payload, "{\"sub\":\"user%zu\"}", i);
		t[i] = signed_put(payload, i % 2 ? "{\"expiresIn\":60}" : NULL);
		cr_assert_eq(look_now(t[i]), CACHE_HIT);
	}
	for (i = 0; i < 40; i++) {
		sig = strrchr(t[i], '.') + 1;
		cr_assert(!in_mapping(t[i], strlen(t[i])), "token %zu", i);
		cr_assert(!in_mapping(sig, strlen(sig)), "signature %zu", i);
		cr_assert(in_mapping(t[i], (size_t)(sig - 1 - t[i])),
			  "its claims are there (the cache answers from them)");
		free(t[i]);
	}
}

/*
 * One token, two spellings of its signature (ECDSA's s and n - s; the
 * cache sees bytes): one entry, keyed by the signing input.  The other
 * spelling misses until the daemon verifies it, then replaces the first,
 * and a token purge takes whichever spelling is cached.
 */
Test(cache, every_spelling_is_one_entry)
{
	char *t = signed_put("{\"sub\":\"eve\"}", NULL);
	char *t2 = respell(t, "c2Vjb25kLXNwZWxsaW5nLW9mLXRoZS1zYW1lLXNpZ25hdHVyZQ");
	struct cachew_stats st;
	uint64_t entries;

	cachew_stats(&st);
	entries = st.entries;
	cr_assert_eq(look_now(t2), CACHE_MISS, "not yet verified");
	put(kr, &kr->keys[0], t2, NOW);
	cachew_stats(&st);
	cr_assert_eq(st.entries, entries, "the same entry");
	cr_assert_eq(look_now(t2), CACHE_HIT);
	cr_assert_eq(look_now(t), CACHE_MISS, "replaced: the daemon again");
	/* revoking either spelling purges the entry */
	cr_assert_eq(cachew_purge_token(t, strlen(t)), 1);
	cr_assert_eq(look_now(t2), CACHE_MISS);
	free(t);
	free(t2);
}

/* Every algorithm's signature is a 32-byte digest in the entry: a token
 * longer than the 448 bytes a 512-byte slot used to hold is cached when
 * its signing input fits (an RS256 token is ~480 bytes, ~140 of them
 * signing input), and payloads up to 2 KiB go to the large slots. */
Test(cache, long_tokens_are_cached)
{
	char payload[3000], *t;
	size_t n, want[] = { 270, 2048 };
	int k;

	for (k = 0; k < 2; k++) {
		n = (size_t)snprintf(payload, sizeof payload, "{\"sub\":\"");
		memset(payload + n, 'x', want[k] - n - 2);
		strcpy(payload + want[k] - 2, "\"}");
		t = signed_put(payload, "{\"noTimestamp\":true}");
		cr_assert_gt(strlen(t), 448);
		cr_assert_eq(look_now(t), CACHE_HIT, "a %zu-byte payload (%zu-byte "
			     "token)", want[k], strlen(t));
		cr_assert_eq(bucket_of(t) >> 62, (uint64_t)k, "its class");
		free(t);
	}
}

/*
 * The heart of it: for tokens the daemon verified, under every option set
 * and at times around their claims, the cache answers exactly as the
 * daemon (keyring_verify) does - or not at all.
 */
static const char *const diff_payloads[] = {
	"{\"sub\":\"alice\"}",
	"{\"sub\":\"carol\",\"aud\":[\"a\",\"b\"],\"iss\":\"iss1\",\"jti\":\"j1\",\"nonce\":\"n\"}",
	"{\"username\":\"dave\",\"nbf\":1800000100}",
	"{\"x\":1,\"exp\":1800000050.5}",
	"{\"x\":2,\"iat\":1799990000}",
};
static const char *const diff_sign_opts[] = {
	NULL,
	"{\"expiresIn\":60}",
	"{\"noTimestamp\":true}",
	"{\"expiresIn\":\"2h\",\"audience\":\"a\",\"issuer\":\"iss2\",\"subject\":\"s\",\"jwtid\":\"j2\"}",
};
static const char *const diff_opts[] = {
	NULL, "{}", "{\"algorithms\":[\"HS256\"]}",
	"{\"algorithms\":[\"RS256\",\"HS384\"]}", "{\"algorithms\":\"HS256,RS256\"}",
	"{\"algorithms\":\"RS\"}", "{\"algorithms\":5}", "{\"algorithms\":[]}",
	"{\"clockTolerance\":100}", "{\"ignoreExpiration\":true}",
	"{\"ignoreNotBefore\":true}", "{\"maxAge\":\"1h\"}", "{\"maxAge\":10}",
	"{\"maxAge\":\"nonsense\"}", "{\"audience\":\"a\"}",
	"{\"audience\":[\"zz\",\"b\"]}", "{\"audience\":\"zz\"}",
	"{\"issuer\":\"iss1\"}", "{\"issuer\":[\"iss2\"]}", "{\"subject\":\"s\"}",
	"{\"jwtid\":\"j1\"}", "{\"complete\":true}", "{\"nonce\":\"n\"}",
	"{\"nonce\":\"\"}", "{\"clockTimestamp\":1800009999}",
	"{\"clockTimestamp\":\"x\"}",
};
static const double diff_times[] = { NOW, NOW + 55, NOW + 70, NOW + 150,
				     NOW + 4000, NOW + 8000 };

static void diff_one(const char *tok, const char *opts, double t,
		     size_t *hits, size_t *rejects)
{
	static struct vopts o;
	struct cache_hit hit;
	struct ag_error ec, ed;
	const struct kr_key *k = NULL;
	enum cache_result r;
	int rd;

	r = look(tok, opts, t, &hit, &ec);
	cr_assert_eq(vopts_parse(&o, opts, opts ? strlen(opts) : 0, &ed), 0);
	rd = keyring_verify(kr, tok, strlen(tok), &o, t, &jw, &k, &ed);
	cr_assert_neq(r, CACHE_STALE);
	cr_assert_neq(r, CACHE_MISS, "%s with %s: a cacheable token", tok,
		      opts ? opts : "null");
	if (r == CACHE_HIT) {
		cr_assert_eq(rd, 0, "%s with %s at +%.0f: the cache accepts what "
			     "the daemon refuses (%s)", tok, opts ? opts : "null",
			     t - NOW, ed.msg);
		cr_assert_str_eq(hit.kid, k->kid);
		(*hits)++;
		return;
	}
	cr_assert_eq(rd, -1, "%s with %s: the cache refuses (%s), the daemon "
		     "accepts", tok, opts ? opts : "null", ec.msg);
	cr_assert_eq(ec.code, ed.code, "%s vs %s", ec.msg, ed.msg);
	cr_assert_str_eq(ec.msg, ed.msg);
	cr_assert_eq(ec.has_date, ed.has_date);
	if (ec.has_date)
		cr_assert_eq(ec.date, ed.date);
	(*rejects)++;
}

Test(cache, answers_exactly_as_the_daemon)
{
	static const char loose[] = "{\"ignoreExpiration\":true,"
				    "\"ignoreNotBefore\":true}";
	static struct vopts o;
	struct ag_error e;
	const struct kr_key *k;
	char *tok;
	size_t p, s, i, t, hits = 0, rejects = 0;

	cr_assert_eq(vopts_parse(&o, loose, sizeof loose - 1, &e), 0);
	for (p = 0; p < sizeof diff_payloads / sizeof *diff_payloads; p++) {
		for (s = 0; s < sizeof diff_sign_opts / sizeof *diff_sign_opts;
		     s++) {
			tok = fx_sign(kr, diff_payloads[p], diff_sign_opts[s],
				      NOW, &k);
			if (tok == NULL)
				continue;  /* a conflict jsonwebtoken refuses */
			/* inserted as the daemon does: after it verified */
			cr_assert_eq(keyring_verify(kr, tok, strlen(tok), &o, NOW,
						    &jw, &k, &e), 0, "%s", e.msg);
			cachew_put(kr, k, &jw, NOW);
			for (i = 0; i < sizeof diff_opts / sizeof *diff_opts; i++)
				for (t = 0; t < sizeof diff_times /
					       sizeof *diff_times; t++)
					diff_one(tok, diff_opts[i],
						 diff_times[t], &hits, &rejects);
			free(tok);
		}
	}
	cr_log_info("cache vs daemon: %zu hits, %zu identical refusals", hits,
		    rejects);
	cr_assert_gt(hits, 100);
	cr_assert_gt(rejects, 100);
}

/* An HS256 token over any payload text, made with k0 (sign would refuse
 * most of these payloads, as jsonwebtoken does). */
static char *craft(const char *payload)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"kid\":\"k0\"}";
	uint8_t mac[64];
	char *t = malloc(AG_TOKEN_MAX);
	size_t n;

	cr_assert_not_null(t);
	n = b64url_encode(t, (const uint8_t *)hdr, sizeof hdr - 1);
	t[n++] = '.';
	n += b64url_encode(t + n, (const uint8_t *)payload, strlen(payload));
	key_hmac(kr->keys[0].key, 256, (const uint8_t *)t, n, mac);
	t[n++] = '.';
	n += b64url_encode(t + n, mac, 32);
	t[n] = '\0';
	return t;
}

Test(cache, payloads_the_fast_path_cannot_carry_are_not_cached)
{
	static const char *const payloads[] = {
		"{\"exp\":\"soon\"}", "{\"nbf\":null}", "{\"iat\":[1]}",
		"\"a string\"", "[1,2]", "null",
	};
	static struct vopts o;
	struct ag_error e;
	const struct kr_key *k;
	size_t i;
	char *tok;

	cr_assert_eq(vopts_parse(&o, "{\"ignoreExpiration\":true}", 25, &e),
		     0, "%s", e.msg);
	for (i = 0; i < sizeof payloads / sizeof *payloads; i++) {
		tok = craft(payloads[i]);
		if (keyring_verify(kr, tok, strlen(tok), &o, NOW, &jw, &k,
				   &e) == 0)
			cachew_put(kr, k, &jw, NOW);
		cr_assert_eq(look_now(tok), CACHE_MISS, "%s", payloads[i]);
		free(tok);
	}
	tok = craft("{\"sub\":\"ok\"}");
	put(kr, &kr->keys[0], tok, NOW);
	cr_assert_eq(look_now(tok), CACHE_HIT, "the crafted control");
	free(tok);
}

/* The daemon's reload: the cache learns the new keyring, which goes live. */
static void swap(const char *spec, uint64_t gen)
{
	struct keyring *next = fx_keyring(dir, spec, gen);

	cr_assert_not_null(next);
	cachew_keys(next);
	keyring_unref(kr);
	kr = next;
}

Test(cache, keys_that_leave_take_their_entries)
{
	struct keyring *next;
	const struct kr_key *k1 = &kr->keys[1];
	char *t0 = signed_put("{\"sub\":\"a\"}", NULL), *t1;

	/* a token only k1 verifies: signed by a keyring where k1 is primary */
	next = fx_keyring(dir, "k1:primary k0:verify", 2);
	t1 = fx_sign(next, "{\"sub\":\"b\"}", NULL, NOW, &k1);
	keyring_unref(next);
	k1 = &kr->keys[1];
	put(kr, k1, t1, NOW);
	cr_assert_eq(look_now(t1), CACHE_HIT);
	/* the same keys reloaded: entries stay */
	swap("k0:primary k1:verify", 3);
	cr_assert_eq(look_now(t0), CACHE_HIT);
	cr_assert_eq(look_now(t1), CACHE_HIT);
	/* k1 gone: its entries stop at once, k0's stay */
	swap("k0:primary", 4);
	cr_assert_eq(look_now(t1), CACHE_MISS);
	cr_assert_eq(look_now(t0), CACHE_HIT);
	/* k1 back with the same material: its old entries stay dead */
	swap("k0:primary k1:verify", 5);
	cr_assert_eq(look_now(t1), CACHE_MISS);
	/* k0 with new material under the same name and kid */
	swap("k0+:primary k1:verify", 6);
	cr_assert_eq(look_now(t0), CACHE_MISS);
	free(t0);
	free(t1);
}

Test(cache, retired_and_past_retire_time_miss)
{
	char *t0 = signed_put("{\"sub\":\"a\"}", NULL);
	struct cache_hit hit;
	struct ag_error e;

	/* demoted, retiring at NOW + 100: hits until then, not after */
	swap("k1:primary k0:verify:1800000100", 2);
	cr_assert_eq(look(t0, NULL, NOW + 99, &hit, &e), CACHE_HIT);
	cr_assert_eq(look(t0, "{\"ignoreExpiration\":true}", NOW + 100, &hit,
			  &e), CACHE_MISS);
	swap("k1:primary k0:retired", 3);
	cr_assert_eq(look_now(t0), CACHE_MISS);
	free(t0);
}

Test(cache, purges)
{
	char *a = signed_put("{\"sub\":\"alice\",\"jti\":\"j-a\"}", NULL);
	char *b = signed_put("{\"sub\":\"alice\",\"n\":2}", NULL);
	char *c = signed_put("{\"sub\":\"bob\",\"jti\":\"j-c\"}", NULL);
	char *d = signed_put("{\"sub\":42}", "{\"noTimestamp\":true}");
	const struct kr_key *k;
	char *late = fx_sign(kr, "{\"sub\":\"alice\",\"n\":3}", NULL, NOW + 10,
			     &k);

	put(kr, k, late, NOW + 10);
	cr_assert_eq(cachew_purge_token(c, strlen(c)), 1);
	cr_assert_eq(look_now(c), CACHE_MISS);
	cr_assert_eq(cachew_purge_jti("j-a", 3), 1);
	cr_assert_eq(look_now(a), CACHE_MISS);
	/* alice's tokens issued at or before NOW; not the later one */
	cr_assert_eq(cachew_purge_subject("alice", 5, NOW), 1);
	cr_assert_eq(look_now(b), CACHE_MISS);
	cr_assert_eq(look(late, NULL, NOW + 10, &(struct cache_hit){ 0 },
			  &(struct ag_error){ 0 }), CACHE_HIT);
	/* a number subject is named by its String(), and without iat any
	 * revocation covers it */
	cr_assert_eq(cachew_purge_subject("42", 2, NOW - 1000), 1);
	cr_assert_eq(look_now(d), CACHE_MISS);
	free(a);
	free(b);
	free(c);
	free(d);
	free(late);
}

Test(cache, a_silent_or_stopped_daemon_is_stale)
{
	struct cache_hit hit;
	struct ag_error e;
	static struct vopts o;
	char *t = signed_put("{\"sub\":\"a\"}", NULL);

	cr_assert_eq(vopts_parse(&o, NULL, 0, &e), 0);
	cachew_heartbeat(NOW);
	cr_assert_eq(cache_lookup(&map, t, strlen(t), &o, NOW + 1.9, &hit, &e),
		     CACHE_HIT);
	cr_assert_eq(cache_lookup(&map, t, strlen(t), &o, NOW + 2.1, &hit, &e),
		     CACHE_STALE);
	cachew_close();
	cr_assert_eq(cache_lookup(&map, t, strlen(t), &o, NOW, &hit, &e),
		     CACHE_STALE, "closed by the daemon");
	free(t);
}

Test(cache, evicts_expired_first_then_oldest)
{
	struct cachew_stats st;
	char payload[64], *t, *first = NULL;
	size_t i, n;

	cachew_stats(&st);
	n = st.slots * 3;
	for (i = 0; i < n; i++) {
		snprintf(payload, sizeof payload, "{\"i\":%zu}", i);
		t = signed_put(payload, NULL);
		if (i == 0)
			first = t;
		else
			free(t);
	}
	cachew_stats(&st);
	cr_assert_eq(st.inserts, n);
	cr_assert_geq(st.evictions, n - st.slots);
	cr_assert_leq(st.entries, st.slots);
	cr_assert_eq(look_now(first), CACHE_MISS, "the oldest went");
	free(first);
}

Test(cache, expired_entries_go_before_live_ones)
{
	const struct kr_key *k;
	char payload[64], *live[CACHE_WAYS], *t;
	uint64_t b;
	size_t n = 0, i;

	/* fill one bucket with live tokens and one expired one */
	t = fx_sign(kr, "{\"e\":0}", "{\"expiresIn\":1}", NOW - 10, &k);
	put(kr, k, t, NOW - 10);
	b = bucket_of(t);
	for (i = 1; n < CACHE_WAYS - 1; i++) {
		snprintf(payload, sizeof payload, "{\"e\":%zu}", i);
		live[n] = fx_sign(kr, payload, NULL, NOW, &k);
		if (bucket_of(live[n]) != b) {
			free(live[n]);
			continue;
		}
		put(kr, k, live[n++], NOW);
	}
	/* one more for the bucket takes the expired slot */
	for (;; i++) {
		snprintf(payload, sizeof payload, "{\"e\":%zu}", i);
		live[n] = fx_sign(kr, payload, NULL, NOW, &k);
		if (bucket_of(live[n]) == b)
			break;
		free(live[n]);
	}
	put(kr, k, live[n++], NOW);
	for (i = 0; i < n; i++) {
		cr_assert_eq(look_now(live[i]), CACHE_HIT, "live %zu", i);
		free(live[i]);
	}
	free(t);
}

/* A copy of the cache file, damaged, must map as an error or miss. */
static int copy_cache(void)
{
	char path[96];
	int fd;

	snprintf(path, sizeof path, "%s/copy", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, map.base, map.size, 0), (ssize_t)map.size);
	return fd;
}

Test(cache, damaged_files_are_refused_or_miss)
{
	struct cache_map m;
	struct cache_header h;
	struct cache_slot s;
	struct cache_hit hit;
	struct ag_error e;
	static struct vopts o;
	char *t = signed_put("{\"sub\":\"a\"}", NULL);
	off_t at = bucket_offset(t);
	int fd = copy_cache();

	cr_assert_eq(vopts_parse(&o, NULL, 0, &e), 0);
	cr_assert_eq(cache_map(&m, fd, &e), 0, "%s", e.msg);
	cr_assert_eq(cache_lookup(&m, t, strlen(t), &o, NOW, &hit, &e),
		     CACHE_HIT, "the intact copy");
	cache_unmap(&m);
	/* the slot: token length past the slot, a key out of range, a
	 * payload segment out of the token, an unknown algorithm */
	cr_assert_eq(pread(fd, &s, sizeof s, at), sizeof s);
	for (int k = 0; k < 4; k++) {
		struct cache_slot bad = s;

		if (k == 0)
			bad.len = 60000;
		else if (k == 1)
			bad.key = 200;
		else if (k == 2)
			bad.pay_off = 60000;
		else
			bad.alg = 77;
		cr_assert_eq(pwrite(fd, &bad, sizeof bad, at), sizeof bad);
		cr_assert_eq(cache_map(&m, fd, &e), 0);
		cr_assert_eq(cache_lookup(&m, t, strlen(t), &o, NOW, &hit, &e),
			     CACHE_MISS, "damage %d", k);
		cache_unmap(&m);
	}
	/* one byte differs from what the slot's hash was taken over - the
	 * signing input's first byte, one in the middle, its last - or one
	 * bit of the signature's digest: only a comparison of every byte
	 * can tell */
	cr_assert_eq(pwrite(fd, &s, sizeof s, at), sizeof s);
	for (size_t i = 0; i < 4; i++) {
		size_t in = (size_t)(strrchr(t, '.') - t);
		size_t pos[3] = { 0, in / 2, in - 1 };
		off_t b = i < 3 ? at + CACHE_SLOT_HEAD + (off_t)pos[i] :
			  at + (off_t)offsetof(struct cache_slot, sig) + 31;
		char c;

		cr_assert_eq(pread(fd, &c, 1, b), 1);
		c ^= 1;
		cr_assert_eq(pwrite(fd, &c, 1, b), 1);
		cr_assert_eq(cache_map(&m, fd, &e), 0);
		cr_assert_eq(cache_lookup(&m, t, strlen(t), &o, NOW, &hit, &e),
			     CACHE_MISS, "same hash, byte %zu changed", i);
		cache_unmap(&m);
		c ^= 1;
		cr_assert_eq(pwrite(fd, &c, 1, b), 1);
	}
	/* the header: magic, version, slot count and size, file size */
	cr_assert_eq(pread(fd, &h, sizeof h, 0), sizeof h);
	cr_assert_gt(h.cls[1].nslots, 0, "the test cache has large slots");
	for (int k = 0; k < 14; k++) {
		struct cache_header bad = h;

		if (k == 0)
			bad.magic[0] = 'X';
		else if (k == 1)
			bad.version = 1;        /* the layout before this one */
		else if (k == 2)
			bad.cls[0].nslots = 1ULL << 40;
		else if (k == 3)
			bad.cls[0].slot_size = 100;
		else if (k == 4)
			bad.file_size += 4096;
		else if (k == 5)
			bad.cls[0].slots_off += 8;   /* misaligned slots */
		/* offsets and sizes whose sums wrap past 2^64 to look
		 * small: tags before the mapping, slots past its end */
		else if (k == 6)
			bad.cls[0].tags_off = (uint64_t)-128;
		else if (k == 7)
			bad.cls[0].tags_off = 0 - h.cls[0].nslots * 8;
		else if (k == 8)
			bad.cls[0].nslots = (1ULL << 61) + CACHE_WAYS;
		else if (k == 9)
			bad.cls[1].slots_off = (uint64_t)-4096;
		else if (k == 10)
			bad.cls[1].tags_off = 0 - h.cls[1].nslots * 8;
		/* large slots no larger than the small ones, and slots
		 * that start inside the header */
		else if (k == 11)
			bad.cls[1].slot_size = h.cls[0].slot_size;
		else if (k == 12)
			bad.cls[0].slots_off = 0;
		else
			bad.cls[1].nslots = 1ULL << 62;
		cr_assert_eq(pwrite(fd, &bad, sizeof bad, 0), sizeof bad);
		cr_assert_eq(cache_map(&m, fd, &e), -1, "header damage %d", k);
	}
	/* truncated */
	cr_assert_eq(pwrite(fd, &h, sizeof h, 0), sizeof h);
	cr_assert_eq(ftruncate(fd, (off_t)map.size / 2), 0);
	cr_assert_eq(cache_map(&m, fd, &e), -1);
	cr_assert_eq(ftruncate(fd, 100), 0);
	cr_assert_eq(cache_map(&m, fd, &e), -1);
	close(fd);
	free(t);
}

/* By default a page of the cache is taken when an entry first lands on
 * it; preallocated, all of it is taken when it is made, so a cold storm's
 * inserts do not each fault a page in (bench/NOTES.md). */
Test(cache, memory_taken_as_used_or_preallocated)
{
	struct ag_error e;
	struct stat st;

	cr_assert_eq(fstat(cachew_fd(), &st), 0);
	cr_assert_lt((uint64_t)st.st_blocks * 512, 64 * 1024,
		     "%lld bytes of 1 MiB taken before any entry",
		     (long long)st.st_blocks * 512);
	cache_unmap(&map);
	cachew_close();
	cr_assert_eq(cachew_open(1 << 20, 512, 1, "sub", NOW, &e), 0, "%s",
		     e.msg);
	cr_assert_eq(cache_map(&map, cachew_fd(), &e), 0, "%s", e.msg);
	cr_assert_eq(fstat(cachew_fd(), &st), 0);
	cr_assert_geq((uint64_t)st.st_blocks * 512, 1 << 20,
		      "%lld bytes taken of 1 MiB", (long long)st.st_blocks * 512);
}

/* A preallocated cache the host cannot hold is refused with what to do,
 * before any of it is taken.  The file size limit stands guard: were the check gone,
 * the memfd could not grow past it (EFBIG), and nothing is allocated. */
Test(cache, refuses_more_than_the_memory_available)
{
	struct rlimit fsz, was;
	uint64_t avail = meminfo_available();
	struct ag_error e;

	if (avail == UINT64_MAX)
		cr_skip_test("the memory available cannot be read here");
	cachew_close();
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &was), 0);
	fsz = was;
	fsz.rlim_cur = 1 << 30;
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &fsz), 0);
	cr_assert_eq(cachew_open(avail + (1ULL << 30), 512, 1, "sub", NOW, &e), -1);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &was), 0);
	cr_assert_eq(e.code, AG_E_CONFIG);
	cr_assert(strstr(e.msg, "memory available to agauthd") != NULL &&
		  strstr(e.msg, "lower it") != NULL, "%s", e.msg);
	cr_assert(!cachew_enabled());
}

Test(cache, refuses_bad_sizes)
{
	struct ag_error e;

	cachew_close();
	cr_assert_eq(cachew_open(1 << 20, 500, 0, "sub", NOW, &e), -1);
	cr_assert(strstr(e.msg, "multiple of 64") != NULL, "%s", e.msg);
	cr_assert_eq(cachew_open(1000, 512, 0, "sub", NOW, &e), -1);
	cr_assert(strstr(e.msg, "size") != NULL, "%s", e.msg);
	cr_assert_eq(cachew_open(0, 512, 0, "sub", NOW, &e), 0);
	cr_assert(!cachew_enabled());
}
