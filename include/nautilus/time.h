/*
 * Time since boot from the TSC, and what the machine's clocks are: the TSC's rate and source,
 * the one-shot timer behind nk_arch_timer_oneshot, the TSC skew of each CPU measured at bring-up.
 */
#ifndef NK_NAUTILUS_TIME_H
#define NK_NAUTILUS_TIME_H

#include <nautilus/types.h>

/*
 * Nanoseconds since the TSC was first read at boot; monotonic on each CPU. 0 until the TSC is
 * calibrated (nk_arch_time_init): log lines printed before that carry [0.000000]. On different
 * CPUs the values agree within the skew reported at bring-up (nk_tsc_skew_bound).
 */
uint64_t nk_time_ns(void);
/* TSC frequency in kHz, 0 before calibration. */
uint64_t nk_tsc_khz(void);

/* Busy-wait at least ns nanoseconds (TSC-timed; fine for microseconds to a few seconds). */
void nk_delay(uint64_t ns);

struct nk_time_info {
	uint64_t tsc_khz;
	const char *tsc_source; /* "CPUID 0x15", "CPUID 0x16", "HPET" or "PIT" */
	bool tsc_invariant;	/* constant rate in every P-, C- and T-state */
	uint64_t timer_khz;	/* one-shot timer's count rate (0: not calibrated) */
	uint64_t timer_max_ns;	/* longest one-shot interval; longer ones are -ERANGE */
	bool timer_deadline;	/* TSC-deadline mode (else the APIC timer's one-shot count) */
};
void nk_time_get_info(struct nk_time_info *out);

/*
 * The error bound, in cycles, of cpu's TSC skew (struct nk_cpu.tsc_skew) measured at bring-up:
 * the true skew is within tsc_skew +- *bound. -ENOENT if nothing was measured (the boot CPU, a
 * CPU that did not start), -ETIMEDOUT if the exchange timed out, -EIO if the readings contradict
 * each other (the TSCs do not tick at one rate).
 */
int nk_tsc_skew_bound(int cpu, uint64_t *bound);

#endif
