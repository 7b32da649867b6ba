/*
 * KTAP suite `threads`: create/join in a loop without memory growth after warm-up, fork, join
 * errors, TLS keys and their destructors, return values and nk_thread_exit, names and
 * priorities, a stack overflow caught by the guard page, a bound thread on every CPU, and
 * join_all_children (exactly the joinable children, leaving one another joiner claimed). Threads that wait for the test do so with a deadline, and objects they
 * share with it are static: a failed case never leaves a thread hanging or writing to a dead
 * stack frame.
 */
#include <nautilus/arch.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/kernel.h>
#include <nautilus/mm.h>
#include <nautilus/string.h>
#include <nautilus/test.h>
#include <nautilus/thread.h>
#include <nautilus/time.h>
#include <nautilus/timer.h>

#define MS	      1000000ULL
#define WAIT_NS	      (5000 * MS) /* a thread that has not done its part in 5 s has failed */
#define WARMUP_ROUNDS 500
#define LOOP_ROUNDS   10000
#define PAGE	      NK_PAGE_SIZE
#define VEC_DF	      8	 /* double fault (SDM vol. 3A table 6-1) */
#define VEC_PF	      14 /* page fault */
#define SMALL_STACK   (16 * 1024)
#define STACK_SLACK   1024 /* stack a thread uses above its function's frame */
#define TLS_ROUNDS    4	   /* destructor rounds at most (thread.h, as POSIX's iterations) */
#define CPU_ROUNDS    8
#define CHILDREN      5
#define DETACHED      3

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

static void bump(volatile int *p)
{
	__atomic_add_fetch(p, 1, __ATOMIC_ACQ_REL);
}

/* A thread body that returns its input. */
static void echo(void *in, void **out)
{
	*out = in;
}

/* A gate threads wait at (with a deadline) until the test opens it. */
struct gate {
	volatile int open;
	volatile int arrived; /* threads waiting at it */
	volatile int left;    /* threads past it (opened or timed out) */
	volatile int timed_out;
};

static void gate_pass(struct gate *g)
{
	bump(&g->arrived);
	if (!await_ge(&g->open, 1, nk_time_ns() + WAIT_NS))
		bump(&g->timed_out);
	bump(&g->left);
}

static void wait_at_gate(void *in, void **out)
{
	gate_pass(in);
	*out = in;
}

/* --- the thread table --- */

struct find {
	uint64_t number;
	bool found;
	struct nk_thread_info info;
};

static void find_one(const struct nk_thread_info *info, void *arg)
{
	struct find *f = arg;

	if (info->number == f->number) {
		f->info = *info;
		f->found = true;
	}
}

/* What nk_thread_for_each says about t now; false if it is not listed. */
static bool info_of(nk_thread_id_t t, struct nk_thread_info *info)
{
	struct find f = { .number = nk_thread_number(t) };

	nk_thread_for_each(find_one, &f);
	*info = f.info;
	return f.found;
}

/* Until t shows in state s, or the deadline. */
static bool await_state(nk_thread_id_t t, enum nk_thread_state s, uint64_t deadline)
{
	struct nk_thread_info info;

	while (!info_of(t, &info) || info.state != s) {
		if (nk_time_ns() > deadline)
			return false;
		nk_sleep(MS / 4);
	}
	return true;
}

/* Until nk_thread_count() is n (detached threads are reaped after they exit), or the deadline. */
static bool await_count(int n, uint64_t deadline)
{
	while (nk_thread_count() != n) {
		if (nk_time_ns() > deadline)
			return false;
		nk_sleep(MS / 4);
	}
	return true;
}

/* --- create and join --- */

/* rounds times create+run+join of echo on cpu: 0, or -errno with *at the failing round. */
static int create_join_loop(int rounds, int cpu, int *at)
{
	for (*at = 0; *at < rounds; (*at)++) {
		void *in = (void *)(uintptr_t)(*at + 1), *rv = NULL;
		nk_thread_id_t t;
		int err = nk_thread_start(echo, in, NULL, 0, 0, &t, cpu);

		if (!err)
			err = nk_thread_join(t, &rv);
		if (!err && rv != in)
			err = -EIO;
		if (err)
			return err;
	}
	return 0;
}

/*
 * Structures and stacks are recycled: once a warm-up has filled the free lists, 10,000 more
 * create/join rounds take no page and leave no thread behind. The same loop warms up and is
 * measured, so placement visits the same CPUs' free lists in both.
 */
