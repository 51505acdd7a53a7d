/* test_secmem.c - locked memory for keys: zeroed on free, bounded,
 * thread-safe, and where every key's bytes go (where each backend keeps
 * them: tests/unit/test_crypto_<backend>.c). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daemon/engine/crypto.h"
#define CRYPTO_SHA2_INTERNAL
#include "daemon/engine/crypto_sha2.h"
#include "daemon/engine/key.h"
#include "daemon/engine/keygen.h"
#include "daemon/keyring.h"
#include "daemon/engine/secmem.h"
#include "shared/limits.h"
#include "tests/unit/util.h"

static size_t in_use(void)
{
	struct secmem_stats st;

	secmem_stats(&st);
	return st.in_use;
}

/* The VmFlags of the mapping that holds p, from /proc/self/smaps. */
static void vmflags(const void *p, char *out, size_t cap)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	unsigned long lo, hi, a = (unsigned long)(uintptr_t)p;
	int in = 0;

	cr_assert_not_null(f);
	out[0] = '\0';
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = a >= lo && a < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0)
			snprintf(out, cap, "%.200s", line + 8);
	}
	fclose(f);
	cr_assert(out[0] != '\0', "no mapping holds %p", p);
}

static int has_flag(const char *flags, const char *f)
{
	char pat[8];

	snprintf(pat, sizeof pat, " %s ", f);
	return strstr(flags, pat) != NULL;
}

Test(secmem, blocks_are_zeroed_when_freed)
{
	static const size_t sizes[] = { 1, 15, 16, 17, 100, 512, 2048, 2049,
					4096, 10000, 2 * AG_KEY_MAX };
	unsigned char *p[sizeof sizes / sizeof *sizes];
	size_t i, before = in_use();

	for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		p[i] = secmem_alloc(sizes[i]);
		cr_assert_not_null(p[i]);
		cr_assert(secmem_owns(p[i]));
		cr_assert_eq((uintptr_t)p[i] % 16, 0, "16-byte aligned");
		cr_assert(secmem_is_zero(p[i], sizes[i]), "handed out zeroed");
		memset(p[i], 0xa5, sizes[i]);
	}
	for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		secmem_free(p[i]);
		cr_assert(secmem_is_zero(p[i], sizes[i]),
			  "%zu bytes not zero after free", sizes[i]);
	}
	cr_assert_eq(in_use(), before);
	secmem_free(NULL);
}

Test(secmem, region_is_locked_and_left_out_of_dumps)
{
	char flags[256];
	void *p = secmem_alloc(64), *s;
	struct secmem_stats st;

	vmflags(p, flags, sizeof flags);
	cr_assert(has_flag(flags, "dd"), "no MADV_DONTDUMP: %s", flags);
	cr_assert(has_flag(flags, "wf"), "no MADV_WIPEONFORK: %s", flags);
	secmem_stats(&st);
	/* locked unless RLIMIT_MEMLOCK said no, which is then recorded */
	cr_assert(has_flag(flags, "lo") || st.unlocked, "not locked: %s",
		  flags);
	if (geteuid() == 0)
		cr_assert(has_flag(flags, "lo"), "root locks: %s", flags);
	secmem_free(p);
	s = secmem_map(AG_POOL_STACK);
	cr_assert_not_null(s);
	memset(s, 1, AG_POOL_STACK);
	vmflags(s, flags, sizeof flags);
	cr_assert(has_flag(flags, "dd") && has_flag(flags, "wf"), "%s", flags);
	vmflags((char *)s - 1, flags, sizeof flags);
	cr_assert(!has_flag(flags, "rd"), "guard page below: %s", flags);
	secmem_unmap(s, AG_POOL_STACK);
}

/* Secrets are held as pre-keyed states (daemon/engine/crypto_sha2.h,
 * both backends): in secmem, and zero once freed. */
