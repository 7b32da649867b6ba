/*
 * Local APIC timer (SDM vol. 3A 11.5.4): calibrated against the TSC on the boot CPU; on every CPU
 * a one-shot on NK_VEC_TIMER that calls the handler that CPU set. TSC-deadline mode (11.5.4.1)
 * when CPUID.01H:ECX[24] says the CPU has it, else one-shot count mode with divide 16.
 */
#include <arch/x64/apic.h>
#include <arch/x64/cpu.h>
#include <nautilus/arch.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/irq.h>
#include <nautilus/printk.h>

#include "tsc.h"

#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define TIMER_MAX_COUNT		 0xffffffffULL /* the initial-count register is 32 bits */
#define TIMER_DIVIDER		 16	       /* LAPIC_TIMER_DIV_16 */
#define CALIBRATE_NS		 10000000ULL

static bool deadline_mode;
static uint64_t timer_khz; /* count rate after the divider; 0: not calibrated */

/* One per CPU, each on its own cache line: set and run only by that CPU. */
struct timer_handler {
	void (*fn)(void *arg);
	void *arg;
} __nk_aligned(64);
static struct timer_handler handlers[NK_MAX_CPUS];

/* The current count between two TSC readings; of three reads the one that took least time. */
struct count_sample {
	uint64_t before, after;
	uint32_t count;
};

static struct count_sample sample_count(void)
{
	struct count_sample best = { 0, ~0ULL, 0 };

	for (int i = 0; i < 3; i++) {
		struct count_sample s;

		s.before = nk_rdtsc_ordered();
		s.count = nk_lapic_read(LAPIC_TIMER_CUR);
		s.after = nk_rdtsc_ordered();
		if (s.after - s.before < best.after - best.before)
			best = s;
	}
	return best;
}

/*
 * Count down over CALIBRATE_NS of TSC time. The counts are divided by the shortest TSC interval
 * the two reads allow (the end of the first to the start of the second), so the rate comes out
 * a little high, never low, and a one-shot computed from it never fires early.
 */
static uint64_t calibrate(void)
{
	struct count_sample s0, s1;

	nk_lapic_write(LAPIC_TIMER_DIV, LAPIC_TIMER_DIV_16);
	nk_lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | LAPIC_TIMER_ONESHOT | NK_VEC_TIMER);
	nk_lapic_write(LAPIC_TIMER_INIT, (uint32_t)TIMER_MAX_COUNT);
	s0 = sample_count();
	nk_delay(CALIBRATE_NS);
	s1 = sample_count();
	nk_lapic_write(LAPIC_TIMER_INIT, 0);
	if (s1.count == 0 || s1.count >= s0.count || s1.before <= s0.after)
		return 0; /* ran out, or does not count */
	return (uint64_t)((unsigned __int128)(s0.count - s1.count) * nk_tsc_khz() /
			  (s1.before - s0.after));
}

static void timer_irq(int vector, void *arg)
{
	struct timer_handler *h = &handlers[nk_cpu_id()];

	if (h->fn)
		h->fn(h->arg);
}

/* Longest one-shot: the counter's range, or in TSC-deadline mode the TSC's (centuries). */
static uint64_t max_ns(void)
{
	if (deadline_mode)
		return nk_tsc_cycles_to_ns(~0ULL - rdtsc());
	if (!timer_khz)
		return 0;
	return (uint64_t)((unsigned __int128)(TIMER_MAX_COUNT - 1) * 1000000 / timer_khz);
}

static void report(void)
{
	uint64_t ms = max_ns() / 1000000;

	if (!timer_khz)
		nk_warn("APIC timer does not count: no one-shot in count mode");
	else
		nk_info("APIC timer %llu.%03llu MHz (bus clock / %d, measured over %llu ms of TSC)",
			(unsigned long long)timer_khz / 1000, (unsigned long long)timer_khz % 1000,
			TIMER_DIVIDER, CALIBRATE_NS / 1000000);
	if (deadline_mode)
		nk_info("one-shot timer: TSC-deadline mode");
	else
		nk_info("one-shot timer: APIC count mode, up to %llu.%03llu s (no TSC deadline)",
			(unsigned long long)ms / 1000, (unsigned long long)ms % 1000);
}

