/* panic(): for broken invariants and failed bring-up; prints file:line, registers, backtrace. */
#ifndef NK_NAUTILUS_PANIC_H
#define NK_NAUTILUS_PANIC_H

#include <nautilus/compiler.h>
#include <nautilus/types.h>

void nk_panic_at(const char *file, int line, const char *fmt, ...) __nk_noreturn __nk_printf(3, 4);
/* A CPU is panicking: the others stop (their NMI handler halts) instead of reporting. */
bool nk_panic_in_progress(void);

#define panic(fmt, ...) nk_panic_at(__FILE__, __LINE__, fmt, ##__VA_ARGS__)

#define NK_BUG_ON(cond)                            \
	do {                                       \
		if (__builtin_expect(!!(cond), 0)) \
			panic("BUG: %s", #cond);   \
	} while (0)

#endif
