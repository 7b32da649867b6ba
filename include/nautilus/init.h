/*
 * Init calls: functions registered in a linker table, run by level after core bring-up.
 * A failed initcall is logged by name; boot stops only if it was registered as required.
 */
#ifndef NK_NAUTILUS_INIT_H
#define NK_NAUTILUS_INIT_H

#include <nautilus/types.h>

typedef int (*nk_initcall_fn)(void);

struct nk_initcall {
	nk_initcall_fn fn;
	const char *name;
	int level;
	int required;
};

/* Levels, run in this order (the linker sorts the table by section name). */
#define NK_INIT_CORE   1
#define NK_INIT_ARCH   2
#define NK_INIT_SUBSYS 3
#define NK_INIT_DEVICE 4
#define NK_INIT_LATE   5

#define NK_INITCALL_(level, fn, req)                                               \
	static const struct nk_initcall __nk_initcall_##fn __nk_used __nk_section( \
		".nk_initcall." NK_STRINGIFY(level)) __nk_aligned(8) = { fn, #fn, level, req }
#define NK_INITCALL(level, fn)		NK_INITCALL_(level, fn, 0)
#define NK_INITCALL_REQUIRED(level, fn) NK_INITCALL_(level, fn, 1)

/* Run every registered initcall in level order. */
void nk_initcalls_run(void);
/* Run calls[0..n) in order: a failure is logged, a required one panics. Returns the failures. */
int nk_initcalls_run_list(const struct nk_initcall *calls, size_t n);
/* The registered table, in the order nk_initcalls_run uses. */
const struct nk_initcall *nk_initcalls_table(size_t *n);

#endif
