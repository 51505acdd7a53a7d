/*
 * cluster.h - the fleet: revocations that reach every host, through a
 * Redis 7 stream (docs/operations.md, "Several hosts").
 *
 * A revocation made here is in force here first (revoke_apply), then
 * written to the outbox (STATE_DIR/cluster.outbox, fsync'd) before the
 * revoke is answered, and sent to the stream (XADD) when Redis takes it;
 * the outbox empties once Redis has taken all of it.  Every daemon reads
 * the stream (XREAD BLOCK, on a connection of its own) from the last id it
 * applied (STATE_DIR/cluster.state, written atomically) and applies each
 * record through revoke_apply: persisted, purged from the cache, told to
 * the watchers with its origin.  A record already in force changes
 * nothing.  Every record carries a MAC under the fleet key (records, in
 * cluster_record.c); one that fails it, or comes from another fleet, is
 * refused and logged.  Redis restarted empty (a new epoch in the marker
 * key PREFIX epoch): every daemon puts what it holds in force back into
 * the stream and reads it from the start.
 *
 * Keys travel the same stream (agauthctl rotate --cluster): a rotation
 * record carries a key file's text sealed with AES-256-GCM under a key of
 * the fleet key, its kid, algorithm and activation instant bound as
 * associated data.  Every host installs it through the installer server
 * hands cluster_start (keyring_rotate_install: written, committed,
 * verifying at once, primary at the instant); the latest one is kept in
 * STATE_DIR/cluster.rotation (sealed, as it travels) and put back into a
 * Redis that came back empty.
 *
 * hiredis's async API on the daemon's own loop (its libev adapter): the
 * loop never waits for Redis.  A host name is resolved once, at start.
 * Without [cluster] nothing here runs and nothing changes.
 *
 * Loop thread only.
 */
#ifndef AG_CLUSTER_H
#define AG_CLUSTER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "daemon/revoke.h"
#include "shared/algs.h"
#include "shared/agerr.h"
#include "shared/b64url.h"
#include "shared/buf.h"
#include "shared/limits.h"

/* ------------------------------------------------------------ records */

#define CLUSTER_MAC_B64    B64URL_ENC_LEN(32)
#define CLUSTER_VALUE_B64  B64URL_ENC_LEN(AG_REVOKE_VALUE_MAX)
/* the bytes a decoded value may need (cluster_record_decode's val) */
#define CLUSTER_VALUE_CAP  B64URL_DEC_MAX(CLUSTER_VALUE_B64)
/* "agr1 " FLEET ORIGIN K AT_MS VALUE MAC, with their spaces (a rotation
 * record, whose key file text is at most AG_CLUSTER_KEYFILE_MAX, is
 * shorter: cluster_record.c) */
#define CLUSTER_RECORD_MAX (5 + 17 + AG_CLUSTER_NAME_MAX + 1 + 2 + 16 + \
			    CLUSTER_VALUE_B64 + 1 + CLUSTER_MAC_B64)

struct crypto_key;

/* What the fleet key gives (HKDF-SHA-256 of it): the MAC key of records
 * and the key that wraps keys (locked memory), and the fleet's public
 * id. */
struct cluster_keys {
	struct crypto_key *mac;
	uint8_t *wrap;               /* CRYPTO_AEAD_KEY bytes */
	char fleet[17];              /* 16 hex digits */
};

enum cluster_type {
	CLUSTER_REVOCATION,          /* K: t, j or s */
	CLUSTER_ROTATION,            /* K: k */
};

struct cluster_record {
	enum cluster_type type;
	char origin[AG_CLUSTER_NAME_MAX + 1];
	enum revoke_kind kind;       /* a revocation's */
	double at;                   /* revoked at, seconds (ms grid); a
				      * rotation's activation instant
				      * (whole seconds) */
	char kid[AG_KID_MAX + 1];    /* a rotation's key: its kid (and
				      * name) and algorithm */
	const struct alg *alg;
	const uint8_t *value;        /* a revoked value; a rotation's key
				      * file text (in the caller's locked
				      * memory, which it zeroes) */
	size_t len;
};

