/* lookup.c - lookup(handle, token, opts, text): cacheread_peek on the
 * loop thread; lastError for what a rejection leaves. */
#include "addon.h"

#include <stdlib.h>
#include <string.h>

#include "shared/limits.h"

static napi_value addon_int(napi_env env, int n)
{
	napi_value v;

	ADDON_TRY(env, napi_create_int32(env, n, &v), NULL);
	return v;
}

/*
 * The JavaScript string v as a C string in buf[size]: 0, or -1 if it is
 * not a string, does not fit, or holds a NUL (C would see a prefix of
 * it: such a token is the daemon's to judge).
 */
static int addon_cstr(napi_env env, napi_value v, char *buf, size_t size)
{
	size_t n = 0;

	if (napi_get_value_string_utf8(env, v, buf, size, &n) != napi_ok)
		return -1;
	if (n >= size - 1 || memchr(buf, '\0', n) != NULL)
		return -1;
	return 0;
}

static napi_value addon_str(napi_env env, const char *s, size_t n)
{
	napi_value v;

	ADDON_TRY(env, napi_create_string_utf8(env, s, n, &v), NULL);
	return v;
}

/* A hit: the payload text, or [payload, header, kid] with a header. */
static napi_value addon_hit(napi_env env, const struct agauth_verified *v)
{
	napi_value arr, el[3];
	uint32_t i;

	if (v->header == NULL)
		return addon_str(env, v->payload, v->payload_len);
	el[0] = addon_str(env, v->payload, v->payload_len);
	el[1] = addon_str(env, v->header, v->header_len);
	el[2] = addon_str(env, v->kid, strlen(v->kid));
	if (el[0] == NULL || el[1] == NULL || el[2] == NULL)
		return NULL;
	ADDON_TRY(env, napi_create_array_with_length(env, 3, &arr), NULL);
	for (i = 0; i < 3; i++)
		ADDON_TRY(env, napi_set_element(env, arr, i, el[i]), NULL);
	return arr;
}

/* The options argument into buf: 1 if it is a string, 0 if there is
 * none (undefined or null), -1 if the cache cannot take it. */
static int addon_opts(napi_env env, napi_value v, char *buf, size_t size)
{
	napi_valuetype t = napi_undefined;

	if (v == NULL)
		return 0;
	if (addon_cstr(env, v, buf, size) == 0)
		return 1;
	/* (the type asked only now: a string is the common case) */
	if (napi_typeof(env, v, &t) != napi_ok)
		return -1;
	return t == napi_undefined || t == napi_null ? 0 : -1;
}

napi_value addon_lookup(napi_env env, napi_callback_info info)
{
	char tok[AG_TOKEN_MAX + 1], opts[AG_OPTS_MAX + 1];
	size_t argc = 4;
	napi_value argv[4] = { NULL, NULL, NULL, NULL }, res;
	struct agauth_verified v;
	struct addon_handle *h;
	bool text = true;
	int r, has_opts;

	h = addon_args(env, info, argv, &argc);
	if (h == NULL)
		return NULL;
	if (!h->attached || h->busy || h->closed)
		return addon_int(env, ADDON_DETACHED);
	if (argc < 2 || addon_cstr(env, argv[1], tok, sizeof tok) != 0)
		return addon_int(env, ADDON_MISS);
	has_opts = addon_opts(env, argc >= 3 ? argv[2] : NULL, opts, sizeof opts);
	if (has_opts < 0)
		return addon_int(env, ADDON_MISS);
	if (argc >= 4 && napi_get_value_bool(env, argv[3], &text) != napi_ok)
		text = true;
	/* without text, a hit is only an answer: nothing to decode */
	r = cacheread_peek(&h->cr, tok, has_opts ? opts : NULL,
			   text ? &v : NULL, &h->last);
	if (r != AGAUTH_CACHE_VALID || !text)
		return addon_int(env, r);
	res = addon_hit(env, &v);
	agauth_verified_free(&v);
	return res;
}

napi_value addon_last_error(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1];
	struct addon_handle *h;

	h = addon_args(env, info, argv, &argc);
	return h == NULL ? NULL : addon_error_object(env, &h->last);
}
