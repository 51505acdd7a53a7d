/* test_cluster.c - the fleet's records (daemon/cluster_record.c): keys
 * from the fleet key, encode and decode, and what is refused. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daemon/cluster.h"

static const uint8_t key[32] = "agauthd fuzz fleet key, 32 bytes";
static uint8_t val[CLUSTER_VALUE_CAP];

static void keys(struct cluster_keys *k, const uint8_t *material)
{
	struct ag_error e;

	cr_assert_eq(cluster_keys_derive(k, material, 32, &e), 0, "%s", e.msg);
}

/* A record of origin, kind, at and value. */
static struct cluster_record record(const char *origin, enum revoke_kind k,
				    double at, const char *value)
{
	struct cluster_record r;

	memset(&r, 0, sizeof r);
	strcpy(r.origin, origin);
	r.kind = k;
	r.at = at;
	r.value = (const uint8_t *)value;
	r.len = strlen(value);
	return r;
}

static enum cluster_verdict decode(const struct cluster_keys *k,
				   const char *line, struct cluster_record *r)
{
	return cluster_record_decode(k, line, strlen(line), r, val);
}

Test(cluster, a_vector_made_elsewhere_decodes)
{
	/* HKDF-SHA-256 and HMAC-SHA-256 by Python's hmac module, as
	 * docs/operations.md ("Several hosts") states the format */
	static const char line[] = "agr1 0789e9e0816eba11 web-1 s 1700000000123 "
		"YWxpY2U 8bqiiYS1Axrw8EDAsGbD3xq9it-vqLrMTx6R0jGKIjA";
	struct cluster_keys k;
	struct cluster_record r;
	struct buf b;
	char want[256];

	keys(&k, key);
	cr_assert_str_eq(k.fleet, "0789e9e0816eba11");
	r = record("web-1", REVOKE_SUBJECT, 1700000000.123, "alice");
	buf_init(&b, CLUSTER_RECORD_MAX);
	cr_assert_eq(cluster_record_encode(&k, &r, &b), 0);
	snprintf(want, sizeof want, "%.*s", (int)b.len, b.p);
	cr_assert_str_eq(want, line);
	cr_assert_eq(decode(&k, want, &r), CLUSTER_REC_OK);
	cr_assert_str_eq(r.origin, "web-1");
	cr_assert_eq(r.kind, REVOKE_SUBJECT);
	cr_assert_eq(r.at, 1700000000.123);
	cr_assert_eq(r.len, 5);
	cr_assert_eq(memcmp(r.value, "alice", 5), 0);
	buf_free(&b);
	cluster_keys_drop(&k);
}

Test(cluster, forged_tampered_and_foreign_records_are_refused)
{
	uint8_t other_key[32];
	struct cluster_keys k, other;
	struct cluster_record r;
	struct buf b;
	char line[512];
	size_t n;

	memcpy(other_key, key, sizeof other_key);
	other_key[31] ^= 1;
	keys(&k, key);
	keys(&other, other_key);
	cr_assert_str_neq(k.fleet, other.fleet);
	r = record("b", REVOKE_JTI, 1700000000.5, "j-1");
	buf_init(&b, CLUSTER_RECORD_MAX);
	cr_assert_eq(cluster_record_encode(&other, &r, &b), 0);
	snprintf(line, sizeof line, "%.*s", (int)b.len, b.p);
	cr_assert_eq(decode(&k, line, &r), CLUSTER_REC_OTHER_FLEET);
	cr_assert_eq(r.value, NULL);
	/* the same record under our fleet id, its MAC the other key's */
	memcpy(line + 5, k.fleet, 16);
	cr_assert_eq(decode(&k, line, &r), CLUSTER_REC_BAD_MAC);

	buf_reset(&b);
	r = record("b", REVOKE_JTI, 1700000000.5, "j-1");
	cr_assert_eq(cluster_record_encode(&k, &r, &b), 0);
	snprintf(line, sizeof line, "%.*s", (int)b.len, b.p);
	cr_assert_eq(decode(&k, line, &r), CLUSTER_REC_OK);
	/* any byte changed is refused: the kind, the origin, the time */
	n = strlen(line);
	for (size_t i = 22; i < n; i++) {
		char save = line[i];

		line[i] = save == 'A' ? 'B' : 'A';
		cr_assert_neq(decode(&k, line, &r), CLUSTER_REC_OK,
			      "byte %zu changed", i);
		line[i] = save;
	}
	cr_assert_eq(decode(&k, "agr1 x", &r), CLUSTER_REC_MALFORMED);
	cr_assert_eq(decode(&k, "", &r), CLUSTER_REC_MALFORMED);
	/* what no record may say is not encoded */
	r.len = 0;
	cr_assert_eq(cluster_record_encode(&k, &r, &b), -1);
	buf_free(&b);
	cluster_keys_drop(&k);
	cluster_keys_drop(&other);
}

Test(cluster, fleet_keys_of_the_wrong_size_are_refused)
{
	struct cluster_keys k;
	struct ag_error e;

	cr_assert_eq(cluster_keys_derive(&k, key, 16, &e), -1);
	cr_assert(strstr(e.msg, "agauthctl keygen --type cluster") != NULL,
		  "%s", e.msg);
}

/* A rotation: kid k20270115-080000-abcdef, HS256, primary from
 * 1800000010, and its key file's text. */
#define ROT_TEXT "c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IHNlY3JldCE=\n"
static struct cluster_record rotation(void)
{
	struct cluster_record r;

