/* Interrupt descriptor table: all 256 vectors as interrupt gates (SDM vol. 3A 6.14.1). */
#include <arch/x64/arch.h>
#include <arch/x64/gdt.h>
#include <nautilus/types.h>

struct idt_gate {
	uint16_t offset_lo, selector;
	uint8_t ist, type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi, reserved;
} __nk_packed;

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __nk_packed;

#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate: IF cleared on entry */

extern const uint64_t nk_trap_stubs[256];
static struct idt_gate idt[256] __nk_aligned(16);

static void set_gate(int vec, uint64_t handler, int ist)
{
	idt[vec] = (struct idt_gate){
		.offset_lo = handler & 0xffff,
		.selector = GDT_KERNEL_CS,
		.ist = ist,
		.type_attr = GATE_INTERRUPT,
		.offset_mid = (handler >> 16) & 0xffff,
		.offset_hi = handler >> 32,
	};
}

static int ist_for(int vec)
{
	switch (vec) {
	case 2:
		return IST_NMI;
	case 8:
		return IST_DOUBLE_FAULT;
	case 18:
		return IST_MACHINE_CHECK;
	default:
		return 0;
	}
}

/* Load the shared table on this CPU. */
void nk_idt_load(void)
{
	struct idt_ptr p = { sizeof(idt) - 1, (uint64_t)idt };

	asm volatile("lidt %0" : : "m"(p));
}

void nk_idt_init(void)
{
	for (int vec = 0; vec < 256; vec++)
		set_gate(vec, nk_trap_stubs[vec], ist_for(vec));
	nk_idt_load();
}
