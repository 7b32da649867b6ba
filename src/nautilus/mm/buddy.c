/*
 * Binary buddy allocator: blocks of 2^order pages, free lists threaded through the free blocks,
 * one metadata byte per page so that a free needs only the address.
 */
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>

#include "buddy.h"

/*
 * Metadata byte of a page: bits 0-4 the order (heads only), bits 5-7 the state. Only the head
 * page of a block says anything about the block; the other pages are TAIL. Splitting or merging
 * rewrites one head, so no operation touches more than a few bytes.
 */
#define ORDER_MASK  0x1f
#define STATE_SHIFT 5
enum page_state {
	ABSENT = 0, /* never handed in (reserved memory, a hole) */
	TAIL = 1,   /* inside a block, not its first page */
	FREE = 2,   /* head of a free block, on free[order] */
	ALLOC = 3,  /* head of an allocated block; ALLOC + tag */
};

static inline unsigned state_of(uint8_t m)
{
	return m >> STATE_SHIFT;
}

static inline uint8_t head_meta(unsigned state, unsigned order)
{
	return (uint8_t)(state << STATE_SHIFT | order);
}

/* Page frame numbers are absolute (address >> 12) so that alignment is absolute too. */
static inline uint64_t base_pfn(const struct nk_buddy *b)
{
	return b->base >> NK_PAGE_SHIFT;
}

static inline bool pfn_tracked(const struct nk_buddy *b, uint64_t pfn)
{
	return pfn >= base_pfn(b) && pfn - base_pfn(b) < b->npages;
}

static inline uint8_t *meta_of(const struct nk_buddy *b, uint64_t pfn)
{
	return &b->meta[pfn - base_pfn(b)];
}

static inline struct nk_buddy_node *node_of(uint64_t pfn)
{
	return (struct nk_buddy_node *)(uintptr_t)(pfn << NK_PAGE_SHIFT);
}

static inline uint64_t pfn_of(const void *p)
{
	return (uintptr_t)p >> NK_PAGE_SHIFT;
}

static void list_push(struct nk_buddy *b, uint64_t pfn, unsigned order)
{
	struct nk_buddy_node *head = &b->free[order], *n = node_of(pfn);

	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
	b->nr_free[order]++;
	*meta_of(b, pfn) = head_meta(FREE, order);
}

static void list_remove(struct nk_buddy *b, uint64_t pfn, unsigned order)
{
	struct nk_buddy_node *n = node_of(pfn);

	n->prev->next = n->next;
	n->next->prev = n->prev;
	b->nr_free[order]--;
}

int nk_buddy_init(struct nk_buddy *b, uintptr_t base, uint64_t npages, uint8_t *meta)
{
	if (!NK_IS_ALIGNED(base, NK_PAGE_SIZE) || !npages || !meta)
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	b->base = base;
	b->npages = npages;
	b->meta = meta;
	memset(meta, ABSENT, npages);
	for (unsigned k = 0; k <= NK_MAX_ORDER; k++)
		b->free[k].next = b->free[k].prev = &b->free[k];
	return 0;
}

/* Put the free block (pfn, order) on a list after merging it with every free buddy. */
static void release(struct nk_buddy *b, uint64_t pfn, unsigned order)
{
	while (order < NK_MAX_ORDER) {
		uint64_t buddy = pfn ^ (1ULL << order);

		if (!pfn_tracked(b, buddy) || *meta_of(b, buddy) != head_meta(FREE, order))
			break;
		list_remove(b, buddy, order);
		if (buddy < pfn)
			pfn = buddy;
		*meta_of(b, pfn + (1ULL << order)) = TAIL << STATE_SHIFT;
		order++;
	}
	list_push(b, pfn, order);
}

/* Largest order k with pfn aligned to 2^k and 2^k <= n (n > 0). */
static unsigned fit_order(uint64_t pfn, uint64_t n)
{
	unsigned k = 63 - __builtin_clzll(n);

	if (pfn && (unsigned)__builtin_ctzll(pfn) < k)
		k = __builtin_ctzll(pfn);
	return k < NK_MAX_ORDER ? k : NK_MAX_ORDER;
}

