/* bench_hs256.c - HS256 tokens for the daemon benchmarks. */
#include "bench/bench_hs256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bench/bench_util.h"
#include "shared/b64url.h"

#define BENCH_PAYLOAD_MAX 512
#define BENCH_TOKEN_MAX   1024

size_t bench_hs256_secret(const char *file, uint8_t *key)
{
	FILE *f = fopen(file, "rb");
	size_t n;

	if (f == NULL)
		bench_fatal("cannot read %s", file);
	n = fread(key, 1, BENCH_SECRET_MAX, f);
	fclose(f);
	if (n == 0)
		bench_fatal("%s is empty", file);
	return n;
}

char *bench_hs256_token(const uint8_t *key, size_t klen, const char *payload,
			size_t *sign_len)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	unsigned char mac[32];
	unsigned maclen = 0;
	size_t pl = strlen(payload), n;
	char *t = malloc(BENCH_TOKEN_MAX);

	if (t == NULL || pl > BENCH_PAYLOAD_MAX)
		bench_fatal("cannot make a token of %zu payload bytes", pl);
	n = b64url_encode(t, (const uint8_t *)hdr, strlen(hdr));
	t[n++] = '.';
	n += b64url_encode(t + n, (const uint8_t *)payload, pl);
	*sign_len = n;
	/* libcrypto's one-shot HMAC: the client's side, whichever crypto
	 * backend the daemon was built with */
	if (HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)t, n,
		 mac, &maclen) == NULL || maclen != sizeof mac)
		bench_fatal("HMAC-SHA256 failed in libcrypto");
	t[n++] = '.';
	n += b64url_encode(t + n, mac, sizeof mac);
	t[n] = '\0';
	return t;
}
