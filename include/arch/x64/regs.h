/* The register frame built by the trap entry stubs (src/arch/x64/entry.S), lowest address first. */
#ifndef NK_ARCH_X64_REGS_H
#define NK_ARCH_X64_REGS_H

#include <nautilus/types.h>

struct nk_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	/* Pushed by the CPU (Intel SDM vol. 3A 6.14.1). */
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Print every register, RIP symbolized, at log level lvl. */
void nk_regs_dump(int lvl, const struct nk_regs *r);
/* Backtrace walking saved frame pointers from rbp. */
void nk_backtrace_from(int lvl, uint64_t rbp);

#endif
