/*
 * KTAP suite `bench`: the microbenchmark runner's arithmetic (median, min and p90 of known
 * samples, as bench/linux/bench.c computes them), its refusals, and a smoke run of every
 * registered benchmark with 2 samples (the I/O ones for a few milliseconds). Nothing here asserts a timing: that is `make bench`.
 */
#include <nautilus/bench.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>
#include <nautilus/test.h>

/* Samples 1000, 999, ..., 1 in reverse order: sorted, sample n/2 is 501, n*9/10 is 901. */
static int countdown(struct nk_bench_ctx *b)
{
	for (int i = -b->warmup; i < b->iters; i++)
		nk_bench_record(b, i, (uint64_t)(b->iters - i)); /* warm-up ones dropped */
	return 0;
}

static int fails(struct nk_bench_ctx *b)
{
	return -ETIMEDOUT;
}

static int own_line(struct nk_bench_ctx *b)
{
	nk_bench_set_line(b, "detours=%d max=%d", 3, 7);
	return 0;
}

NK_TEST(bench, summary_of_known_samples)
{
	struct nk_bench fake = { "countdown", 1, 1000, countdown, __FILE__, __LINE__, false };
	char line[NK_BENCH_LINE_MAX];

	NK_ASSERT_EQ(nk_bench_run_one(&fake, 1000, false, line, sizeof(line)), 0);
	NK_EXPECT_STREQ(line, "countdown median=501 min=1 p90=901 iters=1000");
	NK_ASSERT_EQ(nk_bench_run_one(&fake, 3, false, line, sizeof(line)), 0);
	NK_EXPECT_STREQ(line, "countdown median=2 min=1 p90=3 iters=3");
}

NK_TEST(bench, own_line_and_errors)
{
	struct nk_bench custom = { "noise", 1, 1, own_line, __FILE__, __LINE__, false };
	struct nk_bench bad = { "bad", 1, 10, fails, __FILE__, __LINE__, false };
	struct nk_bench big = { "big", NK_MAX_CPUS + 1, 10, countdown, __FILE__, __LINE__, false };
	char line[NK_BENCH_LINE_MAX], want[64];

	NK_ASSERT_EQ(nk_bench_run_one(&custom, 1, false, line, sizeof(line)), 0);
	NK_EXPECT_STREQ(line, "noise detours=3 max=7");
	NK_EXPECT_EQ(nk_bench_run_one(&bad, 10, false, line, sizeof(line)), -ETIMEDOUT);
	NK_EXPECT_EQ(nk_bench_run_one(&big, 10, false, line, sizeof(line)), -EBUSY);
	nk_snprintf(want, sizeof(want), "big needs %d CPUs, the machine has %d", NK_MAX_CPUS + 1,
		    nk_cpu_online_count());
	NK_EXPECT_STREQ(line, want);
}

/* The table is in source order and names are unique (they are the rows of make bench). */
NK_TEST(bench, table_sorted_and_unique)
{
	NK_ASSERT_GT(nk_bench_count(), 0);
	NK_EXPECT_NULL(nk_bench_get(nk_bench_count()));
	for (int i = 1; i < nk_bench_count(); i++) {
		const struct nk_bench *a = nk_bench_get(i - 1), *b = nk_bench_get(i);
		int c = strcmp(a->file, b->file);

		NK_EXPECT(c < 0 || (c == 0 && a->line < b->line));
		for (int j = 0; j < i; j++)
			NK_EXPECT(strcmp(nk_bench_get(j)->name, b->name) != 0);
	}
}

/*
 * Every benchmark runs with 2 samples (quick) and returns 0, or is refused for want of CPUs or,
 * an I/O benchmark, of a device (the runner's machines have them: make check runs those too).
 */
NK_TEST(bench, each_runs_twice)
{
	char line[NK_BENCH_LINE_MAX];

	for (int i = 0; i < nk_bench_count(); i++) {
		const struct nk_bench *b = nk_bench_get(i);
		int err = nk_bench_run_one(b, 2, true, line, sizeof(line));

		if (err == -EBUSY) {
			NK_EXPECT_GT(b->cpus, nk_cpu_online_count());
			nk_test_diag("skipped: %s", line);
			continue;
		}
		if (err == -ENODEV && b->io) {
			nk_test_diag("skipped: %s", line);
			continue;
		}
		NK_EXPECT_EQ(err, 0);
		if (!err)
			nk_test_diag("%s", line);
		else
			nk_test_diag("%s failed: %d", b->name, err);
	}
}
