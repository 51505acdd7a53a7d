/* claims.c - registered claim checks with JavaScript comparisons. */
#include "shared/claims.h"

#include <string.h>

#include "shared/timespan.h"

/* Formats "<prefix>" + String(option) into the error. */
static int claims_fail(struct ag_error *e, enum ag_err code, const char *what,
		       const struct json_doc *d, int opt, const char *sep)
{
	struct buf b;
	int k, end, first = 1;

	buf_init(&b, AG_ERRMSG_MAX);
	buf_printf(&b, "jwt %s invalid. expected: ", what);
	if (sep != NULL && json_type(d, opt) == JSON_ARRAY) {
		/* audiences.join(' or ') */
		end = json_skip(d, opt);
		for (k = opt + 1; k < end; k = json_skip(d, k)) {
			if (!first)
				buf_puts(&b, sep);
			first = 0;
			if (json_type(d, k) != JSON_NULL)
				json_tostring(d, k, &b);
		}
	} else {
		json_tostring(d, opt, &b);
	}
	/* a message longer than the buffer is cut, never dropped */
	b.err = 0;
	ag_fail(e, code, "%.*s", (int)b.len, b.p ? b.p : "");
	buf_free(&b);
	return -1;
}

/* Some element of `opt` (an array, or one value) === `val` or, with
 * expand, one of val's elements when it is an array (-1 is undefined). */
static int claims_any_eq(const struct json_doc *od, int opt,
			 const struct json_doc *pd, int val, int expand)
{
	int a, aend, b, bend, one_a, one_b;

	one_a = json_type(od, opt) != JSON_ARRAY;
	one_b = val < 0 || !expand || json_type(pd, val) != JSON_ARRAY;
	aend = one_a ? opt + 1 : json_skip(od, opt);
	for (a = one_a ? opt : opt + 1; a < aend; a = json_skip(od, a)) {
		if (val < 0)
			continue;
		bend = one_b ? val + 1 : json_skip(pd, val);
		for (b = one_b ? val : val + 1; b < bend; b = json_skip(pd, b))
			if (json_strict_eq(od, a, pd, b))
				return 1;
	}
	return 0;
}

/* The registered claims, found in one walk of the payload. */
enum { CL_NBF, CL_EXP, CL_IAT, CL_AUD, CL_ISS, CL_SUB, CL_JTI, CL_NONCE,
       CL_COUNT };
static const char *const claims_names[CL_COUNT] = {
	"nbf", "exp", "iat", "aud", "iss", "sub", "jti", "nonce",
};

/* cl: the tokens of nbf, exp and iat (or -1), in that order */
static void claims_times_fill(const struct json_doc *p, const int *cl,
			      struct claims_times *t)
{
	signed char *kind[3] = { &t->nbf, &t->exp, &t->iat };
	double *val[3] = { &t->vnbf, &t->vexp, &t->viat };
	int k;

	memset(t, 0, sizeof *t);
	for (k = 0; p != NULL && k < 3; k++) {
		if (cl[k] < 0)
			continue;
		*kind[k] = json_type(p, cl[k]) == JSON_NUMBER ?
			   CLAIMS_NUMBER : CLAIMS_OTHER;
		*val[k] = *kind[k] == CLAIMS_NUMBER ? json_num(p, cl[k]) : 0;
	}
}

void claims_times_get(const struct jwt *j, struct claims_times *t)
{
	int cl[CL_COUNT];
	const struct json_doc *p = j->kind == JWT_PAYLOAD_JSON ? &j->pdoc :
				   NULL;

	if (p != NULL)
		json_get_many(p, 0, claims_names, CL_IAT + 1, cl);
	claims_times_fill(p, cl, t);
}

