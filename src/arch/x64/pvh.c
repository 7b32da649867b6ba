/*
 * PVH boot (qemu -kernel): struct hvm_start_info from Xen's public start_info.h, version 1
 * (with memory map). Filled into the same nk_boot_info as multiboot2.
 */
#include <arch/x64/arch.h>
#include <arch/x64/boot.h>
#include <nautilus/boot_info.h>
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

static void take_memmap(const struct hvm_start_info *si)
{
	const struct hvm_memmap_entry *e = (const void *)si->memmap_paddr;
	size_t n = si->memmap_entries;

	if (n > NK_BOOT_MAX_MMAP) {
		nk_warn("pvh: %zu memory regions, only %d kept", n, NK_BOOT_MAX_MMAP);
		n = NK_BOOT_MAX_MMAP;
	}
	for (size_t i = 0; i < n; i++) {
		nk_boot_info.mmap[i].base = e[i].addr;
		nk_boot_info.mmap[i].len = e[i].size;
		nk_boot_info.mmap[i].type = e[i].type <= NK_MEM_BAD ? e[i].type : NK_MEM_RESERVED;
	}
	nk_boot_info.nr_mmap = n;
}

static void take_modules(const struct hvm_start_info *si)
{
	const struct hvm_modlist_entry *m = (const void *)si->modlist_paddr;
	size_t n = NK_MIN((size_t)si->nr_modules, (size_t)NK_BOOT_MAX_MODULES);

	if (si->nr_modules > NK_BOOT_MAX_MODULES)
		nk_warn("pvh: %u modules, only %d kept", si->nr_modules, NK_BOOT_MAX_MODULES);
	for (size_t i = 0; i < n; i++) {
		struct nk_boot_module *mod = &nk_boot_info.modules[i];

		mod->start = m[i].paddr;
		mod->end = m[i].paddr + m[i].size;
		if (m[i].cmdline_paddr)
			nk_strlcpy(mod->name, (const char *)m[i].cmdline_paddr, sizeof(mod->name));
	}
	nk_boot_info.nr_modules = n;
}

int nk_pvh_parse(uint64_t info_paddr)
{
	const struct hvm_start_info *si = (const void *)info_paddr;

	nk_boot_info.protocol = NK_BOOT_PVH;
	nk_strlcpy(nk_boot_info.loader, "PVH (qemu -kernel)", NK_BOOT_NAME_MAX);
	if (si->magic != PVH_START_MAGIC) {
		nk_err("pvh: bad start info magic 0x%x", si->magic);
		return -EINVAL;
	}
	if (si->version < 1 || !si->memmap_paddr || !si->memmap_entries) {
		nk_err("pvh: start info version %u has no memory map", si->version);
		return -EINVAL;
	}
	if (si->cmdline_paddr && nk_strlcpy(nk_boot_info.cmdline, (const char *)si->cmdline_paddr,
					    NK_BOOT_CMDLINE_MAX) >= NK_BOOT_CMDLINE_MAX)
		nk_warn("pvh: command line truncated to %d bytes", NK_BOOT_CMDLINE_MAX - 1);
	nk_boot_info.rsdp_paddr = si->rsdp_paddr;
	take_memmap(si);
	take_modules(si);
	return 0;
}
