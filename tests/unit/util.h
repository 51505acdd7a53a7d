/* util.h - helpers shared by the unit suites. */
#ifndef AG_TEST_UTIL_H
#define AG_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/engine/key.h"
#include "shared/agerr.h"

/* Reads a whole file (tests run from the repository root). */
char *ut_read(const char *path, size_t *len);
/* Loads a key from a file or from a string. */
struct key *ut_key_file(const char *path, enum key_use use);
struct key *ut_key_str(const char *material, enum key_use use);
/* Signs payload/opts at `now` with k; returns a malloc'd token or NULL and
 * fills *e. */
char *ut_sign(const struct key *k, const char *payload, const char *opts,
	      double now, struct ag_error *e);
/* Verifies; returns 0 or -1 with *e. */
int ut_verify(const struct key *k, const char *token, const char *opts,
	      double now, struct ag_error *e);

#endif
