/*
 * cache.h - the shared-memory table of verified tokens (docs/cache.md):
 * its layout, and the reader every client runs.  The daemon is the only
 * writer (daemon/cachew.c); clients map the file read-only.
 *
 * A hit needs the token's bytes to equal an entry's, byte for byte: the
 * keyed hash only picks the bucket.  Every slot is a seqlock (odd while
 * the daemon writes it); a reader that sees it move, or anything else it
 * does not expect, answers "miss" and the caller asks the daemon.  On a
 * hit the reader runs the caller's options through the same claim checks
 * the daemon runs (shared/claims.c).
 */
#ifndef AG_CACHE_H
#define AG_CACHE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "agerr.h"
#include "limits.h"
#include "vopts.h"

#define CACHE_MAGIC        "AGCACHE"     /* 8 bytes with its NUL */
#define CACHE_VERSION      1
#define CACHE_WAYS         8             /* slots per bucket */
#define CACHE_SECRET_LEN   192           /* XXH3 secret (>= 136) */
#define CACHE_KEYS         AG_KEYRING_MAX
#define CACHE_SLOT_HEAD    64            /* bytes before a slot's token */

enum cache_state { CACHE_LIVE = 1, CACHE_CLOSED = 2 };

/* Entry flags: which time claims the payload carries (as numbers). */
#define CACHE_F_NBF  1u
#define CACHE_F_EXP  2u
#define CACHE_F_IAT  4u

/*
 * One key of the keyring.  gen is odd while the slot is being (re)assigned
 * or is free; an entry carries the even gen its key had when it was
 * verified, so bumping gen retires every entry of the key at once.
 */
struct cache_key {
	_Atomic uint32_t gen;
	uint32_t pad;
	_Atomic int64_t retire_ms;     /* 0: none; no hit from then on */
	char kid[AG_KID_MAX + 8];      /* "" for a key without kid */
};

struct cache_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;          /* bytes before slot 0 */
	uint64_t file_size;
	uint32_t slot_size;
	uint32_t ways;
	uint64_t nslots;               /* a multiple of ways */
	uint64_t tags_off;             /* uint64_t tags[nslots]: each slot's
					* hash, one cache line per bucket */
	uint64_t instance;             /* random, per cache */
	uint32_t daemon_pid;
	_Atomic uint32_t state;        /* enum cache_state */
	_Atomic int64_t heartbeat_ms;  /* wall clock, every CACHE_BEAT_MS */
	_Atomic uint64_t entries, inserts, evictions;
	uint8_t secret[CACHE_SECRET_LEN];
	struct cache_key keys[CACHE_KEYS];
};

struct cache_slot {
	_Atomic uint32_t seq;          /* odd while written */
	uint16_t len;                  /* token bytes; 0: empty */
	uint8_t key;                   /* index into keys[] */
	uint8_t alg;                   /* vopts_alg_index() */
	uint32_t key_gen;
	uint16_t flags;                /* CACHE_F_* */
	uint16_t pay_off, pay_len;     /* payload segment in the token */
	uint16_t pad;
	uint64_t hash;
	double nbf, exp, iat;
	int64_t inserted_ms;           /* eviction order (daemon only) */
	char token[];
};

/* A heartbeat older than this means the daemon is gone: every lookup
 * misses until the client maps the next daemon's cache. */
#define CACHE_BEAT_MS      250
#define CACHE_STALE_MS     2000

struct cache_map {
	const uint8_t *base;
	size_t size;
	const struct cache_header *h;
	uint64_t nbuckets;
};

/* Maps a cache fd read-only and checks the header against the file's
 * size; never trusts a size the file does not have. */
int cache_map(struct cache_map *m, int fd, struct ag_error *e);
void cache_unmap(struct cache_map *m);

/* The bucket hash (keyed with the cache's secret). */
uint64_t cache_hash(const struct cache_header *h, const char *tok,
		    size_t len);

enum cache_result {
	CACHE_MISS = 0,      /* ask the daemon */
	CACHE_HIT,           /* valid: *hit filled */
	CACHE_REJECT,        /* the daemon verified it, the caller's options
				refuse it: *e is the daemon's error */
	CACHE_STALE,         /* the daemon is gone or replaced: remap */
};

struct cache_hit {
	size_t pay_off, pay_len;       /* payload segment of the caller's
					* token (base64url) */
	char kid[AG_KID_MAX + 1];
};

/*
 * Looks token up.  now: wall clock in seconds.  Options that only touch
 * algorithms and time claims are checked from the entry; others
 * (audience, issuer, subject, jwtid, nonce, complete) decode the token
 * with shared/jwt.c and run the full claims_check.
 */
enum cache_result cache_lookup(const struct cache_map *m, const char *tok,
			       size_t len, const struct vopts *o, double now,
			       struct cache_hit *hit, struct ag_error *e);

#endif
