/* test_notify.c - the sd_notify messages, received on real AF_UNIX
 * datagram sockets (a path and an abstract name) playing systemd. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daemon/notify.h"

static char nt_path[108];
static int nt_fd = -1;

/* systemd's end: a datagram socket bound to a path, or to an abstract
 * name when abstract; NOTIFY_SOCKET names it as systemd would. */
static void nt_listen(int abstract)
{
	struct sockaddr_un sa;
	socklen_t len;
	char env[112];

	nt_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert(nt_fd >= 0);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (abstract) {
		snprintf(env, sizeof env, "@agauthd-test-notify-%d",
			 (int)getpid());
		memcpy(sa.sun_path + 1, env + 1, strlen(env) - 1);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				  strlen(env));
	} else {
		snprintf(nt_path, sizeof nt_path, "/tmp/agauthd-test-notify-%d",
			 (int)getpid());
		unlink(nt_path);
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", nt_path);
		snprintf(env, sizeof env, "%s", nt_path);
		len = sizeof sa;
	}
	cr_assert_eq(bind(nt_fd, (struct sockaddr *)&sa, len), 0, "bind: %s",
		     strerror(errno));
	setenv("NOTIFY_SOCKET", env, 1);
}

static void nt_teardown(void)
{
	notify_close();
	if (nt_fd >= 0)
		close(nt_fd);
	nt_fd = -1;
	if (nt_path[0] != '\0')
		unlink(nt_path);
	nt_path[0] = '\0';
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

/* The next datagram, whole; NULL if none is waiting (every send is
 * synchronous: a message sent is queued by the time the call returns). */
static const char *nt_recv(void)
{
	static char msg[2048];
	ssize_t n = recv(nt_fd, msg, sizeof msg - 1, MSG_DONTWAIT);

	if (n < 0) {
		cr_assert(errno == EAGAIN || errno == EWOULDBLOCK, "recv: %s",
			  strerror(errno));
		return NULL;
	}
	msg[n] = '\0';
	return msg;
}

/* Every message of the daemon's life, in order, on either kind of
 * address. */
static void nt_lifecycle(int abstract)
{
	const char *m;
	unsigned long long mono;
	uint64_t before, after;
	int n = 0;

	nt_listen(abstract);
	cr_assert_eq(notify_init(), 1);
	cr_assert_eq(notify_ready("keyring generation %d live: %d keys, "
				  "primary %s", 1, 2, "hs1"), 0);
	cr_assert_str_eq(nt_recv(), "READY=1\nSTATUS=keyring generation 1 "
			 "live: 2 keys, primary hs1");

	before = notify_monotonic_usec();
	cr_assert_eq(notify_reloading(), 0);
	after = notify_monotonic_usec();
	m = nt_recv();
	cr_assert_not_null(m);
	cr_assert_eq(sscanf(m, "RELOADING=1\nSTATUS=reloading the keyring\n"
			    "MONOTONIC_USEC=%llu%n", &mono, &n), 1, "%s", m);
	cr_assert_eq(m[n], '\0', "nothing after MONOTONIC_USEC: %s", m);
	cr_assert(mono >= before && mono <= after,
		  "%llu is CLOCK_MONOTONIC now", mono);

	cr_assert_eq(notify_ready("reload failed, keyring generation 1 still "
				  "live: %s", "keyring.conf:3: bad\nline"), 0);
	cr_assert_str_eq(nt_recv(), "READY=1\nSTATUS=reload failed, keyring "
			 "generation 1 still live: keyring.conf:3: bad line",
			 "a newline would end STATUS= early");
	cr_assert_eq(notify_status("keyring generation %d live", 3), 0);
	cr_assert_str_eq(nt_recv(), "STATUS=keyring generation 3 live");
	cr_assert_eq(notify_stopping(), 0);
	cr_assert_str_eq(nt_recv(), "STOPPING=1\nSTATUS=stopping");
	cr_assert_null(nt_recv(), "one datagram per call");
	nt_teardown();
}

Test(notify, path_socket)
{
	nt_lifecycle(0);
}

Test(notify, abstract_socket)
{
	nt_lifecycle(1);
}

Test(notify, nothing_without_notify_socket)
{
	nt_listen(0);
	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "1000000", 1);
	cr_assert_eq(notify_init(), 0);
	cr_assert_eq(notify_ready("x"), 0);
	cr_assert_eq(notify_reloading(), 0);
	cr_assert_eq(notify_stopping(), 0);
	cr_assert_eq(notify_watchdog_usec(), 0);
	cr_assert_eq(notify_watchdog_at(notify_monotonic_usec()), 0);
	notify_watchdog();
	cr_assert_null(nt_recv());
	setenv("NOTIFY_SOCKET", "", 1);
	cr_assert_eq(notify_init(), 0, "empty is unset");
	nt_teardown();
}

