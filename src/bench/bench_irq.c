/*
 * Interrupt benchmarks, kernel only (a Linux program cannot send an IPI): one IPI from CPU 0 to
 * an idle CPU 1, from the send to the handler's first instruction, and a waited cross-call to
 * CPU 1, from nk_xcall to its return.
 */
#include <nautilus/bench.h>
#include <nautilus/irq.h>

struct ipi_probe {
	uint64_t sent;	   /* CPU 0's TSC before nk_ipi_send */
	uint64_t received; /* CPU 1's TSC in the handler */
	int done;
};

static void ipi_handler(int vector, void *arg)
{
	struct ipi_probe *p = arg;

	p->received = nk_bench_now();
	__atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
}

/*
 * CPU 1 waits in HLT between samples: CPU 0 spins with PAUSE until the handler ran, and under
 * icount the emulator runs CPU 1 to its next HLT before CPU 0 again.
 */
static int ipi_rounds(struct nk_bench_ctx *b, struct ipi_probe *p, int vector)
{
	for (int i = -b->warmup; i < b->iters; i++) {
		int err;

		p->done = 0;
		p->sent = nk_bench_now();
		err = nk_ipi_send(1, vector);
		if (!err)
			err = nk_bench_wait(&p->done, 1);
		if (err)
			return err;
		nk_bench_record(b, i, p->received - p->sent);
	}
	return 0;
}

NK_BENCH(ipi_oneway, 2, 10000)
{
	struct ipi_probe p = { 0 };
	int vector = nk_vector_alloc(ipi_handler, &p);
	int err;

	if (vector < 0)
		return vector;
	err = ipi_rounds(b, &p, vector);
	nk_vector_free(vector);
	return err;
}

static void nothing(void *arg)
{
}

NK_BENCH(xcall_sync, 2, 10000)
{
	for (int i = -b->warmup; i < b->iters; i++) {
		uint64_t t0 = nk_bench_now();
		int err = nk_xcall(1, nothing, NULL, true);

		if (err)
			return err;
		nk_bench_record(b, i, nk_bench_now() - t0);
	}
	return 0;
}
