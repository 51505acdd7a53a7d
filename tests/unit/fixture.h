/*
 * fixture.h - keyrings and tokens for the suites, the torture test and the
 * benchmarks of the cache (no Criterion here, so all three can link it).
 */
#ifndef AG_TEST_FIXTURE_H
#define AG_TEST_FIXTURE_H

#include "daemon/keyring.h"

/*
 * Writes a keyring into dir and loads it.  spec: space-separated
 * NAME:STATE[:RETIRE] (primary, verify, retired; RETIRE in seconds); each
 * key is HS256 with kid NAME and the secret
 * "secret-NAME-padded-to-at-least-32-bytes" (or "secret-NAME-2-padded-..."
 * when NAME ends in '+', which is dropped: the same name with new
 * material).  Returns NULL on error, with the reason on stderr.
 */
struct keyring *fx_keyring(const char *dir, const char *spec, uint64_t gen);

/* Signs payload (JSON text) with opts (NULL: none) at now with the
 * primary: a malloc'd token, or NULL.  *used gets the key. */
char *fx_sign(const struct keyring *kr, const char *payload,
	      const char *opts, double now, const struct kr_key **used);

#endif
