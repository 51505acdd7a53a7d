/*
 * limits.h - every size, count and depth bound agauthd enforces.
 *
 * One place, so that a reviewer can see at a glance how much memory and
 * time any single input may cost.  Every parser checks against these before
 * it allocates or copies.
 */
#ifndef AG_LIMITS_H
#define AG_LIMITS_H

/* A compact JWS as a worker hands it in.  SocketCluster tokens are a few
 * hundred bytes; 16 KiB leaves room for fat payloads and RSA-4096 signatures
 * while bounding the work a hostile token can cause. */
#define AG_TOKEN_MAX            16384

/* Payload JSON text accepted for signing (before base64url). */
#define AG_PAYLOAD_MAX          12288

/* Options object (jsonwebtoken's sign/verify options, as JSON text). */
#define AG_OPTS_MAX             4096

/* JSON structure: tokens (values + keys) per document and nesting depth.
 * The parser is iterative with a stack of this depth; the bound also
 * protects the walkers and the stringifier, which recurse once per level. */
#define AG_JSON_MAX_TOKENS      1024
#define AG_JSON_MAX_DEPTH       32

/* A JOSE header is a handful of members; options objects a few dozen. */
#define AG_HDR_MAX_TOKENS       64
#define AG_OPTS_MAX_TOKENS      256

/* Key identifiers: printable, short, never a path. */
#define AG_KID_MAX              64

/* Key material read from a file or handed to the engine. */
#define AG_KEY_MAX              16384

/* HMAC secrets: refuse empty and absurd ones. */
#define AG_SECRET_MIN           1
#define AG_SECRET_MAX           4096

/* RSA modulus bounds in bits; jsonwebtoken 9 refuses < 2048 for signing. */
#define AG_RSA_MIN_BITS         2048
#define AG_RSA_MAX_BITS         8192

/* Wire protocol (docs/protocol.md).  A frame's length is checked against
 * the configured max_frame, which may not exceed the hard limit. */
#define AG_FRAME_DEFAULT        65536
#define AG_FRAME_HARD_MAX       (1024 * 1024)
/* msgpack nesting a request or reply may use */
#define AG_PROTO_MAX_DEPTH      8

/* Connections: defaults for the configurable per-connection bounds. */
#define AG_CONN_MAX_DEFAULT     16384
#define AG_INFLIGHT_DEFAULT     256
#define AG_OUTPUT_DEFAULT       (1024 * 1024)
#define AG_IDLE_TIMEOUT_DEFAULT 300
#define AG_FRAME_TIMEOUT_DEFAULT 10

/* Clients (libagauth): requests one handle may have in flight, queued
 * request bytes, and the read size. */
#define AG_CLIENT_INFLIGHT_MAX  65536
#define AG_CLIENT_OUTPUT_MAX    (16 * AG_FRAME_HARD_MAX)
#define AG_CLIENT_READ_CHUNK    65536
/* The Node addon's cache attach (client/node/native/attach.c): its hello
 * and cache requests together, and the replies to them (a few hundred
 * bytes; more is not agauthd). */
#define AG_ADDON_EXCHANGE_MAX   4096

/* Keyring: keys in one keyring, and keys one kid-less token may be tried
 * against (each try is a full signature check). */
#define AG_KEYRING_MAX          64
#define AG_KEYRING_TRY_MAX      8
/* The keyring manifest, read whole before it is parsed: 64 keys take a
 * few KiB, comments the rest. */
#define AG_MANIFEST_MAX         (256 * 1024)

/* Crypto pool: threads and queued jobs before requests get AG_E_BUSY.
 * Each thread's stack is locked memory (daemon/engine/secmem.h): mbedTLS leaves
 * private key bytes in its locals. */
#define AG_POOL_THREADS_MAX     64
#define AG_POOL_QUEUE_DEFAULT   4096
#define AG_POOL_STACK           (256 * 1024)
/* Under a backlog of quick jobs (verifies) a crypto thread hands its
 * results to the loop in batches: one wakeup of the loop, and one send
 * per client, for up to AG_POOL_BATCH results, none held longer than
 * AG_POOL_HOLD_NS plus the quick job running (daemon/pool.c). */