Test(secmem, hmac_states_are_zeroed_when_freed)
{
	static const uint8_t s[] = "a-distinctive-hmac-secret";
	struct crypto_hmac_states *h = crypto_sha2_hmac_new(s, sizeof s - 1);

	cr_assert_not_null(h);
	cr_assert(secmem_owns(h), "pre-keyed states outside locked memory");
	cr_assert(!secmem_is_zero(h, sizeof *h));
	crypto_sha2_hmac_free(h);
	cr_assert(secmem_is_zero(h, sizeof *h),
		  "the freed states still hold bytes");
}

Test(secmem, keyring_and_keygen_give_back_all_they_take)
{
	char dir[64], path[128], text[512];
	struct keyring *kr;
	struct ag_error e;
	size_t before;
	FILE *f;
	static const char *const types[] = { "hs256", "p256", "rsa2048" };
	static const char *const algs[] = { "HS256", "ES256", "RS256" };
	size_t i;

	snprintf(dir, sizeof dir, "/tmp/agauthd-sm-%d-XXXXXX", (int)getpid());
	cr_assert_not_null(mkdtemp(dir));
	/* the first use of a backend may keep tables for good: warm it
	 * up (locked memory: secmem's and the backend's secure heap) */
	snprintf(path, sizeof path, "%s/warm.key", dir);
	cr_assert_eq(keygen_write("p256", path, 0, &e), 0, "%s", e.msg);
	before = crypto_locked_in_use();
	snprintf(path, sizeof path, "%s/keyring.conf", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	for (i = 0; i < 3; i++) {
		snprintf(text, sizeof text, "%s/k%zu.key", dir, i);
		cr_assert_eq(keygen_write(types[i], text, 0, &e), 0, "%s",
			     e.msg);
		fprintf(f, "[key k%zu]\nfile = k%zu.key\nalgorithm = %s\n"
			"encoding = %s\nstate = %s\n", i, i, algs[i],
			i == 0 ? "base64" : "pem", i == 0 ? "primary" :
			"verify");
	}
	fclose(f);
	cr_assert_eq(crypto_locked_in_use(), before, "keygen kept locked memory");
	cr_assert_eq(keyring_load(path, 1, 86400, &kr, &e), 0, "%s", e.msg);
	cr_assert_gt(crypto_locked_in_use(), before, "keys are in locked memory");
	keyring_unref(kr);
	cr_assert_eq(crypto_locked_in_use(), before, "keyring_unref gave back everything");
	/* a failed load gives back what it took too */
	snprintf(text, sizeof text, "%s/k1.key", dir);
	chmod(text, 0640);
	cr_assert_eq(keyring_load(path, 1, 86400, &kr, &e), -1);
	cr_assert_eq(crypto_locked_in_use(), before, "a failed load kept locked memory");
	snprintf(text, sizeof text, "rm -rf %s", dir);
	cr_assert_eq(system(text), 0);
}

Test(secmem, bounded)
{
	enum { N = AG_SECMEM_MAX / (1 << 20) + 1 };
	void *p[N];
	struct secmem_stats st;
	unsigned long failures;
	int i, got = 0;

	secmem_stats(&st);
	failures = st.failures;
	for (i = 0; i < N; i++)
		if ((p[i] = secmem_alloc(1 << 20)) != NULL)
			got++;
	cr_assert_lt(got, N, "more than AG_SECMEM_MAX handed out");
	cr_assert_null(secmem_alloc(AG_SECMEM_MAX + 1));
	secmem_stats(&st);
	cr_assert_gt(st.failures, failures);
	cr_assert_leq(st.committed, (size_t)AG_SECMEM_MAX);
	for (i = 0; i < N; i++)
		secmem_free(p[i]);
	p[0] = secmem_alloc(1 << 20);
	cr_assert_not_null(p[0], "freed pages are used again");
	secmem_free(p[0]);
	cr_assert_null(secmem_mbedtls_calloc(SIZE_MAX / 2, 4), "overflow");
}

/* What libcrypto grows while a key's objects are made stays in the
 * region (daemon/engine/crypto_openssl.c): moved whole, the old block
 * zeroed. */
Test(secmem, realloc_moves_within_the_region_and_zeroes_the_old_block)
{
	static const size_t sizes[][2] = { { 10, 3000 }, { 3000, 40 },
					    { 100, 100 }, { 9000, 20000 } };
	unsigned char *p, *q;
	size_t i, j, before = in_use();

	for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		p = secmem_realloc(NULL, sizes[i][0]);
		cr_assert(p != NULL && secmem_owns(p));
		memset(p, 0x5a, sizes[i][0]);
		q = secmem_realloc(p, sizes[i][1]);
		cr_assert(q != NULL && secmem_owns(q) && q != p);
		for (j = 0; j < sizes[i][0] && j < sizes[i][1]; j++)
			cr_assert_eq(q[j], 0x5a, "byte %zu lost", j);
		cr_assert(secmem_is_zero(p, sizes[i][0]), "the old block "
			  "still holds bytes");
		secmem_free(q);
	}
	cr_assert_eq(in_use(), before);
}

