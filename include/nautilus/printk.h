/*
 * Kernel log: printk with levels into a ring buffer and the consoles.
 * Every line carries a timestamp and the module name, which the build passes as NK_MODNAME.
 */
#ifndef NK_NAUTILUS_PRINTK_H
#define NK_NAUTILUS_PRINTK_H

#include <nautilus/compiler.h>
#include <nautilus/types.h>

enum nk_log_level {
	NK_LOG_EMERG = 0,
	NK_LOG_ALERT = 1,
	NK_LOG_CRIT = 2,
	NK_LOG_ERR = 3,
	NK_LOG_WARN = 4,
	NK_LOG_NOTICE = 5,
	NK_LOG_INFO = 6,
	NK_LOG_DEBUG = 7,
};

#ifndef NK_MODNAME
#define NK_MODNAME "kernel"
#endif
/* 1 when CONFIG_DEBUG_<MODULE> is set for this file's module (passed by scripts/Makefile.build). */
#ifndef NK_DEBUG_ENABLED
#define NK_DEBUG_ENABLED 0
#endif

/* Log one message (a trailing newline is added if missing). Returns the bytes formatted. */
int nk_printk(int level, const char *mod, const char *fmt, ...) __nk_printf(3, 4);
int nk_vprintk(int level, const char *mod, const char *fmt, va_list ap);

#define nk_emerg(fmt, ...)  nk_printk(NK_LOG_EMERG, NK_MODNAME, fmt, ##__VA_ARGS__)
#define nk_err(fmt, ...)    nk_printk(NK_LOG_ERR, NK_MODNAME, fmt, ##__VA_ARGS__)
#define nk_warn(fmt, ...)   nk_printk(NK_LOG_WARN, NK_MODNAME, fmt, ##__VA_ARGS__)
#define nk_notice(fmt, ...) nk_printk(NK_LOG_NOTICE, NK_MODNAME, fmt, ##__VA_ARGS__)
#define nk_info(fmt, ...)   nk_printk(NK_LOG_INFO, NK_MODNAME, fmt, ##__VA_ARGS__)
#define nk_dbg(fmt, ...)                                                         \
	do {                                                                     \
		if (NK_DEBUG_ENABLED)                                            \
			nk_printk(NK_LOG_DEBUG, NK_MODNAME, fmt, ##__VA_ARGS__); \
	} while (0)

/* Raw console output with no log prefix and not kept in the log (shell output). */
int nk_printf(const char *fmt, ...) __nk_printf(1, 2);
int nk_vprintf(const char *fmt, va_list ap);
void nk_puts_raw(const char *s, size_t len);

/* Formatting into a buffer: C99 semantics (returns the length it would have written). */
int nk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int nk_snprintf(char *buf, size_t size, const char *fmt, ...) __nk_printf(3, 4);

/* Console log threshold: messages with level <= this reach the consoles (all reach the ring). */
void nk_printk_set_console_level(int level);
int nk_printk_console_level(void);

/* Print the kernel log ring (dmesg). */
void nk_printk_dump(void);

/* For panic, after the other CPUs are stopped: make the log lock free. */
void nk_printk_break_lock(void);

#endif
