/* conn.c - connection I/O, framing, flow control and timeouts. */
#include "daemon/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/log.h"
#include "shared/limits.h"
#include "shared/proto.h"

#define CONN_READ_CHUNK 16384
/* an empty output buffer keeps this much memory: a busy connection's
 * replies do not cost a malloc each, an idle one holds little */
#define CONN_OUT_KEEP   16384

struct conn {
	int fd;
	struct conn_peer peer;
	const struct conn_opts *o;   /* bounds and handler */
	ev_io rio, wio;
	ev_timer timer;
	struct buf in, out;
	size_t in_off, out_off;      /* consumed prefixes */
	unsigned inflight;
	int hello;                   /* handshake done */
	int closing;                 /* close once the output is written */
	int eof;                     /* the peer will send no more */
	int dead;                    /* fd closed */
	int processing;              /* inside conn_process: no re-entry */
	int refs;
	int watching;                /* gets revocation events: never idle */
	int pass_fd;                 /* a descriptor to send with the byte at
				      * out offset pass_at, or -1 */
	size_t pass_at;
	ev_tstamp idle_from;         /* its last request, or the reply that
				      * left none in flight */
	ev_tstamp frame_start;
	ev_tstamp last_write;        /* output last moved, or began to wait */
	struct conn *prev, *next;    /* the open connections */
	struct conn *wnext;          /* in conn_wq: output to write */
	int wqueued;
};

static struct ev_loop *conn_loop;
/* A connection that holds no input reads into this buffer, shared by
 * all (one read at a time): frames that arrived whole are answered from
 * it, and only what is left (a partial frame, or frames flow control
 * holds back) is copied into memory of the connection's own.  An idle
 * connection holds no input memory. */
static char conn_scratch[CONN_READ_CHUNK + 1];
static unsigned conn_n;
static uint64_t conn_serial;
static struct conn *conn_head;   /* the open connections */
/* Connections with replies to write before the loop next waits: every
 * reply made in one pass of the loop (pool results, a batch of
 * pipelined requests) goes out in one send per connection, so the
 * client wakes once, not once per reply (redis's beforeSleep). */
static struct conn *conn_wq;
static ev_prepare conn_flush_w;

unsigned conn_count(void)
{
	return conn_n;
}

void conn_ref(struct conn *c)
{
	c->refs++;
}

const struct conn_peer *conn_peer(const struct conn *c)
{
	return &c->peer;
}

const struct conn_opts *conn_opts(const struct conn *c)
{
	return c->o;
}

int conn_dead(const struct conn *c)
{
	return c->dead;
}

int conn_greeted(const struct conn *c)
{
	return c->hello;
}

void conn_greet(struct conn *c)
{
	c->hello = 1;
}

int conn_watching(const struct conn *c)
{
	return c->watching;
}

void conn_set_watching(struct conn *c, int on)
{
	c->watching = on;
}

struct buf *conn_out(struct conn *c)
{
	return &c->out;
}

size_t conn_mark(const struct conn *c)
{
	return c->out.len;
}

void conn_rewind(struct conn *c, size_t mark)
{
	/* only what was appended since the mark: bytes being written stay */
	if (mark < c->out_off || mark > c->out.len)
		return;
	c->out.len = mark;
	c->out.err = 0;
}

size_t conn_unread(const struct conn *c)
{
	return c->out.len - c->out_off;
}

