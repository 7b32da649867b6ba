/*
 * Microbenchmarks: NK_BENCH(name, cpus, iters) registers one operation in a linker table; the
 * runner (bench=<glob> on the command line, "make bench") runs those whose name matches, in
 * source order (file name, then line), and prints one line each in the format of bench/linux/bench.c, the same
 * operations in a Linux guest:
 *	bench: <name> median=<n> min=<n> p90=<n> iters=<n>
 * Figures are TSC ticks from nk_arch_cycles (guest instructions under QEMU -icount shift=0).
 * NK_BENCH_IO registers a device-throughput benchmark instead (src/bench/bench_io.c): timed by
 * the wall clock under plain TCG, run only by bench=io:<glob>, never by a plain bench=<glob>,
 * so the microbenchmark boot under -icount is the same with or without them.
 * A benchmark runs on CPU 0 in the boot CPU's main thread; partners it starts are bound to
 * CPUs 1..cpus-1. Every wait for another CPU spins with PAUSE (nk_bench_wait): under icount
 * only PAUSE and HLT hand the emulator to another vCPU (DESIGN.md).
 */
#ifndef NK_NAUTILUS_BENCH_H
#define NK_NAUTILUS_BENCH_H

#include <nautilus/arch.h>
#include <nautilus/compiler.h>
#include <nautilus/types.h>

#define NK_BENCH_LINE_MAX 160

/* What a benchmark gets from the runner. */
struct nk_bench_ctx {
	const char *name;
	int iters;	   /* samples to record, in samples[0..iters-1] */
	int warmup;	   /* iterations to run before them, not recorded (iters / 10) */
	bool quick;	   /* a smoke run: prove the path works, spend as little as possible */
	uint64_t *samples; /* filled by the benchmark, sorted and reported by the runner */
	/* A benchmark that reports other fields than median/min/p90 (os_noise) sets this. */
	char line[NK_BENCH_LINE_MAX];
};

struct nk_bench {
	const char *name;
	int cpus;  /* CPUs it needs: it is skipped on a machine with fewer */
	int iters; /* samples of a full run */
	int (*fn)(struct nk_bench_ctx *b);
	const char *file;
	int line;
	bool io; /* NK_BENCH_IO: selected by bench=io:<glob> only */
};

/*
 * Define a benchmark: the body records b->iters samples after b->warmup unrecorded iterations
 * and returns 0, having left nothing running or allocated, or -errno. After a failure (a wait
 * that timed out) a partner thread may be left blocked: the run fails as a whole.
 */
#define NK_BENCH(bname, ncpus, niters) NK_BENCH_DEFINE(bname, ncpus, niters, false)
/*
 * Define a device-throughput benchmark: it runs once (b->iters is 1), sets b->line with
 * nk_bench_set_line and returns 0, or -ENODEV when a device it needs is missing (the runner
 * prints "bench-skip: <name>" with the line it set), or another -errno. b->quick: a smoke run of
 * a few milliseconds (the bench suite's), else a measurement of a few seconds.
 */
#define NK_BENCH_IO(bname) NK_BENCH_DEFINE(bname, 1, 1, true)

#define NK_BENCH_DEFINE(bname, ncpus, niters, nio)                                      \
	static int nk_bench_##bname(struct nk_bench_ctx *b);                            \
	static struct nk_bench __nk_bench_##bname __nk_used __nk_section(".nk_benches") \
		__nk_aligned(8) = { .name = #bname,                                     \
				    .cpus = ncpus,                                      \
				    .iters = niters,                                    \
				    .fn = nk_bench_##bname,                             \
				    .io = nio,                                          \
				    .file = __FILE__,                                   \
				    .line = __LINE__ };                                 \
	static int nk_bench_##bname(struct nk_bench_ctx *b)

/* Record the sample of iteration i; warm-up iterations (i < 0) are dropped. */
static inline void nk_bench_record(struct nk_bench_ctx *b, int i, uint64_t ticks)
{
	if (i >= 0 && i < b->iters)
		b->samples[i] = ticks;
}

static inline uint64_t nk_bench_now(void)
{
	return nk_arch_cycles();
}

/*
 * Spin with PAUSE until *flag == want: 0, or -ETIMEDOUT after NK_BENCH_WAIT_MS (reported with
 * the benchmark's failure; a lost wake-up must not hang the run). The clock is read once every
 * 256 turns, so the loop a cross-CPU figure includes is a load, a compare and a PAUSE.
 */
#define NK_BENCH_WAIT_MS 10000
int nk_bench_wait(const volatile int *flag, int want);
/* Spin with PAUSE for at least ticks. */
void nk_bench_spin(uint64_t ticks);
/* Set b->line to "<name> " followed by the formatted fields. */
void nk_bench_set_line(struct nk_bench_ctx *b, const char *fmt, ...) __nk_printf(2, 3);

/* The registered benchmarks, in source order. */
int nk_bench_count(void);
const struct nk_bench *nk_bench_get(int i);

/*
 * Run benchmark bench with iters samples (quick: a smoke run) and format its result, without
 * the "bench: " prefix, into line: 0, -EBUSY (the machine has fewer CPUs than it needs; line
 * says so), -ENODEV (a device it needs is missing; line says so), -ENOMEM, or the benchmark's
 * error.
 */
int nk_bench_run_one(const struct nk_bench *bench, int iters, bool quick, char *line, size_t size);
/*
 * Run the benchmarks whose name matches glob, print their lines, exit QEMU (pass/fail). A glob
 * "io:<glob>" selects among the NK_BENCH_IO benchmarks, any other among the rest.
 */
void nk_bench_run_boot(const char *glob) __nk_noreturn;

#endif
