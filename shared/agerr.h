/*
 * agerr.h - the one error enum of agauthd, and the error value every module
 * fills in.
 *
 * Each code belongs to a class that names the JavaScript error a client must
 * rebuild (jsonwebtoken's JsonWebTokenError, TokenExpiredError, ...), so a
 * failure crosses the wire as (code, message, date) and comes out identical
 * in every client.
 */
#ifndef AG_AGERR_H
#define AG_AGERR_H

#include "shared/limits.h"

/* The JavaScript error class a code maps to. */
enum ag_class {
	AG_CLS_NONE = 0,
	AG_CLS_JWT,        /* JsonWebTokenError */
	AG_CLS_EXPIRED,    /* TokenExpiredError (carries expiredAt) */
	AG_CLS_NOTBEFORE,  /* NotBeforeError (carries date) */
	AG_CLS_ERROR,      /* Error (jsonwebtoken's sign-side failures) */
	AG_CLS_TYPE,       /* TypeError (thrown by jws/jwa) */
	AG_CLS_SYNTAX,     /* SyntaxError (payload of a typ:JWT token is not JSON) */
	AG_CLS_SYSTEM,     /* agauthd's own: limits, memory, configuration */
};

#define AG_ERR_LIST(X) \
	X(AG_OK,               NONE,      "success") \
	/* verify: token shape */ \
	X(AG_E_JWT_MISSING,    JWT,       "jwt must be provided") \
	X(AG_E_MALFORMED,      JWT,       "jwt malformed") \
	X(AG_E_INVALID_TOKEN,  JWT,       "invalid token") \
	X(AG_E_PAYLOAD_JSON,   SYNTAX,    "Unexpected token in JSON") \
	X(AG_E_SIG_REQUIRED,   JWT,       "jwt signature is required") \
	X(AG_E_KEY_REQUIRED,   JWT,       "secret or public key must be provided") \
	X(AG_E_NONE_UNLISTED,  JWT,       "please specify \"none\" in \"algorithms\" to verify unsigned tokens") \
	/* verify: algorithm and key */ \
	X(AG_E_INVALID_ALG,    JWT,       "invalid algorithm") \
	X(AG_E_KEY_KIND,       JWT,       "secretOrPublicKey has the wrong type for this algorithm") \
	X(AG_E_KEY_ALG,        ERROR,     "\"alg\" parameter does not fit the key") \
	X(AG_E_ALG_UNKNOWN,    TYPE,      "not a valid algorithm") \
	X(AG_E_ALG_MISSING,    ERROR,     "Missing algorithm parameter for jws.verify") \
	X(AG_E_SIG_LENGTH,     TYPE,      "ECDSA signature has the wrong length") \
	X(AG_E_BAD_SIGNATURE,  JWT,       "invalid signature") \
	/* verify: claims */ \
	X(AG_E_NBF_INVALID,    JWT,       "invalid nbf value") \
	X(AG_E_NOT_ACTIVE,     NOTBEFORE, "jwt not active") \
	X(AG_E_EXP_INVALID,    JWT,       "invalid exp value") \
	X(AG_E_EXPIRED,        EXPIRED,   "jwt expired") \
	X(AG_E_AUDIENCE,       JWT,       "jwt audience invalid") \
	X(AG_E_ISSUER,         JWT,       "jwt issuer invalid") \
	X(AG_E_SUBJECT,        JWT,       "jwt subject invalid") \
	X(AG_E_JWTID,          JWT,       "jwt jwtid invalid") \
	X(AG_E_NONCE,          JWT,       "jwt nonce invalid") \
	X(AG_E_IAT_REQUIRED,   JWT,       "iat required when maxAge is specified") \
	X(AG_E_MAXAGE_SPAN,    JWT,       "\"maxAge\" should be a number of seconds or string representing a timespan eg: \"1d\", \"20h\", 60") \
	X(AG_E_MAXAGE,         EXPIRED,   "maxAge exceeded") \
	X(AG_E_VERIFY_OPTION,  JWT,       "invalid verify option") \
	X(AG_E_OPTION_TYPE,    TYPE,      "option has a type jsonwebtoken cannot use") \
	/* sign */ \
	X(AG_E_SIGN_OPTION,    ERROR,     "invalid sign option") \
	X(AG_E_SIGN_PAYLOAD,   ERROR,     "invalid payload") \
	X(AG_E_SIGN_CONFLICT,  ERROR,     "option conflicts with a payload claim") \
	X(AG_E_SIGN_KEY,       ERROR,     "key does not fit the algorithm") \
	X(AG_E_NONE_DISABLED,  ERROR,     "signing with \"none\" is disabled") \
	X(AG_E_IAT_FUTURE,     ERROR,     "\"iat\" is later than the second the token is signed in") \
	/* agauthd's own */ \
	X(AG_E_REVOKED,        JWT,       "jwt revoked") \
	X(AG_E_TOO_LARGE,      JWT,       "jwt too large") \
	X(AG_E_TOO_COMPLEX,    JWT,       "jwt JSON too deeply nested or too complex") \
	X(AG_E_INPUT_LIMIT,    SYSTEM,    "input exceeds a configured limit") \
	X(AG_E_INPUT_JSON,     SYSTEM,    "input is not valid JSON") \
	X(AG_E_INPUT_UTF8,     SYSTEM,    "input is not valid UTF-8") \
	X(AG_E_KEY_LOAD,       SYSTEM,    "key material is not usable") \
	X(AG_E_CRYPTO,         SYSTEM,    "cryptographic operation failed") \
	X(AG_E_NOMEM,          SYSTEM,    "out of memory") \
	X(AG_E_SYSTEM,         SYSTEM,    "a system call agauthd needs failed") \
	/* the wire protocol (docs/protocol.md) */ \
	X(AG_E_BAD_FRAME,      SYSTEM,    "frame is not a bounded msgpack map") \
	X(AG_E_FRAME_TOO_LARGE, SYSTEM,   "frame too large") \
	X(AG_E_HELLO,          SYSTEM,    "hello with a supported version must come first") \
	X(AG_E_BAD_REQUEST,    SYSTEM,    "request lacks a field or has one of the wrong type") \
	X(AG_E_UNKNOWN_OP,     SYSTEM,    "unknown operation") \
	X(AG_E_UNAUTHORIZED,   SYSTEM,    "peer is not allowed this operation") \
	X(AG_E_BUSY,           SYSTEM,    "daemon busy, retry later") \
	X(AG_E_NO_KEY,         SYSTEM,    "no key can serve this request") \
	X(AG_E_KEYRING,        SYSTEM,    "keyring not loaded") \
	X(AG_E_CONFIG,         SYSTEM,    "configuration error") \
	X(AG_E_STATE,          SYSTEM,    "cannot persist to the state directory") \
	X(AG_E_NO_CACHE,       SYSTEM,    "the shared-memory cache is disabled") \
	X(AG_E_REWATCH,        SYSTEM,    "agauthd dropped this watch; watch again and re-check what you hold") \
	/* clients */ \
	X(AG_E_CONNECT,        SYSTEM,    "cannot reach agauthd") \
	X(AG_E_DISCONNECTED,   SYSTEM,    "connection to agauthd lost") \
	X(AG_E_PROTOCOL,       SYSTEM,    "unexpected reply from agauthd")

