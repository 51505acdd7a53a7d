/* jwt.c - compact JWS decoding with jsonwebtoken's order of checks. */
#include "shared/jwt.h"

#include <string.h>

size_t jwt_signing_len(const char *token, size_t len)
{
	const char *dot = memrchr(token, '.', len);

	return dot != NULL ? (size_t)(dot - token) : 0;
}

static int jwt_split(struct jwt *j)
{
	const char *p = j->token, *end = j->token + j->len, *dot;
	int k;

	for (k = 0; k < 3; k++) {
		dot = k < 2 ? memchr(p, '.', (size_t)(end - p)) : end;
		if (dot == NULL)
			return -1;
		j->seg[k] = p;
		j->seglen[k] = (size_t)(dot - p);
		p = dot + 1;
	}
	/* a fourth part would make split('.').length !== 3 */
	if (memchr(j->seg[2], '.', j->seglen[2]) != NULL)
		return -1;
	j->signing_len = j->seglen[0] + 1 + j->seglen[1];
	return 0;
}

/*
 * jws reads the header as latin1 ('binary'): each byte is one UTF-16 unit.
 * Bytes >= 0x80 are widened to the UTF-8 of that unit, in place from the
 * end (p has room for 2n bytes), so that every reader of the header sees
 * the string JavaScript sees.  Returns the new length.
 */
static size_t jwt_latin1(uint8_t *p, size_t n)
{
	size_t i, w = n, len;
	uint8_t c;

	for (i = 0; i < n; i++)
		w += p[i] >> 7;
	len = w;
	/* once w meets i, the bytes below are ASCII and in place */
	for (i = n; w > i;) {
		c = p[--i];
		if (c >= 0x80) {
			p[--w] = (uint8_t)(0x80 | (c & 0x3f));
			p[--w] = (uint8_t)(0xc0 | (c >> 6));
		} else {
			p[--w] = c;
		}
	}
	return len;
}

/*
 * The header last decoded on this thread.  A worker's tokens come from one
 * issuer and carry the same header segment byte for byte; decoding and
 * parsing it again costs about a tenth of an HS256 verification.  Only a
 * header that decoded and parsed is kept, with everything jwt_header
 * derives from its bytes, so a hit gives what a decode would give.
 */
#define JWT_MEMO_SEG 128
static _Thread_local struct {
	size_t seglen;               /* 0: nothing kept */
	char seg[JWT_MEMO_SEG];
	long hn;                     /* decoded bytes, before widening */
	size_t wlen;                 /* widened: the header document */
	int ntok, alg, kid, typ_jwt;
	uint8_t bytes[2 * B64URL_DEC_MAX(JWT_MEMO_SEG)];
	struct json_tok tok[AG_HDR_MAX_TOKENS];
} jwt_memo;

static void jwt_memo_keep(const struct jwt *j, long hn)
{
	if (j->seglen[0] > JWT_MEMO_SEG)
		return;
	jwt_memo.seglen = j->seglen[0];
	memcpy(jwt_memo.seg, j->seg[0], j->seglen[0]);
	jwt_memo.hn = hn;
	jwt_memo.wlen = j->hdoc.len;
	jwt_memo.ntok = j->hdoc.ntok;
	jwt_memo.alg = j->alg;
	jwt_memo.kid = j->kid;
	jwt_memo.typ_jwt = j->typ_jwt;
	memcpy(jwt_memo.bytes, j->bytes, j->hdoc.len);
	memcpy(jwt_memo.tok, j->htok, (size_t)j->hdoc.ntok * sizeof *j->htok);
}

/* The kept header into j, if j's header segment is the kept one: its
 * decoded length, else -1. */
static long jwt_memo_take(struct jwt *j)
{
	if (jwt_memo.seglen == 0 || j->seglen[0] != jwt_memo.seglen ||
	    memcmp(j->seg[0], jwt_memo.seg, jwt_memo.seglen) != 0)
		return -1;
	memcpy(j->bytes, jwt_memo.bytes, jwt_memo.wlen);
	memcpy(j->htok, jwt_memo.tok, (size_t)jwt_memo.ntok * sizeof *j->htok);
	j->hdoc.src = (const char *)j->bytes;
	j->hdoc.len = jwt_memo.wlen;
	j->hdoc.tok = j->htok;
	j->hdoc.ntok = jwt_memo.ntok;
	j->hdoc.errpos = 0;
	j->alg = jwt_memo.alg;
	j->kid = jwt_memo.kid;
	j->typ_jwt = jwt_memo.typ_jwt;
	return jwt_memo.hn;
}

