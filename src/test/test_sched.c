/*
 * KTAP suite `sched`: preemption between spinning threads, wake-up of a thread on an idle CPU,
 * work stealing, nk_thread_move, nk_sleep, timers (order, cancel, wait, thread callbacks),
 * round-robin yield, priority preemption, the tickless CPU, the statistics, and FPU/SSE state
 * kept per thread across switches.
 *
 * Under plain TCG the host may not run a vCPU for milliseconds: what is measured in time has a
 * lower bound that always holds (never early) and a generous upper bound on the best of a few
 * tries. Threads end on a flag or a hard deadline, and everything they touch is static.
 */
#include <nautilus/arch.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/kernel.h>
#include <nautilus/sched.h>
#include <nautilus/spinlock.h>
#include <nautilus/string.h>
#include <nautilus/test.h>
#include <nautilus/thread.h>
#include <nautilus/time.h>
#include <nautilus/timer.h>
#include <nautilus/waitqueue.h>

#define US	 1000ULL
#define MS	 1000000ULL
#define WAIT_NS	 (5000 * MS)  /* what has not happened after 5 s will not */
#define SPIN_MAX (10000 * MS) /* a spinner stops by itself after 10 s */

/* Sleep-poll until *p >= v or the deadline: threads of any priority on this CPU may run. */
static bool await_ge(const volatile int *p, int v, uint64_t deadline)
{
	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) < v) {
		if (nk_time_ns() > deadline)
			return false;
		nk_sleep(MS / 4);
	}
	return true;
}

/* An online CPU other than this one, or this one on a single-CPU machine. */
static int other_cpu(void)
{
	for (int i = 1; i < nk_cpu_count(); i++) {
		int cpu = (nk_cpu_id() + i) % nk_cpu_count();

		if (nk_cpu_get(cpu)->state == NK_CPU_ONLINE)
			return cpu;
	}
	return nk_cpu_id();
}

static struct nk_sched_stats stats_of(int cpu)
{
	struct nk_sched_stats st;

	memset(&st, 0, sizeof(st));
	nk_sched_get_stats(cpu, &st);
	return st;
}

/* --- spinners: burn CPU, count, note where they ran --- */

struct spinner {
	volatile int stop;
	volatile int started;
	volatile int watch; /* record CPUs in cpus_watched only while set */
	volatile uint64_t count;
	volatile uint64_t cpus, cpus_watched; /* bit per CPU it ran on */
	volatile int last_cpu;
	uint64_t first_ns, last_ns;
};

static void spin(void *in, void **out)
{
	struct spinner *s = in;
	uint64_t end = nk_time_ns() + SPIN_MAX;

	s->first_ns = nk_time_ns();
	s->started = 1;
	while (!s->stop && nk_time_ns() < end) {
		uint64_t bit = 1ULL << nk_cpu_id();

		s->count++;
		s->last_cpu = nk_cpu_id();
		__atomic_or_fetch(&s->cpus, bit, __ATOMIC_RELAXED);
		if (s->watch)
			__atomic_or_fetch(&s->cpus_watched, bit, __ATOMIC_RELAXED);
		__builtin_ia32_pause();
	}
	s->last_ns = nk_time_ns();
}

/* Start n spinners on cpu (NK_CPU_ANY: free) at prio; how many started. */
static int start_spinners(struct spinner *s, nk_thread_id_t *t, int n, int cpu, int prio)
{
	int started = 0;

	memset((void *)s, 0, n * sizeof(*s));
	for (int i = 0; i < n; i++) {
		if (nk_thread_create(spin, &s[i], NULL, 0, 0, &t[i], cpu))
			break;
		nk_thread_set_priority(t[i], prio);
		nk_thread_run(t[i]);
		started++;
	}
	return started;
}

/* Stop and join n spinners; how many joins failed. */
static int stop_spinners(struct spinner *s, nk_thread_id_t *t, int n)
{
	int failed = 0;

	for (int i = 0; i < n; i++)
		s[i].stop = 1;
	for (int i = 0; i < n; i++)
		failed += nk_thread_join(t[i], NULL) != 0;
	return failed;
}

/* Until each of n spinners counted past its mark (a snapshot of counts), or the deadline. */
static bool await_progress(struct spinner *s, const uint64_t *mark, int n, uint64_t deadline)
{
	for (int i = 0; i < n; i++)
		while (s[i].count <= mark[i]) {
			if (nk_time_ns() > deadline)
				return false;
			nk_sleep(MS / 2);
		}
	return true;
}

static int popcount(uint64_t x)
{
	return __builtin_popcountll(x);
}

/* --- preemption --- */

static struct spinner pair[2];

/*
 * Two threads that never yield, bound to one CPU: both progress, again and again, so the
 * quantum preempts. While both live, one runs and the other waits on the run queue.
 */
NK_TEST(sched, two_spinners_one_cpu_both_progress)
{
	int cpu = other_cpu();
	struct nk_sched_stats before = stats_of(cpu), during;
	uint64_t mark[2] = { 0, 0 };
	nk_thread_id_t t[2];
	int n = start_spinners(pair, t, 2, cpu, NK_PRIO_DEFAULT);

	NK_EXPECT_EQ(n, 2);
	for (int round = 0; round < 3 && n == 2; round++) {
		NK_EXPECT(await_progress(pair, mark, 2, nk_time_ns() + WAIT_NS));
		mark[0] = pair[0].count;
		mark[1] = pair[1].count;
	}
	during = stats_of(cpu);
	NK_EXPECT_EQ(stop_spinners(pair, t, n), 0);
	NK_EXPECT_GE(during.runnable, 1);
	NK_EXPECT_GE(during.threads, before.threads + 2);
	NK_EXPECT(!during.tickless); /* two runnable threads need a quantum */
	NK_EXPECT_GE(during.preemptions, before.preemptions + 2);
	NK_EXPECT_EQ(pair[0].cpus, 1ULL << cpu);
	NK_EXPECT_EQ(pair[1].cpus, 1ULL << cpu);
}

/* --- wake-up on an idle CPU --- */

#define WAKE_TRIES    8
#define WAKE_BEST_MAX (50 * MS) /* the best of the tries, IPI and halt exit under TCG included */

