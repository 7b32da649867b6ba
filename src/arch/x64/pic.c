/*
 * The legacy 8259A pair: remapped to vectors 0x20-0x2f (so a stray IRQ cannot look like a CPU
 * exception) and fully masked; the IOAPIC routes device interrupts instead. Initialization
 * words from the 8259A datasheet (ICW1-ICW4).
 */
#include <arch/x64/arch.h>
#include <arch/x64/cpu.h>

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1

#define ICW1_INIT_ICW4 0x11 /* edge triggered, cascade, ICW4 follows */
#define ICW3_MASTER    0x04 /* slave on IR2 */
#define ICW3_SLAVE     0x02 /* its cascade identity */
#define ICW4_8086      0x01

void nk_pic_disable(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	outb(PIC1_DATA, 0x20); /* ICW2: vector base */
	outb(PIC2_DATA, 0x28);
	outb(PIC1_DATA, ICW3_MASTER);
	outb(PIC2_DATA, ICW3_SLAVE);
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, 0xff); /* OCW1: mask every line */
	outb(PIC2_DATA, 0xff);
}
