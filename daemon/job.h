/*
 * job.h - the operations that sign, verify or make keys.  HMAC work runs
 * at once on the event loop (it costs less than a hand-off); RSA, ECDSA
 * and key generation go to the crypto pool and reply when they finish.
 * Each job holds a reference to its connection and to the keyring it
 * started with.
 */
#ifndef AG_JOB_H
#define AG_JOB_H

#include <stdint.h>

struct conn;
struct request;

/* r, as request_parse took it apart, is a sign (argument "payload"),
 * verify ("token") or rotate ("alg", optional; one rotation at a time).
 * Returns 0 once a reply is on its way, -1 if the request was answered
 * with an error here. */
int job_start(struct conn *c, const struct request *r);

#endif