static struct {
	struct nk_waitqueue wq;
	volatile int armed; /* tries the sleeper is waiting in */
	int err[WAKE_TRIES];
	volatile uint64_t woke_ns[WAKE_TRIES];
} wake;

static void sleeper(void *in, void **out)
{
	for (int i = 0; i < WAKE_TRIES; i++) {
		unsigned long flags = nk_spin_lock_irqsave(&wake.wq.lock);
		struct nk_waiter w;

		wake.armed = i + 1;
		wake.err[i] = nk_waitqueue_sleep(&wake.wq, &w, flags, nk_time_ns() + WAIT_NS);
		wake.woke_ns[i] = nk_time_ns();
	}
}

/* Wake the sleeper's try i once it waits (and its CPU had time to halt); when it was woken. */
static uint64_t wake_try(int i)
{
	unsigned long flags;
	uint64_t t0 = 0;

	if (!await_ge(&wake.armed, i + 1, nk_time_ns() + WAIT_NS))
		return 0;
	nk_sleep(2 * MS);
	flags = nk_spin_lock_irqsave(&wake.wq.lock);
	if (nk_waitqueue_first(&wake.wq)) {
		t0 = nk_time_ns();
		nk_waitqueue_wake_locked(&wake.wq, nk_waitqueue_first(&wake.wq), 0);
	}
	nk_spin_unlock_irqrestore(&wake.wq.lock, flags);
	return t0;
}

NK_TEST(sched, wakeup_on_idle_cpu_is_prompt)
{
	int cpu = other_cpu();
	uint64_t best = ~0ULL, t0, ipis;
	nk_thread_id_t t;

	if (cpu == nk_cpu_id())
		NK_SKIP("one CPU: no idle CPU to wake a thread on");
	memset(&wake, 0, sizeof(wake));
	nk_waitqueue_init(&wake.wq);
	ipis = stats_of(cpu).wakeup_ipis;
	NK_ASSERT_EQ(nk_thread_start(sleeper, NULL, NULL, 0, 0, &t, cpu), 0);
	for (int i = 0; i < WAKE_TRIES; i++) {
		t0 = wake_try(i);
		NK_EXPECT_NE(t0, 0);
		while (t0 && !wake.woke_ns[i] && nk_time_ns() < t0 + WAIT_NS)
			nk_sleep(MS / 4); /* this vCPU halts: the host runs the woken one */
		NK_EXPECT_EQ(wake.err[i], 0);
		if (t0 && wake.woke_ns[i] > t0)
			best = NK_MIN(best, wake.woke_ns[i] - t0);
	}
	NK_EXPECT_EQ(nk_thread_join(t, NULL), 0);
	NK_EXPECT_LT(best, WAKE_BEST_MAX);
	NK_EXPECT_GE(stats_of(cpu).wakeup_ipis, ipis + 1);
	nk_test_diag("best wake-up latency on idle CPU %d: %llu us", cpu,
		     (unsigned long long)(best / US));
}

/* --- stealing and moving --- */

#define HOGS_PER_CPU 8
#define FREE_PER_CPU 2

static struct spinner hogs[NK_MAX_CPUS * HOGS_PER_CPU], freebies[NK_MAX_CPUS * FREE_PER_CPU];
static nk_thread_id_t hog_ids[NK_MAX_CPUS * HOGS_PER_CPU], free_ids[NK_MAX_CPUS * FREE_PER_CPU];

/* Bound hogs load every other CPU so that the placement puts free threads here. */
static int start_hogs(void)
{
	int n = 0;

	for (int cpu = 0; cpu < nk_cpu_count(); cpu++)
		if (cpu != nk_cpu_id() && nk_cpu_get(cpu)->state == NK_CPU_ONLINE)
			n += start_spinners(&hogs[n], &hog_ids[n], HOGS_PER_CPU, cpu,
					    NK_PRIO_DEFAULT);
	return n;
}

static uint64_t total_steals(void)
{
	uint64_t sum = 0;

	for (int cpu = 0; cpu < nk_cpu_count(); cpu++)
		sum += stats_of(cpu).steals;
	return sum;
}

static uint64_t cpus_watched(int n)
{
	uint64_t all = 0;

	for (int i = 0; i < n; i++)
		all |= freebies[i].cpus_watched;
	return all;
}

/*
 * Free threads started while the other CPUs are busy with bound hogs; when the hogs end, the
 * other CPUs have nothing of their own and must steal: the free threads then run on more than
 * one CPU, and steals are counted.
 */
NK_TEST(sched, idle_cpus_steal_free_threads)
{
	int hogs_n, free_n, want = NK_MIN(nk_cpu_online_count(), FREE_PER_CPU * nk_cpu_count());
	uint64_t steals = total_steals(), end;

	if (nk_cpu_online_count() < 2)
		NK_SKIP("one CPU: nothing to steal to");
	hogs_n = start_hogs();
	free_n = start_spinners(freebies, free_ids, FREE_PER_CPU * nk_cpu_count(), NK_CPU_ANY,
				NK_PRIO_DEFAULT);
	NK_EXPECT_EQ(free_n, FREE_PER_CPU * nk_cpu_count());
	nk_sleep(10 * MS);
	NK_EXPECT_EQ(stop_spinners(hogs, hog_ids, hogs_n), 0);
	for (int i = 0; i < free_n; i++)
		freebies[i].watch = 1;
	end = nk_time_ns() + WAIT_NS;
	while (popcount(cpus_watched(free_n)) < want && nk_time_ns() < end)
		nk_sleep(MS);
	NK_EXPECT_EQ(stop_spinners(freebies, free_ids, free_n), 0);
	NK_EXPECT_EQ(popcount(cpus_watched(free_n)), want);
	NK_EXPECT_GT(total_steals(), steals);
	nk_test_diag("%d free threads ran on %d CPUs after the hogs ended; %llu steals", free_n,
		     popcount(cpus_watched(free_n)), (unsigned long long)(total_steals() - steals));
}

static struct spinner movable[2];
static volatile int moved_self_cpu;

static void move_self(void *in, void **out)
{
	int to = (int)(uintptr_t)in;

	*out = (void *)(uintptr_t)nk_thread_move(nk_thread_self(), to);
	moved_self_cpu = nk_cpu_id();
}

