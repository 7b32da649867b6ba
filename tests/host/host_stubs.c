/* Host versions of the few kernel services that architecture-independent code calls. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <nautilus/panic.h>
#include <nautilus/printk.h>

/* Last message logged, so tests can check what was reported. */
char nk_host_last_log[512];
int nk_host_log_count;

int nk_vprintk(int level, const char *mod, const char *fmt, va_list ap)
{
	int n = vsnprintf(nk_host_last_log, sizeof(nk_host_last_log), fmt, ap);

	nk_host_log_count++;
	if (getenv("NK_HOST_VERBOSE"))
		fprintf(stderr, "<%d>[%s] %s\n", level, mod, nk_host_last_log);
	return n;
}

int nk_printk(int level, const char *mod, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = nk_vprintk(level, mod, fmt, ap);
	va_end(ap);
	return n;
}

void nk_panic_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "panic at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* Console output captured for tests (shell output, dumps); reset by writing 0 to the length. */
char nk_host_console[65536];
size_t nk_host_console_len;

void nk_puts_raw(const char *s, size_t len)
{
	size_t room = sizeof(nk_host_console) - 1 - nk_host_console_len;
	size_t n = len < room ? len : room;

	for (size_t i = 0; i < n; i++)
		nk_host_console[nk_host_console_len + i] = s[i];
	nk_host_console_len += n;
	nk_host_console[nk_host_console_len] = '\0';
}

int nk_vprintf(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	nk_puts_raw(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

int nk_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = nk_vprintf(fmt, ap);
	va_end(ap);
	return n;
}

#include <nautilus/symbols.h>

void nk_symbol_format(uint64_t addr, char *buf, size_t size)
{
	snprintf(buf, size, "0x%llx", (unsigned long long)addr);
}

unsigned long nk_arch_irq_save(void)
{
	return 0;
}

void nk_arch_irq_restore(unsigned long flags)
{
	(void)flags;
}

/* The "calling CPU" of the allocators (src/nautilus/mm/cpu.c in the kernel); tests switch it. */
int nk_host_cpu_id;
int nk_host_cpu_node;

int nk_mm_this_cpu(int *node)
{
	*node = nk_host_cpu_node;
	return nk_host_cpu_id;
}

/* One simulated CPU per test: nothing to preempt (include/nautilus/sched.h). */
void nk_preempt_disable(void)
{
}

void nk_preempt_enable(void)
{
}
