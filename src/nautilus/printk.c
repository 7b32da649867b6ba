/*
 * printk: each message becomes one line "[seconds.micros] module: text", kept in the log ring
 * (dmesg) and written to the consoles when its level passes the console threshold. A lock keeps
 * lines from different CPUs whole. A console may queue output for its interrupt; a caller with
 * interrupts off may never let that interrupt run, so its output is flushed before returning.
 */
#include <nautilus/arch.h>
#include <nautilus/console.h>
#include <nautilus/logring.h>
#include <nautilus/printk.h>
#include <nautilus/spinlock.h>
#include <nautilus/string.h>
#include <nautilus/time.h>

#define LINE_MAX     512
#define LOG_BUF_SIZE (64 * 1024)

static char log_buf[LOG_BUF_SIZE];
static struct nk_logring ring;
static bool ring_ready;
static struct nk_spinlock lock = NK_SPINLOCK_INIT;
static int console_level = NK_LOG_INFO;

void nk_printk_set_console_level(int level)
{
	console_level = level;
}

int nk_printk_console_level(void)
{
	return console_level;
}

static int format_stamp(char *buf, size_t size, uint64_t ns)
{
	return nk_snprintf(buf, size, "[%5llu.%06llu] ", (unsigned long long)ns / 1000000000,
			   (unsigned long long)(ns / 1000) % 1000000);
}

/* The ring, set up on first use: printk works from the first line of C. Called with the lock. */
static struct nk_logring *log_ring(void)
{
	if (!ring_ready) {
		nk_logring_init(&ring, log_buf, sizeof(log_buf));
		ring_ready = true;
	}
	return &ring;
}

static void emit(int level, uint64_t ns, const char *text, size_t len)
{
	char stamp[32];
	int n;

	nk_logring_append(log_ring(), ns, level, text, len);
	if (level > console_level)
		return;
	n = format_stamp(stamp, sizeof(stamp), ns);
	nk_console_write(stamp, n);
	nk_console_write(text, len);
	nk_console_write("\n", 1);
}

int nk_vprintk(int level, const char *mod, const char *fmt, va_list ap)
{
	char line[LINE_MAX];
	uint64_t ns = nk_time_ns();
	unsigned long flags;
	bool irqs_on;
	size_t n;
	int len;

	n = nk_snprintf(line, sizeof(line), "%s: ", mod);
	len = nk_vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n = NK_MIN(n + (size_t)len, sizeof(line) - 1);
	while (n && line[n - 1] == '\n')
		n--;
	irqs_on = nk_arch_irqs_enabled();
	flags = nk_spin_lock_irqsave(&lock);
	emit(level, ns, line, n);
	if (!irqs_on)
		nk_console_flush();
	nk_spin_unlock_irqrestore(&lock, flags);
	return len;
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

/* Panic only, other CPUs stopped: whoever held the lock will never release it. */
void nk_printk_break_lock(void)
{
	nk_spin_init(&lock);
}

void nk_puts_raw(const char *s, size_t len)
{
	bool irqs_on = nk_arch_irqs_enabled();
	unsigned long flags = nk_spin_lock_irqsave(&lock);

	nk_console_write(s, len);
	if (!irqs_on)
		nk_console_flush();
	nk_spin_unlock_irqrestore(&lock, flags);
}

int nk_vprintf(const char *fmt, va_list ap)
{
	char buf[LINE_MAX];
	int n = nk_vsnprintf(buf, sizeof(buf), fmt, ap);

	nk_puts_raw(buf, NK_MIN((size_t)n, sizeof(buf) - 1));
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

/* Called with the lock held: writes to the consoles directly. */
static int dump_record(const struct nk_logring_entry *e, void *arg)
{
	char stamp[32];
	int n = format_stamp(stamp, sizeof(stamp), e->ts_ns);

	nk_console_write(stamp, n);
	nk_console_write(e->text, e->len);
	nk_console_write("\n", 1);
	return 0;
}

void nk_printk_dump(void)
{
	unsigned long flags = nk_spin_lock_irqsave(&lock);
	struct nk_logring *r = log_ring();

	if (nk_logring_dropped(r)) {
		char note[64];
		int n = nk_snprintf(note, sizeof(note), "(%llu older messages dropped)\n",
				    (unsigned long long)nk_logring_dropped(r));

		nk_console_write(note, n);
	}
	nk_logring_for_each(r, 0, dump_record, NULL);
	nk_spin_unlock_irqrestore(&lock, flags);
}
