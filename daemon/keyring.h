/*
 * keyring.h - every key the daemon holds, loaded from a manifest
 * (docs/operations.md), immutable once built and shared by reference
 * count: a reload or a rotation builds a whole new keyring and swaps it
 * in; requests still running keep the one they started with.
 *
 * A key is primary (signs, and verifies), verify (verifies until its
 * retire time) or retired (nothing).  Tokens carry the primary's kid;
 * verification picks the key by kid, or else tries the keys of the
 * token's algorithm family.
 */
#ifndef AG_KEYRING_H
#define AG_KEYRING_H

#include <stdatomic.h>
#include <stdint.h>

#include "daemon/jws.h"
#include "daemon/key.h"
#include "daemon/sign.h"
#include "shared/jwt.h"
#include "shared/limits.h"
#include "shared/vopts.h"

enum kr_state { KR_PRIMARY, KR_VERIFY, KR_RETIRED };
enum kr_encoding { KR_PEM, KR_RAW, KR_TEXT, KR_BASE64 };

struct kr_key {
	char name[AG_KID_MAX + 1];   /* the manifest section */
	char kid[AG_KID_MAX + 1];
	int has_kid;                 /* tokens carry kid (not for an imported
				      * SocketCluster authKey) */
	char *file_spec;             /* as written in the manifest */
	const struct jws_alg *alg;
	enum kr_state state;
	int64_t created, retire;     /* seconds; retire 0: none */
	enum kr_encoding encoding;
	struct key *key;
	int cache_key;               /* its slot in the cache's key table,
				      * or -1 (set before it goes live) */
};

struct keyring {
	atomic_int refs;
	uint64_t generation;
	char manifest[PATH_MAX];
	int n;
	int primary;                 /* index, or -1 */
	struct kr_key keys[AG_KEYRING_MAX];
};

/* Loads and validates the whole manifest and every key file. */
int keyring_load(const char *manifest, uint64_t generation,
		 struct keyring **out, struct ag_error *e);
void keyring_ref(struct keyring *kr);
void keyring_unref(struct keyring *kr);

/* May this key verify at `now`? */
int keyring_usable(const struct kr_key *k, double now);
const char *keyring_state_name(enum kr_state s);
const char *keyring_encoding_name(enum kr_encoding e);

/* Signs with the primary key: its algorithm is the default, its kid goes
 * into the header. */
int keyring_sign(const struct keyring *kr, struct sign_req *r,
		 struct buf *token, struct buf *added,
		 const struct kr_key **used, struct ag_error *e);
/* Verifies with the key the token names, else with each key of its
 * algorithm family (at most AG_KEYRING_TRY_MAX). */
int keyring_verify(const struct keyring *kr, const char *token, size_t len,
		   const struct vopts *o, double now, struct jwt *j,
		   const struct kr_key **used, struct ag_error *e);

/*
 * Rotation: generates a new key for alg (NULL: the primary's), makes it
 * primary, demotes the old primary to verify-only until now + grace, and
 * rewrites the manifest atomically.  On success *out is the new keyring.
 */
int keyring_rotate(const struct keyring *kr, const char *alg, double now,
		   double grace, struct keyring **out, struct ag_error *e);

#endif
