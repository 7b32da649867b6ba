/*
 * What the boot loader told us, in one shape whatever the protocol (multiboot2 or PVH).
 * Everything is copied into kernel storage before memory is handed out, so the loader's own
 * structure can be overwritten; module contents stay where they are and the boot allocator
 * reserves them.
 */
#ifndef NK_NAUTILUS_BOOT_INFO_H
#define NK_NAUTILUS_BOOT_INFO_H

#include <nautilus/types.h>

#define NK_BOOT_MAX_MMAP    128
#define NK_BOOT_MAX_MODULES 16
#define NK_BOOT_CMDLINE_MAX 1024
#define NK_BOOT_NAME_MAX    64

enum nk_mem_type {
	NK_MEM_USABLE = 1,
	NK_MEM_RESERVED = 2,
	NK_MEM_ACPI_RECLAIMABLE = 3,
	NK_MEM_ACPI_NVS = 4,
	NK_MEM_BAD = 5,
};

struct nk_mem_region {
	nk_paddr_t base;
	uint64_t len;
	uint32_t type; /* enum nk_mem_type */
};

struct nk_boot_module {
	nk_paddr_t start, end; /* [start, end) */
	char name[NK_BOOT_NAME_MAX];
};

enum nk_boot_protocol { NK_BOOT_MULTIBOOT2 = 1, NK_BOOT_PVH = 2 };

struct nk_boot_info {
	enum nk_boot_protocol protocol;
	char loader[NK_BOOT_NAME_MAX];
	char cmdline[NK_BOOT_CMDLINE_MAX];
	size_t nr_mmap;
	struct nk_mem_region mmap[NK_BOOT_MAX_MMAP];
	size_t nr_modules;
	struct nk_boot_module modules[NK_BOOT_MAX_MODULES];
	/* ACPI root pointer: physical address (PVH, BIOS scan) and/or a copy from multiboot2. */
	nk_paddr_t rsdp_paddr;
	uint8_t rsdp_copy[36];
	uint8_t rsdp_copy_len; /* 0: none, 20: ACPI 1.0, 36: ACPI 2.0+ */
	/* x86: the EBDA named by the BIOS data area, read before page 0 is unmapped (0: none). */
	nk_paddr_t ebda_paddr;
};

/* The boot information of this boot (filled by the arch before nk_main). */
extern struct nk_boot_info nk_boot_info;

const char *nk_mem_type_name(uint32_t type);

#endif
