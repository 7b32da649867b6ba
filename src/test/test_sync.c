/*
 * KTAP suite `sync`: counters under each kind of lock are exact after 4 threads x 100k
 * increments; producers and consumers over condvars, semaphores and message queues lose and
 * duplicate nothing; barrier generations never mix; timeouts return -ETIMEDOUT no earlier than
 * asked; the try_ forms and the owner checks fail as documented; a rwlock admits readers
 * together and never a writer with anyone.
 * Workers are bound threads and free ones, spread over the CPUs (enum placement says how).
 */
#include <nautilus/barrier.h>
#include <nautilus/condvar.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/msgq.h>
#include <nautilus/mutex.h>
#include <nautilus/rwlock.h>
#include <nautilus/semaphore.h>
#include <nautilus/spinlock.h>
#include <nautilus/string.h>
#include <nautilus/test.h>
#include <nautilus/thread.h>
#include <nautilus/time.h>
#include <nautilus/timer.h>

#define WORKERS	    4
#define INCREMENTS  100000
#define ITEMS	    1000 /* per producer */
#define GENERATIONS 200
#define TIMEOUT_NS  (10 * MS)
#define WAIT_MAX_NS (5000 * MS) /* a thread that should get somewhere has not: a failure */
#define MS	    1000000ULL
#define STOP	    UINT32_MAX /* the message that ends a consumer */

/*
 * Where worker i runs. MIXED: even workers bound to CPU i % online CPUs, odd ones free.
 * SPREAD: worker i bound to CPU i (one spinner per CPU). TWO_CPUS: bound to CPU i % 2, for
 * workers that spin on a ticket lock: under QEMU TCG a ticket lock whose spinners outnumber the
 * host's cores waits for the host to schedule each ticket's vCPU in turn (-smp 3 on a 2-core
 * host: 4 x 100k increments not done in 300 s, against 0.15 s with -smp 2). ONE_CPU: all on
 * CPU 0, for primitives that hand over to sleepers (semaphore, rwlock): there, contended
 * acquisitions are served one wake-up each, and across CPUs under TCG a wake-up is an IPI to
 * a halted vCPU (4 x 100k: 6 to 10 s with -smp 4, against 0.7 s on one CPU). Their exclusion
 * across CPUs is checked by the producer/consumer and rwlock exclusion cases.
 */
enum placement { MIXED, SPREAD, TWO_CPUS, ONE_CPU };

static int cpu_of(int i, enum placement where)
{
	switch (where) {
	case SPREAD:
		return i;
	case TWO_CPUS:
		return i % NK_MIN(2, nk_cpu_online_count());
	case ONE_CPU:
		return 0;
	default:
		return i % 2 ? NK_CPU_ANY : i % nk_cpu_online_count();
	}
}

/* Threads started together and joined together. */
struct crew {
	nk_thread_id_t tid[WORKERS];
	int started, failed;
};

/* Start n workers fn(args + i * arg_size), counting failures to start. */
static void crew_start(struct crew *c, nk_thread_fun_t fn, void *args, size_t arg_size, int n,
		       enum placement where)
{
	c->started = c->failed = 0;
	for (int i = 0; i < n; i++) {
		void *arg = (char *)args + i * arg_size;

		if (nk_thread_start(fn, arg, NULL, 0, 0, &c->tid[c->started], cpu_of(i, where)))
			c->failed++;
		else
			c->started++;
	}
}

/* Join the crew: the failures to start or to join. */
static int crew_join(struct crew *c)
{
	for (int i = 0; i < c->started; i++)
		c->failed += nk_thread_join(c->tid[i], NULL) != 0;
	return c->failed;
}

static int run_workers(nk_thread_fun_t fn, void *args, size_t arg_size, int n, enum placement where)
{
	struct crew c;

	crew_start(&c, fn, args, arg_size, n, where);
	return crew_join(&c);
}