NK_TEST(threads, create_join_10000_no_growth)
{
	uint64_t pages, t0;
	int threads, at;

	NK_ASSERT_EQ(create_join_loop(WARMUP_ROUNDS, NK_CPU_ANY, &at), 0);
	pages = nk_page_free_total();
	threads = nk_thread_count();
	t0 = nk_time_ns();
	NK_EXPECT_EQ(create_join_loop(LOOP_ROUNDS, NK_CPU_ANY, &at), 0);
	NK_EXPECT_EQ(at, LOOP_ROUNDS);
	nk_test_diag("%d create+join in %llu ms", at,
		     (unsigned long long)((nk_time_ns() - t0) / MS));
	NK_EXPECT_EQ(nk_thread_count(), threads);
	NK_EXPECT_UEQ(nk_page_free_total(), pages);
}

/* --- fork --- */

#define FORK_VALUES 8
#define FORK_SEED   0x5eedf00dULL

static struct {
	int child_runs, parent_runs, after_return;
	nk_thread_id_t child_self;
	uint64_t child_values[FORK_VALUES], parent_values[FORK_VALUES];
} forked;

static uint64_t fork_value(int i)
{
	return FORK_SEED * 0x9e3779b97f4a7c15ULL + (uint64_t)i * 0x1234567ULL;
}

static void keep(uint64_t *dst, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
		 uint64_t f, uint64_t g, uint64_t h)
{
	const uint64_t v[FORK_VALUES] = { a, b, c, d, e, f, g, h };

	memcpy(dst, v, sizeof(v));
}

/*
 * Eight values live across the fork (more than the callee-saved registers: some are in the
 * frame), used after it by both sides: the child must see each as the parent does.
 */
static __nk_noinline nk_thread_id_t fork_here(void)
{
	uint64_t a = fork_value(0), b = fork_value(1), c = fork_value(2), d = fork_value(3);
	uint64_t e = fork_value(4), f = fork_value(5), g = fork_value(6);
	volatile uint64_t h = fork_value(7);
	nk_thread_id_t t = nk_thread_fork();

	if (!t) {
		keep(forked.child_values, a, b, c, d, e, f, g, h);
		forked.child_self = nk_thread_self();
		forked.child_runs++;
		return NULL; /* the child exits here */
	}
	keep(forked.parent_values, a, b, c, d, e, f, g, h);
	forked.parent_runs++;
	return t;
}

NK_TEST(threads, fork_semantics)
{
	void *rv = (void *)1;
	nk_thread_id_t t;

	memset(&forked, 0, sizeof(forked));
	t = fork_here();
	forked.after_return++; /* the parent only: the child ended when fork_here returned */
	NK_ASSERT(t != NK_BAD_THREAD_ID);
	NK_ASSERT_NOT_NULL(t);
	NK_EXPECT(t != nk_thread_self());
	NK_ASSERT_EQ(nk_thread_join(t, &rv), 0);
	NK_EXPECT_NULL(rv);
	NK_EXPECT_EQ(forked.child_runs, 1);
	NK_EXPECT_EQ(forked.parent_runs, 1);
	NK_EXPECT_EQ(forked.after_return, 1);
	NK_EXPECT_PTR_EQ(forked.child_self, t);
	for (int i = 0; i < FORK_VALUES; i++) {
		NK_EXPECT_UEQ(forked.parent_values[i], fork_value(i));
		NK_EXPECT_UEQ(forked.child_values[i], fork_value(i));
	}
}

/* --- join errors --- */

static struct gate join_gate;
static volatile int self_join_err;

static void join_self(void *in, void **out)
{
	self_join_err = nk_thread_join(nk_thread_self(), out);
}

NK_TEST(threads, join_self_is_edeadlk)
{
	nk_thread_id_t t;

	NK_EXPECT_EQ(nk_thread_join(nk_thread_self(), NULL), -EDEADLK);
	self_join_err = 1;
	NK_ASSERT_EQ(nk_thread_start(join_self, NULL, NULL, 0, 0, &t, NK_CPU_ANY), 0);
	NK_ASSERT_EQ(nk_thread_join(t, NULL), 0);
	NK_EXPECT_EQ(self_join_err, -EDEADLK);
	NK_EXPECT_EQ(nk_thread_join(NULL, NULL), -EINVAL);
}

/* A detached thread cannot be joined: -EINVAL at once while it still runs, and it is reaped. */
NK_TEST(threads, join_detached_is_einval)
{
	int threads = nk_thread_count();
	nk_thread_id_t t;

	memset((void *)&join_gate, 0, sizeof(join_gate));
	NK_ASSERT_EQ(nk_thread_start(wait_at_gate, &join_gate, NULL, NK_THREAD_DETACHED, 0, &t,
				     NK_CPU_ANY),
		     0);
	NK_EXPECT(await_ge(&join_gate.arrived, 1, nk_time_ns() + WAIT_NS));
	NK_EXPECT_EQ(nk_thread_join(t, NULL), -EINVAL);
	NK_EXPECT_EQ(join_gate.left, 0);
	join_gate.open = 1;
	NK_EXPECT(await_ge(&join_gate.left, 1, nk_time_ns() + WAIT_NS));
	NK_EXPECT_EQ(join_gate.timed_out, 0);
	NK_EXPECT(await_count(threads, nk_time_ns() + WAIT_NS));
}