/* JSON.parse(header) must give a truthy value. */
/* The header's n decoded bytes are at j->bytes, with room to widen. */
static int jwt_header(struct jwt *j, size_t n)
{
	static const char *const names[] = { "alg", "kid", "typ" };
	int rc, v[3];

	n = jwt_latin1(j->bytes, n);
	rc = json_parse(&j->hdoc, (const char *)j->bytes, (size_t)n, j->htok,
			AG_HDR_MAX_TOKENS, 0);
	if (rc == JSON_ELIMIT)
		return -2;
	if (rc < 0 || !json_truthy(&j->hdoc, 0))
		return -1;
	json_get_many(&j->hdoc, 0, names, 3, v);
	j->alg = v[0];
	j->kid = v[1];
	j->typ_jwt = json_str_eq(&j->hdoc, v[2], "JWT", 3);
	return (int)n;
}

int jwt_decode(struct jwt *j, const char *token, size_t len,
	       struct ag_error *e)
{
	long hn, pn, memo;
	int rc;
	enum json_type t;

	j->token = token;
	j->len = len;
	if (len == 0)
		return ag_fail(e, AG_E_JWT_MISSING, NULL);
	/* bound the work and the scratch before touching the bytes */
	if (len > AG_TOKEN_MAX)
		return ag_fail(e, AG_E_TOO_LARGE, NULL);
	if (jwt_split(j) != 0)
		return ag_fail(e, AG_E_MALFORMED, NULL);
	/* jws's character check of all three parts comes before any JSON:
	 * decoding checks the header's and the payload's characters, so
	 * both are decoded before the header is parsed (the payload after
	 * room for the header to widen in place) */
	if (j->seglen[0] == 0 || j->seglen[1] == 0 ||
	    !b64url_valid(j->seg[2], j->seglen[2]))
		return ag_fail(e, AG_E_INVALID_TOKEN, NULL);
	memo = jwt_memo_take(j);
	hn = memo >= 0 ? memo :
	     b64url_decode_loose(j->bytes, j->seg[0], j->seglen[0]);
	pn = hn < 0 ? -1 : b64url_decode_loose(j->bytes + 2 * hn, j->seg[1],
					       j->seglen[1]);
	if (pn < 0)
		return ag_fail(e, AG_E_INVALID_TOKEN, NULL);
	j->payload = (const char *)j->bytes + 2 * hn;
	j->plen = (size_t)pn;
	if (memo < 0) {
		rc = jwt_header(j, (size_t)hn);
		if (rc == -2)
			return ag_fail(e, AG_E_TOO_COMPLEX, NULL);
		if (rc < 0)
			return ag_fail(e, AG_E_INVALID_TOKEN, NULL);
		jwt_memo_keep(j, hn);
	}
	rc = json_parse(&j->pdoc, j->payload, j->plen, j->ptok,
			AG_JSON_MAX_TOKENS, 0);
	if (rc == JSON_ELIMIT)
		return ag_fail(e, AG_E_TOO_COMPLEX, NULL);
	if (rc < 0 && j->typ_jwt)
		return ag_fail(e, AG_E_PAYLOAD_JSON,
			       "Unexpected token in JSON at position %zu",
			       j->pdoc.errpos);
	t = rc < 0 ? JSON_INVALID : json_type(&j->pdoc, 0);
	/* decode(): a typ:JWT payload is whatever JSON.parse gives; otherwise
	 * only an object or array replaces the string */
	j->kind = (j->typ_jwt || t == JSON_OBJECT || t == JSON_ARRAY) ?
		JWT_PAYLOAD_JSON : JWT_PAYLOAD_TEXT;
	return 0;
}

int jwt_alg_is(const struct jwt *j, const char *s)
{
	return json_str_eq(&j->hdoc, j->alg, s, strlen(s));
}

int jwt_peek_family(const char *token, size_t len, char family[3])
{
	static const char *const names[] = { "alg" };
	uint8_t hdr[512];
	struct json_tok tok[AG_HDR_MAX_TOKENS];
	struct json_doc d;
	const char *dot = memchr(token, '.', len), *raw;
	size_t hn, n;
	long dn;
	int alg;

	family[0] = '\0';
	hn = dot ? (size_t)(dot - token) : len;
	/* headers are a few dozen bytes; a huge one goes the slow way */
	if (hn > B64URL_ENC_LEN(sizeof hdr - 2))
		return -1;
	dn = b64url_decode_loose(hdr, token, hn);
	if (dn < 0 || json_parse(&d, (const char *)hdr, (size_t)dn, tok,
				 AG_HDR_MAX_TOKENS, 0) < 0)
		return -1;
	json_get_many(&d, 0, names, 1, &alg);
	if (json_type(&d, alg) != JSON_STRING)
		return -1;
	raw = json_raw(&d, alg, &n);
	if (n < 2)
		return -1;
	family[0] = raw[0];
	family[1] = raw[1];
	family[2] = '\0';
	return 0;
}
