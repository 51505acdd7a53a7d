/* pool.c - worker threads, a bounded queue, and results via ev_async. */
#include "daemon/pool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/engine/secmem.h"
#include "shared/limits.h"

struct pool_queue {
	struct pool_job *head, *tail;
	unsigned n;
};

static struct {
	struct ev_loop *loop;
	ev_async wake;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct pool_queue todo, done;
	uint64_t held_since;         /* the oldest result in done */
	unsigned max_queued, nthreads;
	int stopping, nice;
	pthread_t threads[AG_POOL_THREADS_MAX];
	void *stacks[AG_POOL_THREADS_MAX];
} pool;

static void pool_push(struct pool_queue *q, struct pool_job *j)
{
	j->next = NULL;
	if (q->tail != NULL)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->n++;
}

static struct pool_job *pool_take_all(struct pool_queue *q)
{
	struct pool_job *j = q->head;

	q->head = q->tail = NULL;
	q->n = 0;
	return j;
}

static uint64_t pool_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A finished job goes back to the loop (under the lock).  The loop is
 * woken at once unless the job this thread takes next is a quick one:
 * then results gather, AG_POOL_BATCH at most and none held past
 * AG_POOL_HOLD_NS, and a verify storm costs a wakeup of the loop and a
 * send per client per batch, not per token.  A quiet pool, or a slow
 * job next (an RSA sign), never holds a result back. */
static void pool_finished(struct pool_job *j)
{
	uint64_t now = pool_clock();

	if (pool.done.n == 0)
		pool.held_since = now;
	pool_push(&pool.done, j);
	if (pool.todo.head != NULL && pool.todo.head->quick &&
	    !pool.stopping && pool.done.n < AG_POOL_BATCH &&
	    now - pool.held_since < AG_POOL_HOLD_NS)
		return;
	ev_async_send(pool.loop, &pool.wake);
}

static void *pool_thread(void *arg)
{
	struct pool_job *j;

	(void)arg;
	/* Linux gives each thread its own niceness */
	if (pool.nice > 0 &&
	    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid),
			getpriority(PRIO_PROCESS, 0) + pool.nice) != 0)
		log_warn("crypto thread keeps the loop's priority");
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		while (pool.todo.head == NULL && !pool.stopping)
			pthread_cond_wait(&pool.cond, &pool.lock);
		if (pool.todo.head == NULL)
			break;
		j = pool.todo.head;
		pool.todo.head = j->next;
		if (pool.todo.head == NULL)
			pool.todo.tail = NULL;
		pool.todo.n--;
		pthread_mutex_unlock(&pool.lock);
		j->run(j);
		pthread_mutex_lock(&pool.lock);
		pool_finished(j);
	}
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

static void pool_drain(struct ev_loop *loop, ev_async *w, int revents)
{
	struct pool_job *j, *next;

	(void)loop;
	(void)w;
	(void)revents;
	pthread_mutex_lock(&pool.lock);
	j = pool_take_all(&pool.done);
	pthread_mutex_unlock(&pool.lock);
	for (; j != NULL; j = next) {
		next = j->next;
		j->done(j);
	}
}

unsigned pool_size(unsigned threads)
{
	long cpus;

	if (threads == 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		threads = cpus > 0 ? (unsigned)cpus : 1;
	}
	return threads > AG_POOL_THREADS_MAX ? AG_POOL_THREADS_MAX : threads;
}

int pool_start(struct ev_loop *loop, unsigned threads, unsigned queue,
	       int nice)
{
	pthread_attr_t attr;
	unsigned i;

	threads = pool_size(threads);
	pool.loop = loop;
	pool.max_queued = queue;
	pool.nice = nice;
	pthread_mutex_init(&pool.lock, NULL);
	pthread_cond_init(&pool.cond, NULL);
	ev_async_init(&pool.wake, pool_drain);
	ev_async_start(loop, &pool.wake);
	/* jobs keep their scratch in thread-local storage; a small stack is
	 * plenty and keeps many threads cheap.  It is locked memory left out
	 * of core dumps: mbedTLS leaves key bytes in its locals (ECDSA's
	 * deterministic nonce seed holds the private scalar) and never
	 * zeroes them */
	for (i = 0; i < threads; i++) {
		pool.stacks[i] = secmem_map(AG_POOL_STACK);
		pthread_attr_init(&attr);
		if (pool.stacks[i] == NULL ||
		    pthread_attr_setstack(&attr, pool.stacks[i],
					  AG_POOL_STACK) != 0 ||
		    pthread_create(&pool.threads[i], &attr, pool_thread,
				   NULL) != 0) {
			pthread_attr_destroy(&attr);
			secmem_unmap(pool.stacks[i], AG_POOL_STACK);
			pool.stacks[i] = NULL;
			log_err("cannot start crypto thread %u", i);
			break;
		}
		pthread_attr_destroy(&attr);
		pool.nthreads++;
	}
	return pool.nthreads > 0 ? 0 : -1;
}

int pool_submit(struct pool_job *job)
{
	job->cancelled = 0;
	pthread_mutex_lock(&pool.lock);
	if (pool.todo.n >= pool.max_queued || pool.stopping) {
		pthread_mutex_unlock(&pool.lock);
		return -1;
	}
	pool_push(&pool.todo, job);
	pthread_cond_signal(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
	return 0;
}

unsigned pool_queued(void)
{
	unsigned n;

	pthread_mutex_lock(&pool.lock);
	n = pool.todo.n;
	pthread_mutex_unlock(&pool.lock);
	return n;
}

void pool_stop(void)
{
	struct pool_job *j, *next;
	unsigned i;

	pthread_mutex_lock(&pool.lock);
	pool.stopping = 1;
	for (j = pool_take_all(&pool.todo); j != NULL; j = next) {
		next = j->next;
		j->cancelled = 1;
		pool_push(&pool.done, j);
	}
	pthread_cond_broadcast(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
	for (i = 0; i < pool.nthreads; i++) {
		pthread_join(pool.threads[i], NULL);
		secmem_unmap(pool.stacks[i], AG_POOL_STACK);
		pool.stacks[i] = NULL;
	}
	pool.nthreads = 0;
	pool_drain(pool.loop, &pool.wake, 0);
	ev_async_stop(pool.loop, &pool.wake);
}
