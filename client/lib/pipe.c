/* pipe.c - libagauth's pipelined, non-blocking entry points. */
#include "client/lib/agauth.h"

#include <stdlib.h>
#include <string.h>

#include "client/lib/call.h"
#include "client/lib/chan.h"

int agauth_fd(agauth_t *a)
{
	return a != NULL ? a->fd : -1;
}

size_t agauth_inflight(agauth_t *a)
{
	return a != NULL ? a->npend : 0;
}

uint64_t agauth_submit_ping(agauth_t *a, void *udata,
			    struct agauth_error *err)
{
	struct call_req rq = { .op = AGAUTH_OP_PING };

	return call_submit(a, &rq, udata, err);
}

uint64_t agauth_submit_sign(agauth_t *a, const char *payload_json,
			    const char *opts_json, void *udata,
			    struct agauth_error *err)
{
	struct call_req rq = {
		.op = AGAUTH_OP_SIGN, .payload = payload_json,
		.opts = opts_json,
	};

	return call_submit(a, &rq, udata, err);
}

uint64_t agauth_submit_verify(agauth_t *a, const char *token,
			      const char *opts_json, void *udata,
			      struct agauth_error *err)
{
	struct call_req rq = {
		.op = AGAUTH_OP_VERIFY, .token = token, .opts = opts_json,
	};

	return call_submit(a, &rq, udata, err);
}

int agauth_flush(agauth_t *a)
{
	return a != NULL ? chan_flush(a) : -1;
}

int agauth_complete(agauth_t *a, struct agauth_reply *r)
{
	struct call_done d;
	int rc;

	if (r != NULL)
		memset(r, 0, sizeof *r);
	if (a == NULL || r == NULL)
		return -1;
	rc = call_next(a, &d);
	if (rc != 1)
		return rc;
	r->id = d.p.id;
	r->udata = d.p.udata;
	r->op = d.p.op;
	r->status = d.err.status;
	r->error = d.err;
	r->token = d.text;
	r->added = d.added;
	r->verified = d.v;
	return 1;
}

void agauth_reply_free(struct agauth_reply *r)
{
	if (r == NULL)
		return;
	free(r->token);
	free(r->added);
	agauth_verified_free(&r->verified);
	memset(r, 0, sizeof *r);
}
