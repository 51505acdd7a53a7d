/* sign.c - building and signing a token in jsonwebtoken's order. */
#include "daemon/engine/sign.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shared/b64url.h"
#include "daemon/engine/jws.h"
#include "shared/json.h"
#include "shared/limits.h"
#include "shared/timespan.h"

/* Options that set a claim, in the order sign() appends them. */
static const struct {
	const char *opt, *claim;
} sign_claim_opts[] = {
	{ "audience", "aud" }, { "issuer", "iss" },
	{ "subject", "sub" }, { "jwtid", "jti" },
};

static const char *const sign_time_claims[] = { "iat", "exp", "nbf" };

enum sign_check { SC_SPAN, SC_AUD, SC_ALG, SC_OBJ, SC_STR, SC_BOOL };

static const struct {
	const char *name;
	enum sign_check check;
	const char *msg;
} sign_schema[] = {
	{ "expiresIn", SC_SPAN, "\"expiresIn\" should be a number of seconds or string representing a timespan" },
	{ "notBefore", SC_SPAN, "\"notBefore\" should be a number of seconds or string representing a timespan" },
	{ "audience", SC_AUD, "\"audience\" must be a string or array" },
	{ "algorithm", SC_ALG, "\"algorithm\" must be a valid string enum value" },
	{ "header", SC_OBJ, "\"header\" must be an object" },
	{ "encoding", SC_STR, "\"encoding\" must be a string" },
	{ "issuer", SC_STR, "\"issuer\" must be a string" },
	{ "subject", SC_STR, "\"subject\" must be a string" },
	{ "jwtid", SC_STR, "\"jwtid\" must be a string" },
	{ "noTimestamp", SC_BOOL, "\"noTimestamp\" must be a boolean" },
	{ "keyid", SC_STR, "\"keyid\" must be a string" },
	{ "mutatePayload", SC_BOOL, "\"mutatePayload\" must be a boolean" },
	{ "allowInsecureKeySizes", SC_BOOL, "\"allowInsecureKeySizes\" must be a boolean" },
	{ "allowInvalidAsymmetricKeyTypes", SC_BOOL, "\"allowInvalidAsymmetricKeyTypes\" must be a boolean" },
};

struct sign_ctx {
	const struct key *k;
	const struct sign_req *r;
	struct json_doc o, p;        /* options, payload */
	struct json_tok otok[AG_OPTS_MAX_TOKENS];
	struct json_tok ptok[AG_JSON_MAX_TOKENS];
	int hdr;                     /* options.header if an object, else -1 */
	int alg;                     /* token holding header.alg, or -1 */
	char algname[AG_ERRMSG_MAX / 2];  /* header.alg, cut to fit messages */
	int alg_whole;               /* algname is all of it, without NUL */
	int obj;                     /* the payload is an object */
	double iat;                  /* the timestamp claims count from */
	double nbf, exp;
	int has_nbf, has_exp, has_iat;
	int latin1;                  /* encoding: 'latin1' / 'binary' / 'ascii' */
	struct ag_error *e;
};

static int sign_opt(const struct sign_ctx *c, const char *name)
{
	return json_get(&c->o, 0, name);
}

static int sign_parse(struct sign_ctx *c)
{
	const struct sign_req *r = c->r;
	const char *opts = r->opts ? r->opts : "{}";
	size_t olen = r->opts ? r->opts_len : 2;
	int rc;

	/* bound both inputs before parsing */
	if (olen > AG_OPTS_MAX)
		return ag_fail(c->e, AG_E_INPUT_LIMIT, "options exceed %d bytes",
			       AG_OPTS_MAX);
	if (r->payload_len > AG_PAYLOAD_MAX)
		return ag_fail(c->e, AG_E_INPUT_LIMIT,
			       "payload exceeds %d bytes", AG_PAYLOAD_MAX);
	rc = json_parse(&c->o, opts, olen, c->otok, AG_OPTS_MAX_TOKENS,
			JSON_UTF8);
	if (rc < 0 || json_type(&c->o, 0) != JSON_OBJECT)
		return ag_fail(c->e, rc == JSON_ELIMIT ? AG_E_INPUT_LIMIT :
			       AG_E_INPUT_JSON, "options must be a JSON object%s",
			       rc == JSON_ELIMIT ? " within the limits" : "");
	rc = json_parse(&c->p, r->payload, r->payload_len, c->ptok,
			AG_JSON_MAX_TOKENS, JSON_UTF8);
	if (rc == JSON_EUTF8)
		return ag_fail(c->e, AG_E_INPUT_UTF8,
			       "payload is not valid UTF-8");
	if (rc == JSON_ELIMIT)
		return ag_fail(c->e, AG_E_INPUT_LIMIT, "payload exceeds %d "
			       "JSON values or %d levels of nesting",
			       AG_JSON_MAX_TOKENS, AG_JSON_MAX_DEPTH);
	if (rc < 0)
		return ag_fail(c->e, AG_E_INPUT_JSON, "payload is not valid "
			       "JSON (at byte %zu)", c->p.errpos);
	return 0;
}

