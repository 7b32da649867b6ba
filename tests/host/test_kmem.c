/*
 * Host tests of the whole mm stack: a fake memory map over host memory goes through the boot
 * allocator, nk_mm_init and the zones; then the in-kernel suites `buddy` and `kmem` run on it.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <nautilus/boot_info.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/test.h>

#include "../../src/nautilus/mm/mm_internal.h"
#include "host_stubs.h"

#define MIB	     (1UL << 20)
#define PAGE	     NK_PAGE_SIZE
#define REGION_SIZE  (64 * MIB)
#define REGION_PAGES (REGION_SIZE / PAGE)

/* The "physical memory" of these tests and its map (offsets into it). */
static uint8_t *mem;
static uintptr_t R;
static struct nk_boot_info bi;

/* Every range the page allocator must never hand out, filled in as the tests reserve. */
static struct {
	uint64_t base, end;
} forbidden[32];
static int nr_forbidden;

/* A second zone, added directly with nk_zone_add (node 1). */
static uint8_t *mem2, *meta2;
#define MEM2_PAGES 1024

static void forbid(uint64_t base, uint64_t end)
{
	assert_true(nr_forbidden < (int)NK_ARRAY_SIZE(forbidden));
	forbidden[nr_forbidden].base = base;
	forbidden[nr_forbidden].end = end;
	nr_forbidden++;
}

static void map_add(uint64_t off, uint64_t len, uint32_t type)
{
	bi.mmap[bi.nr_mmap++] = (struct nk_mem_region){ R + off, len, type };
	if (type != NK_MEM_USABLE)
		forbid(R + off, R + off + len);
}

/*
 * RAM [0, 40M) and [41M, 64M - 3000) with a duplicate entry inside the first, a reserved hole
 * between them and an ACPI NVS range overlapping the second; kernel and a module inside the
 * first.
 */
static void build_map(void)
{
	map_add(0, 40 * MIB, NK_MEM_USABLE);
	map_add(8 * MIB, MIB, NK_MEM_USABLE);
	map_add(40 * MIB, MIB, NK_MEM_RESERVED);
	map_add(41 * MIB, 23 * MIB - 3000, NK_MEM_USABLE);
	map_add(50 * MIB, 8192, NK_MEM_ACPI_NVS);
	forbid(R + 64 * MIB - 3000, R + 64 * MIB);
	bi.nr_modules = 1;
	bi.modules[0] = (struct nk_boot_module){ R + 5 * MIB, R + 5 * MIB + 10, "initrd" };
	forbid(R + 5 * MIB, R + 5 * MIB + 10);
	forbid(R + MIB + 100, R + 3 * MIB); /* the kernel image */
}

static void test_bootmem_map(void **state)
{
	(void)state;
	assert_int_equal(nk_bootmem_init(&bi, R + MIB + 100, R + 3 * MIB), 0);
	assert_int_equal(nk_bootmem_init(&bi, R + MIB + 100, R + 3 * MIB), -EBUSY);
	assert_true(nk_mm_range_is_ram(R + 100, 10));
	assert_true(nk_mm_range_is_ram(R + 8 * MIB - 10, 2 * MIB)); /* across the duplicate */
	assert_true(nk_mm_range_is_ram(R + 41 * MIB, 23 * MIB - 3000));
	assert_false(nk_mm_range_is_ram(R + 39 * MIB, 2 * MIB)); /* into the hole */
	assert_false(nk_mm_range_is_ram(R + 64 * MIB - 3000, 1));
	assert_false(nk_mm_range_is_ram(0, 16));
	assert_false(nk_mm_range_is_ram(UINT64_MAX - 5, 10));
}

