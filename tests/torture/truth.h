/*
 * truth.h - the ground truth the cache tortures share between their
 * writer and reader processes (in a MAP_SHARED mapping made before they
 * fork): each published token, what it is, and whether it is dead.  The
 * writer sets `dead` only after the purge (or the daemon's reply) that
 * killed it; a reader loads it before its lookup, so a hit on a token it
 * saw dead is a false accept.
 */
#ifndef AG_TORTURE_TRUTH_H
#define AG_TORTURE_TRUTH_H

#include <stdatomic.h>
#include <stdint.h>

/* long enough for tokens whose signing input only the cache's large
 * slots hold */
#define TRUTH_TOKLEN 1536

enum truth_kind { TRUTH_VALID, TRUTH_EXPIRED, TRUTH_FORGED, TRUTH_KINDS };
enum truth_dead { TRUTH_LIVE, TRUTH_REVOKED, TRUTH_ROTATED };

struct truth_token {
	char tok[TRUTH_TOKLEN];
	uint16_t len;
	uint8_t kind;                /* enum truth_kind */
	uint16_t sub;
	uint32_t n;                  /* the "n" claim of its payload */
	uint32_t rot;                /* the signing key's rotation number */
	_Atomic uint8_t dead;        /* enum truth_dead */
};

#endif