Test(secmem, double_free_aborts, .signal = SIGABRT)
{
	void *p = secmem_alloc(32);

	secmem_free(p);
	secmem_free(p);
}

Test(secmem, foreign_pointer_aborts, .signal = SIGABRT)
{
	static char not_ours[32];

	(void)secmem_alloc(1);
	secmem_free(not_ours);
}

/* Threads allocating and freeing at once, each checking its own bytes. */
static void *churn(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg, i, j;
	unsigned char *p[64] = { 0 };
	size_t n[64] = { 0 };

	for (i = 0; i < 20000; i++) {
		j = (unsigned)rand_r(&seed) % 64;
		if (p[j] != NULL) {
			for (size_t b = 0; b < n[j]; b++)
				if (p[j][b] != (unsigned char)(uintptr_t)arg)
					return (void *)1;
			secmem_free(p[j]);
		}
		n[j] = 1 + (size_t)rand_r(&seed) % (i % 7 == 0 ? 9000 : 600);
		p[j] = secmem_alloc(n[j]);
		if (p[j] == NULL || !secmem_is_zero(p[j], n[j]))
			return (void *)1;
		memset(p[j], (int)(uintptr_t)arg, n[j]);
	}
	for (j = 0; j < 64; j++)
		secmem_free(p[j]);
	return NULL;
}

Test(secmem, threads)
{
	pthread_t t[4];
	void *r;
	size_t before = in_use();
	uintptr_t i;

	for (i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, churn, (void *)(i + 1)),
			     0);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &r);
		cr_assert_null(r, "thread %zu saw another's bytes", (size_t)i);
	}
	cr_assert_eq(in_use(), before);
}

/* A refused mlock says the figure agauthd needs, the limit it has, and
 * where each kind of host sets it. */
Test(secmem, memlock_advice_names_the_figure_and_where_to_set_it)
{
	static const char *const says[] = {
		"mlock: Cannot allocate memory: key memory may be written to swap",
		"agauthd needs RLIMIT_MEMLOCK of 17 MiB (16 MiB for keys, 512 KiB for the crypto threads and library) and has 64 KiB",
		"systemd LimitMEMLOCK=17M",
		"docker run --ulimit memlock=17825792",
		"docker compose ulimits: memlock: 17825792",
		"Kubernetes has no per-pod setting",
		"IPC_LOCK",
	};
	struct rlimit rl = { 64 << 10, 64 << 10 };
	char why[768];
	size_t i;

	cr_assert_eq(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	secmem_plan(2 * AG_POOL_STACK);
	secmem_memlock_advice(why, sizeof why, "mlock", ENOMEM);
	for (i = 0; i < sizeof says / sizeof *says; i++)
		cr_assert(strstr(why, says[i]) != NULL, "no '%s' in: %s",
			  says[i], why);
}
