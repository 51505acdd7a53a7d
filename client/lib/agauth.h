/*
 * agauth.h - libagauth, the C client of agauthd, the key-holding JWT
 * daemon.  A program signs and verifies JSON Web Tokens by asking the
 * daemon over its Unix socket; it never sees a key.  Tokens, payloads,
 * errors and messages are those of jsonwebtoken 9.
 *
 * Build with `pkg-config --cflags --libs agauth`.
 *
 * Threads: an agauth_t is not thread-safe.  Use one handle per thread (or
 * hold a lock around every call on a shared one); different handles are
 * independent of each other, each with its own cache mapping.
 *
 * Memory: every char * and every buffer this library hands back is
 * malloc'd and belongs to the caller, who frees it with free() (or with
 * agauth_verified_free, agauth_reply_free or agauth_event_free for the
 * structures).  On failure the outputs are set to NULL (or zeroed), so
 * freeing them is always safe.
 *
 * Errors: every call that can fail fills a struct agauth_error (err may be
 * NULL) and returns its status.  For a token the daemon rejected, `name`
 * and `message` are exactly jsonwebtoken's ("TokenExpiredError",
 * "jwt expired") and `date` is the error's expiredAt / date in seconds.
 *
 * Connection loss: a handle whose connection broke reconnects by itself
 * (and says hello again) on its next request.  A request that was in
 * flight when the connection broke completes with AGAUTH_UNREACHABLE,
 * "connection to agauthd lost": it is never answered wrongly and never
 * sent twice, since it may have reached the daemon.
 *
 * Cache: after agauth_cache_attach, verifications of tokens agauthd has
 * verified or signed before are answered from its shared-memory cache,
 * in the calling process, with the same results and errors
 * (docs/cache.md).
 */
#ifndef AGAUTH_H
#define AGAUTH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where agauth_open looks when socket_path is NULL: this environment
 * variable, then the default path. */
#define AGAUTH_SOCKET_ENV       "AGAUTHD_SOCKET"
#define AGAUTH_SOCKET_DEFAULT   "/run/agauthd/agauthd.sock"

/* Milliseconds a connect, a hello or a blocking call may take. */
#define AGAUTH_TIMEOUT_DEFAULT  30000

enum agauth_status {
	AGAUTH_OK = 0,
	AGAUTH_INVALID,      /* JsonWebTokenError; TypeError, SyntaxError and
				Error from verify */
	AGAUTH_EXPIRED,      /* TokenExpiredError (exp, maxAge) */
	AGAUTH_NOT_BEFORE,   /* NotBeforeError */
	AGAUTH_SIGN_ERROR,   /* Error, TypeError, ... from sign */
	AGAUTH_REFUSED,      /* AgauthError: unauthorized, busy, bad request,
				limits, keyring, out of memory */
	AGAUTH_UNREACHABLE,  /* cannot connect, connection lost, timeout,
				a reply that breaks the protocol */
	AGAUTH_USAGE,        /* bad arguments to this library */
	AGAUTH_NO_EVENT,     /* agauth_watch_next only: no event within the
				timeout; not an error, the watch goes on */
};

struct agauth_error {
	enum agauth_status status;
	char code[40];       /* the daemon's symbolic code: "AG_E_EXPIRED" */
	char name[32];       /* the JavaScript class: "TokenExpiredError";
				"AgauthError" for agauthd's own failures */
	char message[512];   /* jsonwebtoken's message, word for word */
	int has_date;
	double date;         /* seconds since the epoch: expiredAt of
				TokenExpiredError, date of NotBeforeError */
};

/* A short description of a status ("token expired"); never NULL. */
const char *agauth_strerror(enum agauth_status status);

/* The release of agauthd this library belongs to, "X.Y.Z": the number
 * agauthd --version and the npm package carry too. */
const char *agauth_version(void);

typedef struct agauth agauth_t;

/*
 * Connects to agauthd at socket_path (NULL: $AGAUTHD_SOCKET, else
 * AGAUTH_SOCKET_DEFAULT) and says hello.  Returns NULL with *err filled
 * if the daemon cannot be reached or refuses the client.
 */
agauth_t *agauth_open(const char *socket_path, struct agauth_error *err);
/* Closes the connection and frees the handle (NULL is fine).  Requests
 * still in flight are dropped without completing. */
void agauth_close(agauth_t *a);
/* Milliseconds a connect, a hello or a blocking call may wait for the
 * daemon before it fails with AGAUTH_UNREACHABLE; 0 waits forever. */
void agauth_set_timeout(agauth_t *a, int ms);

