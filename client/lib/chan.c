/* chan.c - socket, buffers, frames and requests in flight. */
#include "client/lib/chan.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client/lib/status.h"
#include "client/lib/usock.h"

int chan_init(struct agauth *a, const char *path, struct agauth_error *err)
{
	memset(a, 0, sizeof *a);
	a->fd = -1;
	a->rfd = -1;
	a->timeout_ms = AGAUTH_TIMEOUT_DEFAULT;
	a->next_id = 1;
	a->max_frame = AG_FRAME_DEFAULT;
	buf_init(&a->out, AG_CLIENT_OUTPUT_MAX);
	/* a partial frame of the hard maximum plus one read */
	buf_init(&a->in, PROTO_HDR + AG_FRAME_HARD_MAX + AG_CLIENT_READ_CHUNK);
	if (path == NULL || *path == '\0')
		path = secure_getenv(AGAUTH_SOCKET_ENV);
	if (path == NULL || *path == '\0')
		path = AGAUTH_SOCKET_DEFAULT;
	/* sun_path is fixed-size; a cut path would name another socket */
	if (strlen(path) >= sizeof a->path)
		return status_set(err, AGAUTH_USAGE, AG_E_BAD_REQUEST,
				  "socket path longer than %zu bytes: %s",
				  sizeof a->path - 1, path);
	strcpy(a->path, path);
	return 0;
}

/* Closes the kept descriptor, if any. */
static void chan_drop_fd(struct agauth *a)
{
	if (a->rfd >= 0)
		close(a->rfd);
	a->rfd = -1;
}

void chan_fini(struct agauth *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	chan_drop_fd(a);
	buf_free(&a->out);
	buf_free(&a->in);
	free(a->pend);
	a->pend = NULL;
	a->npend = a->cap = a->nlost = 0;
}

int chan_connect(struct agauth *a, struct agauth_error *err)
{
	int fd, e;

	fd = usock_connect(a->path, a->timeout_ms);
	if (fd < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) != 0)
		goto fail;
	a->fd = fd;
	a->in_off = 0;
	a->max_frame = AG_FRAME_DEFAULT;
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	return status_set(err, AGAUTH_UNREACHABLE, AG_E_CONNECT,
			  "cannot reach agauthd at %s: %s", a->path,
			  strerror(e));
}

int chan_stale(struct agauth *a)
{
	char c;
	ssize_t n;

	if (a->in.len > a->in_off)
		return 1;
	n = recv(a->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	/* only "nothing to read yet" means the daemon is still there */
	return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
			   errno == EINTR));
}

void chan_break(struct agauth *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	chan_drop_fd(a);
	buf_reset(&a->out);
	a->out_off = 0;
	buf_reset(&a->in);
	a->in_off = 0;
	a->nlost = a->npend;
}

void chan_begin(struct agauth *a, struct proto_out *o)
{
	struct buf *b = &a->out;

	/* reclaim written bytes once they are half the buffer, so a slow
	 * reader costs one move per halving, not one per request */
	if (a->out_off == b->len) {
		buf_reset(b);
		a->out_off = 0;
	} else if (a->out_off > 0 && a->out_off >= b->len / 2) {
		memmove(b->p, b->p + a->out_off, b->len - a->out_off);
		b->len -= a->out_off;
		a->out_off = 0;
	}
	proto_begin(o, b);
}

int chan_end(struct agauth *a, struct proto_out *o, struct agauth_error *err)
{
	struct buf *b = &a->out;
	int full = b->err;
	size_t n = full ? 0 : b->len - o->start - PROTO_HDR;

	if (!full && n <= a->max_frame && proto_end(o) == 0)
		return 0;
	/* drop the partial frame; the buffer stays usable */
	b->len = o->start;
	b->err = 0;
	if (full)
		return status_set(err, AGAUTH_REFUSED, AG_E_BUSY,
				  "%zu bytes of requests not yet written to "
				  "agauthd; call agauth_flush",
				  b->len - a->out_off);
	return status_set(err, AGAUTH_REFUSED, AG_E_FRAME_TOO_LARGE,
			  "request of %zu bytes exceeds agauthd's max_frame "
			  "of %llu", n, (unsigned long long)a->max_frame);
}

int chan_room(struct agauth *a, struct agauth_error *err)
{
	struct chan_pend *np;
	size_t ncap;

	if (a->npend >= AG_CLIENT_INFLIGHT_MAX)
		return status_set(err, AGAUTH_REFUSED, AG_E_BUSY,
				  "%zu requests in flight; complete some first",
				  a->npend);
	if (a->npend < a->cap)
		return 0;
	ncap = a->cap ? 2 * a->cap : 16;
	np = realloc(a->pend, ncap * sizeof *np);
	if (np == NULL)
		return status_set(err, AGAUTH_REFUSED, AG_E_NOMEM, NULL);
	a->pend = np;
	a->cap = ncap;
	return 0;
}