/*
 * Object.prototype's own names.  jsonwebtoken's validate() looks option
 * and payload names up in a plain object literal, finds these inherited
 * members there and calls their missing isValid: a TypeError.
 */
static const char *const sign_proto_names[] = {
	"constructor", "__defineGetter__", "__defineSetter__",
	"hasOwnProperty", "__lookupGetter__", "__lookupSetter__",
	"isPrototypeOf", "propertyIsEnumerable", "toString", "valueOf",
	"__proto__", "toLocaleString",
};

static int sign_proto_name(const struct json_doc *d, int k)
{
	size_t i, n = sizeof sign_proto_names / sizeof *sign_proto_names;

	for (i = 0; i < n; i++)
		if (json_str_eq(d, k, sign_proto_names[i],
				strlen(sign_proto_names[i])))
			return 1;
	return 0;
}

static int sign_fail_validator(struct sign_ctx *c)
{
	return ag_fail(c->e, AG_E_OPTION_TYPE,
		       "validator.isValid is not a function");
}

/* With the daemon's key, the kid names that key: the caller may not. */
static int sign_check_kid(struct sign_ctx *c)
{
	if (!c->r->kid_locked)
		return 0;
	if (sign_opt(c, "keyid") >= 0 ||
	    (json_type(&c->o, sign_opt(c, "header")) == JSON_OBJECT &&
	     json_get(&c->o, sign_opt(c, "header"), "kid") >= 0))
		return ag_fail(c->e, AG_E_SIGN_OPTION, "\"keyid\" is set by "
			       "agauthd: the signing key's kid");
	return 0;
}

/* header = Object.assign({alg: algorithm || 'HS256', typ, kid}, header):
 * find header.alg and check the key against it. */
static int sign_check_key(struct sign_ctx *c)
{
	const struct json_doc *o = &c->o;
	int algopt = sign_opt(c, "algorithm");

	c->hdr = sign_opt(c, "header");
	if (json_type(o, c->hdr) != JSON_OBJECT)
		c->hdr = -1;
	c->alg = c->hdr >= 0 ? json_get(o, c->hdr, "alg") : -1;
	if (c->alg < 0 && json_truthy(o, algopt))
		c->alg = algopt;
	/* header.alg.startsWith(): V8's TypeError for null is its own */
	if (c->alg >= 0 && json_type(o, c->alg) == JSON_NULL)
		return ag_fail(c->e, AG_E_OPTION_TYPE, "Cannot read properties "
			       "of null (reading 'startsWith')");
	if (c->alg >= 0 && json_type(o, c->alg) != JSON_STRING)
		return ag_fail(c->e, AG_E_OPTION_TYPE,
			       "header.alg.startsWith is not a function");
	if (c->alg >= 0) {
		c->alg_whole = json_str_copy(o, c->alg, c->algname,
					       sizeof c->algname);
	} else {
		snprintf(c->algname, sizeof c->algname, "%s",
			 c->r->alg_default ? c->r->alg_default : "HS256");
		c->alg_whole = 1;
	}
	/* jsonwebtoken's own startsWith checks, kept as it words them (the
	 * contract), not the algorithm table's families */
	if (strncmp(c->algname, "HS", 2) == 0 && c->k->type != ALG_KEY_SECRET)
		return ag_fail(c->e, AG_E_SIGN_KEY, "secretOrPrivateKey must "
			       "be a symmetric key when using %s", c->algname);
	if ((strncmp(c->algname, "RS", 2) == 0 ||
	     strncmp(c->algname, "PS", 2) == 0 ||
	     strncmp(c->algname, "ES", 2) == 0) &&
	    (c->k->type == ALG_KEY_SECRET || !c->k->is_private))
		return ag_fail(c->e, AG_E_SIGN_KEY, "secretOrPrivateKey must "
			       "be an asymmetric key when using %s", c->algname);
	return 0;
}