static struct gate busy_gate;
static nk_thread_id_t busy_target;
static volatile int busy_join_err;
static void *volatile busy_join_rv;

static void join_target(void *in, void **out)
{
	void *rv = NULL;

	busy_join_err = nk_thread_join(busy_target, &rv);
	busy_join_rv = rv;
}

/* A second joiner gets -EBUSY; the first still gets the return value. */
NK_TEST(threads, second_joiner_is_ebusy)
{
	nk_thread_id_t joiner;

	memset((void *)&busy_gate, 0, sizeof(busy_gate));
	busy_join_err = 1;
	busy_join_rv = NULL;
	NK_ASSERT_EQ(
		nk_thread_start(wait_at_gate, &busy_gate, NULL, 0, 0, &busy_target, NK_CPU_ANY), 0);
	NK_ASSERT_EQ(nk_thread_start(join_target, NULL, NULL, 0, 0, &joiner, NK_CPU_ANY), 0);
	NK_EXPECT(await_state(joiner, NK_THREAD_BLOCKED, nk_time_ns() + WAIT_NS));
	NK_EXPECT_EQ(nk_thread_join(busy_target, NULL), -EBUSY);
	busy_gate.open = 1;
	NK_ASSERT_EQ(nk_thread_join(joiner, NULL), 0);
	NK_EXPECT_EQ(busy_join_err, 0);
	NK_EXPECT_PTR_EQ(busy_join_rv, &busy_gate);
	NK_EXPECT_EQ(busy_gate.timed_out, 0);
}

/* --- return values --- */

static volatile int reached_past_exit;

/* Opaque to the optimizer, which would otherwise see exit_at_depth never return. */
static __attribute__((noipa)) void exit_here(void)
{
	nk_thread_exit((void *)0xe0e0);
}

static __nk_noinline void exit_at_depth(int depth)
{
	if (depth == 0)
		exit_here();
	else
		exit_at_depth(depth - 1);
	reached_past_exit = 1;
}

/* Leaves one value in *out, then exits with another from deep down: the exit's value wins. */
static void exits_nested(void *in, void **out)
{
	*out = (void *)0xbad;
	exit_at_depth((int)(uintptr_t)in);
	reached_past_exit = 1;
}

static void *volatile initial_out = (void *)1;

static void returns_through_out(void *in, void **out)
{
	initial_out = *out;
	*out = in;
}

NK_TEST(threads, output_and_join_agree)
{
	void *o = (void *)0x5a5a, *rv = NULL;
	nk_thread_id_t t;

	NK_ASSERT_EQ(nk_thread_start(returns_through_out, (void *)0x1234, &o, 0, 0, &t, NK_CPU_ANY),
		     0);
	NK_ASSERT_EQ(nk_thread_join(t, &rv), 0);
	NK_EXPECT_NULL(initial_out); /* *output starts NULL in the body */
	NK_EXPECT_PTR_EQ(rv, (void *)0x1234);
	NK_EXPECT_PTR_EQ(o, (void *)0x1234);
}

NK_TEST(threads, exit_from_nested_calls)
{
	void *o = NULL, *rv = NULL;
	nk_thread_id_t t;

	reached_past_exit = 0;
	NK_ASSERT_EQ(nk_thread_start(exits_nested, (void *)5, &o, 0, 0, &t, NK_CPU_ANY), 0);
	NK_ASSERT_EQ(nk_thread_join(t, &rv), 0);
	NK_EXPECT_PTR_EQ(rv, (void *)0xe0e0);
	NK_EXPECT_PTR_EQ(o, (void *)0xe0e0);
	NK_EXPECT_EQ(reached_past_exit, 0);
}

/* --- TLS --- */

#define TLS_LOG 8

struct dtor_log {
	int calls;
	void *value[TLS_LOG];
	void *get_during[TLS_LOG]; /* nk_tls_get of the key inside the destructor */
	nk_thread_id_t thread[TLS_LOG];
};

static struct dtor_log log_a, log_b, log_again, log_forever, log_deleted;
static nk_tls_key_t key_a, key_b, key_again, key_forever, key_deleted;
static int tls_marks[4];

static void log_call(struct dtor_log *l, nk_tls_key_t key, void *v)
{
	int i = l->calls++;

	if (i < TLS_LOG) {
		l->value[i] = v;
		l->get_during[i] = nk_tls_get(key);
		l->thread[i] = nk_thread_self();
	}
}

static void dtor_a(void *v)
{
	log_call(&log_a, key_a, v);
}

