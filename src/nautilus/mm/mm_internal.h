/*
 * Interfaces between the parts of mm/ (boot allocator, zones, kmem, meminfo) and for its tests;
 * nothing outside mm/ and the mm test suites should include this.
 */
#ifndef NK_MM_MM_INTERNAL_H
#define NK_MM_MM_INTERNAL_H

#include <nautilus/mm.h>
#include <nautilus/types.h>

#include "buddy.h"

/* --- zones --- */

/* One zone per piece of a usable RAM region on one NUMA node. */
#define NK_MAX_ZONES 32

/* Who owns an allocated block; a block is freed only through the API that allocated it. */
enum nk_page_owner {
	NK_PAGE_OWNER_PAGE = 0, /* nk_page_alloc */
	NK_PAGE_OWNER_SLAB = 1, /* a kmem slab */
	NK_PAGE_OWNER_KMEM = 2, /* a large nk_malloc block */
};

/*
 * Create a zone spanning [base, base + npages pages) on NUMA node `node` (0..NK_MAX_NODES-1),
 * with meta[npages] as its page metadata. No page is free until nk_zone_add_free hands it in.
 * Returns the zone id, -EINVAL for a bad node or a bad or overlapping range, -ENOSPC when the
 * zone table is full. Zones are never removed. Zones are added during single-threaded bring-up
 * (nk_mm_init), after the NUMA topology is final: each add recomputes the nodes' orders.
 */
int nk_zone_add(uintptr_t base, uint64_t npages, int node, uint8_t *meta);
/* Hand free pages to the zone that spans them. */
int nk_zone_add_free(uintptr_t base, uint64_t npages);

/* nk_page_alloc with an owner tag. */
void *nk_zone_alloc(unsigned order, int zone_hint, enum nk_page_owner owner);
/*
 * 2^order pages from the zones of node (0..NK_MAX_NODES-1), in zone id (address) order; then,
 * if fallback, from the other nodes in node's allocation order, and last from zones of nodes
 * the topology does not list. NULL only when none of them has a free block of that order.
 */
void *nk_zone_alloc_node(unsigned order, int node, bool fallback, enum nk_page_owner owner);
/* Free the block at addr if `owner` allocated it: -ENOENT outside every zone, -EINVAL (with a
 * message) for anything that is not the head of a block allocated by that owner. */
int nk_zone_free(void *addr, enum nk_page_owner owner);
/* The allocated block containing p: 0, or -ENOENT if p is in no allocated block. */
int nk_zone_find(const void *p, struct nk_buddy_block *blk);
/*
 * Call fn(blk, arg) with the allocated block containing p while p's zone is locked, so that the
 * block can be neither freed nor split meanwhile: fn's result, or -ENOENT (p is in no allocated
 * block). fn must not call into the zones.
 */
typedef int (*nk_zone_block_fn)(const struct nk_buddy_block *blk, void *arg);
int nk_zone_with_block(const void *p, nk_zone_block_fn fn, void *arg);
/* A node's allocation order (itself, then by distance), *nr entries (0 for an unlisted node). */
const int *nk_zone_node_order(int node, int *nr);
/* Free pages of all zones as they are (nk_page_free_total drains the kmem caches first). */
uint64_t nk_zone_free_total(void);
/* Buddy statistics of one zone (free blocks per order, for meminfo and tests). */
int nk_zone_stats(int zone, struct nk_buddy_stats *st);

/* --- CPUs and nodes --- */

/*
 * The calling CPU's dense id (0..NK_MAX_CPUS-1), and in *node its NUMA node, always a listed
 * one (0..nk_numa_node_count()-1). Stable only while interrupts are off (the thread cannot
 * move). In mm/cpu.c; host tests link their own.
 */
int nk_mm_this_cpu(int *node);
/*
 * A node argument of the public API made usable: NK_NUMA_LOCAL becomes the calling CPU's node,
 * a listed node stays; anything else is reported as fn's caller's bug and gives -EINVAL.
 */
int nk_mm_node_arg(int node, const char *fn, void *caller);

/* --- kmem --- */

struct nk_kmem_class_info {
	size_t size;	     /* object size, also its natural alignment's multiple */
	unsigned slab_order; /* each slab is a buddy block of this order */
	unsigned objs_per_slab;
	uint64_t slabs;
	uint64_t objs_in_use;
};

int nk_kmem_class_count(void);
int nk_kmem_class_get_info(int cls, struct nk_kmem_class_info *info);
/* Objects sitting in per-CPU caches now, all CPUs and classes (0 after nk_kmem_drain_all). */
uint64_t nk_kmem_cached_count(void);
/* Bad frees and writes-after-free detected since boot (tests check that one was reported). */
uint64_t nk_kmem_error_count(void);
/* Print the size classes and large blocks (part of nk_mm_dump). */
void nk_kmem_dump(void);

/* --- boot allocator --- */

/* Print the RAM regions and the named reservations (the meminfo command). */
void nk_bootmem_dump(void);

#endif
