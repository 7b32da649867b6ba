/*
 * Thread context switch and the first frames of new and forked threads. A switch saves only
 * what the SysV ABI makes callee-saved (rbx, rbp, r12-r15) on the old stack: the caller of
 * nk_arch_context_switch is a C function that expects everything else clobbered. Vector state
 * is the FPU code's (fpu.c). Interrupts are off across a switch.
 */
	.text

/* void nk_arch_context_switch(void **save_sp, void *next_sp) */
	.globl nk_arch_context_switch
nk_arch_context_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/*
 * A new thread's first return lands here: an ABI-aligned stack and an empty frame-pointer
 * chain, then the scheduler's entry (which never returns).
 */
	.globl nk_arch_thread_start
nk_arch_thread_start:
	xorl %ebp, %ebp
	andq $-16, %rsp
	call nk_sched_thread_entry
	ud2

/*
 * nk_thread_id_t nk_thread_fork(void): record the caller's callee-saved registers, frame
 * pointer and return address (struct nk_fork_frame, lowest address first) for the C side,
 * which copies the caller's frame to the child's stack.
 */
	.globl nk_thread_fork
nk_thread_fork:
	pushq %rbp
	movq %rsp, %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	subq $8, %rsp
	call nk_sched_fork
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/*
 * A forked child's first return lands here with the parent's callee-saved registers and the
 * copied frame, the forking function's return address on top: finish the switch, then return
 * 0 from nk_thread_fork.
 */
	.globl nk_arch_fork_child_start
nk_arch_fork_child_start:
	subq $8, %rsp
	call nk_sched_fork_child_entry
	addq $8, %rsp
	xorl %eax, %eax
	ret

/* The forking function of a child returns here: the child exits with NULL. */
	.globl nk_arch_fork_child_exit
nk_arch_fork_child_exit:
	andq $-16, %rsp
	xorl %edi, %edi
	call nk_thread_exit
	ud2

	.section .note.GNU-stack, "", @progbits
