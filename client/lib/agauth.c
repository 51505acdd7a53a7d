/* agauth.c - libagauth's public entry points (client/lib/agauth.h). */
#include "client/lib/agauth.h"

#include <stdlib.h>
#include <string.h>

#include "client/lib/cachemap.h"
#include "client/lib/call.h"
#include "client/lib/chan.h"
#include "client/lib/status.h"

agauth_t *agauth_open(const char *socket_path, struct agauth_error *err)
{
	struct agauth *a = malloc(sizeof *a);

	if (a == NULL) {
		status_set(err, AGAUTH_REFUSED, AG_E_NOMEM, NULL);
		return NULL;
	}
	if (chan_init(a, socket_path, err) != 0 || call_ready(a, err) != 0) {
		agauth_close(a);
		return NULL;
	}
	status_ok(err);
	return a;
}

void agauth_close(agauth_t *a)
{
	if (a == NULL)
		return;
	cachemap_free(a);
	chan_fini(a);
	free(a);
}

void agauth_set_timeout(agauth_t *a, int ms)
{
	if (a != NULL)
		a->timeout_ms = ms > 0 ? ms : 0;
}

/* Runs rq and hands its text result to *out (freed if out is NULL). */
static enum agauth_status agauth_text(agauth_t *a, const struct call_req *rq,
				      char **out, struct agauth_error *err)
{
	struct call_done d;
	enum agauth_status st = call_run(a, rq, &d, err);

	if (out != NULL) {
		*out = d.text;
		d.text = NULL;
	}
	call_done_free(&d);
	return st;
}

enum agauth_status agauth_ping(agauth_t *a, struct agauth_error *err)
{
	struct call_req rq = { .op = AGAUTH_OP_PING };

	return agauth_text(a, &rq, NULL, err);
}

enum agauth_status agauth_sign(agauth_t *a, const char *payload_json,
			       const char *opts_json, char **token,
			       char **added_json, struct agauth_error *err)
{
	struct call_req rq = {
		.op = AGAUTH_OP_SIGN, .payload = payload_json,
		.opts = opts_json,
	};
	struct call_done d;
	enum agauth_status st;

	if (added_json != NULL)
		*added_json = NULL;
	/* a signed token nobody receives would be a wasted signature */
	if (token == NULL) {
		status_set(err, AGAUTH_USAGE, AG_E_BAD_REQUEST,
			   "sign needs somewhere to put the token");
		return AGAUTH_USAGE;
	}
	st = call_run(a, &rq, &d, err);
	*token = d.text;
	d.text = NULL;
	if (added_json != NULL) {
		*added_json = d.added;
		d.added = NULL;
	}
	call_done_free(&d);
	return st;
}

enum agauth_status agauth_verify(agauth_t *a, const char *token,
				 const char *opts_json,
				 struct agauth_verified *out,
				 struct agauth_error *err)
{
	struct call_req rq = {
		.op = AGAUTH_OP_VERIFY, .token = token, .opts = opts_json,
	};
	struct agauth_error e;
	struct call_done d;
	enum agauth_status st;

	/* the cache first; a blocking call still refuses to run beside
	 * pipelined requests, hit or not */
	if (a != NULL && a->npend == 0 &&
	    cachemap_verify(a, token, opts_json, out, &e, 0) !=
	    AGAUTH_CACHE_MISS) {
		if (err != NULL)
			*err = e;
		return e.status;
	}
	st = call_run(a, &rq, &d, err);
	if (out != NULL) {
		*out = d.v;
		memset(&d.v, 0, sizeof d.v);
	}
	call_done_free(&d);
	return st;
}

enum agauth_status agauth_keys(agauth_t *a, char **json,
			       struct agauth_error *err)
{
	struct call_req rq = { .op = AGAUTH_OP_KEYS };

	return agauth_text(a, &rq, json, err);
}

enum agauth_status agauth_stats(agauth_t *a, char **json,
				struct agauth_error *err)
{
	struct call_req rq = { .op = AGAUTH_OP_STATS };

	return agauth_text(a, &rq, json, err);
}

enum agauth_status agauth_metrics(agauth_t *a, char **text,
				  struct agauth_error *err)
{
	struct call_req rq = { .op = CALL_OP_METRICS };

	return agauth_text(a, &rq, text, err);
}

enum agauth_status agauth_jwks(agauth_t *a, char **json,
			       struct agauth_error *err)
{
	struct call_req rq = { .op = CALL_OP_JWKS };

	return agauth_text(a, &rq, json, err);
}

enum agauth_status agauth_rotate(agauth_t *a, const char *alg, char **kid,
				 struct agauth_error *err)
{
	struct call_req rq = { .op = AGAUTH_OP_ROTATE, .alg = alg };

	return agauth_text(a, &rq, kid, err);
}

enum agauth_status agauth_rotate_cluster(agauth_t *a, const char *alg,
					 double activate_in, char **kid,
					 double *activate,
					 struct agauth_error *err)
{
	struct call_req rq = {
		.op = AGAUTH_OP_ROTATE, .alg = alg, .cluster = 1,
		.activate_in = activate_in < 0 ? -1 : (int64_t)activate_in,
	};
	struct call_done d;
	enum agauth_status st = call_run(a, &rq, &d, err);

	if (kid != NULL) {
		*kid = d.text;
		d.text = NULL;
	}
	if (activate != NULL)
		*activate = d.at;
	call_done_free(&d);
	return st;
}

enum agauth_status agauth_reload(agauth_t *a, uint64_t *generation,
				 struct agauth_error *err)
{
	struct call_req rq = { .op = AGAUTH_OP_RELOAD };
	struct call_done d;
	enum agauth_status st = call_run(a, &rq, &d, err);

	if (generation != NULL)
		*generation = d.generation;
	call_done_free(&d);
	return st;
}

enum agauth_status agauth_revoke_report(agauth_t *a, const char *kind,
					const char *value,
					struct agauth_revoked *out,
					struct agauth_error *err)
{
	struct call_req rq = { .op = CALL_OP_REVOKE };
	struct call_done d;
	enum agauth_status st;

	if (out != NULL)
		memset(out, 0, sizeof *out);
	if (kind != NULL && strcmp(kind, "token") == 0)
		rq.token = value;
	else if (kind != NULL && strcmp(kind, "jti") == 0)
		rq.jti = value;
	else if (kind != NULL && (strcmp(kind, "sub") == 0 ||
				  strcmp(kind, "subject") == 0))
		rq.sub = value;
	/* "" would be sent as no value at all */
	if (value == NULL || *value == '\0' ||
	    (rq.token == NULL && rq.jti == NULL && rq.sub == NULL)) {
		status_set(err, AGAUTH_USAGE, AG_E_BAD_REQUEST,
			   "revoke needs a kind (token, jti or sub) and a "
			   "value");
		return AGAUTH_USAGE;
	}
	st = call_run(a, &rq, &d, err);
	if (out != NULL && st == AGAUTH_OK) {
		out->purged = d.purged;
		out->live = d.live;
		out->at = d.at;
	}
	call_done_free(&d);
	return st;
}

enum agauth_status agauth_revoke(agauth_t *a, const char *kind,
				 const char *value, uint64_t *purged,
				 struct agauth_error *err)
{
	struct agauth_revoked r;
	enum agauth_status st = agauth_revoke_report(a, kind, value, &r, err);

	if (purged != NULL)
		*purged = r.purged;
	return st;
}
