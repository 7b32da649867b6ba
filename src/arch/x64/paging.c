/*
 * The kernel's page tables: every byte of RAM (and the first 4 GiB, where devices live)
 * identity-mapped with 1 GiB pages where the CPU has them, else 2 MiB pages; the first 2 MiB
 * use 4 KiB pages so that page 0 can stay unmapped and a NULL dereference faults.
 * Tables come from a static pool, so no allocator is needed yet; memory beyond what the pool
 * can map is removed from the memory map with a warning.
 * Guard pages: a 4 KiB page made not present (a stack's lowest page), the large page around it
 * split into smaller ones with tables from the page allocator.
 */
#include <arch/x64/arch.h>
#include <arch/x64/boot.h>
#include <arch/x64/cpu.h>
#include <nautilus/arch.h>
#include <nautilus/boot_info.h>
#include <nautilus/errno.h>
#include <nautilus/irq.h>
#include <nautilus/kernel.h>
#include <nautilus/mm.h>
#include <nautilus/printk.h>
#include <nautilus/spinlock.h>
#include <nautilus/string.h>

#define GIB	   (1ULL << 30)
#define MIB2	   (2ULL << 20)
#define POOL_PAGES 80 /* PML4, PDPTs, PDs: 64 GiB with 2 MiB pages, 512 GiB with 1 GiB pages */

typedef uint64_t pte_t;

static pte_t pool[POOL_PAGES][512] __nk_aligned(4096);
static unsigned pool_used;
static uint64_t mapped_end; /* [4096, mapped_end) is mapped, guard pages aside */
static pte_t *pml4;

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
	pte_t *pdpt = NULL;

	pml4 = table_alloc();
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

/* --- guard pages --- */

/* Bits 51:12 of an entry: the physical address (SDM vol. 3A 4.5, MAXPHYADDR is at most 52). */
#define PTE_ADDR_MASK 0x000ffffffffff000ULL

/*
 * pt_lock serialises every change to the tables after boot. Readers (nk_arch_page_is_guarded,
 * the fault report) walk without it: a split fills the new table before the release store that
 * links it, entries are written whole, and tables are never freed, so a walker sees either the
 * old large page or the complete new table.
 */
static struct nk_spinlock pt_lock = NK_SPINLOCK_INIT;
static uint64_t nr_guarded;  /* pages guarded now; 0 keeps the queries to one load */
static uint64_t table_pages; /* tables taken from the page allocator by splits */

static inline pte_t pte_load(const pte_t *e)
{
	return __atomic_load_n(e, __ATOMIC_ACQUIRE);
}

static inline void pte_store(pte_t *e, pte_t v)
{
	__atomic_store_n(e, v, __ATOMIC_RELEASE);
}

static inline void invlpg(uint64_t addr)
{
	asm volatile("invlpg (%0)" : : "r"(addr) : "memory");
}

/* Index of addr in the table at level (3: PML4, 2: PDPT, 1: PD, 0: PT), SDM vol. 3A 4.5. */
static inline unsigned pt_index(uint64_t addr, int level)
{
	return (addr >> (12 + 9 * level)) & 511;
}

/* Bytes an entry at level maps: 4 KiB at level 0, 2 MiB at 1, 1 GiB at 2. */
static inline uint64_t level_size(int level)
{
	return 4096ULL << (9 * level);
}

static inline bool is_guard(pte_t v)
{
	return (v & (PTE_P | PTE_GUARD)) == PTE_GUARD;
}

/*
 * The entry that decides addr's mapping: a 4 KiB entry (*level 0), a 2 MiB or 1 GiB one (1, 2),
 * or the not-present entry where the walk stopped. Lock-free (see pt_lock).
 */
static pte_t *leaf_of(uint64_t addr, int *level)
{
	pte_t *table = pml4;

	for (int l = 3;; l--) {
		pte_t *e = &table[pt_index(addr, l)];
		pte_t v = pte_load(e);

		if (l == 0 || !(v & PTE_P) || (l <= 2 && (v & PTE_PS))) {
			*level = l;
			return e;
		}
		table = (pte_t *)(v & PTE_ADDR_MASK);
	}
}