/* Until the spinner reports running on cpu, or the deadline. */
static bool await_on_cpu(struct spinner *s, int cpu, uint64_t deadline)
{
	while (s->last_cpu != cpu || !s->started) {
		if (nk_time_ns() > deadline)
			return false;
		nk_sleep(MS / 2);
	}
	return true;
}

/* Up to n online CPUs other than this one, in *cpus; how many. */
static int other_cpus(int *cpus, int n)
{
	int found = 0;

	for (int i = 0; i < nk_cpu_count() && found < n; i++)
		if (i != nk_cpu_id() && nk_cpu_get(i)->state == NK_CPU_ONLINE)
			cpus[found++] = i;
	return found;
}

/*
 * A free thread moves (another thread or itself); a bound one never does (-EPERM). The free
 * spinner goes to idle CPUs, where it runs alone: nothing would steal it back meanwhile.
 */
NK_TEST(sched, move_free_thread)
{
	int here = nk_cpu_id(), to[2], targets = other_cpus(to, 2);
	nk_thread_id_t t[2], m;
	void *err = (void *)1;

	NK_ASSERT_EQ(start_spinners(&movable[0], &t[0], 1, NK_CPU_ANY, NK_PRIO_DEFAULT), 1);
	NK_ASSERT_EQ(start_spinners(&movable[1], &t[1], 1, here, NK_PRIO_DEFAULT), 1);
	NK_EXPECT_EQ(nk_thread_move(t[1], targets ? to[0] : here), -EPERM);
	NK_EXPECT_EQ(nk_thread_move(t[0], nk_cpu_count()), -EINVAL);
	NK_EXPECT_EQ(nk_thread_move(t[0], NK_CPU_ANY), -EINVAL);
	NK_EXPECT(await_ge(&movable[0].started, 1, nk_time_ns() + WAIT_NS));
	for (int i = 0; i < targets; i++) {
		NK_EXPECT_EQ(nk_thread_move(t[0], to[i]), 0);
		NK_EXPECT(await_on_cpu(&movable[0], to[i], nk_time_ns() + WAIT_NS));
		NK_EXPECT_EQ(nk_thread_cpu(t[0]), to[i]);
	}
	NK_EXPECT_EQ(stop_spinners(movable, t, 2), 0);
	NK_EXPECT_EQ(movable[1].cpus, 1ULL << here);
	if (!targets)
		NK_SKIP("one CPU: nowhere to move to (refusals checked)");

	moved_self_cpu = -1;
	NK_ASSERT_EQ(
		nk_thread_start(move_self, (void *)(uintptr_t)to[0], NULL, 0, 0, &m, NK_CPU_ANY),
		0);
	NK_EXPECT_EQ(nk_thread_join(m, &err), 0);
	NK_EXPECT_NULL(err);
	NK_EXPECT_EQ(moved_self_cpu, to[0]);
}

/* --- sleep --- */

#define SLEEP_NS       (10 * MS)
#define SLEEP_TRIES    5
#define SLEEP_BEST_MAX (200 * MS)

/* The shortest of SLEEP_TRIES nk_sleep(10 ms); UINT64_MAX if one woke early. */
static uint64_t best_sleep(void)
{
	uint64_t best = ~0ULL;

	for (int i = 0; i < SLEEP_TRIES; i++) {
		uint64_t t0 = nk_time_ns(), took;

		nk_sleep(SLEEP_NS);
		took = nk_time_ns() - t0;
		if (took < SLEEP_NS)
			return ~0ULL;
		best = NK_MIN(best, took);
	}
	return best;
}

static void sleep_there(void *in, void **out)
{
	*out = (void *)(uintptr_t)best_sleep();
}

NK_TEST(sched, sleep_10ms_within_tolerance)
{
	uint64_t here = best_sleep(), t0 = nk_time_ns();
	void *there = NULL;
	nk_thread_id_t t;

	NK_EXPECT_LT(here, SLEEP_BEST_MAX);
	NK_ASSERT_EQ(nk_thread_start(sleep_there, NULL, NULL, 0, 0, &t, other_cpu()), 0);
	NK_ASSERT_EQ(nk_thread_join(t, &there), 0);
	NK_EXPECT_LT((uint64_t)(uintptr_t)there, SLEEP_BEST_MAX);
	nk_test_diag("best nk_sleep(10 ms): %llu us here, %llu us on CPU %d",
		     (unsigned long long)(here / US), (unsigned long long)((uintptr_t)there / US),
		     other_cpu());
	t0 = nk_time_ns();
	nk_sleep(0);
	NK_EXPECT_LT(nk_time_ns() - t0, SLEEP_BEST_MAX);
}

/* --- timers --- */

#define NR_TIMERS   1000
#define TIMER_BASE  (30 * MS)  /* more than setting them all takes: none fires while we set */
#define TIMER_STEP  (100 * US) /* delays: 50 steps, each used by 20 timers */
#define TIMER_STEPS 50

static struct nk_timer order_timers[NR_TIMERS];
static struct timer_seen {
	uint64_t deadline; /* as set (the timer's deadline_ns right after nk_timer_set) */
	int set_at;	   /* position in the setting order */
	int fired, cpu;
	uint64_t fired_ns;
} tseen[NR_TIMERS];
static int fire_order[NR_TIMERS];
static volatile int nr_fired;

static void record_fire(void *arg)
{
	int i = (int)(uintptr_t)arg, n = __atomic_fetch_add(&nr_fired, 1, __ATOMIC_ACQ_REL);

	if (n < NR_TIMERS)
		fire_order[n] = i;
	tseen[i].fired++;
	tseen[i].cpu = nk_cpu_id();
	tseen[i].fired_ns = nk_time_ns();
}

/* Set the timers in a scrambled order of delays: timer i (set k-th) waits a delay of step i%50. */
static int set_order_timers(int cpu)
{
	for (int k = 0; k < NR_TIMERS; k++) {
		int i = (int)((k * 337ULL) % NR_TIMERS); /* 337 is prime to 1000: a permutation */
		uint64_t ns = TIMER_BASE + (uint64_t)(i % TIMER_STEPS) * TIMER_STEP;
		int err;

		nk_timer_init(&order_timers[i], "order");
		err = nk_timer_set(&order_timers[i], ns, NK_TIMER_IRQ, record_fire,
				   (void *)(uintptr_t)i, cpu);
		if (err)
			return err;
		tseen[i].deadline = order_timers[i].deadline_ns;
		tseen[i].set_at = k;
	}
	return 0;
}

