/*
 * job.h - the operations that sign, verify or make keys.  HMAC work runs
 * at once on the event loop (it costs less than a hand-off); RSA, ECDSA
 * and key generation go to the crypto pool and reply when they finish.
 * A pool job holds a reference to its connection and to the keyring it
 * started with.
 */
#ifndef AG_JOB_H
#define AG_JOB_H

struct conn;
struct request;

/* What a job function returns once the job itself counts the request's
 * outcome (daemon/stats.h), now or when the pool finishes. */
#define JOB_COUNTED (-1)

/* r, as request_parse took it apart: a sign (argument "payload"), a
 * verify ("token") or a rotate ("alg", optional; one rotation at a time).
 * Each leads to exactly one completion of the request on c, now or when
 * the pool finishes.  Returns the code it answered with (an enum ag_err)
 * when refused before a job was made, else JOB_COUNTED. */
int job_sign(struct conn *c, const struct request *r);
int job_verify(struct conn *c, const struct request *r);
int job_rotate(struct conn *c, const struct request *r);
/* At the stop: the signs that wait for the next second (a subject
 * revocation of this one would cover them) fail AG_E_BUSY. */
void job_stop(void);

#endif
