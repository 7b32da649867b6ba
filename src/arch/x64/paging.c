/*
 * The kernel's page tables: every byte of RAM (and the first 4 GiB, where devices live)
 * identity-mapped with 1 GiB pages where the CPU has them, else 2 MiB pages; the first 2 MiB
 * use 4 KiB pages so that page 0 can stay unmapped and a NULL dereference faults.
 * Tables come from a static pool, so no allocator is needed yet; memory beyond what the pool
 * can map is removed from the memory map with a warning.
 */
#include <arch/x64/arch.h>
#include <arch/x64/boot.h>
#include <arch/x64/cpu.h>
#include <nautilus/arch.h>
#include <nautilus/boot_info.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>

#define GIB	   (1ULL << 30)
#define MIB2	   (2ULL << 20)
#define POOL_PAGES 80 /* PML4, PDPTs, PDs: 64 GiB with 2 MiB pages, 512 GiB with 1 GiB pages */

typedef uint64_t pte_t;

static pte_t pool[POOL_PAGES][512] __nk_aligned(4096);
static unsigned pool_used;
static uint64_t mapped_end; /* [4096, mapped_end) is mapped */

static pte_t *table_alloc(void)
{
	if (pool_used == POOL_PAGES)
		return NULL;
	return pool[pool_used++];
}

static bool has_1g_pages(void)
{
	uint32_t r[4];

	cpuid(0x80000000, 0, r);
	if (r[0] < 0x80000001)
		return false;
	cpuid(0x80000001, 0, r);
	return r[3] & (1 << 26); /* CPUID.80000001H:EDX.Page1GB */
}

/*
 * End of RAM (usable or ACPI), and never less than 4 GiB, where devices and the APICs live.
 * Reserved ranges above 4 GiB (QEMU reserves 1 TiB - 12 GiB for its HyperTransport hole) are
 * not RAM and are left unmapped.
 */
static uint64_t memory_end(void)
{
	uint64_t end = 4 * GIB;

	for (size_t i = 0; i < nk_boot_info.nr_mmap; i++) {
		const struct nk_mem_region *r = &nk_boot_info.mmap[i];

		if (r->type != NK_MEM_RESERVED && r->type != NK_MEM_BAD)
			end = NK_MAX(end, r->base + r->len);
	}
	return NK_ALIGN_UP(end, GIB);
}

/* The first GiB: 2 MiB pages, and 4 KiB pages for the first 2 MiB with page 0 absent. */
static pte_t *map_first_gib(void)
{
	pte_t *pd = table_alloc(), *pt = table_alloc();

	for (uint64_t i = 1; i < 512; i++)
		pt[i] = (i << 12) | PTE_P | PTE_W;
	pd[0] = (uint64_t)pt | PTE_P | PTE_W;
	for (uint64_t i = 1; i < 512; i++)
		pd[i] = (i * MIB2) | PTE_P | PTE_W | PTE_PS;
	return pd;
}

/* Map gigabyte number g (g > 0); false when the pool is exhausted. */
static bool map_gib(pte_t *pdpt, uint64_t g, bool big)
{
	pte_t *pd;

	if (big) {
		pdpt[g % 512] = (g * GIB) | PTE_P | PTE_W | PTE_PS;
		return true;
	}
	pd = table_alloc();
	if (!pd)
		return false;
	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (g * GIB + i * MIB2) | PTE_P | PTE_W | PTE_PS;
	pdpt[g % 512] = (uint64_t)pd | PTE_P | PTE_W;
	return true;
}

/* Drop usable memory at or above the mapped end so nobody allocates it. */
static void trim_memory_map(uint64_t end)
{
	for (size_t i = 0; i < nk_boot_info.nr_mmap; i++) {
		struct nk_mem_region *r = &nk_boot_info.mmap[i];

		if (r->type != NK_MEM_USABLE || r->base + r->len <= end)
			continue;
		nk_warn("paging: RAM above 0x%llx cannot be mapped and is not used",
			(unsigned long long)end);
		r->len = r->base >= end ? 0 : end - r->base;
	}
}

void nk_paging_init(void)
{
	bool big = has_1g_pages();
	uint64_t end = memory_end(), g;
	pte_t *pml4 = table_alloc(), *pdpt = NULL;

	for (g = 0; g * GIB < end; g++) {
		if (g % 512 == 0) {
			pdpt = table_alloc();
			if (!pdpt)
				break;
			pml4[g / 512] = (uint64_t)pdpt | PTE_P | PTE_W;
		}
		if (g == 0)
			pdpt[0] = (uint64_t)map_first_gib() | PTE_P | PTE_W;
		else if (!map_gib(pdpt, g, big))
			break;
	}
	mapped_end = g * GIB;
	if (mapped_end < end)
		trim_memory_map(mapped_end);
	write_cr3((uint64_t)pml4);
	nk_info("identity map 0-%llu GiB with %s pages, page 0 unmapped, %u table pages",
		(unsigned long long)(mapped_end / GIB), big ? "1 GiB" : "2 MiB", pool_used);
}

bool nk_arch_range_is_mapped(uint64_t addr, uint64_t len)
{
	uint64_t limit = mapped_end ? mapped_end : 4 * GIB; /* boot.S maps 4 GiB */

	return addr >= 4096 && len <= limit && addr <= limit - len;
}
