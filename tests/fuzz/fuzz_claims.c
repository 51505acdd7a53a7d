/*
 * fuzz_claims.c - verify options and a payload from outside, through
 * every claim check.  The input is a header choice (first byte), then
 * "options JSON" NUL "payload" [NUL "header JSON"]: the header is one of
 * a few fixed ones, or the bytes after the second NUL.  The three make a
 * token (with a dummy signature) that jwt_peek_family peeks at and
 * jwt_decode takes apart; the options go through vopts_parse.  Then
 * claims_alg_listed (no key, and each key family's defaults),
 * claims_check, claims_times_get with claims_check_times, and claims_text
 * for the claims revocations name.
 *
 * Beyond not crashing: for options the cache's fast path answers
 * (vopts.fast), what a client's cache hit says - the algorithm mask and
 * the time claims alone (shared/cache.c) - must be what the daemon says
 * after the signature check - claims_alg_listed and claims_check - for
 * every token the daemon would cache (daemon/cachew.c): same result,
 * same error code, same date.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/b64url.h"
#include "shared/claims.h"
#include "shared/jwt.h"
#include "shared/vopts.h"

#define FC_NOW 1700000000.5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fc_headers[] = {
	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	"{\"alg\":\"HS384\"}",
	"{\"alg\":\"RS256\",\"kid\":\"k1\"}",
	"{\"alg\":\"PS512\",\"typ\":\"JWT\"}",
	"{\"alg\":\"ES256\"}",
	"{\"alg\":\"none\",\"typ\":\"JWT\"}",
	"{\"typ\":\"JWT\"}",
	"{\"alg\":[\"HS256\"],\"typ\":\"JWT\"}",
	"{\"alg\":256}",
	NULL,                        /* from the input */
};
#define FC_NHEADERS (sizeof fc_headers / sizeof *fc_headers)

/* The cache's answer equals the daemon's, for a token the daemon
 * caches (cachew_entry's conditions). */
static void fc_cache_agrees(const struct jwt *j, const struct vopts *o)
{
	struct ag_error de, ce;
	struct claims_times t;
	char alg[8];
	int a, drc, crc;

	if (!o->fast || j->kind != JWT_PAYLOAD_JSON ||
	    json_type(&j->pdoc, 0) != JSON_OBJECT || j->alg < 0 ||
	    !json_str_copy(&j->hdoc, j->alg, alg, sizeof alg) ||
	    (a = vopts_alg_index(alg, strlen(alg))) < 0)
		return;
	claims_times_get(j, &t);
	if (t.nbf == CLAIMS_OTHER || t.exp == CLAIMS_OTHER ||
	    t.iat == CLAIMS_OTHER)
		return;
	/* the daemon: the key's family's defaults, then the claims */
	memset(&de, 0, sizeof de);
	memset(&ce, 0, sizeof ce);
	drc = claims_alg_listed(j, o, alg_at((size_t)a)->key, &de);
	if (drc == 0)
		drc = claims_check(j, o, FC_NOW, &de);
	/* the cache */
	crc = (o->alg_mask & (1u << a)) ? 0 :
	      ag_fail(&ce, AG_E_INVALID_ALG, NULL);
	if (crc == 0)
		crc = claims_check_times(&t, o, FC_NOW, &ce);
	if (drc != crc || (drc != 0 && (de.code != ce.code ||
	    de.has_date != ce.has_date ||
	    (de.has_date && memcmp(&de.date, &ce.date, sizeof de.date)))))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"sub", "jti", "iat", "exp", "aud", "user.id", "",
	};
	static struct vopts o;
	static struct jwt j;
	static char tok[AG_TOKEN_MAX + 64];
	const char *hdr, *opts, *pay, *nul;
	size_t hlen, olen, plen, n, i;
	struct ag_error e;
	struct claims_times t;
	struct buf text;
	char fam[3];

	if (size < 1)
		return 0;
	hdr = fc_headers[data[0] % FC_NHEADERS];
	opts = (const char *)data + 1;
	nul = memchr(opts, 0, size - 1);
	if (nul == NULL)
		return 0;
	olen = (size_t)(nul - opts);
	pay = nul + 1;
	plen = size - 1 - olen - 1;
	nul = memchr(pay, 0, plen);
	if (nul != NULL) {
		hlen = plen - (size_t)(nul - pay) - 1;
		plen = (size_t)(nul - pay);
		if (hdr == NULL)
			hdr = nul + 1;
		else
			hlen = strlen(hdr);
	} else {
		if (hdr == NULL)
			hdr = fc_headers[0];
		hlen = strlen(hdr);
	}
	if (B64URL_ENC_LEN(hlen) + B64URL_ENC_LEN(plen) + 6 > sizeof tok)
		return 0;
	if (vopts_parse(&o, opts, olen, &e) != 0)
		return 0;
	n = b64url_encode(tok, (const uint8_t *)hdr, hlen);
	tok[n++] = '.';
	n += b64url_encode(tok + n, (const uint8_t *)pay, plen);
	memcpy(tok + n, ".c2ln", 5);
	n += 5;
	/* the daemon's routing (HMAC on the loop), before any decode */
	(void)jwt_peek_family(tok, n, fam);
	if (jwt_decode(&j, tok, n, &e) != 0)
		return 0;

	(void)claims_alg_listed(&j, &o, ALG_KEY_NONE, &e);
	(void)claims_alg_listed(&j, &o, ALG_KEY_SECRET, &e);
	(void)claims_alg_listed(&j, &o, ALG_KEY_RSA, &e);
	(void)claims_alg_listed(&j, &o, ALG_KEY_EC, &e);
	(void)claims_check(&j, &o, FC_NOW, &e);
	(void)claims_check(&j, &o, 0, &e);
	claims_times_get(&j, &t);
	(void)claims_check_times(&t, &o, FC_NOW, &e);
	fc_cache_agrees(&j, &o);

	/* revocations name a claim's value by its text */
	buf_init(&text, AG_REVOKE_VALUE_MAX);
	for (i = 0; i < sizeof names / sizeof *names; i++) {
		buf_reset(&text);
		if (claims_text(&j, names[i], &text) == 0 && text.err)
			abort();
	}
	buf_free(&text);
	return 0;
}
