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

/* Error message buffer (messages quote option values, bounded here). */
#define AG_ERRMSG_MAX           512

/* The longest time span string the ms package parses. */
#define AG_TIMESPAN_MAX         100

#endif
