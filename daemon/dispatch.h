/*
 * dispatch.h - one request frame: decode it (bounded), check the peer's
 * right to the operation, run it (HMAC inline, RSA/ECDSA and key
 * generation on the crypto pool) and queue the reply on the connection.
 */
#ifndef AG_DISPATCH_H
#define AG_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

struct conn;

/* body is valid only during the call.  Every call leads to exactly one
 * conn_sent(c, 1), now or when the pool finishes. */
void dispatch_frame(struct conn *c, const uint8_t *body, size_t n);
/* Frees what dispatching keeps between frames (at exit). */
void dispatch_end(void);

#endif