static void dtor_b(void *v)
{
	log_call(&log_b, key_b, v);
}

/* Sets its key again twice (mark 0, then 1, then 2): three rounds call it per thread. */
static void dtor_again(void *v)
{
	log_call(&log_again, key_again, v);
	if (v == &tls_marks[0] || v == &tls_marks[1])
		nk_tls_set(key_again, (int *)v + 1);
}

/* Always sets its key again: only the round limit stops it. */
static void dtor_forever(void *v)
{
	log_call(&log_forever, key_forever, v);
	nk_tls_set(key_forever, v);
}

static void dtor_deleted(void *v)
{
	log_call(&log_deleted, key_deleted, v);
}

static nk_thread_id_t tls_self;
static volatile int tls_set_errs;

static void set_two_keys(void *in, void **out)
{
	tls_self = nk_thread_self();
	tls_set_errs = nk_tls_get(key_a) != NULL || nk_tls_get(key_b) != NULL;
	tls_set_errs += nk_tls_set(key_a, &tls_marks[0]) != 0;
	tls_set_errs += nk_tls_set(key_b, &tls_marks[1]) != 0;
	tls_set_errs += nk_tls_get(key_a) != &tls_marks[0] || nk_tls_get(key_b) != &tls_marks[1];
}

static void reset_logs(void)
{
	memset(&log_a, 0, sizeof(log_a));
	memset(&log_b, 0, sizeof(log_b));
	memset(&log_again, 0, sizeof(log_again));
	memset(&log_forever, 0, sizeof(log_forever));
	memset(&log_deleted, 0, sizeof(log_deleted));
}

/* One thread runs fn on cpu and is joined; 0 or -errno. */
static int run_one(nk_thread_fun_t fn, void *in, int cpu)
{
	nk_thread_id_t t;
	int err = nk_thread_start(fn, in, NULL, 0, 0, &t, cpu);

	return err ? err : nk_thread_join(t, NULL);
}

/* Each destructor runs once, in the exiting thread, with its value, the key already cleared. */
NK_TEST(threads, tls_destructors_run_at_exit)
{
	reset_logs();
	NK_ASSERT_EQ(nk_tls_key_create(&key_a, dtor_a), 0);
	NK_ASSERT_EQ(nk_tls_key_create(&key_b, dtor_b), 0);
	NK_EXPECT_NE(key_a, key_b);
	NK_EXPECT_EQ(run_one(set_two_keys, NULL, NK_CPU_ANY), 0);
	NK_EXPECT_EQ(tls_set_errs, 0);
	NK_EXPECT_EQ(log_a.calls, 1);
	NK_EXPECT_EQ(log_b.calls, 1);
	NK_EXPECT_PTR_EQ(log_a.value[0], &tls_marks[0]);
	NK_EXPECT_PTR_EQ(log_b.value[0], &tls_marks[1]);
	NK_EXPECT_NULL(log_a.get_during[0]);
	NK_EXPECT_NULL(log_b.get_during[0]);
	NK_EXPECT_PTR_EQ(log_a.thread[0], tls_self);
	NK_EXPECT_PTR_EQ(log_b.thread[0], tls_self);
	/* A thread that set nothing calls no destructor, even on a recycled structure. */
	NK_EXPECT_EQ(run_one(echo, NULL, NK_CPU_ANY), 0);
	NK_EXPECT_EQ(log_a.calls, 1);
	NK_EXPECT_EQ(nk_tls_key_delete(key_a), 0);
	NK_EXPECT_EQ(nk_tls_key_delete(key_b), 0);
}

static volatile int tls_fresh_errs;

static void set_looping_keys(void *in, void **out)
{
	tls_fresh_errs += nk_tls_get(key_again) != NULL || nk_tls_get(key_forever) != NULL;
	nk_tls_set(key_again, &tls_marks[0]);
	nk_tls_set(key_forever, &tls_marks[3]);
}

/*
 * Destructors that set values again are called again, round after round, at most TLS_ROUNDS
 * times; a thread created afterwards (perhaps on the same recycled structure) starts with NULL.
 */
NK_TEST(threads, tls_destructor_rounds)
{
	reset_logs();
	tls_fresh_errs = 0;
	NK_ASSERT_EQ(nk_tls_key_create(&key_again, dtor_again), 0);
	NK_ASSERT_EQ(nk_tls_key_create(&key_forever, dtor_forever), 0);
	for (int i = 0; i < 3; i++)
		NK_EXPECT_EQ(run_one(set_looping_keys, NULL, nk_cpu_id()), 0);
	NK_EXPECT_EQ(tls_fresh_errs, 0);
	NK_EXPECT_EQ(log_again.calls, 3 * 3);
	NK_EXPECT_PTR_EQ(log_again.value[0], &tls_marks[0]);
	NK_EXPECT_PTR_EQ(log_again.value[1], &tls_marks[1]);
	NK_EXPECT_PTR_EQ(log_again.value[2], &tls_marks[2]);
	NK_EXPECT_EQ(log_forever.calls, 3 * TLS_ROUNDS);
	NK_EXPECT_EQ(nk_tls_key_delete(key_again), 0);
	NK_EXPECT_EQ(nk_tls_key_delete(key_forever), 0);
}

