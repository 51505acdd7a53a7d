/*
 * cachew.h - the daemon's side of the shared-memory cache (layout in
 * shared/cache.h, spec in docs/cache.md): creates it in a sealed memfd
 * that clients can only map read-only, inserts what was signed or
 * verified, evicts (expired first, then oldest in the bucket), retires
 * the entries of keys that left the keyring, and purges revoked tokens.
 *
 * Loop thread only: the cache has exactly one writer.
 */
#ifndef AG_CACHEW_H
#define AG_CACHEW_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/keyring.h"
#include "shared/agerr.h"
#include "shared/jwt.h"

/* size: bytes of the whole file (0: no cache); slot: bytes per entry.
 * subjects: the claims a subject revocation matches, as revoke_open
 * takes them ("sub username").  preallocate: commit all of its memory
 * now (refused if the memory available is less), where otherwise a page
 * is taken when an entry first lands on it. */
int cachew_open(unsigned long long size, unsigned slot, int preallocate,
		const char *subjects, double now, struct ag_error *e);
/* Marks the cache closed (clients stop hitting at once) and unmaps. */
void cachew_close(void);
int cachew_enabled(void);
/* A descriptor clients may have: sealed against writes and resizing. */
int cachew_fd(void);
uint64_t cachew_instance(void);
void cachew_heartbeat(double now);

/* Before kr goes live: maps its keys onto cache key slots (kr->cache_key),
 * bumps the generation of every key that left or changed, publishes retire
 * times.  */
void cachew_keys(struct keyring *kr);

/* Inserts a token kr's key verified (or signed); j is its decode.  The
 * entry is its signing input and the SHA-256 of its signature: another
 * spelling of the signature replaces it.  Tokens the fast path cannot
 * answer for (not an object payload, a signing input too long for any
 * slot, time claims that are not numbers) are not inserted. */
void cachew_put(const struct keyring *kr, const struct kr_key *k,
		const struct jwt *j, double now);

/* Purges entries; returns how many went.  A token purge goes by the
 * token's signing input: every spelling of its signature goes. */
size_t cachew_purge_token(const char *tok, size_t len);
size_t cachew_purge_jti(const char *jti, size_t len);
/* Tokens whose subject claim is `value` and whose iat is at or before
 * `before` (or that have no iat). */
size_t cachew_purge_subject(const char *value, size_t len, double before);

struct cachew_stats {
	uint64_t slots, entries, inserts, evictions, skipped;
	uint64_t bytes;
};
void cachew_stats(struct cachew_stats *s);

#endif
