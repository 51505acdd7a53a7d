/* test_crypto_openssl.c - where the OpenSSL backend (the default build)
 * keeps key bytes: private bignums in OpenSSL's secure heap (locked, left
 * out of core dumps), given back when the key is freed, and the heap
 * readied before the first key is read, so no private key is ever decoded
 * into the ordinary heap. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/crypto.h>

#define CRYPTO_OPENSSL_INTERNAL
#include "daemon/engine/crypto_openssl.h"
#include "daemon/engine/key.h"
#include "shared/algs.h"
#include "tests/unit/util.h"

#define VEC "tests/vectors/rfc7515/"
#define KEYS "tests/vectors/keys/"

/* The VmFlags of the mapping that holds p, from /proc/self/smaps. */
static int co_mapping_has(const void *p, const char *flag)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512], pat[8];
	unsigned long lo, hi, a = (unsigned long)(uintptr_t)p;
	int in = 0, has = 0;

	cr_assert_not_null(f);
	snprintf(pat, sizeof pat, " %s ", flag);
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = a >= lo && a < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0)
			has = strstr(line + 8, pat) != NULL;
	}
	fclose(f);
	return has;
}

Test(crypto_backend, private_bignums_live_in_the_secure_heap_and_go_back)
{
	static const char *const priv[] = {
		VEC "a2.key.pem", KEYS "rsa2048.pkcs8.pem", VEC "a3.key.pem",
		KEYS "ecp384.sec1.pem", KEYS "ecp521.pkcs8.pem",
	};
	struct key *k;
	size_t i, before;

	/* the first key readies the heap: before it, nothing is secure */
	key_free(ut_key_file(KEYS "ecp256.spki.pem", KEY_USE_VERIFY));
	cr_assert(CRYPTO_secure_malloc_initialized(),
		  "a key was read before the secure heap was there");
	for (i = 0; i < sizeof priv / sizeof *priv; i++) {
		before = CRYPTO_secure_used();
		k = ut_key_file(priv[i], KEY_USE_SIGN);
		/* RSA: d, p, q, dP, dQ, qInv; EC: the scalar */
		cr_assert_gt(CRYPTO_secure_used(), before,
			     "%s: private bignums outside the secure heap",
			     priv[i]);
		key_free(k);
		cr_assert_eq(CRYPTO_secure_used(), before,
			     "%s: free left secure blocks", priv[i]);
	}
	before = CRYPTO_secure_used();
	k = ut_key_file(VEC "a2.pub.pem", KEY_USE_VERIFY);
	cr_assert_eq(CRYPTO_secure_used(), before, "a public key holds no "
		     "secret");
	key_free(k);
}

Test(crypto_backend, secure_heap_is_locked_and_left_out_of_dumps)
{
	void *p;

	key_free(ut_key_file(VEC "a3.key.pem", KEY_USE_SIGN));
	p = OPENSSL_secure_malloc(64);
	cr_assert(CRYPTO_secure_allocated(p));
	cr_assert(co_mapping_has(p, "dd"), "no MADV_DONTDUMP");
	/* root is not bound by RLIMIT_MEMLOCK: the tests run as root */
	if (geteuid() == 0)
		cr_assert(co_mapping_has(p, "lo"), "not locked");
	OPENSSL_secure_free(p);
	/* OpenSSL takes only a power of two */
	cr_assert_eq(crypto_secure_size(3, 1) & (crypto_secure_size(3, 1) - 1),
		     0);
	cr_assert_geq(crypto_secure_size(AG_SECURE_KEYS, 2),
		      (size_t)AG_SECURE_KEYS * 2 * AG_SECURE_KEY_BYTES,
		      "room for every key and its copy");
	cr_assert_eq(crypto_init(AG_SECURE_KEYS, 3), -1,
		     "readied twice with another size");
}

/* RSA signs through a copy of the key per slot: each copy's private
 * bignums are in the secure heap too, and go back with the key. */
static void *co_sign_once(void *arg)
{
	struct key *k = arg;
	const struct alg *a = alg_find("RS256", 5);
	uint8_t sig[CRYPTO_SIG_MAX];
	static const uint8_t msg[] = "a.b";
	int i, bad = 0;

	for (i = 0; i < 50; i++)
		bad |= crypto_sign(k->ck, a, msg, 3, sig) != 0;
	return (void *)(uintptr_t)bad;
}

Test(crypto_backend, slot_copies_of_rsa_keys_are_secure_and_freed)
{
	struct key *k;
	pthread_t t[AG_CRYPTO_SLOTS];
	size_t before, one, i, copies = 0;
	void *r;

	key_free(ut_key_file(VEC "a2.key.pem", KEY_USE_SIGN));
	before = CRYPTO_secure_used();
	k = ut_key_file(VEC "a2.key.pem", KEY_USE_SIGN);
	one = CRYPTO_secure_used() - before;
	for (i = 0; i < AG_CRYPTO_SLOTS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, co_sign_once, k), 0);
	for (i = 0; i < AG_CRYPTO_SLOTS; i++) {
		pthread_join(t[i], &r);
		cr_assert_null(r, "a signature failed");
	}
	for (i = 1; i < AG_CRYPTO_SLOTS; i++)
		copies += k->ck->slot[i].pkey != NULL;
	cr_assert_geq(CRYPTO_secure_used() - before, one * (1 + copies),
		      "a slot's copy outside the secure heap");
	key_free(k);
	cr_assert_eq(CRYPTO_secure_used(), before, "copies left behind");
}
