/*
 * Physical memory: a boot allocator over the firmware memory map, then page-frame buddy
 * allocators, one per zone (a usable RAM region, split where NUMA nodes meet; each zone belongs
 * to one node), and kmem size classes on top (nk_malloc), per node, with small per-CPU caches of
 * free objects. Memory is identity-mapped: a physical address is a pointer.
 * Allocations without a node go to the calling CPU's node, then to the other nodes by distance
 * (numa.h has the _node variants).
 */
#ifndef NK_NAUTILUS_MM_H
#define NK_NAUTILUS_MM_H

#include <nautilus/compiler.h>
#include <nautilus/types.h>

#define NK_PAGE_SHIFT 12
#define NK_PAGE_SIZE  (1UL << NK_PAGE_SHIFT)
/* Largest buddy order: 2^18 pages = 1 GiB blocks. */
#define NK_MAX_ORDER 18

struct nk_boot_info;

/* --- boot allocator (used before the buddy allocators exist) --- */

/* Build the free/reserved view from the memory map; reserves the kernel image and modules. */
int nk_bootmem_init(const struct nk_boot_info *bi, nk_paddr_t kernel_start, nk_paddr_t kernel_end);
/* Mark [base, base+len) as not for the page allocator; what names it in meminfo/errors. */
int nk_bootmem_reserve(nk_paddr_t base, uint64_t len, const char *what);
/* Allocate from free memory (never page 0 / the first 1 MiB); panics on exhaustion. */
void *nk_bootmem_alloc(size_t size, size_t align);

/* --- page allocator --- */

/* Hand all free boot memory to per-zone buddy allocators; the boot allocator is then closed. */
int nk_mm_init(void);

/*
 * Allocate 2^order contiguous pages from zone_hint, or with -1 from the calling CPU's node; then
 * from the other nodes by distance (from the hinted zone's node). NULL only if no zone has room.
 */
void *nk_page_alloc(unsigned order, int zone_hint);
/* Free a block returned by nk_page_alloc (the order is remembered). */
void nk_page_free(void *addr);

struct nk_zone_info {
	int id;
	int node;
	nk_paddr_t base;
	uint64_t total_pages;
	uint64_t free_pages;
	int largest_free_order; /* -1 when empty */
};
int nk_zone_count(void);
int nk_zone_get_info(int zone, struct nk_zone_info *info);
/*
 * Free pages summed over all zones, after nk_kmem_drain_all: the count then does not depend on
 * which objects the per-CPU caches happen to hold, so tests compare it before and after to find
 * leaks. (nk_zone_get_info does not drain: it shows the zone as it is.)
 */
uint64_t nk_page_free_total(void);

/* Memory of one NUMA node: its zones summed. */
struct nk_node_mem_info {
	int zones;
	uint64_t total_pages;
	uint64_t free_pages;
};
/* 0, or -EINVAL for a node outside 0..NK_MAX_NODES-1 (a listed node without memory is all 0). */
int nk_node_mem_info(int node, struct nk_node_mem_info *info);

/* --- kmem --- */

/* On the calling CPU's node, falling back by distance; NULL only if no node has room. */
void *nk_malloc(size_t size);
void *nk_calloc(size_t n, size_t size);
void *nk_realloc(void *p, size_t size);
/* align: a power of two; the block is freed with nk_free. */
void *nk_malloc_aligned(size_t size, size_t align);
void nk_free(void *p);
/* Usable size of a block from nk_malloc (0 for NULL). */
size_t nk_malloc_usable_size(void *p);
/*
 * Return every object held in any CPU's cache to its slab (empty slabs go back to the zones).
 * Callable from any CPU at any time; each cache is taken under its own lock.
 */
void nk_kmem_drain_all(void);

/* Print zones and size classes (the meminfo command). */
void nk_mm_dump(void);

/* The memory map of this boot contains [addr, addr+len) as RAM that is mapped. */
bool nk_mm_range_is_ram(uint64_t addr, uint64_t len);

#endif