	memset(&r, 0, sizeof r);
	r.type = CLUSTER_ROTATION;
	strcpy(r.origin, "web-1");
	strcpy(r.kid, "k20270115-080000-abcdef");
	r.alg = alg_find("HS256", 5);
	r.at = 1800000010;
	r.value = (const uint8_t *)ROT_TEXT;
	r.len = strlen(ROT_TEXT);
	return r;
}

static void rotation_is(const struct cluster_record *r)
{
	cr_assert_eq(r->type, CLUSTER_ROTATION);
	cr_assert_str_eq(r->origin, "web-1");
	cr_assert_str_eq(r->kid, "k20270115-080000-abcdef");
	cr_assert_str_eq(r->alg->name, "HS256");
	cr_assert_eq(r->at, 1800000010.0);
	cr_assert_eq(r->len, strlen(ROT_TEXT));
	cr_assert_eq(memcmp(r->value, ROT_TEXT, r->len), 0);
}

/* HKDF-SHA-256 ("key wrap") and AES-256-GCM by Node's crypto, with the
 * nonce 00 01 ... 0b: the format docs/operations.md states. */
Test(cluster, a_rotation_made_elsewhere_opens)
{
	static const char line[] = "agr1 0789e9e0816eba11 web-1 k 1800000010000 "
		"k20270115-080000-abcdef HS256 AAECAwQFBgcICQoL "
		"LBf_FMMh_1BTA_-6tK8yqDd6e00KapmwtKCYhy9mSMEat7tuyX1N6JkgOBpToQX8"
		"pSPogtwmjY3oJGtFx0WPq90";
	struct cluster_keys k;
	struct cluster_record r;

	keys(&k, key);
	cr_assert_eq(decode(&k, line, &r), CLUSTER_REC_OK);
	rotation_is(&r);
	cluster_keys_drop(&k);
}

/* Sealed under a fresh nonce each time; the kid, algorithm and instant
 * are bound to the key (associated data): any of them changed, the
 * nonce or the sealed key changed, or the key sealed under another
 * fleet key (whose fleet id is public), and it does not open; the key's
 * text is then nowhere in val. */
Test(cluster, a_rotation_altered_or_from_another_fleet_key_does_not_open)
{
	static const char *const swaps[][2] = {
		{ " k20270115-080000-abcdef ", " k20270115-080000-abcdee " },
		{ " HS256 ", " HS384 " },
		{ " 1800000010000 ", " 1800000020000 " },
		{ " web-1 ", " web-2 " },
	};
	uint8_t other_key[32], zero[64] = { 0 };
	struct cluster_keys k, other;
	struct cluster_record r = rotation();
	struct buf b;
	char line[1024], again[1024], *at;
	size_t i, n;

	memcpy(other_key, key, sizeof other_key);
	other_key[0] ^= 1;
	keys(&k, key);
	keys(&other, other_key);
	buf_init(&b, CLUSTER_RECORD_MAX);
	cr_assert_eq(cluster_record_encode(&k, &r, &b), 0);
	snprintf(line, sizeof line, "%.*s", (int)b.len, b.p);
	buf_reset(&b);
	cr_assert_eq(cluster_record_encode(&k, &r, &b), 0);
	snprintf(again, sizeof again, "%.*s", (int)b.len, b.p);
	cr_assert_str_neq(line, again, "a nonce of its own each time");
	cr_assert_eq(decode(&k, again, &r), CLUSTER_REC_OK);
	rotation_is(&r);
	cr_assert_null(strstr(line, "c2VjcmV0"), "the key in clear: %s", line);

	for (i = 0; i < sizeof swaps / sizeof *swaps; i++) {
		snprintf(again, sizeof again, "%s", line);
		at = strstr(again, swaps[i][0]);
		cr_assert_not_null(at);
		memcpy(at, swaps[i][1], strlen(swaps[i][1]));
		memset(val, 0x55, sizeof val);
		cr_assert_eq(decode(&k, again, &r), CLUSTER_REC_BAD_SEAL,
			     "%s", swaps[i][1]);
		cr_assert_null(r.value);
		cr_assert_eq(memcmp(val, zero, strlen(ROT_TEXT)), 0, "val holds "
			     "something after %s", swaps[i][1]);
	}
	/* every byte from the origin on */
	n = strlen(line);
	for (i = 22; i < n; i++) {
		char save = line[i];

		line[i] = save == 'A' ? 'B' : 'A';
		cr_assert_neq(decode(&k, line, &r), CLUSTER_REC_OK,
			      "byte %zu changed", i);
		line[i] = save;
	}
	/* another fleet key's, under our (public) fleet id */
	buf_reset(&b);
	r = rotation();
	cr_assert_eq(cluster_record_encode(&other, &r, &b), 0);
	snprintf(again, sizeof again, "%.*s", (int)b.len, b.p);
	cr_assert_eq(decode(&k, again, &r), CLUSTER_REC_OTHER_FLEET);
	memcpy(again + 5, k.fleet, 16);
	cr_assert_eq(decode(&k, again, &r), CLUSTER_REC_BAD_SEAL);
	/* what no record may say is not encoded: an instant between two
	 * seconds, an algorithm that is none */
	r = rotation();
	r.at += 0.5;
	cr_assert_eq(cluster_record_encode(&k, &r, &b), -1);
	r = rotation();
	r.alg = alg_find("none", 4);
	cr_assert_eq(cluster_record_encode(&k, &r, &b), -1);
	buf_free(&b);
	cluster_keys_drop(&k);
	cluster_keys_drop(&other);
}
