/*
 * Local APIC (Intel SDM vol. 3A chapter 11): x2APIC through MSRs when CPUID.01H:ECX[21] says the
 * CPU has it, else xAPIC through the MMIO page named by IA32_APIC_BASE. Every CPU enables its
 * APIC with the spurious vector, an error vector, LINT0 masked (the PIC is off), LINT1 as NMI
 * and task priority 0 (accept every vector).
 */
#include <arch/x64/apic.h>
#include <arch/x64/arch.h>
#include <arch/x64/cpu.h>
#include <nautilus/acpi.h>
#include <nautilus/arch.h>
#include <nautilus/cpu.h>
#include <nautilus/irq.h>
#include <nautilus/printk.h>

#define MSR_APIC_BASE	   0x1b
#define APIC_BASE_ENABLE   (1ULL << 11)
#define APIC_BASE_X2APIC   (1ULL << 10)
#define APIC_BASE_ADDR	   0xfffff000ULL
#define MSR_X2APIC_FIRST   0x800
#define MSR_X2APIC_ICR	   0x830 /* 64-bit ICR in x2APIC mode */
#define CPUID_1_ECX_X2APIC (1u << 21)

static bool x2apic;
static volatile uint32_t *xapic_base;

bool nk_lapic_is_x2apic(void)
{
	return x2apic;
}

uint32_t nk_lapic_read(unsigned reg)
{
	if (x2apic)
		return (uint32_t)rdmsr(MSR_X2APIC_FIRST + (reg >> 4));
	return xapic_base[reg / 4];
}

void nk_lapic_write(unsigned reg, uint32_t v)
{
	if (x2apic)
		wrmsr(MSR_X2APIC_FIRST + (reg >> 4), v);
	else
		xapic_base[reg / 4] = v;
}

void nk_lapic_eoi(void)
{
	nk_lapic_write(LAPIC_EOI, 0);
}

uint32_t nk_lapic_id(void)
{
	uint32_t id = nk_lapic_read(LAPIC_ID);

	return x2apic ? id : id >> 24;
}

/* Interrupts stay off: an xAPIC ICR write is two stores an interrupt handler must not split. */
void nk_lapic_send_ipi(uint32_t apic_id, uint32_t icr_lo)
{
	unsigned long flags = nk_arch_irq_save();

	if (x2apic) {
		/* SDM 11.12.9: WRMSR to the x2APIC ICR is not serializing; fence prior stores. */
		asm volatile("mfence" : : : "memory");
		wrmsr(MSR_X2APIC_ICR, ((uint64_t)apic_id << 32) | icr_lo);
		goto out;
	}
	while (nk_lapic_read(LAPIC_ICR_LO) & ICR_PENDING)
		cpu_relax();
	nk_lapic_write(LAPIC_ICR_HI, apic_id << 24);
	nk_lapic_write(LAPIC_ICR_LO, icr_lo);
	while (nk_lapic_read(LAPIC_ICR_LO) & ICR_PENDING)
		cpu_relax();
out:
	nk_arch_irq_restore(flags);
}

/* ESR is written before it is read to latch the errors (SDM 11.5.3). */
static void lapic_error(int vector, void *arg)
{
	uint32_t esr;

	(void)vector;
	(void)arg;
	nk_lapic_write(LAPIC_ESR, 0);
	esr = nk_lapic_read(LAPIC_ESR);
	nk_warn("cpu %d: local APIC error, ESR 0x%x", nk_cpu_id(), esr);
}

static void enable_in_msr(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE;

	if (x2apic)
		base |= APIC_BASE_X2APIC;
	wrmsr(MSR_APIC_BASE, base);
}

/* LINT pins as the MADT's local APIC NMI entries say; by default LINT1 is NMI (PC/AT wiring). */
static uint32_t lint_nmi_pins(void)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();
	uint32_t pins = 0;

	for (size_t i = 0; a->has_madt && i < a->madt.nr_nmis; i++)
		if (a->madt.nmis[i].lapic && a->madt.nmis[i].lint < 2)
			pins |= 1u << a->madt.nmis[i].lint;
	return pins ? pins : 1u << 1;
}

void nk_lapic_percpu_init(void)
{
	uint32_t nmi = lint_nmi_pins();

	enable_in_msr();
	if (!x2apic)
		nk_lapic_write(LAPIC_DFR, 0xffffffff); /* flat model */
	nk_lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | NK_VEC_SPURIOUS);
	nk_lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | NK_VEC_TIMER);
	nk_lapic_write(LAPIC_LVT_LINT0, nmi & 1 ? LAPIC_LVT_NMI : LAPIC_LVT_MASKED);
	nk_lapic_write(LAPIC_LVT_LINT1, nmi & 2 ? LAPIC_LVT_NMI : LAPIC_LVT_MASKED);
	nk_lapic_write(LAPIC_LVT_ERROR, NK_VEC_ERROR);
	nk_lapic_write(LAPIC_ESR, 0);
	nk_lapic_write(LAPIC_ESR, 0);
	nk_lapic_write(LAPIC_TPR, 0);
	nk_lapic_eoi(); /* drop anything in service from the firmware */
}

void nk_lapic_init(void)
{
	uint32_t r[4];

	nk_pic_disable();
	cpuid(1, 0, r);
	x2apic = r[2] & CPUID_1_ECX_X2APIC;
	xapic_base = (volatile uint32_t *)(uintptr_t)(rdmsr(MSR_APIC_BASE) & APIC_BASE_ADDR);
	nk_vector_set(NK_VEC_ERROR, lapic_error, NULL);
	nk_lapic_percpu_init();
	nk_info("local APIC: %s mode, id %u, version 0x%x", x2apic ? "x2APIC" : "xAPIC",
		nk_lapic_id(), nk_lapic_read(LAPIC_VERSION) & 0xff);
}
