/* test_algs.c - the one algorithm table (shared/algs.h) and those who ask
 * it: the cache's numbers, the families jsonwebtoken tells apart by
 * prefix, the key rotate generates, which key takes which algorithm. */
#include <string.h>

#include <criterion/criterion.h>

#include "daemon/engine/jws.h"
#include "daemon/engine/keygen.h"
#include "shared/algs.h"
#include "shared/vopts.h"
#include "tests/unit/util.h"

Test(algs, the_cache_numbers_stay_what_they_are)
{
	/* the cache's alg byte is in shared memory that clients of other
	 * builds read: a row added must not renumber these */
	static const char *const cache[VOPTS_ALGS] = {
		"HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
		"PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
	};
	int i;

	for (i = 0; i < VOPTS_ALGS; i++) {
		cr_assert_eq(vopts_alg_index(cache[i], 5), i, "%s", cache[i]);
		cr_assert_str_eq(alg_at((size_t)i)->name, cache[i]);
	}
	cr_assert_eq(vopts_alg_index("none", 4), -1);
	cr_assert_eq(vopts_alg_index("HS25", 4), -1);
}

Test(algs, families_by_prefix_as_jsonwebtoken_tells_them)
{
	cr_assert_eq(alg_of_prefix("PS999", 5)->key, ALG_KEY_RSA);
	cr_assert_eq(alg_of_prefix("RSx", 3)->key, ALG_KEY_RSA);
	cr_assert_eq(alg_of_prefix("ES", 2)->key, ALG_KEY_EC);
	cr_assert_eq(alg_of_prefix("HSfoo", 5)->key, ALG_KEY_SECRET);
	cr_assert(alg_of_prefix("HS1", 3)->on_loop, "HMAC runs on the loop");
	cr_assert(!alg_of_prefix("ES1", 3)->on_loop, "ECDSA goes to the pool");
	cr_assert_null(alg_of_prefix("none", 4), "none is no family");
	cr_assert_null(alg_of_prefix("hs256", 5), "prefixes are exact");
	cr_assert_null(alg_of_prefix("H", 1));
}

Test(algs, every_row_names_its_key_and_keygen)
{
	size_t i;

	for (i = 0; i < alg_count(); i++) {
		const struct alg *a = alg_at(i);

		cr_assert_eq(alg_find(a->name, strlen(a->name)), a);
		if (a->family == ALG_NONE) {
			cr_assert_null(keygen_type_for_alg(a->name));
			continue;
		}
		cr_assert(keygen_valid_type(keygen_type_for_alg(a->name)),
			  "%s", a->name);
		cr_assert_eq(a->curve != ALG_CURVE_NONE, a->key == ALG_KEY_EC,
			     "%s", a->name);
	}
	cr_assert_str_eq(keygen_type_for_alg("PS512"), "rsa2048");
	cr_assert_str_eq(keygen_type_for_alg("ES384"), "p384");
	cr_assert_null(keygen_type_for_alg("RS999"), "a prefix is not a name");
	cr_assert_null(alg_find("HS256 ", 6));
}

Test(algs, a_key_takes_its_own_rows_only)
{
	struct key *rsa = ut_key_file("tests/vectors/keys/rsa2048.spki.pem",
				      KEY_USE_VERIFY);
	struct key *ec = ut_key_file("tests/vectors/keys/ecp384.spki.pem",
				     KEY_USE_VERIFY);
	struct ag_error e;
	size_t i;

	for (i = 0; i < alg_count(); i++) {
		const struct alg *a = alg_at(i);

		cr_assert_eq(jws_key_fits(rsa, a->name, &e) == 0,
			     a->key == ALG_KEY_RSA, "RSA and %s", a->name);
		cr_assert_eq(jws_key_fits(ec, a->name, &e) == 0,
			     a->key == ALG_KEY_EC && a->curve == ALG_P384,
			     "P-384 and %s", a->name);
	}
	cr_assert_neq(jws_key_fits(ec, "ES256", &e), 0);
	cr_assert_str_eq(e.msg, "\"alg\" parameter \"ES256\" requires curve "
			 "\"prime256v1\".");
	key_free(rsa);
	key_free(ec);
}
