/* setjmp/longjmp for the kernel: layout of struct nk_jmpbuf in include/arch/x64/setjmp.h. */
	.text
	.globl nk_setjmp
nk_setjmp:
	movq %rbx, 0(%rdi)
	movq %rbp, 8(%rdi)
	movq %r12, 16(%rdi)
	movq %r13, 24(%rdi)
	movq %r14, 32(%rdi)
	movq %r15, 40(%rdi)
	leaq 8(%rsp), %rax /* the caller's rsp after we return */
	movq %rax, 48(%rdi)
	movq (%rsp), %rax
	movq %rax, 56(%rdi)
	pushfq
	popq 64(%rdi)
	xorl %eax, %eax
	ret

	.globl nk_longjmp
nk_longjmp:
	movq 0(%rdi), %rbx
	movq 8(%rdi), %rbp
	movq 16(%rdi), %r12
	movq 24(%rdi), %r13
	movq 32(%rdi), %r14
	movq 40(%rdi), %r15
	movq 48(%rdi), %rsp
	pushq 64(%rdi)
	popfq
	movl %esi, %eax
	testl %eax, %eax
	jnz 1f
	incl %eax
1:	jmpq *56(%rdi)

	.section .note.GNU-stack, "", @progbits
