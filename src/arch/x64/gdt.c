/*
 * Global descriptor table with a 64-bit TSS whose interrupt stack table gives NMI, double fault
 * and machine check their own stacks (Intel SDM vol. 3A 7.7, 6.14.5): they then run on a known
 * good stack even when the current one overflowed. One GDT and TSS per CPU: LTR marks a TSS
 * descriptor busy, so CPUs cannot share one.
 */
#include <arch/x64/arch.h>
#include <arch/x64/gdt.h>
#include <nautilus/cpu.h>
#include <nautilus/types.h>

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __nk_packed;

/* null, kernel code, kernel data, TSS (a 16-byte system descriptor). */
struct cpu_tables {
	uint64_t gdt[5];
	struct tss tss;
} __nk_aligned(16);

#define GDT_CODE64 0x00af9a000000ffff /* 64-bit code, present, DPL 0 */
#define GDT_DATA   0x00cf92000000ffff /* data, present, writable */

static struct cpu_tables tables[NK_MAX_CPUS];
static uint8_t boot_ist_stacks[3 * NK_IST_STACK_SIZE] __nk_aligned(16);

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __nk_packed;

/* SDM vol. 3A figure 7-4: 64-bit TSS descriptor, type 9 (available), present. */
static void set_tss_descriptor(struct cpu_tables *t)
{
	uint64_t base = (uint64_t)&t->tss, limit = sizeof(t->tss) - 1;

	t->gdt[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
			      (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	t->gdt[GDT_TSS / 8 + 1] = base >> 32;
}

void nk_gdt_init_cpu(int cpu, void *ist_stacks)
{
	struct cpu_tables *t = &tables[cpu];
	struct gdt_ptr p = { sizeof(t->gdt) - 1, (uint64_t)t->gdt };

	t->gdt[GDT_KERNEL_CS / 8] = GDT_CODE64;
	t->gdt[GDT_KERNEL_DS / 8] = GDT_DATA;
	for (int i = 0; i < 3; i++)
		t->tss.ist[i] = (uint64_t)ist_stacks + (i + 1) * NK_IST_STACK_SIZE;
	t->tss.iomap_base = sizeof(t->tss);
	set_tss_descriptor(t);
	asm volatile("lgdt %0\n\t"
		     "pushq %1\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "movw %w2, %%ax\n\t"
		     "movw %%ax, %%ds\n\t"
		     "movw %%ax, %%es\n\t"
		     "movw %%ax, %%ss\n\t"
		     "ltr %w3"
		     :
		     : "m"(p), "i"(GDT_KERNEL_CS), "r"(GDT_KERNEL_DS), "r"(GDT_TSS)
		     : "rax", "memory");
}

void nk_gdt_init(void)
{
	nk_gdt_init_cpu(0, boot_ist_stacks);
}
