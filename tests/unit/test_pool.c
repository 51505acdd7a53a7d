/* test_pool.c - the crypto pool through its door: jobs run on a thread,
 * results come back on a real ev loop.  One thread, so the order of the
 * work is known; jobs that wait on a gate make the timing certain. */
#include <pthread.h>
#include <semaphore.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daemon/pool.h"

#define TP_JOBS 4

struct tp_job {
	struct pool_job pool;        /* first: the pool hands it back */
	int gated;                   /* run() waits for tp.gate */
	int done;
};

static struct {
	struct ev_loop *loop;
	struct tp_job job[TP_JOBS];
	sem_t started, gate;
	unsigned done;
} tp;

static void tp_run(struct pool_job *p)
{
	struct tp_job *j = (struct tp_job *)p;

	sem_post(&tp.started);
	if (j->gated)
		sem_wait(&tp.gate);
}

static void tp_done(struct pool_job *p)
{
	((struct tp_job *)p)->done = 1;
	tp.done++;
}

static void tp_stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ONE);
}

/* Submits jobs 0..n-1; job 0 is gated until all are queued, so what a
 * thread sees behind each job is known. */
static void tp_submit(unsigned n)
{
	unsigned i;

	tp.job[0].gated = 1;
	for (i = 0; i < n; i++)
		cr_assert_eq(pool_submit(&tp.job[i].pool), 0);
	sem_wait(&tp.started);
	sem_post(&tp.gate);
}

/* Runs the loop for ms milliseconds, or until n results are back. */
static void tp_spin(unsigned ms, unsigned n)
{
	ev_timer t;

	ev_timer_init(&t, tp_stop_cb, ms / 1000.0, 0);
	ev_timer_start(tp.loop, &t);
	while (tp.done < n && ev_is_active(&t))
		ev_run(tp.loop, EVRUN_ONCE);
	ev_timer_stop(tp.loop, &t);
}

static void tp_setup(void)
{
	unsigned i;

	memset(&tp, 0, sizeof tp);
	sem_init(&tp.started, 0, 0);
	sem_init(&tp.gate, 0, 0);
	tp.loop = ev_loop_new(EVFLAG_AUTO);
	for (i = 0; i < TP_JOBS; i++) {
		tp.job[i].pool.run = tp_run;
		tp.job[i].pool.done = tp_done;
	}
	cr_assert_eq(pool_start(tp.loop, 1, 16, 0), 0);
}

static void tp_teardown(void)
{
	pool_stop();
	ev_loop_destroy(tp.loop);
}

TestSuite(pool, .init = tp_setup, .fini = tp_teardown);

/* Under a backlog of quick jobs (a verify storm) a result waits for the
 * quick job behind it, and both come back in one pass of the loop. */
Test(pool, result_waits_for_the_quick_job_behind_it)
{
	tp.job[0].pool.quick = tp.job[1].pool.quick = 1;
	tp.job[1].gated = 1;
	tp_submit(2);
	sem_wait(&tp.started);   /* job 1 runs: job 0 has finished */
	tp_spin(30, 1);
	cr_assert_eq(tp.done, 0, "job 0's result waits for job 1");
	sem_post(&tp.gate);
	tp_spin(5000, 2);
	cr_assert(tp.job[0].done && tp.job[1].done);
}

/* A result is never held behind a slow job (an RSA sign can take
 * milliseconds): it comes back while the slow one still runs. */
Test(pool, result_not_held_behind_a_slow_job)
{
	tp.job[0].pool.quick = 1;
	tp.job[1].gated = 1;
	tp_submit(2);
	tp_spin(5000, 1);
	cr_assert(tp.job[0].done, "job 0 back while job 1 runs");
	cr_assert_eq(tp.job[1].done, 0);
	sem_post(&tp.gate);
	tp_spin(5000, 2);
	cr_assert(tp.job[1].done);
}

/* Nor on a quiet pool: the last result of a burst comes back at once. */
Test(pool, last_result_not_held)
{
	tp.job[0].pool.quick = 1;
	tp_submit(1);
	tp_spin(5000, 1);
	cr_assert(tp.job[0].done);
}

/* Nor past AG_POOL_HOLD_NS: results held behind a quick job that ran
 * long go back when it ends, even though another quick job follows. */
Test(pool, held_results_released_by_age)
{
	unsigned i;

	for (i = 0; i < TP_JOBS; i++)
		tp.job[i].pool.quick = 1;
	tp.job[2].gated = tp.job[3].gated = 1;
	tp_submit(TP_JOBS);
	for (i = 0; i < 2; i++)
		sem_wait(&tp.started);   /* job 2 runs: jobs 0 and 1 held */
	tp_spin(30, 1);
	cr_assert_eq(tp.done, 0);
	sem_post(&tp.gate);
	sem_wait(&tp.started);           /* job 3 runs */
	tp_spin(5000, 3);
	cr_assert_eq(tp.done, 3, "jobs 0 to 2 back while job 3 runs");
	sem_post(&tp.gate);
	tp_spin(5000, 4);
	cr_assert_eq(tp.done, 4);
}
