/*
 * cache.h - the shared-memory table of verified tokens (docs/cache.md):
 * its layout, and the reader every client runs.  The daemon is the only
 * writer (daemon/cachew.c); clients map the file read-only.
 *
 * An entry never holds a usable token: it keeps the token's signing input
 * (header.payload) byte for byte and the SHA-256 of its signature segment.
 * A hit needs the presented signing input to equal an entry's and the
 * digest of the presented signature to equal the entry's: the keyed hash
 * of the signing input only picks the bucket, so every spelling of one
 * token lands in one bucket.  Every slot is a seqlock (odd while the
 * daemon writes it); a reader that sees it move, or anything else it does
 * not expect, answers "miss" and the caller asks the daemon.  On a hit
 * the reader runs the caller's options through the same claim checks the
 * daemon runs (shared/claims.c).
 */
#ifndef AG_CACHE_H
#define AG_CACHE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/agerr.h"
#include "shared/limits.h"
#include "shared/vopts.h"

#define CACHE_MAGIC        "AGCACHE"     /* 8 bytes with its NUL */
#define CACHE_VERSION      2
#define CACHE_WAYS         8             /* slots per bucket */
#define CACHE_SECRET_LEN   192           /* XXH3 secret (>= 136) */
#define CACHE_KEYS         AG_KEYRING_MAX
#define CACHE_SLOT_HEAD    96            /* bytes before a slot's input */
#define CACHE_DIGEST_LEN   32            /* SHA-256 of the signature */
/* Slot classes: an entry goes to the first class whose slots hold its
 * signing input (class 0: [cache] slot; class 1: AG_CACHE_BIG_SLOT). */
#define CACHE_CLASSES      2

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

/* One class of slots: nslots of slot_size bytes from slots_off, and
 * their tags (uint64_t each, one cache line per bucket) from tags_off. */
struct cache_class {
	uint64_t tags_off;             /* inside the header region */
	uint64_t slots_off;            /* at or after header_size */
	uint64_t nslots;               /* a multiple of ways; class 1 may
					* have none */
	uint32_t slot_size;
	uint32_t pad;
};

struct cache_header {
	char magic[8];
	uint32_t version;              /* at offset 8 in every version */
	uint32_t header_size;          /* bytes before the first slot */
	uint64_t file_size;
	uint32_t ways;
	uint32_t daemon_pid;
	struct cache_class cls[CACHE_CLASSES];
	uint64_t instance;             /* random, per cache */
	_Atomic uint32_t state;        /* enum cache_state */
	uint32_t pad;
	_Atomic int64_t heartbeat_ms;  /* wall clock, every CACHE_BEAT_MS */
	_Atomic uint64_t entries, inserts, evictions;
	uint8_t secret[CACHE_SECRET_LEN];
	struct cache_key keys[CACHE_KEYS];
};

struct cache_slot {
	_Atomic uint32_t seq;          /* odd while written */
	uint16_t len;                  /* signing input bytes; 0: empty */
	uint8_t key;                   /* index into keys[] */
	uint8_t alg;                   /* vopts_alg_index() */
	uint32_t key_gen;
	uint16_t flags;                /* CACHE_F_* */
	uint16_t pay_off, pay_len;     /* payload segment in the input */
	uint16_t pad;
	uint32_t pad2;
	uint64_t hash;                 /* cache_hash of the input */
	double nbf, exp, iat;
	int64_t inserted_ms;           /* eviction order (daemon only) */
	uint8_t sig[CACHE_DIGEST_LEN]; /* cache_digest of the signature */
	char input[];                  /* header.payload, no signature */
};

/* A heartbeat older than this means the daemon is gone: every lookup
 * misses until the client maps the next daemon's cache. */
#define CACHE_BEAT_MS      250
#define CACHE_STALE_MS     2000

/* A class as the reader uses it: checked once when mapped, then never
 * read from the shared header again. */
struct cache_geom {
	const uint64_t *tags;
	const uint8_t *slots;
	uint64_t nbuckets;             /* 0: no slots in this class */
	uint32_t slot_size;
};

struct cache_map {
	const uint8_t *base;
	size_t size;
	const struct cache_header *h;
	struct cache_geom cls[CACHE_CLASSES];
	uint32_t room[CACHE_CLASSES];  /* input bytes a slot holds; 0: none */
};

/* Maps a cache fd read-only and checks the header against the file's
 * size; never trusts a size the file does not have. */
int cache_map(struct cache_map *m, int fd, struct ag_error *e);
void cache_unmap(struct cache_map *m);

/* The bucket hash of a signing input (keyed with the cache's secret). */
uint64_t cache_hash(const struct cache_header *h, const char *input,
		    size_t len);
/* SHA-256 of a token's signature segment, as the token spells it. */
void cache_digest(const char *sig, size_t len,
		  uint8_t out[CACHE_DIGEST_LEN]);
/* The class of slots an entry of `input_len` bytes goes to, or -1 if
 * none holds it.  room[c]: the input bytes a slot of class c holds (0:
 * the class has no slots).  Writer and readers choose alike. */
int cache_class_for(const uint32_t room[CACHE_CLASSES], size_t input_len);

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
