/*
 * algs.h - the one table of JWS algorithms, as jwa implements RFC 7518
 * for jsonwebtoken: HS/RS/PS/ES 256/384/512 and none.  Each row says what
 * the rest of agauthd needs to know about an algorithm: its family, the
 * key type and curve it takes, its digest, whether it is cheap enough to
 * run on the event loop, and the key type rotate generates for it.
 *
 * The columns here are plain data, so that shared/ (the claim checks a
 * client runs on a cache hit) can use them without the engine; the
 * crypto for a row is the engine's (daemon/engine/crypto.h takes a row).
 * A new algorithm is a row here and its crypto pair in the backend.
 */
#ifndef AG_ALGS_H
#define AG_ALGS_H

#include <stddef.h>

enum alg_family { ALG_HS, ALG_RS, ALG_PS, ALG_ES, ALG_NONE };
/* what a key's material is; ALG_KEY_NONE: "none" takes no key */
enum alg_keytype { ALG_KEY_SECRET, ALG_KEY_RSA, ALG_KEY_EC, ALG_KEY_NONE };
enum alg_curve { ALG_CURVE_NONE, ALG_P256, ALG_P384, ALG_P521,
		 ALG_CURVE_OTHER };

struct alg {
	const char *name;            /* "HS256" */
	enum alg_family family;
	enum alg_keytype key;        /* the key type it takes */
	enum alg_curve curve;        /* ES: the one curve it signs on */
	const char *curve_name;      /* ES: that curve, as Node names it */
	const char *jwk_crv;         /* ES: that curve in a JWK (RFC 7518
				      * 6.2.1.1) */
	unsigned bits;               /* digest size */
	int on_loop;                 /* cheap enough for the event loop */
	const char *keygen;          /* the key type rotate generates */
};

/* The algorithm named exactly s[0..n) (jwa's regex), or NULL. */
const struct alg *alg_find(const char *s, size_t n);
/* The first algorithm whose name starts with the first two bytes of
 * s[0..n) (jsonwebtoken tells families apart by header.alg.startsWith),
 * or NULL: "PS999" finds PS256, and so the RSA keys. */
const struct alg *alg_of_prefix(const char *s, size_t n);
/* Row i of the table (0 <= i < alg_count()), in jwa's order. */
const struct alg *alg_at(size_t i);
size_t alg_count(void);

#endif
