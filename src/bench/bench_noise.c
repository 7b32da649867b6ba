/*
 * The clock and OS noise. tsc_read: two back-to-back nk_arch_cycles, what every other figure
 * includes once. os_noise (fixed work quantum, "hourglass", as bench/linux/bench.c): read the
 * TSC back to back for NOISE_TICKS on the last CPU, in a thread bound there and alone on it,
 * and count every gap above NOISE_THRESHOLD (time the CPU spent elsewhere: an interrupt, another
 * thread), the largest, and the fraction of the time they took; also the interrupts the CPU
 * took meanwhile (not on Linux's line). os_noise_cpu0: the same in the main thread on CPU 0,
 * the boot CPU, which also takes the console's and the runner's work.
 */
#include <nautilus/bench.h>
#include <nautilus/cpu.h>
#include <nautilus/printk.h>
#include <nautilus/thread.h>

#define NOISE_TICKS	  2000000000ull /* 2 s of guest time under icount shift=0 */
#define NOISE_QUICK_TICKS 1000000ull	/* a smoke run */
#define NOISE_THRESHOLD	  1000

NK_BENCH(tsc_read, 1, 10000)
{
	for (int i = -b->warmup; i < b->iters; i++) {
		uint64_t t0 = nk_bench_now();

		nk_bench_record(b, i, nk_bench_now() - t0);
	}
	return 0;
}

struct noise {
	uint64_t span; /* ticks to spin */
	uint64_t detours, max, lost, ticks;
	uint64_t irqs; /* interrupts the CPU took meanwhile: what explains the detours */
};

/* The loop is the work, not a wait: no PAUSE (which would hand the vCPU over each turn). */
static void noise_spin(struct noise *r)
{
	uint64_t irqs = NK_PER_CPU(irqs); /* the thread is bound: the same CPU throughout */
	uint64_t start = nk_bench_now(), prev = start;

	while (prev - start < r->span) {
		uint64_t now = nk_bench_now(), gap = now - prev;

		if (gap > NOISE_THRESHOLD) {
			r->detours++;
			r->lost += gap;
			if (gap > r->max)
				r->max = gap;
		}
		prev = now;
	}
	r->ticks = prev - start;
	r->irqs = NK_PER_CPU(irqs) - irqs;
}

static void noise_thread(void *input, void **output)
{
	noise_spin(input);
}

/*
 * num / den (0 <= num <= den, den > 0, den < 2^64 / 1000) in printf's "%.1e" format, e.g.
 * "9.3e-04", rounded half up: the kernel has no floating point.
 */
static void format_fraction(char *buf, size_t size, uint64_t num, uint64_t den)
{
	int exp = 0;
	uint64_t tenths;

	if (!num) {
		nk_snprintf(buf, size, "0.0e+00");
		return;
	}
	for (; num < den; exp--)
		num *= 10;		     /* now den <= num < 10 * den */
	tenths = (num * 100 / den + 5) / 10; /* 10..100 */
	if (tenths == 100) {
		tenths = 10;
		exp++;
	}
	nk_snprintf(buf, size, "%llu.%llue%c%02d", (unsigned long long)(tenths / 10),
		    (unsigned long long)(tenths % 10), exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

static void report(struct nk_bench_ctx *b, const struct noise *r, int cpu)
{
	char lost[16];

	format_fraction(lost, sizeof(lost), r->lost, r->ticks);
	nk_bench_set_line(
		b, "detours=%llu max=%llu lost=%s ticks=%llu threshold=%d cpu=%d irqs=%llu",
		(unsigned long long)r->detours, (unsigned long long)r->max, lost,
		(unsigned long long)r->ticks, NOISE_THRESHOLD, cpu, (unsigned long long)r->irqs);
}

NK_BENCH(os_noise, 1, 1)
{
	struct noise r = { .span = b->quick ? NOISE_QUICK_TICKS : NOISE_TICKS };
	int cpu = nk_cpu_online_count() - 1;
	nk_thread_id_t t;
	int err = nk_thread_start(noise_thread, &r, NULL, 0, 0, &t, cpu);

	if (!err)
		err = nk_thread_join(t, NULL);
	if (!err)
		report(b, &r, cpu);
	return err;
}

NK_BENCH(os_noise_cpu0, 1, 1)
{
	struct noise r = { .span = b->quick ? NOISE_QUICK_TICKS : NOISE_TICKS };

	noise_spin(&r);
	report(b, &r, 0);
	return 0;
}