/*
 * Blocking calls.  Each sends one request and waits for its reply.  They
 * need a handle with no pipelined request in flight (agauth_inflight()
 * is 0); otherwise they fail with AGAUTH_USAGE.
 */
enum agauth_status agauth_ping(agauth_t *a, struct agauth_error *err);

/*
 * Signs the payload (JSON text: an object, or a string, number or boolean
 * as jsonwebtoken allows) with the daemon's primary key.  opts_json is
 * the JSON text of jsonwebtoken's sign options, or NULL.  *token gets
 * the token; *added_json (if added_json is not NULL) the JSON object of
 * the claims sign added (iat, nbf, exp, aud, iss, sub, jti).
 */
enum agauth_status agauth_sign(agauth_t *a, const char *payload_json,
			       const char *opts_json, char **token,
			       char **added_json, struct agauth_error *err);

/* What a successful verify returns.  payload and header are
 * NUL-terminated copies (their lengths exclude the NUL). */
struct agauth_verified {
	int is_json;         /* payload is JSON text; 0: a plain string */
	char *payload;
	size_t payload_len;
	char *header;        /* the token's header, JSON text; NULL unless
				opts_json asked for complete: true */
	size_t header_len;
	char kid[68];        /* the key that verified it, "" if it has none */
};

/*
 * Verifies token.  opts_json is the JSON text of jsonwebtoken's verify
 * options (algorithms, audience, issuer, maxAge, ...), or NULL.
 */
enum agauth_status agauth_verify(agauth_t *a, const char *token,
				 const char *opts_json,
				 struct agauth_verified *out,
				 struct agauth_error *err);
/* Frees what agauth_verify put in v and zeroes it. */
void agauth_verified_free(struct agauth_verified *v);

/* The keyring as a JSON array of {kid, alg, state, created, retire}
 * (never key material). */
enum agauth_status agauth_keys(agauth_t *a, char **json,
			       struct agauth_error *err);
/* Reloads the keyring; *generation (if not NULL) gets the new one. */
enum agauth_status agauth_reload(agauth_t *a, uint64_t *generation,
				 struct agauth_error *err);
/* Makes a new primary key of algorithm alg (NULL: the current primary's);
 * *kid (if not NULL) gets its key id. */
enum agauth_status agauth_rotate(agauth_t *a, const char *alg, char **kid,
				 struct agauth_error *err);
/* The same for every host of a fleet ([cluster]): the key is made here,
 * sent sealed to the others through Redis, verifies everywhere at once
 * and is primary everywhere activate_in seconds from now (< 0: agauthd's
 * default, 10 s; at most 7 days).  *kid and *activate (the instant,
 * seconds since the epoch) if not NULL. */
enum agauth_status agauth_rotate_cluster(agauth_t *a, const char *alg,
					 double activate_in, char **kid,
					 double *activate,
					 struct agauth_error *err);
/* The daemon's counters as a JSON object. */
enum agauth_status agauth_stats(agauth_t *a, char **json,
				struct agauth_error *err);
/* The daemon's figures as Prometheus text exposition (format 0.0.4),
 * for a scrape endpoint of the caller's own; needs the metrics right. */
enum agauth_status agauth_metrics(agauth_t *a, char **text,
				  struct agauth_error *err);
/* The JWK Set (RFC 7517) of the public RS, PS and ES keys that verify
 * now, as JSON text {"keys":[...]}; never a secret (HMAC keys are left
 * out) and never a private member. */
enum agauth_status agauth_jwks(agauth_t *a, char **json,
			       struct agauth_error *err);

/*
 * The verified-token cache.  agauth_cache_attach asks agauthd for its
 * cache (the `cache` request: the peer needs the verify right) and maps
 * it read-only; the handle keeps the mapping until agauth_close.  From
 * then on agauth_verify answers a token the cache holds without a system
 * call: the payload decoded from the caller's token, the kid of the key
 * that verified it, the header with complete: true, and for options that
 * refuse it exactly the error agauthd would give.  Anything else (a
 * token not in the cache, options that are not a JSON object) goes to
 * agauthd as before.
 *
 * When the mapped daemon is gone (the cache says so within two seconds,
 * or a reconnect's hello names another cache), the handle re-attaches
 * once per call; if that fails the call simply asks agauthd.  The
 * re-attach is a blocking round trip, so it is left out while pipelined
 * requests are in flight (lookups miss meanwhile).
 *
 * Returns AGAUTH_REFUSED with agauthd's error if the cache is off
 * (AG_E_NO_CACHE) or the peer may not verify (AG_E_UNAUTHORIZED), and
 * AGAUTH_UNREACHABLE if no usable descriptor came.  On failure the handle
 * has no cache (one attached before is let go) and verifies through the
 * daemon.  Like the other blocking calls it needs agauth_inflight() == 0.
 */