/* Yield (so a thread on this CPU can run) until *p >= value; false after WAIT_MAX_NS. */
static bool wait_for(const volatile int *p, int value)
{
	uint64_t end = nk_time_ns() + WAIT_MAX_NS;

	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) < value) {
		if (nk_time_ns() > end)
			return false;
		nk_yield();
		__builtin_ia32_pause();
	}
	return true;
}

static void bump(volatile int *p)
{
	__atomic_add_fetch(p, 1, __ATOMIC_RELEASE);
}

/* ---- counters under each lock ---- */

struct counter {
	void (*lock)(struct counter *c);
	void (*unlock)(struct counter *c);
	struct nk_spinlock spin;
	unsigned long irq_flags; /* the holder's, for the irqsave form */
	struct nk_mutex mutex;
	struct nk_rwlock rw;
	struct nk_sem sem;
	volatile long value;
	int errors; /* lock or unlock calls that returned an error */
};

static void check(struct counter *c, int err)
{
	if (err)
		__atomic_add_fetch(&c->errors, 1, __ATOMIC_RELAXED);
}

static void spin_lock(struct counter *c)
{
	nk_spin_lock(&c->spin);
}
static void spin_unlock(struct counter *c)
{
	nk_spin_unlock(&c->spin);
}
static void irq_lock(struct counter *c)
{
	c->irq_flags = nk_spin_lock_irqsave(&c->spin);
}
static void irq_unlock(struct counter *c)
{
	nk_spin_unlock_irqrestore(&c->spin, c->irq_flags);
}
static void mutex_lock(struct counter *c)
{
	check(c, nk_mutex_lock(&c->mutex));
}
static void mutex_unlock(struct counter *c)
{
	check(c, nk_mutex_unlock(&c->mutex));
}
static void write_lock(struct counter *c)
{
	check(c, nk_rwlock_write_lock(&c->rw));
}
static void write_unlock(struct counter *c)
{
	check(c, nk_rwlock_write_unlock(&c->rw));
}
static void sem_lock(struct counter *c)
{
	check(c, nk_sem_down(&c->sem));
}
static void sem_unlock(struct counter *c)
{
	nk_sem_up(&c->sem);
}

/* A read, a pause and a write back: an increment that a second holder would lose. */
static void count_worker(void *in, void **out)
{
	struct counter *c = in;

	for (int i = 0; i < INCREMENTS; i++) {
		c->lock(c);
		long v = c->value;
		__builtin_ia32_pause();
		c->value = v + 1;
		c->unlock(c);
	}
}

static void count_under(struct nk_test_ctx *nk_t, void (*lock)(struct counter *),
			void (*unlock)(struct counter *), enum placement where)
{
	static struct counter c;
	uint64_t t0 = nk_time_ns();

	memset(&c, 0, sizeof(c));
	c.lock = lock;
	c.unlock = unlock;
	nk_spin_init(&c.spin);
	nk_mutex_init(&c.mutex);
	nk_rwlock_init(&c.rw);
	nk_sem_init(&c.sem, 1);
	NK_ASSERT_EQ(run_workers(count_worker, &c, 0, WORKERS, where), 0);
	NK_EXPECT_EQ(c.value, WORKERS * INCREMENTS);
	NK_EXPECT_EQ(c.errors, 0);
	nk_test_diag("%d x %d increments in %llu ms", WORKERS, INCREMENTS,
		     (unsigned long long)((nk_time_ns() - t0) / MS));
}

NK_TEST(sync, count_spinlock)
{
	count_under(nk_t, spin_lock, spin_unlock, TWO_CPUS);
}

NK_TEST(sync, count_spinlock_irqsave)
{
	count_under(nk_t, irq_lock, irq_unlock, TWO_CPUS);
}

NK_TEST(sync, count_mutex)
{
	count_under(nk_t, mutex_lock, mutex_unlock, MIXED);
}

NK_TEST(sync, count_rwlock_writers)
{
	count_under(nk_t, write_lock, write_unlock, ONE_CPU);
}

NK_TEST(sync, count_semaphore)
{
	count_under(nk_t, sem_lock, sem_unlock, ONE_CPU);
}

