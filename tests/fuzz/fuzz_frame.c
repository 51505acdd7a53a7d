/*
 * fuzz_frame.c - frame_whole over bytes from outside, as the Node addon's
 * cache attach reads agauthd's replies (client/node/native/attach.c):
 * besides reading nothing outside the input, the count is at most what
 * was wanted, and every frame it counts is whole inside the input, with a
 * length a frame can have; short of want, what follows the counted
 * frames is not one more whole frame.
 */
#include <stdint.h>
#include <stdlib.h>

#include "shared/frame.h"
#include "shared/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the length at p (4 bytes) */
static size_t ff_len(const uint8_t *p)
{
	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int want = size > 0 ? 1 + data[0] % 4 : 2;
	const uint8_t *p = size > 0 ? data + 1 : data;
	size_t n = size > 0 ? size - 1 : 0, off = 0, len;
	int k = frame_whole(p, n, want), i;

	if (k < 0 || k > want)
		abort();
	for (i = 0; i < want && n - off >= 4; i++) {
		len = ff_len(p + off);
		if (len == 0 || len > AG_FRAME_HARD_MAX) {
			/* an impossible length ends the count at want */
			if (k != want)
				abort();
			return 0;
		}
		if (n - off - 4 < len)
			break;
		off += 4 + len;
	}
	/* the frames walked here are the ones counted */
	if (i != k)
		abort();
	return 0;
}