/* A page for a new table: from the static pool until the page allocator is up. */
static pte_t *split_table_alloc(void)
{
	pte_t *t;

	if (!nk_zone_count())
		return table_alloc();
	t = nk_page_alloc(0, -1);
	if (t)
		__atomic_store_n(&table_pages, table_pages + 1, __ATOMIC_RELAXED);
	return t;
}

/* Flags of a 1 GiB / 2 MiB entry as a 4 KiB entry has them: PAT moves from bit 12 to bit 7. */
static pte_t small_flags(pte_t large_flags)
{
	pte_t f = large_flags & ~(pte_t)(PTE_PS | PTE_PAT_LARGE);

	return large_flags & PTE_PAT_LARGE ? f | PTE_PAT_4K : f;
}

/*
 * Replace the large page of entry e (level 1 or 2) by a table of 512 entries mapping the same
 * memory with the same flags: 2 MiB pages for a 1 GiB one, 4 KiB pages for a 2 MiB one. All 512
 * entries are written, so the page needs no zeroing; it is linked as nk_paging_init links its
 * tables (present, writable). The new table, or NULL (-ENOMEM).
 */
static pte_t *split(pte_t *e, int level)
{
	pte_t old = pte_load(e), flags, *t = split_table_alloc();
	uint64_t size = level_size(level), step = level_size(level - 1);
	uint64_t base = old & PTE_ADDR_MASK & ~(size - 1);

	if (!t)
		return NULL;
	flags = (old & ~PTE_ADDR_MASK) | (old & PTE_PAT_LARGE);
	if (level == 1)
		flags = small_flags(flags);
	for (uint64_t i = 0; i < 512; i++)
		t[i] = (base + i * step) | flags;
	pte_store(e, (uint64_t)t | PTE_P | PTE_W);
	return t;
}

/*
 * Under pt_lock: split down to addr's 4 KiB entry and clear its present bit. The invlpg drops
 * this CPU's translations of addr, of any size, and its paging-structure caches (SDM vol. 3A
 * 4.10.4.1); the large page's other addresses keep their frames and flags, so a stale large
 * translation of them is harmless (4.10.2.3).
 */
static int guard_locked(uint64_t addr)
{
	int level;
	pte_t *e = leaf_of(addr, &level);

	while (level > 0 && (pte_load(e) & PTE_P)) {
		pte_t *t = split(e, level);

		if (!t)
			return -ENOMEM;
		e = &t[pt_index(addr, --level)];
	}
	if (!(pte_load(e) & PTE_P))
		return level == 0 && is_guard(pte_load(e)) ? -EEXIST : -EINVAL;
	pte_store(e, (pte_load(e) & ~(pte_t)PTE_P) | PTE_GUARD);
	__atomic_store_n(&nr_guarded, nr_guarded + 1, __ATOMIC_RELAXED);
	invlpg(addr);
	return 0;
}

/*
 * Present and writable again. No TLB flush: no CPU caches a not-present entry (SDM vol. 3A
 * 4.10.4.3). The split tables stay: merging back is more code for nothing, as a freed stack's
 * page is likely guarded again soon (stacks are recycled), and readers walk without the lock,
 * which is safe only because tables are never freed.
 */
static int unguard_locked(uint64_t addr)
{
	int level;
	pte_t *e = leaf_of(addr, &level);

	if (level != 0 || !is_guard(pte_load(e)))
		return -EINVAL;
	pte_store(e, (pte_load(e) & ~(pte_t)PTE_GUARD) | PTE_P | PTE_W);
	__atomic_store_n(&nr_guarded, nr_guarded - 1, __ATOMIC_RELAXED);
	return 0;
}