static const char *sign_typeof(enum json_type t)
{
	return t == JSON_STRING ? "string" :
	       t == JSON_NUMBER ? "number" : "boolean";
}

/* validatePayload, and the options a non-object payload cannot take. */
static int sign_check_payload(struct sign_ctx *c)
{
	static const char *const obj_only[] = {
		"expiresIn", "notBefore", "noTimestamp", "audience",
		"issuer", "subject", "jwtid",
	};
	enum json_type t = json_type(&c->p, 0);
	struct json_iter it;
	struct buf b;
	int k, v, i, n = 0;

	if (t == JSON_ARRAY || t == JSON_NULL)
		return ag_fail(c->e, AG_E_SIGN_PAYLOAD,
			       "Expected \"payload\" to be a plain object.");
	c->obj = t == JSON_OBJECT;
	if (c->obj) {
		json_iter_init(&it, &c->p, 0);
		while (json_iter_next(&it, &k, &v)) {
			if (sign_proto_name(&c->p, k))
				return sign_fail_validator(c);
			for (i = 0; i < 3; i++) {
				const char *cl = sign_time_claims[i];

				if (json_str_eq(&c->p, k, cl, 3) &&
				    json_type(&c->p, v) != JSON_NUMBER)
					return ag_fail(c->e, AG_E_SIGN_PAYLOAD,
						       "\"%s\" should be a number "
						       "of seconds", cl);
			}
		}
		return 0;
	}
	buf_init(&b, AG_ERRMSG_MAX);
	for (i = 0; i < 7; i++) {
		if (sign_opt(c, obj_only[i]) < 0)
			continue;
		buf_puts(&b, n++ ? "," : "");
		buf_puts(&b, obj_only[i]);
	}
	if (n > 0)
		ag_fail(c->e, AG_E_SIGN_OPTION, "invalid %.*s option for %s "
			"payload", (int)b.len, b.p, sign_typeof(t));
	buf_free(&b);
	return n > 0 ? -1 : 0;
}

static int sign_check_conflicts(struct sign_ctx *c)
{
	int obj = c->obj;

	if (obj && json_get(&c->p, 0, "exp") >= 0 &&
	    sign_opt(c, "expiresIn") >= 0)
		return ag_fail(c->e, AG_E_SIGN_CONFLICT, "Bad \"options.expiresIn"
			       "\" option the payload already has an \"exp\" "
			       "property.");
	if (obj && json_get(&c->p, 0, "nbf") >= 0 &&
	    sign_opt(c, "notBefore") >= 0)
		return ag_fail(c->e, AG_E_SIGN_CONFLICT, "Bad \"options.notBefore"
			       "\" option the payload already has an \"nbf\" "
			       "property.");
	return 0;
}

static int sign_valid(const struct json_doc *o, int v, enum sign_check chk)
{
	enum json_type t = json_type(o, v);

	switch (chk) {
	case SC_SPAN:
		return json_is_integer(o, v) ||
		       (t == JSON_STRING && json_truthy(o, v));
	case SC_AUD:
		return t == JSON_STRING || t == JSON_ARRAY;
	case SC_ALG: {
		char name[16];

		return t == JSON_STRING &&
		       json_str_copy(o, v, name, sizeof name) &&
		       alg_find(name, strlen(name)) != NULL;
	}
	case SC_OBJ:
		return t == JSON_OBJECT;
	case SC_STR:
		return t == JSON_STRING;
	case SC_BOOL:
		return t == JSON_TRUE || t == JSON_FALSE;
	}
	return 0;
}

/* validateOptions: in the options' own order, the first bad one wins. */
static int sign_check_options(struct sign_ctx *c)
{
	struct json_iter it;
	struct buf name;
	size_t i, n = sizeof sign_schema / sizeof *sign_schema;
	int k, v, rc = 0;

	json_iter_init(&it, &c->o, 0);
	while (rc == 0 && json_iter_next(&it, &k, &v)) {
		for (i = 0; i < n; i++)
			if (json_str_eq(&c->o, k, sign_schema[i].name,
					strlen(sign_schema[i].name)))
				break;
		if (i < n) {
			if (!sign_valid(&c->o, v, sign_schema[i].check))
				rc = ag_fail(c->e, AG_E_SIGN_OPTION, "%s",
					     sign_schema[i].msg);
			continue;
		}
		if (sign_proto_name(&c->o, k)) {
			rc = sign_fail_validator(c);
			continue;
		}
		buf_init(&name, AG_ERRMSG_MAX / 2);
		json_str_utf8(&c->o, k, &name);
		name.err = 0;
		rc = ag_fail(c->e, AG_E_SIGN_OPTION,
			     "\"%.*s\" is not allowed in \"options\"",
			     (int)name.len, name.p ? name.p : "");
		buf_free(&name);
	}
	return rc;
}

