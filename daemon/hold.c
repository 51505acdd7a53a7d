/* hold.c - revoke and reload replies wait out the caches of a dead
 * predecessor. */
#include "daemon/hold.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/conn.h"
#include "daemon/log.h"
#include "shared/cache.h"

/* the staleness bound readers apply, and one heartbeat of margin */
#define HOLD_WINDOW ((CACHE_STALE_MS + CACHE_BEAT_MS) / 1000.0)

struct hold_entry {
	struct conn *c;
	char *bytes;
	size_t n;
	struct hold_entry *next;
};

static struct {
	struct ev_loop *loop;
	ev_timer timer;
	struct hold_entry *head, **tail;
	int open;                    /* no window, or it has closed */
	char marker[PATH_MAX];
} hold = { .tail = &hold.head };

/* Sends every held reply, or (send 0) drops them. */
static void hold_flush(int send)
{
	struct hold_entry *h;

	while ((h = hold.head) != NULL) {
		hold.head = h->next;
		if (send)
			conn_reply(h->c, h->bytes, h->n);
		else
			conn_complete(h->c);
		conn_unref(h->c);
		free(h->bytes);
		free(h);
	}
	hold.tail = &hold.head;
}

static void hold_release(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	hold.open = 1;
	hold_flush(1);
}

void hold_start(struct ev_loop *loop, const char *state_dir)
{
	int fd, n;

	hold.loop = loop;
	n = snprintf(hold.marker, sizeof hold.marker, "%s/agauthd.running",
		     state_dir);
	fd = n > 0 && (size_t)n < sizeof hold.marker ?
	     open(hold.marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		  O_NOFOLLOW, 0600) : -1;
	if (fd >= 0) {
		/* nobody ran before us, or it cleaned up */
		close(fd);
		hold.open = 1;
		return;
	}
	if (errno == EEXIST)
		log_warn("the last agauthd did not stop cleanly: revoke and "
			 "reload replies wait %.2f s for its cache to go stale",
			 HOLD_WINDOW);
	else
		hold.marker[0] = '\0';
	ev_timer_init(&hold.timer, hold_release, HOLD_WINDOW, 0);
	ev_timer_start(loop, &hold.timer);
}

void hold_reply(struct conn *c, size_t mark)
{
	const struct buf *out = conn_out(c);
	struct hold_entry *h;

	if (hold.open || out->err || out->len <= mark) {
		conn_sent(c, 1);
		return;
	}
	h = calloc(1, sizeof *h);
	if (h == NULL || (h->bytes = malloc(out->len - mark)) == NULL) {
		/* no memory to wait with: an early "done" could be wrong, a
		 * lost connection never is - the caller retries */
		free(h);
		log_warn("cannot hold a reply: closing the connection");
		conn_rewind(c, mark);
		conn_close_after(c);
		conn_sent(c, 1);
		return;
	}
	h->n = out->len - mark;
	memcpy(h->bytes, out->p + mark, h->n);
	conn_rewind(c, mark);
	conn_ref(c);
	h->c = c;
	*hold.tail = h;
	hold.tail = &h->next;
}

void hold_stop(void)
{
	if (hold.loop != NULL)
		ev_timer_stop(hold.loop, &hold.timer);
	hold_flush(0);
	if (hold.marker[0] != '\0')
		unlink(hold.marker);
}