/* ---- producers and consumers ---- */

#define RING 8 /* a small buffer: producers block often */

struct channel {
	int (*put)(struct channel *ch, uint32_t v);
	int (*get)(struct channel *ch, uint32_t *v);
	uint32_t ring[RING]; /* for the condvar and semaphore channels */
	unsigned head, count;
	struct nk_mutex mutex;
	struct nk_condvar not_full, not_empty;
	struct nk_sem slots, items, guard;
	struct nk_msgq *q;
	uint8_t seen[WORKERS * ITEMS];
	int errors;
};

struct pc_arg {
	struct channel *ch;
	int id;
};

static void ring_put(struct channel *ch, uint32_t v)
{
	ch->ring[(ch->head + ch->count++) % RING] = v;
}

static uint32_t ring_get(struct channel *ch)
{
	uint32_t v = ch->ring[ch->head];

	ch->head = (ch->head + 1) % RING;
	ch->count--;
	return v;
}

static int cv_put(struct channel *ch, uint32_t v)
{
	int err = nk_mutex_lock(&ch->mutex);

	if (err)
		return err;
	while (ch->count == RING && !err)
		err = nk_condvar_wait(&ch->not_full, &ch->mutex);
	if (!err) {
		ring_put(ch, v);
		nk_condvar_signal(&ch->not_empty);
	}
	nk_mutex_unlock(&ch->mutex);
	return err;
}

static int cv_get(struct channel *ch, uint32_t *v)
{
	int err = nk_mutex_lock(&ch->mutex);

	if (err)
		return err;
	while (ch->count == 0 && !err)
		err = nk_condvar_wait(&ch->not_empty, &ch->mutex);
	if (!err) {
		*v = ring_get(ch);
		nk_condvar_signal(&ch->not_full);
	}
	nk_mutex_unlock(&ch->mutex);
	return err;
}

static int sem_put(struct channel *ch, uint32_t v)
{
	int err = nk_sem_down(&ch->slots);

	if (!err)
		err = nk_sem_down(&ch->guard);
	if (err)
		return err;
	ring_put(ch, v);
	nk_sem_up(&ch->guard);
	nk_sem_up(&ch->items);
	return 0;
}

static int sem_get(struct channel *ch, uint32_t *v)
{
	int err = nk_sem_down(&ch->items);

	if (!err)
		err = nk_sem_down(&ch->guard);
	if (err)
		return err;
	*v = ring_get(ch);
	nk_sem_up(&ch->guard);
	nk_sem_up(&ch->slots);
	return 0;
}

static int msgq_put(struct channel *ch, uint32_t v)
{
	return nk_msgq_send(ch->q, (void *)(uintptr_t)v);
}

static int msgq_get(struct channel *ch, uint32_t *v)
{
	void *msg;
	int err = nk_msgq_recv(ch->q, &msg);

	*v = (uint32_t)(uintptr_t)msg;
	return err;
}

static void producer(void *in, void **out)
{
	struct pc_arg *a = in;

	for (uint32_t i = 0; i < ITEMS; i++)
		if (a->ch->put(a->ch, (uint32_t)a->id * ITEMS + i))
			__atomic_add_fetch(&a->ch->errors, 1, __ATOMIC_RELAXED);
}

static void consumer(void *in, void **out)
{
	struct channel *ch = ((struct pc_arg *)in)->ch;
	uint32_t v;

	for (;;) {
		if (ch->get(ch, &v) || (v != STOP && v >= WORKERS * ITEMS)) {
			__atomic_add_fetch(&ch->errors, 1, __ATOMIC_RELAXED);
			return;
		}
		if (v == STOP)
			return;
		__atomic_add_fetch(&ch->seen[v], 1, __ATOMIC_RELAXED);
	}
}