/* One page of usable RAM below mapped_end (the map's usable regions, as the allocators use). */
static bool is_ram_page(uint64_t addr)
{
	if (addr + NK_PAGE_SIZE > mapped_end)
		return false;
	for (size_t i = 0; i < nk_boot_info.nr_mmap; i++) {
		const struct nk_mem_region *r = &nk_boot_info.mmap[i];

		if (r->type == NK_MEM_USABLE && r->base <= addr &&
		    addr + NK_PAGE_SIZE <= r->base + r->len)
			return true;
	}
	return false;
}

static int check_page(uint64_t addr)
{
	uint64_t image = (uint64_t)_kernel_start, image_end = (uint64_t)_kernel_end;

	if (!pml4 || addr & (NK_PAGE_SIZE - 1) || addr < NK_PAGE_SIZE)
		return -EINVAL;
	if (addr < image_end && addr + NK_PAGE_SIZE > image)
		return -EINVAL;
	return is_ram_page(addr) ? 0 : -EINVAL;
}

static void flush_page(void *addr)
{
	invlpg((uint64_t)addr);
}

int nk_arch_page_guard(void *page)
{
	uint64_t addr = (uint64_t)page;
	unsigned long flags;
	int err = check_page(addr), missing;

	if (err)
		return err;
	flags = nk_spin_lock_irqsave(&pt_lock);
	err = guard_locked(addr);
	nk_spin_unlock_irqrestore(&pt_lock, flags);
	if (err)
		return err;
	/* Outside the lock: a CPU spinning on it with interrupts off could not take the IPI. */
	missing = nk_xcall_all(flush_page, page, true);
	if (missing) {
		nk_err("guard page 0x%llx: %d CPUs did not flush their TLB",
		       (unsigned long long)addr, missing);
		return -ETIMEDOUT;
	}
	return 0;
}

int nk_arch_page_unguard(void *page)
{
	uint64_t addr = (uint64_t)page;
	unsigned long flags;
	int err = check_page(addr);

	if (err)
		return err;
	flags = nk_spin_lock_irqsave(&pt_lock);
	err = unguard_locked(addr);
	nk_spin_unlock_irqrestore(&pt_lock, flags);
	return err;
}

bool nk_arch_page_is_guarded(const void *addr)
{
	int level;
	pte_t *e;

	if (!__atomic_load_n(&nr_guarded, __ATOMIC_RELAXED) || (uint64_t)addr >= mapped_end)
		return false;
	e = leaf_of((uint64_t)addr, &level);
	return level == 0 && is_guard(pte_load(e));
}

uint64_t nk_arch_page_size(const void *addr)
{
	int level;
	pte_t *e;

	if (!pml4 || (uint64_t)addr >> 48)
		return 0; /* not canonical in the identity map's lower half */
	e = leaf_of((uint64_t)addr, &level);
	return pte_load(e) & PTE_P ? level_size(level) : 0;
}

uint64_t nk_arch_page_table_pages(void)
{
	return __atomic_load_n(&table_pages, __ATOMIC_RELAXED);
}

/* [addr, end) touches a guard page: one step per large page, one per 4 KiB entry in a table. */
static bool range_has_guard(uint64_t addr, uint64_t end)
{
	while (addr < end) {
		int level;
		pte_t *e = leaf_of(addr, &level);

		if (level == 0 && is_guard(pte_load(e)))
			return true;
		addr = NK_ALIGN_DOWN(addr, level_size(level)) + level_size(level);
	}
	return false;
}

bool nk_arch_range_is_mapped(uint64_t addr, uint64_t len)
{
	uint64_t limit = mapped_end ? mapped_end : 4 * GIB; /* boot.S maps 4 GiB */

	if (addr < 4096 || len > limit || addr > limit - len)
		return false;
	return !__atomic_load_n(&nr_guarded, __ATOMIC_RELAXED) ||
	       !range_has_guard(addr, addr + len);
}

/* --- device memory --- */

#define PTE_UC (PTE_PCD | PTE_PWT)

