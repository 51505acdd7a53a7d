/*
 * dispatch.h - one request frame: decode it (bounded), check the peer's
 * right to the operation, run it (HMAC inline, RSA/ECDSA and key
 * generation on the crypto pool) and queue the reply on the connection.
 */
#ifndef AG_DISPATCH_H
#define AG_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "daemon/conn.h"

/* What connections open with: cfg's bounds, and dispatch_frame with cfg
 * (whose rights it checks; cfg must outlive the connections). */
void dispatch_opts(const struct config *cfg, struct conn_opts *o);
/* conn_opts' frame handler; arg is the configuration.  body is valid
 * only during the call.  Every call leads to exactly one request
 * completion on c, now or when the pool finishes. */
void dispatch_frame(const void *arg, struct conn *c, const uint8_t *body,
		    size_t n);
/* Frees what dispatching keeps between frames (at exit). */
void dispatch_end(void);

#endif
