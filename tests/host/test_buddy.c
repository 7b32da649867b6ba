/*
 * Host tests of the buddy allocator (src/nautilus/mm/buddy.c) over memory from the host's
 * allocator: block layout after init, split/merge, exhaustion, every order, bad frees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include <nautilus/errno.h>
#include <nautilus/random.h>

#include "../../src/nautilus/mm/buddy.h"
#include "host_stubs.h"

#define PAGE NK_PAGE_SIZE

/* A buddy over npages pages of host memory aligned to 2^align_order pages. */
struct region {
	void *mem;
	size_t map_len; /* non-zero when mem came from mmap */
	uintptr_t base;
	uint64_t npages;
	uint8_t *meta;
	struct nk_buddy b;
};

static void region_init(struct region *r, uint64_t npages, unsigned align_order)
{
	size_t align = PAGE << align_order;

	r->map_len = 0;
	r->mem = aligned_alloc(align, NK_ALIGN_UP(npages * PAGE, align));
	assert_non_null(r->mem);
	r->base = (uintptr_t)r->mem;
	r->npages = npages;
	r->meta = malloc(npages);
	assert_non_null(r->meta);
	assert_int_equal(nk_buddy_init(&r->b, r->base, npages, r->meta), 0);
}

/* Reserve twice the size so a 2^align_order-aligned window fits; pages are touched lazily. */
static void region_init_mmap(struct region *r, uint64_t npages, unsigned align_order)
{
	size_t align = PAGE << align_order;

	r->map_len = npages * PAGE + align;
	r->mem = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(r->mem != MAP_FAILED);
	r->base = NK_ALIGN_UP((uintptr_t)r->mem, align);
	r->npages = npages;
	r->meta = malloc(npages);
	assert_non_null(r->meta);
	assert_int_equal(nk_buddy_init(&r->b, r->base, npages, r->meta), 0);
}

static void region_fini(struct region *r)
{
	if (r->map_len)
		munmap(r->mem, r->map_len);
	else
		free(r->mem);
	free(r->meta);
}

static void *page(const struct region *r, uint64_t i)
{
	return (void *)(r->base + i * PAGE);
}

static void stats(const struct region *r, struct nk_buddy_stats *st)
{
	nk_buddy_stats(&r->b, st);
}

static void assert_stats_equal(const struct nk_buddy_stats *a, const struct nk_buddy_stats *b)
{
	assert_int_equal(a->managed_pages, b->managed_pages);
	assert_int_equal(a->free_pages, b->free_pages);
	assert_int_equal(a->largest_free_order, b->largest_free_order);
	for (unsigned k = 0; k <= NK_MAX_ORDER; k++)
		assert_int_equal(a->nr_free[k], b->nr_free[k]);
}

/* [3, 1003) decomposes into maximal aligned blocks; adding [0, 3) then merges up to order 9. */
static void test_add_range_layout(void **state)
{
	static const uint64_t expect[] = { 2, 1, 1, 2, 1, 2, 2, 2, 2, 0 };
	struct nk_buddy_stats st;
	struct region r;

	(void)state;
	region_init(&r, 1024, 10);
	assert_int_equal(nk_buddy_add_range(&r.b, r.base + 3 * PAGE, 1000), 0);
	stats(&r, &st);
	assert_int_equal(st.managed_pages, 1000);
	assert_int_equal(st.free_pages, 1000);
	for (unsigned k = 0; k < NK_ARRAY_SIZE(expect); k++)
		assert_int_equal(st.nr_free[k], expect[k]);
	assert_int_equal(st.largest_free_order, 8);

	assert_int_equal(nk_buddy_add_range(&r.b, r.base, 3), 0);
	stats(&r, &st);
	assert_int_equal(st.free_pages, 1003);
	assert_int_equal(st.nr_free[9], 1); /* [0, 512) */
	assert_int_equal(st.nr_free[8], 1); /* [512, 768) */
	assert_int_equal(st.largest_free_order, 9);

	/* Overlapping, outside and unaligned ranges are refused. */
	assert_int_equal(nk_buddy_add_range(&r.b, r.base + 1000 * PAGE, 4), -EINVAL);
	assert_int_equal(nk_buddy_add_range(&r.b, r.base + 1020 * PAGE, 8), -EINVAL);
	assert_int_equal(nk_buddy_add_range(&r.b, r.base + 1003 * PAGE + 1, 1), -EINVAL);
	stats(&r, &st);
	assert_int_equal(st.free_pages, 1003);
	region_fini(&r);
}

/* Mark the 2^order pages at p in owner[]; fails if any was already marked (an overlap). */
static void claim(const struct region *r, uint8_t *owner, void *p, unsigned order)
{
	uint64_t first = ((uintptr_t)p - r->base) / PAGE;

	assert_true(NK_IS_ALIGNED((uintptr_t)p, PAGE << order));
	assert_true(first + (1ULL << order) <= r->npages);
	for (uint64_t i = first; i < first + (1ULL << order); i++) {
		assert_int_equal(owner[i], 0);
		owner[i] = 1;
	}
}

