/*
 * Time from the TSC: its rate from CPUID leaf 0x15 (crystal ratio) or 0x16 (base MHz) when the
 * CPU reports it, else measured against PIT channel 2 at boot and measured again against the
 * HPET once ACPI has found it. nk_time_ns() converts with a fixed-point factor from a base point
 * that moves when the rate is refined, so time stays continuous and monotonic.
 */
#include <arch/x64/arch.h>
#include <arch/x64/cpu.h>
#include <nautilus/acpi.h>
#include <nautilus/cpu.h>
#include <nautilus/printk.h>
#include <nautilus/time.h>

#include "tsc.h"

#define PIT_HZ	      1193182 /* 8254 input clock */
#define PIT_CH2	      0x42
#define PIT_CMD	      0x43
#define PIT_GATE      0x61 /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output */
#define PIT_WINDOW_MS 5
#define CALIBRATE_MS  10 /* HPET window */

/* HPET registers, IA-PC HPET specification 1.0a section 2.3 (2.3.4 capabilities, 2.3.5 config). */
#define HPET_GCAP_ID	    0x000 /* 63:32 counter period in fs, 13: 64-bit counter */
#define HPET_GEN_CONF	    0x010 /* 0: ENABLE_CNF, the main counter runs */
#define HPET_MAIN_COUNTER   0x0f0
#define HPET_GCAP_64BIT	    (1ULL << 13)
#define HPET_CONF_ENABLE    (1ULL << 0)
#define HPET_MAX_PERIOD_FS  100000000ULL /* 2.3.4: at most 100 ns */
#define HPET_TIMEOUT_FACTOR 10		 /* give up after 10 windows of TSC time */

#define CPUID_80000007_EDX_INVTSC (1u << 8) /* SDM vol. 2A CPUID; vol. 3B "Invariant TSC" */

#define FRAC_BITS 32 /* ns = cycles * mult >> FRAC_BITS */

static struct {
	uint64_t khz;
	uint64_t mult;	   /* ns per cycle << FRAC_BITS */
	uint64_t base_tsc; /* the TSC at base_ns */
	uint64_t base_ns;
	const char *source;
	uint64_t pit_khz; /* what the PIT said, kept for the report when the HPET replaced it */
	bool invariant;
} tsc;

static uint64_t khz_from_cpuid(const char **source)
{
	uint32_t r[4];

	cpuid(0, 0, r);
	if (r[0] >= 0x15) {
		cpuid(0x15, 0, r); /* eax: denominator, ebx: numerator, ecx: crystal Hz */
		*source = "CPUID 0x15";
		if (r[0] && r[1] && r[2])
			return (uint64_t)r[2] * r[1] / r[0] / 1000;
	}
	if (r[0] >= 0x16) {
		cpuid(0x16, 0, r); /* eax: base frequency in MHz */
		*source = "CPUID 0x16";
		if (r[0])
			return (uint64_t)r[0] * 1000;
	}
	return 0;
}

/* PIT channel 2 in mode 0 counts down once; its output goes high at zero. */
static uint64_t pit_measure(void)
{
	uint16_t count = PIT_HZ * PIT_WINDOW_MS / 1000;
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
	return (end - start) * PIT_HZ / count / 1000; /* the window is count / PIT_HZ seconds */
}

/*
 * The median of three windows: under QEMU TCG a window stretched by the host's scheduler was
 * seen to read 4% high.
 */
static uint64_t khz_from_pit(void)
{
	uint64_t a = pit_measure(), b = pit_measure(), c = pit_measure();

	return NK_MAX(NK_MIN(a, b), NK_MIN(NK_MAX(a, b), c));
}

static bool tsc_is_invariant(void)
{
	uint32_t r[4];

	cpuid(0x80000000, 0, r);
	if (r[0] < 0x80000007)
		return false;
	cpuid(0x80000007, 0, r);
	return r[3] & CPUID_80000007_EDX_INVTSC;
}

/* Cycles since the base point as ns, plus the base; a TSC behind the base reads as the base. */
static uint64_t ns_at(uint64_t t)
{
	int64_t d = (int64_t)(t - tsc.base_tsc);

	if (d < 0)
		return tsc.base_ns;
	return tsc.base_ns + (uint64_t)(((unsigned __int128)d * tsc.mult) >> FRAC_BITS);
}

/* Take a rate; a change of rate happens now: time goes on from where it is. */
static void set_khz(uint64_t khz)
{
	uint64_t now = rdtsc();

	if (tsc.khz) {
		tsc.base_ns = ns_at(now);
		tsc.base_tsc = now;
	}
	tsc.mult = (uint64_t)((1000000ULL << FRAC_BITS) / khz);
	tsc.khz = khz;
}

