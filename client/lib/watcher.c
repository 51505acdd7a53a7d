/* watcher.c - revocation events: agauth_watch, agauth_watch_next. */
#include "client/lib/agauth.h"

#include <stdlib.h>
#include <string.h>

#include "client/lib/call.h"
#include "client/lib/chan.h"
#include "client/lib/reply.h"
#include "client/lib/status.h"

enum agauth_status agauth_watch(agauth_t *a, struct agauth_error *err)
{
	struct call_req rq = { .op = CALL_OP_WATCH };
	struct call_done d;
	enum agauth_status st = call_run(a, &rq, &d, err);

	/* events carry the watch's id; from here on nothing else is sent */
	if (st == AGAUTH_OK)
		a->watch_id = d.p.id;
	call_done_free(&d);
	return st;
}

/* The event in the frame p[0..n): 0, or -1 with *e. */
static int watcher_event(struct agauth *a, const uint8_t *p, size_t n,
			 struct agauth_event *ev, struct agauth_error *e)
{
	struct proto_msg m;
	uint64_t id;
	int ok, rc;

	if (reply_open(&m, p, n, &id, &ok) != 0 || id != a->watch_id)
		rc = status_set(e, AGAUTH_UNREACHABLE, AG_E_PROTOCOL,
				"unexpected frame from agauthd on a watch");
	else
		rc = reply_event(m.root, ok, ev, e);
	proto_msg_free(&m);
	return rc;
}

enum agauth_status agauth_watch_next(agauth_t *a, struct agauth_event *ev,
				     int timeout_ms, struct agauth_error *err)
{
	struct agauth_error e;
	const uint8_t *p;
	size_t n;
	int rc;

	if (ev != NULL)
		memset(ev, 0, sizeof *ev);
	if (a == NULL || ev == NULL || a->watch_id == 0) {
		status_set(&e, AGAUTH_USAGE, AG_E_BAD_REQUEST,
			   "agauth_watch_next needs an event and a handle "
			   "that watches");
		goto out;
	}
	rc = chan_sync(a, chan_after(timeout_ms), &p, &n);
	if (rc == 0) {
		status_set(&e, AGAUTH_NO_EVENT, AG_OK,
			   "no revocation within %d ms", timeout_ms);
		goto out;
	}
	if (rc > 0 && watcher_event(a, p, n, ev, &e) == 0) {
		status_ok(&e);
		goto out;
	}
	/* what a watcher must do now: the events of the gap are gone */
	if (rc < 0)
		status_set(&e, AGAUTH_UNREACHABLE, AG_E_DISCONNECTED,
			   "connection to agauthd lost (at %s): the watch has "
			   "ended; watch again and re-check what you hold, as "
			   "revocations made meanwhile are not replayed",
			   a->path);
	/* an event may be lost: the watch ends, and the caller, told so,
	 * watches again and re-checks what it holds */
	chan_break(a);
	a->watch_id = 0;
out:
	if (err != NULL)
		*err = e;
	return e.status;
}

const char *agauth_event_origin(const struct agauth_event *ev)
{
	return ev->value != NULL ? ev->value + ev->value_len + 1 : "";
}

void agauth_event_free(struct agauth_event *ev)
{
	if (ev == NULL)
		return;
	free(ev->value);
	memset(ev, 0, sizeof *ev);
}
