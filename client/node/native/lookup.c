/* lookup.c - lookup(handle, token, opts): agauth_cache_peek on the loop
 * thread; lastError and lastKid for what a hit or rejection leaves. */
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
static napi_value addon_hit(napi_env env, struct addon_handle *h,
			    const struct agauth_verified *v)
{
	napi_value arr, el[3];
	uint32_t i;

	memcpy(h->kid, v->kid, sizeof h->kid);
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

napi_value addon_lookup(napi_env env, napi_callback_info info)
{
	char tok[AG_TOKEN_MAX + 1], opts[AG_OPTS_MAX + 1];
	size_t argc = 3;
	napi_value argv[3], res;
	napi_valuetype t = napi_undefined;
	struct agauth_verified v;
	struct addon_handle *h;
	int r;

	h = addon_args(env, info, argv, &argc);
	if (h == NULL)
		return NULL;
	if (!h->attached || h->busy || h->closed)
		return addon_int(env, ADDON_DETACHED);
	if (argc < 2 || addon_cstr(env, argv[1], tok, sizeof tok) != 0)
		return addon_int(env, ADDON_MISS);
	if (argc >= 3)
		ADDON_TRY(env, napi_typeof(env, argv[2], &t), NULL);
	if (t != napi_undefined && t != napi_null &&
	    addon_cstr(env, argv[2], opts, sizeof opts) != 0)
		return addon_int(env, ADDON_MISS);
	r = agauth_cache_peek(h->a, tok, t == napi_string ? opts : NULL, &v,
			      &h->last);
	if (r != AGAUTH_CACHE_VALID)
		return addon_int(env, r);
	res = addon_hit(env, h, &v);
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

napi_value addon_last_kid(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1];
	struct addon_handle *h;

	h = addon_args(env, info, argv, &argc);
	return h == NULL ? NULL : addon_str(env, h->kid, strlen(h->kid));
}
