/*
 * jwt.h - taking a compact JWS apart exactly as jsonwebtoken's decode does:
 * three dot-separated parts, the jws character check, the header as
 * JSON.parse(latin1(base64(header))), and the payload parsed as JSON when
 * the header says typ "JWT" (a SyntaxError otherwise) or when it happens to
 * be an object.
 */
#ifndef AG_JWT_H
#define AG_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "shared/agerr.h"
#include "shared/b64url.h"
#include "shared/json.h"
#include "shared/limits.h"

enum jwt_pkind {
	JWT_PAYLOAD_JSON,    /* payload is the parsed JSON value */
	JWT_PAYLOAD_TEXT,    /* payload is a plain string (the decoded bytes) */
};

struct jwt {
	const char *token;
	size_t len;
	const char *seg[3];          /* header, payload, signature */
	size_t seglen[3];
	size_t signing_len;          /* header.payload */

	struct json_doc hdoc;        /* the JOSE header, latin1 as UTF-8 */
	struct json_doc pdoc;        /* the payload, when kind is JSON */
	enum jwt_pkind kind;
	int alg;                     /* header tokens, or -1 */
	int kid;
	int typ_jwt;                 /* header.typ === 'JWT' */

	size_t plen;                 /* decoded payload bytes */
	const char *payload;         /* into bytes[] */

	/* decoded header (its latin1 may double as UTF-8), then payload */
	uint8_t bytes[2 * B64URL_DEC_MAX(AG_TOKEN_MAX) + 2];
	struct json_tok htok[AG_HDR_MAX_TOKENS];
	struct json_tok ptok[AG_JSON_MAX_TOKENS];
};

/*
 * A token's signing input (header.payload): the bytes before its last
 * '.', 0 if it has none.  Every spelling of a token's signature shares
 * it: it is the token's identity for the cache and for revocation (a
 * decoded token's is j->signing_len, the same bytes).
 */
size_t jwt_signing_len(const char *token, size_t len);

/*
 * Checks 1-3 of jsonwebtoken's verify: "jwt must be provided", "jwt
 * malformed", "invalid token", and the SyntaxError of a typ:JWT payload
 * that is not JSON.  Fills *j; j->kind says what the payload is.
 */
int jwt_decode(struct jwt *j, const char *token, size_t len,
	       struct ag_error *e);

/*
 * The first two characters of the header's alg ("HS", "RS", ...) without
 * a full decode, so the daemon can keep cheap HMAC work on its loop and
 * send RSA/ECDSA to its pool.  Returns 0, or -1 if the header does not
 * decode (verification will fail fast anyway).
 */
int jwt_peek_family(const char *token, size_t len, char family[3]);

/* header.alg is a string equal to s. */
int jwt_alg_is(const struct jwt *j, const char *s);

#endif