/* Fired before b should: an earlier deadline, or the same one set earlier. */
static bool before(const struct timer_seen *a, const struct timer_seen *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->set_at < b->set_at);
}

/* 1,000 timers on one CPU fire once each, by deadline (ties: in the order set), never early. */
NK_TEST(sched, timers_1000_fire_in_order)
{
	int cpu = other_cpu(), disorders = 0, early = 0;

	memset(tseen, 0, sizeof(tseen));
	nr_fired = 0;
	NK_ASSERT_EQ(set_order_timers(cpu), 0);
	NK_EXPECT(await_ge(&nr_fired, NR_TIMERS, nk_time_ns() + WAIT_NS));
	nk_sleep(5 * MS); /* a timer firing twice would show now */
	NK_ASSERT_EQ(nr_fired, NR_TIMERS);
	for (int n = 0; n < NR_TIMERS; n++) {
		struct timer_seen *s = &tseen[fire_order[n]];

		disorders += n && !before(&tseen[fire_order[n - 1]], s);
		early += s->fired_ns < s->deadline;
		NK_EXPECT_EQ(s->fired, 1);
		NK_EXPECT_EQ(s->cpu, cpu);
	}
	NK_EXPECT_EQ(disorders, 0);
	NK_EXPECT_EQ(early, 0);
	NK_EXPECT_EQ(nk_timer_pending(cpu), 0);
}

static volatile int cb_calls;

static void count_call(void *arg)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_ACQ_REL);
}

NK_TEST(sched, timer_cancel_prevents_callback)
{
	struct nk_timer *t;
	int cpus[2] = { nk_cpu_id(), other_cpu() };
	uint64_t start;

	NK_ASSERT_EQ(nk_timer_create("cancel", &t), 0);
	for (int i = 0; i < 2; i++) {
		int pending = nk_timer_pending(cpus[i]);

		cb_calls = 0;
		NK_EXPECT_EQ(nk_timer_set(t, 20 * MS, NK_TIMER_IRQ, count_call, (void *)&cb_calls,
					  cpus[i]),
			     0);
		NK_EXPECT_EQ(nk_timer_pending(cpus[i]), pending + 1);
		NK_EXPECT_EQ(nk_timer_cancel(t), 0);
		NK_EXPECT_EQ(nk_timer_cancel(t), -ENOENT);
		NK_EXPECT_EQ(nk_timer_pending(cpus[i]), pending);
		nk_sleep(40 * MS);
		NK_EXPECT_EQ(cb_calls, 0);
	}
	/*
	 * Re-arming replaces the first deadline: one call, at the second. Judged by when the call
	 * came (not by a count at a sleep's end), so a host that stalls the guest cannot fail it.
	 */
	cb_calls = 0;
	start = nk_time_ns();
	NK_EXPECT_EQ(
		nk_timer_set(t, 10 * MS, NK_TIMER_IRQ, count_call, (void *)&cb_calls, NK_CPU_ANY),
		0);
	NK_EXPECT_EQ(
		nk_timer_set(t, 60 * MS, NK_TIMER_IRQ, count_call, (void *)&cb_calls, NK_CPU_ANY),
		0);
	NK_EXPECT(await_ge(&cb_calls, 1, nk_time_ns() + WAIT_NS));
	NK_EXPECT(nk_time_ns() - start >= 60 * MS);
	nk_sleep(10 * MS);
	NK_EXPECT_EQ(cb_calls, 1);
	NK_EXPECT_EQ(nk_timer_cancel(t), -ENOENT); /* fired: nothing to cancel */
	NK_EXPECT_EQ(nk_timer_set(t, MS, 0x80, NULL, NULL, NK_CPU_ANY), -EINVAL);
	NK_EXPECT_EQ(nk_timer_set(t, MS, NK_TIMER_IRQ, NULL, NULL, nk_cpu_count()), -EINVAL);
	NK_EXPECT_EQ(nk_timer_pending(nk_cpu_count()), -EINVAL);
	nk_timer_destroy(t);
}

static struct nk_timer wait_timer;
static volatile int wait_result = 1;

static void wait_on_timer(void *in, void **out)
{
	wait_result = nk_timer_wait(&wait_timer);
}

NK_TEST(sched, timer_wait_fired_and_cancelled)
{
	nk_thread_id_t t;
	uint64_t t0;

	nk_timer_init(&wait_timer, "wait");
	NK_ASSERT_EQ(nk_timer_set(&wait_timer, 5 * MS, NK_TIMER_IRQ, NULL, NULL, other_cpu()), 0);
	NK_EXPECT_EQ(nk_timer_wait(&wait_timer), 0);
	NK_EXPECT_GE(nk_time_ns(), wait_timer.deadline_ns);
	NK_EXPECT_EQ(nk_timer_wait(&wait_timer), 0); /* fired already: at once */

	wait_result = 1;
	NK_ASSERT_EQ(nk_timer_set(&wait_timer, 10000 * MS, NK_TIMER_IRQ, NULL, NULL, NK_CPU_ANY),
		     0);
	NK_ASSERT_EQ(nk_thread_start(wait_on_timer, NULL, NULL, 0, 0, &t, other_cpu()), 0);
	t0 = nk_time_ns();
	while (wait_timer.waiters.nr_waiters == 0 && nk_time_ns() < t0 + WAIT_NS)
		nk_sleep(MS / 2);
	NK_EXPECT_EQ(nk_timer_cancel(&wait_timer), 0);
	NK_EXPECT_EQ(nk_thread_join(t, NULL), 0);
	NK_EXPECT_EQ(wait_result, -ECANCELED);
	NK_EXPECT_LT(nk_time_ns() - t0, WAIT_NS);
}

static struct context_seen {
	volatile int calls;
	int irq_nesting, cpu;
	bool irqs_on;
	nk_thread_id_t thread;
	uint64_t slept_ns;
} in_irq, in_thread;

