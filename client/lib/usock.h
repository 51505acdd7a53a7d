/*
 * usock.h - the Unix stream socket to agauthd, below frames: connecting
 * with a bounded wait, and reads that take the descriptor agauthd passes
 * with its reply to `cache` (SCM_RIGHTS).  libagauth's connection
 * (chan.c) and the Node addon's cache attach share it.
 */
#ifndef AGAUTH_USOCK_H
#define AGAUTH_USOCK_H

#include <stddef.h>
#include <sys/types.h>

/* A blocking, close-on-exec socket connected to path, whose sends and
 * receives give up after timeout_ms (0: never): the descriptor, or -1
 * with errno. */
int usock_connect(const char *path, int timeout_ms);

/* recvmsg() into p[0..n) with room for one descriptor (made
 * close-on-exec); one that comes replaces *rfd (the one there before is
 * closed), so none leaks.  What recvmsg returns, errno as it left it. */
ssize_t usock_recv(int fd, void *p, size_t n, int flags, int *rfd);

#endif
