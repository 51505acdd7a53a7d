/*
 * secmem.c - the locked region: 4 KiB pages, each either free, split into
 * blocks of one size class (16 to 2048 bytes, a bitmap of those in use),
 * or part of a run of whole pages for a larger block.  The bookkeeping
 * lives outside the region (it holds no key bytes), so a freed block is
 * all zeros.
 */
#include "daemon/engine/secmem.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shared/limits.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
/* AddressSanitizer does not see this allocator: free blocks are poisoned
 * by hand, so that a use after free is still reported */
#define SECMEM_POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define SECMEM_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#define SECMEM_NO_ASAN        __attribute__((no_sanitize_address))
#else
#define SECMEM_POISON(p, n)   ((void)(p), (void)(n))
#define SECMEM_UNPOISON(p, n) ((void)(p), (void)(n))
#define SECMEM_NO_ASAN
#endif

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
/* valgrind marks a dead thread's stack inaccessible, and wiping it is
 * the point: tell memcheck the bytes are ours again (a few instructions,
 * nothing, outside valgrind) */
#define SECMEM_STACK_RECLAIM(p, n) VALGRIND_MAKE_MEM_UNDEFINED(p, n)
#endif
#endif
#ifndef SECMEM_STACK_RECLAIM
#define SECMEM_STACK_RECLAIM(p, n) ((void)(p), (void)(n))
#endif

#define SECMEM_PAGE      4096
#define SECMEM_PAGES     (AG_SECMEM_MAX / SECMEM_PAGE)
#define SECMEM_MIN       16           /* the smallest block and the alignment */
#define SECMEM_CLASSES   8            /* 16, 32, ..., 2048 */
#define SECMEM_SMALL_MAX (SECMEM_MIN << (SECMEM_CLASSES - 1))
#define SECMEM_WORDS     (SECMEM_PAGE / SECMEM_MIN / 64)

enum secmem_state { SM_FREE, SM_SMALL, SM_RUN, SM_TAIL };

struct secmem_page {
	uint8_t state;
	uint8_t cls;                 /* SM_SMALL: the size class */
	uint16_t used;               /* SM_SMALL: blocks in use */
	uint32_t run;                /* SM_RUN: pages in the run */
	int32_t prev, next;          /* SM_SMALL with room: its class's list */
	uint64_t map[SECMEM_WORDS];  /* SM_SMALL: which blocks are in use */
};

static struct {
	pthread_once_t once;
	pthread_mutex_t lock;
	unsigned char *base;         /* NULL: the reservation failed */
	size_t npages;               /* committed, from base up */
	int32_t partial[SECMEM_CLASSES];
	struct secmem_stats st;
	void (*warn)(const char *why);
	size_t planned;              /* secmem_plan's bytes */
	struct secmem_page page[SECMEM_PAGES];
} sm = { .once = PTHREAD_ONCE_INIT, .lock = PTHREAD_MUTEX_INITIALIZER };

static void secmem_die(const char *why)
{
	fprintf(stderr, "agauthd: secmem: %s\n", why);
	abort();
}

void secmem_set_warn(void (*warn)(const char *why))
{
	pthread_mutex_lock(&sm.lock);
	sm.warn = warn;
	pthread_mutex_unlock(&sm.lock);
}

void secmem_plan(size_t bytes)
{
	pthread_mutex_lock(&sm.lock);
	sm.planned += bytes;
	pthread_mutex_unlock(&sm.lock);
}

void secmem_memlock_advice(char *out, size_t cap, const char *what, int err)
{
	struct rlimit rl;
	/* read without the lock: set once at start, before any thread */
	size_t need = AG_SECMEM_MAX + sm.planned;
	unsigned long long mib = (need + (1u << 20) - 1) >> 20;
	char have[32] = "unknown";

	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0)
		snprintf(have, sizeof have, rl.rlim_cur == RLIM_INFINITY ?
			 "unlimited" : "%llu KiB",
			 (unsigned long long)rl.rlim_cur >> 10);
	snprintf(out, cap, "%s: %s: key memory may be written to swap; it is "
		 "still left out of core dumps and zeroed when freed.  agauthd "
		 "needs RLIMIT_MEMLOCK of %llu MiB (%d MiB for keys, %zu KiB for "
		 "the crypto threads and library) and has "
		 "%s: raise it where agauthd starts: systemd LimitMEMLOCK=%lluM; "
		 "docker run --ulimit memlock=%llu; docker compose ulimits: "
		 "memlock: %llu; Kubernetes has no per-pod setting: the node's "
		 "container runtime default (LimitMEMLOCK= in containerd's or "
		 "CRI-O's systemd unit), or the IPC_LOCK capability for the "
		 "agauthd container", what, strerror(err), mib,
		 AG_SECMEM_MAX >> 20, sm.planned >> 10, have, mib, mib << 20,
		 mib << 20);
}

