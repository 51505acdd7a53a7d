/* test_json.c - JSON.parse acceptance, lookups, JSON.stringify output. */
#include <string.h>

#include <criterion/criterion.h>

#include "shared/json.h"
#include "shared/limits.h"

static struct json_tok tok[AG_JSON_MAX_TOKENS];

static int parse(struct json_doc *d, const char *s)
{
	return json_parse(d, s, strlen(s), tok, AG_JSON_MAX_TOKENS, JSON_UTF8);
}

/* JSON.stringify(JSON.parse(in)) */
static void roundtrip(const char *in, const char *want)
{
	struct json_doc d;
	struct buf b;

	cr_assert_geq(parse(&d, in), 1, "parse %s", in);
	buf_init(&b, 1 << 16);
	json_stringify(&d, 0, &b);
	cr_assert_str_eq(buf_cstr(&b), want, "stringify %s", in);
	buf_free(&b);
}

Test(json, accepts_what_json_parse_accepts)
{
	static const char *const ok[] = {
		"{}", "[]", "0", "-0", "1.5e3", "-1E-2", "true", "null",
		"\"\"", " \t\r\n{ \"a\" : [ 1 , { } , [ ] ] } \n",
		"\"\\u00e9\\ud800\\/\"", "[[[[[[1]]]]]]", "{\"a\":1,\"a\":2}",
	};
	struct json_doc d;
	size_t i;

	for (i = 0; i < sizeof ok / sizeof *ok; i++)
		cr_assert_geq(parse(&d, ok[i]), 1, "%s", ok[i]);
}

Test(json, refuses_what_json_parse_refuses)
{
	static const char *const bad[] = {
		"", " ", "{", "}", "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}",
		"{\"a\":}", "{:1}", "{,}", "{\"a\"}", "01", "1.", ".5", "+1",
		"1e", "tru", "nul", "NaN", "Infinity", "'a'", "\"\\x\"",
		"\"\\u12\"", "\"a\tb\"", "{\"a\":1}}", "1 2", "[1]]", "{a:1}",
		"\"\\", "[\"a\",]", "{\"a\":1 \"b\":2}",
	};
	struct json_doc d;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_assert_eq(parse(&d, bad[i]), JSON_ESYNTAX, "%s", bad[i]);
}

Test(json, bounds_depth_and_tokens)
{
	char deep[2 * AG_JSON_MAX_DEPTH + 8];
	struct json_doc d;
	size_t i;
	int n = AG_JSON_MAX_DEPTH + 1;

	for (i = 0; i < (size_t)n; i++)
		deep[i] = '[';
	for (; i < 2 * (size_t)n; i++)
		deep[i] = ']';
	deep[i] = '\0';
	cr_assert_eq(parse(&d, deep), JSON_ELIMIT);
	deep[n - 1] = ' ';
	deep[n] = ' ';
	cr_assert_geq(parse(&d, deep), 1, "exactly at the depth limit");
}

Test(json, refuses_invalid_utf8_in_caller_text)
{
	struct json_doc d;

	cr_assert_eq(parse(&d, "\"\xff\""), JSON_EUTF8);
	cr_assert_eq(parse(&d, "\"\xed\xa0\x80\""), JSON_EUTF8, "surrogate");
	cr_assert_eq(parse(&d, "\"\xc0\xaf\""), JSON_EUTF8, "overlong");
	cr_assert_geq(json_parse(&d, "\"\xff\"", 3, tok, 8, 0), 1,
		      "token bytes are decoded with replacement, not refused");
}

Test(json, stringify_orders_keys_like_javascript)
{
	roundtrip("{\"b\":1,\"2\":1,\"a\":1,\"1\":2,\"b\":3,\"4294967295\":1,"
		  "\"4294967294\":1,\"01\":1}",
		  "{\"1\":2,\"2\":1,\"4294967294\":1,\"b\":3,\"a\":1,"
		  "\"4294967295\":1,\"01\":1}");
	roundtrip("{\"\\u0061\":1,\"a\":2}", "{\"a\":2}");
}

Test(json, stringify_numbers_like_javascript)
{
	roundtrip("[1e21,1e-7,123e-20,0.1,-0,5e-324,1.7976931348623157e308,"
		  "100,1E2,1.50,123456789012345678901,1e400,0.000001]",
		  "[1e+21,1e-7,1.23e-18,0.1,0,5e-324,1.7976931348623157e+308,"
		  "100,100,1.5,123456789012345680000,null,0.000001]");
}

Test(json, stringify_strings_like_javascript)
{
	roundtrip("\"\\u00e9\\ud83d\\ude00\\ud800\\u0001\\/\\b\\u000b\\u2028\"",
		  "\"\xc3\xa9\xf0\x9f\x98\x80\\ud800\\u0001/\\b\\u000b\xe2\x80\xa8\"");
}

Test(json, lookups_take_the_last_duplicate)
{
	struct json_doc d;
	int v;

	parse(&d, "{\"exp\":1,\"x\":{\"exp\":3},\"exp\":2}");
	v = json_get(&d, 0, "exp");
	cr_assert_eq(json_num(&d, v), 2);
	cr_assert_eq(json_get(&d, 0, "nope"), -1);
	cr_assert_eq(json_get(&d, v, "exp"), -1, "not an object");
}

Test(json, javascript_semantics)
{
	struct json_doc d;
	struct buf b;

	parse(&d, "[0,-0,\"\",\"0\",null,false,[],{},1.5,[1,[2,null],\"a\"]]");
	cr_assert(!json_truthy(&d, 1));
	cr_assert(!json_truthy(&d, 2));
	cr_assert(!json_truthy(&d, 3));
	cr_assert(json_truthy(&d, 4));
	cr_assert(!json_truthy(&d, 5));
	cr_assert(!json_truthy(&d, 6));
	cr_assert(json_truthy(&d, 7));
	cr_assert(json_truthy(&d, 8));
	cr_assert(!json_is_integer(&d, 9));
	buf_init(&b, 256);
	json_tostring(&d, 10, &b);
	cr_assert_str_eq(buf_cstr(&b), "1,2,,a");
	buf_free(&b);
	cr_assert(json_str_eq(&d, 4, "0", 1));
	cr_assert(!json_strict_eq(&d, 7, &d, 7), "objects are never ===");
	cr_assert(json_strict_eq(&d, 1, &d, 2), "0 === -0");
}
