/* Segment selectors and IST slots (src/arch/x64/gdt.c). */
#ifndef NK_ARCH_X64_GDT_H
#define NK_ARCH_X64_GDT_H

#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_TSS	      0x18

/* IST indices (1-based as in the IDT gate): one stack each. */
#define IST_NMI		  1
#define IST_DOUBLE_FAULT  2
#define IST_MACHINE_CHECK 3

#endif
