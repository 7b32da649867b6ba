/* Bring-up steps of the x86-64 port, called in order by nk_arch_boot and nk_main. */
#ifndef NK_ARCH_X64_ARCH_H
#define NK_ARCH_X64_ARCH_H

#include <nautilus/types.h>

/* Fill nk_boot_info from the loader's structure (-EINVAL if it is malformed). */
int nk_mb2_parse(uint64_t info_paddr);
int nk_pvh_parse(uint64_t info_paddr);

void nk_gdt_init(void);
/* This CPU's GDT and TSS; ist_stacks: 3 * NK_IST_STACK_SIZE bytes (NMI, #DF, #MC). */
#define NK_IST_STACK_SIZE 8192
void nk_gdt_init_cpu(int cpu, void *ist_stacks);
void nk_idt_init(void);
void nk_idt_load(void);
/* Interrupt vectors 32-255 (src/arch/x64/irq.c), called by nk_trap. */
struct nk_regs;
void nk_irq_dispatch(struct nk_regs *r);
/* The final identity map of RAM (page 0 left out); trims memory it cannot map. */
void nk_paging_init(void);
void nk_tsc_init(void);

/* Per-CPU structures: the boot CPU's at once, the others from the MADT (after ACPI). */
struct nk_cpu;
void nk_percpu_boot_init(void);
void nk_percpu_init(void);
void nk_percpu_load(struct nk_cpu *c);
/* Legacy PIC remapped and masked; local APIC; IOAPICs (src/arch/x64/{pic,lapic,ioapic}.c). */
void nk_pic_disable(void);
void nk_ioapic_init(void);
/* Start every other CPU of the MADT (src/arch/x64/smp.c). */
void nk_smp_init(void);
/* NUMA topology from SRAT/SLIT into the generic registry. */
void nk_numa_acpi_init(void);

#endif
