/* vopts.c - verify options with jsonwebtoken's early checks. */
#include "shared/vopts.h"

#include <math.h>
#include <string.h>

#include "shared/algs.h"

/* String.prototype.trim's white space and line terminators. */
static int vopts_js_space(int u)
{
	return (u >= 0x09 && u <= 0x0d) || u == 0x20 || u == 0xa0 ||
	       u == 0x1680 || (u >= 0x2000 && u <= 0x200a) || u == 0x2028 ||
	       u == 0x2029 || u == 0x202f || u == 0x205f || u == 0x3000 ||
	       u == 0xfeff;
}

static int vopts_blank(const struct json_doc *d, int i)
{
	struct json_u16 it;
	size_t n;
	const char *raw = json_raw(d, i, &n);
	int u;

	json_u16_init(&it, raw, n, 1);
	while ((u = json_u16_next(&it)) >= 0)
		if (!vopts_js_space(u))
			return 0;
	return 1;
}

/* jsonwebtoken checks these before it looks at the token. */
static void vopts_early(struct vopts *o, int ct, int aiakt)
{
	const struct json_doc *d = &o->doc;

	if (ct >= 0 && json_truthy(d, ct) && json_type(d, ct) != JSON_NUMBER)
		ag_fail(&o->early, AG_E_VERIFY_OPTION,
			"clockTimestamp must be a number");
	else if (o->nonce >= 0 && (json_type(d, o->nonce) != JSON_STRING ||
				   vopts_blank(d, o->nonce)))
		ag_fail(&o->early, AG_E_VERIFY_OPTION,
			"nonce must be a non-empty string");
	else if (aiakt >= 0 && json_type(d, aiakt) != JSON_TRUE &&
		 json_type(d, aiakt) != JSON_FALSE)
		ag_fail(&o->early, AG_E_VERIFY_OPTION,
			"allowInvalidAsymmetricKeyTypes must be a boolean");
}

/* The first VOPTS_ALGS rows of the algorithm table (shared/algs.h),
 * every one but "none": their numbers are the cache's alg byte. */
static const char *vopts_algs(int i)
{
	return alg_at((size_t)i)->name;
}

int vopts_alg_index(const char *name, size_t n)
{
	int i;

	for (i = 0; n == 5 && i < VOPTS_ALGS; i++)
		if (memcmp(vopts_algs(i), name, 5) == 0)
			return i;
	return -1;
}

/*
 * May a cache hit be answered from the entry's algorithm and time claims
 * alone?  Not when a check needs the payload's strings or the header; and
 * only for an algorithms option the mask can state exactly: absent (the
 * key type's defaults, which always hold for a key that verified the
 * entry), an array (=== against strings), or a string (indexOf).
 */
static void vopts_fast(struct vopts *o)
{
	const struct json_doc *d = &o->doc;
	int a = o->algorithms, i, end, k;
	struct buf s;

	o->fast = 0;
	o->alg_mask = 0;
	o->claims_strings = json_truthy(d, o->audience) ||
			    json_truthy(d, o->issuer) ||
			    json_truthy(d, o->subject) ||
			    json_truthy(d, o->jwtid) || json_truthy(d, o->nonce);
	if (o->early.code != AG_OK || o->complete || o->claims_strings)
		return;
	if (!json_truthy(d, a)) {
		o->alg_mask = (1u << VOPTS_ALGS) - 1;
	} else if (json_type(d, a) == JSON_ARRAY) {
		end = json_skip(d, a);
		for (i = a + 1; i < end; i = json_skip(d, i))
			for (k = 0; k < VOPTS_ALGS; k++)
				if (json_str_eq(d, i, vopts_algs(k), 5))
					o->alg_mask |= 1u << k;
	} else if (json_type(d, a) == JSON_STRING) {
		buf_init(&s, AG_OPTS_MAX);
		json_str_utf8(d, a, &s);
		for (k = 0; k < VOPTS_ALGS && s.err == 0; k++)
			if (s.len >= 5 && memmem(s.p, s.len, vopts_algs(k), 5))
				o->alg_mask |= 1u << k;
		i = s.err;
		buf_free(&s);
		if (i != 0)
			return;
	} else {
		return;
	}
	o->fast = 1;
}

int vopts_parse(struct vopts *o, const char *json, size_t n,
		struct ag_error *e)
{
	struct json_doc *d = &o->doc;
	int ct, tol, rc;

	memset(&o->early, 0, sizeof o->early);
	if (json == NULL || n == 0) {
		json = "{}";
		n = 2;
	}
	/* bound before copying: options come from the caller */
	if (n > sizeof o->text)
		return ag_fail(e, AG_E_INPUT_LIMIT, "options exceed %d bytes",
			       AG_OPTS_MAX);
	memcpy(o->text, json, n);
	rc = json_parse(d, o->text, n, o->tok, AG_OPTS_MAX_TOKENS, JSON_UTF8);
	if (rc == JSON_ELIMIT)
		return ag_fail(e, AG_E_INPUT_LIMIT,
			       "options are too complex");
	if (rc < 0 || json_type(d, 0) != JSON_OBJECT)
		return ag_fail(e, AG_E_INPUT_JSON,
			       "options must be a JSON object");
	o->algorithms = json_get(d, 0, "algorithms");
	o->audience = json_get(d, 0, "audience");
	o->issuer = json_get(d, 0, "issuer");
	o->subject = json_get(d, 0, "subject");
	o->jwtid = json_get(d, 0, "jwtid");
	o->nonce = json_get(d, 0, "nonce");
	o->max_age = json_get(d, 0, "maxAge");
	o->ignore_exp = json_truthy(d, json_get(d, 0, "ignoreExpiration"));
	o->ignore_nbf = json_truthy(d, json_get(d, 0, "ignoreNotBefore"));
	o->complete = json_type(d, json_get(d, 0, "complete")) == JSON_TRUE;
	ct = json_get(d, 0, "clockTimestamp");
	o->has_clock_timestamp = json_truthy(d, ct) &&
				 json_type(d, ct) == JSON_NUMBER;
	o->clock_timestamp = o->has_clock_timestamp ? json_num(d, ct) : 0;
	tol = json_get(d, 0, "clockTolerance");
	o->clock_tolerance = 0;
	if (json_truthy(d, tol)) {
		/* jsonwebtoken would add a string to the clock with `+`;
		 * we refuse instead of concatenating */
		if (json_type(d, tol) != JSON_NUMBER)
			return ag_fail(e, AG_E_OPTION_TYPE,
				       "clockTolerance must be a number");
		o->clock_tolerance = json_num(d, tol);
	}
	vopts_early(o, ct, json_get(d, 0, "allowInvalidAsymmetricKeyTypes"));
	vopts_fast(o);
	return 0;
}

double vopts_now(const struct vopts *o, double now)
{
	return o->has_clock_timestamp ? o->clock_timestamp : floor(now);
}