static struct gate tls_gate;
static volatile int deleted_set_err;

static void set_then_wait(void *in, void **out)
{
	nk_tls_set(key_deleted, &tls_marks[2]);
	gate_pass(&tls_gate);
	deleted_set_err = nk_tls_set(key_deleted, &tls_marks[1]);
}

/*
 * A key deleted while a thread holds a value: no destructor runs, the key is refused, and a
 * key created afterwards (which may reuse the slot) reads NULL in a thread that had a value.
 */
NK_TEST(threads, tls_key_delete)
{
	nk_tls_key_t again;
	nk_thread_id_t t;

	reset_logs();
	memset((void *)&tls_gate, 0, sizeof(tls_gate));
	NK_ASSERT_EQ(nk_tls_key_create(&key_deleted, dtor_deleted), 0);
	NK_EXPECT_EQ(nk_tls_set(key_deleted, &tls_marks[0]), 0);
	NK_ASSERT_EQ(nk_thread_start(set_then_wait, NULL, NULL, 0, 0, &t, NK_CPU_ANY), 0);
	NK_EXPECT(await_ge(&tls_gate.arrived, 1, nk_time_ns() + WAIT_NS));
	NK_EXPECT_EQ(nk_tls_key_delete(key_deleted), 0);
	NK_EXPECT_EQ(nk_tls_key_delete(key_deleted), -EINVAL);
	tls_gate.open = 1;
	NK_EXPECT_EQ(nk_thread_join(t, NULL), 0);
	NK_EXPECT_EQ(deleted_set_err, -EINVAL);
	NK_EXPECT_EQ(log_deleted.calls, 0);
	NK_EXPECT_EQ(nk_tls_set(key_deleted, &tls_marks[0]), -EINVAL);
	NK_ASSERT_EQ(nk_tls_key_create(&again, NULL), 0);
	NK_EXPECT_NULL(nk_tls_get(again));
	NK_EXPECT_EQ(nk_tls_key_delete(again), 0);
	NK_EXPECT_NULL(nk_tls_get(NK_TLS_KEYS + 3));
	NK_EXPECT_EQ(nk_tls_set(NK_TLS_KEYS + 3, &tls_marks[0]), -EINVAL);
	NK_EXPECT_EQ(nk_tls_key_delete(NK_TLS_KEYS + 3), -EINVAL);
}

/* Keys run out with -EAGAIN (at most NK_TLS_KEYS), and deleting gives them back. */
NK_TEST(threads, tls_keys_run_out)
{
	static nk_tls_key_t keys[NK_TLS_KEYS + 1];
	int n = 0, err = 0;

	while (n < (int)NK_ARRAY_SIZE(keys) && !(err = nk_tls_key_create(&keys[n], NULL)))
		n++;
	NK_EXPECT_EQ(err, -EAGAIN);
	NK_EXPECT_GE(n, 1);
	NK_EXPECT_LE(n, NK_TLS_KEYS);
	for (int i = 0; i < n; i++)
		NK_EXPECT_EQ(nk_tls_key_delete(keys[i]), 0);
	NK_ASSERT_EQ(nk_tls_key_create(&keys[0], NULL), 0);
	NK_EXPECT_EQ(nk_tls_key_delete(keys[0]), 0);
}

/* --- names, numbers, priorities, validation --- */

