/* bench_hs256.h - HS256 tokens made in the benchmark itself, with the
 * secret of an imported SocketCluster authKey (a file used as its bytes):
 * what jsonwebtoken's sign() makes, for daemons to verify. */
#ifndef AG_BENCH_HS256_H
#define AG_BENCH_HS256_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_SECRET_MAX 4096

/* The secret file's bytes into key (BENCH_SECRET_MAX); exits on error. */
size_t bench_hs256_secret(const char *file, uint8_t *key);
/* A token of payload (JSON text, at most 512 bytes) with the header
 * {"alg":"HS256","typ":"JWT"}, malloc'd; *sign_len gets the length of
 * its signing input.  Exits on error. */
char *bench_hs256_token(const uint8_t *key, size_t klen, const char *payload,
			size_t *sign_len);

#endif