/* Bottom-up, byte-granular, aligned, zeroed, and recorded so nothing else gets the bytes. */
static void test_bootmem_alloc(void **state)
{
	uint8_t *a, *b, *c, *d;

	(void)state;
	assert_int_equal(nk_bootmem_reserve(R + 20 * MIB, 3 * PAGE + 1, "test reservation"), 0);
	forbid(R + 20 * MIB, R + 20 * MIB + 3 * PAGE + 1);
	assert_int_equal(nk_bootmem_reserve(R, 0, "empty"), -EINVAL);
	a = nk_bootmem_alloc(100, 8);
	b = nk_bootmem_alloc(PAGE, PAGE);
	c = nk_bootmem_alloc(1, MIB);
	d = nk_bootmem_alloc(200, 64);
	assert_ptr_equal(a, (void *)R);
	assert_ptr_equal(b, (void *)(R + PAGE));
	assert_ptr_equal(c, (void *)(R + MIB)); /* the 100 bytes below the kernel */
	assert_ptr_equal(d, (void *)(R + 128)); /* the gap after a */
	for (int i = 0; i < 100; i++)
		assert_int_equal(a[i], 0);
	for (int i = 0; i < 200; i++)
		assert_int_equal(d[i], 0);
	forbid(R, R + 100);
	forbid(R + PAGE, R + 2 * PAGE);
	forbid(R + MIB, R + MIB + 1);
	forbid(R + 128, R + 328);
}

static bool page_forbidden(uintptr_t p)
{
	for (int i = 0; i < nr_forbidden; i++)
		if (p < forbidden[i].end && forbidden[i].base < p + PAGE)
			return true;
	return false;
}

/* Pages of the map that the page allocator may hand out. */
static uint64_t allowed_pages(void)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < REGION_PAGES; i++)
		n += !page_forbidden(R + i * PAGE);
	return n;
}

/*
 * After nk_mm_init every page comes out exactly once, none of them reserved; the only allowed
 * pages missing are the few holding the zones' metadata.
 */
static void test_mm_init_handoff(void **state)
{
	static uint8_t seen[REGION_PAGES];
	struct nk_zone_info zi;
	uint64_t total, got = 0, bad = 0;
	void *chain = NULL, *p;

	(void)state;
	assert_int_equal(nk_mm_init(), 0);
	assert_int_equal(nk_zone_count(), 2);
	assert_int_equal(nk_zone_get_info(0, &zi), 0);
	assert_int_equal(zi.base, R + 2 * PAGE);
	assert_int_equal(nk_zone_get_info(1, &zi), 0);
	assert_int_equal(zi.base, R + 41 * MIB);
	total = nk_page_free_total();
	while ((p = nk_page_alloc(0, -1))) {
		uint64_t i = ((uintptr_t)p - R) / PAGE;

		bad += (uintptr_t)p < R || i >= REGION_PAGES || seen[i] ||
		       page_forbidden((uintptr_t)p);
		if (i < REGION_PAGES)
			seen[i] = 1;
		*(void **)p = chain;
		chain = p;
		got++;
	}
	assert_int_equal(bad, 0);
	assert_int_equal(got, total);
	assert_in_range(allowed_pages() - got, 1, 6);
	while (chain) {
		p = *(void **)chain;
		nk_page_free(chain);
		chain = p;
	}
	assert_int_equal(nk_page_free_total(), total);
}

static void bootmem_alloc_child(void)
{
	nk_bootmem_alloc(8, 8);
	_exit(0);
}

