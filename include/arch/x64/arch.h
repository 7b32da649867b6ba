/* Bring-up steps of the x86-64 port, called in order by nk_arch_boot and nk_main. */
#ifndef NK_ARCH_X64_ARCH_H
#define NK_ARCH_X64_ARCH_H

#include <nautilus/types.h>

/* Fill nk_boot_info from the loader's structure (-EINVAL if it is malformed). */
int nk_mb2_parse(uint64_t info_paddr);
int nk_pvh_parse(uint64_t info_paddr);

void nk_gdt_init(void);
void nk_idt_init(void);
/* The final identity map of RAM (page 0 left out); trims memory it cannot map. */
void nk_paging_init(void);
void nk_tsc_init(void);

/* Per-CPU structures: the boot CPU's at once, the others from the MADT (after ACPI). */
struct nk_cpu;
void nk_percpu_boot_init(void);
void nk_percpu_init(void);
void nk_percpu_load(struct nk_cpu *c);
/* NUMA topology from SRAT/SLIT into the generic registry. */
void nk_numa_acpi_init(void);

#endif
