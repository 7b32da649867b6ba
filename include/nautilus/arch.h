/*
 * The small interface generic code uses to reach the architecture (src/arch/<arch>/).
 */
#ifndef NK_NAUTILUS_ARCH_H
#define NK_NAUTILUS_ARCH_H

#include <nautilus/compiler.h>
#include <nautilus/types.h>

/* Bring-up, in the order nk_main calls them. */
void nk_arch_early_init(void);	  /* descriptor tables, exception handlers */
void nk_arch_mem_init(void);	  /* final page tables: all RAM identity-mapped, page 0 not */
void nk_arch_time_init(void);	  /* TSC frequency */
void nk_arch_firmware_init(void); /* ACPI: CPUs, interrupt routing, NUMA topology */
void nk_arch_irq_init(void);	  /* interrupt controllers, timer; interrupts on */
void nk_arch_smp_init(void);	  /* start the other CPUs */

/* Cycle counter (TSC on x86); monotonic on one CPU. */
uint64_t nk_arch_cycles(void);
/* Stop this CPU for good (interrupts off). */
void nk_arch_halt_forever(void) __nk_noreturn;
/* Leave QEMU with a status through isa-debug-exit (pass/fail codes), else power off. */
void nk_arch_debug_exit(int code) __nk_noreturn;
/* Power off through ACPI/QEMU's exit device; reboot through the keyboard controller/triple fault. */
void nk_arch_poweroff(void) __nk_noreturn;
void nk_arch_reboot(void) __nk_noreturn;

/*
 * This CPU's one-shot timer: fire once after ns nanoseconds (TSC-deadline mode when the CPU has
 * it, else the APIC timer's one-shot mode); 0 disarms. The handler set for this CPU runs in
 * interrupt context. Returns 0 or -errno (-ERANGE: longer than the timer can count).
 */
int nk_arch_timer_oneshot(uint64_t ns);
void nk_arch_timer_set_handler(void (*fn)(void *arg), void *arg);

/* Stop every other CPU (NMI) for a panic; they halt. Does nothing before SMP bring-up. */
void nk_arch_stop_other_cpus(void);

/* Interrupt flag. */
unsigned long nk_arch_irq_save(void);
void nk_arch_irq_restore(unsigned long flags);

/* [addr, addr+len) is mapped in the kernel's page tables (page 0 is not). */
bool nk_arch_range_is_mapped(uint64_t addr, uint64_t len);

/* Frame-pointer backtrace of the caller, symbolized, on the console at level lvl. */
void nk_arch_backtrace(int lvl);
/* The caller's registers and backtrace (what panic prints). */
void nk_arch_panic_report(int lvl);

/*
 * Run fn(arg) and catch a CPU exception it raises (test-only recovery): returns 0 if fn
 * returned normally, 1 if it faulted, with what happened in *info. One catcher per CPU, so
 * CPUs may catch at the same time; not reentrant on one CPU, and the caller stays on its CPU.
 */
struct nk_trap_info {
	int vector;
	uint64_t error_code;
	uint64_t rip;
	uint64_t cr2;
};
int nk_arch_trap_catch(void (*fn)(void *), void *arg, struct nk_trap_info *info);

/* Exit codes the kernel passes to nk_arch_debug_exit; QEMU exits with (code << 1) | 1. */
#define NK_EXIT_PASS	 0x10 /* QEMU status 33 */
#define NK_EXIT_FAIL	 0x11 /* QEMU status 35 */
#define NK_EXIT_PANIC	 0x12 /* QEMU status 37 */
#define NK_EXIT_SHUTDOWN 0x00 /* QEMU status 1: a user's shutdown */

#endif
