/*
 * secmem.h - memory for key material: one reserved region of
 * AG_SECMEM_MAX bytes (shared/limits.h), committed in chunks that are
 * locked (mlock2 with MLOCK_ONFAULT: each page is locked as it is first
 * touched, never written to swap, and resident only once used), left
 * out of core dumps (MADV_DONTDUMP) and wiped in a forked child
 * (MADV_WIPEONFORK).  Every block is zeroed when it is freed.
 *
 * Holds the pre-keyed HMAC states (daemon/engine/crypto_sha2.h), the
 * buffers key files are read and decoded into, and, in the mbedTLS build
 * (make CRYPTO=mbedtls), everything mbedTLS allocates: that build
 * links a copy of libmbedcrypto.a whose calloc and free are renamed to
 * secmem_mbedtls_calloc and secmem_mbedtls_free (Debian's mbedTLS is built
 * without MBEDTLS_PLATFORM_MEMORY, so mbedtls_platform_set_calloc_free
 * does not exist there), so the bignums of RSA and EC private keys and
 * every temporary of a signature live here too.
 *
 * When mlock fails (RLIMIT_MEMLOCK), the memory is still left out of
 * dumps and zeroed on free; the warning hook is called once, with
 * secmem_memlock_advice's sentence.  Safe from
 * any thread (one mutex).
 */
#ifndef AG_SECMEM_H
#define AG_SECMEM_H

#include <stddef.h>

struct secmem_stats {
	size_t reserved;             /* the region's size */
	size_t committed;            /* bytes of it made usable */
	size_t in_use;               /* bytes in live blocks (whole blocks) */
	size_t peak;                 /* the most in_use has been */
	size_t mapped;               /* secmem_map regions (thread stacks) */
	unsigned long failures;      /* allocations refused: region full */
	int unlocked;                /* 1 once an mlock has failed */
};

/* n zeroed bytes, 16-byte aligned, or NULL when the region is full. */
void *secmem_alloc(size_t n);
/* Zeroes the block and gives it back; NULL is a no-op.  A pointer that
 * secmem did not hand out aborts: that is a bug, never a fallback. */
void secmem_free(void *p);

/* A block of n bytes in the region holding the first bytes of p (a
 * block of secmem's, which is zeroed and freed); NULL, and p kept, when
 * the region is full.  NULL p: secmem_alloc. */
void *secmem_realloc(void *p, size_t n);

/* The allocator the mbedTLS archive is linked against (see above). */
void *secmem_mbedtls_calloc(size_t n, size_t size);
void secmem_mbedtls_free(void *p);

/*
 * A separate mapping of len bytes (a multiple of the page size) with the
 * same protection, and one inaccessible guard page below it: stacks for
 * the crypto threads, where mbedTLS leaves key bytes in its locals.
 * secmem_unmap zeroes and unmaps it.
 */
void *secmem_map(size_t len);
void secmem_unmap(void *p, size_t len);

/* Commits and locks the first n bytes of the region now: called while
 * agauthd is still root, whom RLIMIT_MEMLOCK does not bind. */
void secmem_prelock(size_t n);

/* Called once, with a reason, the first time mlock fails. */
void secmem_set_warn(void (*warn)(const char *why));

/* Locked memory agauthd will ask for beyond the key region: the crypto
 * threads' stacks, a crypto backend's own locked heap.  Adds bytes to
 * the figure secmem_memlock_advice names. */
void secmem_plan(size_t bytes);
/*
 * The sentence for a refused mlock, into out: what failed (what, and
 * err's strerror), the RLIMIT_MEMLOCK agauthd needs (AG_SECMEM_MAX and
 * what secmem_plan was told) against the one it has, and where that
 * limit is set (systemd, docker, docker compose, Kubernetes).  For every
 * locked allocation of agauthd's: secmem's own, and a backend's (OpenSSL's
 * CRYPTO_secure_malloc_init) when it fails.
 */
void secmem_memlock_advice(char *out, size_t cap, const char *what, int err);

void secmem_stats(struct secmem_stats *st);

/* Test hooks: is p inside the region; are the n bytes at p (live or
 * freed) all zero. */
int secmem_owns(const void *p);
int secmem_is_zero(const void *p, size_t n);

#endif
