/*
 * Application processor start-up code, copied to NK_TRAMPOLINE_BASE (below 1 MiB, page aligned)
 * by smp.c. A STARTUP IPI starts the AP in real mode at that page (Intel SDM vol. 3A 9.4.4); it
 * enters protected mode on a small GDT of its own, takes the boot CPU's CR4, CR3 and EFER, turns
 * on paging (long mode), and calls entry(cpu) on its own stack, all read from struct
 * nk_trampoline_data at the end of the page.
 */
#include <arch/x64/smp.h>

#define ABS(x) (NK_TRAMPOLINE_BASE + ((x) - nk_trampoline_start))

	.section .rodata
	.balign 16
	.globl nk_trampoline_start
nk_trampoline_start:
	.code16
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl ABS(tr_gdt_ptr)
	movl %cr0, %eax
	orl $1, %eax /* PE */
	movl %eax, %cr0
	ljmpl $0x18, $ABS(tr_protected)

	.code32
tr_protected:
	movw $0x20, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl ABS(tr_data) + TRAMP_CR4, %eax
	movl %eax, %cr4
	movl ABS(tr_data) + TRAMP_CR3, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx /* IA32_EFER: LME and what else the boot CPU has */
	movl ABS(tr_data) + TRAMP_EFER, %eax
	xorl %edx, %edx
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax /* PG | PE */
	movl %eax, %cr0
	ljmpl $0x08, $ABS(tr_long)

	.code64
tr_long:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movq ABS(tr_data) + TRAMP_STACK, %rsp
	movq ABS(tr_data) + TRAMP_CPU, %rdi
	movq ABS(tr_data) + TRAMP_ENTRY, %rax
	xorl %ebp, %ebp
	pushq $0 /* no return address: ends backtraces */
	jmp *%rax

	.balign 8
/* 0x08: 64-bit code, 0x10: data (as the kernel's GDT), 0x18: 32-bit code, 0x20: 32-bit data. */
tr_gdt:
	.quad 0
	.quad 0x00af9a000000ffff
	.quad 0x00cf92000000ffff
	.quad 0x00cf9a000000ffff
	.quad 0x00cf92000000ffff
tr_gdt_end:
tr_gdt_ptr:
	.word tr_gdt_end - tr_gdt - 1
	.long ABS(tr_gdt)

	.balign 8
	.globl nk_trampoline_data
nk_trampoline_data:
tr_data:
	.fill TRAMP_DATA_SIZE, 1, 0
	.globl nk_trampoline_end
nk_trampoline_end:

	.section .note.GNU-stack, "", @progbits
