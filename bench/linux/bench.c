/*
 * The Linux side of "make bench": the kernel's microbenchmarks as a static pthreads program, run
 * by the /init of a Linux guest booted with the same QEMU flags (scripts/linux-guest).
 *
 * Every operation prints one line in the format the kernel side prints too, in TSC ticks (under
 * -icount shift=0 a tick is one guest instruction):
 *   bench: <name> median=<n> min=<n> p90=<n> iters=<n>
 * median is sample n/2 of the n sorted samples, p90 sample n*9/10. The OS-noise line differs:
 *   bench: os_noise detours=<n> max=<n> lost=<fraction> ticks=<n> threshold=<n> cpu=<n>
 * An operation that needs more CPUs than the guest has prints "bench-skip: <name> <reason>".
 * Argument: a glob of names (fnmatch), default "*". Exit status 0 unless something failed.
 *
 * Placement, the same on the kernel side: the main thread is bound to CPU 0, partners to CPUs
 * 1..3 (sched_setaffinity). Every wait on another CPU spins with PAUSE: under icount QEMU
 * switches vCPUs only on PAUSE, HLT or the end of its slice (DESIGN.md), so a spin without
 * PAUSE would measure the slice. The kernel's ipi_oneway, xcall_sync and page_alloc_free_o0/o9
 * have no counterpart a Linux program can call: they are not here.
 */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define WARMUP_DIV	10	      /* warm-up iterations: a tenth of the measured ones */
#define SETTLE_TICKS	20000	      /* a blocked thread's CPU is idle by then (x10: same) */
#define NOISE_TICKS	2000000000ull /* OS noise: spin this long (2 s of guest time) */
#define NOISE_THRESHOLD 1000	      /* a gap between two TSC reads above this is a detour */

static int ncpus;

static inline uint64_t tsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_relax(void)
{
	asm volatile("pause" ::: "memory");
}

/* Spin with PAUSE for at least ticks. */
static void spin_ticks(uint64_t ticks)
{
	uint64_t start = tsc();

	while (tsc() - start < ticks)
		cpu_relax();
}

/* Spin with PAUSE until *flag holds want. */
static void spin_until(const int *flag, int want)
{
	while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) != want)
		cpu_relax();
}

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench-error: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort the n samples and print the operation's line. */
static void report(const char *name, uint64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("bench: %s median=%llu min=%llu p90=%llu iters=%d\n", name,
	       (unsigned long long)v[n / 2], (unsigned long long)v[0],
	       (unsigned long long)v[(long)n * 9 / 10], n);
	fflush(stdout);
}

static void bind_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity to CPU %d failed", cpu);
}

/* A thread bound to cpu from its first instruction. */
static pthread_t start_on(int cpu, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	cpu_set_t set;
	pthread_t t;
	int err;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	err = pthread_create(&t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (err)
		die("pthread_create on CPU %d failed (error %d)", cpu, err);
	return t;
}

static void join(pthread_t t)
{
	int err = pthread_join(t, NULL);

	if (err)
		die("pthread_join failed (error %d)", err);
}

/* ---- the cost of reading the TSC, to read the other figures against ---- */

static void bench_tsc_read(const char *name, int n)
{
	uint64_t *v = xmalloc(n * sizeof(*v));

	for (int i = 0; i < n; i++) {
		uint64_t t0 = tsc();

		v[i] = tsc() - t0;
	}
	report(name, v, n);
	free(v);
}

/* ---- thread create + run + join: the child inherits CPU 0 from the creator ---- */

static void *nothing(void *arg)
{
	return arg;
}

static void bench_thread_create_join(const char *name, int n)
{
	uint64_t *v = xmalloc(n * sizeof(*v));

	for (int i = -n / WARMUP_DIV; i < n; i++) {
		uint64_t t0 = tsc();
		pthread_t t;

		if (pthread_create(&t, NULL, nothing, NULL))
			die("pthread_create failed");
		join(t);
		if (i >= 0)
			v[i] = tsc() - t0;
	}
	report(name, v, n);
	free(v);
}

/*
 * ---- yield ping-pong: two threads on CPU 0 ----
 * One sched_yield of the measuring thread is two switches (to the partner and back).
 */
static int yield_stop, yield_started;

static void *yield_partner(void *arg)
{
	__atomic_store_n(&yield_started, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&yield_stop, __ATOMIC_ACQUIRE))
		sched_yield();
	return arg;
}

