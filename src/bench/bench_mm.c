/*
 * Allocator benchmarks on CPU 0: nk_malloc+nk_free pairs (64 B: a size class through the
 * per-CPU cache; 4 KiB: above the largest class, a buddy block of its own) and nk_page_alloc+
 * nk_page_free of one page and of 2 MiB (order 9). One sample is one pair.
 */
#include <nautilus/bench.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>

static int malloc_free(struct nk_bench_ctx *b, size_t size)
{
	for (int i = -b->warmup; i < b->iters; i++) {
		uint64_t t0 = nk_bench_now();
		void *p = nk_malloc(size);

		if (!p)
			return -ENOMEM;
		asm volatile("" : : "r"(p) : "memory"); /* keep the pair, as on Linux */
		nk_free(p);
		nk_bench_record(b, i, nk_bench_now() - t0);
	}
	return 0;
}

NK_BENCH(malloc_free_64, 1, 10000)
{
	return malloc_free(b, 64);
}

NK_BENCH(malloc_free_4k, 1, 10000)
{
	return malloc_free(b, 4096);
}

/* Pages from the calling CPU's node (zone hint -1), as nk_malloc's large blocks are. */
static int page_alloc_free(struct nk_bench_ctx *b, unsigned order)
{
	for (int i = -b->warmup; i < b->iters; i++) {
		uint64_t t0 = nk_bench_now();
		void *p = nk_page_alloc(order, -1);

		if (!p)
			return -ENOMEM;
		nk_page_free(p);
		nk_bench_record(b, i, nk_bench_now() - t0);
	}
	return 0;
}

NK_BENCH(page_alloc_free_o0, 1, 10000)
{
	return page_alloc_free(b, 0);
}

NK_BENCH(page_alloc_free_o9, 1, 10000)
{
	return page_alloc_free(b, 9);
}
