/*
 * fuzz_verify.c - a token and verify options from outside.  The input is
 * "options JSON" NUL "token"; the token is verified with an HMAC secret
 * and with an EC key, which reaches every check before and after the
 * signature.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/engine/key.h"
#include "daemon/engine/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_ec[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV7\n"
	"6e8Tus9uPHvRVEXH8UTNG72bfocs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==\n"
	"-----END PUBLIC KEY-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct key *secret, *ec;
	static struct vopts o;
	static struct jwt j;
	struct ag_error e;
	const uint8_t *nul = memchr(data, 0, size);
	size_t olen = nul ? (size_t)(nul - data) : 0;
	const char *tok = (const char *)(nul ? nul + 1 : data);
	size_t tlen = nul ? size - olen - 1 : size;

	if (secret == NULL) {
		key_load(&secret, (const uint8_t *)"secret", 6, KEY_USE_VERIFY,
			 &e);
		key_load(&ec, (const uint8_t *)fuzz_ec, sizeof fuzz_ec - 1,
			 KEY_USE_VERIFY, &e);
	}
	if (vopts_parse(&o, (const char *)data, olen, &e) != 0)
		return 0;
	verify_token(secret, tok, tlen, &o, 1700000000.5, &j, &e);
	verify_token(ec, tok, tlen, &o, 1700000000.5, &j, &e);
	verify_token(NULL, tok, tlen, &o, 1700000000.5, &j, &e);
	return 0;
}