void chan_track(struct agauth *a, uint64_t id, enum agauth_op op,
		void *udata)
{
	struct chan_pend *p = &a->pend[a->npend++];

	p->id = id;
	p->op = op;
	p->udata = udata;
}

static void chan_remove(struct agauth *a, size_t i, struct chan_pend *p)
{
	*p = a->pend[i];
	memmove(&a->pend[i], &a->pend[i + 1],
		(a->npend - i - 1) * sizeof *a->pend);
	a->npend--;
}

int chan_take(struct agauth *a, uint64_t id, struct chan_pend *p)
{
	/* only live requests can be answered: the lost ones were sent on a
	 * connection that no longer exists */
	size_t lo = a->nlost, hi = a->npend, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (a->pend[mid].id == id) {
			chan_remove(a, mid, p);
			return 0;
		}
		if (a->pend[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int chan_take_lost(struct agauth *a, struct chan_pend *p)
{
	if (a->nlost == 0)
		return 0;
	chan_remove(a, 0, p);
	a->nlost--;
	return 1;
}

int chan_flush(struct agauth *a)
{
	ssize_t n;

	if (a->fd < 0)
		return -1;
	while (a->out_off < a->out.len) {
		/* MSG_NOSIGNAL: a dead daemon is an error, not a SIGPIPE */
		n = send(a->fd, a->out.p + a->out_off,
			 a->out.len - a->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			a->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		chan_break(a);
		return -1;
	}
	buf_reset(&a->out);
	a->out_off = 0;
	return 0;
}

int chan_fill(struct agauth *a)
{
	struct buf *b = &a->in;
	ssize_t n;

	if (a->fd < 0)
		return -1;
	if (a->in_off > 0) {
		memmove(b->p, b->p + a->in_off, b->len - a->in_off);
		b->len -= a->in_off;
		a->in_off = 0;
	}
	/* callers read only while no whole frame is buffered, so what is
	 * here is under one frame and the reserve fits the bound */
	if (buf_reserve(b, AG_CLIENT_READ_CHUNK) != 0) {
		chan_break(a);
		return -1;
	}
	for (;;) {
		n = usock_recv(a->fd, b->p + b->len, AG_CLIENT_READ_CHUNK,
			       MSG_DONTWAIT, &a->rfd);
		if (n > 0) {
			b->len += (size_t)n;
			return 1;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		chan_break(a);  /* EOF, ECONNRESET, ... */
		return -1;
	}
}

int chan_frame(struct agauth *a, const uint8_t **p, size_t *n)
{
	const uint8_t *h = (const uint8_t *)a->in.p + a->in_off;
	size_t have = a->in.len - a->in_off;
	uint32_t len;

	if (have < PROTO_HDR)
		return 0;
	len = proto_get_len(h);
	/* refused before anything is buffered for it: a reply may not claim
	 * more than the hard maximum, nor be empty */
	if (len == 0 || len > AG_FRAME_HARD_MAX) {
		chan_break(a);
		return -1;
	}
	if (have - PROTO_HDR < len)
		return 0;
	*p = h + PROTO_HDR;
	*n = len;
	a->in_off += PROTO_HDR + len;
	return 1;
}

int chan_take_fd(struct agauth *a)
{
	int fd = a->rfd;

	a->rfd = -1;
	return fd;
}

static int64_t chan_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t chan_after(int ms)
{
	return ms >= 0 ? chan_now() + ms : -1;
}

int64_t chan_deadline(const struct agauth *a)
{
	return a->timeout_ms > 0 ? chan_after(a->timeout_ms) : -1;
}

/* 1 when the socket is ready for events, 0 at the deadline, -1 on error. */
static int chan_wait(struct agauth *a, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = a->fd, .events = events };
	int64_t left;
	int rc;

	do {
		left = deadline < 0 ? -1 : deadline - chan_now();
		if (deadline >= 0 && left <= 0)
			return 0;
		rc = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -1 : rc > 0;
}

int chan_sync(struct agauth *a, int64_t deadline, const uint8_t **p,
	      size_t *n)
{
	int rc, out;

	for (;;) {
		out = chan_flush(a);
		if (out < 0)
			return -1;
		rc = chan_frame(a, p, n);
		if (rc != 0)
			return rc;
		rc = chan_fill(a);
		if (rc < 0)
			return -1;
		if (rc > 0)
			continue;
		rc = chan_wait(a, POLLIN | (out ? POLLOUT : 0), deadline);
		if (rc == 0)
			return 0;
		if (rc < 0) {
			chan_break(a);
			return -1;
		}
	}
}
