/* attach.c - attach(handle, request, cb): the blocking exchange with
 * agauthd on a worker thread (connect, send the requests JavaScript
 * encoded, receive two replies and the cache's descriptor); map(handle,
 * instance) on the loop. */
#include "addon.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/lib/status.h"
#include "client/lib/usock.h"
#include "shared/frame.h"

/* the replies attach waits for: hello's and cache's */
#define ATTACH_REPLIES 2

/* The worker's failure of the exchange, errno e, into h->attach_err. */
static void attach_fail(struct addon_handle *h, const char *what, int e)
{
	if (e == EAGAIN || e == EWOULDBLOCK)
		status_set(&h->attach_err, AGAUTH_UNREACHABLE, AG_E_DISCONNECTED,
			   "agauthd at %s did not answer the cache attach "
			   "within %d ms", h->path, h->timeout_ms);
	else
		status_set(&h->attach_err, AGAUTH_UNREACHABLE, AG_E_CONNECT,
			   "cannot reach agauthd at %s: %s: %s", h->path,
			   what, strerror(e));
}

/* Sends h->req and receives into h->rep until both replies are whole,
 * agauthd hangs up, or h->rep is full (then it is no agauthd). */
static void attach_exchange(struct addon_handle *h, int fd)
{
	size_t off = 0;
	ssize_t k;

	while (off < h->req_len) {
		k = send(fd, h->req + off, h->req_len - off, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			attach_fail(h, "send", errno);
			return;
		}
		off += (size_t)k;
	}
	while (frame_whole(h->rep, h->rep_len, ATTACH_REPLIES) < ATTACH_REPLIES) {
		/* bounded: a peer that is not agauthd may send without
		 * end, and nothing is allocated for what it claims */
		if (h->rep_len == sizeof h->rep) {
			status_set(&h->attach_err, AGAUTH_UNREACHABLE,
				   AG_E_PROTOCOL, "agauthd at %s: replies to "
				   "hello and cache over %zu bytes", h->path,
				   sizeof h->rep);
			return;
		}
		k = usock_recv(fd, h->rep + h->rep_len,
			       sizeof h->rep - h->rep_len, 0, &h->rfd);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			attach_fail(h, "receive", errno);
			return;
		}
		if (k == 0)
			return;      /* what came is JavaScript's to judge */
		h->rep_len += (size_t)k;
	}
}

/* worker thread: touches nothing but the exchange's fields of h, which
 * the loop thread leaves alone while h->busy */
static void attach_execute(napi_env env, void *data)
{
	struct addon_handle *h = data;
	int fd;

	(void)env;
	fd = usock_connect(h->path, h->timeout_ms);
	if (fd < 0) {
		status_set(&h->attach_err, AGAUTH_UNREACHABLE, AG_E_CONNECT,
			   "cannot reach agauthd at %s: %s", h->path,
			   strerror(errno));
		return;
	}
	attach_exchange(h, fd);
	close(fd);
}

static void attach_complete(napi_env env, napi_status status, void *data)
{
	struct addon_handle *h = data;
	napi_value cb = NULL, argv[2], global;
	int call;

	h->busy = 0;
	napi_delete_async_work(env, h->work);
	h->work = NULL;
	if (status != napi_ok && h->attach_err.status == AGAUTH_OK)
		status_set(&h->attach_err, AGAUTH_UNREACHABLE, AG_E_CONNECT,
			   "the cache attach was cancelled");
	if (h->attach_err.status != AGAUTH_OK || h->closed)
		addon_drop_fd(h);
	call = !h->finalized &&
	       napi_get_reference_value(env, h->cb, &cb) == napi_ok &&
	       cb != NULL;
	napi_delete_reference(env, h->cb);
	h->cb = NULL;
	if (call && napi_get_global(env, &global) == napi_ok) {
		if (h->attach_err.status != AGAUTH_OK) {
			argv[0] = addon_error_object(env, &h->attach_err);
			napi_get_undefined(env, &argv[1]);
		} else {
			napi_get_null(env, &argv[0]);
			if (napi_create_buffer_copy(env, h->rep_len, h->rep,
						    NULL, &argv[1]) != napi_ok)
				argv[1] = NULL;
		}
		if (argv[0] != NULL && argv[1] != NULL)
			napi_call_function(env, global, cb, 2, argv, NULL);
	}
	addon_release(h);
}

napi_value addon_attach(napi_env env, napi_callback_info info)
{
	size_t argc = 3, n = 0;
	napi_value argv[3], name, res;
	napi_valuetype t;
	struct addon_handle *h;
	bool is_buf = false;
	void *req = NULL;

	h = addon_args(env, info, argv, &argc);
	if (h == NULL)
		return NULL;
	if (argc < 3 || napi_is_buffer(env, argv[1], &is_buf) != napi_ok ||
	    !is_buf || napi_get_buffer_info(env, argv[1], &req, &n) != napi_ok ||
	    n == 0 || n > sizeof h->req ||
	    napi_typeof(env, argv[2], &t) != napi_ok || t != napi_function) {
		napi_throw_type_error(env, NULL, "agauthd addon: attach needs "
				      "a request Buffer (at most 4096 bytes) "
				      "and a callback");
		return NULL;
	}
	if (h->busy || h->closed) {
		ADDON_TRY(env, napi_get_boolean(env, false, &res), NULL);
		return res;
	}
	/* lookups answer DETACHED until map(): the worker owns the rest */
	h->attached = 0;
	memset(&h->attach_err, 0, sizeof h->attach_err);
	memcpy(h->req, req, n);
	h->req_len = n;
	h->rep_len = 0;
	addon_drop_fd(h);
	ADDON_TRY(env, napi_create_string_utf8(env, "agauthd:attach",
					       NAPI_AUTO_LENGTH, &name), NULL);
	ADDON_TRY(env, napi_create_reference(env, argv[2], 1, &h->cb), NULL);
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

napi_value addon_map(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2], res;
	struct addon_handle *h;
	struct agauth_error err;
	uint64_t instance = 0;
	bool lossless = false;
	int rc;

	h = addon_args(env, info, argv, &argc);
	if (h == NULL)
		return NULL;
	if (argc < 2 || napi_get_value_bigint_uint64(env, argv[1], &instance,
						     &lossless) != napi_ok ||
	    !lossless) {
		napi_throw_type_error(env, NULL, "agauthd addon: map needs the "
				      "cache instance as a BigInt");
		return NULL;
	}
	if (h->busy || h->closed) {
		status_set(&err, AGAUTH_USAGE, AG_E_BAD_REQUEST,
			   "no finished cache attach to map");
		return addon_error_object(env, &err);
	}
	rc = cacheread_map(&h->cr, h->rfd, instance, &err);
	/* the mapping stays without it */
	addon_drop_fd(h);
	h->attached = rc == 0;
	if (rc != 0)
		return addon_error_object(env, &err);
	ADDON_TRY(env, napi_get_null(env, &res), NULL);
	return res;
}
