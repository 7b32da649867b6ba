/*
 * panic: report the message with file:line, the registers and a symbolized backtrace, then stop.
 * During a test run (test= on the command line) QEMU exits with the panic code so the runner
 * reports it at once instead of waiting for its timeout.
 */
#include <nautilus/arch.h>
#include <nautilus/cmdline.h>
#include <nautilus/console.h>
#include <nautilus/cpu.h>
#include <nautilus/panic.h>
#include <nautilus/printk.h>

static int panicking = -1; /* the CPU that panics first, -1: none */

bool nk_panic_in_progress(void)
{
	return __atomic_load_n(&panicking, __ATOMIC_ACQUIRE) >= 0;
}

/*
 * The first CPU to panic reports; the others are stopped by an NMI. A second panic on the
 * same CPU (while reporting) halts at once; a panic on another CPU meanwhile halts that CPU.
 */
void nk_panic_at(const char *file, int line, const char *fmt, ...)
{
	int none = -1, me = nk_cpu_id();
	char msg[256];
	va_list ap;

	nk_arch_irq_save();
	if (!__atomic_compare_exchange_n(&panicking, &none, me, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		if (none == me)
			nk_console_write("\nPANIC while panicking; halting\n", 32);
		nk_arch_halt_forever();
	}
	nk_arch_stop_other_cpus();
	nk_printk_break_lock();
	va_start(ap, fmt);
	nk_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nk_printk_set_console_level(NK_LOG_DEBUG);
	nk_emerg("PANIC on cpu %d: %s (at %s:%d)", me, msg, file, line);
	nk_arch_panic_report(NK_LOG_EMERG);
	if (nk_cmdline.run_tests)
		nk_arch_debug_exit(NK_EXIT_PANIC);
	nk_emerg("system halted");
	nk_arch_halt_forever();
}