static int claims_time(const struct claims_times *c, const struct vopts *o,
		       double t, struct ag_error *e)
{
	double tol = o->clock_tolerance;

	if (c->nbf != CLAIMS_ABSENT && !o->ignore_nbf) {
		if (c->nbf != CLAIMS_NUMBER)
			return ag_fail(e, AG_E_NBF_INVALID, NULL);
		if (c->vnbf > t + tol)
			return ag_fail_date(e, AG_E_NOT_ACTIVE, c->vnbf, NULL);
	}
	if (c->exp != CLAIMS_ABSENT && !o->ignore_exp) {
		if (c->exp != CLAIMS_NUMBER)
			return ag_fail(e, AG_E_EXP_INVALID, NULL);
		if (t >= c->vexp + tol)
			return ag_fail_date(e, AG_E_EXPIRED, c->vexp, NULL);
	}
	return 0;
}

static int claims_max_age(const struct claims_times *c,
			  const struct vopts *o, double now, double t,
			  struct ag_error *e)
{
	double limit;

	if (c->iat != CLAIMS_NUMBER)
		return ag_fail(e, AG_E_IAT_REQUIRED, NULL);
	if (timespan_eval(&o->doc, o->max_age, c->viat, now, &limit) != 0)
		return ag_fail(e, AG_E_MAXAGE_SPAN, NULL);
	if (t >= limit + o->clock_tolerance)
		return ag_fail_date(e, AG_E_MAXAGE, limit, NULL);
	return 0;
}

int claims_check_times(const struct claims_times *c, const struct vopts *o,
		       double now, struct ag_error *e)
{
	double t = vopts_now(o, now);

	if (claims_time(c, o, t, e) != 0)
		return -1;
	if (json_truthy(&o->doc, o->max_age))
		return claims_max_age(c, o, now, t, e);
	return 0;
}

int claims_check(const struct jwt *j, const struct vopts *o, double now,
		 struct ag_error *e)
{
	const struct json_doc *p = &j->pdoc, *d = &o->doc;
	double t = vopts_now(o, now);
	struct claims_times ct;
	int cl[CL_COUNT], v;

	if (j->kind == JWT_PAYLOAD_TEXT)
		p = NULL;
	/* the string claims are looked up only when an option checks them */
	if (p != NULL)
		json_get_many(p, 0, claims_names, o->claims_strings ? CL_COUNT :
			      CL_IAT + 1, cl);
	/* typ:JWT with a payload of `null`: jsonwebtoken reads payload.nbf
	 * and throws */
	if (p != NULL && json_type(p, 0) == JSON_NULL)
		return ag_fail(e, AG_E_OPTION_TYPE, "Cannot read properties "
			       "of null (reading 'nbf')");
	claims_times_fill(p, cl, &ct);
	if (claims_time(&ct, o, t, e) != 0)
		return -1;
	if (json_truthy(d, o->audience)) {
		v = p ? cl[CL_AUD] : -1;
		if (!claims_any_eq(d, o->audience, p, v, 1))
			return claims_fail(e, AG_E_AUDIENCE, "audience", d,
					   o->audience, " or ");
	}
	if (json_truthy(d, o->issuer)) {
		enum json_type it = json_type(d, o->issuer);

		v = p ? cl[CL_ISS] : -1;
		/* a string compares with ===, an array with indexOf; other
		 * types are not checked at all */
		if ((it == JSON_STRING || it == JSON_ARRAY) &&
		    !claims_any_eq(d, o->issuer, p, v, 0))
			return claims_fail(e, AG_E_ISSUER, "issuer", d,
					   o->issuer, NULL);
	}
	if (json_truthy(d, o->subject) &&
	    !(p && json_strict_eq(d, o->subject, p, cl[CL_SUB])))
		return claims_fail(e, AG_E_SUBJECT, "subject", d, o->subject,
				   NULL);
	if (json_truthy(d, o->jwtid) &&
	    !(p && json_strict_eq(d, o->jwtid, p, cl[CL_JTI])))
		return claims_fail(e, AG_E_JWTID, "jwtid", d, o->jwtid, NULL);
	if (json_truthy(d, o->nonce) &&
	    !(p && json_strict_eq(d, o->nonce, p, cl[CL_NONCE])))
		return claims_fail(e, AG_E_NONCE, "nonce", d, o->nonce, NULL);
	if (json_truthy(d, o->max_age))
		return claims_max_age(&ct, o, now, t, e);
	return 0;
}