#define AG_POOL_BATCH           16
#define AG_POOL_HOLD_NS         100000
/* A connection whose one read brought a long pipeline has the replies
 * ready so far sent every AG_CONN_SEND_EVERY requests it takes, not all
 * at the end of the pass: the client refills its pipeline while the
 * rest are answered, instead of the two sides taking turns
 * (daemon/conn.c; bench/NOTES.md has the A/B). */
#define AG_CONN_SEND_EVERY      16
/* glibc malloc arenas for all of agauthd's threads.  By default each
 * crypto thread gets one of its own (up to 8 per CPU), some 170 KiB
 * resident apiece; the threads allocate little (a job's reply and its
 * scratch), and their per-thread caches keep them off the arena's
 * lock. */
#define AG_MALLOC_ARENAS        1

/* Locked memory for key material (daemon/engine/secmem.h): the region reserved
 * for it, which bounds every key, key file buffer and mbedTLS temporary
 * held at once (64 RSA-8192 keys take about 2 MiB, a signature's
 * temporaries some 40 KiB per thread); the step it is committed and
 * locked in; and how much is committed and locked at start, while
 * agauthd is root and RLIMIT_MEMLOCK does not bind it. */
#define AG_SECMEM_MAX           (16 * 1024 * 1024)
#define AG_SECMEM_CHUNK         (64 * 1024)
#define AG_SECMEM_PRELOCK       (256 * 1024)

/* The OpenSSL backend (daemon/engine/crypto_openssl.c): operation slots
 * per key (a thread takes a free one, with its own ready contexts and,
 * for RSA, its own copy of the key, so no sign or verify waits on
 * another; beyond this many at once a thread makes a context for the one
 * operation); and its secure heap for private keys, sized at start as
 * keys x copies x AG_SECURE_KEY_BYTES (an RSA-8192 key's six private
 * bignums take 3.5 KiB, and the heap hands out powers of two) plus
 * AG_SECURE_LOAD_BYTES for the decoded DER of a key being loaded.  Keys
 * are bounded by two keyrings (a reload holds the old and the new), and
 * the secure heap by AG_SECURE_MAX. */
#define AG_CRYPTO_SLOTS         4
#define AG_SECURE_KEY_BYTES     8192
#define AG_SECURE_LOAD_BYTES    (4 * AG_KEY_MAX)
#define AG_SECURE_KEYS          (2 * AG_KEYRING_MAX)
#define AG_SECURE_MAX           (64 * 1024 * 1024)

/* Shared-memory cache (docs/cache.md): file size bounds, and the slot
 * size, which bounds the longest signing input (header.payload) a slot
 * holds (slot minus its 96-byte head; the signature is kept as a 32-byte
 * digest).  512-byte slots hold typical SocketCluster tokens of every
 * algorithm; 1M of them take 512 MiB. */
#define AG_CACHE_MIN            (64 * 1024)
#define AG_CACHE_MAX            (64ULL << 30)
#define AG_CACHE_DEFAULT        (64ULL << 20)
#define AG_CACHE_SLOT_DEFAULT   512
#define AG_CACHE_SLOT_MIN       256
#define AG_CACHE_SLOT_MAX       16384
/* The second class of slots, for signing inputs longer than a slot
 * holds: 4096 bytes (a 96-byte head, then up to 4000 bytes of
 * header.payload: a 2 KiB payload JSON is 2731 in base64url), taking
 * 1/16 of the file (4 MiB, 1024 entries, of the default 64 MiB). */
#define AG_CACHE_BIG_SLOT       4096
#define AG_CACHE_BIG_SHARE      16

/* [revocation] subject_claims: the payload claims a token's subject may
 * be in (the first one present wins), and the bytes of their list. */
#define AG_SUBJECT_CLAIMS_MAX   8
#define AG_SUBJECT_CLAIMS_LEN   (AG_SUBJECT_CLAIMS_MAX * (AG_KID_MAX + 1))

