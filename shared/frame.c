/* frame.c - where frames end, without decoding them. */
#include "shared/frame.h"

#include "shared/limits.h"

int frame_whole(const uint8_t *p, size_t n, int want)
{
	size_t off = 0, len;
	int k;

	for (k = 0; k < want && n - off >= 4; k++) {
		len = (size_t)p[off] << 24 | (size_t)p[off + 1] << 16 |
		      (size_t)p[off + 2] << 8 | p[off + 3];
		/* checked before any wait for its bytes: a reply may not
		 * claim more than the hard maximum, nor be empty */
		if (len == 0 || len > AG_FRAME_HARD_MAX)
			return want;
		if (n - off - 4 < len)
			break;
		off += 4 + len;
	}
	return k;
}