int claims_text(const struct jwt *j, const char *name, struct buf *out)
{
	const struct json_doc *p = &j->pdoc;
	int v;

	if (j->kind != JWT_PAYLOAD_JSON || json_type(p, 0) != JSON_OBJECT)
		return -1;
	v = json_get(p, 0, name);
	if (json_type(p, v) == JSON_STRING)
		json_str_utf8(p, v, out);
	else if (json_type(p, v) == JSON_NUMBER)
		json_tostring(p, v, out);
	else
		return -1;
	return out->err ? -1 : 0;
}

int claims_subject(const struct jwt *j, const char *names, struct buf *out)
{
	char name[AG_KID_MAX + 1];
	size_t n;

	for (; *names != '\0'; names += n + (names[n] == ' ')) {
		n = strcspn(names, " ");
		/* a name the configuration could not have given matches
		 * nothing */
		if (n >= sizeof name)
			continue;
		memcpy(name, names, n);
		name[n] = '\0';
		/* a claim of another type, or too long for any revocation to
		 * name it, is not the subject: the next name may be (a token
		 * cannot hide its username behind a sub that is an object) */
		buf_reset(out);
		if (claims_text(j, name, out) == 0)
			return 0;
	}
	buf_reset(out);
	return -1;
}

/* header.alg is one of the algorithms that take a key of this type. */
static int claims_alg_default(const struct jwt *j, enum alg_keytype key)
{
	const struct alg *a;
	size_t i;

	for (i = 0; key != ALG_KEY_NONE && i < alg_count(); i++) {
		a = alg_at(i);
		if (a->key == key && jwt_alg_is(j, a->name))
			return 1;
	}
	return 0;
}

/* String(header.alg) occurs in the string `algorithms` (indexOf). */
static int claims_alg_substr(const struct jwt *j, const struct json_doc *o,
			     int algs)
{
	struct buf hay, needle;
	int found = 0;

	buf_init(&hay, AG_OPTS_MAX);
	buf_init(&needle, AG_TOKEN_MAX);
	json_str_utf8(o, algs, &hay);
	if (j->alg < 0)
		buf_puts(&needle, "undefined");
	else
		json_tostring(&j->hdoc, j->alg, &needle);
	if (hay.err == 0 && needle.err == 0)
		found = needle.len == 0 ||
			(hay.len >= needle.len &&
			 memmem(hay.p, hay.len, needle.p, needle.len) != NULL);
	buf_free(&hay);
	buf_free(&needle);
	return found;
}

int claims_alg_listed(const struct jwt *j, const struct vopts *o,
		      enum alg_keytype key, struct ag_error *e)
{
	const struct json_doc *d = &o->doc;
	int a = o->algorithms, i, end;
	enum json_type t = json_type(d, a);

	if (!json_truthy(d, a))
		return claims_alg_default(j, key) ? 0 :
		       ag_fail(e, AG_E_INVALID_ALG, NULL);
	if (t == JSON_STRING)
		return claims_alg_substr(j, d, a) ? 0 :
		       ag_fail(e, AG_E_INVALID_ALG, NULL);
	if (t != JSON_ARRAY)
		return ag_fail(e, AG_E_OPTION_TYPE,
			       "options.algorithms.indexOf is not a function");
	end = json_skip(d, a);
	for (i = a + 1; i < end; i = json_skip(d, i))
		if (json_strict_eq(d, i, &j->hdoc, j->alg))
			return 0;
	return ag_fail(e, AG_E_INVALID_ALG, NULL);
}