NK_TEST(threads, names_and_numbers)
{
	char longname[NK_THREAD_NAME_LEN + 8];
	struct nk_thread_info info;
	nk_thread_id_t t, u;

	NK_ASSERT_EQ(nk_thread_create(echo, NULL, NULL, 0, 0, &t, nk_cpu_id()), 0);
	NK_ASSERT_EQ(nk_thread_create(echo, NULL, NULL, 0, 0, &u, NK_CPU_ANY), 0);
	NK_EXPECT_STREQ(nk_thread_name(t), "");
	NK_EXPECT_EQ(nk_thread_set_name(t, "worker-7"), 0);
	NK_EXPECT_STREQ(nk_thread_name(t), "worker-7");
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	NK_EXPECT_EQ(nk_thread_set_name(u, longname), 0); /* kept, truncated */
	NK_EXPECT_EQ(strlen(nk_thread_name(u)), NK_THREAD_NAME_LEN - 1);
	NK_EXPECT_EQ(nk_thread_set_name(t, NULL), -EINVAL);
	NK_EXPECT_EQ(nk_thread_set_name(NULL, "x"), -EINVAL);
	NK_EXPECT_NE(nk_thread_number(t), nk_thread_number(u));
	NK_EXPECT_GT(nk_thread_number(t), 1);
	NK_EXPECT(info_of(t, &info));
	NK_EXPECT_STREQ(info.name, "worker-7");
	NK_EXPECT_EQ(info.state, NK_THREAD_CREATED);
	NK_EXPECT(info.bound);
	NK_EXPECT(!info.detached);
	NK_EXPECT(!info.idle);
	NK_EXPECT_EQ(info.cpu, nk_cpu_id());
	NK_EXPECT(info_of(u, &info));
	NK_EXPECT(!info.bound);
	NK_EXPECT_EQ(nk_thread_run(t), 0);
	NK_EXPECT_EQ(nk_thread_run(t), -EINVAL);
	NK_EXPECT_EQ(nk_thread_run(u), 0);
	NK_EXPECT_EQ(nk_thread_join(t, NULL), 0);
	NK_EXPECT_EQ(nk_thread_join(u, NULL), 0);
	NK_EXPECT_STREQ(nk_thread_state_name(NK_THREAD_BLOCKED), "blocked");
}

NK_TEST(threads, priorities_and_bad_arguments)
{
	nk_thread_id_t self = nk_thread_self(), t;
	struct nk_thread_info info;
	int prio;

	NK_ASSERT(info_of(self, &info));
	prio = info.prio;
	NK_EXPECT_EQ(nk_thread_set_priority(self, NK_PRIO_MAX + 1), -EINVAL);
	NK_EXPECT_EQ(nk_thread_set_priority(self, NK_PRIO_MIN - 1), -EINVAL);
	NK_EXPECT_EQ(nk_thread_set_priority(NULL, NK_PRIO_DEFAULT), -EINVAL);
	NK_EXPECT(info_of(self, &info) && info.prio == prio);
	NK_ASSERT_EQ(nk_thread_set_priority(self, NK_PRIO_MAX - 1), 0);
	NK_EXPECT_EQ(nk_thread_create(echo, NULL, NULL, 0, 0, &t, NK_CPU_ANY), 0);
	NK_EXPECT_EQ(nk_thread_set_priority(self, prio), 0);
	NK_EXPECT(info_of(t, &info) && info.prio == NK_PRIO_MAX - 1); /* inherited */
	NK_EXPECT_EQ(nk_thread_set_priority(t, NK_PRIO_MIN), 0);
	NK_EXPECT(info_of(t, &info) && info.prio == NK_PRIO_MIN);
	NK_EXPECT_EQ(nk_thread_run(t), 0);
	NK_EXPECT_EQ(nk_thread_join(t, NULL), 0);

	NK_EXPECT_EQ(nk_thread_create(echo, NULL, NULL, 0x80, 0, &t, NK_CPU_ANY), -EINVAL);
	NK_EXPECT_EQ(nk_thread_create(echo, NULL, NULL, 0, 0, &t, nk_cpu_count()), -EINVAL);
	NK_EXPECT_EQ(nk_thread_create(echo, NULL, NULL, 0, 0, &t, -2), -EINVAL);
	NK_EXPECT_EQ(nk_thread_start(echo, NULL, NULL, 0, 0, &t, NK_MAX_CPUS), -EINVAL);
}

/* --- the guard page --- */

static struct overflow_seen {
	int caught, cpu_before, cpu_after;
	bool still_guarded;
	uintptr_t frame;
	struct nk_trap_info info;
} ovf;

/*
 * Interrupts stay off while the stack is near its end, so the only thing that reaches the
 * guard page is the recursion (not an interrupt frame, not the scheduler), and the thread does
 * not leave the CPU whose catcher is armed.
 */
static void overflow_thread(void *in, void **out)
{
	unsigned long flags = nk_arch_irq_save();

	ovf.frame = (uintptr_t)__builtin_frame_address(0);
	ovf.cpu_before = nk_cpu_id();
	ovf.caught = nk_arch_trap_catch(nk_test_overflow_stack, NULL, &ovf.info);
	ovf.cpu_after = nk_cpu_id();
	nk_arch_irq_restore(flags);
	ovf.still_guarded = nk_arch_page_is_guarded((void *)ovf.info.cr2);
}

/*
 * The stack has at least the size asked for (frames above ours take less than STACK_SLACK) and
 * at most that rounded up to a power of two pages: the guard page lies within those bounds.
 */
