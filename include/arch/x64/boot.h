/* Constants shared by the boot assembly and the C code that takes over from it. */
#ifndef NK_ARCH_X64_BOOT_H
#define NK_ARCH_X64_BOOT_H

#define MB2_HEADER_MAGIC     0xe85250d6 /* multiboot2 spec 3.1.1 */
#define MB2_BOOTLOADER_MAGIC 0x36d76289 /* multiboot2 spec 3.3: eax at entry */
#define PVH_START_MAGIC	     0x336ec578 /* xen/include/public/arch-x86/hvm/start_info.h */

#define NK_BOOT_PROTO_MB2 1 /* enum nk_boot_protocol */
#define NK_BOOT_PROTO_PVH 2

#define BOOT_CS		0x08
#define BOOT_DS		0x10
#define BOOT_STACK_SIZE (16 * 1024)

/* Intel SDM vol. 3A 2.5 (control registers), 4.5 (4-level paging), 2.2.1 (EFER). */
#define CR0_PE	 (1 << 0)
#define CR0_WP	 (1 << 16)
#define CR0_PG	 (1 << 31)
#define CR4_PAE	 (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define PTE_P	 0x1
#define PTE_W	 0x2
#define PTE_PS	 0x80
#define PTE_PWT	 0x8 /* with PCD and the power-up PAT: uncached (SDM vol. 3A 11.12.3) */
#define PTE_PCD	 0x10
/* SDM vol. 3A 4.5, tables 4-17 to 4-20 (1 GiB, 2 MiB and 4 KiB entries). */
#define PTE_PAT_4K    0x80   /* bit 7 of a 4 KiB entry: PAT (PS in the levels above) */
#define PTE_PAT_LARGE 0x1000 /* bit 12 of a 1 GiB / 2 MiB entry: PAT */
#define PTE_GUARD     0x200  /* bit 9, ignored by the CPU: ours, marks a guard page */

#define COM1 0x3f8

#endif
