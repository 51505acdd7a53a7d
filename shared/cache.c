/* cache.c - mapping the verified-token cache and looking tokens up. */
#include "shared/cache.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "shared/claims.h"
#include "shared/jwt.h"

_Static_assert(sizeof(struct cache_slot) == CACHE_SLOT_HEAD,
	       "slot head size is part of the layout");
_Static_assert(offsetof(struct cache_header, version) == 8,
	       "every layout version keeps its version where readers of "
	       "another look");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2,
	       "the cache is shared between processes: atomics must be "
	       "lock-free");

/* A token decoded for options the fast path does not cover; one per
 * thread, as it is large. */
static _Thread_local struct jwt cache_jwt;

/* off + n * each bytes end within limit; nothing wraps on the way (a
 * header is outside bytes: each of its numbers may be anything) */
static int cache_fits(uint64_t off, uint64_t n, uint64_t each,
		      uint64_t limit)
{
	uint64_t len, end;

	return !__builtin_mul_overflow(n, each, &len) &&
	       !__builtin_add_overflow(off, len, &end) && end <= limit;
}

/* Class c of the header fits the file of `size` bytes and the header
 * region of `head`; its geometry goes to m.  Class 0 must have slots;
 * the next class's are larger, or it has none.  Each number is read from
 * the shared page once. */
static int cache_class_ok(struct cache_map *m, int c, uint64_t head,
			  uint64_t size)
{
	const struct cache_class k = m->h->cls[c];
	uint32_t min = c == 0 ? AG_CACHE_SLOT_MIN : m->cls[c - 1].slot_size + 64;

	if (k.nslots == 0 && c > 0)
		return 1;
	if (k.slot_size < min || k.slot_size > AG_CACHE_SLOT_MAX ||
	    k.slot_size % 64 != 0 || k.nslots == 0 ||
	    k.nslots % CACHE_WAYS != 0 ||
	    k.slots_off < head || k.slots_off % 64 != 0 ||
	    !cache_fits(k.slots_off, k.nslots, k.slot_size, size) ||
	    k.tags_off < sizeof *m->h || k.tags_off % 64 != 0 ||
	    !cache_fits(k.tags_off, k.nslots, sizeof(uint64_t), head))
		return 0;
	m->cls[c].tags = (const uint64_t *)(m->base + k.tags_off);
	m->cls[c].slots = m->base + k.slots_off;
	m->cls[c].nbuckets = k.nslots / CACHE_WAYS;
	m->cls[c].slot_size = k.slot_size;
	m->room[c] = k.slot_size - CACHE_SLOT_HEAD;
	return 1;
}

int cache_map(struct cache_map *m, int fd, struct ag_error *e)
{
	const struct cache_header *h;
	struct stat st;
	uint64_t head;
	void *p;

	memset(m, 0, sizeof *m);
	if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof *h)
		return ag_fail(e, AG_E_PROTOCOL, "cache: not a cache file");
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return ag_fail(e, AG_E_PROTOCOL, "cache: cannot map it");
	h = p;
	m->base = p;
	m->h = h;
	/* a layout we do not know is not guessed at: the client asks the
	 * daemon for everything (an older libagauth meets a newer agauthd) */
	if (memcmp(h->magic, CACHE_MAGIC, sizeof h->magic) != 0 ||
	    h->version != CACHE_VERSION) {
		ag_fail(e, AG_E_PROTOCOL, "cache: not a cache of layout "
			"version %d (libagauth and agauthd must be of one "
			"release to share it)", CACHE_VERSION);
		goto fail;
	}
	/* every size the reader uses is checked against the file's own
	 * size, once: a replaced or truncated file must not send us out of
	 * it, and the geometry is not read from the shared page again */
	head = h->header_size;
	if (h->ways != CACHE_WAYS || head < sizeof *h || head % 64 != 0 ||
	    h->file_size != (uint64_t)st.st_size || head > h->file_size ||
	    !cache_class_ok(m, 0, head, (uint64_t)st.st_size) ||
	    !cache_class_ok(m, 1, head, (uint64_t)st.st_size)) {
		ag_fail(e, AG_E_PROTOCOL, "cache: bad header");
		goto fail;
	}
	m->size = (size_t)st.st_size;
	return 0;
fail:
	munmap(p, (size_t)st.st_size);
	memset(m, 0, sizeof *m);
	return -1;
}

void cache_unmap(struct cache_map *m)
{
	if (m->base != NULL)
		munmap((void *)(uintptr_t)m->base, m->size);
	memset(m, 0, sizeof *m);
}

/* What a reader copies out of a slot before re-checking its sequence. */
struct cache_entry {
	unsigned key, alg, flags;
	uint32_t key_gen;
	size_t pay_off, pay_len;
	double nbf, exp, iat;
};

/*
 * Finds the slot holding exactly the signing input tok[0..in) with the
 * signature tok[in+1..len), and copies it out under its seqlock.  Returns
 * 1 on a consistent match, 0 otherwise.
 */