static int sign_encoding(struct sign_ctx *c)
{
	int v = sign_opt(c, "encoding");
	char enc[16];

	c->latin1 = 0;
	/* options.encoding || 'utf8' (validateOptions made it a string) */
	if (!json_truthy(&c->o, v))
		return 0;
	if (json_str_copy(&c->o, v, enc, sizeof enc)) {
		if (strcasecmp(enc, "utf8") == 0 ||
		    strcasecmp(enc, "utf-8") == 0)
			return 0;
		if (strcasecmp(enc, "latin1") == 0 ||
		    strcasecmp(enc, "binary") == 0 ||
		    strcasecmp(enc, "ascii") == 0) {
			c->latin1 = 1;
			return 0;
		}
	}
	return ag_fail(c->e, AG_E_SIGN_OPTION, "\"encoding\" must be utf8 or "
		       "latin1 for agauthd");
}

static int sign_span(struct sign_ctx *c, const char *opt, double *out,
		     int *has)
{
	int v = sign_opt(c, opt);

	*has = v >= 0;
	if (v < 0)
		return 0;
	if (timespan_eval(&c->o, v, c->iat, c->r->now, out) != 0)
		return ag_fail(c->e, AG_E_SIGN_OPTION, "\"%s\" should be a "
			       "number of seconds or string representing a "
			       "timespan eg: \"1d\", \"20h\", 60", opt);
	return 0;
}

/*
 * A subject revocation covers the tokens whose iat is at or before the
 * second it was made in (daemon/revoke.h: iat <= floor(revoked at)).  A
 * token whose iat is later than the second it is signed in would outlive
 * a revocation of its subject made after it was issued, so agauthd does
 * not sign one, although jsonwebtoken would.  Checked after every check
 * jsonwebtoken makes, so that its errors come first.  No tolerance is
 * needed: the caller is on this host, and an iat it took from the clock
 * (floored, as jsonwebtoken does) is never later than ours.
 */
static int sign_check_iat(struct sign_ctx *c, int iat)
{
	double second = floor(c->r->now);
	struct buf text;

	if (!c->has_iat || c->iat <= second)
		return 0;
	buf_init(&text, 64);
	json_tostring(&c->p, iat, &text);
	ag_fail(c->e, AG_E_IAT_FUTURE, "\"iat\" %.*s is later than %.0f, the "
		"second the token is signed in: agauthd signs no token dated "
		"after it is issued, which a revocation of its subject could "
		"not cover; leave \"iat\" out to have the current time",
		(int)text.len, text.p ? text.p : "", second);
	buf_free(&text);
	return -1;
}

/* timestamp, noTimestamp, nbf, exp, then aud/iss/sub/jti conflicts, then
 * agauthd's own iat check. */
static int sign_claims(struct sign_ctx *c)
{
	int iat = c->obj ? json_get(&c->p, 0, "iat") : -1, i;
	double v = iat >= 0 ? json_num(&c->p, iat) : 0;

	c->iat = v != 0 ? v : floor(c->r->now);
	c->has_iat = c->obj && !json_truthy(&c->o, sign_opt(c, "noTimestamp"));
	if (sign_span(c, "notBefore", &c->nbf, &c->has_nbf) != 0 ||
	    (c->obj && sign_span(c, "expiresIn", &c->exp, &c->has_exp) != 0))
		return -1;
	for (i = 0; i < 4; i++)
		if (sign_opt(c, sign_claim_opts[i].opt) >= 0 && c->obj &&
		    json_get(&c->p, 0, sign_claim_opts[i].claim) >= 0)
			return ag_fail(c->e, AG_E_SIGN_CONFLICT, "Bad \"options."
				       "%s\" option. The payload already has "
				       "an \"%s\" property.",
				       sign_claim_opts[i].opt,
				       sign_claim_opts[i].claim);
	return sign_check_iat(c, iat);
}