/* CPUID.80000008H:EAX[7:0], the physical address width (SDM vol. 2A, CPUID). */
static unsigned phys_bits(void)
{
	uint32_t r[4];

	cpuid(0x80000000, 0, r);
	if (r[0] < 0x80000008)
		return 36;
	cpuid(0x80000008, 0, r);
	return r[0] & 0xff;
}

/* [addr, end) overlaps memory the firmware lists as RAM (usable or ACPI). */
static bool overlaps_ram(uint64_t addr, uint64_t end)
{
	for (size_t i = 0; i < nk_boot_info.nr_mmap; i++) {
		const struct nk_mem_region *r = &nk_boot_info.mmap[i];

		if (r->type == NK_MEM_RESERVED || r->type == NK_MEM_BAD || !r->len)
			continue;
		if (addr < r->base + r->len && r->base < end)
			return true;
	}
	return false;
}

/* An empty table linked at e (a not-present entry above the leaves): present, writable. */
static int link_new_table(pte_t *e)
{
	pte_t *t = split_table_alloc();

	if (!t)
		return -ENOMEM;
	memset(t, 0, NK_PAGE_SIZE);
	pte_store(e, (uint64_t)t | PTE_P | PTE_W);
	return 0;
}

/* Entry e at level, present, made uncached: the PAT bit cleared (PAT entry 3 is UC). */
static pte_t uc_entry(pte_t v, int level)
{
	v &= ~(pte_t)(level ? PTE_PAT_LARGE : PTE_PAT_4K);
	return v | PTE_UC;
}

/*
 * Under pt_lock: one step of mapping [addr, end) uncached at addr's entry. Returns the bytes
 * covered (0: tables changed, walk again) or -errno; *changed when a present entry changed
 * type, which other CPUs may have cached.
 */
static int64_t mmio_step(uint64_t addr, uint64_t end, bool *changed)
{
	int level;
	pte_t *e = leaf_of(addr, &level);
	pte_t v = pte_load(e);
	uint64_t size = level_size(level);
	bool whole = NK_IS_ALIGNED(addr, size) && end - addr >= size;

	if (!(v & PTE_P)) {
		if (v & PTE_GUARD)
			return -EINVAL;
		if (level == 0 || (level == 1 && whole)) {
			pte_store(e, addr | PTE_P | PTE_W | PTE_UC | (level ? PTE_PS : 0));
			return size;
		}
		return link_new_table(e) ?: 0;
	}
	if ((v & PTE_UC) == PTE_UC)
		return NK_ALIGN_DOWN(addr, size) + size - addr;
	if (level > 0 && !whole)
		return split(e, level) ? 0 : -ENOMEM;
	pte_store(e, uc_entry(v, level));
	invlpg(addr);
	*changed = true;
	return size;
}

static void flush_tlb(void *unused)
{
	write_cr3(read_cr3());
}

void *nk_arch_mmio_map(uint64_t paddr, uint64_t len)
{
	uint64_t addr = NK_ALIGN_DOWN(paddr, NK_PAGE_SIZE), end;
	bool changed = false;
	unsigned long flags;
	int64_t step = 0;

	if (!pml4 || !len || paddr + len < paddr || paddr < NK_PAGE_SIZE)
		return NULL;
	end = NK_ALIGN_UP(paddr + len, NK_PAGE_SIZE);
	if (end > (1ULL << phys_bits()) || overlaps_ram(addr, end))
		return NULL;
	flags = nk_spin_lock_irqsave(&pt_lock);
	while (addr < end && step >= 0) {
		step = mmio_step(addr, end, &changed);
		if (step > 0)
			addr += step;
	}
	nk_spin_unlock_irqrestore(&pt_lock, flags);
	if (changed && nk_xcall_all(flush_tlb, NULL, true))
		nk_err("mmio map 0x%llx: some CPUs did not flush their TLB",
		       (unsigned long long)paddr);
	return step < 0 ? NULL : (void *)(uintptr_t)paddr;
}