/* With the lock held: says once that locking failed.  The hook must not
 * allocate from secmem. */
static void secmem_warn_once(const char *what, int err)
{
	char why[768];

	if (sm.st.unlocked)
		return;
	sm.st.unlocked = 1;
	secmem_memlock_advice(why, sizeof why, what, err);
	if (sm.warn != NULL)
		sm.warn(why);
	else
		fprintf(stderr, "agauthd: warning: %s\n", why);
}

/* With the lock held: what every mapping of key material gets. */
static void secmem_protect(void *p, size_t len)
{
	/* a core file, whatever core_pattern pipes it to, never has them */
	if (madvise(p, len, MADV_DONTDUMP) != 0)
		secmem_warn_once("madvise(MADV_DONTDUMP)", errno);
	/* a child (agauthd does not fork; a library might) gets zeros */
	(void)madvise(p, len, MADV_WIPEONFORK);
	/* never in swap, where a page outlives the process.  Each page is
	 * locked as it is first touched (MLOCK_ONFAULT): a thread's stack or
	 * a chunk of the region costs memory for what is used of it, not
	 * for all of it, and no page is ever written unlocked.  The system
	 * call itself: AddressSanitizer's mlock does nothing and says it
	 * worked; kernels before 4.4 lack mlock2 and lock it all */
	if (syscall(SYS_mlock2, p, len, MLOCK_ONFAULT) != 0 &&
	    (errno != ENOSYS || syscall(SYS_mlock, p, len) != 0))
		secmem_warn_once("mlock", errno);
}

