/*
 * KTAP suite `buddy`: the page allocator, both on a private buddy over a block taken from the
 * zones (deterministic layouts) and on the live zones (exhaustion, every order, bad frees).
 */
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/test.h>

#include "../nautilus/mm/mm_internal.h"

/* A private buddy over one 2^order-page block from the zones, metadata from kmem. */
struct scratch {
	void *mem;
	uint8_t *meta;
	uint64_t npages;
	struct nk_buddy b;
};

static int scratch_get(struct scratch *s, unsigned order)
{
	s->npages = 1ULL << order;
	s->mem = nk_page_alloc(order, -1);
	s->meta = nk_malloc(s->npages);
	if (!s->mem || !s->meta)
		goto err;
	if (nk_buddy_init(&s->b, (uintptr_t)s->mem, s->npages, s->meta) ||
	    nk_buddy_add_range(&s->b, (uintptr_t)s->mem, s->npages))
		goto err;
	return 0;
err:
	nk_free(s->meta);
	nk_page_free(s->mem);
	return -ENOMEM;
}

static void scratch_put(struct scratch *s)
{
	nk_free(s->meta);
	nk_page_free(s->mem);
}

static void *scratch_page(const struct scratch *s, uint64_t i)
{
	return (char *)s->mem + i * NK_PAGE_SIZE;
}

static int largest_free_order(void)
{
	struct nk_zone_info zi;
	int best = -1;

	for (int i = 0; i < nk_zone_count(); i++)
		if (!nk_zone_get_info(i, &zi) && zi.largest_free_order > best)
			best = zi.largest_free_order;
	return best;
}

/* Pages of the private buddy handed out by n order-0 allocations, each counted once. */
static uint64_t alloc_distinct_pages(struct scratch *s, uint64_t n, uint8_t *seen)
{
	uint64_t distinct = 0;

	for (uint64_t i = 0; i < n; i++) {
		uintptr_t p = (uintptr_t)nk_buddy_alloc(&s->b, 0, 0);
		uint64_t idx = (p - (uintptr_t)s->mem) / NK_PAGE_SIZE;

		if (p && idx < s->npages && !seen[idx]) {
			seen[idx] = 1;
			distinct++;
		}
	}
	return distinct;
}

/* Order-0 allocations split one order-10 block; freeing them all merges it back. */
NK_TEST(buddy, split_merge)
{
	uint64_t before = nk_page_free_total();
	struct nk_buddy_stats st;
	struct scratch s;
	uint8_t *seen;

	NK_ASSERT_EQ(scratch_get(&s, 10), 0);
	seen = nk_calloc(s.npages, 1);
	NK_ASSERT_NOT_NULL(seen);
	NK_EXPECT_PTR_EQ(nk_buddy_alloc(&s.b, 0, 0), s.mem);
	seen[0] = 1;
	nk_buddy_stats(&s.b, &st);
	for (unsigned k = 0; k < 10; k++)
		NK_EXPECT_UEQ(st.nr_free[k], 1);
	NK_EXPECT_UEQ(st.nr_free[10], 0);
	NK_EXPECT_UEQ(alloc_distinct_pages(&s, s.npages - 1, seen), s.npages - 1);
	NK_EXPECT_NULL(nk_buddy_alloc(&s.b, 0, 0));
	for (uint64_t i = 1; i < s.npages; i += 2)
		NK_EXPECT_EQ(nk_buddy_free(&s.b, scratch_page(&s, i)), 0);
	nk_buddy_stats(&s.b, &st);
	NK_EXPECT_UEQ(st.nr_free[0], s.npages / 2);
	NK_EXPECT_EQ(st.largest_free_order, 0);
	for (uint64_t i = 0; i < s.npages; i += 2)
		NK_EXPECT_EQ(nk_buddy_free(&s.b, scratch_page(&s, i)), 0);
	nk_buddy_stats(&s.b, &st);
	NK_EXPECT_UEQ(st.free_pages, s.npages);
	NK_EXPECT_UEQ(st.nr_free[10], 1);
	NK_EXPECT_EQ(st.largest_free_order, 10);
	nk_free(seen);
	scratch_put(&s);
	NK_EXPECT_UEQ(nk_page_free_total(), before);
}

static struct nk_buddy_stats zone_before[NK_MAX_ZONES];

/*
 * Take every free page of every zone (largest blocks first, chained through their first
 * word), check nothing is left, give them back: each zone ends block for block as it began.
 * Nothing may print or allocate between the first and the last allocation.
 */
NK_TEST(buddy, exhaust_recover)
{
	uint64_t before = nk_page_free_total(), got = 0, empty_total;
	int zones = nk_zone_count();
	void *chain = NULL, *extra;
	struct nk_buddy_stats st;

	NK_ASSERT_GT(zones, 0);
	for (int i = 0; i < zones; i++)
		NK_ASSERT_EQ(nk_zone_stats(i, &zone_before[i]), 0);
	for (int k = NK_MAX_ORDER; k >= 0; k--) {
		void *p;

		while ((p = nk_page_alloc(k, -1))) {
			*(void **)p = chain;
			chain = p;
			got += 1ULL << k;
		}
	}
	empty_total = nk_page_free_total();
	extra = nk_page_alloc(0, -1);
	while (chain) {
		void *next = *(void **)chain;

		nk_page_free(chain);
		chain = next;
	}
	nk_page_free(extra);
	NK_EXPECT_UEQ(got, before);
	NK_EXPECT_UEQ(empty_total, 0);
	NK_EXPECT_NULL(extra);
	NK_EXPECT_UEQ(nk_page_free_total(), before);
	for (int i = 0; i < zones; i++) {
		NK_ASSERT_EQ(nk_zone_stats(i, &st), 0);
		NK_EXPECT_EQ(st.largest_free_order, zone_before[i].largest_free_order);
		for (int k = 0; k <= NK_MAX_ORDER; k++)
			NK_EXPECT_UEQ(st.nr_free[k], zone_before[i].nr_free[k]);
	}
}

