/*
 * notify.h - tells systemd how agauthd is doing, through the sd_notify(3)
 * protocol: one datagram of "KEY=VALUE" lines to the AF_UNIX socket named
 * by $NOTIFY_SOCKET (a path, or an abstract address written with a
 * leading '@').
 *
 *   READY=1, STATUS=...        listening and the crypto pool running; again
 *                              after each SIGHUP reload (success or not)
 *   RELOADING=1, MONOTONIC_USEC=N   a SIGHUP reload starts (N: now on
 *                              CLOCK_MONOTONIC, in microseconds)
 *   STOPPING=1                 SIGTERM or SIGINT
 *   WATCHDOG=1                 from the heartbeat timer, when systemd set
 *                              $WATCHDOG_USEC (and $WATCHDOG_PID is ours
 *                              or unset)
 *
 * Why not libsystemd's sd_notify(): the protocol is a documented, stable
 * interface (sd_notify(3); systemd's interface portability and stability
 * promise covers it) that takes a socket and a sendto to speak.  Linking
 * libsystemd would map a large library and its compression and crypto
 * dependencies into the process that holds the keys, for those few lines,
 * and make systemd a build dependency of a daemon that runs without it.
 *
 * With NOTIFY_SOCKET unset every call here does nothing.  Loop thread only.
 */
#ifndef AG_NOTIFY_H
#define AG_NOTIFY_H

#include <stdint.h>

/* Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID.  1: messages
 * will be sent; 0: NOTIFY_SOCKET is unset; -1: it is set but unusable
 * (not an absolute path or '@' name, too long, or no socket); with 0 or
 * -1 the other calls do nothing. */
int notify_init(void);
/* Closes the socket; later calls do nothing until notify_init. */
void notify_close(void);

/* READY=1 and STATUS=, formatted; a newline in the status becomes a
 * space.  0 sent (or nothing to do), -1 the send failed. */
int notify_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* STATUS= only. */
int notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* RELOADING=1, STATUS=reloading the keyring, MONOTONIC_USEC=now. */
int notify_reloading(void);
/* STOPPING=1, STATUS=stopping. */
int notify_stopping(void);

/* The watchdog interval systemd asked for in microseconds; 0 for none. */
uint64_t notify_watchdog_usec(void);
/* From the heartbeat timer: WATCHDOG=1 once a fifth of the interval has
 * passed since the last one.  Pings are then at most a fifth of the
 * interval and one beat apart: under half the interval, with room for a
 * late beat, for any interval of a few seconds (WatchdogSec=10s: every
 * 2 to 2.25 s); a short interval gets one ping each beat. */
void notify_watchdog(void);
/* The same at a given CLOCK_MONOTONIC time in microseconds: 1 if it sent,
 * 0 if not due (or no watchdog), -1 if the send failed.  For the tests. */
int notify_watchdog_at(uint64_t now_usec);

/* CLOCK_MONOTONIC in microseconds, as MONOTONIC_USEC carries it. */
uint64_t notify_monotonic_usec(void);

#endif