static void note_context(struct context_seen *c)
{
	c->irq_nesting = NK_PER_CPU(irq_nesting);
	c->irqs_on = nk_arch_irqs_enabled();
	c->cpu = nk_cpu_id();
	c->thread = nk_thread_self();
}

static void irq_callback(void *arg)
{
	note_context(&in_irq);
	__atomic_add_fetch(&in_irq.calls, 1, __ATOMIC_ACQ_REL);
}

/* Blocks (sleeps), which only a thread may do. */
static void thread_callback(void *arg)
{
	uint64_t t0 = nk_time_ns();

	note_context(&in_thread);
	nk_sleep(MS);
	in_thread.slept_ns = nk_time_ns() - t0;
	__atomic_add_fetch(&in_thread.calls, 1, __ATOMIC_ACQ_REL);
}

NK_TEST(sched, timer_callback_contexts)
{
	static struct nk_timer a, b;
	int cpu = other_cpu();

	memset(&in_irq, 0, sizeof(in_irq));
	memset(&in_thread, 0, sizeof(in_thread));
	nk_timer_init(&a, "irq-cb");
	nk_timer_init(&b, "thread-cb");
	NK_ASSERT_EQ(nk_timer_set(&a, 2 * MS, NK_TIMER_IRQ, irq_callback, NULL, cpu), 0);
	NK_ASSERT_EQ(nk_timer_set(&b, 2 * MS, NK_TIMER_THREAD, thread_callback, NULL, cpu), 0);
	NK_EXPECT(await_ge(&in_irq.calls, 1, nk_time_ns() + WAIT_NS));
	NK_EXPECT(await_ge(&in_thread.calls, 1, nk_time_ns() + WAIT_NS));
	NK_EXPECT_GT(in_irq.irq_nesting, 0);
	NK_EXPECT(!in_irq.irqs_on);
	NK_EXPECT_EQ(in_irq.cpu, cpu);
	NK_EXPECT_EQ(in_thread.irq_nesting, 0);
	NK_EXPECT(in_thread.irqs_on);
	NK_EXPECT_EQ(in_thread.cpu, cpu);
	NK_EXPECT(in_thread.thread != nk_thread_self());
	NK_EXPECT_GE(in_thread.slept_ns, MS);
	nk_test_diag("thread callbacks run on \"%s\"", nk_thread_name(in_thread.thread));
}

/* --- round-robin and priorities --- */

#define RR_THREADS 3
#define RR_ROUNDS  100

static struct {
	volatile int go;
	int log[RR_THREADS * RR_ROUNDS];
	volatile int n;
} rr;

/* Wait for the start, then log this thread's turn and yield, RR_ROUNDS times. */
static void take_turns(void *in, void **out)
{
	int id = (int)(uintptr_t)in;
	uint64_t end = nk_time_ns() + WAIT_NS;

	while (!rr.go && nk_time_ns() < end) {
		nk_yield();
		__builtin_ia32_pause();
	}
	for (int i = 0; i < RR_ROUNDS; i++) {
		rr.log[__atomic_fetch_add(&rr.n, 1, __ATOMIC_ACQ_REL)] = id;
		nk_yield();
	}
}

/* Entries of the log that break the cycle set by its first RR_THREADS entries. */
static int rr_breaks(void)
{
	int breaks = 0;

	for (int i = RR_THREADS; i < rr.n; i++)
		breaks += rr.log[i] != rr.log[i % RR_THREADS];
	return breaks;
}

/*
 * Three threads of one priority on one CPU that yield after each step run in a fixed cycle. A
 * quantum expiring between a step and its yield (a host delay under TCG) shifts the cycle: the
 * breaks are then bounded by the preemptions counted meanwhile.
 */
NK_TEST(sched, yield_round_robin)
{
	int cpu = other_cpu(), started = 0, breaks;
	nk_thread_id_t t[RR_THREADS];
	uint64_t preempt;

	memset(&rr, 0, sizeof(rr));
	for (int i = 0; i < RR_THREADS; i++)
		started +=
			!nk_thread_create(take_turns, (void *)(uintptr_t)i, NULL, 0, 0, &t[i], cpu);
	NK_ASSERT_EQ(started, RR_THREADS);
	preempt = stats_of(cpu).preemptions;
	for (int i = 0; i < RR_THREADS; i++)
		NK_EXPECT_EQ(nk_thread_run(t[i]), 0);
	rr.go = 1;
	for (int i = 0; i < RR_THREADS; i++)
		NK_EXPECT_EQ(nk_thread_join(t[i], NULL), 0);
	preempt = stats_of(cpu).preemptions - preempt;
	breaks = rr_breaks();
	NK_ASSERT_EQ(rr.n, RR_THREADS * RR_ROUNDS);
	NK_EXPECT(rr.log[0] != rr.log[1] && rr.log[1] != rr.log[2] && rr.log[0] != rr.log[2]);
	NK_EXPECT_LE(breaks, (int)(preempt * 2 * RR_THREADS));
	if (breaks)
		nk_test_diag("%d breaks of the cycle after %llu preemptions", breaks,
			     (unsigned long long)preempt);
}

static struct spinner low;
static struct {
	volatile int ran;
	uint64_t woke_ns, ran_ns, low_count;
	int cpu;
} high;

/* Sleeps (a timer wakes it on its CPU), then notes when it ran and what the spinner had done. */
static void high_sleeper(void *in, void **out)
{
	uint64_t t0 = nk_time_ns();

	nk_sleep(5 * MS);
	high.ran_ns = nk_time_ns();
	high.woke_ns = t0 + 5 * MS;
	high.low_count = low.count;
	high.cpu = nk_cpu_id();
	high.ran = 1;
}

/*
 * A low-priority thread spins, alone on its CPU (tickless: no quantum would ever end it); a
 * higher-priority thread woken there by its timer runs at once, while the spinner still spins.
 */