/* WORKERS producers and WORKERS consumers; then one STOP per consumer. Each value seen once. */
static void produce_consume(struct nk_test_ctx *nk_t, struct channel *ch)
{
	struct pc_arg args[WORKERS];
	struct crew consumers, producers;
	int missing = 0, doubled = 0;

	for (int i = 0; i < WORKERS; i++)
		args[i] = (struct pc_arg){ ch, i };
	crew_start(&consumers, consumer, args, sizeof(args[0]), WORKERS, MIXED);
	crew_start(&producers, producer, args, sizeof(args[0]), WORKERS, MIXED);
	NK_EXPECT_EQ(crew_join(&producers), 0);
	for (int i = 0; i < consumers.started; i++)
		NK_EXPECT_EQ(ch->put(ch, STOP), 0);
	NK_EXPECT_EQ(crew_join(&consumers), 0);
	NK_EXPECT_EQ(ch->errors, 0);
	for (int v = 0; v < WORKERS * ITEMS; v++) {
		missing += ch->seen[v] == 0;
		doubled += ch->seen[v] > 1;
	}
	NK_EXPECT_EQ(missing, 0);
	NK_EXPECT_EQ(doubled, 0);
}

static struct channel *channel_new(void)
{
	struct channel *ch = nk_calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	nk_mutex_init(&ch->mutex);
	nk_condvar_init(&ch->not_full);
	nk_condvar_init(&ch->not_empty);
	nk_sem_init(&ch->slots, RING);
	nk_sem_init(&ch->items, 0);
	nk_sem_init(&ch->guard, 1);
	return ch;
}

NK_TEST(sync, producer_consumer_condvar)
{
	struct channel *ch = channel_new();

	NK_ASSERT_NOT_NULL(ch);
	ch->put = cv_put;
	ch->get = cv_get;
	produce_consume(nk_t, ch);
	nk_free(ch);
}

NK_TEST(sync, producer_consumer_semaphore)
{
	struct channel *ch = channel_new();

	NK_ASSERT_NOT_NULL(ch);
	ch->put = sem_put;
	ch->get = sem_get;
	produce_consume(nk_t, ch);
	nk_free(ch);
}

NK_TEST(sync, producer_consumer_msgq)
{
	struct channel *ch = channel_new();

	NK_ASSERT_NOT_NULL(ch);
	ch->q = nk_msgq_create(RING);
	if (NK_IS_ERR(ch->q)) {
		nk_free(ch);
		NK_ASSERT(!"nk_msgq_create(RING) failed");
	}
	ch->put = msgq_put;
	ch->get = msgq_get;
	produce_consume(nk_t, ch);
	NK_EXPECT_EQ(nk_msgq_count(ch->q), 0);
	NK_EXPECT_EQ(nk_msgq_destroy(ch->q), 0);
	nk_free(ch);
}

/* ---- barriers ---- */

struct barrier_run {
	struct nk_barrier b;
	struct nk_spin_barrier sb;
	bool spin;
	int n;
	volatile int phase[WORKERS]; /* the generation each worker is in */
	int lasts[GENERATIONS];	     /* NK_BARRIER_LAST returns per generation */
	int mixed, errors;
};

struct barrier_arg {
	struct barrier_run *run;
	int id;
};

/*
 * Once generation g is released, every worker has arrived at g and none can have passed g + 1
 * (that needs this worker): each phase is g or g + 1.
 */
static void barrier_worker(void *in, void **out)
{
	struct barrier_arg *a = in;
	struct barrier_run *r = a->run;

	for (int g = 0; g < GENERATIONS; g++) {
		int ret;

		r->phase[a->id] = g;
		ret = r->spin ? nk_spin_barrier_wait(&r->sb) : nk_barrier_wait(&r->b);
		if (ret == NK_BARRIER_LAST)
			__atomic_add_fetch(&r->lasts[g], 1, __ATOMIC_RELAXED);
		else if (ret)
			__atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
		for (int u = 0; u < r->n; u++) {
			int p = r->phase[u];

			if (p < g || p > g + 1)
				__atomic_add_fetch(&r->mixed, 1, __ATOMIC_RELAXED);
		}
	}
}