static void bench_yield_switch(const char *name, int n)
{
	uint64_t *v = xmalloc(n * sizeof(*v));
	pthread_t t;

	yield_stop = yield_started = 0;
	t = start_on(0, yield_partner, NULL);
	while (!__atomic_load_n(&yield_started, __ATOMIC_ACQUIRE))
		sched_yield();
	for (int i = -n / WARMUP_DIV; i < n; i++) {
		uint64_t t0 = tsc();

		sched_yield();
		if (i >= 0)
			v[i] = (tsc() - t0) / 2;
	}
	__atomic_store_n(&yield_stop, 1, __ATOMIC_RELEASE);
	join(t);
	report(name, v, n);
	free(v);
}

/*
 * ---- condvar signal to wake-up, CPU 0 -> CPU 1 ----
 * The waiter on CPU 1 blocks in pthread_cond_wait; once it is asleep (SETTLE_TICKS after it
 * released the mutex) CPU 0 stamps the time and signals. The sample is the TSC the waiter reads
 * when it holds the mutex again minus that stamp.
 */
struct cv_bench {
	pthread_mutex_t m;
	pthread_cond_t cv;
	int waiting; /* the waiter is in pthread_cond_wait (set under m) */
	int round;   /* rounds signalled so far */
	int rounds;
	uint64_t t_signal;
	uint64_t *wake; /* per round: wake-up TSC minus t_signal */
};

static void *cv_waiter(void *arg)
{
	struct cv_bench *c = arg;

	pthread_mutex_lock(&c->m);
	for (int i = 0; i < c->rounds; i++) {
		__atomic_store_n(&c->waiting, 1, __ATOMIC_RELEASE);
		while (c->round == i)
			pthread_cond_wait(&c->cv, &c->m);
		c->wake[i] = tsc() - c->t_signal;
	}
	pthread_mutex_unlock(&c->m);
	return NULL;
}

static void bench_condvar_wakeup(const char *name, int n)
{
	struct cv_bench c = { .rounds = n + n / WARMUP_DIV };
	pthread_t t;

	pthread_mutex_init(&c.m, NULL);
	pthread_cond_init(&c.cv, NULL);
	c.wake = xmalloc(c.rounds * sizeof(*c.wake));
	t = start_on(1, cv_waiter, &c);
	for (int i = 0; i < c.rounds; i++) {
		spin_until(&c.waiting, 1);
		pthread_mutex_lock(&c.m); /* the waiter has released it: it is in cond_wait */
		pthread_mutex_unlock(&c.m);
		spin_ticks(SETTLE_TICKS);
		pthread_mutex_lock(&c.m);
		c.waiting = 0;
		c.round = i + 1;
		c.t_signal = tsc();
		pthread_cond_signal(&c.cv);
		pthread_mutex_unlock(&c.m);
	}
	join(t);
	report(name, c.wake + n / WARMUP_DIV, n);
	free(c.wake);
}

/*
 * ---- semaphore ping-pong, CPU 0 <-> CPU 1 ----
 * CPU 0 posts ping and waits for pong; the partner waits for ping and posts pong. A sample is
 * half a round trip: one hand-off.
 */
static sem_t ping, pong;

static void *sem_partner(void *arg)
{
	long rounds = (long)arg;

	for (long i = 0; i < rounds; i++) {
		sem_wait(&ping);
		sem_post(&pong);
	}
	return NULL;
}

static void bench_sem_pingpong(const char *name, int n)
{
	uint64_t *v = xmalloc(n * sizeof(*v));
	long rounds = n + n / WARMUP_DIV;
	pthread_t t;

	if (sem_init(&ping, 0, 0) || sem_init(&pong, 0, 0))
		die("sem_init failed");
	t = start_on(1, sem_partner, (void *)rounds);
	for (int i = -n / WARMUP_DIV; i < n; i++) {
		uint64_t t0 = tsc();

		sem_post(&ping);
		sem_wait(&pong);
		if (i >= 0)
			v[i] = (tsc() - t0) / 2;
	}
	join(t);
	sem_destroy(&ping);
	sem_destroy(&pong);
	report(name, v, n);
	free(v);
}