/* A sign that a subject revocation of the same second would cover waits
 * for the next second (daemon/job.c): at most this long (seconds), a
 * clock behind the revocation's is not waited out; and it wakes this
 * late after the second turns, so that the wall clock has. */
#define AG_RESIGN_WAIT_MAX      1.5
#define AG_RESIGN_MARGIN        0.002

/* The fleet ([cluster], daemon/cluster.h): a host's name, the fleet
 * key's bytes (least and most), a Redis address, key prefix and user,
 * the password file's bytes, records read at once from the stream, and
 * the reconnect backoff (seconds). */
#define AG_CLUSTER_NAME_MAX     64
#define AG_CLUSTER_KEY_MIN      32
#define AG_CLUSTER_KEY_MAX      64
#define AG_CLUSTER_ADDR_MAX     107
#define AG_CLUSTER_PREFIX_MAX   64
#define AG_CLUSTER_PASSWORD_MAX 512
#define AG_CLUSTER_READ_COUNT   512
#define AG_CLUSTER_RETRY_MIN    0.1
#define AG_CLUSTER_RETRY_MAX    2.0
/* XREAD BLOCK's wait (ms): a lost connection is noticed that late at
 * worst */
#define AG_CLUSTER_BLOCK_MS     1000
/* seconds after its block an XREAD may take before Redis counts as
 * gone */
#define AG_CLUSTER_STALL        2.0
/* records sent and not yet taken by Redis that are kept in memory (and
 * in the outbox file) */
#define AG_CLUSTER_OUTBOX_MAX   (1 << 20)
/* seconds between writes of cluster.state (the last id applied) */
#define AG_CLUSTER_SAVE_EVERY   1.0
/* refused records are logged at most once per this many seconds */
#define AG_CLUSTER_LOG_EVERY    10.0
/* A key sent across the fleet (rotate --cluster): its file's text (an
 * RSA-4096 key's PEM is about 3.3 KB) */
#define AG_CLUSTER_KEYFILE_MAX  8192
/* rotate --cluster: the new key is primary on every host this long after
 * the rotation unless told (seconds), and at most this long after */
#define AG_CLUSTER_ACTIVATE_IN  10
#define AG_CLUSTER_ACTIVATE_MAX (7 * 86400)

/* Revocations held (each record is one token, jti or subject) and the
 * longest value one may name (a whole token). */
#define AG_REVOKE_MAX           (1 << 20)
#define AG_REVOKE_VALUE_MAX     AG_TOKEN_MAX
/* Bytes of revocation records that wait to be written while the state
 * directory refuses them (each is in force meanwhile). */
#define AG_REVOKE_PENDING_MAX   (16 * 1024 * 1024)

/* Connections that may watch revocation events at once, and the bytes
 * of events all of them together may leave unread ([limits]
 * watch_output) before the one that has left the most is dropped and
 * told to watch again: without it, each watcher that never reads would
 * hold up to twice max_output plus a frame (3 GiB for 1,024). */
#define AG_WATCH_MAX            1024
#define AG_WATCH_OUTPUT_DEFAULT (16 * 1024 * 1024)

/* Log lines one call site may write a second when a peer can cause
 * them (a refusal per request); the rest are counted and told in one
 * line. */
#define AG_LOG_BURST            10

/* Bytes of a claim (kid, sub, jti) an audit line quotes (daemon/audit.h):
 * enough for any user name or id, bounded so that a line fits the log's
 * 1024 bytes with three of them escaped. */
#define AG_AUDIT_VALUE_MAX      96

/* The text a metrics or jwks reply carries (docs/protocol.md): every
 * outcome of every op takes some 60 KiB of metrics, 64 RSA-8192 keys
 * some 110 KiB of JWK Set; both stay well inside a frame. */
#define AG_TEXT_REPLY_MAX       (512 * 1024)

/* Error message buffer (messages quote option values, bounded here). */
#define AG_ERRMSG_MAX           512

/* The longest time span string the ms package parses. */
#define AG_TIMESPAN_MAX         100

#endif