void conn_unref(struct conn *c)
{
	if (--c->refs > 0)
		return;
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

static void conn_write(struct conn *c);
static void conn_flush_cb(struct ev_loop *loop, ev_prepare *w, int revents);

static void conn_close(struct conn *c, const char *why)
{
	if (c->dead)
		return;
	log_debug("conn %llu (uid %u pid %d) closed: %s",
		  (unsigned long long)c->peer.serial, (unsigned)c->peer.uid,
		  (int)c->peer.pid, why);
	ev_io_stop(conn_loop, &c->rio);
	ev_io_stop(conn_loop, &c->wio);
	ev_timer_stop(conn_loop, &c->timer);
	close(c->fd);
	c->fd = -1;
	c->dead = 1;
	if (c->o->closed != NULL)
		c->o->closed(c->o->arg, c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conn_head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	conn_n--;
	conn_unref(c);
}

void conn_close_all(void)
{
	/* what was answered still goes out, as far as it can at once */
	conn_flush_cb(conn_loop, &conn_flush_w, 0);
	if (ev_is_active(&conn_flush_w)) {
		ev_ref(conn_loop);
		ev_prepare_stop(conn_loop, &conn_flush_w);
	}
	while (conn_head != NULL)
		conn_close(conn_head, "agauthd stopping");
}

/* Reading stops while the client has max_inflight requests outstanding
 * or max_output bytes of replies unread: a client that does not read
 * cannot make the daemon buffer without end. */
static void conn_flow(struct conn *c)
{
	int want = !c->closing && !c->eof &&
		   c->inflight < c->o->max_inflight &&
		   c->out.len - c->out_off < c->o->max_output &&
		   c->in.len < c->in.max;

	if (want && !ev_is_active(&c->rio)) {
		/* while we did not read, the peer owed us nothing: a frame's
		 * stall is timed from now */
		c->frame_start = ev_now(conn_loop);
		ev_io_start(conn_loop, &c->rio);
	} else if (!want && ev_is_active(&c->rio))
		ev_io_stop(conn_loop, &c->rio);
}

int conn_pass_fd(struct conn *c, int fd)
{
	if (c->pass_fd >= 0)
		return -1;
	c->pass_fd = fd;
	c->pass_at = c->out.len;
	return 0;
}

/* send(), or sendmsg() with the descriptor due at this offset; bytes
 * before it go on their own, so it travels with the right frame. */
static ssize_t conn_send(struct conn *c)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cm;
	size_t n = c->out.len - c->out_off;
	ssize_t w;

	if (c->pass_fd < 0 || c->pass_at > c->out_off)
		return send(c->fd, c->out.p + c->out_off, c->pass_fd < 0 ? n :
			    c->pass_at - c->out_off, MSG_NOSIGNAL);
	iov.iov_base = c->out.p + c->out_off;
	iov.iov_len = n;
	memset(&mh, 0, sizeof mh);
	memset(&u, 0, sizeof u);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.b;
	mh.msg_controllen = sizeof u.b;
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &c->pass_fd, sizeof(int));
	w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
	if (w > 0)
		c->pass_fd = -1;
	return w;
}

static void conn_write(struct conn *c)
{
	ssize_t w;

	while (c->out_off < c->out.len) {
		w = conn_send(c);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (w <= 0) {
			conn_close(c, strerror(errno));
			return;
		}
		c->out_off += (size_t)w;
		c->last_write = ev_now(conn_loop);
	}
	if (c->out_off == c->out.len) {
		buf_reset(&c->out);
		buf_settle(&c->out, CONN_OUT_KEEP);
		c->out_off = 0;
		ev_io_stop(conn_loop, &c->wio);
		if (c->closing || (c->eof && c->inflight == 0)) {
			conn_close(c, c->closing ? "protocol error" : "eof");
			return;
		}
	} else if (!ev_is_active(&c->wio)) {
		c->last_write = ev_now(conn_loop);
		ev_io_start(conn_loop, &c->wio);
	}
	conn_flow(c);
}

static void conn_process(struct conn *c);

static void conn_write_soon(struct conn *c)
{
	if (!c->wqueued) {
		c->wqueued = 1;
		conn_ref(c);
		c->wnext = conn_wq;
		conn_wq = c;
	}
}

static void conn_flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct conn *c;

	(void)loop;
	(void)w;
	(void)revents;
	while ((c = conn_wq) != NULL) {
		conn_wq = c->wnext;
		c->wqueued = 0;
		if (!c->dead)
			conn_write(c);
		conn_unref(c);
	}
}

void conn_sent(struct conn *c, int done)
{
	/* a client waiting for its replies is not idle: its idle time
	 * starts when the last one is ready, not when it last asked */
	if (done)
		conn_complete(c);
	if (c->dead)
		return;
	if (c->out.err) {
		/* a reply that does not fit the output ceiling ends the
		 * connection rather than the daemon's memory */
		conn_close(c, "output overflow");
		return;
	}
	/* inside conn_process the replies to a batch of pipelined requests
	 * are gathered and written every AG_CONN_SEND_EVERY requests and at
	 * its end: a send per reply costs a system call and a wakeup of the
	 * client each */
	if (c->processing)
		return;
	conn_write_soon(c);
	/* a job finished: frames held back by flow control may go now */
	if (!c->dead && done)
		conn_process(c);
}

void conn_reply(struct conn *c, const void *bytes, size_t n)
{
	if (!c->dead)
		buf_put(&c->out, bytes, n);
	conn_sent(c, 1);
}

