/*
 * Synchronization across CPUs, the protocols of bench/linux/bench.c: condvar signal to wake-up
 * (CPU 0 -> 1), semaphore ping-pong (CPU 0 <-> 1, a sample is one hand-off), and barriers of 2
 * and 4 threads on CPUs 0..k-1, sleeping (nk_barrier) and spinning (nk_spin_barrier, what a
 * runtime uses between parallel regions). Partners are bound to CPUs 1..k-1.
 * If a wait times out the benchmark fails and its partner is left where it is blocked. Mutex,
 * condvar and barrier calls fail only on misuse (-EPERM, -EDEADLK), which this code does not
 * do: their results go unchecked in the timed loops, as pthread's do on Linux.
 */
#include <nautilus/barrier.h>
#include <nautilus/bench.h>
#include <nautilus/condvar.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/mutex.h>
#include <nautilus/semaphore.h>
#include <nautilus/string.h>
#include <nautilus/thread.h>

#define SETTLE_TICKS 20000 /* a blocked thread's CPU is in its idle loop by then */

/*
 * ---- condvar signal to wake-up, CPU 0 -> CPU 1 ----
 * The waiter on CPU 1 blocks in nk_condvar_wait; once it is asleep (SETTLE_TICKS after it
 * released the mutex) CPU 0 stamps the time and signals. The sample is the TSC the waiter reads
 * when it holds the mutex again minus that stamp.
 */
struct cv_bench {
	struct nk_mutex m;
	struct nk_condvar cv;
	int waiting; /* the waiter is in nk_condvar_wait (set under m) */
	int round;   /* rounds signalled so far */
	int rounds;
	uint64_t t_signal;
	uint64_t *wake; /* per round: wake-up TSC minus t_signal */
};

static void cv_waiter(void *input, void **output)
{
	struct cv_bench *c = input;

	nk_mutex_lock(&c->m);
	for (int i = 0; i < c->rounds; i++) {
		__atomic_store_n(&c->waiting, 1, __ATOMIC_RELEASE);
		while (c->round == i)
			nk_condvar_wait(&c->cv, &c->m);
		c->wake[i] = nk_bench_now() - c->t_signal;
	}
	nk_mutex_unlock(&c->m);
}

static int cv_signal_rounds(struct cv_bench *c)
{
	for (int i = 0; i < c->rounds; i++) {
		int err = nk_bench_wait(&c->waiting, 1);

		if (err)
			return err;
		nk_mutex_lock(&c->m); /* the waiter has released it: it is in nk_condvar_wait */
		nk_mutex_unlock(&c->m);
		nk_bench_spin(SETTLE_TICKS);
		nk_mutex_lock(&c->m);
		c->waiting = 0;
		c->round = i + 1;
		c->t_signal = nk_bench_now();
		nk_condvar_signal(&c->cv);
		nk_mutex_unlock(&c->m);
	}
	return 0;
}

NK_BENCH(condvar_wakeup, 2, 1000)
{
	struct cv_bench c = { .rounds = b->warmup + b->iters };
	nk_thread_id_t t;
	int err;

	c.wake = nk_calloc((size_t)c.rounds, sizeof(*c.wake));
	if (!c.wake)
		return -ENOMEM;
	nk_mutex_init(&c.m);
	nk_condvar_init(&c.cv);
	err = nk_thread_start(cv_waiter, &c, NULL, 0, 0, &t, 1);
	if (!err)
		err = cv_signal_rounds(&c);
	if (!err)
		err = nk_thread_join(t, NULL);
	if (!err)
		memcpy(b->samples, c.wake + b->warmup, (size_t)b->iters * sizeof(*c.wake));
	nk_free(c.wake);
	return err;
}

/*
 * ---- semaphore ping-pong, CPU 0 <-> CPU 1 ----
 * CPU 0 ups ping and downs pong; the partner downs ping and ups pong. A sample is half a
 * round trip: one hand-off.
 */
struct pingpong {
	struct nk_sem ping, pong;
	int rounds;
};

static void sem_partner(void *input, void **output)
{
	struct pingpong *p = input;

	for (int i = 0; i < p->rounds; i++) {
		nk_sem_down(&p->ping);
		nk_sem_up(&p->pong);
	}
}

NK_BENCH(sem_pingpong, 2, 2000)
{
	struct pingpong p = { .rounds = b->warmup + b->iters };
	nk_thread_id_t t;
	int err;

	nk_sem_init(&p.ping, 0);
	nk_sem_init(&p.pong, 0);
	err = nk_thread_start(sem_partner, &p, NULL, 0, 0, &t, 1);
	if (err)
		return err;
	for (int i = -b->warmup; i < b->iters; i++) {
		uint64_t t0 = nk_bench_now();

		nk_sem_up(&p.ping);
		nk_sem_down(&p.pong);
		nk_bench_record(b, i, (nk_bench_now() - t0) / 2);
	}
	return nk_thread_join(t, NULL);
}

/*
 * ---- barrier of k threads on CPUs 0..k-1 ----
 * Back-to-back episodes timed on CPU 0 from one return from the barrier to the next but one,
 * halved: a sample is an episode averaged over two, because single episodes alternate between
 * CPU 0 arriving last and first (bench/linux/bench.c says more).
 */
struct barrier_bench {
	struct nk_barrier b;
	struct nk_spin_barrier sb;
	bool spin;
	int rounds;
};

static void barrier_wait(struct barrier_bench *bb)
{
	if (bb->spin)
		nk_spin_barrier_wait(&bb->sb);
	else
		nk_barrier_wait(&bb->b);
}

static void barrier_partner(void *input, void **output)
{
	struct barrier_bench *bb = input;

	for (int i = 0; i < bb->rounds; i++)
		barrier_wait(bb);
}

static void barrier_episodes(struct nk_bench_ctx *b, struct barrier_bench *bb)
{
	uint64_t prev;

	barrier_wait(bb);
	prev = nk_bench_now();
	for (int i = -b->warmup; i < b->iters; i++) {
		uint64_t now;

		barrier_wait(bb);
		barrier_wait(bb);
		now = nk_bench_now();
		nk_bench_record(b, i, (now - prev) / 2);
		prev = now;
	}
}

/* Partners on CPUs 1..k-1, then the episodes; every partner is joined. */
static int barrier_bench(struct nk_bench_ctx *b, int k, bool spin)
{
	struct barrier_bench bb = { .spin = spin, .rounds = 1 + 2 * (b->warmup + b->iters) };
	nk_thread_id_t t[3];
	int err = nk_barrier_init(&bb.b, k);

	if (!err)
		err = nk_spin_barrier_init(&bb.sb, k);
	for (int c = 1; c < k && !err; c++)
		err = nk_thread_start(barrier_partner, &bb, NULL, 0, 0, &t[c - 1], c);
	if (err)
		return err; /* partners already started wait at the first barrier for good */
	barrier_episodes(b, &bb);
	for (int c = 1; c < k; c++) {
		int e = nk_thread_join(t[c - 1], NULL);

		err = err ? err : e;
	}
	return err;
}

NK_BENCH(barrier_2, 2, 2000)
{
	return barrier_bench(b, 2, false);
}

NK_BENCH(barrier_4, 4, 2000)
{
	return barrier_bench(b, 4, false);
}

NK_BENCH(spin_barrier_2, 2, 2000)
{
	return barrier_bench(b, 2, true);
}

NK_BENCH(spin_barrier_4, 4, 2000)
{
	return barrier_bench(b, 4, true);
}
