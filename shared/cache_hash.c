/* cache_hash.c - what the cache's writer in agauthd and its readers
 * compute alike (shared/cache.h): the bucket hash of a signing input, the
 * digest of a signature, an entry's class.  A
 * file of its own: the daemon links it without the readers' lookup,
 * whose per-thread scratch (a struct jwt) would be in every one of its
 * threads' storage. */
#include "shared/cache.h"

/* libcrypto's SHA-256 through its low-level API: SHA-NI where the CPU
 * has it, and none of the EVP fetch a one-shot SHA256() costs per call
 * in OpenSSL 3 (docs/cache.md, "Reading") */
#include <openssl/sha.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

uint64_t cache_hash(const struct cache_header *h, const char *input,
		    size_t len)
{
	return XXH3_64bits_withSecret(input, len, h->secret, sizeof h->secret);
}

void cache_digest(const char *sig, size_t len, uint8_t out[CACHE_DIGEST_LEN])
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, sig, len);
	SHA256_Final(out, &c);
}

int cache_class_for(const uint32_t room[CACHE_CLASSES], size_t input_len)
{
	int c;

	for (c = 0; c < CACHE_CLASSES; c++)
		if (room[c] != 0 && input_len <= room[c])
			return c;
	return -1;
}
