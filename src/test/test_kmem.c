/*
 * KTAP suite `kmem`: every size class, alignment, realloc, a random workload with content
 * checks, and bad frees; every case ends with exactly the free pages it started with.
 */
#include <nautilus/mm.h>
#include <nautilus/random.h>
#include <nautilus/string.h>
#include <nautilus/test.h>

#include "../nautilus/mm/mm_internal.h"

#define MAX_OBJS 600
static void *objs[MAX_OBJS];

static uint8_t pattern(uint64_t seed, size_t i)
{
	return (uint8_t)(seed * 0x9d + i * 31 + (i >> 8));
}

static void fill(void *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)p)[i] = pattern(seed, i);
}

static bool intact(const void *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i] != pattern(seed, i))
			return false;
	return true;
}

static uint64_t class_in_use(int cls)
{
	struct nk_kmem_class_info ci;

	return nk_kmem_class_get_info(cls, &ci) ? ~0ULL : ci.objs_in_use;
}

/* The class whose objects are exactly size bytes, or -1. */
static int class_of(size_t size)
{
	struct nk_kmem_class_info ci;

	for (int i = 0; !nk_kmem_class_get_info(i, &ci); i++)
		if (ci.size == size)
			return i;
	return -1;
}

/*
 * n objects of size bytes: each has exactly `usable` bytes aligned to `align`, all of them can
 * be written without touching another (patterns checked after all are filled), and the class
 * (cls >= 0) counts them while they live.
 */
static void check_size(struct nk_test_ctx *nk_t, size_t size, size_t usable, size_t align, int n,
		       int cls)
{
	uint64_t in_use = cls >= 0 ? class_in_use(cls) : 0;
	int got = 0, bad = 0;

	for (; got < n; got++) {
		objs[got] = nk_malloc(size);
		if (!objs[got])
			break;
		if (nk_malloc_usable_size(objs[got]) != usable ||
		    !NK_IS_ALIGNED((uintptr_t)objs[got], align))
			bad++;
		fill(objs[got], usable, got + size);
	}
	if (cls >= 0)
		NK_EXPECT_UEQ(class_in_use(cls), in_use + got);
	for (int i = 0; i < got; i++)
		bad += !intact(objs[i], usable, i + size);
	for (int i = 0; i < got; i++)
		nk_free(objs[i]);
	NK_EXPECT_EQ(got, n);
	NK_CHECK_((void)0, bad == 0,
		  "size %zu: %d objects of %d had a wrong size, alignment or content", size, bad,
		  got);
	if (cls >= 0)
		NK_EXPECT_UEQ(class_in_use(cls), in_use);
}

/* Each class, at its own size and at the smallest size that maps to it, over 2+ slabs. */
NK_TEST(kmem, size_classes)
{
	uint64_t before = nk_page_free_total();
	struct nk_kmem_class_info ci;
	size_t prev = 0;

	NK_ASSERT_GT(nk_kmem_class_count(), 0);
	for (int i = 0; i < nk_kmem_class_count(); i++) {
		NK_ASSERT_EQ(nk_kmem_class_get_info(i, &ci), 0);
		NK_EXPECT_GT(ci.size, prev);
		NK_EXPECT_GE(ci.objs_per_slab, 8);
		NK_ASSERT_LE(2 * ci.objs_per_slab + 3, MAX_OBJS);
		check_size(nk_t, ci.size, ci.size, ci.size & -ci.size, 2 * ci.objs_per_slab + 3, i);
		check_size(nk_t, prev + 1, ci.size, ci.size & -ci.size, 2 * ci.objs_per_slab + 3,
			   i);
		prev = ci.size;
	}
	/* Past the classes: whole blocks of pages. */
	check_size(nk_t, prev + 1, NK_PAGE_SIZE, NK_PAGE_SIZE, 8, -1);
	check_size(nk_t, NK_PAGE_SIZE, NK_PAGE_SIZE, NK_PAGE_SIZE, 8, -1);
	check_size(nk_t, NK_PAGE_SIZE + 1, 2 * NK_PAGE_SIZE, 2 * NK_PAGE_SIZE, 8, -1);
	check_size(nk_t, 65536, 65536, 65536, 8, -1);
	check_size(nk_t, (1 << 20) + 1, 2 << 20, 2 << 20, 4, -1);
	NK_EXPECT_UEQ(nk_page_free_total(), before);
}

/* Small objects share pages: a hundred 32-byte objects cost at most two slab pages. */
NK_TEST(kmem, small_objects_share_pages)
{
	uint64_t before = nk_page_free_total(), used;

	for (int i = 0; i < 100; i++)
		objs[i] = nk_malloc(32);
	used = before - nk_page_free_total();
	for (int i = 0; i < 100; i++) {
		NK_EXPECT_NOT_NULL(objs[i]);
		nk_free(objs[i]);
	}
	NK_EXPECT_LE(used, 2);
	NK_EXPECT_UEQ(nk_page_free_total(), before);
}

