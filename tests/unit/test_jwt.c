/* test_jwt.c - decoding a compact JWS as jsonwebtoken's decode does. */
#include <string.h>

#include <criterion/criterion.h>

#include "shared/jwt.h"

static struct jwt j;

static int decode(const char *tok, struct ag_error *e)
{
	return jwt_decode(&j, tok, strlen(tok), e);
}

Test(jwt, splits_and_reads_the_header)
{
	struct ag_error e;

	/* {"alg":"HS256","typ":"JWT","kid":"k"} . {"a":1} . sig */
	cr_assert_eq(decode("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Im"
			    "sifQ.eyJhIjoxfQ.c2ln", &e), 0, "%s", e.msg);
	cr_assert(jwt_alg_is(&j, "HS256"));
	cr_assert(j.typ_jwt);
	cr_assert(json_str_eq(&j.hdoc, j.kid, "k", 1));
	cr_assert_eq(j.kind, JWT_PAYLOAD_JSON);
	cr_assert_eq(j.seglen[2], 4);
	cr_assert_eq(j.signing_len, strlen("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVC"
					   "IsImtpZCI6ImsifQ.eyJhIjoxfQ"));
}

Test(jwt, payload_kinds)
{
	struct ag_error e;

	/* no typ, payload "123": stays a string */
	cr_assert_eq(decode("e30.MTIz.", &e), 0);
	cr_assert_eq(j.kind, JWT_PAYLOAD_TEXT);
	/* no typ, payload an object: parsed */
	cr_assert_eq(decode("e30.e30.", &e), 0);
	cr_assert_eq(j.kind, JWT_PAYLOAD_JSON);
	/* typ JWT, payload "123": whatever JSON.parse gives */
	cr_assert_eq(decode("eyJ0eXAiOiJKV1QifQ.MTIz.", &e), 0);
	cr_assert_eq(j.kind, JWT_PAYLOAD_JSON);
	/* typ JWT, payload not JSON: SyntaxError */
	cr_assert_eq(decode("eyJ0eXAiOiJKV1QifQ.eyJh.", &e), -1);
	cr_assert_eq(e.code, AG_E_PAYLOAD_JSON);
	cr_assert_str_eq(ag_errname(e.code), "SyntaxError");
}

Test(jwt, header_must_be_truthy_json)
{
	struct ag_error e;
	static const char *const bad[] = {
		"ZmFsc2U.e30.", "bnVsbA.e30.", "IiI.e30.", "MA.e30.",
		"LTA.e30.", "eyJh.e30.",
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_assert_eq(decode(bad[i], &e), -1, "%s", bad[i]);
		cr_assert_eq(e.code, AG_E_INVALID_TOKEN, "%s", bad[i]);
	}
	cr_assert_eq(decode("MQ.e30.", &e), 0, "1 is truthy");
	cr_assert_eq(j.alg, -1);
}

/* The same header again comes from the thread's memo: everything it
 * gives must equal a decode from scratch - into a jwt that held nothing
 * of it - for headers that widen from latin1 too; and a header that
 * failed is never kept. */
Test(jwt, a_repeated_header_decodes_as_the_first)
{
	static struct jwt first, other;
	struct ag_error e;
	/* {"alg":"HS256","kid":"\xe9"} as latin1 bytes, then two payloads */
	static const char *const toks[] = {
		"eyJhbGciOiJIUzI1NiIsImtpZCI6IukifQ.eyJhIjoxfQ.c2ln",
		"eyJhbGciOiJIUzI1NiIsImtpZCI6IukifQ.eyJiIjoyfQ.c2ln",
	};
	char kid[8];

	cr_assert_eq(jwt_decode(&first, toks[0], strlen(toks[0]), &e), 0,
		     "%s", e.msg);
	/* other's header, bytes and tokens are garbage: a memo hit must
	 * restore every one of them */
	memset(&other, 0xa5, sizeof other);
	cr_assert_eq(jwt_decode(&other, toks[1], strlen(toks[1]), &e), 0,
		     "%s", e.msg);
	cr_assert_eq(other.hdoc.len, first.hdoc.len);
	cr_assert_eq(memcmp(other.hdoc.src, first.hdoc.src, first.hdoc.len), 0);
	cr_assert_eq(other.hdoc.ntok, first.hdoc.ntok);
	cr_assert_eq(memcmp(other.htok, first.htok,
			    (size_t)first.hdoc.ntok * sizeof *first.htok), 0);
	cr_assert_eq(other.alg, first.alg);
	cr_assert_eq(other.kid, first.kid);
	cr_assert_eq(other.typ_jwt, first.typ_jwt);
	cr_assert(json_str_copy(&other.hdoc, other.kid, kid, sizeof kid));
	cr_assert_str_eq(kid, "\xc3\xa9", "latin1 widened to UTF-8");
	cr_assert(jwt_alg_is(&other, "HS256"));
	cr_assert_eq(other.plen, 7);
	cr_assert_eq(memcmp(other.payload, "{\"b\":2}", 7), 0);
	/* a header that does not parse is refused every time */
	cr_assert_eq(decode("eyJhbGci.eyJhIjoxfQ.c2ln", &e), -1);
	cr_assert_eq(decode("eyJhbGci.eyJhIjoxfQ.c2ln", &e), -1);
}
