/*
 * echo_server - the floor under agauthd's round trip: a bare libev server
 * on the same kind of socket (Unix stream) that reads length-prefixed
 * frames (docs/protocol.md) and writes each complete frame straight back,
 * with no msgpack and no crypto.
 *
 *   build/echo_server SOCKET
 *
 * It does what the daemon cannot avoid and nothing else: one read of up
 * to 16 KiB (agauthd's read size), every complete frame in it appended to
 * the output, one write of all of them.  Whatever agauthd costs above
 * this is the price of decoding, dispatching, verifying and encoding.
 *
 * SIGTERM or SIGINT stops it and removes SOCKET.  A benchmark helper,
 * never part of a test.
 */
#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define ECHO_READ_CHUNK 16384
/* agauthd's hard ceiling on a frame (shared/limits.h AG_FRAME_HARD_MAX) */
#define ECHO_FRAME_MAX (1024 * 1024)
/* stop reading while this much output is unread, as agauthd does */
#define ECHO_OUTPUT_MAX (1024 * 1024)

struct echo_buf {
	uint8_t *p;
	size_t len, cap;
};

struct echo_conn {
	int fd;
	ev_io rio, wio;
	struct echo_buf in, out;
	size_t in_off, out_off;      /* consumed prefixes */
};

static const char *echo_path;

static int echo_reserve(struct echo_buf *b, size_t extra)
{
	size_t ncap = b->cap ? b->cap : 4096;
	uint8_t *np;

	if (b->len + extra <= b->cap)
		return 0;
	while (ncap < b->len + extra)
		ncap *= 2;
	np = realloc(b->p, ncap);
	if (np == NULL)
		return -1;
	b->p = np;
	b->cap = ncap;
	return 0;
}

static void echo_close(struct ev_loop *loop, struct echo_conn *c)
{
	ev_io_stop(loop, &c->rio);
	ev_io_stop(loop, &c->wio);
	close(c->fd);
	free(c->in.p);
	free(c->out.p);
	free(c);
}

/* Reading pauses while the client leaves a lot of output unread. */
static void echo_flow(struct ev_loop *loop, struct echo_conn *c)
{
	int want = c->out.len - c->out_off < ECHO_OUTPUT_MAX;

	if (want && !ev_is_active(&c->rio))
		ev_io_start(loop, &c->rio);
	else if (!want && ev_is_active(&c->rio))
		ev_io_stop(loop, &c->rio);
}

/* Returns -1 if the connection was closed. */
static int echo_write(struct ev_loop *loop, struct echo_conn *c)
{
	ssize_t w;

	while (c->out_off < c->out.len) {
		w = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off,
			 MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (w <= 0) {
			echo_close(loop, c);
			return -1;
		}
		c->out_off += (size_t)w;
	}
	if (c->out_off == c->out.len) {
		c->out.len = c->out_off = 0;
		ev_io_stop(loop, &c->wio);
	} else if (!ev_is_active(&c->wio)) {
		ev_io_start(loop, &c->wio);
	}
	echo_flow(loop, c);
	return 0;
}

static void echo_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct echo_conn *c = w->data;
	size_t avail;
	uint32_t len;
	ssize_t r;

	(void)revents;
	if (echo_reserve(&c->in, ECHO_READ_CHUNK) != 0) {
		echo_close(loop, c);
		return;
	}
	r = read(c->fd, c->in.p + c->in.len, ECHO_READ_CHUNK);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		      errno == EINTR))
		return;
	if (r <= 0) {
		echo_close(loop, c);
		return;
	}
	c->in.len += (size_t)r;
	for (;;) {
		avail = c->in.len - c->in_off;
		if (avail < 4)
			break;
		len = (uint32_t)c->in.p[c->in_off] << 24 |
		      (uint32_t)c->in.p[c->in_off + 1] << 16 |
		      (uint32_t)c->in.p[c->in_off + 2] << 8 |
		      c->in.p[c->in_off + 3];
		if (len == 0 || len > ECHO_FRAME_MAX) {
			echo_close(loop, c);
			return;
		}
		if (avail < 4 + (size_t)len)
			break;
		/* the frame goes back as it came: header and body */
		if (echo_reserve(&c->out, 4 + (size_t)len) != 0) {
			echo_close(loop, c);
			return;
		}
		memcpy(c->out.p + c->out.len, c->in.p + c->in_off, 4 + len);
		c->out.len += 4 + (size_t)len;
		c->in_off += 4 + (size_t)len;
	}
	if (c->in_off > 0) {
		memmove(c->in.p, c->in.p + c->in_off, c->in.len - c->in_off);
		c->in.len -= c->in_off;
		c->in_off = 0;
	}
	if (c->out.len > c->out_off)
		echo_write(loop, c);
}

static void echo_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	echo_write(loop, w->data);
}

static void echo_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct echo_conn *c;
	int fd;

	(void)revents;
	for (;;) {
		fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				perror("echo_server: accept");
			return;
		}
		c = calloc(1, sizeof *c);
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		ev_io_init(&c->rio, echo_read_cb, fd, EV_READ);
		ev_io_init(&c->wio, echo_write_cb, fd, EV_WRITE);
		c->rio.data = c->wio.data = c;
		ev_io_start(loop, &c->rio);
	}
}

static void echo_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

int main(int argc, char **argv)
{
	struct ev_loop *loop = EV_DEFAULT;
	struct sockaddr_un sa;
	ev_io accept_w;
	ev_signal term_w, int_w;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: echo_server SOCKET\n");
		return 64;
	}
	echo_path = argv[1];
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(echo_path) >= sizeof sa.sun_path) {
		fprintf(stderr, "echo_server: socket path too long\n");
		return 64;
	}
	memcpy(sa.sun_path, echo_path, strlen(echo_path));
	signal(SIGPIPE, SIG_IGN);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unlink(echo_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		perror(echo_path);
		return 1;
	}
	ev_io_init(&accept_w, echo_accept_cb, fd, EV_READ);
	ev_io_start(loop, &accept_w);
	ev_signal_init(&term_w, echo_signal_cb, SIGTERM);
	ev_signal_init(&int_w, echo_signal_cb, SIGINT);
	ev_signal_start(loop, &term_w);
	ev_signal_start(loop, &int_w);
	ev_run(loop, 0);
	close(fd);
	unlink(echo_path);
	return 0;
}