enum cluster_verdict {
	CLUSTER_REC_OK = 0,
	CLUSTER_REC_MALFORMED,
	CLUSTER_REC_OTHER_FLEET,     /* another fleet key's */
	CLUSTER_REC_BAD_MAC,         /* forged or altered */
	CLUSTER_REC_BAD_SEAL,        /* a wrapped key that does not open:
				      * forged or altered */
};

/* The keys of the fleet key key[0..n) (AG_CLUSTER_KEY_MIN to _MAX
 * bytes). */
int cluster_keys_derive(struct cluster_keys *k, const uint8_t *key,
			size_t n, struct ag_error *e);
void cluster_keys_drop(struct cluster_keys *k);
/* 1 if s[0..n) may name a host of the fleet: [A-Za-z0-9._-], 1 to
 * AG_CLUSTER_NAME_MAX. */
int cluster_name_ok(const char *s, size_t n);
/* Appends r's line (no newline) to b; -1 if r is not one to send or b
 * is full.  A rotation's key is sealed under a fresh random nonce. */
int cluster_record_encode(const struct cluster_keys *k,
			  const struct cluster_record *r, struct buf *b);
/* Checks and decodes line[0..n) (outside bytes: any of them); the value
 * (a rotation's key file text) goes to val (CLUSTER_VALUE_CAP bytes,
 * locked memory) and r->value points to it.  Anything but CLUSTER_REC_OK
 * leaves r and val empty. */
enum cluster_verdict cluster_record_decode(const struct cluster_keys *k,
					   const char *line, size_t n,
					   struct cluster_record *r,
					   uint8_t *val);
const char *cluster_verdict_name(enum cluster_verdict v);

/* ------------------------------------------------------------ the fleet */

/* Installs the key of a rotation record r (this host's or another's):
 * 0 installed, 1 nothing to do (held already, or superseded long ago),
 * -1 refused with *e.  daemon/server.c's, on the loop. */
typedef int cluster_install_fn(const struct cluster_record *r,
			       struct ag_error *e);

/* Reads the fleet key and the password, the state and the outbox, and
 * starts connecting to Redis.  Without [cluster], 0 and nothing.  After
 * revoke_open: a record read applies through revoke_apply, a rotation
 * through install. */
int cluster_start(struct ev_loop *loop, const struct config *cfg,
		  cluster_install_fn *install, struct ag_error *e);
void cluster_stop(void);
/* This host's name in the fleet, or NULL without [cluster]. */
const char *cluster_name(void);

/* A revocation just put in force here: to the outbox, synced, and on to
 * Redis.  0, or -1 with *e (AG_E_STATE) if the outbox could not take it
 * (it is sent all the same while the daemon runs).  Without [cluster], 0. */
int cluster_publish(enum revoke_kind k, const char *value, size_t n,
		    double at, struct ag_error *e);

/* A key made here for the whole fleet (agauthctl rotate --cluster), its
 * file's text[0..n), primary everywhere from at (whole seconds): sealed
 * into a rotation record, to the outbox, synced, and on to Redis; kept as
 * the latest rotation.  0, or -1 with *e (AG_E_STATE) if the outbox could
 * not take it (it is sent all the same while the daemon runs). */
int cluster_rotate(const char *kid, const struct alg *alg, double at,
		   const uint8_t *text, size_t n, struct ag_error *e);

struct cluster_stats {
	int enabled, connected;
	char last_id[48];            /* the last stream id applied */
	uint64_t outbox;             /* records Redis has not taken yet */
	uint64_t applied, refused;   /* records from the stream */
	double lag_ms;               /* from the last applied record's XADD
				      * (Redis's clock) to its application */
};
void cluster_stats(struct cluster_stats *s);

#endif
