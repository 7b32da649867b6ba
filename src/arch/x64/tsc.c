/*
 * Time from the TSC: frequency from CPUID leaf 0x15 (crystal ratio) or 0x16 (base MHz) when the
 * CPU reports it, else measured against PIT channel 2 over 10 ms. The machine issue refines
 * this (HPET, invariance, cross-CPU sync); the interface stays nk_time_ns().
 */
#include <arch/x64/arch.h>
#include <arch/x64/cpu.h>
#include <nautilus/printk.h>
#include <nautilus/time.h>

#define PIT_HZ	     1193182 /* 8254 input clock */
#define PIT_CH2	     0x42
#define PIT_CMD	     0x43
#define PIT_GATE     0x61 /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output */
#define CALIBRATE_MS 10

static uint64_t tsc_khz;
static uint64_t tsc_at_boot;

static uint64_t khz_from_cpuid(void)
{
	uint32_t r[4];

	cpuid(0, 0, r);
	if (r[0] >= 0x15) {
		cpuid(0x15, 0, r); /* eax: denominator, ebx: numerator, ecx: crystal Hz */
		if (r[0] && r[1] && r[2])
			return (uint64_t)r[2] * r[1] / r[0] / 1000;
	}
	if (r[0] >= 0x16) {
		cpuid(0x16, 0, r); /* eax: base frequency in MHz */
		if (r[0])
			return (uint64_t)r[0] * 1000;
	}
	return 0;
}

/* PIT channel 2 in mode 0 counts down once; its output goes high at zero. */
static uint64_t khz_from_pit(void)
{
	uint16_t count = PIT_HZ * CALIBRATE_MS / 1000;
	uint64_t start, end;

	outb(PIT_GATE, (inb(PIT_GATE) & ~0x02) & ~0x01);
	outb(PIT_CMD, 0xb0); /* channel 2, lobyte/hibyte, mode 0, binary */
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	outb(PIT_GATE, inb(PIT_GATE) | 0x01);
	start = rdtsc();
	while (!(inb(PIT_GATE) & 0x20))
		cpu_relax();
	end = rdtsc();
	return (end - start) / CALIBRATE_MS;
}

void nk_tsc_init(void)
{
	const char *how = "CPUID";

	tsc_at_boot = rdtsc();
	tsc_khz = khz_from_cpuid();
	if (!tsc_khz) {
		tsc_khz = khz_from_pit();
		how = "PIT";
	}
	nk_info("TSC %llu.%03llu MHz (%s)", (unsigned long long)tsc_khz / 1000,
		(unsigned long long)tsc_khz % 1000, how);
}

uint64_t nk_tsc_khz(void)
{
	return tsc_khz;
}

uint64_t nk_time_ns(void)
{
	if (!tsc_khz)
		return 0;
	return (uint64_t)((unsigned __int128)(rdtsc() - tsc_at_boot) * 1000000 / tsc_khz);
}

void nk_delay(uint64_t ns)
{
	uint64_t start = rdtsc();
	uint64_t cycles = (uint64_t)((unsigned __int128)ns * tsc_khz / 1000000);

	while (rdtsc() - start < cycles)
		cpu_relax();
}