static void sign_member(struct buf *b, int *first, const char *name)
{
	if (!*first)
		buf_putc(b, ',');
	*first = 0;
	json_write_str(b, name, strlen(name));
	buf_putc(b, ':');
}

/* The claims sign() adds after the caller's members, in its order. */
static void sign_write_added(struct sign_ctx *c, struct buf *b, int *first,
			     int with_iat)
{
	int i, v;

	if (with_iat && c->has_iat) {
		sign_member(b, first, "iat");
		json_write_num(b, c->iat);
	}
	if (c->has_nbf) {
		sign_member(b, first, "nbf");
		json_write_num(b, c->nbf);
	}
	if (c->has_exp) {
		sign_member(b, first, "exp");
		json_write_num(b, c->exp);
	}
	for (i = 0; i < 4; i++) {
		v = sign_opt(c, sign_claim_opts[i].opt);
		if (v < 0)
			continue;
		sign_member(b, first, sign_claim_opts[i].claim);
		json_stringify(&c->o, v, b);
	}
}

/* Buffer.from(string, 'binary'): each UTF-16 unit keeps its low byte.
 * jws encodes the header this way, and the payload with latin1. */
static void sign_latin1(struct buf *b, size_t from)
{
	struct json_u16 it;
	size_t o = from;
	int u;

	json_u16_init(&it, b->p + from, b->len - from, 0);
	while ((u = json_u16_next(&it)) >= 0)
		b->p[o++] = (char)(u & 0xff);
	b->len = o;
}

/* A string value in latin1: the low byte of each UTF-16 unit, lone
 * surrogates included (its UTF-8 would have replaced them). */
static void sign_latin1_str(const struct json_doc *d, int i, struct buf *b)
{
	struct json_u16 it;
	size_t n;
	const char *raw = json_raw(d, i, &n);
	int u;

	json_u16_init(&it, raw, n, 1);
	while ((u = json_u16_next(&it)) >= 0)
		buf_putc(b, (char)(u & 0xff));
}

/* The payload bytes jws encodes: toString(payload) in options.encoding. */
static void sign_write_payload(struct sign_ctx *c, struct buf *b)
{
	struct json_iter it;
	int k, v, first = 1, had_iat = 0;
	size_t start = b->len;

	if (!c->obj) {
		/* jws's toString: strings as they are, numbers and booleans
		 * as JavaScript prints them (ASCII, the same in latin1) */
		if (json_type(&c->p, 0) == JSON_STRING && c->latin1)
			sign_latin1_str(&c->p, 0, b);
		else if (json_type(&c->p, 0) == JSON_STRING)
			json_str_utf8(&c->p, 0, b);
		else
			json_tostring(&c->p, 0, b);
		return;
	}
	buf_putc(b, '{');
	json_iter_init(&it, &c->p, 0);
	while (json_iter_next(&it, &k, &v)) {
		if (json_str_eq(&c->p, k, "iat", 3)) {
			/* an existing iat keeps its place (or goes, with
			 * noTimestamp) */
			had_iat = 1;
			if (!c->has_iat)
				continue;
			sign_member(b, &first, "iat");
			json_write_num(b, c->iat);
			continue;
		}
		if (!first)
			buf_putc(b, ',');
		first = 0;
		json_stringify(&c->p, k, b);
		buf_putc(b, ':');
		json_stringify(&c->p, v, b);
	}
	sign_write_added(c, b, &first, !had_iat);
	buf_putc(b, '}');
	if (b->err == 0 && c->latin1)
		sign_latin1(b, start);
}

static int sign_is_trio(const struct json_doc *o, int k)
{
	return json_str_eq(o, k, "alg", 3) || json_str_eq(o, k, "typ", 3) ||
	       json_str_eq(o, k, "kid", 3);
}