static void run_barrier(struct nk_test_ctx *nk_t, bool spin, int n)
{
	static struct barrier_run r;
	struct barrier_arg args[WORKERS];
	struct crew c;
	int bad_lasts = 0;

	memset(&r, 0, sizeof(r));
	r.spin = spin;
	r.n = n;
	NK_ASSERT_EQ(spin ? nk_spin_barrier_init(&r.sb, n) : nk_barrier_init(&r.b, n), 0);
	for (int i = 0; i < n; i++)
		args[i] = (struct barrier_arg){ &r, i };
	/* Spinners need a CPU each: one per CPU, bound. */
	crew_start(&c, barrier_worker, args, sizeof(args[0]), n, spin ? SPREAD : MIXED);
	NK_ASSERT_EQ(crew_join(&c), 0);
	for (int g = 0; g < GENERATIONS; g++)
		bad_lasts += r.lasts[g] != 1;
	NK_EXPECT_EQ(bad_lasts, 0);
	NK_EXPECT_EQ(r.mixed, 0);
	NK_EXPECT_EQ(r.errors, 0);
}

NK_TEST(sync, barrier_generations)
{
	run_barrier(nk_t, false, WORKERS);
}

NK_TEST(sync, spin_barrier_generations)
{
	run_barrier(nk_t, true, NK_MIN(WORKERS, nk_cpu_online_count()));
}

NK_TEST(sync, barrier_init_rejects_zero)
{
	struct nk_barrier b;
	struct nk_spin_barrier sb;

	NK_EXPECT_EQ(nk_barrier_init(&b, 0), -EINVAL);
	NK_EXPECT_EQ(nk_spin_barrier_init(&sb, 0), -EINVAL);
	NK_EXPECT_EQ(nk_barrier_init(&b, 1), 0);
	NK_EXPECT_EQ(nk_barrier_wait(&b), NK_BARRIER_LAST);
}

/* ---- timeouts ---- */

static uint64_t since(uint64_t t0)
{
	return nk_time_ns() - t0;
}

NK_TEST(sync, timeouts_expire)
{
	struct nk_sem s;
	struct nk_mutex m;
	struct nk_condvar cv;
	struct nk_msgq *q = nk_msgq_create(1);
	void *msg = &s;
	uint64_t t0;

	NK_ASSERT(!NK_IS_ERR(q));
	nk_sem_init(&s, 0);
	t0 = nk_time_ns();
	NK_EXPECT_EQ(nk_sem_down_timeout(&s, TIMEOUT_NS), -ETIMEDOUT);
	NK_EXPECT_GE(since(t0), TIMEOUT_NS);

	nk_mutex_init(&m);
	nk_condvar_init(&cv);
	NK_EXPECT_EQ(nk_mutex_lock(&m), 0);
	t0 = nk_time_ns();
	NK_EXPECT_EQ(nk_condvar_wait_timeout(&cv, &m, TIMEOUT_NS), -ETIMEDOUT);
	NK_EXPECT_GE(since(t0), TIMEOUT_NS);
	NK_EXPECT(nk_mutex_held(&m)); /* held again after a timeout too */
	NK_EXPECT_EQ(nk_mutex_unlock(&m), 0);

	t0 = nk_time_ns();
	NK_EXPECT_EQ(nk_msgq_recv_timeout(q, &msg, TIMEOUT_NS), -ETIMEDOUT);
	NK_EXPECT_GE(since(t0), TIMEOUT_NS);
	NK_EXPECT_PTR_EQ(msg, &s);
	NK_EXPECT_EQ(nk_msgq_destroy(q), 0);

	NK_EXPECT_EQ(nk_sem_down_timeout(&s, 0), -ETIMEDOUT);
	NK_EXPECT_EQ(s.count, 0); /* a timed-out waiter took nothing */
}

/* What the helper thread does after a short sleep, to wake a timed waiter in time. */
struct waker {
	struct nk_sem *sem;
	struct nk_mutex *mutex;
	struct nk_condvar *cv;
	volatile int *flag;
	struct nk_msgq *q;
};

