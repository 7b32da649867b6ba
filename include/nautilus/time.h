/* Time since boot from the TSC (rate from CPUID, or measured against the PIT, then the HPET). */
#ifndef NK_NAUTILUS_TIME_H
#define NK_NAUTILUS_TIME_H

#include <nautilus/types.h>

/*
 * Nanoseconds since the TSC was first read at boot; monotonic on each CPU. 0 until the TSC is
 * calibrated (nk_arch_time_init): log lines printed before that carry [0.000000].
 */
uint64_t nk_time_ns(void);
/* TSC frequency in kHz, 0 before calibration. */
uint64_t nk_tsc_khz(void);

/* Busy-wait at least ns nanoseconds (TSC-timed; fine for microseconds to a few seconds). */
void nk_delay(uint64_t ns);

#endif
