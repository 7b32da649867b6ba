/*
 * The microbenchmark runner: selects NK_BENCH entries by glob, gives each a sample buffer,
 * sorts the samples and prints median, min and p90 the way bench/linux/bench.c does, so that
 * scripts/bench can put both side by side.
 */
#include <nautilus/bench.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>
#include <nautilus/time.h>

extern struct nk_bench __nk_benches_start[], __nk_benches_end[];

static bool sorted;

/* Source order: the linker keeps the objects' order, but a compiler may emit a file's in reverse. */
static int order(const struct nk_bench *a, const struct nk_bench *b)
{
	int c = strcmp(a->file, b->file);

	return c ? c : a->line - b->line;
}

/* Insertion sort in place: the table is a few dozen entries. */
static void sort_table(void)
{
	for (struct nk_bench *t = __nk_benches_start + 1; t < __nk_benches_end; t++) {
		struct nk_bench key = *t, *p = t;

		for (; p > __nk_benches_start && order(p - 1, &key) > 0; p--)
			*p = *(p - 1);
		*p = key;
	}
	sorted = true;
}

int nk_bench_count(void)
{
	return (int)(__nk_benches_end - __nk_benches_start);
}

const struct nk_bench *nk_bench_get(int i)
{
	if (!sorted)
		sort_table();
	return i >= 0 && i < nk_bench_count() ? &__nk_benches_start[i] : NULL;
}

int nk_bench_wait(const volatile int *flag, int want)
{
	uint64_t deadline = nk_time_ns() + (uint64_t)NK_BENCH_WAIT_MS * 1000000;

	for (unsigned turn = 1; __atomic_load_n(flag, __ATOMIC_ACQUIRE) != want; turn++) {
		if (turn % 256 == 0 && nk_time_ns() > deadline)
			return -ETIMEDOUT;
		__builtin_ia32_pause();
	}
	return 0;
}

void nk_bench_spin(uint64_t ticks)
{
	uint64_t start = nk_bench_now();

	while (nk_bench_now() - start < ticks)
		__builtin_ia32_pause();
}

void nk_bench_set_line(struct nk_bench_ctx *b, const char *fmt, ...)
{
	int len = nk_snprintf(b->line, sizeof(b->line), "%s ", b->name);
	va_list ap;

	va_start(ap, fmt);
	nk_vsnprintf(b->line + len, sizeof(b->line) - len, fmt, ap);
	va_end(ap);
}

/* Move v[i] down the max-heap v[0..n) until both children are smaller. */
static void sift_down(uint64_t *v, size_t i, size_t n)
{
	for (size_t child; (child = 2 * i + 1) < n; i = child) {
		uint64_t t;

		if (child + 1 < n && v[child + 1] > v[child])
			child++;
		if (v[i] >= v[child])
			return;
		t = v[i];
		v[i] = v[child];
		v[child] = t;
	}
}

/* Heapsort: in place, O(n log n) whatever the samples' order (they often arrive sorted). */
static void sort_samples(uint64_t *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (size_t end = n; end-- > 1;) {
		uint64_t t = v[0];

		v[0] = v[end];
		v[end] = t;
		sift_down(v, 0, end);
	}
}

/* The default result: sample n/2 is the median, n*9/10 the 90th percentile (as on Linux). */
static void summarize(struct nk_bench_ctx *b)
{
	size_t n = (size_t)b->iters;

	sort_samples(b->samples, n);
	nk_bench_set_line(b, "median=%llu min=%llu p90=%llu iters=%d",
			  (unsigned long long)b->samples[n / 2], (unsigned long long)b->samples[0],
			  (unsigned long long)b->samples[n * 9 / 10], b->iters);
}

int nk_bench_run_one(const struct nk_bench *bench, int iters, bool quick, char *line, size_t size)
{
	struct nk_bench_ctx b = {
		.name = bench->name, .iters = iters, .warmup = iters / 10, .quick = quick
	};
	int cpus = nk_cpu_online_count(), err;

	if (cpus < bench->cpus) {
		nk_snprintf(line, size, "%s needs %d CPUs, the machine has %d", bench->name,
			    bench->cpus, cpus);
		return -EBUSY;
	}
	b.samples = nk_calloc((size_t)iters, sizeof(*b.samples));
	if (!b.samples)
		return -ENOMEM;
	err = bench->fn(&b);
	if (!err && !b.line[0])
		summarize(&b);
	if (!err || err == -ENODEV)
		nk_strlcpy(line, b.line, size);
	nk_free(b.samples);
	return err;
}

/* What a glob that matched nothing could have named (among the I/O benchmarks if io). */
static void list_names(const char *glob, bool io)
{
	nk_printf("nk-bench: no benchmark matches \"%s%s\"; there are:", io ? "io:" : "", glob);
	for (int i = 0; i < nk_bench_count(); i++)
		if (nk_bench_get(i)->io == io)
			nk_printf(" %s%s", io ? "io:" : "", nk_bench_get(i)->name);
	nk_printf("\n");
}

void nk_bench_run_boot(const char *glob)
{
	int run = 0, failed = 0, skipped = 0;
	char line[NK_BENCH_LINE_MAX];
	bool io = !strncmp(glob, "io:", 3);

	if (io)
		glob += 3;
	for (int i = 0; i < nk_bench_count(); i++) {
		const struct nk_bench *bench = nk_bench_get(i);
		int err;

		if (bench->io != io || !nk_glob_match(glob, bench->name))
			continue;
		err = nk_bench_run_one(bench, bench->iters, false, line, sizeof(line));
		if (err == -EBUSY || err == -ENODEV) {
			nk_printf("bench-skip: %s\n", line);
			skipped++;
		} else if (err) {
			nk_printf("bench-error: %s: %s\n", bench->name, nk_strerror(err));
			failed++;
		} else {
			nk_printf("bench: %s\n", line);
		}
		run++;
	}
	if (!run)
		list_names(glob, io);
	nk_printf("nk-bench: %s: %d run, %d failed, %d skipped\n", run && !failed ? "PASS" : "FAIL",
		  run - skipped, failed, skipped);
	nk_arch_debug_exit(run && !failed ? NK_EXIT_PASS : NK_EXIT_FAIL);
}