int nk_buddy_add_range(struct nk_buddy *b, uintptr_t start, uint64_t npages)
{
	uint64_t pfn = start >> NK_PAGE_SHIFT, n = npages;

	if (!NK_IS_ALIGNED(start, NK_PAGE_SIZE) || !npages || !pfn_tracked(b, pfn) ||
	    npages > b->npages - (pfn - base_pfn(b)))
		return -EINVAL;
	for (uint64_t i = 0; i < npages; i++)
		if (state_of(*meta_of(b, pfn + i)) != ABSENT)
			return -EINVAL;
	memset(meta_of(b, pfn), TAIL << STATE_SHIFT, npages);
	while (n) {
		unsigned k = fit_order(pfn, n);

		release(b, pfn, k);
		pfn += 1ULL << k;
		n -= 1ULL << k;
	}
	b->managed_pages += npages;
	b->free_pages += npages;
	return 0;
}

void *nk_buddy_alloc(struct nk_buddy *b, unsigned order, unsigned tag)
{
	unsigned k = order;
	uint64_t pfn;

	if (order > NK_MAX_ORDER || tag > NK_BUDDY_MAX_TAG)
		return NULL;
	while (k <= NK_MAX_ORDER && !b->nr_free[k])
		k++;
	if (k > NK_MAX_ORDER)
		return NULL;
	pfn = pfn_of(b->free[k].next);
	list_remove(b, pfn, k);
	while (k > order) {
		k--;
		list_push(b, pfn + (1ULL << k), k);
	}
	*meta_of(b, pfn) = head_meta(ALLOC + tag, order);
	b->free_pages -= 1ULL << order;
	return node_of(pfn);
}

/* Why addr cannot be freed, or NULL if it is the head of an allocated block. */
static const char *free_error(const struct nk_buddy *b, const void *addr)
{
	if (!nk_buddy_contains(b, addr) || !NK_IS_ALIGNED((uintptr_t)addr, NK_PAGE_SIZE))
		return "not a page of this allocator";
	switch (state_of(*meta_of(b, pfn_of(addr)))) {
	case ABSENT:
		return "page was never given to the allocator (reserved)";
	case TAIL:
		return "inside a block, not its first page";
	case FREE:
		return "block is already free (double free)";
	default:
		return NULL;
	}
}

int nk_buddy_free(struct nk_buddy *b, void *addr)
{
	const char *why = free_error(b, addr);
	uint64_t pfn = pfn_of(addr);
	unsigned order;

	if (why) {
		nk_err("cannot free %p: %s", addr, why);
		return -EINVAL;
	}
	order = *meta_of(b, pfn) & ORDER_MASK;
	b->free_pages += 1ULL << order;
	release(b, pfn, order);
	return 0;
}

/*
 * The block containing a page starts at the page rounded down to the block's size, so trying
 * each order from 0 up finds its head in at most NK_MAX_ORDER + 1 probes.
 */
int nk_buddy_find(const struct nk_buddy *b, const void *addr, struct nk_buddy_block *blk)
{
	uint64_t pfn = pfn_of(addr);

	if (!nk_buddy_contains(b, addr))
		return -ENOENT;
	for (unsigned k = 0; k <= NK_MAX_ORDER; k++) {
		uint64_t head = pfn & ~((1ULL << k) - 1);
		uint8_t m;

		if (head < base_pfn(b))
			break;
		m = *meta_of(b, head);
		if (state_of(m) == ABSENT || state_of(m) == TAIL || (m & ORDER_MASK) != k)
			continue;
		if (state_of(m) == FREE)
			break;
		blk->head = node_of(head);
		blk->order = k;
		blk->tag = state_of(m) - ALLOC;
		return 0;
	}
	return -ENOENT;
}

void nk_buddy_stats(const struct nk_buddy *b, struct nk_buddy_stats *st)
{
	st->managed_pages = b->managed_pages;
	st->free_pages = b->free_pages;
	st->largest_free_order = -1;
	for (unsigned k = 0; k <= NK_MAX_ORDER; k++) {
		st->nr_free[k] = b->nr_free[k];
		if (b->nr_free[k])
			st->largest_free_order = k;
	}
}
