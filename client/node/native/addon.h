/*
 * addon.h - the N-API addon of the agauthd npm package: agauthd's
 * shared-memory cache in this process, one mapping per AuthEngine.  It
 * speaks no protocol: JavaScript encodes the hello and cache requests and
 * decodes the replies (lib/cache.js, with lib/frames.js); the addon only
 * sends them off the event loop (napi async work: a blocking round trip)
 * and receives the cache's descriptor that comes with the reply, maps it,
 * and answers lookups on the loop from the mapping, without a system
 * call.  So it needs nothing but libc (and the process's own SHA-256).
 *
 * JavaScript sees (client/node/lib/cache.js wraps it):
 *
 *   open(socketPath, timeoutMs) -> handle (no I/O); timeoutMs bounds the
 *                                  attach's connect, send and receive
 *                                  (0: none)
 *   attach(handle, request, cb) -> false if an attach already runs; sends
 *                                  request (a Buffer of frames) on a new
 *                                  connection, then cb(null, replies) with
 *                                  the bytes of the first two reply frames
 *                                  (fewer if agauthd hung up), or
 *                                  cb({status, code, name, message}); the
 *                                  descriptor that came is kept for map()
 *   map(handle, instance)       -> null once the kept descriptor is mapped
 *                                  and is the cache `instance` (a BigInt)
 *                                  agauthd named, else {status, code, name,
 *                                  message}; lookups answer from then on
 *   lookup(handle, token, opts, text)
 *                               -> 0 miss, 2 rejected (lastError), 3 stale
 *                                  (attach again), 4 detached (no cache, or
 *                                  an attach runs); a hit is the payload's
 *                                  JSON text, or [payload, header, kid]
 *                                  when opts ask for complete: true; with
 *                                  text false, a hit is 1 (nothing decoded)
 *   lastError(handle)           -> {code, name, message, date?} of the last
 *                                  rejection
 *   close(handle)               -> lets the handle and its mapping go (at
 *                                  the end of an attach that still runs)
 */
#ifndef AGAUTHD_NODE_ADDON_H
#define AGAUTHD_NODE_ADDON_H

#define NAPI_VERSION 8
#include <node_api.h>

#include "client/lib/agauth.h"
#include "client/lib/cacheread.h"
#include "shared/limits.h"

/* lookup's answers that are not hits */
enum addon_answer {
	ADDON_MISS = AGAUTH_CACHE_MISS,
	ADDON_REJECTED = AGAUTH_CACHE_REJECTED,
	ADDON_STALE = AGAUTH_CACHE_STALE,
	ADDON_DETACHED = 4,
};

struct addon_handle {
	char path[108];
	int timeout_ms;              /* for the attach's I/O; 0: none */
	struct cacheread cr;         /* the mapping lookups read */
	int busy;                    /* an attach runs on a worker thread */
	int attached;                /* mapped by the last attach */
	int closed;                  /* close() or the finalizer came */
	int finalized;               /* the JavaScript handle is gone */
	/* the attach's exchange: the worker's while busy */
	unsigned char req[AG_ADDON_EXCHANGE_MAX];
	size_t req_len;
	unsigned char rep[AG_ADDON_EXCHANGE_MAX];
	size_t rep_len;
	int rfd;                     /* the descriptor that came, or -1 */
	napi_async_work work;
	napi_ref cb;
	struct agauth_error attach_err;  /* the worker's result */
	struct agauth_error last;        /* the last rejection */
};

/* Throws a JavaScript Error unless status is napi_ok: returns 1 if it
 * threw. */
int addon_failed(napi_env env, napi_status status, const char *what);
#define ADDON_TRY(env, call, ret) \
	do { if (addon_failed((env), (call), #call)) return (ret); } while (0)

/* The handle behind a JavaScript handle, or NULL (having thrown). */
struct addon_handle *addon_handle_of(napi_env env, napi_value v);
/* A call's arguments (up to *argc, into argv) and the handle its first
 * one names, or NULL (having thrown). */
struct addon_handle *addon_args(napi_env env, napi_callback_info info,
				napi_value *argv, size_t *argc);
/* Closes the descriptor an attach kept, if any. */
void addon_drop_fd(struct addon_handle *h);
/* Lets the mapping and a kept descriptor go once no attach runs; frees
 * h too once the JavaScript handle was finalized. */
void addon_release(struct addon_handle *h);

/* An {code, name, message[, date]} object for an agauth_error. */
napi_value addon_error_object(napi_env env, const struct agauth_error *e);

napi_value addon_attach(napi_env env, napi_callback_info info);
napi_value addon_map(napi_env env, napi_callback_info info);
napi_value addon_lookup(napi_env env, napi_callback_info info);
napi_value addon_last_error(napi_env env, napi_callback_info info);

#endif
