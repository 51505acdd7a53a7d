/* attach.c - attach(handle, cb): the blocking `cache` round trip (and the
 * connection and hello before it, the first time) on a worker thread. */
#include "addon.h"

#include <string.h>

/* worker thread: touches nothing but h->a and h->attach_err, which the
 * loop thread leaves alone while h->busy */
static void attach_execute(napi_env env, void *data)
{
	struct addon_handle *h = data;

	(void)env;
	if (h->a == NULL) {
		h->a = agauth_open(h->path, &h->attach_err);
		if (h->a == NULL)
			return;
		if (h->timeout_ms > 0)
			agauth_set_timeout(h->a, h->timeout_ms);
	}
	agauth_cache_attach(h->a, &h->attach_err);
}

static void attach_complete(napi_env env, napi_status status, void *data)
{
	struct addon_handle *h = data;
	napi_value cb = NULL, arg, global;
	int call;

	h->busy = 0;
	napi_delete_async_work(env, h->work);
	h->work = NULL;
	if (status != napi_ok && h->attach_err.status == AGAUTH_OK) {
		h->attach_err.status = AGAUTH_UNREACHABLE;
		strcpy(h->attach_err.code, "AG_E_CONNECT");
		strcpy(h->attach_err.name, "AgauthError");
		strcpy(h->attach_err.message, "the cache attach was cancelled");
	}
	h->attached = !h->closed && h->attach_err.status == AGAUTH_OK;
	call = !h->finalized &&
	       napi_get_reference_value(env, h->cb, &cb) == napi_ok &&
	       cb != NULL;
	napi_delete_reference(env, h->cb);
	h->cb = NULL;
	if (call && napi_get_global(env, &global) == napi_ok) {
		if (h->attached)
			napi_get_null(env, &arg);
		else
			arg = addon_error_object(env, &h->attach_err);
		if (arg != NULL)
			napi_call_function(env, global, cb, 1, &arg, NULL);
	}
	addon_release(h);
}

napi_value addon_attach(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2], name, res;
	napi_valuetype t;
	struct addon_handle *h;

	h = addon_args(env, info, argv, &argc);
	if (h == NULL)
		return NULL;
	if (argc < 2 || napi_typeof(env, argv[1], &t) != napi_ok ||
	    t != napi_function) {
		napi_throw_type_error(env, NULL, "agauthd addon: attach needs "
				      "a callback");
		return NULL;
	}
	if (h->busy || h->closed) {
		ADDON_TRY(env, napi_get_boolean(env, false, &res), NULL);
		return res;
	}
	memset(&h->attach_err, 0, sizeof h->attach_err);
	h->attached = 0;
	ADDON_TRY(env, napi_create_string_utf8(env, "agauthd:attach",
					       NAPI_AUTO_LENGTH, &name), NULL);
	ADDON_TRY(env, napi_create_reference(env, argv[1], 1, &h->cb), NULL);
	if (addon_failed(env, napi_create_async_work(env, NULL, name,
			 attach_execute, attach_complete, h, &h->work),
			 "async work") ||
	    addon_failed(env, napi_queue_async_work(env, h->work), "queue")) {
		napi_delete_reference(env, h->cb);
		h->cb = NULL;
		if (h->work != NULL)
			napi_delete_async_work(env, h->work);
		h->work = NULL;
		return NULL;
	}
	h->busy = 1;
	ADDON_TRY(env, napi_get_boolean(env, true, &res), NULL);
	return res;
}