void conn_complete(struct conn *c)
{
	if (--c->inflight == 0)
		c->idle_from = ev_now(conn_loop);
}

void conn_close_after(struct conn *c)
{
	c->closing = 1;
	ev_io_stop(conn_loop, &c->rio);
}

int conn_drop_output(struct conn *c)
{
	struct buf rest;
	size_t end = 0;

	/* the buffer holds whole frames from its start: find the end of
	 * the one being written (or out_off, between two frames) */
	while (end < c->out_off && end + PROTO_HDR <= c->out.len)
		end += PROTO_HDR + proto_get_len((const uint8_t *)c->out.p +
						 end);
	if (end > c->out.len)
		end = c->out.len;
	/* a descriptor waits at or after out_off */
	if (c->pass_fd >= 0 && c->pass_at >= end)
		c->pass_fd = -1;
	else if (c->pass_fd >= 0)
		c->pass_at -= c->out_off;
	buf_init(&rest, c->out.max);
	buf_put(&rest, c->out.p + c->out_off, end - c->out_off);
	buf_free(&c->out);
	c->out = rest;
	c->out_off = 0;
	if (rest.err == 0)
		return 0;
	conn_close(c, "out of memory");
	return -1;
}

/* What is left of the input after processing goes into memory of the
 * connection's own (buf_lend); none is kept for a connection that reads
 * no more. */
static void conn_settle_input(struct conn *c)
{
	if (c->dead || c->closing) {
		c->in.len = 0;
		c->in_off = 0;
	}
	if (buf_settle(&c->in, 0) != 0)
		conn_close(c, "out of memory");
}

/* Dispatches every complete frame already read, within flow control. */
static void conn_process(struct conn *c)
{
	const struct conn_opts *o = c->o;
	struct ag_error e;
	size_t avail;
	uint32_t len;
	unsigned taken = 0;

	/* a reply may close the connection: keep it allocated till the end */
	conn_ref(c);
	c->processing = 1;
	while (!c->dead && !c->closing && c->inflight < o->max_inflight) {
		avail = c->in.len - c->in_off;
		if (avail < PROTO_HDR)
			break;
		len = proto_get_len((const uint8_t *)c->in.p + c->in_off);
		/* the length is checked before anything is allocated for it */
		if (len == 0 || len > o->max_frame) {
			ag_fail(&e, AG_E_FRAME_TOO_LARGE, "frame length %u not "
				"in 1..%u", (unsigned)len, o->max_frame);
			proto_error(&c->out, 0, &e);
			conn_close_after(c);
			c->processing = 0;
			conn_sent(c, 0);
			goto out;
		}
		if (avail < PROTO_HDR + (size_t)len)
			break;
		/* the frame behind this one is timed from now */
		c->idle_from = c->frame_start = ev_now(conn_loop);
		c->in_off += PROTO_HDR + len;
		c->inflight++;
		o->frame(o->arg, c, (const uint8_t *)c->in.p + c->in_off - len,
			 len);
		/* a long pipeline: the replies ready so far leave now, so the
		 * client refills while the rest are answered */
		if (++taken % AG_CONN_SEND_EVERY == 0 && !c->dead &&
		    c->out_off < c->out.len)
			conn_write(c);
	}
	c->processing = 0;
	if (!c->dead && c->out_off < c->out.len)
		conn_write_soon(c);
	if (!c->dead && c->in_off > 0) {
		avail = c->in.len - c->in_off;
		memmove(c->in.p, c->in.p + c->in_off, avail);
		c->in.len = avail;
		c->in_off = 0;
	}
out:
	conn_settle_input(c);
	if (!c->dead)
		conn_flow(c);
	conn_unref(c);
}

static void conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	size_t want = c->in.max - c->in.len;
	ssize_t r;

	(void)loop;
	(void)revents;
	if (want == 0) {
		conn_flow(c);  /* full of frames flow control holds back */
		return;
	}
	if (want > CONN_READ_CHUNK)
		want = CONN_READ_CHUNK;
	if (c->in.len == 0) {
		buf_lend(&c->in, conn_scratch, sizeof conn_scratch);
		c->frame_start = ev_now(conn_loop);
		/* an idle connection's timer may be set for its idle deadline:
		 * a frame that begins now must be watched for frame_timeout */
		if (ev_timer_remaining(conn_loop, &c->timer) >
		    c->o->frame_timeout) {
			c->timer.repeat = c->o->frame_timeout;
			ev_timer_again(conn_loop, &c->timer);
		}
	}
	if (buf_reserve(&c->in, want) != 0) {
		conn_close(c, "out of memory");
		return;
	}
	r = read(c->fd, c->in.p + c->in.len, want);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		      errno == EINTR)) {
		buf_settle(&c->in, 0);
		return;
	}
	if (r <= 0) {
		/* half-closed peers still get their replies */
		c->eof = 1;
		ev_io_stop(conn_loop, &c->rio);
		if (r < 0 || (c->inflight == 0 && c->out_off == c->out.len)) {
			conn_close(c, r < 0 ? strerror(errno) : "eof");
			return;
		}
	} else {
		c->in.len += (size_t)r;
	}
	conn_process(c);
}