NK_TEST(sched, higher_priority_wakeup_preempts)
{
	int cpu = other_cpu();
	nk_thread_id_t l, h;
	uint64_t mark;
	bool ran;

	memset(&high, 0, sizeof(high));
	NK_ASSERT_EQ(start_spinners(&low, &l, 1, cpu, NK_PRIO_MIN + 1), 1);
	NK_EXPECT(await_ge(&low.started, 1, nk_time_ns() + WAIT_NS));
	NK_EXPECT_EQ(nk_thread_create(high_sleeper, NULL, NULL, 0, 0, &h, cpu), 0);
	NK_EXPECT_EQ(nk_thread_set_priority(h, NK_PRIO_MAX), 0);
	NK_EXPECT_EQ(nk_thread_run(h), 0);
	ran = await_ge(&high.ran, 1, nk_time_ns() + WAIT_NS);
	NK_EXPECT(ran);
	mark = high.low_count;
	NK_EXPECT(await_progress(&low, &mark, 1, nk_time_ns() + WAIT_NS)); /* and resumed */
	NK_EXPECT_EQ(stop_spinners(&low, &l, 1), 0);
	NK_EXPECT_EQ(nk_thread_join(h, NULL), 0);
	NK_EXPECT_EQ(high.cpu, cpu);
	NK_EXPECT_GT(high.low_count, 0);
	/* Not after the spinner's own end (SPIN_MAX): one second is generous even under TCG. */
	NK_EXPECT_LT(high.ran_ns - high.woke_ns, 1000 * MS);
	if (ran)
		nk_test_diag("high-priority thread ran %llu us after its deadline",
			     (unsigned long long)((high.ran_ns - high.woke_ns) / US));
}

static struct nk_waitqueue prio_wq;
static volatile int prio_waiting;
static struct {
	volatile int ran;
	int err, cpu;
	uint64_t ran_ns, low_count;
} remote;

/* Waits on prio_wq (a deadline ends a failed test), then notes what the spinner had done. */
static void high_waiter(void *in, void **out)
{
	unsigned long flags = nk_spin_lock_irqsave(&prio_wq.lock);
	struct nk_waiter w;

	prio_waiting = 1;
	remote.err = nk_waitqueue_sleep(&prio_wq, &w, flags, nk_time_ns() + WAIT_NS);
	remote.ran_ns = nk_time_ns();
	remote.low_count = low.count;
	remote.cpu = nk_cpu_id();
	remote.ran = 1;
}

/* Wake the waiter once it waits; when, or 0. */
static uint64_t wake_high_waiter(void)
{
	unsigned long flags = nk_spin_lock_irqsave(&prio_wq.lock);
	uint64_t t0 = 0;

	if (nk_waitqueue_first(&prio_wq)) {
		t0 = nk_time_ns();
		nk_waitqueue_wake_locked(&prio_wq, nk_waitqueue_first(&prio_wq), 0);
	}
	nk_spin_unlock_irqrestore(&prio_wq.lock, flags);
	return t0;
}

/* The same, woken from this CPU through a wait queue: the reschedule IPI preempts there. */
NK_TEST(sched, higher_priority_remote_wakeup_preempts)
{
	int cpu = other_cpu();
	nk_thread_id_t l, h;
	uint64_t t0, mark;

	if (cpu == nk_cpu_id())
		NK_SKIP("one CPU: no other CPU to wake a thread on");
	nk_waitqueue_init(&prio_wq);
	prio_waiting = 0;
	memset(&remote, 0, sizeof(remote));
	NK_ASSERT_EQ(nk_thread_create(high_waiter, NULL, NULL, 0, 0, &h, cpu), 0);
	NK_EXPECT_EQ(nk_thread_set_priority(h, NK_PRIO_MAX), 0);
	NK_EXPECT_EQ(nk_thread_run(h), 0);
	NK_EXPECT(await_ge(&prio_waiting, 1, nk_time_ns() + WAIT_NS));
	NK_EXPECT_EQ(start_spinners(&low, &l, 1, cpu, NK_PRIO_MIN + 1), 1);
	NK_EXPECT(await_ge(&low.started, 1, nk_time_ns() + WAIT_NS));
	nk_sleep(2 * MS);
	t0 = wake_high_waiter();
	NK_EXPECT_NE(t0, 0);
	NK_EXPECT(await_ge(&remote.ran, 1, nk_time_ns() + WAIT_NS));
	mark = remote.low_count;
	NK_EXPECT(await_progress(&low, &mark, 1, nk_time_ns() + WAIT_NS)); /* and resumed */
	NK_EXPECT_EQ(stop_spinners(&low, &l, 1), 0);
	NK_EXPECT_EQ(nk_thread_join(h, NULL), 0);
	NK_EXPECT_EQ(remote.err, 0);
	NK_EXPECT_EQ(remote.cpu, cpu);
	NK_EXPECT_GT(remote.low_count, 0);
	NK_EXPECT_LT(remote.ran_ns - t0, 1000 * MS);
	if (remote.ran && t0)
		nk_test_diag("woken from CPU %d, ran on CPU %d %llu us later", nk_cpu_id(), cpu,
			     (unsigned long long)((remote.ran_ns - t0) / US));
}

/* --- tickless, statistics --- */

#define QUIET_NS (50 * MS)

static struct spinner alone;

/* No timer on cpu and one thread: over QUIET_NS no timer is armed and nothing switches. */
static void expect_quiet(struct nk_test_ctx *nk_t, int cpu, bool here)
{
	struct nk_sched_stats a, b;

	a = stats_of(cpu);
	if (here)
		nk_delay(QUIET_NS);
	else
		nk_sleep(QUIET_NS);
	b = stats_of(cpu);
	NK_EXPECT(a.tickless);
	NK_EXPECT(b.tickless);
	NK_EXPECT_EQ(b.timer_arms, a.timer_arms);
	NK_EXPECT_EQ(b.switches, a.switches);
	NK_EXPECT_EQ(b.runnable, 0);
}

NK_TEST(sched, tickless_with_one_thread)
{
	int cpu = other_cpu();
	nk_thread_id_t t;

	if (stats_of(nk_cpu_id()).runnable || nk_timer_pending(nk_cpu_id()))
		NK_SKIP("this CPU has other threads or timers");
	nk_delay(20 * MS); /* a quantum armed before this case ends by now */
	expect_quiet(nk_t, nk_cpu_id(), true);
	if (cpu == nk_cpu_id())
		return;
	NK_ASSERT_EQ(start_spinners(&alone, &t, 1, cpu, NK_PRIO_DEFAULT), 1);
	NK_EXPECT(await_ge(&alone.started, 1, nk_time_ns() + WAIT_NS));
	NK_EXPECT_EQ(nk_timer_pending(cpu), 0);
	nk_sleep(20 * MS);
	expect_quiet(nk_t, cpu, false);
	NK_EXPECT_EQ(stop_spinners(&alone, &t, 1), 0);
}

