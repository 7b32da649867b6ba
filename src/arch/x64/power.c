/*
 * Leaving the machine. Power-off: QEMU's isa-debug-exit device first (the status the test runner
 * reads), then ACPI soft-off through the FADT's PM1 control blocks with SLP_TYP from the DSDT's
 * \_S5_, then the PM1a ports of QEMU's chipsets. Reset: the FADT reset register when the FADT
 * offers one, the keyboard controller, and a triple fault as the last resort.
 */
#include <arch/x64/acpi_sleep.h>
#include <arch/x64/cpu.h>
#include <nautilus/acpi.h>
#include <nautilus/arch.h>
#include <nautilus/console.h>
#include <nautilus/printk.h>
#include <nautilus/time.h>

#define DEBUG_EXIT_PORT 0xf4   /* -device isa-debug-exit,iobase=0xf4,iosize=0x04 */
#define PIIX4_PM1A_CNT	0x604  /* QEMU pc (i440fx/PIIX4): PM base 0x600 + 4 */
#define ICH9_PM1A_CNT	0xb004 /* QEMU q35 (ICH9) and Bochs */
#define PM1_SLP_S5	0x2000 /* SLP_EN with SLP_TYP 0 (S5 in QEMU's DSDT) */

/* PM1 control register bits, ACPI 6.5 section 4.8.3.2.1 (PM1 Control Registers). */
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK  (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN	  (1u << 13)

/* FADT: the flags (Fixed Feature Flags table) and the rules for RESET_REG (section 5.2.9). */
#define FADT_RESET_REG_SUP (1u << 10)
#define GAS_MEMORY	   0
#define GAS_IO		   1
#define RESET_REG_WIDTH	   8

#define KBC_CMD	  0x64
#define KBC_RESET 0xfe

/* How long a write that should stop the machine is given before the next way is tried. */
#define SETTLE_NS 500000000ull

/*
 * QEMU acts on a power-off or reset write from its main loop, a little after the write: wait
 * before concluding it failed (no wait at all before the TSC is calibrated).
 */
static void settle(void)
{
	nk_delay(SETTLE_NS);
}

/* Enter the sleep state slp_typ through one PM1 control block, keeping its other bits. */
static void pm1_sleep(uint16_t port, uint8_t slp_typ)
{
	uint16_t v = inw(port) & ~PM1_SLP_TYP_MASK;

	nk_console_flush(); /* queued serial output would die with the machine */
	outw(port, v | (uint16_t)(slp_typ << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
}

/* ACPI soft-off (S5, section 7.4.2 \_Sx): returns if it cannot be tried or did not work. */
static void acpi_poweroff(void)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();
	const struct nk_acpi_fadt *f = &a->fadt;
	struct nk_acpi_sleep_type s5;

	if (!a->has_fadt || !f->pm1a_cnt) {
		nk_warn("no FADT PM1a control block: no ACPI soft-off");
		return;
	}
	if (f->pm1a_cnt > 0xffff || f->pm1b_cnt > 0xffff) {
		nk_warn("PM1 control blocks 0x%x/0x%x are not I/O ports: no ACPI soft-off",
			f->pm1a_cnt, f->pm1b_cnt);
		return;
	}
	if (nk_acpi_s5(&s5))
		return;
	nk_info("ACPI soft-off: SLP_TYP %u into PM1a control 0x%x", s5.slp_typa, f->pm1a_cnt);
	pm1_sleep(f->pm1a_cnt, s5.slp_typa);
	if (f->pm1b_cnt)
		pm1_sleep(f->pm1b_cnt, s5.slp_typb);
	settle();
	nk_warn("ACPI soft-off did not take effect");
}

/* Power-off without the exit device: ACPI, then the chipsets' PM1a ports, then halt. */
static void __nk_noreturn soft_off(void)
{
	acpi_poweroff();
	nk_warn("trying the PM1a ports of QEMU's chipsets with SLP_TYP 0");
	nk_console_flush();
	outw(PIIX4_PM1A_CNT, PM1_SLP_S5);
	outw(ICH9_PM1A_CNT, PM1_SLP_S5);
	settle();
	nk_err("power-off did not take effect; halting");
	nk_arch_halt_forever();
}

/*
 * QEMU 7.2's device exits on the write; QEMU 10's (changed upstream in 2024) only requests a
 * shutdown with that status, acted on later by the main loop, and a second write replaces the
 * status. So wait for QEMU, and fall back to a power-off that does not write the device again
 * (its 0 would turn a test verdict into status 1).
 */
void nk_arch_debug_exit(int code)
{
	nk_console_flush(); /* the verdict line must reach the runner before QEMU exits */
	outl(DEBUG_EXIT_PORT, code);
	settle();
	soft_off(); /* no exit device: QEMU was started without one */
}

void nk_arch_poweroff(void)
{
	nk_console_flush();
	outl(DEBUG_EXIT_PORT, NK_EXIT_SHUTDOWN);
	soft_off();
}

/* Write the reset value where the register's address space says. False: not possible here. */
static bool write_reset_reg(const struct nk_acpi_gas *r, uint8_t value)
{
	if (r->space_id == GAS_IO && r->address <= 0xffff) {
		nk_info("reset through the FADT reset register: port 0x%llx <- 0x%x",
			(unsigned long long)r->address, value);
		nk_console_flush();
		outb((uint16_t)r->address, value);
		return true;
	}
	if (r->space_id == GAS_MEMORY && nk_arch_range_is_mapped(r->address, 1)) {
		nk_info("reset through the FADT reset register: memory 0x%llx <- 0x%x",
			(unsigned long long)r->address, value);
		nk_console_flush();
		*(volatile uint8_t *)(uintptr_t)r->address = value;
		return true;
	}
	nk_warn("FADT reset register 0x%llx, address space %u: not an I/O port or mapped memory",
		(unsigned long long)r->address, r->space_id);
	return false;
}

/* The FADT reset register (section 4.8, Reset Register) when the FADT sets RESET_REG_SUP. */
static void fadt_reset(void)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();
	const struct nk_acpi_gas *r = &a->fadt.reset_reg;

	if (!a->has_fadt || !a->fadt.has_reset || !(a->fadt.flags & FADT_RESET_REG_SUP))
		return;
	if (r->bit_width != RESET_REG_WIDTH || r->bit_offset != 0) {
		nk_warn("FADT reset register is %u bits at bit %u, not 8 at 0: not used",
			r->bit_width, r->bit_offset);
		return;
	}
	if (!write_reset_reg(r, a->fadt.reset_value))
		return;
	settle();
	nk_warn("the FADT reset register did not reset the machine");
}

void nk_arch_reboot(void)
{
	static const struct {
		uint16_t limit;
		uint64_t base;
	} __nk_packed no_idt = { 0, 0 };

	fadt_reset();
	nk_info("reset through the keyboard controller");
	nk_console_flush();
	outb(KBC_CMD, KBC_RESET);
	settle();
	nk_warn("the keyboard controller did not reset the machine; triple fault");
	nk_console_flush();
	asm volatile("lidt %0; int3" : : "m"(no_idt));
	nk_arch_halt_forever();
}
