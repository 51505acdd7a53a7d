/* fuzz_sign.c - payload and sign options from outside: "options" NUL
 * "payload", signed with an HMAC secret. */
#include <stdint.h>
#include <string.h>

#include "daemon/engine/key.h"
#include "daemon/engine/sign.h"
#include "shared/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct key *k;
	struct ag_error e;
	struct sign_req r;
	struct buf tok, added;
	const uint8_t *nul = memchr(data, 0, size);

	if (nul == NULL)
		return 0;
	if (k == NULL)
		key_load(&k, (const uint8_t *)"secret", 6, KEY_USE_SIGN, &e);
	memset(&r, 0, sizeof r);
	r.opts = (const char *)data;
	r.opts_len = (size_t)(nul - data);
	r.payload = (const char *)nul + 1;
	r.payload_len = size - r.opts_len - 1;
	r.now = 1700000000.25;
	r.allow_none = 1;
	buf_init(&tok, 2 * AG_TOKEN_MAX);
	buf_init(&added, 2 * AG_TOKEN_MAX);
	sign_token(k, &r, &tok, &added, &e);
	buf_free(&tok);
	buf_free(&added);
	return 0;
}