/* Splitting one order-10 block to order 0 leaves one free block at each order below it. */
static void test_split_merge(void **state)
{
	static void *pages[1024];
	static uint8_t owner[1024];
	struct nk_buddy_stats st;
	struct region r;

	(void)state;
	memset(owner, 0, sizeof(owner));
	region_init(&r, 1024, 10);
	assert_int_equal(nk_buddy_add_range(&r.b, r.base, 1024), 0);
	pages[0] = nk_buddy_alloc(&r.b, 0, 0);
	assert_ptr_equal(pages[0], page(&r, 0));
	stats(&r, &st);
	for (unsigned k = 0; k < 10; k++)
		assert_int_equal(st.nr_free[k], 1);
	assert_int_equal(st.nr_free[10], 0);
	claim(&r, owner, pages[0], 0);

	for (int i = 1; i < 1024; i++) {
		pages[i] = nk_buddy_alloc(&r.b, 0, 0);
		assert_non_null(pages[i]);
		claim(&r, owner, pages[i], 0);
	}
	assert_null(nk_buddy_alloc(&r.b, 0, 0));
	stats(&r, &st);
	assert_int_equal(st.free_pages, 0);
	assert_int_equal(st.largest_free_order, -1);

	/* Free the odd pages: no buddy of a freed page is free, so nothing merges. */
	for (int i = 1; i < 1024; i += 2)
		assert_int_equal(nk_buddy_free(&r.b, page(&r, i)), 0);
	stats(&r, &st);
	assert_int_equal(st.nr_free[0], 512);
	assert_int_equal(st.largest_free_order, 0);
	/* Then the even ones: everything merges back into the one order-10 block. */
	for (int i = 0; i < 1024; i += 2)
		assert_int_equal(nk_buddy_free(&r.b, page(&r, i)), 0);
	stats(&r, &st);
	assert_int_equal(st.free_pages, 1024);
	assert_int_equal(st.nr_free[10], 1);
	for (unsigned k = 0; k < 10; k++)
		assert_int_equal(st.nr_free[k], 0);
	region_fini(&r);
}

/* Random orders until nothing fits, then free in a shuffled order: the layout comes back. */
static void test_exhaust_recover(void **state)
{
	enum { NPAGES = 3000 };
	static void *blocks[NPAGES];
	static uint8_t owner[NPAGES];
	struct nk_buddy_stats before, st;
	uint64_t seed = 0x9e3779b97f4a7c15ULL, used = 0;
	int n = 0;
	struct region r;

	(void)state;
	memset(owner, 0, sizeof(owner));
	region_init(&r, NPAGES, 12);
	assert_int_equal(nk_buddy_add_range(&r.b, r.base + PAGE, NPAGES - 1), 0);
	stats(&r, &before);
	for (unsigned order = 6;; order = nk_xorshift64(&seed) % 7) {
		void *p = nk_buddy_alloc(&r.b, order, 0);

		if (!p) {
			if (order == 0)
				break;
			continue;
		}
		claim(&r, owner, p, order);
		blocks[n++] = p;
		used += 1ULL << order;
	}
	stats(&r, &st);
	assert_int_equal(used, NPAGES - 1);
	assert_int_equal(st.free_pages, 0);

	for (int i = n - 1; i > 0; i--) {
		int j = nk_xorshift64(&seed) % (i + 1);
		void *t = blocks[i];

		blocks[i] = blocks[j];
		blocks[j] = t;
	}
	for (int i = 0; i < n; i++)
		assert_int_equal(nk_buddy_free(&r.b, blocks[i]), 0);
	stats(&r, &st);
	assert_stats_equal(&st, &before);
	region_fini(&r);
}

/* Every order up to NK_MAX_ORDER (1 GiB) from a 1 GiB-aligned gigabyte of reserved VA. */
static void test_every_order(void **state)
{
	struct nk_buddy_stats st;
	struct region r;

	(void)state;
	region_init_mmap(&r, 1ULL << NK_MAX_ORDER, NK_MAX_ORDER);
	assert_int_equal(nk_buddy_add_range(&r.b, r.base, r.npages), 0);
	for (unsigned k = 0; k <= NK_MAX_ORDER; k++) {
		char *p = nk_buddy_alloc(&r.b, k, 0);

		assert_non_null(p);
		assert_true(NK_IS_ALIGNED((uintptr_t)p, PAGE << k));
		p[0] = 1;
		p[(PAGE << k) - 1] = 2;
		stats(&r, &st);
		assert_int_equal(st.free_pages, r.npages - (1ULL << k));
		assert_int_equal(nk_buddy_free(&r.b, p), 0);
		stats(&r, &st);
		assert_int_equal(st.nr_free[NK_MAX_ORDER], 1);
		assert_int_equal(st.free_pages, r.npages);
	}
	assert_null(nk_buddy_alloc(&r.b, NK_MAX_ORDER + 1, 0));
	region_fini(&r);
}

/* A bad free is reported, returns -EINVAL and changes nothing. */
static void expect_bad_free(struct region *r, void *p, const char *why)
{
	struct nk_buddy_stats before, after;
	int logs = nk_host_log_count;

	stats(r, &before);
	assert_int_equal(nk_buddy_free(&r->b, p), -EINVAL);
	assert_int_equal(nk_host_log_count, logs + 1);
	assert_non_null(strstr(nk_host_last_log, why));
	stats(r, &after);
	assert_stats_equal(&before, &after);
}