static void secmem_reserve(void)
{
	void *p;
	int i;

	for (i = 0; i < SECMEM_CLASSES; i++)
		sm.partial[i] = -1;
	sm.st.reserved = AG_SECMEM_MAX;
	/* address space only: pages become usable as they are committed */
	p = mmap(NULL, AG_SECMEM_MAX, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return;              /* every allocation fails: keys do not load */
	sm.base = p;
}

/* With the lock held: pages [npages, npages + n) usable, in whole chunks. */
static int secmem_commit(size_t n)
{
	size_t step = AG_SECMEM_CHUNK / SECMEM_PAGE;
	size_t want = (n + step - 1) / step * step;
	unsigned char *p;

	if (want > SECMEM_PAGES - sm.npages)
		want = SECMEM_PAGES - sm.npages;
	if (want < n || want == 0)
		return -1;
	p = sm.base + sm.npages * SECMEM_PAGE;
	if (mprotect(p, want * SECMEM_PAGE, PROT_READ | PROT_WRITE) != 0)
		return -1;
	secmem_protect(p, want * SECMEM_PAGE);
	SECMEM_POISON(p, want * SECMEM_PAGE);
	sm.npages += want;
	sm.st.committed = sm.npages * SECMEM_PAGE;
	return 0;
}

/* With the lock held: k free pages in a row (first fit), committing more
 * after the free pages at the end if need be. */
static long secmem_find_run(size_t k)
{
	size_t i, len = 0, start;

	for (i = 0; i < sm.npages; i++) {
		if (sm.page[i].state != SM_FREE) {
			len = 0;
			continue;
		}
		if (++len == k)
			return (long)(i + 1 - k);
	}
	start = sm.npages - len;
	if (secmem_commit(k - len) != 0)
		return -1;
	return (long)start;
}

static void secmem_list_push(unsigned c, int32_t i)
{
	sm.page[i].prev = -1;
	sm.page[i].next = sm.partial[c];
	if (sm.partial[c] >= 0)
		sm.page[sm.partial[c]].prev = i;
	sm.partial[c] = i;
}

static void secmem_list_remove(unsigned c, int32_t i)
{
	struct secmem_page *pg = &sm.page[i];

	if (pg->prev >= 0)
		sm.page[pg->prev].next = pg->next;
	else
		sm.partial[c] = pg->next;
	if (pg->next >= 0)
		sm.page[pg->next].prev = pg->prev;
	pg->prev = pg->next = -1;
}

static void *secmem_small(size_t n, size_t *size)
{
	unsigned c = 0, w, b;
	size_t blocks;
	struct secmem_page *pg;
	int32_t i;
	long r;

	while ((size_t)SECMEM_MIN << c < n)
		c++;
	*size = (size_t)SECMEM_MIN << c;
	blocks = SECMEM_PAGE / *size;
	i = sm.partial[c];
	if (i < 0) {
		r = secmem_find_run(1);
		if (r < 0)
			return NULL;
		i = (int32_t)r;
		pg = &sm.page[i];
		memset(pg, 0, sizeof *pg);
		pg->state = SM_SMALL;
		pg->cls = (uint8_t)c;
		secmem_list_push(c, i);
	}
	pg = &sm.page[i];
	/* a page on the list has a free block, and the lowest free bit is
	 * that block: bits past the last block are never reached */
	for (w = 0; ~pg->map[w] == 0; w++)
		;
	b = (unsigned)__builtin_ctzll(~pg->map[w]);
	pg->map[w] |= 1ULL << b;
	if (++pg->used == blocks)
		secmem_list_remove(c, i);
	return sm.base + (size_t)i * SECMEM_PAGE + (w * 64 + b) * *size;
}

static void *secmem_large(size_t n, size_t *size)
{
	size_t k = (n + SECMEM_PAGE - 1) / SECMEM_PAGE, j;
	long r = secmem_find_run(k);

	if (r < 0)
		return NULL;
	sm.page[r].state = SM_RUN;
	sm.page[r].run = (uint32_t)k;
	for (j = 1; j < k; j++)
		sm.page[(size_t)r + j].state = SM_TAIL;
	*size = k * SECMEM_PAGE;
	return sm.base + (size_t)r * SECMEM_PAGE;
}

void *secmem_alloc(size_t n)
{
	size_t size = 0;
	void *p = NULL;

	pthread_once(&sm.once, secmem_reserve);
	if (n == 0)
		n = 1;
	pthread_mutex_lock(&sm.lock);
	if (sm.base != NULL && n <= AG_SECMEM_MAX)
		p = n <= SECMEM_SMALL_MAX ? secmem_small(n, &size) :
		    secmem_large(n, &size);
	if (p == NULL) {
		sm.st.failures++;
	} else {
		sm.st.in_use += size;
		if (sm.st.in_use > sm.st.peak)
			sm.st.peak = sm.st.in_use;
	}
	pthread_mutex_unlock(&sm.lock);
	/* fresh pages are zero, and so is every freed block */
	if (p != NULL)
		SECMEM_UNPOISON(p, n);
	return p;
}

/* Zeroes n bytes however the block was poisoned, and poisons them. */
static void secmem_wipe(unsigned char *p, size_t n)
{
	SECMEM_UNPOISON(p, n);
	explicit_bzero(p, n);
	SECMEM_POISON(p, n);
}

void secmem_free(void *ptr)
{
	unsigned char *p = ptr;
	struct secmem_page *pg;
	size_t off, i, size, j;
	unsigned b;

	if (p == NULL)
		return;
	/* freeing what secmem never handed out is a bug: stop at once */
	if (!secmem_owns(p))
		secmem_die("free of a pointer outside the region");
	off = (size_t)(p - sm.base);
	i = off / SECMEM_PAGE;
	pthread_mutex_lock(&sm.lock);
	pg = &sm.page[i];
	if (i >= sm.npages)
		secmem_die("free of an uncommitted page");
	if (pg->state == SM_SMALL) {
		size = (size_t)SECMEM_MIN << pg->cls;
		b = (unsigned)(off % SECMEM_PAGE / size);
		if (off % SECMEM_PAGE % size != 0 ||
		    !(pg->map[b / 64] & 1ULL << (b % 64)))
			secmem_die("double free, or free of a misaligned block");
		secmem_wipe(p, size);
		pg->map[b / 64] &= ~(1ULL << (b % 64));
		if (pg->used-- == SECMEM_PAGE / size)
			secmem_list_push(pg->cls, (int32_t)i);
		if (pg->used == 0) {
			secmem_list_remove(pg->cls, (int32_t)i);
			memset(pg, 0, sizeof *pg);
		}
	} else if (pg->state == SM_RUN && off % SECMEM_PAGE == 0) {
		size = (size_t)pg->run * SECMEM_PAGE;
		secmem_wipe(p, size);
		for (j = 0; j < pg->run; j++)
			sm.page[i + j].state = SM_FREE;
		pg->run = 0;
	} else {
		secmem_die("double free, or free inside a block");
	}
	sm.st.in_use -= size;
	pthread_mutex_unlock(&sm.lock);
}

void *secmem_realloc(void *ptr, size_t n)
{
	unsigned char *p = ptr, *q;
	struct secmem_page *pg;
	size_t old;

	if (p == NULL)
		return secmem_alloc(n);
	if (!secmem_owns(p))
		secmem_die("realloc of a pointer outside the region");
	pg = &sm.page[(size_t)(p - sm.base) / SECMEM_PAGE];
	pthread_mutex_lock(&sm.lock);
	old = pg->state == SM_SMALL ? (size_t)SECMEM_MIN << pg->cls :
	      (size_t)pg->run * SECMEM_PAGE;
	pthread_mutex_unlock(&sm.lock);
	q = secmem_alloc(n);
	if (q == NULL)
		return NULL;
	/* the whole old block: its tail past what was asked is zero */
	SECMEM_UNPOISON(p, old);
	memcpy(q, p, old < n ? old : n);
	secmem_free(p);
	return q;
}

void *secmem_mbedtls_calloc(size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	return secmem_alloc(n * size);
}

void secmem_mbedtls_free(void *p)
{
	secmem_free(p);
}

void *secmem_map(size_t len)
{
	size_t guard = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *p;

	p = mmap(NULL, len + guard, PROT_READ | PROT_WRITE, MAP_PRIVATE |
		 MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* a stack that overflows faults here instead of writing below */
	if (mprotect(p, guard, PROT_NONE) != 0) {
		munmap(p, len + guard);
		return NULL;
	}
	pthread_mutex_lock(&sm.lock);
	secmem_protect(p + guard, len);
	sm.st.mapped += len;
	pthread_mutex_unlock(&sm.lock);
	return p + guard;
}

void secmem_unmap(void *ptr, size_t len)
{
	size_t guard = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *p = ptr;

	if (p == NULL)
		return;
	/* a thread's stack may still be poisoned where its frames were */
	SECMEM_UNPOISON(p, len);
	SECMEM_STACK_RECLAIM(p, len);
	explicit_bzero(p, len);
	munmap(p - guard, len + guard);
	pthread_mutex_lock(&sm.lock);
	sm.st.mapped -= len;
	pthread_mutex_unlock(&sm.lock);
}

void secmem_prelock(size_t n)
{
	size_t pages = (n + SECMEM_PAGE - 1) / SECMEM_PAGE;

	pthread_once(&sm.once, secmem_reserve);
	pthread_mutex_lock(&sm.lock);
	if (sm.base != NULL && pages > sm.npages)
		(void)secmem_commit(pages - sm.npages);
	pthread_mutex_unlock(&sm.lock);
}

void secmem_stats(struct secmem_stats *st)
{
	pthread_once(&sm.once, secmem_reserve);
	pthread_mutex_lock(&sm.lock);
	*st = sm.st;
	pthread_mutex_unlock(&sm.lock);
}

int secmem_owns(const void *p)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)sm.base;

	return sm.base != NULL && a >= b && a - b < AG_SECMEM_MAX;
}

SECMEM_NO_ASAN int secmem_is_zero(const void *p, size_t n)
{
	const volatile unsigned char *q = p;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= q[i];
	return d == 0;
}
