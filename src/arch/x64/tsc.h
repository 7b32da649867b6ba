/*
 * Time on x86-64, private to src/arch/x64: what tsc.c, tsc_sync.c and apic_timer.c tell each
 * other. The public side is include/nautilus/time.h and nk_arch_timer_* in nautilus/arch.h.
 */
#ifndef NK_ARCH_X64_TSC_H
#define NK_ARCH_X64_TSC_H

#include <nautilus/time.h>
#include <nautilus/types.h>

/*
 * Once ACPI and the identity map are up: if the rate came from the PIT, measure it again against
 * the HPET and switch to that value (nk_time_ns stays continuous). Boot CPU, interrupts off,
 * before the other CPUs start: nothing else reads the clock while it changes.
 */
void nk_tsc_refine(void);
/* Log the TSC's rate, where it came from and whether it is invariant. */
void nk_tsc_report(void);
/* The APIC timer part of struct nk_time_info (apic_timer.c). */
void nk_apic_timer_get_info(struct nk_time_info *out);

/* ns of TSC time as cycles, rounded up; cycles as ns, rounded down. Both saturate at 2^64-1. */
uint64_t nk_tsc_ns_to_cycles(uint64_t ns);
uint64_t nk_tsc_cycles_to_ns(uint64_t cycles);

/*
 * RDTSC ordered against the loads before it and the stores after it (LFENCE on both sides,
 * SDM vol. 2B RDTSC): for timestamps exchanged between CPUs.
 */
static inline uint64_t nk_rdtsc_ordered(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

#endif
