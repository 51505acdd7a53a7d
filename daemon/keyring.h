/*
 * keyring.h - every key the daemon holds, loaded from a manifest
 * (docs/operations.md), immutable once built and shared by reference
 * count: a reload or a rotation builds a whole new keyring and swaps it
 * in; requests still running keep the one they started with.
 *
 * A key is primary (signs, and verifies), verify (verifies until its
 * retire time) or retired (nothing).  A verify key with an activation
 * instant (activate = TIME) becomes primary at that instant, with no
 * reload: the primary is chosen by the clock at each sign
 * (keyring_primary), so the keyring stays immutable.  The key it
 * supersedes verifies until that instant + grace ([keys]
 * default_expiry), then retires.  Tokens carry the primary's kid;
 * verification picks the key by kid, or else tries the keys of the
 * token's algorithm family.
 */
#ifndef AG_KEYRING_H
#define AG_KEYRING_H

#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>

#include "daemon/engine/jws.h"
#include "daemon/engine/key.h"
#include "daemon/engine/sign.h"
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
	const struct alg *alg;
	enum kr_state state;
	int64_t created, retire;     /* seconds; retire 0: none */
	int64_t activate;            /* primary from then on; 0: none */
	int64_t until;               /* verifies until then; 0: for ever
				      * (retire, or for a key another's
				      * activation supersedes, that
				      * instant + grace) */
	enum kr_encoding encoding;
	struct key *key;
	int cache_key;               /* its slot in the cache's key table,
				      * or -1 (set before it goes live) */
};

struct keyring {
	atomic_int refs;
	uint64_t generation;
	char manifest[PATH_MAX];
	unsigned char digest[16];    /* of the manifest bytes it was built
				      * from (XXH3-128) */
	double grace;                /* a superseded key verifies so long */
	int n;
	int primary;                 /* the manifest's state = primary key
				      * (index, or -1); keyring_primary says
				      * which signs at a given instant */
	int activations;             /* keys with an activation instant */
	struct kr_key keys[AG_KEYRING_MAX];
};

/* Loads and validates the whole manifest and every key file; grace:
 * how long a key another key's activation supersedes still verifies. */
int keyring_load(const char *manifest, uint64_t generation, double grace,
		 struct keyring **out, struct ag_error *e);
void keyring_ref(struct keyring *kr);
void keyring_unref(struct keyring *kr);

/* May this key verify at `now`? */
int keyring_usable(const struct kr_key *k, double now);
/* The key that signs at `now` (index, or -1): the one whose activation
 * instant came last, else the manifest's primary. */
int keyring_primary(const struct keyring *kr, double now);
/* What key i is at `now`: primary, verify, or retired. */
enum kr_state keyring_state_at(const struct keyring *kr, int i, double now);
const char *keyring_state_name(enum kr_state s);
const char *keyring_encoding_name(enum kr_encoding e);

/* Signs with the primary key at r->now: its algorithm is the default,
 * its kid goes into the header. */
int keyring_sign(const struct keyring *kr, struct sign_req *r,
		 struct buf *token, struct buf *added,
		 const struct kr_key **used, struct ag_error *e);
/* Verifies with the key the token names, else with each key of its
 * algorithm family (at most AG_KEYRING_TRY_MAX). */
int keyring_verify(const struct keyring *kr, const char *token, size_t len,
		   const struct vopts *o, double now, struct jwt *j,
		   const struct kr_key **used, struct ag_error *e);

/* 0 if kr's manifest still holds the bytes kr was loaded from; else -1,
 * AG_E_KEYRING saying it changed (or cannot be read). */
int keyring_current(const struct keyring *kr, struct ag_error *e);
/* The path of the file k's entry in kr's manifest names (relative to
 * the manifest's directory unless absolute); -1 if it does not fit. */
int keyring_key_path(const struct keyring *kr, const struct kr_key *k,
		     char *out, size_t cap);

/* The directory path is in ("." for a bare name, "/" for one in /). */
void keyring_dirname(const char *path, char out[PATH_MAX]);
/* 1 if path is top or below it; both resolved (realpath). */
int keyring_beneath(const char *top, const char *path);

/*
 * Rotation, in two steps.  keyring_rotate_make, on a crypto thread,
 * generates a key for alg (NULL: the primary's) into keys/ beside kr's
 * manifest and changes nothing else.  keyring_rotate_commit, on the loop,
 * applies it to the keyring live then (which a reload may have replaced
 * meanwhile): the new key becomes primary, the old primary verifies until
 * now + grace, keys past their retire time leave, and the manifest is
 * rewritten atomically (keyring_prune).  It refuses, changing nothing, if
 * the manifest on disk is not the one live was loaded from: a rotation
 * never writes back a key the operator removed.  On success *out is the
 * new keyring and the key belongs to it; keyring_rotate_drop removes the
 * file of a rotation that did not commit.
 */
struct kr_fresh {
	struct kr_key key;           /* key.file_spec points at spec */
	char spec[AG_KID_MAX + 16];  /* "keys/NAME.pem" */
	char path[PATH_MAX + 80];    /* the file; "" once committed */
};

int keyring_rotate_make(const struct keyring *kr, const char *alg,
			double now, struct kr_fresh *f, struct ag_error *e);
int keyring_rotate_commit(const struct keyring *live, struct kr_fresh *f,
			  double now, double grace, struct keyring **out,
			  struct ag_error *e);
void keyring_rotate_drop(struct kr_fresh *f);

/*
 * Keys past their retire time (not the primary) leave: the manifest is
 * rewritten without them (MANIFEST.new, synced, loaded, renamed over it,
 * the directory synced) and their files removed, unless a key that stays
 * names the same file.  *out is the keyring the rewritten manifest loads
 * (with kr's generation), or NULL when nothing is past its time.  Fails,
 * changing nothing, if the manifest is no longer the one kr was loaded
 * from.
 */
int keyring_prune(const struct keyring *kr, double now, struct keyring **out,
		  struct ag_error *e);

/* k->key from a key file's text buf[0..len) as k's encoding and
 * algorithm say (buf: 2 * AG_KEY_MAX bytes of locked memory, the second
 * half scratch; left dirty); path names it in errors. */
int keyring_key_load(struct kr_key *k, unsigned char *buf, size_t len,
		     const char *path, struct ag_error *e);

/*
 * A key another host of the fleet made (daemon/cluster.c), its file's
 * text[0..n) in locked memory: written beside the others as a rotation
 * writes one (keys/KID.pem or .key, 0600) and committed into live as
 * keyring_rotate_commit does, verifying at once and primary from
 * activate on (that instant past: at once).  1 and *out NULL when
 * nothing is to be done: live holds the kid already with the same
 * material (the record came again), or a later activation superseded it
 * more than grace ago (*why says which).  0 and *out the new keyring;
 * -1 with *e (the kid names another key here, the material is not a key
 * for alg, the manifest changed on disk, ...), and nothing written.
 */
int keyring_rotate_install(const struct keyring *live, const char *kid,
			   const struct alg *alg, int64_t activate,
			   const uint8_t *text, size_t n, double now,
			   struct keyring **out, const char **why,
			   struct ag_error *e);

/* Reads a secret file the way a key file must be read (regular, not
 * through a link, readable by its owner only, owned by agauthd or root),
 * at most cap bytes into buf (locked memory, the caller's).  Also for the
 * fleet key and Redis's password (daemon/cluster.c). */
int keyring_read_file(const char *path, unsigned char *buf, size_t cap,
		      size_t *len, struct ag_error *e);

#endif