/* What any CPU's statistics promise at any time. */
static void expect_sane(struct nk_test_ctx *nk_t, int cpu)
{
	struct nk_sched_stats a = stats_of(cpu), b;

	NK_EXPECT_EQ(nk_sched_get_stats(cpu, &b), 0);
	NK_EXPECT_EQ(b.cpu, cpu);
	NK_EXPECT_GE(b.runnable, 0);
	NK_EXPECT_GE(b.threads, b.runnable);
	NK_EXPECT_LE(b.preemptions, b.switches);
	NK_EXPECT_GE(b.switches, a.switches);
	NK_EXPECT_GE(b.timer_arms, a.timer_arms);
	NK_EXPECT_GE(b.idle_ns, a.idle_ns);
	NK_EXPECT_GE(b.busy_ns, a.busy_ns);
	NK_EXPECT_LE(b.idle_ns + b.busy_ns, nk_time_ns() + MS);
}

static struct spinner timed;

/*
 * Busy time covers a spinner's whole run once it is joined; on another CPU, a sleep of ours is
 * idle time there (counted by the time a thread is switched in after it).
 */
NK_TEST(sched, stats_consistent)
{
	int cpu = other_cpu();
	struct nk_sched_stats a, b;
	nk_thread_id_t t;

	for (int i = 0; i < nk_cpu_count(); i++)
		if (nk_cpu_get(i)->state == NK_CPU_ONLINE)
			expect_sane(nk_t, i);
	NK_EXPECT_EQ(nk_sched_get_stats(nk_cpu_count(), &a), -EINVAL);
	NK_EXPECT_EQ(nk_sched_get_stats(-1, &a), -EINVAL);

	a = stats_of(cpu);
	NK_ASSERT_EQ(start_spinners(&timed, &t, 1, cpu, NK_PRIO_DEFAULT), 1);
	nk_sleep(20 * MS);
	NK_EXPECT_EQ(stop_spinners(&timed, &t, 1), 0);
	b = stats_of(cpu);
	NK_EXPECT_GE(b.busy_ns - a.busy_ns, timed.last_ns - timed.first_ns);
	NK_EXPECT_GE(b.switches, a.switches + 1);
	if (cpu == nk_cpu_id())
		return;
	a = stats_of(cpu);
	nk_sleep(QUIET_NS);
	NK_ASSERT_EQ(nk_thread_start(spin, &timed, NULL, 0, 0, &t, cpu), 0); /* stop is set */
	NK_EXPECT_EQ(nk_thread_join(t, NULL), 0);
	b = stats_of(cpu);
	NK_EXPECT_GE(b.idle_ns - a.idle_ns, QUIET_NS * 9 / 10);
}

/* --- FPU and SSE state --- */

#define FPU_YIELDS   1000
#define FPU_PREEMPTS 3 /* times a spinning thread sees the other progress meanwhile */

struct fpu_regs {
	uint64_t xmm0[2], xmm15[2];
	uint64_t st0; /* an IEEE double's bits, loaded into the x87 stack */
};

static struct fpu_thread {
	struct fpu_regs want;
	volatile int steps;	       /* checks done */
	int mismatches;		       /* checks that found other values */
	int yield_others, spin_others; /* checks that saw the other thread's progress */
	volatile int yielded, spun;    /* phases done */
} fpu[2];
static volatile int fpu_go;

/* The kernel is built without SSE: only these instructions touch the registers. */
static void fpu_load(const struct fpu_regs *r)
{
	asm volatile("movdqu %0, %%xmm0\n\t"
		     "movdqu %1, %%xmm15\n\t"
		     "fninit\n\t"
		     "fldl %2"
		     :
		     : "m"(r->xmm0), "m"(r->xmm15), "m"(r->st0));
}

static void fpu_read(struct fpu_regs *r)
{
	asm volatile("movdqu %%xmm0, %0\n\t"
		     "movdqu %%xmm15, %1\n\t"
		     "fstl %2"
		     : "=m"(r->xmm0), "=m"(r->xmm15), "=m"(r->st0));
}

/* The registers hold what this thread loaded; whether the other thread progressed since. */
static bool fpu_check(struct fpu_thread *me, const struct fpu_thread *other, int *other_seen)
{
	struct fpu_regs now;
	bool moved = other->steps != *other_seen;

	fpu_read(&now);
	me->mismatches += memcmp(&now, &me->want, sizeof(now)) != 0;
	*other_seen = other->steps;
	me->steps++;
	return moved;
}

/*
 * Check after each of FPU_YIELDS yields, then spin checking (only the quantum lets the other
 * run) until the other was seen to progress FPU_PREEMPTS times or has ended its spin.
 */
static void fpu_worker(void *in, void **out)
{
	int id = (int)(uintptr_t)in, other_seen = 0;
	struct fpu_thread *me = &fpu[id], *other = &fpu[!id];
	uint64_t end = nk_time_ns() + WAIT_NS;

	while (!fpu_go && nk_time_ns() < end)
		nk_yield();
	fpu_load(&me->want);
	for (int i = 0; i < FPU_YIELDS; i++) {
		nk_yield();
		me->yield_others += fpu_check(me, other, &other_seen);
	}
	me->yielded = 1;
	while (!other->yielded && nk_time_ns() < end)
		nk_yield();
	while (me->spin_others < FPU_PREEMPTS && !other->spun && nk_time_ns() < end) {
		me->spin_others += fpu_check(me, other, &other_seen);
		__builtin_ia32_pause();
	}
	me->spun = 1;
}

static void fpu_pattern(struct fpu_regs *r, int id)
{
	r->xmm0[0] = 0x0123456789abcdefULL ^ (uint64_t)id << 60;
	r->xmm0[1] = 0xfedcba9876543210ULL + id;
	r->xmm15[0] = 0xa5a5a5a5a5a5a5a5ULL * (id + 1);
	r->xmm15[1] = 0x5a5a5a5a00000000ULL | id;
	r->st0 = id ? 0x400921fb54442d18ULL : 0xc005bf0a8b145769ULL; /* pi, -e */
}

