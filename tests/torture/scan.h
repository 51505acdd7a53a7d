/*
 * scan.h - whether memory gives tokens away: finds, anywhere in a block
 * (a cache mapping, as any peer with the verify right may map it), the
 * signature of any of a list of tokens, as its base64url text or as its
 * decoded bytes.  Every token holds its signature, so a block in which
 * no signature is found holds no token a reader could present.
 */
#ifndef AG_TORTURE_SCAN_H
#define AG_TORTURE_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "tests/torture/truth.h"

/* How many of t[0..n) have their signature somewhere in mem[0..len);
 * -1 if out of memory. */
long scan_tokens(const uint8_t *mem, size_t len, const struct truth_token *t,
		 uint32_t n);

#endif
