/* cachew.c - the one writer of the verified-token cache. */
#include "daemon/cachew.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "daemon/engine/key.h"
#include "daemon/meminfo.h"
#include "shared/cache.h"
#include "shared/claims.h"

#define CACHEW_PAGE 4096

/* What only the daemon knows of a slot: hashes of the claims revocation
 * matches, keyed with a seed no client sees (cachew_claim_hash); 0 for
 * a claim the token does not have.  16 bytes a slot, 1/32 of the cache
 * with 512-byte slots, in private memory. */
struct cachew_aux {
	uint64_t sub, jti;
};

static struct {
	int fd;
	uint8_t *base;
	size_t size;
	struct cache_header *h;
	uint64_t nbuckets[CACHE_CLASSES];
	uint32_t room[CACHE_CLASSES];  /* as readers see it (shared/cache.h) */
	uint64_t first[CACHE_CLASSES]; /* a class's first slot in aux[] */
	struct cachew_aux *aux;
	char subjects[AG_SUBJECT_CLAIMS_LEN]; /* claims_subject's names */
	uint64_t seed;
	uint64_t skipped;
	struct keyring *live;        /* the keyring keys[] describes */
	uint8_t used[CACHE_KEYS];
	struct buf text;             /* claim values, reused */
} cw = { .fd = -1 };

static int cachew_fail(struct ag_error *e, const char *what)
{
	int err = errno;

	cachew_close();
	return ag_fail(e, AG_E_CONFIG, "cache: %s: %s", what, strerror(err));
}

static int64_t cachew_ms(double now)
{
	return (int64_t)(now * 1000.0);
}

/* n slots of `slot` bytes (and their tags) that `bytes` pays for, in
 * whole buckets */
static uint64_t cachew_fit(uint64_t bytes, unsigned slot)
{
	return bytes / (slot + 8) / CACHE_WAYS * CACHE_WAYS;
}

/*
 * The file: header, the two classes' tags, pages up to header_size, then
 * class 0's slots and class 1's.  Class 1 (AG_CACHE_BIG_SLOT bytes a
 * slot) gets 1/AG_CACHE_BIG_SHARE of the file, unless class 0's slots are
 * that large already or the share pays for no bucket.
 */
static int cachew_layout(struct cache_header *h, unsigned long long size,
			 unsigned slot, struct ag_error *e)
{
	uint64_t tags = (sizeof(struct cache_header) + 63) / 64 * 64;
	uint64_t spare = size > tags + 2 * CACHEW_PAGE ?
			 size - tags - 2 * CACHEW_PAGE : 0;
	uint64_t n0, n1 = 0, head;

	if (slot < AG_CACHE_SLOT_MIN || slot > AG_CACHE_SLOT_MAX ||
	    slot % 64 != 0)
		return ag_fail(e, AG_E_CONFIG, "cache: slot must be a "
			       "multiple of 64 from %d to %d", AG_CACHE_SLOT_MIN,
			       AG_CACHE_SLOT_MAX);
	if (slot < AG_CACHE_BIG_SLOT)
		n1 = cachew_fit(spare / AG_CACHE_BIG_SHARE, AG_CACHE_BIG_SLOT);
	/* each slot costs its bytes and an 8-byte tag before the slots */
	n0 = cachew_fit(spare - n1 * (AG_CACHE_BIG_SLOT + 8), slot);
	if (size < AG_CACHE_MIN || size > AG_CACHE_MAX || n0 == 0)
		return ag_fail(e, AG_E_CONFIG, "cache: size must be from %d "
			       "to %llu bytes", AG_CACHE_MIN,
			       (unsigned long long)AG_CACHE_MAX);
	head = (tags + (n0 + n1) * 8 + CACHEW_PAGE - 1) / CACHEW_PAGE *
	       CACHEW_PAGE;
	cw.size = (size_t)size;
	h->header_size = (uint32_t)head;
	h->cls[0].tags_off = tags;
	h->cls[0].slots_off = head;
	h->cls[0].nslots = n0;
	h->cls[0].slot_size = slot;
	h->cls[1].tags_off = tags + n0 * 8;
	h->cls[1].slots_off = head + n0 * slot;
	h->cls[1].nslots = n1;
	h->cls[1].slot_size = n1 != 0 ? AG_CACHE_BIG_SLOT : 0;
	return 0;
}

