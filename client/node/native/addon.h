/*
 * addon.h - the N-API addon of the agauthd npm package: one libagauth
 * handle per AuthEngine, used for nothing but agauthd's shared-memory
 * cache.  It attaches off the event loop (napi async work: the `cache`
 * request is a blocking round trip) and answers lookups on the loop with
 * agauth_cache_peek, which reads the mapping and never sends anything.
 *
 * JavaScript sees (client/node/lib/cache.js wraps it):
 *
 *   open(socketPath, timeoutMs) -> handle (no I/O); timeoutMs bounds each
 *                                  request of the handle once it is open
 *                                  (0: libagauth's default)
 *   attach(handle, cb)          -> false if an attach already runs;
 *                                  cb(null) attached, cb({status, code,
 *                                  name, message}) not
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

/* lookup's answers that are not hits */
enum addon_answer {
	ADDON_MISS = AGAUTH_CACHE_MISS,
	ADDON_REJECTED = AGAUTH_CACHE_REJECTED,
	ADDON_STALE = AGAUTH_CACHE_STALE,
	ADDON_DETACHED = 4,
};

struct addon_handle {
	char path[108];
	int timeout_ms;              /* for the handle's requests; 0: default */
	agauth_t *a;                 /* opened by the first attach */
	int busy;                    /* an attach runs on a worker thread */
	int attached;                /* the last attach succeeded */
	int closed;                  /* close() or the finalizer came */
	int finalized;               /* the JavaScript handle is gone */
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
/* Lets the libagauth handle go once no attach runs on it; frees h too
 * once the JavaScript handle was finalized. */
void addon_release(struct addon_handle *h);

/* An {code, name, message[, date]} object for an agauth_error. */
napi_value addon_error_object(napi_env env, const struct agauth_error *e);

napi_value addon_attach(napi_env env, napi_callback_info info);
napi_value addon_lookup(napi_env env, napi_callback_info info);
napi_value addon_last_error(napi_env env, napi_callback_info info);

#endif