/*
 * Two threads on one CPU load different values into %xmm0, %xmm15 and %st(0), then yield
 * and are preempted many times: each must read back its own values every time, so the
 * switch saves and restores the state of the threads that use it.
 */
NK_TEST(sched, fpu_sse_state_per_thread)
{
	int cpu = other_cpu();
	nk_thread_id_t t[2];

	memset(fpu, 0, sizeof(fpu));
	fpu_go = 0;
	for (int i = 0; i < 2; i++) {
		fpu_pattern(&fpu[i].want, i);
		NK_ASSERT_EQ(
			nk_thread_start(fpu_worker, (void *)(uintptr_t)i, NULL, 0, 0, &t[i], cpu),
			0);
	}
	fpu_go = 1;
	for (int i = 0; i < 2; i++)
		NK_EXPECT_EQ(nk_thread_join(t[i], NULL), 0);
	for (int i = 0; i < 2; i++) {
		NK_EXPECT_EQ(fpu[i].mismatches, 0);
		NK_EXPECT_GE(fpu[i].steps, FPU_YIELDS);
		/* the other thread ran between most of our yields */
		NK_EXPECT_GE(fpu[i].yield_others, FPU_YIELDS / 2);
	}
	NK_EXPECT(fpu[0].spin_others >= FPU_PREEMPTS || fpu[1].spin_others >= FPU_PREEMPTS);
}

static struct fpu_regs mover_want, mover_seen, scribble;
static volatile int mover_from = -1, mover_to = -1, mover_at = -1, mover_err = 1;

static void fpu_scribble(void *in, void **out)
{
	fpu_load(&scribble);
}

/* The next online CPU after cpu. */
static int next_cpu(int cpu)
{
	for (int i = 1; i < nk_cpu_count(); i++) {
		int c = (cpu + i) % nk_cpu_count();

		if (nk_cpu_get(c)->state == NK_CPU_ONLINE)
			return c;
	}
	return cpu;
}

/*
 * Loads its registers, has a thread on the next CPU leave other values in that CPU's
 * registers, moves itself there and reads its own back.
 */
static void fpu_mover(void *in, void **out)
{
	nk_thread_id_t t;

	fpu_load(&mover_want);
	mover_from = nk_cpu_id();
	mover_to = next_cpu(mover_from);
	if (!nk_thread_start(fpu_scribble, NULL, NULL, 0, 0, &t, mover_to))
		nk_thread_join(t, NULL);
	mover_err = nk_thread_move(nk_thread_self(), mover_to);
	mover_at = nk_cpu_id();
	fpu_read(&mover_seen);
}

/* FPU state follows a thread to another CPU. */
NK_TEST(sched, fpu_state_follows_moved_thread)
{
	nk_thread_id_t t;

	if (other_cpu() == nk_cpu_id())
		NK_SKIP("one CPU: nowhere to move to");
	fpu_pattern(&mover_want, 2);
	fpu_pattern(&scribble, 3);
	memset(&mover_seen, 0, sizeof(mover_seen));
	NK_ASSERT_EQ(nk_thread_start(fpu_mover, NULL, NULL, 0, 0, &t, NK_CPU_ANY), 0);
	NK_ASSERT_EQ(nk_thread_join(t, NULL), 0);
	NK_EXPECT_EQ(mover_err, 0);
	NK_EXPECT_NE(mover_from, mover_to);
	NK_EXPECT_EQ(mover_at, mover_to);
	NK_EXPECT(!memcmp(&mover_seen, &mover_want, sizeof(mover_seen)));
}

static volatile int first_cpu = -1;

static void note_first_cpu(void *in, void **out)
{
	first_cpu = nk_cpu_id();
}

/* A free thread moved before it first runs starts where it was moved to, not where placed. */
NK_TEST(sched, move_created_thread)
{
	int to[3], n = other_cpus(to, 3);
	nk_thread_id_t t;

	if (!n)
		NK_SKIP("one CPU: nowhere to move to");
	first_cpu = -1;
	NK_ASSERT_EQ(nk_thread_create(note_first_cpu, NULL, NULL, 0, 0, &t, NK_CPU_ANY), 0);
	NK_EXPECT_EQ(nk_thread_move(t, to[n - 1]), 0);
	NK_EXPECT_EQ(nk_thread_cpu(t), to[n - 1]);
	NK_EXPECT_EQ(nk_thread_run(t), 0);
	NK_EXPECT_EQ(nk_thread_join(t, NULL), 0);
	NK_EXPECT_EQ(first_cpu, to[n - 1]);
}

static struct spinner live;

struct idle_find {
	int cpu;
	struct nk_thread_info info;
};

static void find_idle(const struct nk_thread_info *info, void *arg)
{
	struct idle_find *f = arg;

	if (info->idle && info->cpu == f->cpu)
		f->info = *info;
}

/*
 * While one thread runs on a tickless CPU (no switch), its busy time, its run time and the
 * idle thread's state show it: the statistics include the running slice, and the idle thread
 * is not listed as running.
 */
NK_TEST(sched, stats_include_running_slice)
{
	int cpu = other_cpu();
	struct nk_sched_stats a, b;
	struct idle_find f = { .cpu = cpu };
	nk_thread_id_t t;

	if (cpu == nk_cpu_id())
		NK_SKIP("one CPU");
	NK_ASSERT_EQ(start_spinners(&live, &t, 1, cpu, NK_PRIO_DEFAULT), 1);
	NK_EXPECT(await_ge(&live.started, 1, nk_time_ns() + WAIT_NS));
	a = stats_of(cpu);
	nk_sleep(QUIET_NS);
	b = stats_of(cpu);
	nk_thread_for_each(find_idle, &f);
	NK_EXPECT_EQ(stop_spinners(&live, &t, 1), 0);
	NK_EXPECT_GE(b.busy_ns - a.busy_ns, QUIET_NS * 9 / 10);
	NK_EXPECT_NE(f.info.state, NK_THREAD_RUNNING);
}