/*
 * ---- a spinning barrier, what a parallel runtime waits in between regions ----
 * POSIX has none: a counter and a generation number; the last of n arrivals resets the counter
 * and starts the next generation, the others spin with PAUSE until it does. The kernel's
 * nk_spin_barrier is measured against it.
 */
struct spin_barrier {
	int n;
	int count; /* arrivals in this generation */
	int gen;
};

static void spin_barrier_wait(struct spin_barrier *b)
{
	int gen = __atomic_load_n(&b->gen, __ATOMIC_ACQUIRE);

	if (__atomic_add_fetch(&b->count, 1, __ATOMIC_ACQ_REL) == b->n) {
		__atomic_store_n(&b->count, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&b->gen, gen + 1, __ATOMIC_RELEASE);
		return;
	}
	spin_until(&b->gen, gen + 1);
}

/*
 * ---- barrier of k threads on CPUs 0..k-1, sleeping (pthread) or spinning ----
 * Back-to-back barrier episodes, timed on CPU 0 from one return from pthread_barrier_wait to the
 * next but one, halved: a sample is an episode averaged over two. Single episodes alternate
 * between CPU 0 arriving last (1,126 ticks on Linux) and first (13,980): their median would
 * fall on either side by chance.
 */
struct barrier_bench {
	pthread_barrier_t b;
	struct spin_barrier sb;
	int spin; /* use sb, not b */
	int rounds;
};

static void barrier_wait(struct barrier_bench *bb)
{
	if (bb->spin)
		spin_barrier_wait(&bb->sb);
	else
		pthread_barrier_wait(&bb->b);
}

static void *barrier_partner(void *arg)
{
	struct barrier_bench *bb = arg;

	for (int i = 0; i < bb->rounds; i++)
		barrier_wait(bb);
	return NULL;
}

static void bench_barrier(const char *name, int n, int k, int spin)
{
	struct barrier_bench bb = { .spin = spin, .rounds = 1 + 2 * (n / WARMUP_DIV + n) };
	uint64_t *v = xmalloc(n * sizeof(*v));
	pthread_t t[3];
	uint64_t prev;

	if (pthread_barrier_init(&bb.b, NULL, k))
		die("pthread_barrier_init failed");
	bb.sb.n = k;
	for (int c = 1; c < k; c++)
		t[c - 1] = start_on(c, barrier_partner, &bb);
	barrier_wait(&bb);
	prev = tsc();
	for (int i = -n / WARMUP_DIV; i < n; i++) {
		uint64_t now;

		barrier_wait(&bb);
		barrier_wait(&bb);
		now = tsc();
		if (i >= 0)
			v[i] = (now - prev) / 2;
		prev = now;
	}
	for (int c = 1; c < k; c++)
		join(t[c - 1]);
	pthread_barrier_destroy(&bb.b);
	report(name, v, n);
	free(v);
}

static void bench_barrier_2(const char *name, int n)
{
	bench_barrier(name, n, 2, 0);
}

static void bench_barrier_4(const char *name, int n)
{
	bench_barrier(name, n, 4, 0);
}

static void bench_spin_barrier_2(const char *name, int n)
{
	bench_barrier(name, n, 2, 1);
}

static void bench_spin_barrier_4(const char *name, int n)
{
	bench_barrier(name, n, 4, 1);
}

/* ---- malloc + free on CPU 0 (glibc: per-thread caches, then arenas) ---- */

static void bench_malloc_free(const char *name, int n, size_t size)
{
	uint64_t *v = xmalloc(n * sizeof(*v));

	for (int i = -n / WARMUP_DIV; i < n; i++) {
		uint64_t t0 = tsc();
		void *p = malloc(size);

		asm volatile("" : : "r"(p) : "memory"); /* keep the pair: GCC may elide it */
		free(p);
		if (i >= 0)
			v[i] = tsc() - t0;
	}
	report(name, v, n);
	free(v);
}

static void bench_malloc_free_64(const char *name, int n)
{
	bench_malloc_free(name, n, 64);
}

