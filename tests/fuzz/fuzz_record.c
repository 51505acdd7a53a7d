/*
 * fuzz_record.c - the bytes as a record of the fleet's stream
 * (daemon/cluster_record.c): cluster_record_decode under a fixed fleet
 * key, as a daemon decodes what it reads from Redis.
 *
 * Beyond not crashing or leaking: a record that decodes re-encodes to the
 * very same bytes (one record, one spelling: a MAC over other bytes could
 * not match), and every field within its bounds; a rotation (sealed
 * under a fresh nonce each time) re-encodes to one that decodes to the
 * same fields and key.  An input whose first
 * byte is 0 (no record's is) is the rest as a value instead: a record of
 * it, encoded and decoded back, must round-trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cluster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cluster_keys fz_keys;
static uint8_t fz_val[CLUSTER_VALUE_CAP];

static void fz_setup(void)
{
	static const uint8_t key[32] = "agauthd fuzz fleet key, 32 bytes";
	struct ag_error e;

	if (fz_keys.mac == NULL && cluster_keys_derive(&fz_keys, key,
						       sizeof key, &e) != 0)
		abort();
}

/* A rotation sealed again decodes to the same record. */
static void fz_rotation(const struct cluster_record *r)
{
	static uint8_t again[CLUSTER_VALUE_CAP];
	struct cluster_record back;
	struct buf b;

	if (r->len > AG_CLUSTER_KEYFILE_MAX || r->alg == NULL ||
	    !cluster_name_ok(r->kid, strlen(r->kid)) || r->at != (double)(long long)r->at)
		abort();
	buf_init(&b, CLUSTER_RECORD_MAX);
	if (cluster_record_encode(&fz_keys, r, &b) != 0 ||
	    cluster_record_decode(&fz_keys, b.p, b.len, &back, again) !=
	    CLUSTER_REC_OK || back.type != CLUSTER_ROTATION ||
	    back.len != r->len || memcmp(back.value, r->value, r->len) != 0 ||
	    back.at != r->at || back.alg != r->alg ||
	    strcmp(back.kid, r->kid) != 0 || strcmp(back.origin, r->origin) != 0)
		abort();
	buf_free(&b);
}

/* r's bounds, and its encoding is the input */
static void fz_decoded(const struct cluster_record *r, const uint8_t *data,
		       size_t size)
{
	struct buf b;

	if (r->type == CLUSTER_ROTATION) {
		fz_rotation(r);
		return;
	}
	if ((unsigned)r->kind > REVOKE_SUBJECT || r->len == 0 ||
	    r->len > AG_REVOKE_VALUE_MAX || r->value != fz_val ||
	    !cluster_name_ok(r->origin, strlen(r->origin)) ||
	    !(r->at > 0 && r->at < 1e12))
		abort();
	buf_init(&b, CLUSTER_RECORD_MAX);
	if (cluster_record_encode(&fz_keys, r, &b) != 0 || b.len != size ||
	    memcmp(b.p, data, size) != 0)
		abort();
	buf_free(&b);
}

/* The input as a value: encoded and decoded back, whole. */
static void fz_value(const uint8_t *data, size_t size)
{
	struct cluster_record r, back;
	struct buf b;

	memset(&r, 0, sizeof r);
	strcpy(r.origin, "web-1");
	r.kind = (enum revoke_kind)(size % 3);
	r.at = 1700000000.123;
	r.value = data;
	r.len = size;
	buf_init(&b, CLUSTER_RECORD_MAX);
	if (cluster_record_encode(&fz_keys, &r, &b) != 0) {
		/* only what no record may carry is refused */
		if (size != 0 && size <= AG_REVOKE_VALUE_MAX)
			abort();
	} else if (cluster_record_decode(&fz_keys, b.p, b.len, &back,
					 fz_val) != CLUSTER_REC_OK ||
		   back.len != size || memcmp(back.value, data, size) != 0 ||
		   back.kind != r.kind || back.at != 1700000000.123 ||
		   strcmp(back.origin, r.origin) != 0) {
		abort();
	}
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cluster_record r;

	fz_setup();
	if (size > 0 && data[0] == 0) {
		fz_value(data + 1, size - 1);
		return 0;
	}
	if (cluster_record_decode(&fz_keys, (const char *)data, size, &r,
				  fz_val) == CLUSTER_REC_OK)
		fz_decoded(&r, data, size);
	else if (r.value != NULL || r.len != 0)
		abort();
	return 0;
}