int cachew_open(unsigned long long size, unsigned slot, int preallocate,
		const char *subjects, double now, struct ag_error *e)
{
	struct cache_header tmp, *h;
	int i;

	if (size == 0)
		return 0;
	if (strlen(subjects) >= sizeof cw.subjects)
		return ag_fail(e, AG_E_CONFIG, "cache: subject claims too long");
	memset(&tmp, 0, sizeof tmp);
	if (cachew_layout(&tmp, size, slot, e) != 0)
		return -1;
	/* memory committed now: a cache the host cannot hold is refused
	 * here, not met by the OOM killer at start */
	if (preallocate && cw.size > meminfo_available())
		return ag_fail(e, AG_E_CONFIG, "cache: [cache] size %llu MiB "
			       "is more than the %llu MiB of memory available "
			       "to agauthd now; lower it",
			       (unsigned long long)(cw.size >> 20),
			       (unsigned long long)(meminfo_available() >> 20));
	/* a sealed memfd: clients get a descriptor they cannot write
	 * through, map writable, or resize under us (F_SEAL_FUTURE_WRITE
	 * leaves only the mapping made before the seal writable) */
	cw.fd = memfd_create("agauthd-cache", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (cw.fd < 0 || ftruncate(cw.fd, (off_t)cw.size) != 0)
		return cachew_fail(e, "memfd");
	/* preallocated, every page now, and mapped: a cold storm's inserts
	 * each touch a page of their own, and a first touch is a fault that
	 * allocates and zeroes it (5 µs of a 30 µs RS256 verify,
	 * bench/NOTES.md) */
	if (preallocate && fallocate(cw.fd, 0, 0, (off_t)cw.size) != 0)
		return cachew_fail(e, "preallocating its memory");
	cw.base = mmap(NULL, cw.size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | (preallocate ? MAP_POPULATE : 0), cw.fd, 0);
	if (cw.base == MAP_FAILED) {
		cw.base = NULL;
		return cachew_fail(e, "mmap");
	}
	if (fcntl(cw.fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
		  F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) != 0)
		return cachew_fail(e, "seal");
	cw.aux = calloc(tmp.cls[0].nslots + tmp.cls[1].nslots,
			sizeof *cw.aux);
	if (cw.aux == NULL)
		return cachew_fail(e, "slot table");
	for (i = 0; i < CACHE_CLASSES; i++) {
		cw.nbuckets[i] = tmp.cls[i].nslots / CACHE_WAYS;
		cw.room[i] = tmp.cls[i].nslots != 0 ?
			     tmp.cls[i].slot_size - CACHE_SLOT_HEAD : 0;
		cw.first[i] = i == 0 ? 0 : tmp.cls[0].nslots;
	}
	h = cw.h = (struct cache_header *)cw.base;
	*h = tmp;
	memcpy(h->magic, CACHE_MAGIC, sizeof h->magic);
	h->version = CACHE_VERSION;
	h->file_size = cw.size;
	h->ways = CACHE_WAYS;
	h->daemon_pid = (uint32_t)getpid();
	if (key_rng(NULL, (unsigned char *)&h->instance,
		    sizeof h->instance) != 0 ||
	    key_rng(NULL, h->secret, sizeof h->secret) != 0 ||
	    key_rng(NULL, (unsigned char *)&cw.seed, sizeof cw.seed) != 0)
		return cachew_fail(e, "random");
	/* an exact number in JavaScript too, and never 0 ("no cache") */
	h->instance = (h->instance & ((1ULL << 53) - 1)) | 1;
	for (i = 0; i < CACHE_KEYS; i++)
		atomic_store(&h->keys[i].gen, 1);    /* odd: free */
	strcpy(cw.subjects, subjects);
	buf_init(&cw.text, AG_TOKEN_MAX);
	cachew_heartbeat(now);
	atomic_store_explicit(&h->state, CACHE_LIVE, memory_order_release);
	return 0;
}

void cachew_close(void)
{
	if (cw.h != NULL)
		atomic_store(&cw.h->state, CACHE_CLOSED);
	if (cw.base != NULL)
		munmap(cw.base, cw.size);
	if (cw.fd >= 0)
		close(cw.fd);
	free(cw.aux);
	buf_free(&cw.text);
	if (cw.live != NULL)
		keyring_unref(cw.live);
	memset(&cw, 0, sizeof cw);
	cw.fd = -1;
}

int cachew_enabled(void)
{
	return cw.base != NULL;
}

int cachew_fd(void)
{
	return cw.fd;
}

uint64_t cachew_instance(void)
{
	return cw.base != NULL ? cw.h->instance : 0;
}

void cachew_heartbeat(double now)
{
	if (cw.h != NULL)
		atomic_store_explicit(&cw.h->heartbeat_ms, cachew_ms(now),
				      memory_order_release);
}

/* ------------------------------------------------------------- keys */

/* The live key (of the keyring keys[] describes now) that k continues:
 * same name, kid, algorithm and material. */
static int cachew_key_match(const struct kr_key *k)
{
	const struct keyring *old = cw.live;
	const struct kr_key *o;
	int i;

	for (i = 0; old != NULL && i < old->n; i++) {
		o = &old->keys[i];
		if (o->cache_key >= 0 && strcmp(o->name, k->name) == 0 &&
		    o->has_kid == k->has_kid && strcmp(o->kid, k->kid) == 0 &&
		    o->alg == k->alg && key_same(o->key, k->key))
			return o->cache_key;
	}
	return -1;
}

/* gen odd: the slot is free or changing and no entry matches it; every
 * even value is used once, so entries of a former key never come back */
static void cachew_key_drop(int s)
{
	atomic_fetch_add_explicit(&cw.h->keys[s].gen, 1, memory_order_release);
	cw.used[s] = 0;
}

static void cachew_key_take(int s, const struct kr_key *k)
{
	struct cache_key *ck = &cw.h->keys[s];

	memset(ck->kid, 0, sizeof ck->kid);
	if (k->has_kid)
		memcpy(ck->kid, k->kid, strlen(k->kid));
	atomic_fetch_add_explicit(&ck->gen, 1, memory_order_release);
	cw.used[s] = 1;
}

void cachew_keys(struct keyring *kr)
{
	uint8_t keep[CACHE_KEYS] = { 0 };
	struct kr_key *k;
	int i, s;

	for (i = 0; i < kr->n; i++) {
		k = &kr->keys[i];
		k->cache_key = -1;
		if (cw.base == NULL || k->state == KR_RETIRED)
			continue;
		k->cache_key = cachew_key_match(k);
		if (k->cache_key >= 0)
			keep[k->cache_key] = 1;
	}
	for (s = 0; s < CACHE_KEYS; s++)
		if (cw.base != NULL && cw.used[s] && !keep[s])
			cachew_key_drop(s);
	for (i = 0, s = 0; cw.base != NULL && i < kr->n; i++) {
		k = &kr->keys[i];
		if (k->state == KR_RETIRED)
			continue;
		if (k->cache_key < 0) {
			/* at most AG_KEYRING_MAX keys: a free slot exists */
			while (cw.used[s])
				s++;
			cachew_key_take(s, k);
			k->cache_key = s;
		}
		atomic_store(&cw.h->keys[k->cache_key].retire_ms,
			     k->until * 1000);
	}
	if (cw.base == NULL)
		return;
	keyring_ref(kr);
	if (cw.live != NULL)
		keyring_unref(cw.live);
	cw.live = kr;
}

/* ------------------------------------------------------------ slots */

/* A slot: slot i of class c. */
struct cachew_at {
	int c;
	uint64_t i;
};

static uint64_t *cachew_tag(struct cachew_at at)
{
	return (uint64_t *)(cw.base + cw.h->cls[at.c].tags_off) + at.i;
}

static struct cache_slot *cachew_slot(struct cachew_at at)
{
	const struct cache_class *k = &cw.h->cls[at.c];

	return (struct cache_slot *)(cw.base + k->slots_off +
				     at.i * k->slot_size);
}

static struct cachew_aux *cachew_aux_of(struct cachew_at at)
{
	return &cw.aux[cw.first[at.c] + at.i];
}

/* Seqlock: odd while the body changes; readers that see it move miss. */
static void cachew_begin(struct cache_slot *s)
{
	uint32_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);

	atomic_store_explicit(&s->seq, q + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static void cachew_end(struct cache_slot *s)
{
	uint32_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);

	atomic_store_explicit(&s->seq, q + 1, memory_order_release);
}

static void cachew_clear(struct cachew_at at)
{
	struct cache_slot *s = cachew_slot(at);

	if (s->len == 0)
		return;
	*cachew_tag(at) = 0;
	cachew_begin(s);
	s->len = 0;
	s->hash = 0;
	cachew_end(s);
	memset(cachew_aux_of(at), 0, sizeof(struct cachew_aux));
	atomic_fetch_sub_explicit(&cw.h->entries, 1, memory_order_relaxed);
}

/* An entry no reader can hit any more: its key left, or it expired. */
static int cachew_dead(const struct cache_slot *s, double now)
{
	return atomic_load_explicit(&cw.h->keys[s->key].gen,
				    memory_order_relaxed) != s->key_gen ||
	       ((s->flags & CACHE_F_EXP) && s->exp <= now);
}

/* The first slot of the bucket `hash` picks in class c. */
static struct cachew_at cachew_bucket(int c, uint64_t hash)
{
	struct cachew_at at = { c, (hash % cw.nbuckets[c]) * CACHE_WAYS };

	return at;
}

static int cachew_holds(const struct cache_slot *s, uint64_t hash,
			const char *in, size_t len)
{
	return s->len == len && s->hash == hash &&
	       memcmp(s->input, in, len) == 0;
}

/* The slot for a signing input: its own (whatever the signature's
 * spelling), else an empty one, else a dead one, else the bucket's
 * oldest (an eviction).  *rank says which. */
enum { CACHEW_SAME, CACHEW_EMPTY, CACHEW_DEAD, CACHEW_OLDEST };
static struct cachew_at cachew_victim(int c, uint64_t hash, const char *in,
				      size_t len, double now, int *rank_out)
{
	struct cachew_at at = cachew_bucket(c, hash), pick = at;
	uint64_t end = at.i + CACHE_WAYS;
	const struct cache_slot *s;
	int rank = CACHEW_OLDEST, r;
	int64_t oldest = INT64_MAX;

	for (; at.i < end && rank != CACHEW_SAME; at.i++) {
		s = cachew_slot(at);
		if (cachew_holds(s, hash, in, len))
			r = CACHEW_SAME;
		else
			r = s->len == 0 ? CACHEW_EMPTY : cachew_dead(s, now) ?
			    CACHEW_DEAD : CACHEW_OLDEST;
		if (r < rank || (r == CACHEW_OLDEST && s->inserted_ms < oldest)) {
			rank = r;
			pick = at;
			oldest = s->inserted_ms;
		}
	}
	*rank_out = rank;
	return pick;
}

/* Hash of a claim's value for revocation, or 0 in *has. */
/* A claim value's hash, never 0 (which says "no such claim"): a hash
 * taken as another only costs an extra miss. */
static uint64_t cachew_claim_hash(const char *v, size_t len)
{
	uint64_t h = XXH3_64bits_withSeed(v, len, cw.seed);

	return h != 0 ? h : 1;
}

/* The hash of the first of the claims `names` (claims_subject: what
 * revoke_check matches, so that a purge takes what the check refuses). */
static uint64_t cachew_claim(const struct jwt *j, const char *names)
{
	if (claims_subject(j, names, &cw.text) != 0)
		return 0;
	return cachew_claim_hash(cw.text.p, cw.text.len);
}

/* The entry for j, or -1 if the fast path could not answer for it. */
static int cachew_entry(const struct jwt *j, struct cache_slot *en)
{
	struct claims_times t;
	char alg[8];
	int a;

	if (j->kind != JWT_PAYLOAD_JSON || json_type(&j->pdoc, 0) != JSON_OBJECT ||
	    j->alg < 0 || !json_str_copy(&j->hdoc, j->alg, alg, sizeof alg))
		return -1;
	a = vopts_alg_index(alg, strlen(alg));
	claims_times_get(j, &t);
	if (a < 0 || t.nbf == CLAIMS_OTHER || t.exp == CLAIMS_OTHER ||
	    t.iat == CLAIMS_OTHER)
		return -1;
	en->alg = (uint8_t)a;
	en->flags = (uint16_t)((t.nbf ? CACHE_F_NBF : 0) |
			       (t.exp ? CACHE_F_EXP : 0) |
			       (t.iat ? CACHE_F_IAT : 0));
	en->nbf = t.vnbf;
	en->exp = t.vexp;
	en->iat = t.viat;
	en->pay_off = (uint16_t)(j->seg[1] - j->token);
	en->pay_len = (uint16_t)j->seglen[1];
	return 0;
}

void cachew_put(const struct keyring *kr, const struct kr_key *k,
		const struct jwt *j, double now)
{
	struct cache_slot en, *s;
	struct cachew_aux aux;
	struct cachew_at at;
	size_t in = j->signing_len;
	uint64_t hash;
	int rank, c;

	/* a job that finished after a swap verified with keys whose slots
	 * may have moved on: not worth the doubt */
	if (cw.base == NULL || kr != cw.live || k->cache_key < 0)
		return;
	c = cache_class_for(cw.room, in);
	if (c < 0) {
		cw.skipped++;
		return;
	}
	/* the token's identity: its signing input; the signature is kept
	 * only as a digest, so the mapping holds no usable token */
	cache_digest(j->token + in + 1, j->len - in - 1, en.sig);
	hash = cache_hash(cw.h, j->token, in);
	at = cachew_victim(c, hash, j->token, in, now, &rank);
	s = cachew_slot(at);
	/* verified again under the same key with the same signature:
	 * nothing to write, and readers of the slot keep hitting */
	if (rank == CACHEW_SAME && s->key == k->cache_key &&
	    s->key_gen == atomic_load(&cw.h->keys[s->key].gen) &&
	    memcmp(s->sig, en.sig, sizeof en.sig) == 0)
		return;
	if (cachew_entry(j, &en) != 0) {
		cw.skipped++;
		return;
	}
	aux.sub = cachew_claim(j, cw.subjects);
	aux.jti = cachew_claim(j, "jti");
	if (rank == CACHEW_EMPTY)
		atomic_fetch_add_explicit(&cw.h->entries, 1,
					  memory_order_relaxed);
	else if (rank == CACHEW_OLDEST)
		atomic_fetch_add_explicit(&cw.h->evictions, 1,
					  memory_order_relaxed);
	cachew_begin(s);
	s->len = (uint16_t)in;
	s->key = (uint8_t)k->cache_key;
	s->alg = en.alg;
	s->key_gen = atomic_load_explicit(&cw.h->keys[k->cache_key].gen,
					  memory_order_relaxed);
	s->flags = en.flags;
	s->pay_off = en.pay_off;
	s->pay_len = en.pay_len;
	s->hash = hash;
	s->nbf = en.nbf;
	s->exp = en.exp;
	s->iat = en.iat;
	s->inserted_ms = cachew_ms(now);
	memcpy(s->sig, en.sig, sizeof s->sig);
	memcpy(s->input, j->token, in);
	cachew_end(s);
	*cachew_tag(at) = hash;
	*cachew_aux_of(at) = aux;
	atomic_fetch_add_explicit(&cw.h->inserts, 1, memory_order_relaxed);
}

/* ----------------------------------------------------------- purges */

/* Every spelling of the token: the entry of its signing input, whatever
 * signature it was cached with. */
size_t cachew_purge_token(const char *tok, size_t len)
{
	size_t in = jwt_signing_len(tok, len), n = 0;
	struct cachew_at at;
	uint64_t hash, end;
	int c;

	if (cw.base == NULL || in == 0 || (c = cache_class_for(cw.room, in)) < 0)
		return 0;
	hash = cache_hash(cw.h, tok, in);
	at = cachew_bucket(c, hash);
	for (end = at.i + CACHE_WAYS; at.i < end; at.i++) {
		if (cachew_holds(cachew_slot(at), hash, tok, in)) {
			cachew_clear(at);
			n++;
		}
	}
	return n;
}

/* Clears every entry whose claim hash matches (a hash collision only
 * costs an extra miss), and for subjects was issued at or before
 * `before`. */
static size_t cachew_purge_claim(int jti, const char *v, size_t len,
				 double before)
{
	const struct cachew_aux *a;
	const struct cache_slot *s;
	struct cachew_at at;
	size_t n = 0;
	uint64_t h;

	if (cw.base == NULL)
		return 0;
	h = cachew_claim_hash(v, len);
	for (at.c = 0; at.c < CACHE_CLASSES; at.c++) {
		for (at.i = 0; at.i < cw.h->cls[at.c].nslots; at.i++) {
			a = cachew_aux_of(at);
			if ((jti ? a->jti : a->sub) != h)
				continue;
			s = cachew_slot(at);
			if (!jti && (s->flags & CACHE_F_IAT) && s->iat > before)
				continue;
			cachew_clear(at);
			n++;
		}
	}
	return n;
}

size_t cachew_purge_jti(const char *jti, size_t len)
{
	return cachew_purge_claim(1, jti, len, 0);
}

size_t cachew_purge_subject(const char *value, size_t len, double before)
{
	return cachew_purge_claim(0, value, len, before);
}

void cachew_stats(struct cachew_stats *st)
{
	memset(st, 0, sizeof *st);
	if (cw.base == NULL)
		return;
	st->slots = cw.h->cls[0].nslots + cw.h->cls[1].nslots;
	st->entries = atomic_load(&cw.h->entries);
	st->inserts = atomic_load(&cw.h->inserts);
	st->evictions = atomic_load(&cw.h->evictions);
	st->skipped = cw.skipped;
	st->bytes = cw.size;
}
