/*
 * pool.h - a small crypto thread pool.  RSA and ECDSA cost milliseconds;
 * run on the event loop they would stall every other client, so they run
 * here, and their results come back to the loop through an ev_async.
 * HMAC work stays on the loop: it costs less than the hand-off.
 */
#ifndef AG_POOL_H
#define AG_POOL_H

#include <ev.h>

struct pool_job {
	/* run() on a pool thread; done() back on the loop thread */
	void (*run)(struct pool_job *);
	void (*done)(struct pool_job *);
	struct pool_job *next;
	int quick;                   /* short (a verify): a finished result
				      * may wait for it to end */
	int cancelled;               /* done() without run(): stopping */
};

/* The threads pool_start(threads) starts: one per CPU for 0, at most
 * AG_POOL_THREADS_MAX. */
unsigned pool_size(unsigned threads);
/* threads: 0 for one per CPU.  queue: jobs waiting before submit fails.
 * nice: the threads' niceness above the loop's, so that a burst of RSA
 * or ECDSA work cannot take the CPU from the HMAC requests the loop
 * answers inline. */
int pool_start(struct ev_loop *loop, unsigned threads, unsigned queue,
	       int nice);
/* 0, or -1 when the queue is full (the caller answers AG_E_BUSY). */
int pool_submit(struct pool_job *job);
unsigned pool_queued(void);
/* Stops the threads after the jobs they are running; queued jobs are
 * cancelled (done() without run()), so a long queue does not hold up a
 * shutdown. */
void pool_stop(void);

#endif
