/*
 * frame.h - agauthd's frames as bytes (docs/protocol.md: a big-endian
 * uint32 length, then that many bytes of body), for a reader that only
 * needs to know where replies end: the Node addon's cache attach, whose
 * replies JavaScript decodes.  No msgpack here.
 */
#ifndef AG_FRAME_H
#define AG_FRAME_H

#include <stddef.h>
#include <stdint.h>

/*
 * The whole frames at the start of p[0..n), counted up to want.  A length
 * no frame can have (0, or over AG_FRAME_HARD_MAX) counts as want: the
 * reader stops there, and its caller's decoder refuses the bytes.
 */
int frame_whole(const uint8_t *p, size_t n, int want);

#endif
