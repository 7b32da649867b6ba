/*
 * Global descriptor table with a 64-bit TSS whose interrupt stack table gives NMI, double fault
 * and machine check their own stacks (Intel SDM vol. 3A 7.7, 6.14.5): they then run on a known
 * good stack even when the current one overflowed.
 */
#include <arch/x64/arch.h>
#include <arch/x64/gdt.h>
#include <nautilus/types.h>

#define IST_STACK_SIZE 8192

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __nk_packed;

static struct tss tss;
static uint8_t ist_stacks[3][IST_STACK_SIZE] __nk_aligned(16);

/* null, kernel code, kernel data, TSS (a 16-byte system descriptor). */
static uint64_t gdt[5] __nk_aligned(16) = {
	0, 0x00af9a000000ffff, /* GDT_KERNEL_CS: 64-bit code, present, DPL 0 */
	0x00cf92000000ffff,    /* GDT_KERNEL_DS: data, present, writable */
};

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __nk_packed;

/* SDM vol. 3A figure 7-4: 64-bit TSS descriptor, type 9 (available), present. */
static void set_tss_descriptor(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;

	gdt[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
			   (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[GDT_TSS / 8 + 1] = base >> 32;
}

void nk_gdt_init(void)
{
	struct gdt_ptr p = { sizeof(gdt) - 1, (uint64_t)gdt };

	for (int i = 0; i < 3; i++)
		tss.ist[i] = (uint64_t)ist_stacks[i] + IST_STACK_SIZE;
	tss.iomap_base = sizeof(tss);
	set_tss_descriptor();
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