static void conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	conn_write(w->data);
}

/* Idle connections and connections stalled mid-frame are closed. */
static void conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;
	const struct conn_opts *o = c->o;
	ev_tstamp now = ev_now(loop), deadline;
	const char *why;

	(void)revents;
	if (c->in.len > c->in_off && ev_is_active(&c->rio)) {
		/* reading, and a frame is begun: the peer owes its rest
		 * (frames flow control holds back are our wait, not his) */
		deadline = c->frame_start + o->frame_timeout;
		why = "partial frame timeout";
	} else if (c->out.len > c->out_off) {
		/* replies wait for a client that does not read: after
		 * idle_timeout it is gone, and so is what it held */
		deadline = c->last_write + o->idle_timeout;
		why = "client not reading";
	} else if (!c->watching && c->inflight == 0 &&
		   c->out.len == c->out_off && c->in.len == c->in_off) {
		deadline = c->idle_from + o->idle_timeout;
		why = "idle timeout";
	} else {
		/* busy: look again soon enough for either deadline */
		deadline = now + (o->idle_timeout < o->frame_timeout ?
				  o->idle_timeout : o->frame_timeout);
		why = NULL;
	}
	if (why != NULL && now >= deadline) {
		conn_close(c, why);
		return;
	}
	w->repeat = deadline - now > 1 ? deadline - now : 1;
	ev_timer_again(loop, w);
}

void conn_open(struct ev_loop *loop, int fd, const struct conn_opts *o)
{
	struct conn *c = calloc(1, sizeof *c);
	struct ucred cred;
	socklen_t len = sizeof cred;

	conn_loop = loop;
	if (!ev_is_active(&conn_flush_w)) {
		ev_prepare_init(&conn_flush_w, conn_flush_cb);
		ev_prepare_start(loop, &conn_flush_w);
		/* it alone does not keep the loop running */
		ev_unref(loop);
	}
	/* identity comes from the kernel, never from the message */
	if (c == NULL || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred,
				    &len) != 0) {
		log_warn("dropping a connection: %s", c ? strerror(errno) :
			 "out of memory");
		free(c);
		close(fd);
		return;
	}
	c->fd = fd;
	c->o = o;
	c->peer.serial = ++conn_serial;
	c->peer.uid = cred.uid;
	c->peer.gid = cred.gid;
	c->peer.pid = cred.pid;
	c->refs = 1;
	c->pass_fd = -1;
	/* no memory yet: reads borrow conn_scratch, replies allocate */
	buf_init(&c->in, (size_t)o->max_frame + PROTO_HDR + CONN_READ_CHUNK);
	/* replies may overshoot max_output by one frame; past twice that
	 * something is wrong and the connection ends */
	buf_init(&c->out, 2 * (size_t)o->max_output + AG_FRAME_HARD_MAX);
	c->idle_from = c->frame_start = c->last_write = ev_now(loop);
	ev_io_init(&c->rio, conn_read_cb, fd, EV_READ);
	ev_io_init(&c->wio, conn_write_cb, fd, EV_WRITE);
	c->rio.data = c->wio.data = c;
	ev_init(&c->timer, conn_timer_cb);
	c->timer.data = c;
	/* idle until its first bytes, which pull the timer in */
	c->timer.repeat = o->idle_timeout;
	ev_timer_again(loop, &c->timer);
	c->next = conn_head;
	if (conn_head != NULL)
		conn_head->prev = c;
	conn_head = c;
	conn_n++;
	ev_io_start(loop, &c->rio);
	log_debug("conn %llu from uid %u gid %u pid %d",
		  (unsigned long long)c->peer.serial, (unsigned)cred.uid,
		  (unsigned)cred.gid, (int)cred.pid);
}