static void waker_thread(void *in, void **out)
{
	struct waker *w = in;

	nk_sleep(TIMEOUT_NS / 2);
	if (w->sem)
		nk_sem_up(w->sem);
	if (w->q)
		nk_msgq_send(w->q, w->q);
	if (w->cv) {
		nk_mutex_lock(w->mutex);
		*w->flag = 1;
		nk_condvar_signal(w->cv);
		nk_mutex_unlock(w->mutex);
	}
}

NK_TEST(sync, timeouts_not_taken_when_woken)
{
	struct nk_sem s;
	struct nk_mutex m;
	struct nk_condvar cv;
	volatile int flag = 0;
	struct nk_msgq *q = nk_msgq_create(1);
	struct waker w = { .sem = &s, .mutex = &m, .cv = &cv, .flag = &flag, .q = q };
	struct crew c;
	void *msg = NULL;
	int err = 0;

	NK_ASSERT(!NK_IS_ERR(q));
	nk_sem_init(&s, 0);
	nk_mutex_init(&m);
	nk_condvar_init(&cv);
	crew_start(&c, waker_thread, &w, 0, 1, MIXED);
	NK_EXPECT_EQ(nk_sem_down_timeout(&s, WAIT_MAX_NS), 0);
	NK_EXPECT_EQ(nk_msgq_recv_timeout(q, &msg, WAIT_MAX_NS), 0);
	NK_EXPECT_PTR_EQ(msg, q);
	NK_EXPECT_EQ(nk_mutex_lock(&m), 0);
	while (!flag && !err)
		err = nk_condvar_wait_timeout(&cv, &m, WAIT_MAX_NS);
	NK_EXPECT_EQ(err, 0);
	NK_EXPECT_EQ(nk_mutex_unlock(&m), 0);
	NK_EXPECT_EQ(crew_join(&c), 0);
	NK_EXPECT_EQ(nk_msgq_destroy(q), 0);
}

/* ---- the try_ forms and the owner checks ---- */

NK_TEST(sync, try_forms)
{
	struct nk_mutex m;
	struct nk_sem s;
	struct nk_rwlock l;
	struct nk_msgq *q = nk_msgq_create(2);
	void *msg = NULL;

	NK_ASSERT(!NK_IS_ERR(q));
	nk_mutex_init(&m);
	NK_EXPECT_EQ(nk_mutex_trylock(&m), 0);
	NK_EXPECT_EQ(nk_mutex_trylock(&m), -EBUSY);
	NK_EXPECT_EQ(nk_mutex_unlock(&m), 0);

	nk_sem_init(&s, 1);
	NK_EXPECT_EQ(nk_sem_try_down(&s), 0);
	NK_EXPECT_EQ(nk_sem_try_down(&s), -EAGAIN);
	nk_sem_up(&s);
	NK_EXPECT_EQ(nk_sem_try_down(&s), 0);

	nk_rwlock_init(&l);
	NK_EXPECT_EQ(nk_rwlock_try_read_lock(&l), 0);
	NK_EXPECT_EQ(nk_rwlock_try_read_lock(&l), 0);
	NK_EXPECT_EQ(nk_rwlock_try_write_lock(&l), -EBUSY);
	NK_EXPECT_EQ(nk_rwlock_read_unlock(&l), 0);
	NK_EXPECT_EQ(nk_rwlock_read_unlock(&l), 0);
	NK_EXPECT_EQ(nk_rwlock_try_write_lock(&l), 0);
	NK_EXPECT_EQ(nk_rwlock_try_read_lock(&l), -EBUSY);
	NK_EXPECT_EQ(nk_rwlock_try_write_lock(&l), -EBUSY);
	NK_EXPECT_EQ(nk_rwlock_write_unlock(&l), 0);

	NK_EXPECT_EQ(nk_msgq_try_recv(q, &msg), -EAGAIN);
	NK_EXPECT_EQ(nk_msgq_try_send(q, &m), 0);
	NK_EXPECT_EQ(nk_msgq_try_send(q, NULL), 0);
	NK_EXPECT_EQ(nk_msgq_try_send(q, &s), -EAGAIN);
	NK_EXPECT_EQ(nk_msgq_count(q), 2);
	NK_EXPECT_EQ(nk_msgq_try_recv(q, &msg), 0);
	NK_EXPECT_PTR_EQ(msg, &m);
	NK_EXPECT_EQ(nk_msgq_try_recv(q, &msg), 0);
	NK_EXPECT_NULL(msg);
	NK_EXPECT_EQ(nk_msgq_destroy(q), 0);
}