NK_TEST(threads, stack_overflow_hits_guard_page)
{
	int cpu = nk_cpu_count() - 1;
	uint64_t depth;
	nk_thread_id_t t;

	memset(&ovf, 0, sizeof(ovf));
	NK_ASSERT_EQ(nk_thread_create(overflow_thread, NULL, NULL, 0, SMALL_STACK, &t, cpu), 0);
	NK_EXPECT_EQ(nk_thread_set_name(t, "overflow-test"), 0); /* the fault report names it */
	NK_ASSERT_EQ(nk_thread_run(t), 0);
	NK_ASSERT_EQ(nk_thread_join(t, NULL), 0);
	NK_ASSERT_EQ(ovf.caught, 1);
	NK_EXPECT(ovf.info.vector == VEC_DF || ovf.info.vector == VEC_PF);
	NK_EXPECT(ovf.info.guard);
	NK_EXPECT(ovf.still_guarded);
	NK_EXPECT_EQ(ovf.cpu_before, cpu);
	NK_EXPECT_EQ(ovf.cpu_after, cpu);
	depth = ovf.frame - ovf.info.cr2;
	NK_EXPECT_LT(ovf.info.cr2, ovf.frame);
	NK_EXPECT_GE(depth, SMALL_STACK - STACK_SLACK);
	NK_EXPECT_LT(depth, 2 * SMALL_STACK + PAGE);
	nk_test_diag("vector %d at 0x%llx, %llu bytes below the thread's first frame",
		     ovf.info.vector, (unsigned long long)ovf.info.cr2, (unsigned long long)depth);
}

/* --- placement --- */

static struct cpu_seen {
	int seen[CPU_ROUNDS];
	int thread_cpu;
} cpu_seen[NK_MAX_CPUS];

/* Where the thread runs, looked at between yields and sleeps (each a chance to move it). */
static void record_cpus(void *in, void **out)
{
	struct cpu_seen *s = in;

	for (int i = 0; i < CPU_ROUNDS; i++) {
		s->seen[i] = nk_cpu_id();
		if (i % 2)
			nk_sleep(MS / 10);
		else
			nk_yield();
	}
	s->thread_cpu = nk_thread_cpu(nk_thread_self());
}

NK_TEST(threads, bound_thread_on_every_cpu)
{
	nk_thread_id_t t[NK_MAX_CPUS];
	int n = nk_cpu_count(), started = 0;

	memset(cpu_seen, 0xff, sizeof(cpu_seen));
	for (int cpu = 0; cpu < n; cpu++) {
		if (nk_cpu_get(cpu)->state != NK_CPU_ONLINE)
			continue;
		NK_EXPECT_EQ(nk_thread_start(record_cpus, &cpu_seen[cpu], NULL, 0, 0, &t[cpu], cpu),
			     0);
		started++;
	}
	NK_EXPECT_EQ(started, nk_cpu_online_count());
	for (int cpu = 0; cpu < n; cpu++) {
		if (nk_cpu_get(cpu)->state != NK_CPU_ONLINE)
			continue;
		NK_EXPECT_EQ(nk_thread_join(t[cpu], NULL), 0);
		for (int i = 0; i < CPU_ROUNDS; i++)
			NK_EXPECT_EQ(cpu_seen[cpu].seen[i], cpu);
		NK_EXPECT_EQ(cpu_seen[cpu].thread_cpu, cpu);
	}
}

/* --- join_all_children --- */

static struct gate detached_gate;
static volatile int children_done, joined_all, joined_again;

static void child(void *in, void **out)
{
	nk_sleep(MS * (1 + (uintptr_t)in % 3));
	bump(&children_done);
}

/* Starts joinable and detached children, joins all: exactly the joinable ones, all finished. */
static void parent(void *in, void **out)
{
	nk_thread_id_t t;
	int errors = 0;

	for (int i = 0; i < CHILDREN; i++)
		errors +=
			!!nk_thread_start(child, (void *)(uintptr_t)i, NULL, 0, 0, &t, NK_CPU_ANY);
	for (int i = 0; i < DETACHED; i++)
		errors += !!nk_thread_start(wait_at_gate, &detached_gate, NULL, NK_THREAD_DETACHED,
					    0, &t, NK_CPU_ANY);
	joined_all = nk_thread_join_all_children();
	joined_again = nk_thread_join_all_children();
	*out = (void *)(uintptr_t)errors;
}