NK_TEST(kmem, zero_size_and_calloc)
{
	uint64_t before = nk_page_free_total();
	uint8_t *z = nk_malloc(0), *c;
	size_t nonzero = 0;

	NK_EXPECT_NOT_NULL(z);
	NK_EXPECT_GE(nk_malloc_usable_size(z), 1);
	nk_free(z);
	/* Dirty a block, free it, and calloc the same size: it must come back zeroed. */
	c = nk_malloc(4000);
	NK_ASSERT_NOT_NULL(c);
	memset(c, 0xee, 4000);
	nk_free(c);
	c = nk_calloc(100, 40);
	NK_ASSERT_NOT_NULL(c);
	for (int i = 0; i < 4000; i++)
		nonzero += c[i] != 0;
	NK_EXPECT_UEQ(nonzero, 0);
	nk_free(c);
	NK_EXPECT_NULL(nk_calloc(SIZE_MAX / 2, 3));
	NK_EXPECT_NULL(nk_calloc(1ULL << 40, 1ULL << 30));
	NK_EXPECT_NULL(nk_malloc(SIZE_MAX - 100));
	NK_EXPECT_UEQ(nk_page_free_total(), before);
}

/* Every power-of-two alignment from 8 bytes to 64 KiB, at sizes around it. */
NK_TEST(kmem, aligned)
{
	uint64_t before = nk_page_free_total();

	for (size_t align = 8; align <= 65536; align <<= 1) {
		const size_t sizes[] = { 1, 24, align, align + 1, 3 * align, 5000 };
		int bad = 0, n = NK_ARRAY_SIZE(sizes);

		for (int i = 0; i < n; i++) {
			objs[i] = nk_malloc_aligned(sizes[i], align);
			NK_ASSERT_NOT_NULL(objs[i]);
			bad += !NK_IS_ALIGNED((uintptr_t)objs[i], align);
			bad += nk_malloc_usable_size(objs[i]) < sizes[i];
			/* Small and aligned within a page: served by a class, not a page. */
			bad += sizes[i] <= 2048 && align <= 2048 &&
			       nk_malloc_usable_size(objs[i]) > 2048;
			fill(objs[i], sizes[i], align + i);
		}
		for (int i = 0; i < n; i++) {
			bad += !intact(objs[i], sizes[i], align + i);
			nk_free(objs[i]);
		}
		NK_CHECK_((void)0, bad == 0, "alignment %zu: %d bad objects", align, bad);
	}
	NK_EXPECT_NULL(nk_malloc_aligned(64, 48));
	NK_EXPECT_NULL(nk_malloc_aligned(64, 0));
	NK_EXPECT_UEQ(nk_page_free_total(), before);
}

/* Grow and shrink through classes and page blocks: the common prefix always survives. */
NK_TEST(kmem, realloc_keeps_contents)
{
	static const size_t steps[] = { 10, 100, 5000, 100000, 3000, 20, 20, 1 };
	uint64_t before = nk_page_free_total();
	size_t have = 0;
	uint8_t *p = NULL, *q;

	for (unsigned i = 0; i < NK_ARRAY_SIZE(steps); i++) {
		q = nk_realloc(p, steps[i]);
		NK_ASSERT_NOT_NULL(q);
		NK_EXPECT_GE(nk_malloc_usable_size(q), steps[i]);
		NK_CHECK_((void)0, intact(q, NK_MIN(have, steps[i]), 7),
			  "realloc %zu -> %zu lost the contents", have, steps[i]);
		fill(q, steps[i], 7);
		p = q;
		have = steps[i];
	}
	/* Shrinking within a class stays in place. */
	NK_EXPECT_PTR_EQ(nk_realloc(p, 2), p);
	NK_EXPECT_NULL(nk_realloc(p, 0));
	NK_EXPECT_UEQ(nk_page_free_total(), before);
}

/* Mostly small, some up to a page, a few up to 64 KiB. */
static size_t random_size(uint64_t *seed)
{
	uint64_t r = nk_xorshift64(seed);

	if (r % 100 < 90)
		return 1 + (r >> 8) % 512;
	if (r % 100 < 99)
		return 513 + (r >> 8) % (4096 - 512);
	return 4097 + (r >> 8) % (65536 - 4096);
}

#define RANDOM_SLOTS 512
static struct {
	uint8_t *p;
	size_t size;
	uint64_t seed;
} slots[RANDOM_SLOTS];

/* Resize slot i to a random size: the common prefix must survive. */
static int random_resize(uint64_t *seed, int i)
{
	size_t size = random_size(seed);
	uint8_t *q = nk_realloc(slots[i].p, size);
	int bad;

	if (!q)
		return 1;
	bad = !intact(q, NK_MIN(size, slots[i].size), slots[i].seed);
	slots[i].p = q;
	slots[i].size = size;
	return bad;
}