static void unlock_foreign(void *in, void **out)
{
	*out = (void *)(long)nk_mutex_unlock(in);
}

NK_TEST(sync, owner_checks)
{
	struct nk_mutex m;
	struct nk_condvar cv;
	struct nk_rwlock l;
	nk_thread_id_t tid;
	void *ret = NULL;

	nk_mutex_init(&m);
	nk_condvar_init(&cv);
	NK_EXPECT_EQ(nk_mutex_unlock(&m), -EPERM);
	NK_EXPECT_EQ(nk_condvar_wait(&cv, &m), -EPERM);
	NK_EXPECT_EQ(nk_mutex_lock(&m), 0);
	NK_EXPECT_EQ(nk_mutex_lock(&m), -EDEADLK);
	NK_ASSERT_EQ(nk_thread_start(unlock_foreign, &m, &ret, 0, 0, &tid, NK_CPU_ANY), 0);
	NK_EXPECT_EQ(nk_thread_join(tid, NULL), 0);
	NK_EXPECT_EQ((long)ret, -EPERM);
	NK_EXPECT(nk_mutex_held(&m));
	NK_EXPECT_EQ(nk_mutex_unlock(&m), 0);

	nk_rwlock_init(&l);
	NK_EXPECT_EQ(nk_rwlock_read_unlock(&l), -EPERM);
	NK_EXPECT_EQ(nk_rwlock_write_unlock(&l), -EPERM);
	NK_EXPECT_EQ(nk_rwlock_write_lock(&l), 0);
	NK_EXPECT_EQ(nk_rwlock_write_lock(&l), -EDEADLK);
	NK_EXPECT_EQ(nk_rwlock_read_lock(&l), -EDEADLK);
	NK_EXPECT_EQ(nk_rwlock_write_unlock(&l), 0);

	NK_EXPECT_EQ(NK_PTR_ERR(nk_msgq_create(0)), -EINVAL);
	NK_EXPECT_EQ(NK_PTR_ERR(nk_msgq_create(NK_MSGQ_MAX_CAPACITY + 1)), -EINVAL);
}

/* ---- reader-writer locks ---- */

struct rw_probe {
	struct nk_rwlock l;
	volatile int entered, release;
};

static void probe_reader(void *in, void **out)
{
	struct rw_probe *p = in;

	nk_rwlock_read_lock(&p->l);
	bump(&p->entered);
	wait_for(&p->release, 1);
	nk_rwlock_read_unlock(&p->l);
}

static void probe_writer(void *in, void **out)
{
	struct rw_probe *p = in;

	nk_rwlock_write_lock(&p->l);
	bump(&p->entered);
	nk_rwlock_write_unlock(&p->l);
}

/* Under the tester's read lock: another reader gets in. */
NK_TEST(sync, rwlock_readers_together)
{
	static struct rw_probe p;
	struct crew c;

	memset(&p, 0, sizeof(p));
	nk_rwlock_init(&p.l);
	NK_ASSERT_EQ(nk_rwlock_read_lock(&p.l), 0);
	crew_start(&c, probe_reader, &p, 0, 1, MIXED);
	NK_EXPECT(wait_for(&p.entered, 1));
	bump(&p.release);
	NK_EXPECT_EQ(nk_rwlock_read_unlock(&p.l), 0);
	NK_EXPECT_EQ(crew_join(&c), 0);
}

