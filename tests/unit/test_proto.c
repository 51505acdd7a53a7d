/* test_proto.c - frames and the msgpack bounds walk. */
#include <string.h>

#include <criterion/criterion.h>

#include "shared/proto.h"

static int check(const char *bytes, size_t n)
{
	return proto_check((const uint8_t *)bytes, n);
}

Test(proto, accepts_bounded_maps)
{
	/* {"a":1}, {"id":7,"op":"ping"}, {} */
	cr_assert_eq(check("\x81\xa1" "a\x01", 4), 0);
	cr_assert_eq(check("\x82\xa2id\x07\xa2op\xa4ping", 13), 0);
	cr_assert_eq(check("\x80", 1), 0);
	/* map16 with one entry holding an array16 of two bins */
	cr_assert_eq(check("\xde\x00\x01\xa1k\xdc\x00\x02\xc4\x01x\xc4\x00", 13),
		     0);
}

Test(proto, refuses_lies_and_bombs)
{
	cr_assert_eq(check("\xdd\xff\xff\xff\xff", 5), -1, "not a map");
	cr_assert_eq(check("\x81\xa1k\xdd\xff\xff\xff\xff", 8), -1,
		     "array32 count bomb");
	cr_assert_eq(check("\xdf\xff\xff\xff\xff", 5), -1, "map32 bomb");
	cr_assert_eq(check("\x81\xa1k\xdb\xff\xff\xff\xff", 8), -1, "str32");
	cr_assert_eq(check("\x81\xa1k\xc6\x00\x00\x00\x05xx", 10), -1, "bin32");
	cr_assert_eq(check("\xde\xff\xff\xa1k\x01", 6), -1, "map16 lies");
	cr_assert_eq(check("\x81\xa1k\xc1", 4), -1, "0xc1 is never used");
	cr_assert_eq(check("\x81\xa1k", 3), -1, "truncated");
	cr_assert_eq(check("\x81\xa1k\x01\x01", 5), -1, "trailing bytes");
	cr_assert_eq(check("\x81\xa1k\xcd\x01", 5), -1, "short uint16");
	cr_assert_eq(check("", 0), -1);
}

Test(proto, refuses_deep_nesting)
{
	char deep[64];
	int i, n = 0;

	deep[n++] = (char)0x81;
	deep[n++] = (char)0xa1;
	deep[n++] = 'k';
	for (i = 0; i < AG_PROTO_MAX_DEPTH; i++)
		deep[n++] = (char)0x91;
	deep[n++] = 0x01;
	cr_assert_eq(check(deep, (size_t)n), -1);
	/* one level less fits */
	memmove(deep + 3, deep + 4, (size_t)n - 4);
	cr_assert_eq(check(deep, (size_t)n - 1), 0);
}

Test(proto, encodes_and_decodes_a_reply)
{
	struct buf b;
	struct proto_out o;
	struct proto_msg m;
	const char *s;
	size_t n;
	uint64_t id;

	buf_init(&b, 4096);
	proto_begin(&o, &b);
	msgpack_pack_map(&o.pk, 3);
	proto_kv_uint(&o, "id", 42);
	proto_kv_cstr(&o, "op", "verify");
	proto_kv_bin(&o, "token", "abc", 3);
	cr_assert_eq(proto_end(&o), 0);
	cr_assert_eq(proto_get_len((const uint8_t *)b.p), b.len - PROTO_HDR);
	cr_assert_eq(proto_decode(&m, (const uint8_t *)b.p + PROTO_HDR,
				  b.len - PROTO_HDR, NULL), 0);
	cr_assert_eq(proto_uint(m.root, "id", &id), 0);
	cr_assert_eq(id, 42);
	cr_assert_eq(proto_str(m.root, "op", &s, &n), 0);
	cr_assert_eq(n, 6);
	cr_assert_eq(proto_str(m.root, "token", &s, &n), -2, "bin, not str");
	cr_assert_eq(proto_bytes(m.root, "token", &s, &n), 0);
	cr_assert_eq(proto_uint(m.root, "op", &id), -2);
	cr_assert_eq(proto_uint(m.root, "nope", &id), -1);
	proto_msg_free(&m);
	buf_free(&b);
}

Test(proto, error_replies_carry_symbolic_codes)
{
	struct ag_error e;
	struct proto_msg m;
	struct buf b;
	const char *s;
	size_t n;

	buf_init(&b, 4096);
	ag_fail_date(&e, AG_E_EXPIRED, 1700000000.5, NULL);
	proto_error(&b, 9, &e);
	cr_assert_eq(proto_decode(&m, (const uint8_t *)b.p + PROTO_HDR,
				  b.len - PROTO_HDR, NULL), 0);
	cr_assert_eq(proto_str(m.root, "code", &s, &n), 0);
	cr_assert_eq(proto_code_parse(s, n), AG_E_EXPIRED);
	cr_assert_eq(proto_str(m.root, "name", &s, &n), 0);
	cr_assert_eq(strncmp(s, "TokenExpiredError", n), 0);
	cr_assert_eq(proto_get(m.root, "date")->via.f64, 1700000000.5);
	cr_assert_eq(proto_code_parse("AG_E_NOPE", 9), AG_ERR_COUNT);
	proto_msg_free(&m);
	buf_free(&b);
}

/* Frames decoded one after another into one zone, as the daemon decodes
 * them: each frame's objects are its own, and the zone is back to one
 * empty chunk after each (the sanitizer suite sees the rest freed). */
Test(proto, one_zone_serves_frame_after_frame)
{
	msgpack_zone *zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
	struct proto_out o;
	struct proto_msg m;
	struct buf b;
	uint64_t id;
	int i, k;

	cr_assert_not_null(zone);
	buf_init(&b, 1 << 20);
	for (i = 0; i < 200; i++) {
		buf_reset(&b);
		proto_begin(&o, &b);
		/* every tenth frame needs more than one chunk */
		msgpack_pack_map(&o.pk, i % 10 == 0 ? 1001 : 1);
		proto_kv_uint(&o, "id", (uint64_t)i);
		for (k = 0; i % 10 == 0 && k < 1000; k++) {
			msgpack_pack_uint32(&o.pk, (uint32_t)k);
			msgpack_pack_nil(&o.pk);
		}
		cr_assert_eq(proto_end(&o), 0);
		cr_assert_eq(proto_decode(&m, (const uint8_t *)b.p + PROTO_HDR,
					  b.len - PROTO_HDR, zone), 0);
		cr_assert_eq(proto_uint(m.root, "id", &id), 0);
		cr_assert_eq(id, (uint64_t)i);
		proto_msg_free(&m);
		cr_assert_eq(zone->chunk_list.free, MSGPACK_ZONE_CHUNK_SIZE,
			     "frame %d: the zone is not back to one empty "
			     "chunk", i);
	}
	msgpack_zone_free(zone);
	buf_free(&b);
}
