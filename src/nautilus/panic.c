/*
 * panic: report the message with file:line, the registers and a symbolized backtrace, then stop.
 * During a test run (test= on the command line) QEMU exits with the panic code so the runner
 * reports it at once instead of waiting for its timeout.
 */
#include <nautilus/arch.h>
#include <nautilus/cmdline.h>
#include <nautilus/console.h>
#include <nautilus/panic.h>
#include <nautilus/printk.h>

void nk_panic_at(const char *file, int line, const char *fmt, ...)
{
	static int depth;
	char msg[256];
	va_list ap;

	nk_arch_irq_save();
	if (depth++) {
		nk_console_write("\nPANIC while panicking; halting\n", 32);
		nk_arch_halt_forever();
	}
	va_start(ap, fmt);
	nk_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nk_printk_set_console_level(NK_LOG_DEBUG);
	nk_emerg("PANIC: %s (at %s:%d)", msg, file, line);
	nk_arch_panic_report(NK_LOG_EMERG);
	if (nk_cmdline.run_tests)
		nk_arch_debug_exit(NK_EXIT_PANIC);
	nk_emerg("system halted");
	nk_arch_halt_forever();
}