static void test_bad_free(void **state)
{
	struct nk_buddy_stats st;
	struct region r;
	char *a, *b;

	(void)state;
	region_init(&r, 64, 6);
	assert_int_equal(nk_buddy_add_range(&r.b, r.base, 32), 0);
	a = nk_buddy_alloc(&r.b, 0, 0);
	b = nk_buddy_alloc(&r.b, 2, 0);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(nk_buddy_free(&r.b, a), 0);
	expect_bad_free(&r, a, "double free");
	expect_bad_free(&r, b + PAGE, "not its first page");
	expect_bad_free(&r, b + 8, "not a page of this allocator");
	expect_bad_free(&r, page(&r, 40), "never given");
	expect_bad_free(&r, page(&r, 64), "not a page of this allocator");
	expect_bad_free(&r, &st, "not a page of this allocator");
	/* The allocator still works: b frees and everything merges back. */
	assert_int_equal(nk_buddy_free(&r.b, b), 0);
	stats(&r, &st);
	assert_int_equal(st.free_pages, 32);
	assert_int_equal(st.nr_free[5], 1);
	region_fini(&r);
}

/* find returns the head, order and tag of the allocated block around any of its bytes. */
static void test_find(void **state)
{
	struct nk_buddy_block blk;
	struct region r;
	char *p, *q;

	(void)state;
	region_init(&r, 64, 6);
	assert_int_equal(nk_buddy_add_range(&r.b, r.base, 64), 0);
	p = nk_buddy_alloc(&r.b, 3, 2);
	q = nk_buddy_alloc(&r.b, 0, NK_BUDDY_MAX_TAG);
	assert_null(nk_buddy_alloc(&r.b, 0, NK_BUDDY_MAX_TAG + 1));
	for (size_t off = 0; off < (PAGE << 3); off += 4093) {
		assert_int_equal(nk_buddy_find(&r.b, p + off, &blk), 0);
		assert_ptr_equal(blk.head, p);
		assert_int_equal(blk.order, 3);
		assert_int_equal(blk.tag, 2);
	}
	assert_int_equal(nk_buddy_find(&r.b, q + PAGE - 1, &blk), 0);
	assert_ptr_equal(blk.head, q);
	assert_int_equal(blk.tag, NK_BUDDY_MAX_TAG);
	assert_int_equal(nk_buddy_free(&r.b, p), 0);
	assert_int_equal(nk_buddy_find(&r.b, p, &blk), -ENOENT);
	assert_int_equal(nk_buddy_find(&r.b, page(&r, 64), &blk), -ENOENT);
	assert_int_equal(nk_buddy_free(&r.b, q), 0);
	region_fini(&r);
}

/* Random allocs and frees against a page-ownership model: no overlap, counts always agree. */
static void test_random_model(void **state)
{
	enum { NPAGES = 4096, SLOTS = 256, OPS = 50000 };
	static uint8_t owner[NPAGES];
	static struct {
		void *p;
		unsigned order;
	} slot[SLOTS];
	struct nk_buddy_stats st, before;
	uint64_t seed = 12345, used = 0;
	struct region r;

	(void)state;
	memset(owner, 0, sizeof(owner));
	memset(slot, 0, sizeof(slot));
	region_init(&r, NPAGES, 12);
	assert_int_equal(nk_buddy_add_range(&r.b, r.base + 5 * PAGE, NPAGES - 5), 0);
	stats(&r, &before);
	for (int op = 0; op < OPS; op++) {
		int i = nk_xorshift64(&seed) % SLOTS;

		if (slot[i].p) {
			uint64_t first = ((uintptr_t)slot[i].p - r.base) / PAGE;

			memset(&owner[first], 0, 1ULL << slot[i].order);
			assert_int_equal(nk_buddy_free(&r.b, slot[i].p), 0);
			used -= 1ULL << slot[i].order;
			slot[i].p = NULL;
		} else {
			slot[i].order = nk_xorshift64(&seed) % 6;
			slot[i].p = nk_buddy_alloc(&r.b, slot[i].order, 0);
			if (slot[i].p) {
				claim(&r, owner, slot[i].p, slot[i].order);
				used += 1ULL << slot[i].order;
			}
		}
		stats(&r, &st);
		assert_int_equal(st.free_pages + used, NPAGES - 5);
	}
	for (int i = 0; i < SLOTS; i++)
		if (slot[i].p)
			assert_int_equal(nk_buddy_free(&r.b, slot[i].p), 0);
	stats(&r, &st);
	assert_stats_equal(&st, &before);
	region_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_range_layout), cmocka_unit_test(test_split_merge),
		cmocka_unit_test(test_exhaust_recover),	 cmocka_unit_test(test_every_order),
		cmocka_unit_test(test_bad_free),	 cmocka_unit_test(test_find),
		cmocka_unit_test(test_random_model),
	};

	return cmocka_run_group_tests_name("buddy", tests, NULL, NULL);
}
