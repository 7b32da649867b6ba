/*
 * Leaving the machine: QEMU's isa-debug-exit device (the status the test runner reads), ACPI
 * soft-off at the PM1a control ports QEMU's chipsets use, the keyboard controller reset, and a
 * triple fault as the last resort. FADT-based power-off arrives with the ACPI parser.
 */
#include <arch/x64/cpu.h>
#include <nautilus/arch.h>
#include <nautilus/printk.h>

#define DEBUG_EXIT_PORT 0xf4   /* -device isa-debug-exit,iobase=0xf4,iosize=0x04 */
#define PIIX4_PM1A_CNT	0x604  /* QEMU pc (i440fx/PIIX4): PM base 0x600 + 4 */
#define ICH9_PM1A_CNT	0xb004 /* QEMU q35 (ICH9) and Bochs */
#define PM1_SLP_S5	0x2000 /* SLP_EN with SLP_TYP 0 (S5 in QEMU's DSDT) */
#define KBC_CMD		0x64
#define KBC_RESET	0xfe

void nk_arch_debug_exit(int code)
{
	outl(DEBUG_EXIT_PORT, code);
	nk_arch_poweroff(); /* no exit device: QEMU was started without one */
}

void nk_arch_poweroff(void)
{
	outl(DEBUG_EXIT_PORT, 0);
	outw(PIIX4_PM1A_CNT, PM1_SLP_S5);
	outw(ICH9_PM1A_CNT, PM1_SLP_S5);
	nk_err("power-off did not take effect; halting");
	nk_arch_halt_forever();
}

void nk_arch_reboot(void)
{
	static const struct {
		uint16_t limit;
		uint64_t base;
	} __nk_packed no_idt = { 0, 0 };

	outb(KBC_CMD, KBC_RESET);
	asm volatile("lidt %0; int3" : : "m"(no_idt));
	nk_arch_halt_forever();
}
