/*
 * Binary buddy allocator over one contiguous range of pages (private to mm/). Pure: no locks,
 * no other allocator; the caller provides one metadata byte per page and serialises calls.
 */
#ifndef NK_MM_BUDDY_H
#define NK_MM_BUDDY_H

#include <nautilus/mm.h>
#include <nautilus/types.h>

/* Owner tags an allocated block can carry (0..NK_BUDDY_MAX_TAG), read back by nk_buddy_find. */
#define NK_BUDDY_MAX_TAG 4

/* Free-list link, stored in the first bytes of every free block (memory is identity-mapped). */
struct nk_buddy_node {
	struct nk_buddy_node *next, *prev;
};

struct nk_buddy {
	uintptr_t base;	 /* address of the first page tracked */
	uint64_t npages; /* pages tracked: meta has one byte for each */
	uint8_t *meta;
	uint64_t managed_pages; /* pages handed in with nk_buddy_add_range */
	uint64_t free_pages;
	uint64_t nr_free[NK_MAX_ORDER + 1];	     /* free blocks per order */
	struct nk_buddy_node free[NK_MAX_ORDER + 1]; /* circular lists; the struct must not move */
};

/* An allocated block: where it starts, its order and its owner tag. */
struct nk_buddy_block {
	void *head;
	unsigned order;
	unsigned tag;
};

struct nk_buddy_stats {
	uint64_t managed_pages;
	uint64_t free_pages;
	uint64_t nr_free[NK_MAX_ORDER + 1];
	int largest_free_order; /* -1 when nothing is free */
};

/*
 * Track [base, base + npages pages) with meta[npages] (overwritten). No page is free until
 * nk_buddy_add_range hands it in. base must be page-aligned. Blocks are aligned to their size
 * in absolute addresses, so an order-9 block is a 2 MiB-aligned 2 MiB page.
 */
int nk_buddy_init(struct nk_buddy *b, uintptr_t base, uint64_t npages, uint8_t *meta);

/* Hand in free pages [start, start + npages pages) as maximal aligned blocks; -EINVAL if any
 * page is outside the range or already handed in. */
int nk_buddy_add_range(struct nk_buddy *b, uintptr_t start, uint64_t npages);

/* A block of 2^order pages marked with tag, or NULL when no free block is large enough. */
void *nk_buddy_alloc(struct nk_buddy *b, unsigned order, unsigned tag);

/* Free the block starting at addr and merge it with its free buddies. Anything that is not the
 * head of an allocated block (double free, interior or wild pointer) is reported with nk_err and
 * returns -EINVAL, leaving the allocator unchanged. */
int nk_buddy_free(struct nk_buddy *b, void *addr);

/* The allocated block containing addr, or -ENOENT (free, never handed in, or outside). */
int nk_buddy_find(const struct nk_buddy *b, const void *addr, struct nk_buddy_block *blk);

void nk_buddy_stats(const struct nk_buddy *b, struct nk_buddy_stats *st);

static inline bool nk_buddy_contains(const struct nk_buddy *b, const void *addr)
{
	uintptr_t a = (uintptr_t)addr;

	return a >= b->base && (a - b->base) >> NK_PAGE_SHIFT < b->npages;
}

#endif
