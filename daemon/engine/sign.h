/*
 * sign.h - jsonwebtoken 9's sign(), byte for byte.
 *
 * Takes the payload as JSON text and the options as the JSON text of
 * jsonwebtoken's options object; produces the same compact JWS that
 * jwt.sign(JSON.parse(payload), key, JSON.parse(options)) returns at the
 * same clock (identical bytes for HS*; RS, PS and ES verify alike), or the
 * same error.
 */
#ifndef AG_SIGN_H
#define AG_SIGN_H

#include <stddef.h>

#include "shared/agerr.h"
#include "shared/buf.h"
#include "daemon/engine/key.h"

struct sign_req {
	const char *payload;         /* JSON text */
	size_t payload_len;
	const char *opts;            /* JSON object text, or NULL */
	size_t opts_len;
	double now;                  /* seconds since the epoch (Date.now()/1000) */
	int allow_none;              /* configuration: may "none" be signed */
	/* the daemon's choices: the algorithm when the options name none
	 * (NULL: jsonwebtoken's HS256), and with kid_locked the header's kid
	 * (NULL: no kid), which the caller may then not set */
	const char *alg_default;
	int kid_locked;
	const char *kid;
};

/*
 * Appends the token to `token`.  If `added` is not NULL, appends a JSON
 * object of the claims sign set (iat, nbf, exp, aud, iss, sub, jti), so a
 * client can honour mutatePayload without decoding the token.
 */
int sign_token(const struct key *k, const struct sign_req *r,
	       struct buf *token, struct buf *added, struct ag_error *e);

#endif
