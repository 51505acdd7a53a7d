/* notify.c - the sd_notify protocol, written out (see notify.h for why). */
#include "daemon/notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define NOTIFY_MSG_MAX 1024

static struct {
	int fd;
	struct sockaddr_un sa;
	socklen_t salen;
	uint64_t wd_usec;            /* 0: no watchdog */
	uint64_t wd_last;            /* monotonic µs of the last ping */
	int wd_sent;                 /* one ping has gone */
} nt = { .fd = -1 };

uint64_t notify_monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* A positive decimal number, nothing else; 0 if it is not one. */
static uint64_t notify_number(const char *s)
{
	unsigned long long n;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	n = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0' ? (uint64_t)n : 0;
}

/* The watchdog counts only if it is meant for us: systemd sets
 * WATCHDOG_PID to the main pid, and a child that inherited the
 * environment must not ping for its parent. */
static void notify_watchdog_init(void)
{
	const char *pid = getenv("WATCHDOG_PID");

	nt.wd_usec = notify_number(getenv("WATCHDOG_USEC"));
	nt.wd_sent = 0;
	if (pid != NULL && notify_number(pid) != (uint64_t)getpid())
		nt.wd_usec = 0;
}

int notify_init(void)
{
	const char *s = getenv("NOTIFY_SOCKET");
	size_t n;

	notify_close();
	if (s == NULL || *s == '\0')
		return 0;
	n = strlen(s);
	if ((s[0] != '/' && s[0] != '@') || n >= sizeof nt.sa.sun_path)
		return -1;
	memset(&nt.sa, 0, sizeof nt.sa);
	nt.sa.sun_family = AF_UNIX;
	memcpy(nt.sa.sun_path, s, n);
	if (s[0] == '@') {
		/* abstract: a NUL first, and the length counts the name's
		 * bytes only (no terminating NUL: it would be part of it) */
		nt.sa.sun_path[0] = '\0';
		nt.salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		nt.salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				       n + 1);
	}
	/* not connected: each send finds the socket by its address again,
	 * so a systemd that re-executed itself is still reached */
	nt.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (nt.fd < 0)
		return -1;
	notify_watchdog_init();
	return 1;
}

void notify_close(void)
{
	if (nt.fd >= 0)
		close(nt.fd);
	nt.fd = -1;
	nt.wd_usec = 0;
	nt.wd_sent = 0;
}

/* One datagram.  State changes block as sd_notify does (systemd reads
 * them promptly); the periodic watchdog never blocks the loop, since the
 * next beat sends another. */
static int notify_send(const char *msg, int flags)
{
	ssize_t n;

	if (nt.fd < 0)
		return 0;
	do
		n = sendto(nt.fd, msg, strlen(msg), flags | MSG_NOSIGNAL,
			   (const struct sockaddr *)&nt.sa, nt.salen);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

/* head, then "STATUS=" and the formatted status (one line), then tail */
static int notify_statusv(const char *head, const char *tail,
			  const char *fmt, va_list ap)
{
	char msg[NOTIFY_MSG_MAX], *p;
	int n;

	if (nt.fd < 0)
		return 0;
	n = snprintf(msg, sizeof msg, "%sSTATUS=", head);
	vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
	for (p = msg + n; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	n = (int)strlen(msg);
	snprintf(msg + n, sizeof msg - (size_t)n, "%s", tail);
	return notify_send(msg, 0);
}

int notify_ready(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = notify_statusv("READY=1\n", "", fmt, ap);
	va_end(ap);
	return rc;
}

int notify_status(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = notify_statusv("", "", fmt, ap);
	va_end(ap);
	return rc;
}

int notify_reloading(void)
{
	char msg[128];

	/* MONOTONIC_USEC lets a systemd that waits for the reload (Type=
	 * notify-reload, systemd 253 and later) tell this reload's READY=1
	 * from an older one; older versions ignore it */
	snprintf(msg, sizeof msg, "RELOADING=1\nSTATUS=reloading the keyring\n"
		 "MONOTONIC_USEC=%llu",
		 (unsigned long long)notify_monotonic_usec());
	return notify_send(msg, 0);
}

int notify_stopping(void)
{
	return notify_send("STOPPING=1\nSTATUS=stopping", 0);
}

uint64_t notify_watchdog_usec(void)
{
	return nt.fd >= 0 ? nt.wd_usec : 0;
}

int notify_watchdog_at(uint64_t now_usec)
{
	if (nt.fd < 0 || nt.wd_usec == 0)
		return 0;
	if (nt.wd_sent && now_usec - nt.wd_last < nt.wd_usec / 5)
		return 0;
	if (notify_send("WATCHDOG=1", MSG_DONTWAIT) != 0)
		return -1;
	nt.wd_sent = 1;
	nt.wd_last = now_usec;
	return 1;
}

void notify_watchdog(void)
{
	if (nt.fd >= 0 && nt.wd_usec != 0)
		notify_watchdog_at(notify_monotonic_usec());
}