static int cache_find(const struct cache_map *m, const char *tok,
		      size_t in, size_t len, struct cache_entry *en)
{
	int c = cache_class_for(m->room, in);
	const struct cache_geom *g;
	const struct cache_slot *s;
	uint8_t dig[CACHE_DIGEST_LEN];
	uint64_t hash, first, i;
	uint32_t seq;
	int digested = 0;

	if (c < 0)
		return 0;
	g = &m->cls[c];
	hash = cache_hash(m->h, tok, in);
	first = (hash % g->nbuckets) * CACHE_WAYS;
	/* the tags and the bucket's slot heads are fetched at once: a
	 * random hit then waits for memory about once, not twice */
	for (i = first; i < first + CACHE_WAYS; i++)
		__builtin_prefetch(g->slots + i * g->slot_size);
	for (i = first; i < first + CACHE_WAYS; i++) {
		/* one cache line of tags spares reading eight slot heads; the
		 * slot itself decides */
		if (g->tags[i] != hash)
			continue;
		s = (const struct cache_slot *)(g->slots + i * g->slot_size);
		seq = atomic_load_explicit(&s->seq, memory_order_acquire);
		if ((seq & 1) || s->hash != hash || s->len != in)
			continue;
		/* the whole signing input, byte for byte: the hash only chose
		 * the bucket, and a same-length forgery shares it by design */
		if (memcmp(s->input, tok, in) != 0)
			continue;
		/* and the signature, by its digest: the entry holds no
		 * signature a reader of the mapping could present */
		if (!digested)
			cache_digest(tok + in + 1, len - in - 1, dig);
		digested = 1;
		if (memcmp(s->sig, dig, sizeof dig) != 0)
			continue;
		en->key = s->key;
		en->alg = s->alg;
		en->flags = s->flags;
		en->key_gen = s->key_gen;
		en->pay_off = s->pay_off;
		en->pay_len = s->pay_len;
		en->nbf = s->nbf;
		en->exp = s->exp;
		en->iat = s->iat;
		atomic_thread_fence(memory_order_acquire);
		/* the daemon rewrote the slot while we read: doubt is a miss */
		if (atomic_load_explicit(&s->seq, memory_order_relaxed) != seq)
			return 0;
		return 1;
	}
	return 0;
}

/* The entry's key is still the one that verified it, and not retired;
 * its kid is copied out under the key's generation. */
static int cache_key_live(const struct cache_header *h,
			  const struct cache_entry *en, double now,
			  struct cache_hit *hit)
{
	const struct cache_key *k;
	uint32_t gen;
	int64_t retire;

	if (en->key >= CACHE_KEYS)
		return 0;
	k = &h->keys[en->key];
	gen = atomic_load_explicit(&k->gen, memory_order_acquire);
	if (gen != en->key_gen || (gen & 1))
		return 0;
	memcpy(hit->kid, k->kid, sizeof hit->kid);
	hit->kid[sizeof hit->kid - 1] = '\0';
	retire = atomic_load_explicit(&k->retire_ms, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&k->gen, memory_order_relaxed) != gen)
		return 0;
	return retire == 0 || now * 1000.0 < (double)retire;
}

/* The daemon's checks after the signature, from the entry alone. */
static int cache_check_fast(const struct cache_entry *en,
			    const struct vopts *o, double now,
			    struct ag_error *e)
{
	struct claims_times t;

	if (!(o->alg_mask & (1u << en->alg)))
		return ag_fail(e, AG_E_INVALID_ALG, NULL);
	t.nbf = en->flags & CACHE_F_NBF ? CLAIMS_NUMBER : CLAIMS_ABSENT;
	t.exp = en->flags & CACHE_F_EXP ? CLAIMS_NUMBER : CLAIMS_ABSENT;
	t.iat = en->flags & CACHE_F_IAT ? CLAIMS_NUMBER : CLAIMS_ABSENT;
	t.vnbf = en->nbf;
	t.vexp = en->exp;
	t.viat = en->iat;
	return claims_check_times(&t, o, now, e);
}

/* The same checks from the decoded token, for every other option. */
static int cache_check_full(const char *tok, size_t len,
			    const struct cache_entry *en,
			    const struct vopts *o, double now,
			    struct ag_error *e)
{
	struct jwt *j = &cache_jwt;

	if (o->early.code != AG_OK) {
		*e = o->early;
		return -1;
	}
	if (jwt_decode(j, tok, len, e) != 0)
		return -1;
	/* the entry was verified with a key of its algorithm's type */
	if (claims_alg_listed(j, o, alg_at(en->alg)->key, e) != 0)
		return -1;
	return claims_check(j, o, now, e);
}

enum cache_result cache_lookup(const struct cache_map *m, const char *tok,
			       size_t len, const struct vopts *o, double now,
			       struct cache_hit *hit, struct ag_error *e)
{
	const struct cache_header *h = m->h;
	struct cache_entry en;
	int64_t beat;
	size_t in;
	int rc;

	if (h == NULL)
		return CACHE_MISS;
	beat = atomic_load_explicit(&h->heartbeat_ms, memory_order_acquire);
	/* a daemon that stopped or died no longer purges what it revokes:
	 * nothing it left behind may answer */
	if (atomic_load_explicit(&h->state, memory_order_relaxed) != CACHE_LIVE ||
	    now * 1000.0 - (double)beat > CACHE_STALE_MS)
		return CACHE_STALE;
	if (tok == NULL || len == 0)
		return CACHE_MISS;
	in = jwt_signing_len(tok, len);
	if (in == 0 || !cache_find(m, tok, in, len, &en) ||
	    en.alg >= VOPTS_ALGS || en.pay_off + en.pay_len > in ||
	    !cache_key_live(h, &en, now, hit))
		return CACHE_MISS;
	hit->pay_off = en.pay_off;
	hit->pay_len = en.pay_len;
	rc = o->fast ? cache_check_fast(&en, o, now, e) :
	     cache_check_full(tok, len, &en, o, now, e);
	return rc == 0 ? CACHE_HIT : CACHE_REJECT;
}
