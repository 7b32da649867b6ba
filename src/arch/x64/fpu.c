/*
 * x87/SSE/AVX state for the threads that use it. The kernel itself is built with
 * -mgeneral-regs-only, so interrupt and switch paths never touch vector registers; only code
 * linked in for runtimes does. Policy (the scheduler's): CR0.TS is set whenever the running
 * thread has not used the FPU, so its first FPU instruction raises #NM (Intel SDM vol. 3A 2.5,
 * 13.4); from then on that thread's state is saved with XSAVEOPT (or XSAVE, or FXSAVE without
 * XSAVE) when it is switched out and restored when it is switched in. Threads that never use
 * the FPU pay nothing: TS stays set across their switches.
 */
#include <arch/x64/cpu.h>
#include <nautilus/arch.h>
#include <nautilus/cpu.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)

#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE    (1ull << 18)

#define CPUID1_ECX_XSAVE (1u << 26)
/* XCR0 components we enable: x87, SSE, AVX, and AVX-512's three only together. */
#define XFEATURE_BASE	0x7ull
#define XFEATURE_AVX512 0xe0ull

#define FXSAVE_SIZE	  512
#define LEGACY_FCW	  0
#define LEGACY_MXCSR	  24
#define FCW_INIT	  0x037f
#define MXCSR_INIT	  0x1f80
#define XSAVE_HEADER_SIZE 64

enum fpu_kind { FPU_FXSAVE, FPU_XSAVE, FPU_XSAVEOPT };

static enum fpu_kind kind;
static uint64_t xcr0;
static size_t area_size = FXSAVE_SIZE;
/* The state a thread starts with: x87 and MXCSR defaults, every XSAVE component in init state. */
static uint8_t initial_state[FXSAVE_SIZE + XSAVE_HEADER_SIZE] __nk_aligned(64);

static void xsetbv(uint32_t reg, uint64_t v)
{
	asm volatile("xsetbv" : : "c"(reg), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* Once, on the boot CPU: which save instruction, which components, how big an area. */
static void fpu_probe(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	if (!(r[2] & CPUID1_ECX_XSAVE))
		return;
	cpuid(0xd, 0, r);
	xcr0 = ((uint64_t)r[3] << 32 | r[0]) & (XFEATURE_BASE | XFEATURE_AVX512);
	if ((xcr0 & XFEATURE_AVX512) != XFEATURE_AVX512)
		xcr0 &= ~XFEATURE_AVX512;
	cpuid(0xd, 1, r);
	kind = (r[0] & 1) ? FPU_XSAVEOPT : FPU_XSAVE;
}

static void fpu_init_image(void)
{
	uint16_t fcw = FCW_INIT;
	uint32_t mxcsr = MXCSR_INIT;

	memcpy(initial_state + LEGACY_FCW, &fcw, sizeof(fcw));
	memcpy(initial_state + LEGACY_MXCSR, &mxcsr, sizeof(mxcsr));
}

void nk_arch_fpu_init_cpu(void)
{
	uint32_t r[4];

	if (nk_cpu_id() == 0) {
		fpu_probe();
		fpu_init_image();
	}
	write_cr0((read_cr0() | CR0_MP | CR0_NE | CR0_TS) & ~CR0_EM);
	if (kind == FPU_FXSAVE) {
		write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	} else {
		write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE);
		xsetbv(0, xcr0);
		cpuid(0xd, 0, r);
		area_size = r[1]; /* EBX: size for the components enabled in XCR0 */
	}
	nk_this_cpu()->fpu_trapping = true;
	if (nk_cpu_id() == 0)
		nk_info("%s, state %zu bytes, xcr0 0x%llx",
			kind == FPU_FXSAVE ? "fxsave" : kind == FPU_XSAVE ? "xsave" : "xsaveopt",
			area_size, (unsigned long long)xcr0);
}

size_t nk_arch_fpu_area_size(void)
{
	return area_size;
}

void nk_arch_fpu_trap_first_use(bool on)
{
	struct nk_cpu *c = nk_this_cpu();

	if (c->fpu_trapping == on)
		return;
	c->fpu_trapping = on;
	if (on)
		write_cr0(read_cr0() | CR0_TS);
	else
		asm volatile("clts" : : : "memory");
}

void nk_arch_fpu_save(void *area)
{
	uint32_t lo = (uint32_t)xcr0, hi = (uint32_t)(xcr0 >> 32);

	if (kind == FPU_XSAVEOPT)
		asm volatile("xsaveopt64 (%0)" : : "r"(area), "a"(lo), "d"(hi) : "memory");
	else if (kind == FPU_XSAVE)
		asm volatile("xsave64 (%0)" : : "r"(area), "a"(lo), "d"(hi) : "memory");
	else
		asm volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

void nk_arch_fpu_restore(const void *area)
{
	uint32_t lo = (uint32_t)xcr0, hi = (uint32_t)(xcr0 >> 32);

	if (kind == FPU_FXSAVE)
		asm volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
	else
		asm volatile("xrstor64 (%0)" : : "r"(area), "a"(lo), "d"(hi) : "memory");
}

void nk_arch_fpu_init_area(void *area)
{
	memset(area, 0, area_size);
	memcpy(area, initial_state, sizeof(initial_state) < area_size ? sizeof(initial_state)
								      : area_size);
}
