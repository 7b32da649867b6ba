/*
 * Thread benchmarks on CPU 0: create+run+join of a thread that returns at once (bound to CPU 0,
 * where a Linux pthread inherits the creator's affinity), and yield ping-pong between two
 * threads of CPU 0 (a sample is one switch: half of a yield that goes to the partner and back).
 */
#include <nautilus/bench.h>
#include <nautilus/thread.h>

static void nothing(void *input, void **output)
{
}

NK_BENCH(thread_create_join, 1, 2000)
{
	for (int i = -b->warmup; i < b->iters; i++) {
		uint64_t t0 = nk_bench_now();
		nk_thread_id_t t;
		int err = nk_thread_start(nothing, NULL, NULL, 0, 0, &t, 0);

		if (!err)
			err = nk_thread_join(t, NULL);
		if (err)
			return err;
		nk_bench_record(b, i, nk_bench_now() - t0);
	}
	return 0;
}

struct yield_pair {
	int started; /* the partner runs */
	int stop;    /* the measuring thread is done */
};

static void yield_partner(void *input, void **output)
{
	struct yield_pair *y = input;

	__atomic_store_n(&y->started, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&y->stop, __ATOMIC_ACQUIRE))
		nk_yield();
}

NK_BENCH(yield_switch, 1, 10000)
{
	struct yield_pair y = { 0 };
	nk_thread_id_t t;
	int err = nk_thread_start(yield_partner, &y, NULL, 0, 0, &t, 0);

	if (err)
		return err;
	while (!__atomic_load_n(&y.started, __ATOMIC_ACQUIRE))
		nk_yield();
	for (int i = -b->warmup; i < b->iters; i++) {
		uint64_t t0 = nk_bench_now();

		nk_yield();
		nk_bench_record(b, i, (nk_bench_now() - t0) / 2);
	}
	__atomic_store_n(&y.stop, 1, __ATOMIC_RELEASE);
	return nk_thread_join(t, NULL);
}
