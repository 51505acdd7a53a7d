/* test_claims.c - verify options and claim checks on decoded tokens. */
#include <math.h>
#include <string.h>

#include <criterion/criterion.h>

#include "shared/b64url.h"
#include "shared/claims.h"

static struct jwt j;
static struct vopts o;

/* Checks the claims of a token whose payload is `payload`. */
static int check(const char *payload, const char *opts, double now,
		 struct ag_error *e)
{
	char tok[2048] = "eyJ0eXAiOiJKV1QifQ.";
	size_t n = strlen(tok);

	n += b64url_encode(tok + n, (const uint8_t *)payload, strlen(payload));
	memcpy(tok + n, ".c2ln", 6);
	cr_assert_eq(jwt_decode(&j, tok, strlen(tok), e), 0, "%s", e->msg);
	cr_assert_eq(vopts_parse(&o, opts, strlen(opts), e), 0, "%s", e->msg);
	ag_clear(e);
	return claims_check(&j, &o, now, e);
}

Test(claims, time_claims_compare_as_doubles)
{
	struct ag_error e;

	cr_assert_eq(check("{\"exp\":100.5}", "{}", 100.4, &e), 0);
	cr_assert_eq(check("{\"exp\":100.5}", "{}", 100.9, &e), 0,
		     "floor(now) is 100");
	cr_assert_eq(check("{\"exp\":100.5}", "{}", 101, &e), -1);
	cr_assert_eq(e.date, 100.5);
	cr_assert_eq(check("{\"exp\":1e400}", "{}", 1e12, &e), 0, "Infinity");
	cr_assert_eq(check("{\"exp\":\"1\"}", "{}", 0, &e), -1);
	cr_assert_str_eq(e.msg, "invalid exp value");
	cr_assert_eq(check("{\"nbf\":null}", "{}", 0, &e), -1);
	cr_assert_str_eq(e.msg, "invalid nbf value");
	cr_assert_eq(check("{\"exp\":1,\"exp\":200}", "{}", 100, &e), 0,
		     "last duplicate wins");
}

Test(claims, audience_semantics)
{
	struct ag_error e;

	cr_assert_eq(check("{\"aud\":[\"x\",\"a\"]}", "{\"audience\":\"a\"}",
			   0, &e), 0);
	cr_assert_eq(check("{\"aud\":5}", "{\"audience\":[5]}", 0, &e), 0,
		     "=== on numbers");
	cr_assert_eq(check("{\"aud\":\"5\"}", "{\"audience\":[5]}", 0, &e), -1);
	cr_assert_eq(check("{}", "{\"audience\":[]}", 0, &e), -1);
	cr_assert_str_eq(e.msg, "jwt audience invalid. expected: ");
	cr_assert_eq(check("{}", "{\"audience\":\"\"}", 0, &e), 0,
		     "a falsy audience is no check");
}

Test(claims, issuer_array_and_other_types)
{
	struct ag_error e;

	cr_assert_eq(check("{\"iss\":\"b\"}", "{\"issuer\":[\"a\",\"b\"]}", 0,
			   &e), 0);
	cr_assert_eq(check("{\"iss\":[\"a\"]}", "{\"issuer\":\"a\"}", 0, &e),
		     -1, "an array is never === a string");
	cr_assert_eq(check("{}", "{\"issuer\":5}", 0, &e), 0,
		     "jsonwebtoken checks only strings and arrays");
}

Test(claims, max_age)
{
	struct ag_error e;

	cr_assert_eq(check("{\"iat\":100}", "{\"maxAge\":\"10s\"}", 109, &e), 0);
	cr_assert_eq(check("{\"iat\":100}", "{\"maxAge\":\"10s\"}", 110, &e), -1);
	cr_assert_str_eq(e.msg, "maxAge exceeded");
	cr_assert_eq(e.date, 110);
	cr_assert_eq(check("{\"iat\":100}", "{\"maxAge\":\"x\"}", 110, &e), -1);
	cr_assert_eq(e.code, AG_E_MAXAGE_SPAN);
}

Test(claims, options_refused_early)
{
	struct ag_error e;

	cr_assert_eq(vopts_parse(&o, "[]", 2, &e), -1);
	cr_assert_eq(e.code, AG_E_INPUT_JSON);
	cr_assert_eq(vopts_parse(&o, "{\"clockTolerance\":\"5\"}", 22, &e), -1);
	cr_assert_eq(e.code, AG_E_OPTION_TYPE);
	cr_assert_eq(vopts_parse(&o, "{\"nonce\":\"\\u3000\"}", 18, &e), 0);
	cr_assert_eq(o.early.code, AG_E_VERIFY_OPTION, "ideographic space");
}

/* The subject of a token with payload `payload` under claims `names`, or
 * "-" if it has none. */
static const char *subject(const char *payload, const char *names)
{
	static struct buf out;
	struct ag_error e;

	check(payload, "{}", 0, &e);
	buf_free(&out);
	buf_init(&out, 16);
	return claims_subject(&j, names, &out) == 0 ? buf_cstr(&out) : "-";
}

Test(claims, subject_is_the_first_claim_present_as_text)
{
	cr_assert_str_eq(subject("{\"username\":\"al\"}", "sub username"), "al");
	cr_assert_str_eq(subject("{\"username\":\"al\",\"sub\":\"c\"}",
				 "sub username"), "c", "the order of names");
	cr_assert_str_eq(subject("{\"sub\":{\"a\":1},\"username\":\"al\"}",
				 "sub username"), "al",
			 "an object does not hide the next claim");
	cr_assert_str_eq(subject("{\"sub\":null,\"username\":7}",
				 "sub username"), "7", "a number's String()");
	cr_assert_str_eq(subject("{\"sub\":\"0123456789abcdefXX\","
				 "\"username\":\"al\"}", "sub username"), "al",
			 "a value no revocation can name is passed over");
	cr_assert_str_eq(subject("{\"uid\":\"u\"}", "sub username"), "-");
	cr_assert_str_eq(subject("{\"uid\":\"u\"}", "uid"), "u");
	cr_assert_str_eq(subject("[1]", "sub"), "-", "not an object");
}
