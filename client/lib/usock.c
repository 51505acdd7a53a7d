/* usock.c - connect to agauthd's socket; receive with a descriptor. */
#include "client/lib/usock.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int usock_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};
	int fd, e;

	/* sun_path is fixed-size; a cut path would name another socket */
	if (strlen(path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* a Unix connect waits while the daemon's backlog is full; the send
	 * timeout bounds that wait */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Keeps the last descriptor of mh's SCM_RIGHTS in *rfd, closing others. */
static void usock_keep_fds(struct msghdr *mh, int *rfd)
{
	struct cmsghdr *cm;
	size_t i, nfd;
	int fd;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
			if (*rfd >= 0)
				close(*rfd);
			*rfd = fd;
		}
	}
}

ssize_t usock_recv(int fd, void *p, size_t n, int flags, int *rfd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = p, .iov_len = n };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.b, .msg_controllen = sizeof u.b,
	};
	ssize_t k;

	memset(&u, 0, sizeof u);
	k = recvmsg(fd, &mh, flags | MSG_CMSG_CLOEXEC);
	if (k >= 0 && mh.msg_controllen > 0)
		usock_keep_fds(&mh, rfd);
	return k;
}