NK_TEST(threads, join_all_children_joins_non_detached)
{
	int threads = nk_thread_count();
	void *errors = (void *)1;
	nk_thread_id_t p;

	memset((void *)&detached_gate, 0, sizeof(detached_gate));
	children_done = 0;
	joined_all = joined_again = -1;
	NK_ASSERT_EQ(nk_thread_start(parent, NULL, NULL, 0, 0, &p, NK_CPU_ANY), 0);
	NK_EXPECT_EQ(nk_thread_join(p, &errors), 0);
	NK_EXPECT_NULL(errors);
	NK_EXPECT_EQ(joined_all, CHILDREN);
	NK_EXPECT_EQ(joined_again, 0);
	NK_EXPECT_EQ(children_done, CHILDREN);
	NK_EXPECT_EQ(detached_gate.left, 0); /* the detached children were not waited for */
	detached_gate.open = 1;
	NK_EXPECT(await_ge(&detached_gate.left, DETACHED, nk_time_ns() + WAIT_NS));
	NK_EXPECT_EQ(detached_gate.timed_out, 0);
	NK_EXPECT(await_count(threads, nk_time_ns() + WAIT_NS));
}

static struct gate claimed_gate;
static nk_thread_id_t claimed_child;
static volatile int claimed_ready, claimed_go, claimed_joined = -1, outsider_err = 1;

/* Joins the parent's child first, so that join_all_children finds it claimed. */
static void outsider(void *in, void **out)
{
	outsider_err = nk_thread_join(claimed_child, NULL);
}

static void parent_of_claimed(void *in, void **out)
{
	if (nk_thread_start(wait_at_gate, &claimed_gate, NULL, 0, 0, &claimed_child, NK_CPU_ANY))
		return;
	claimed_ready = 1;
	if (await_ge(&claimed_go, 1, nk_time_ns() + WAIT_NS))
		claimed_joined = nk_thread_join_all_children();
}

/*
 * A child another thread is already joining is that thread's: join_all_children neither
 * counts nor waits for it, and the thread list stays whole (the count comes back).
 */
NK_TEST(threads, join_all_children_skips_claimed_child)
{
	int threads = nk_thread_count();
	nk_thread_id_t p, j = NULL;

	memset((void *)&claimed_gate, 0, sizeof(claimed_gate));
	claimed_ready = claimed_go = 0;
	claimed_joined = -1;
	outsider_err = 1;
	NK_ASSERT_EQ(nk_thread_start(parent_of_claimed, NULL, NULL, 0, 0, &p, NK_CPU_ANY), 0);
	NK_EXPECT(await_ge(&claimed_ready, 1, nk_time_ns() + WAIT_NS));
	if (claimed_ready) {
		NK_EXPECT_EQ(nk_thread_start(outsider, NULL, NULL, 0, 0, &j, NK_CPU_ANY), 0);
		NK_EXPECT(await_state(j, NK_THREAD_BLOCKED, nk_time_ns() + WAIT_NS));
	}
	claimed_go = 1;
	NK_EXPECT_EQ(nk_thread_join(p, NULL), 0);
	NK_EXPECT_EQ(claimed_joined, 0);
	claimed_gate.open = 1;
	if (j)
		NK_EXPECT_EQ(nk_thread_join(j, NULL), 0);
	NK_EXPECT_EQ(outsider_err, 0);
	NK_EXPECT(await_count(threads, nk_time_ns() + WAIT_NS));
	NK_EXPECT_EQ(nk_thread_count(), threads);
}

static volatile int deaf_go;

/* Interrupts off for longer than NK_XCALL_TIMEOUT_MS: this CPU answers no cross-call. */
static void deaf_cpu(void *in, void **out)
{
	unsigned long flags = nk_arch_irq_save();
	uint64_t end = nk_time_ns() + 1500 * MS;

	deaf_go = 1;
	while (nk_time_ns() < end)
		__builtin_ia32_pause();
	nk_arch_irq_restore(flags);
}

/*
 * A new stack's guard page waits for every CPU's TLB flush; when one CPU does not answer in
 * time (-ETIMEDOUT, the page stays guarded), creating the thread must fail or succeed, not
 * hand a still-guarded block back to the page allocator (which writes into its first page).
 */
NK_TEST(threads, create_while_a_cpu_does_not_answer)
{
	int cpu = nk_cpu_count() - 1, err;
	nk_thread_id_t deaf, t;

	if (cpu == nk_cpu_id())
		NK_SKIP("one CPU");
	deaf_go = 0;
	nk_thread_cache_drain(); /* the next block comes from the page allocator */
	NK_ASSERT_EQ(nk_thread_start(deaf_cpu, NULL, NULL, 0, 0, &deaf, cpu), 0);
	NK_EXPECT(await_ge(&deaf_go, 1, nk_time_ns() + WAIT_NS));
	err = nk_thread_create(echo, NULL, NULL, 0, 0, &t, nk_cpu_id());
	nk_test_diag("nk_thread_create: %d", err);
	if (!err) {
		NK_EXPECT_EQ(nk_thread_run(t), 0);
		NK_EXPECT_EQ(nk_thread_join(t, NULL), 0);
	}
	NK_EXPECT_EQ(nk_thread_join(deaf, NULL), 0);
}
