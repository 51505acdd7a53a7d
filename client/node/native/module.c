/* module.c - the addon's exports, and the life of its handles (see
 * addon.h). */
#include "addon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* marks our externals, so that no other external passes for a handle */
static const napi_type_tag addon_tag = {
	0x6167617574686421ULL, 0x6e6f64652d636163ULL
};

int addon_failed(napi_env env, napi_status status, const char *what)
{
	const napi_extended_error_info *info = NULL;
	bool pending = false;
	char msg[256];

	if (status == napi_ok)
		return 0;
	napi_is_exception_pending(env, &pending);
	if (!pending) {
		napi_get_last_error_info(env, &info);
		snprintf(msg, sizeof msg, "agauthd addon: %s: %s", what,
			 info != NULL && info->error_message != NULL ?
			 info->error_message : "failed");
		napi_throw_error(env, NULL, msg);
	}
	return 1;
}

struct addon_handle *addon_handle_of(napi_env env, napi_value v)
{
	bool tagged = false;
	void *p = NULL;

	/* the tag is on our externals only, and no script can set it */
	if (v == NULL ||
	    napi_check_object_type_tag(env, v, &addon_tag, &tagged) != napi_ok ||
	    !tagged) {
		napi_throw_type_error(env, NULL, "agauthd addon: not a handle");
		return NULL;
	}
	ADDON_TRY(env, napi_get_value_external(env, v, &p), NULL);
	return p;
}

struct addon_handle *addon_args(napi_env env, napi_callback_info info,
				napi_value *argv, size_t *argc)
{
	ADDON_TRY(env, napi_get_cb_info(env, info, argc, argv, NULL, NULL),
		  NULL);
	return addon_handle_of(env, *argc ? argv[0] : NULL);
}

void addon_drop_fd(struct addon_handle *h)
{
	if (h->rfd >= 0)
		close(h->rfd);
	h->rfd = -1;
}

void addon_release(struct addon_handle *h)
{
	if (h->busy)
		return;          /* the attach's completion comes back here */
	if (h->closed) {
		cacheread_free(&h->cr);
		addon_drop_fd(h);
		h->attached = 0;
	}
	if (h->finalized)
		free(h);
}

static void addon_finalize(napi_env env, void *data, void *hint)
{
	struct addon_handle *h = data;

	(void)env;
	(void)hint;
	h->closed = 1;
	h->finalized = 1;
	addon_release(h);
}

napi_value addon_error_object(napi_env env, const struct agauth_error *e)
{
	napi_value o, v;

	ADDON_TRY(env, napi_create_object(env, &o), NULL);
	ADDON_TRY(env, napi_create_int32(env, (int32_t)e->status, &v), NULL);
	ADDON_TRY(env, napi_set_named_property(env, o, "status", v), NULL);
	ADDON_TRY(env, napi_create_string_utf8(env, e->code, NAPI_AUTO_LENGTH,
					       &v), NULL);
	ADDON_TRY(env, napi_set_named_property(env, o, "code", v), NULL);
	ADDON_TRY(env, napi_create_string_utf8(env, e->name, NAPI_AUTO_LENGTH,
					       &v), NULL);
	ADDON_TRY(env, napi_set_named_property(env, o, "name", v), NULL);
	ADDON_TRY(env, napi_create_string_utf8(env, e->message,
					       NAPI_AUTO_LENGTH, &v), NULL);
	ADDON_TRY(env, napi_set_named_property(env, o, "message", v), NULL);
	if (e->has_date) {
		ADDON_TRY(env, napi_create_double(env, e->date, &v), NULL);
		ADDON_TRY(env, napi_set_named_property(env, o, "date", v), NULL);
	}
	return o;
}

/* open(socketPath, timeoutMs) -> handle */
static napi_value addon_open(napi_env env, napi_callback_info info)
{
	size_t argc = 2, n = 0;
	napi_value argv[2], ext;
	int32_t ms = 0;
	struct addon_handle *h;

	ADDON_TRY(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL),
		  NULL);
	h = calloc(1, sizeof *h);
	if (h == NULL) {
		napi_throw_error(env, NULL, "agauthd addon: out of memory");
		return NULL;
	}
	h->rfd = -1;
	if (argc < 1 ||
	    napi_get_value_string_utf8(env, argv[0], h->path, sizeof h->path,
				       &n) != napi_ok ||
	    n == 0 || n >= sizeof h->path - 1 || strlen(h->path) != n) {
		free(h);
		napi_throw_type_error(env, NULL, "agauthd addon: open needs a "
				      "socket path of 1 to 106 bytes");
		return NULL;
	}
	if (argc >= 2 && napi_get_value_int32(env, argv[1], &ms) == napi_ok &&
	    ms > 0)
		h->timeout_ms = ms;
	if (addon_failed(env, napi_create_external(env, h, addon_finalize,
						   NULL, &ext), "external")) {
		free(h);
		return NULL;
	}
	ADDON_TRY(env, napi_type_tag_object(env, ext, &addon_tag), NULL);
	return ext;
}

/* close(handle) */
static napi_value addon_close(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1];
	struct addon_handle *h;

	h = addon_args(env, info, argv, &argc);
	if (h == NULL)
		return NULL;
	h->closed = 1;
	addon_release(h);
	return NULL;
}

NAPI_MODULE_INIT()
{
	static const struct {
		const char *name;
		napi_callback fn;
	} fns[] = {
		{ "open", addon_open },
		{ "attach", addon_attach },
		{ "map", addon_map },
		{ "lookup", addon_lookup },
		{ "lastError", addon_last_error },
		{ "close", addon_close },
	};
	napi_value f;
	size_t i;

	for (i = 0; i < sizeof fns / sizeof *fns; i++) {
		ADDON_TRY(env, napi_create_function(env, fns[i].name,
						    NAPI_AUTO_LENGTH, fns[i].fn,
						    NULL, &f), NULL);
		ADDON_TRY(env, napi_set_named_property(env, exports,
						       fns[i].name, f), NULL);
	}
	return exports;
}
