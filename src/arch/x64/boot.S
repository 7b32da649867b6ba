/*
 * First instructions: the multiboot2 header and entry (GRUB), the PVH ELF note and entry
 * (qemu -kernel), both in 32-bit protected mode. They record which protocol brought us here,
 * identity-map the first 4 GiB with 2 MiB pages, enter long mode and call nk_arch_boot(protocol,
 * info) on the boot stack. src/arch/x64/paging.c replaces these tables with the final map.
 */
#include <arch/x64/boot.h>

	.section .multiboot2, "a"
	.balign 8
/* Multiboot2 specification 3.1: magic, architecture (0: i386 protected mode), length, checksum. */
mb2_header:
	.long MB2_HEADER_MAGIC
	.long 0
	.long mb2_header_end - mb2_header
	.long -(MB2_HEADER_MAGIC + 0 + (mb2_header_end - mb2_header))
	/* End tag: type 0, flags 0, size 8. */
	.word 0, 0
	.long 8
mb2_header_end:

/* PVH: Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY (18), the 32-bit entry point QEMU jumps to. */
	.section .note.Xen, "a"
	.balign 4
	.long 4
	.long 4
	.long 18
	.asciz "Xen"
	.balign 4
	.long nk_pvh_entry

	.section .boot.text, "ax"
	.code32

/* GRUB: eax = multiboot2 magic, ebx = physical address of the boot information. */
	.globl nk_mb2_entry
nk_mb2_entry:
	cli
	cld
	cmpl $MB2_BOOTLOADER_MAGIC, %eax
	jne bad_magic
	movl %ebx, boot_info_paddr
	movl $NK_BOOT_PROTO_MB2, boot_protocol
	jmp boot32

/* QEMU PVH: ebx = physical address of struct hvm_start_info (checked in C). */
	.globl nk_pvh_entry
nk_pvh_entry:
	cli
	cld
	movl %ebx, boot_info_paddr
	movl $NK_BOOT_PROTO_PVH, boot_protocol

boot32:
	/* Zero .bss first (inline: the boot stack lives there). */
	movl $_bss_start, %edi
	movl $_bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb
	movl $boot_stack_top, %esp
	call check_long_mode
	call build_boot_tables

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_PE | CR0_WP), %eax
	movl %eax, %cr0

	lgdt boot_gdt_desc
	ljmp $BOOT_CS, $boot64

/* CPUID 0x80000001 EDX bit 29: long mode. */
check_long_mode:
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	testl $(1 << 29), %edx
	jz no_long_mode
	ret

/* PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 2 MiB pages: 0..4 GiB identity. */
build_boot_tables:
	movl $(boot_pdpt + PTE_P + PTE_W), boot_pml4
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl $(boot_pd + PTE_P + PTE_W), %eax
	movl %eax, boot_pdpt(, %ecx, 8)
	incl %ecx
	cmpl $4, %ecx
	jne 1b
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P + PTE_W + PTE_PS), %eax
	movl %eax, boot_pd(, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jne 2b
	ret

bad_magic:
	movl $msg_bad_magic, %esi
	jmp fail32
no_long_mode:
	movl $msg_no_long_mode, %esi
/* Print the string at esi on COM1 (polled, as the firmware left it) and stop. */
fail32:
	movw $(COM1 + 5), %dx
3:	inb %dx, %al
	testb $0x20, %al
	jz 3b
	movw $COM1, %dx
	lodsb
	testb %al, %al
	jz 4f
	outb %al, %dx
	jmp fail32
4:	hlt
	jmp 4b

	.code64
boot64:
	movw $BOOT_DS, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	movl boot_protocol, %edi
	movl boot_info_paddr, %esi
	call nk_arch_boot
5:	cli
	hlt
	jmp 5b

	.section .rodata
msg_bad_magic:
	.asciz "nautilus: not started by a multiboot2 loader (bad magic in eax)\r\n"
msg_no_long_mode:
	.asciz "nautilus: this CPU has no 64-bit long mode\r\n"

	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff /* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff /* 0x10: data, DPL 0 */
boot_gdt_end:
boot_gdt_desc:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt

	.section .data
	.balign 4
boot_protocol:
	.long 0
boot_info_paddr:
	.long 0

	.section .bss
	.balign 4096
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
boot_pd:
	.skip 4 * 4096
	.globl boot_stack_top
boot_stack:
	.skip BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