/*
 * Under the tester's read lock a writer waits; while it waits a new reader is refused (no
 * overtaking, so writers are not starved); the release lets the writer in.
 */
NK_TEST(sync, rwlock_writer_waits_for_reader)
{
	static struct rw_probe p;
	struct crew c;
	int queued = 0;

	memset(&p, 0, sizeof(p));
	nk_rwlock_init(&p.l);
	NK_ASSERT_EQ(nk_rwlock_read_lock(&p.l), 0);
	crew_start(&c, probe_writer, &p, 0, 1, MIXED);
	for (uint64_t end = nk_time_ns() + WAIT_MAX_NS; !queued && nk_time_ns() < end; nk_yield())
		queued = __atomic_load_n(&p.l.wq.nr_waiters, __ATOMIC_ACQUIRE);
	NK_EXPECT_EQ(queued, 1);
	NK_EXPECT_EQ(p.entered, 0);
	NK_EXPECT_EQ(nk_rwlock_try_read_lock(&p.l), -EBUSY);
	NK_EXPECT_EQ(nk_rwlock_read_unlock(&p.l), 0);
	NK_EXPECT(wait_for(&p.entered, 1));
	NK_EXPECT_EQ(crew_join(&c), 0);
}

#define RW_ROUNDS 1000

struct rw_mix {
	struct nk_rwlock l;
	int readers, writers; /* inside now */
	int max_readers, violations;
};

struct rw_mix_arg {
	struct rw_mix *mix;
	int id;
};

static void rw_read_round(struct rw_mix *m)
{
	int r;

	nk_rwlock_read_lock(&m->l);
	r = __atomic_add_fetch(&m->readers, 1, __ATOMIC_ACQ_REL);
	if (__atomic_load_n(&m->writers, __ATOMIC_ACQUIRE))
		__atomic_add_fetch(&m->violations, 1, __ATOMIC_RELAXED);
	if (r > __atomic_load_n(&m->max_readers, __ATOMIC_RELAXED))
		__atomic_store_n(&m->max_readers, r, __ATOMIC_RELAXED);
	for (int i = 0; i < 20; i++)
		__builtin_ia32_pause();
	__atomic_sub_fetch(&m->readers, 1, __ATOMIC_ACQ_REL);
	nk_rwlock_read_unlock(&m->l);
}

static void rw_write_round(struct rw_mix *m)
{
	nk_rwlock_write_lock(&m->l);
	if (__atomic_add_fetch(&m->writers, 1, __ATOMIC_ACQ_REL) != 1 ||
	    __atomic_load_n(&m->readers, __ATOMIC_ACQUIRE))
		__atomic_add_fetch(&m->violations, 1, __ATOMIC_RELAXED);
	__builtin_ia32_pause();
	__atomic_sub_fetch(&m->writers, 1, __ATOMIC_ACQ_REL);
	nk_rwlock_write_unlock(&m->l);
}

/* Worker i writes one round in i + 2: the workers mostly read, each a different pattern. */
static void rw_mix_worker(void *in, void **out)
{
	struct rw_mix_arg *a = in;

	for (int round = 0; round < RW_ROUNDS; round++) {
		if (round % (a->id + 2) == 0)
			rw_write_round(a->mix);
		else
			rw_read_round(a->mix);
	}
}

NK_TEST(sync, rwlock_never_writer_with_others)
{
	static struct rw_mix m;
	struct rw_mix_arg args[WORKERS];

	memset(&m, 0, sizeof(m));
	nk_rwlock_init(&m.l);
	for (int i = 0; i < WORKERS; i++)
		args[i] = (struct rw_mix_arg){ &m, i };
	NK_ASSERT_EQ(run_workers(rw_mix_worker, args, sizeof(args[0]), WORKERS, MIXED), 0);
	NK_EXPECT_EQ(m.violations, 0);
	NK_EXPECT_EQ(m.readers, 0);
	NK_EXPECT_EQ(m.writers, 0);
	nk_test_diag("up to %d readers at once", m.max_readers);
}