Test(notify, unusable_addresses)
{
	char longer[200];

	setenv("NOTIFY_SOCKET", "run/notify", 1);
	cr_assert_eq(notify_init(), -1, "relative path");
	memset(longer, 'a', sizeof longer - 1);
	longer[0] = '/';
	longer[sizeof longer - 1] = '\0';
	setenv("NOTIFY_SOCKET", longer, 1);
	cr_assert_eq(notify_init(), -1, "longer than sun_path");
	cr_assert_eq(notify_ready("x"), 0, "does nothing");
	/* a socket nobody listens on: the send fails, nothing else */
	setenv("NOTIFY_SOCKET", "/nonexistent/agauthd-notify", 1);
	cr_assert_eq(notify_init(), 1);
	cr_assert_eq(notify_ready("x"), -1);
	nt_teardown();
}

Test(notify, watchdog_cadence)
{
	char pid[32];
	uint64_t t0 = 1000;

	nt_listen(0);
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	setenv("WATCHDOG_USEC", "2000000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	cr_assert_eq(notify_init(), 1);
	cr_assert_eq(notify_watchdog_usec(), 2000000);
	cr_assert_eq(notify_watchdog_at(t0), 1, "the first beat pings");
	cr_assert_str_eq(nt_recv(), "WATCHDOG=1");
	cr_assert_eq(notify_watchdog_at(t0 + 250000), 0);
	cr_assert_eq(notify_watchdog_at(t0 + 399999), 0);
	cr_assert_null(nt_recv());
	cr_assert_eq(notify_watchdog_at(t0 + 400000), 1,
		     "a fifth of the interval later");
	cr_assert_str_eq(nt_recv(), "WATCHDOG=1");
	/* beats 250 ms apart: a ping every other beat, 500 ms apart, well
	 * under half of 2 s */
	cr_assert_eq(notify_watchdog_at(t0 + 650000), 0);
	cr_assert_eq(notify_watchdog_at(t0 + 900000), 1);
	cr_assert_str_eq(nt_recv(), "WATCHDOG=1");
	notify_watchdog();
	cr_assert_str_eq(nt_recv(), "WATCHDOG=1", "the real clock is past "
			 "the test's by far");
	nt_teardown();
}

Test(notify, watchdog_for_another_pid_or_none)
{
	nt_listen(0);
	setenv("WATCHDOG_USEC", "1000000", 1);
	setenv("WATCHDOG_PID", "1", 1);
	cr_assert_eq(notify_init(), 1);
	cr_assert_eq(notify_watchdog_usec(), 0, "meant for pid 1");
	cr_assert_eq(notify_watchdog_at(notify_monotonic_usec()), 0);
	unsetenv("WATCHDOG_PID");
	cr_assert_eq(notify_init(), 1);
	cr_assert_eq(notify_watchdog_usec(), 1000000, "no pid: ours");
	setenv("WATCHDOG_USEC", "soon", 1);
	cr_assert_eq(notify_init(), 1);
	cr_assert_eq(notify_watchdog_usec(), 0, "not a number");
	unsetenv("WATCHDOG_USEC");
	cr_assert_eq(notify_init(), 1);
	cr_assert_eq(notify_watchdog_usec(), 0);
	notify_watchdog();
	cr_assert_null(nt_recv(), "no watchdog, no ping");
	nt_teardown();
}