static void bench_malloc_free_4k(const char *name, int n)
{
	bench_malloc_free(name, n, 4096);
}

/*
 * ---- OS noise (fixed work quantum, "hourglass") on the last CPU, and on CPU 0 ----
 * Read the TSC back to back for NOISE_TICKS; a gap above NOISE_THRESHOLD is time the CPU spent
 * elsewhere (an interrupt, another thread). Reports their count, the largest, and the fraction
 * of the time they took. The loop is the work, not a wait, so it has no PAUSE: with one, every
 * iteration passes through QEMU's vCPU scheduler and 2e9 ticks take 75 s instead of 2 s on this
 * machine, for similar figures (Linux guest with PAUSE / without: 510 / 532 detours, largest
 * 42,689 / 56,914, lost 9.2e-4 / 1.0e-3).
 */
struct noise {
	uint64_t detours, max, lost, ticks;
};

static void *noise_spin(void *arg)
{
	struct noise *r = arg;
	uint64_t start = tsc(), prev = start;

	while (prev - start < NOISE_TICKS) {
		uint64_t now = tsc(), gap = now - prev;

		if (gap > NOISE_THRESHOLD) {
			r->detours++;
			r->lost += gap;
			if (gap > r->max)
				r->max = gap;
		}
		prev = now;
	}
	r->ticks = prev - start;
	return NULL;
}

static void print_noise(const char *name, const struct noise *r, int cpu)
{
	printf("bench: %s detours=%llu max=%llu lost=%.1e ticks=%llu threshold=%d cpu=%d\n", name,
	       (unsigned long long)r->detours, (unsigned long long)r->max,
	       (double)r->lost / (double)r->ticks, (unsigned long long)r->ticks, NOISE_THRESHOLD,
	       cpu);
	fflush(stdout);
}

static void bench_os_noise(const char *name, int n)
{
	struct noise r = { 0 };
	int cpu = ncpus - 1;

	join(start_on(cpu, noise_spin, &r));
	print_noise(name, &r, cpu);
}

/* The same on CPU 0, in the main thread (bound there), as the kernel's boot CPU. */
static void bench_os_noise_cpu0(const char *name, int n)
{
	struct noise r = { 0 };

	noise_spin(&r);
	print_noise(name, &r, 0);
}

/* The operations, in the order of the table; the kernel side uses the same names. */
static const struct op {
	const char *name;
	int cpus; /* CPUs it needs */
	int iters;
	void (*fn)(const char *name, int iters);
} ops[] = {
	{ "tsc_read", 1, 10000, bench_tsc_read },
	{ "thread_create_join", 1, 2000, bench_thread_create_join },
	{ "yield_switch", 1, 10000, bench_yield_switch },
	{ "condvar_wakeup", 2, 1000, bench_condvar_wakeup },
	{ "sem_pingpong", 2, 2000, bench_sem_pingpong },
	{ "barrier_2", 2, 2000, bench_barrier_2 },
	{ "barrier_4", 4, 2000, bench_barrier_4 },
	{ "spin_barrier_2", 2, 2000, bench_spin_barrier_2 },
	{ "spin_barrier_4", 4, 2000, bench_spin_barrier_4 },
	{ "malloc_free_64", 1, 10000, bench_malloc_free_64 },
	{ "malloc_free_4k", 1, 10000, bench_malloc_free_4k },
	{ "os_noise", 1, 1, bench_os_noise },
	{ "os_noise_cpu0", 1, 1, bench_os_noise_cpu0 },
};

int main(int argc, char **argv)
{
	const char *glob = argc > 1 ? argv[1] : "*";
	int matched = 0;

	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus < 1)
		die("cannot count the online CPUs");
	bind_self(0);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		const struct op *o = &ops[i];

		if (fnmatch(glob, o->name, 0))
			continue;
		matched++;
		if (ncpus < o->cpus) {
			printf("bench-skip: %s needs %d CPUs, the guest has %d\n", o->name, o->cpus,
			       ncpus);
			continue;
		}
		o->fn(o->name, o->iters);
	}
	if (!matched)
		die("no benchmark matches \"%s\"", glob);
	return 0;
}