enum ag_err {
#define AG_X_ENUM(code, cls, msg) code,
	AG_ERR_LIST(AG_X_ENUM)
#undef AG_X_ENUM
	AG_ERR_COUNT
};

/* An error as returned to callers: the code, the exact message jsonwebtoken
 * would carry, and for expiry/not-before errors the date in seconds. */
struct ag_error {
	enum ag_err code;
	int has_date;
	double date;                 /* seconds since the epoch */
	char msg[AG_ERRMSG_MAX];
};

const char *ag_strerror(enum ag_err code);
enum ag_class ag_errclass(enum ag_err code);
/* The JavaScript class name: "JsonWebTokenError", "TypeError", ... */
const char *ag_errname(enum ag_err code);
/* The code's symbolic name as the protocol carries it: "AG_E_EXPIRED",
 * ...; "AG_E_UNKNOWN" for a code out of range. */
const char *ag_codename(enum ag_err code);

/* Sets *e (if e is not NULL) and returns -1, so callers can
 * `return ag_fail(e, CODE, NULL)`.  A NULL fmt takes the default message. */
int ag_fail(struct ag_error *e, enum ag_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, with the date an expiry or not-before error carries. */
int ag_fail_date(struct ag_error *e, enum ag_err code, double date,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void ag_clear(struct ag_error *e);

#endif