enum agauth_status agauth_cache_attach(agauth_t *a, struct agauth_error *err);

/*
 * The cache's answer without asking agauthd, for the pipelined interface
 * below (agauth_verify does this by itself):
 *
 *   AGAUTH_CACHE_MISS      0: not answered (no cache attached, token not
 *                          in it, options that do not parse, ...);
 *                          submit a verify.  *out is empty, *err success.
 *   AGAUTH_CACHE_VALID     1: verified: *out is filled as agauth_verify
 *                          fills it (out may be NULL); *err is success.
 *   AGAUTH_CACHE_REJECTED  2: agauthd verified the token but opts_json
 *                          refuses it: *err holds the error agauth_verify
 *                          would return (TokenExpiredError, audience,
 *                          ...); *out is empty.
 *
 * Never sends a request, except to re-attach (see above), which it does
 * only with nothing in flight.
 */
enum agauth_cache_answer {
	AGAUTH_CACHE_MISS = 0,
	AGAUTH_CACHE_VALID = 1,
	AGAUTH_CACHE_REJECTED = 2,
	AGAUTH_CACHE_STALE = 3,    /* agauth_cache_peek only */
};
int agauth_cache_lookup(agauth_t *a, const char *token, const char *opts_json,
			struct agauth_verified *out, struct agauth_error *err);

/*
 * agauth_cache_lookup for programs that attach the cache in another
 * thread than they look up (the Node addon attaches off its event loop):
 * it only reads the mapping.  It never sends a request, never re-attaches
 * (so it never blocks), and counts nothing (the caller reports its own
 * hits and misses).  Besides MISS, VALID and REJECTED it answers
 *
 *   AGAUTH_CACHE_STALE     3: the attached cache's daemon stopped or went
 *                          silent: call agauth_cache_attach (it
 *                          reconnects if need be) before peeking again;
 *                          ask agauthd meanwhile.
 *
 * It touches nothing agauth_cache_attach changes but the mapping: the
 * caller must not peek while an attach runs on the handle.
 */
int agauth_cache_peek(agauth_t *a, const char *token, const char *opts_json,
		      struct agauth_verified *out, struct agauth_error *err);

/*
 * Hits and misses: a handle counts the verifications its cache answered
 * (VALID and REJECTED alike) and the verifies it sent to agauthd while a
 * cache was attached, and reports them with its next request of any kind
 * (agauthd's stats: cache_hits, cache_misses).  A program that only hits
 * sends nothing: agauth_ping reports the counts explicitly, and counts
 * not yet reported are lost at agauth_close.
 */

/*
 * Revokes, for good, one token (kind "token", value: the whole token;
 * every token with its header.payload, whatever its signature's spelling),
 * every token with this jti ("jti"), or every token of this subject
 * issued up to now ("sub", also spelled "subject": the configured
 * subject claim equals value; docs/operations.md, "Revocation").  Needs
 * the sign right.  The revocation is in force, in agauthd and in every
 * attached cache, when this returns; *purged (if not NULL) gets the
 * number of cache entries it removed.
 *
 * AGAUTH_REFUSED with code AG_E_STATE means agauthd could not write the
 * revocation to its state directory: it is in force all the same, until
 * agauthd restarts (err->message says why; a later successful revoke
 * writes it too).  *purged is then 0.
 */
enum agauth_status agauth_revoke(agauth_t *a, const char *kind,
				 const char *value, uint64_t *purged,
				 struct agauth_error *err);

/* What a revocation matched. */
struct agauth_revoked {
	uint64_t purged;     /* cache entries it removed */
	int live;            /* 1: agauthd knew of a live token it withdraws
				(one its cache held, or, kind "token", the
				token itself, not expired); 0: it matched no
				live token agauthd knows of - most often a
				misspelled subject, or one kept in a claim
				that [revocation] subject_claims does not
				list.  In force all the same. */
	double at;           /* when it was put in force, seconds since the
				epoch (0 from an agauthd that does not say) */
};

/* agauth_revoke, telling what it matched in *out (if not NULL; zeroed
 * unless AGAUTH_OK). */
enum agauth_status agauth_revoke_report(agauth_t *a, const char *kind,
					const char *value,
					struct agauth_revoked *out,
					struct agauth_error *err);

