/* fuzz_proto.c - a frame body from outside: the bounds walk, msgpack-c,
 * and the request field accessors the daemon uses, decoding into one zone
 * kept across inputs as the daemon keeps one across frames. */
#include <stdint.h>

#include "shared/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static msgpack_zone *zone;
	struct proto_msg m;
	const char *s;
	size_t n;
	uint64_t v;

	if (zone == NULL)
		zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
	if (proto_decode(&m, data, size, zone) == 0) {
		(void)proto_uint(m.root, "id", &v);
		(void)proto_str(m.root, "op", &s, &n);
		(void)proto_bytes(m.root, "token", &s, &n);
		(void)proto_str(m.root, "opts", &s, &n);
	}
	proto_msg_free(&m);
	return 0;
}