/* {alg, typ, kid} merged with options.header, in JavaScript's order. */
static void sign_write_header(struct sign_ctx *c, struct buf *b)
{
	const struct json_doc *o = &c->o;
	struct json_iter it;
	int k, v, first = 1, trio_done = 0, typ, kid, more;

	typ = c->hdr >= 0 ? json_get(o, c->hdr, "typ") : -1;
	kid = c->hdr >= 0 ? json_get(o, c->hdr, "kid") : -1;
	if (kid < 0)
		kid = sign_opt(c, "keyid");
	if (c->r->kid_locked)
		kid = -1;
	buf_putc(b, '{');
	json_iter_init(&it, o, c->hdr);
	do {
		more = c->hdr >= 0 && json_iter_next(&it, &k, &v);
		if (!trio_done && (!more || it.phase != 0)) {
			trio_done = 1;
			sign_member(b, &first, "alg");
			if (c->alg >= 0)
				json_stringify(o, c->alg, b);
			else
				json_write_str(b, c->algname,
					       strlen(c->algname));
			if (typ >= 0 || c->obj) {
				sign_member(b, &first, "typ");
				if (typ >= 0)
					json_stringify(o, typ, b);
				else
					buf_puts(b, "\"JWT\"");
			}
			if (kid >= 0) {
				sign_member(b, &first, "kid");
				json_stringify(o, kid, b);
			} else if (c->r->kid_locked && c->r->kid != NULL) {
				sign_member(b, &first, "kid");
				json_write_str(b, c->r->kid, strlen(c->r->kid));
			}
		}
		if (!more || sign_is_trio(o, k))
			continue;
		if (!first)
			buf_putc(b, ',');
		first = 0;
		json_stringify(o, k, b);
		buf_putc(b, ':');
		json_stringify(o, v, b);
	} while (more);
	buf_putc(b, '}');
}

static void sign_put_b64(struct buf *out, const struct buf *in)
{
	if (buf_reserve(out, B64URL_ENC_LEN(in->len)) != 0)
		return;
	out->len += b64url_encode(out->p + out->len, (const uint8_t *)in->p,
				  in->len);
}

static int sign_assemble(struct sign_ctx *c, struct buf *token)
{
	const struct alg *a;
	struct buf part;
	size_t start = token->len;
	int rc = -1;

	a = c->alg_whole ? alg_find(c->algname, strlen(c->algname)) :
	    NULL;
	if (a == NULL) {
		struct buf name;

		buf_init(&name, 200);
		json_str_utf8(&c->o, c->alg, &name);
		name.err = 0;
		jws_alg_unknown(c->e, name.p ? name.p : "", name.len);
		buf_free(&name);
		return -1;
	}
	if (a->family == ALG_NONE && !c->r->allow_none)
		return ag_fail(c->e, AG_E_NONE_DISABLED, "signing with \"none\" "
			       "is disabled by configuration");
	buf_init(&part, 2 * AG_TOKEN_MAX);
	sign_write_header(c, &part);
	if (part.err == 0)
		sign_latin1(&part, 0);
	sign_put_b64(token, &part);
	buf_putc(token, '.');
	buf_reset(&part);
	sign_write_payload(c, &part);
	sign_put_b64(token, &part);
	buf_free(&part);
	if (token->err || token->len - start > AG_TOKEN_MAX)
		return ag_fail(c->e, AG_E_INPUT_LIMIT, "the token would exceed "
			       "%d bytes", AG_TOKEN_MAX);
	rc = jws_sign(c->k, a, (const uint8_t *)token->p + start,
		      token->len - start, &part, c->e);
	if (rc != 0)
		return rc;
	buf_putc(token, '.');
	buf_put(token, part.p, part.len);
	buf_free(&part);
	if (token->err)
		return ag_fail(c->e, AG_E_NOMEM, NULL);
	/* the signature counts too: a token verify would refuse as too large
	 * must not be issued */
	if (token->len - start > AG_TOKEN_MAX)
		return ag_fail(c->e, AG_E_INPUT_LIMIT, "the token would exceed "
			       "%d bytes", AG_TOKEN_MAX);
	return 0;
}

int sign_token(const struct key *k, const struct sign_req *r,
	       struct buf *token, struct buf *added, struct ag_error *e)
{
	struct sign_ctx *c = calloc(1, sizeof *c);
	int rc = -1, first = 1;

	if (c == NULL)
		return ag_fail(e, AG_E_NOMEM, NULL);
	c->k = k;
	c->r = r;
	c->e = e;
	if (sign_parse(c) != 0 || sign_check_kid(c) != 0 ||
	    sign_check_key(c) != 0 ||
	    sign_check_payload(c) != 0 || sign_check_conflicts(c) != 0 ||
	    sign_check_options(c) != 0 || sign_encoding(c) != 0 ||
	    jws_key_fits(k, c->algname, e) != 0 || sign_claims(c) != 0 ||
	    sign_assemble(c, token) != 0)
		goto out;
	if (added != NULL) {
		buf_putc(added, '{');
		sign_write_added(c, added, &first, 1);
		buf_putc(added, '}');
	}
	rc = 0;
out:
	free(c);
	return rc;
}