/*
 * Revocation events.  agauth_watch turns the handle into a watcher
 * (blocking; needs the verify right): from then on its connection
 * carries only events, and every other call on it fails with
 * AGAUTH_USAGE.  agauth_watch_next waits up to timeout_ms (< 0: forever;
 * 0: only what has arrived) for the next revocation made by anyone:
 *
 *   AGAUTH_OK           *ev filled; free it with agauth_event_free
 *   AGAUTH_NO_EVENT     none came in time; call again
 *   AGAUTH_UNREACHABLE  the connection broke, agauthd dropped the watch
 *                       (code AG_E_REWATCH: its events went unread, see
 *                       [limits] watch_output), or agauthd sent something
 *                       that is not an event (AGAUTH_REFUSED: no memory
 *                       for one).  The watch is over: the handle is no
 *                       longer a watcher, and agauth_watch on it again
 *                       reconnects.  Revocations made while no connection
 *                       watched are not replayed: after a re-watch,
 *                       re-check the sessions you hold.
 *   AGAUTH_USAGE        the handle does not watch (ev NULL, or never
 *                       agauth_watch)
 *
 * agauth_fd() becomes readable when an event may be there.
 */
struct agauth_event {
	char kind[8];        /* "token", "jti" or "subject" */
	char *value;         /* the token, jti or subject (NUL-terminated;
				value_len excludes the NUL) */
	size_t value_len;
	double at;           /* when it was revoked, seconds since the epoch */
};

/* The host of the fleet a revocation was made on ([cluster] name of
 * agauthd.conf), or "" from an agauthd outside a fleet. */
const char *agauth_event_origin(const struct agauth_event *ev);

enum agauth_status agauth_watch(agauth_t *a, struct agauth_error *err);
enum agauth_status agauth_watch_next(agauth_t *a, struct agauth_event *ev,
				     int timeout_ms, struct agauth_error *err);
/* Frees what agauth_watch_next put in ev and zeroes it. */
void agauth_event_free(struct agauth_event *ev);

/*
 * Pipelined, non-blocking interface for programs with their own event
 * loop:
 *
 *   1. agauth_submit_*() queues a request and returns its id (never 0),
 *      or 0 with *err filled.  It writes nothing; call agauth_flush().
 *      If the handle has no connection, submit reconnects first, which
 *      blocks for at most the timeout (connect and hello).
 *   2. agauth_flush() writes what the socket takes without blocking:
 *      1 if output remains (wait until agauth_fd() is writable, then
 *      flush again), 0 when everything is written, -1 if the connection
 *      is broken.
 *   3. When agauth_fd() is readable (or after a flush returned -1), call
 *      agauth_complete() until it returns 0 or -1: 1 with one reply in
 *      *r, 0 when no complete reply is buffered, -1 when the connection
 *      is broken and every request it carried has been completed.
 *
 * Replies come in completion order, not submission order: match them by
 * id (and udata, which is handed back untouched).  When the connection
 * breaks, each request that was in flight completes with
 * AGAUTH_UNREACHABLE.  agauth_fd() is -1 while there is no connection and
 * may be a different descriptor after a reconnect: look it up again
 * after every submit that followed a -1.  The descriptor is non-blocking;
 * do not read, write or close it yourself.
 *
 * With a cache attached, call agauth_cache_lookup before
 * agauth_submit_verify: submit only on AGAUTH_CACHE_MISS.
 */
enum agauth_op {
	AGAUTH_OP_PING = 1,
	AGAUTH_OP_SIGN,
	AGAUTH_OP_VERIFY,
	AGAUTH_OP_KEYS,
	AGAUTH_OP_RELOAD,
	AGAUTH_OP_ROTATE,
	AGAUTH_OP_STATS,
};

struct agauth_reply {
	uint64_t id;
	void *udata;
	enum agauth_op op;
	enum agauth_status status;
	struct agauth_error error;        /* when status != AGAUTH_OK */
	char *token;                      /* sign */
	char *added;                      /* sign: JSON object text */
	struct agauth_verified verified;  /* verify */
};

int agauth_fd(agauth_t *a);
uint64_t agauth_submit_ping(agauth_t *a, void *udata,
			    struct agauth_error *err);
uint64_t agauth_submit_sign(agauth_t *a, const char *payload_json,
			    const char *opts_json, void *udata,
			    struct agauth_error *err);
uint64_t agauth_submit_verify(agauth_t *a, const char *token,
			      const char *opts_json, void *udata,
			      struct agauth_error *err);
int agauth_flush(agauth_t *a);
int agauth_complete(agauth_t *a, struct agauth_reply *r);
/* Frees what agauth_complete put in r and zeroes it. */
void agauth_reply_free(struct agauth_reply *r);
/* Requests submitted and not yet returned by agauth_complete. */
size_t agauth_inflight(agauth_t *a);

#ifdef __cplusplus
}
#endif

#endif