/* Silent (it runs before the console level is final): nk_tsc_report logs the outcome. */
void nk_tsc_init(void)
{
	uint64_t khz;

	tsc.base_tsc = rdtsc();
	tsc.invariant = tsc_is_invariant();
	khz = khz_from_cpuid(&tsc.source);
	if (!khz) {
		khz = khz_from_pit();
		tsc.pit_khz = khz;
		tsc.source = "PIT";
	}
	set_khz(khz);
}

static volatile uint64_t *hpet_regs(void)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();

	if (!a->has_hpet || a->hpet.base.space_id != 0 || !a->hpet.base.address)
		return NULL;
	return (volatile uint64_t *)(uintptr_t)a->hpet.base.address;
}

/*
 * The HPET's main counter and the TSC at the middle of its read; of three reads the one that
 * took least time (the first may include QEMU translating the code).
 */
static uint64_t hpet_sample(volatile uint64_t *h, uint64_t mask, uint64_t *tsc_mid)
{
	uint64_t best = ~0ULL, count = 0;

	for (int i = 0; i < 3; i++) {
		uint64_t before = nk_rdtsc_ordered();
		uint64_t c = h[HPET_MAIN_COUNTER / 8] & mask;
		uint64_t took = nk_rdtsc_ordered() - before;

		if (took < best) {
			best = took;
			count = c;
			*tsc_mid = before + took / 2;
		}
	}
	return count;
}

/* TSC kHz over CALIBRATE_MS of HPET time; 0 if the HPET is unusable or does not count. */
static uint64_t khz_from_hpet(volatile uint64_t *h)
{
	uint64_t cap = h[HPET_GCAP_ID / 8], period_fs = cap >> 32;
	uint64_t mask = cap & HPET_GCAP_64BIT ? ~0ULL : 0xffffffffULL;
	uint64_t ticks, c0, c1, t0, t1, give_up;

	if (!period_fs || period_fs > HPET_MAX_PERIOD_FS)
		return 0;
	ticks = CALIBRATE_MS * 1000000000000ULL / period_fs;
	h[HPET_GEN_CONF / 8] |= HPET_CONF_ENABLE;
	c0 = hpet_sample(h, mask, &t0);
	give_up = t0 + nk_tsc_ns_to_cycles(HPET_TIMEOUT_FACTOR * CALIBRATE_MS * 1000000ULL);
	do {
		c1 = hpet_sample(h, mask, &t1);
		if (t1 > give_up)
			return 0;
	} while (((c1 - c0) & mask) < ticks);
	return (uint64_t)((unsigned __int128)(t1 - t0) * 1000000000000ULL /
			  (((c1 - c0) & mask) * period_fs));
}

void nk_tsc_refine(void)
{
	volatile uint64_t *h = hpet_regs();
	uint64_t khz;

	if (!tsc.pit_khz || !h)
		return;
	khz = khz_from_hpet(h);
	if (!khz) {
		nk_warn("HPET at 0x%llx does not count: the TSC rate stays the PIT's",
			(unsigned long long)(uintptr_t)h);
		return;
	}
	set_khz(khz);
	tsc.source = "HPET";
}

void nk_tsc_report(void)
{
	nk_info("TSC %llu.%03llu MHz (%s), %s", (unsigned long long)tsc.khz / 1000,
		(unsigned long long)tsc.khz % 1000, tsc.source,
		tsc.invariant ? "invariant" : "not invariant: its rate may follow the CPU's");
	if (tsc.pit_khz && tsc.pit_khz != tsc.khz)
		nk_info("TSC by the PIT at boot: %llu.%03llu MHz",
			(unsigned long long)tsc.pit_khz / 1000,
			(unsigned long long)tsc.pit_khz % 1000);
}

static void tsc_get_info(struct nk_time_info *out)
{
	out->tsc_khz = tsc.khz;
	out->tsc_source = tsc.source;
	out->tsc_invariant = tsc.invariant;
}

uint64_t nk_tsc_khz(void)
{
	return tsc.khz;
}

uint64_t nk_tsc_ns_to_cycles(uint64_t ns)
{
	unsigned __int128 c = ((unsigned __int128)ns * tsc.khz + 999999) / 1000000;

	return c > ~0ULL ? ~0ULL : (uint64_t)c;
}

uint64_t nk_tsc_cycles_to_ns(uint64_t cycles)
{
	unsigned __int128 ns;

	if (!tsc.khz)
		return 0;
	ns = (unsigned __int128)cycles * 1000000 / tsc.khz;
	return ns > ~0ULL ? ~0ULL : (uint64_t)ns;
}

uint64_t nk_time_ns(void)
{
	uint64_t now = rdtsc();

	return tsc.khz ? ns_at(now) : 0;
}

void nk_delay(uint64_t ns)
{
	uint64_t start = rdtsc();
	uint64_t cycles = nk_tsc_ns_to_cycles(ns);

	while (rdtsc() - start < cycles)
		cpu_relax();
}

void nk_time_get_info(struct nk_time_info *out)
{
	tsc_get_info(out);
	nk_apic_timer_get_info(out);
}
