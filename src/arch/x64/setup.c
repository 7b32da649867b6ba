/* From boot.S to nk_main: early console, boot information, then the arch bring-up steps. */
#include <arch/x64/apic.h>
#include <arch/x64/arch.h>
#include <arch/x64/boot.h>
#include <arch/x64/cpu.h>
#include <nautilus/acpi.h>
#include <nautilus/arch.h>
#include <nautilus/boot_info.h>
#include <nautilus/console.h>
#include <nautilus/panic.h>
#include <nautilus/printk.h>

void nk_main(struct nk_boot_info *bi);
void nk_arch_boot(uint32_t protocol, uint32_t info_paddr);

/* BIOS data area word holding the EBDA's real-mode segment (page 0, mapped only by boot.S). */
#define BDA_EBDA_SEGMENT 0x40e

struct nk_boot_info nk_boot_info;

/* A word in page 0 (through asm: the compiler rejects dereferencing a tiny constant). */
static uint16_t read_low_word(uintptr_t addr)
{
	uint16_t v;

	asm volatile("movw (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

/* Called by boot.S in long mode on the boot stack; never returns. */
void nk_arch_boot(uint32_t protocol, uint32_t info_paddr)
{
	int err;

	nk_percpu_boot_init(); /* nk_this_cpu, spinlocks' preemption count: from the first line */
	nk_early_console_init();
	nk_boot_info.ebda_paddr = (nk_paddr_t)read_low_word(BDA_EBDA_SEGMENT) << 4;
	if (protocol == NK_BOOT_PROTO_MB2)
		err = nk_mb2_parse(info_paddr);
	else
		err = nk_pvh_parse(info_paddr);
	if (err)
		panic("cannot read the boot information (protocol %u at 0x%x): %d", protocol,
		      info_paddr, err);
	nk_main(&nk_boot_info);
	panic("nk_main returned");
}

void nk_arch_early_init(void)
{
	nk_gdt_init();
	nk_idt_init();
}

void nk_arch_mem_init(void)
{
	nk_paging_init();
}

/* No ACPI is not fatal: one CPU, one node, legacy devices. */
void nk_arch_firmware_init(void)
{
	nk_acpi_init();
	nk_numa_acpi_init();
	nk_percpu_init();
}

/* Interrupts on: PIC masked, local APIC and IOAPICs set up, APIC timer calibrated. */
void nk_arch_irq_init(void)
{
	nk_lapic_init();
	nk_ioapic_init();
	nk_apic_timer_init();
	asm volatile("sti" : : : "memory");
}

void nk_arch_smp_init(void)
{
	nk_smp_init();
}

void nk_arch_time_init(void)
{
	nk_tsc_init();
}

uint64_t nk_arch_cycles(void)
{
	return rdtsc();
}

unsigned long nk_arch_irq_save(void)
{
	unsigned long flags;

	asm volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

#define RFLAGS_IF (1UL << 9) /* SDM vol. 1 3.4.3: interrupt enable flag */

bool nk_arch_irqs_enabled(void)
{
	unsigned long flags;

	asm volatile("pushfq; popq %0" : "=r"(flags));
	return flags & RFLAGS_IF;
}

void nk_arch_irq_enable(void)
{
	asm volatile("sti" : : : "memory");
}

/* STI's one-instruction shadow: an interrupt pending now is taken in the HLT, not before it. */
void nk_arch_irq_enable_and_halt(void)
{
	asm volatile("sti; hlt" : : : "memory");
}

void nk_arch_irq_restore(unsigned long flags)
{
	if (flags & RFLAGS_IF)
		asm volatile("sti" : : : "memory");
}

void nk_arch_halt_forever(void)
{
	for (;;)
		asm volatile("cli; hlt");
}