/* Once the zones own the memory, the boot allocator refuses everything; alloc panics. */
static void test_bootmem_closed(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(nk_bootmem_reserve(R + 30 * MIB, PAGE, "late"), -EBUSY);
	assert_int_equal(nk_mm_init(), -EINVAL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		bootmem_alloc_child();
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

static bool in_mem2(const void *p)
{
	return (const uint8_t *)p >= mem2 && (const uint8_t *)p < mem2 + MEM2_PAGES * PAGE;
}

/* A zone added by hand: hints pick it, exhaustion falls back to the others, bad input refused. */
static void test_zones(void **state)
{
	uint64_t total = nk_page_free_total();
	struct nk_zone_info zi;
	void *p, *all, *other;
	int id;

	(void)state;
	id = nk_zone_add((uintptr_t)mem2, MEM2_PAGES, 1, meta2);
	assert_int_equal(id, 2);
	assert_int_equal(nk_zone_add((uintptr_t)mem2 + PAGE, 10, 1, meta2), -EINVAL);
	assert_int_equal(nk_zone_add((uintptr_t)mem2 + (8 << 20) + 1, 10, 1, meta2), -EINVAL);
	assert_int_equal(nk_zone_add_free((uintptr_t)mem2, MEM2_PAGES), 0);
	assert_int_equal(nk_zone_add_free((uintptr_t)mem2, 1), -EINVAL);
	assert_int_equal(nk_zone_add_free(R + 40 * MIB, 1), -ENOENT);
	assert_int_equal(nk_zone_get_info(id, &zi), 0);
	assert_int_equal(zi.node, 1);
	assert_int_equal(zi.total_pages, MEM2_PAGES);
	assert_int_equal(zi.free_pages, MEM2_PAGES);
	assert_int_equal(zi.largest_free_order, 10);
	assert_int_equal(nk_zone_get_info(99, &zi), -EINVAL);
	assert_int_equal(nk_page_free_total(), total + MEM2_PAGES);

	p = nk_page_alloc(0, id);
	assert_true(in_mem2(p));
	nk_page_free(p);
	p = nk_page_alloc(0, -1);
	assert_true((uintptr_t)p >= R && (uintptr_t)p < R + 40 * MIB); /* zone 0 first */
	all = nk_page_alloc(10, id);
	assert_ptr_equal(all, mem2);
	other = nk_page_alloc(0, id); /* zone 2 is empty: falls back */
	assert_non_null(other);
	assert_false(in_mem2(other));
	assert_null(nk_page_alloc(NK_MAX_ORDER + 1, id));
	nk_page_free(other);
	nk_page_free(all);
	nk_page_free(p);
	nk_page_free(&zi);
	assert_non_null(strstr(nk_host_last_log, "not in any zone"));
	assert_int_equal(nk_page_free_total(), total + MEM2_PAGES);
}

/* nk_mm_dump and the reservations: what meminfo prints. */
static void test_dump(void **state)
{
	void *p = nk_malloc(32);

	(void)state;
	nk_host_console_len = 0;
	nk_mm_dump();
	nk_bootmem_dump();
	assert_non_null(strstr(nk_host_console, "zones: 3"));
	assert_non_null(strstr(nk_host_console, "kmem size classes"));
	assert_non_null(strstr(nk_host_console, "large blocks"));
	assert_non_null(strstr(nk_host_console, "kernel image"));
	assert_non_null(strstr(nk_host_console, "initrd"));
	assert_non_null(strstr(nk_host_console, "ACPI NVS"));
	assert_non_null(strstr(nk_host_console, "test reservation"));
	assert_non_null(strstr(nk_host_console, "bootmem"));
	nk_free(p);
}

#include "../../src/test/test_buddy.c"
#include "../../src/test/test_kmem.c"

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bootmem_map),	cmocka_unit_test(test_bootmem_alloc),
		cmocka_unit_test(test_mm_init_handoff), cmocka_unit_test(test_bootmem_closed),
		cmocka_unit_test(test_zones),		cmocka_unit_test(test_dump),
	};
	int failed;

	mem = aligned_alloc(REGION_SIZE, REGION_SIZE);
	mem2 = aligned_alloc(MEM2_PAGES * PAGE, MEM2_PAGES * PAGE);
	meta2 = malloc(MEM2_PAGES);
	if (!mem || !mem2 || !meta2)
		return 1;
	memset(mem, 0xcc, REGION_SIZE);
	R = (uintptr_t)mem;
	build_map();
	/* The suites run on the zones set up by the first group, so they need it to pass. */
	failed = cmocka_run_group_tests_name("mm", tests, NULL, NULL);
	if (!failed)
		failed = nk_host_run_kcases("buddy+kmem in-kernel suites");
	free(meta2);
	free(mem2);
	free(mem);
	return failed ? 1 : 0;
}
