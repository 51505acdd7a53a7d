/*
 * server.h - the listening socket (our own, or one systemd hands over
 * through LISTEN_FDS), accepting without a busy loop when out of file
 * descriptors, the current keyring and signals.
 */
#ifndef AG_SERVER_H
#define AG_SERVER_H

#include <ev.h>
#include <stdint.h>

#include "daemon/config.h"
#include "daemon/conn.h"
#include "daemon/keyring.h"

/* Locks the state directory, takes the socket (systemd's or our own),
 * then loads the revocations and opens the cache; nothing in the state
 * directory is read or written before the lock and the socket are held.
 * Connections open with co (bounds and handler; it must outlive the
 * server).  On error nothing stays open and *e says why. */
int server_start(struct ev_loop *loop, const struct config *cfg,
		 const struct conn_opts *co, struct keyring *kr,
		 struct ag_error *e);
/* The revocations of cfg's state directory, revoke_open with flags: what
 * a start loads, and (REVOKE_CHECK) what agauthd -t checks. */
int server_revocations(const struct config *cfg, int flags,
		       struct ag_error *e);
/* Runs the loop until SIGTERM or SIGINT, then cleans up (the caller
 * frees what the connection handler keeps, after). */
void server_run(void);

const struct config *server_config(void);
/* The daemon's event loop, for modules that arm their own timers. */
struct ev_loop *server_loop(void);
/* The keyring requests start with (take a reference to keep it). */
struct keyring *server_keyring(void);
/* Makes kr current (takes the caller's reference). */
void server_set_keyring(struct keyring *kr);
/* READY=1 to systemd with the live keyring generation as STATUS=. */
void server_notify_ready(void);
/* Reloads the keyring manifest; on error the current keyring stays. */
int server_reload(struct ag_error *e);

#endif
