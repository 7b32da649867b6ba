/* Kernel setjmp/longjmp (callee-saved registers, stack, flags); src/arch/x64/setjmp.S. */
#ifndef NK_ARCH_X64_SETJMP_H
#define NK_ARCH_X64_SETJMP_H

#include <nautilus/types.h>

struct nk_jmpbuf {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip, rflags;
};

int nk_setjmp(struct nk_jmpbuf *jb) __attribute__((returns_twice));
void nk_longjmp(struct nk_jmpbuf *jb, int val) __attribute__((noreturn));

#endif