/* Boot CPU, interrupts off, after ACPI and the identity map (the HPET is read). */
void nk_apic_timer_init(void)
{
	uint32_t r[4];
	int err;

	nk_tsc_refine();
	nk_this_cpu()->tsc_khz = nk_tsc_khz();
	nk_tsc_report();
	cpuid(1, 0, r);
	deadline_mode = r[2] & CPUID_1_ECX_TSC_DEADLINE;
	timer_khz = calibrate();
	report();
	err = nk_vector_set(NK_VEC_TIMER, timer_irq, NULL);
	if (err)
		nk_err("timer vector 0x%x: %s", NK_VEC_TIMER, nk_strerror(err));
	nk_apic_timer_percpu_init();
}

/*
 * Every CPU, interrupts off: the LVT unmasked on NK_VEC_TIMER in the chosen mode, nothing armed.
 * In xAPIC mode the LVT write is a store to MMIO that must reach the APIC before a WRMSR to the
 * deadline MSR (11.5.4.1): MFENCE between them.
 */
void nk_apic_timer_percpu_init(void)
{
	handlers[nk_cpu_id()] = (struct timer_handler){ NULL, NULL };
	nk_lapic_write(LAPIC_TIMER_INIT, 0);
	nk_lapic_write(LAPIC_TIMER_DIV, LAPIC_TIMER_DIV_16);
	if (!deadline_mode) {
		nk_lapic_write(LAPIC_LVT_TIMER, LAPIC_TIMER_ONESHOT | NK_VEC_TIMER);
		return;
	}
	nk_lapic_write(LAPIC_LVT_TIMER, LAPIC_TIMER_DEADLINE | NK_VEC_TIMER);
	asm volatile("mfence" : : : "memory");
	wrmsr(MSR_TSC_DEADLINE, 0);
}

void nk_arch_timer_set_handler(void (*fn)(void *arg), void *arg)
{
	unsigned long flags = nk_arch_irq_save();
	struct timer_handler *h = &handlers[nk_cpu_id()];

	h->fn = fn;
	h->arg = arg;
	nk_arch_irq_restore(flags);
}

void nk_arch_timer_get_handler(void (**fn)(void *arg), void **arg)
{
	unsigned long flags = nk_arch_irq_save();
	struct timer_handler *h = &handlers[nk_cpu_id()];

	*fn = h->fn;
	*arg = h->arg;
	nk_arch_irq_restore(flags);
}

/* The deadline MSR fires when the TSC reaches it (a past value fires at once); 0 disarms. */
static int arm_deadline(uint64_t ns)
{
	uint64_t cycles, now;

	if (!ns) {
		wrmsr(MSR_TSC_DEADLINE, 0);
		return 0;
	}
	cycles = nk_tsc_ns_to_cycles(ns);
	now = rdtsc();
	if (cycles > ~0ULL - now)
		return -ERANGE;
	wrmsr(MSR_TSC_DEADLINE, now + (cycles ? cycles : 1));
	return 0;
}

/*
 * Rounded up, plus one count for the divider's phase at the write: never early. That also keeps
 * the count above 0 (which would stop the timer), so an interval too short to count still fires.
 */
static int arm_count(uint64_t ns)
{
	unsigned __int128 count;

	if (!timer_khz)
		return -ENODEV;
	if (!ns) {
		nk_lapic_write(LAPIC_TIMER_INIT, 0); /* 11.5.4: a zero initial count stops it */
		return 0;
	}
	count = ((unsigned __int128)ns * timer_khz + 999999) / 1000000 + 1;
	if (count > TIMER_MAX_COUNT)
		return -ERANGE;
	nk_lapic_write(LAPIC_TIMER_INIT, (uint32_t)count);
	return 0;
}

int nk_arch_timer_oneshot(uint64_t ns)
{
	return deadline_mode ? arm_deadline(ns) : arm_count(ns);
}

void nk_apic_timer_get_info(struct nk_time_info *out)
{
	out->timer_khz = deadline_mode ? nk_tsc_khz() : timer_khz;
	out->timer_max_ns = max_ns();
	out->timer_deadline = deadline_mode;
}
