/* scan.c - tokens' signatures found in a block of memory (scan.h). */
#include "tests/torture/scan.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "shared/b64url.h"

#define SCAN_LENS 8                 /* distinct signature lengths */
#define SCAN_RAW  160                /* decoded signatures up to ES512's */

/* One needle: token idx's signature, as text or decoded into raw. */
struct scan_needle {
	uint64_t h;
	uint32_t idx;
	uint16_t len;
	uint8_t used, raw;
};

struct scan_set {
	struct scan_needle *tab;
	uint8_t (*raw)[SCAN_RAW];   /* decoded signatures, by token */
	size_t cap;
	uint16_t lens[SCAN_LENS];
	int nlens;
};

static uint64_t scan_hash(const void *p, size_t n)
{
	return XXH3_64bits(p, n) ^ n;
}

static void scan_add(struct scan_set *s, uint32_t idx, const void *p,
		     size_t n, int raw)
{
	size_t i = scan_hash(p, n) & (s->cap - 1);
	int k;

	while (s->tab[i].used)
		i = (i + 1) & (s->cap - 1);
	s->tab[i] = (struct scan_needle){ scan_hash(p, n), idx, (uint16_t)n,
					  1, (uint8_t)raw };
	for (k = 0; k < s->nlens && s->lens[k] != n; k++)
		;
	if (k == s->nlens && k < SCAN_LENS)
		s->lens[s->nlens++] = (uint16_t)n;
}

static const char *scan_sig(const struct truth_token *t, size_t *n)
{
	const char *dot = memrchr(t->tok, '.', t->len);

	*n = dot != NULL ? (size_t)(t->tok + t->len - dot - 1) : 0;
	return dot + 1;
}

/* The needle equal to p[0..n), or NULL. */
static const struct scan_needle *scan_find(const struct scan_set *s,
					   const struct truth_token *t,
					   const uint8_t *p, size_t n)
{
	uint64_t h = scan_hash(p, n);
	size_t i = h & (s->cap - 1), sl;
	const struct scan_needle *e;

	for (; s->tab[i].used; i = (i + 1) & (s->cap - 1)) {
		e = &s->tab[i];
		if (e->h != h || e->len != n)
			continue;
		if (memcmp(e->raw ? (const void *)s->raw[e->idx] :
			   (const void *)scan_sig(&t[e->idx], &sl), p, n) == 0)
			return e;
	}
	return NULL;
}

long scan_tokens(const uint8_t *mem, size_t len, const struct truth_token *t,
		 uint32_t n)
{
	struct scan_set s;
	uint8_t *found = calloc(n + 1, 1);
	const struct scan_needle *e;
	const char *sig;
	size_t sl, p, cap = 64;
	long d, hits = 0;
	uint32_t i;
	int k;

	while (cap < 4 * (size_t)n)
		cap *= 2;
	memset(&s, 0, sizeof s);
	s.cap = cap;
	s.tab = calloc(cap, sizeof *s.tab);
	s.raw = malloc((n + 1) * sizeof *s.raw);
	if (found == NULL || s.tab == NULL || s.raw == NULL) {
		hits = -1;
		goto out;
	}
	for (i = 0; i < n; i++) {
		sig = scan_sig(&t[i], &sl);
		/* too short a needle would be found by chance */
		if (sl < 16)
			continue;
		scan_add(&s, i, sig, sl, 0);
		d = B64URL_DEC_MAX(sl) <= SCAN_RAW ?
		    b64url_decode_loose(s.raw[i], sig, sl) : 0;
		if (d >= 16)
			scan_add(&s, i, s.raw[i], (size_t)d, 1);
	}
	for (k = 0; k < s.nlens; k++)
		for (p = 0; p + s.lens[k] <= len; p++) {
			e = scan_find(&s, t, mem + p, s.lens[k]);
			if (e != NULL && !found[e->idx]) {
				found[e->idx] = 1;
				hits++;
			}
		}
out:
	free(found);
	free(s.tab);
	free(s.raw);
	return hits;
}