/* One random step on a slot: free it (checking its contents) or resize it, or allocate it. */
static int random_step(uint64_t *seed, int i)
{
	int bad = 0;

	if (slots[i].p) {
		bad += !intact(slots[i].p, slots[i].size, slots[i].seed);
		if (nk_xorshift64(seed) % 8) {
			nk_free(slots[i].p);
			slots[i].p = NULL;
			return bad;
		}
		bad += random_resize(seed, i);
	} else {
		slots[i].size = random_size(seed);
		slots[i].p = nk_malloc(slots[i].size);
		if (!slots[i].p)
			return 1;
	}
	bad += nk_malloc_usable_size(slots[i].p) < slots[i].size;
	slots[i].seed = nk_xorshift64(seed);
	fill(slots[i].p, slots[i].size, slots[i].seed);
	return bad;
}

/* 100000 random allocations, frees and reallocs with every byte checked before it goes. */
NK_TEST(kmem, random_100k)
{
	uint64_t before = nk_page_free_total(), seed = 0x2545f4914f6cdd1dULL;
	int bad = 0;

	memset(slots, 0, sizeof(slots));
	for (int op = 0; op < 100000; op++)
		bad += random_step(&seed, nk_xorshift64(&seed) % RANDOM_SLOTS);
	for (int i = 0; i < RANDOM_SLOTS; i++) {
		if (slots[i].p) {
			bad += !intact(slots[i].p, slots[i].size, slots[i].seed);
			nk_free(slots[i].p);
		}
	}
	NK_EXPECT_EQ(bad, 0);
	NK_EXPECT_UEQ(nk_page_free_total(), before);
}

/* Each bad free is reported once and changes nothing: the live objects stay usable. */
NK_TEST(kmem, bad_free_detected)
{
	uint64_t before = nk_page_free_total(), errors = nk_kmem_error_count();
	char *a = nk_malloc(32), *b = nk_malloc(32), *big = nk_malloc(10000);
	void *page = nk_page_alloc(0, -1);
	int cls = class_of(32);
	char on_stack[32];
	uint64_t in_use;

	NK_ASSERT_GE(cls, 0);
	NK_ASSERT_NOT_NULL(a);
	NK_ASSERT_NOT_NULL(b);
	NK_ASSERT_NOT_NULL(big);
	NK_ASSERT_NOT_NULL(page);
	nk_free(a);
	in_use = class_in_use(cls);
	nk_free(a);
	NK_EXPECT_UEQ(nk_kmem_error_count(), errors + 1);
	nk_free(b + 8);
	NK_EXPECT_UEQ(nk_kmem_error_count(), errors + 2);
	nk_free(on_stack);
	NK_EXPECT_UEQ(nk_kmem_error_count(), errors + 3);
	nk_free(page);
	NK_EXPECT_UEQ(nk_kmem_error_count(), errors + 4);
	nk_free(big + NK_PAGE_SIZE);
	NK_EXPECT_UEQ(nk_kmem_error_count(), errors + 5);
	NK_EXPECT_NULL(nk_realloc(b + 8, 100));
	NK_EXPECT_UEQ(nk_malloc_usable_size(b + 8), 0);
	NK_EXPECT_UEQ(nk_kmem_error_count(), errors + 7);
	NK_EXPECT_UEQ(class_in_use(cls), in_use);
	NK_EXPECT_UEQ(nk_malloc_usable_size(b), 32);
	NK_EXPECT_UEQ(nk_malloc_usable_size(big), 4 * NK_PAGE_SIZE);
	nk_free(b);
	nk_free(big);
	nk_free(big);
	NK_EXPECT_UEQ(nk_kmem_error_count(), errors + 8);
	nk_page_free(page);
	NK_EXPECT_UEQ(nk_page_free_total(), before);
}

/* Debug builds poison freed objects and report a write into one when it is handed out again. */
NK_TEST(kmem, poison_write_after_free)
{
	uint64_t before = nk_page_free_total(), errors = nk_kmem_error_count();
	uint8_t *keep, *victim, *p = NULL;
	size_t poisoned = 0;
	int n = 0;

	if (!IS_ENABLED(CONFIG_DEBUG_KMEM))
		NK_SKIP("needs CONFIG_DEBUG_KMEM");
	/* keep, allocated after victim, holds victim's slab alive when victim is freed. */
	victim = nk_malloc(64);
	keep = nk_malloc(64);
	NK_ASSERT_NOT_NULL(victim);
	NK_ASSERT_NOT_NULL(keep);
	nk_free(victim);
	for (int i = 0; i < 64; i++)
		poisoned += victim[i] == 0x6b;
	NK_EXPECT_UEQ(poisoned, 64);
	victim[5] = 0; /* the write after free */
	/* Allocate until the victim comes back (within one slab's worth of objects). */
	while (n < MAX_OBJS && (p = nk_malloc(64)) && p != victim)
		objs[n++] = p;
	NK_EXPECT_PTR_EQ(p, victim);
	NK_EXPECT_UEQ(nk_kmem_error_count(), errors + 1);
	for (int i = 0; i < n; i++)
		nk_free(objs[i]);
	nk_free(p);
	nk_free(keep);
	NK_EXPECT_UEQ(nk_page_free_total(), before);
}
