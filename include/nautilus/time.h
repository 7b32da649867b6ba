/* Time since boot from the TSC (frequency from CPUID or a PIT calibration at boot). */
#ifndef NK_NAUTILUS_TIME_H
#define NK_NAUTILUS_TIME_H

#include <nautilus/types.h>

/* Nanoseconds since the TSC was first read at boot; 0 until calibrated, then monotonic. */
uint64_t nk_time_ns(void);
/* TSC frequency in kHz, 0 before calibration. */
uint64_t nk_tsc_khz(void);

/* Busy-wait at least ns nanoseconds (TSC-timed; fine for microseconds to a few seconds). */
void nk_delay(uint64_t ns);

#endif