/* One block of the given order: aligned to its size, writable at both ends, counted. */
static void check_order(struct nk_test_ctx *nk_t, unsigned k)
{
	uint64_t before = nk_page_free_total();
	char *p = nk_page_alloc(k, -1);

	NK_ASSERT_NOT_NULL(p);
	NK_EXPECT(NK_IS_ALIGNED((uintptr_t)p, NK_PAGE_SIZE << k));
	NK_EXPECT(nk_mm_range_is_ram((uintptr_t)p, NK_PAGE_SIZE << k));
	p[0] = 0x5a;
	p[(NK_PAGE_SIZE << k) - 1] = 0xa5;
	NK_EXPECT_EQ(p[0], 0x5a);
	NK_EXPECT_EQ((uint8_t)p[(NK_PAGE_SIZE << k) - 1], 0xa5);
	NK_EXPECT_UEQ(nk_page_free_total(), before - (1ULL << k));
	nk_page_free(p);
	NK_EXPECT_UEQ(nk_page_free_total(), before);
}

/* Every order that the largest free block allows (max_order covers 1 GiB). */
NK_TEST(buddy, every_order)
{
	int top = largest_free_order();

	NK_ASSERT_GE(top, 0);
	for (int k = 0; k <= top; k++)
		check_order(nk_t, k);
	NK_EXPECT_NULL(nk_page_alloc(NK_MAX_ORDER + 1, -1));
	if (top < NK_MAX_ORDER)
		nk_test_diag("orders %d..%d need a larger free block than this machine has",
			     top + 1, NK_MAX_ORDER);
}

NK_TEST(buddy, max_order)
{
	if (largest_free_order() < NK_MAX_ORDER)
		NK_SKIP("no free 1 GiB-aligned 1 GiB block (needs about 2 GiB of RAM)");
	check_order(nk_t, NK_MAX_ORDER);
}

/* Bad frees through nk_page_free are ignored: counts unchanged, blocks stay allocated. */
NK_TEST(buddy, bad_free_harmless)
{
	char *p = nk_page_alloc(0, -1), *q = nk_page_alloc(1, -1), *k = nk_malloc(3 * 4096);
	static char not_in_a_zone[64];
	struct nk_buddy_block blk;
	uint64_t before;

	NK_ASSERT_NOT_NULL(p);
	NK_ASSERT_NOT_NULL(q);
	NK_ASSERT_NOT_NULL(k);
	nk_page_free(p);
	before = nk_page_free_total();
	nk_page_free(p);		/* double free */
	nk_page_free(q + NK_PAGE_SIZE); /* interior page */
	nk_page_free(q + 16);		/* not page-aligned */
	nk_page_free(k);		/* owned by kmem */
	nk_page_free(not_in_a_zone);
	NK_EXPECT_UEQ(nk_page_free_total(), before);
	NK_EXPECT_EQ(nk_zone_find(q + NK_PAGE_SIZE, &blk), 0);
	NK_EXPECT_PTR_EQ(blk.head, q);
	NK_EXPECT_EQ(blk.order, 1);
	NK_EXPECT_UEQ(nk_malloc_usable_size(k), 4 * 4096);
	nk_page_free(q);
	nk_free(k);
	NK_EXPECT_UEQ(nk_page_free_total(), before + 2 + 4);
}

/* The same on a private buddy, where the result code is visible. */
NK_TEST(buddy, double_free_detected)
{
	uint64_t before = nk_page_free_total();
	struct nk_buddy_stats st;
	struct scratch s;
	char *a, *b;

	NK_ASSERT_EQ(scratch_get(&s, 4), 0);
	a = nk_buddy_alloc(&s.b, 0, 0);
	b = nk_buddy_alloc(&s.b, 2, 0);
	NK_EXPECT_EQ(nk_buddy_free(&s.b, a), 0);
	NK_EXPECT_EQ(nk_buddy_free(&s.b, a), -EINVAL);
	NK_EXPECT_EQ(nk_buddy_free(&s.b, b + NK_PAGE_SIZE), -EINVAL);
	NK_EXPECT_EQ(nk_buddy_free(&s.b, b + 1), -EINVAL);
	NK_EXPECT_EQ(nk_buddy_free(&s.b, &st), -EINVAL);
	nk_buddy_stats(&s.b, &st);
	NK_EXPECT_UEQ(st.free_pages, s.npages - 4);
	NK_EXPECT_EQ(nk_buddy_free(&s.b, b), 0);
	nk_buddy_stats(&s.b, &st);
	NK_EXPECT_UEQ(st.nr_free[4], 1);
	scratch_put(&s);
	NK_EXPECT_UEQ(nk_page_free_total(), before);
}
