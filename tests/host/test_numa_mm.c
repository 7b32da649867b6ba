/*
 * Host tests of the NUMA-aware mm stack: a four-node machine over host memory (one node with
 * CPUs only, RAM that no range lists, a node made of two ranges) goes through the boot
 * allocator and nk_mm_init; then zones, orders and the per-CPU caches are checked with the
 * "calling CPU" switched by hand, and the in-kernel suites numa, buddy and kmem run on it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nautilus/boot_info.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/irq.h>
#include <nautilus/mm.h>
#include <nautilus/numa.h>
#include <nautilus/test.h>

#include "../../src/nautilus/mm/mm_internal.h"
#include "host_stubs.h"

#define MIB	    (1UL << 20)
#define PAGE	    NK_PAGE_SIZE
#define REGION_SIZE (64 * MIB)

/*
 * Proximity domains 5, 9, 2 own [0, 24M), [24M, 40M) (two ranges), [40M, 60M) of the region
 * and become nodes 0, 1, 2; domain 7 has a CPU and no memory (node 3); [60M, 64M) is in no
 * range. Distances by node (SLIT, symmetric):
 *        0   1   2   3
 *   0   10  30  20  25
 *   1   30  10  20  25
 *   2   20  20  10  25
 *   3   25  25  25  10
 */
static const uint32_t domain_of[4] = { 5, 9, 2, 7 };
static const int distance[4][4] = {
	{ 10, 30, 20, 25 }, { 30, 10, 20, 25 }, { 20, 20, 10, 25 }, { 25, 25, 25, 10 }
};
static uint8_t *mem;
static uintptr_t R;
static struct nk_boot_info bi;

/* CPUs: APIC ids 0, 1 on node 0; 2 on node 1; 3 on node 2; 4 on node 3 (memory-less). */
#define NR_CPUS 5
static const uint32_t cpu_domain[NR_CPUS] = { 5, 5, 9, 2, 7 };
static struct nk_cpu cpus[NR_CPUS];

int nk_cpu_count(void)
{
	return NR_CPUS;
}

struct nk_cpu *nk_cpu_get(int id)
{
	return id >= 0 && id < NR_CPUS ? &cpus[id] : NULL;
}

/* Run as this CPU (the allocators ask nk_mm_this_cpu, which the host stubs answer). */
static void become_cpu(int id)
{
	nk_host_cpu_id = id;
	nk_host_cpu_node = cpus[id].node;
}

/* A cross-call on the host: run fn as CPU cpu, then go back to being the caller. */
int nk_xcall(int cpu, void (*fn)(void *arg), void *arg, bool wait)
{
	int self = nk_host_cpu_id;

	(void)wait;
	if (!nk_cpu_get(cpu) || !fn)
		return -EINVAL;
	become_cpu(cpu);
	fn(arg);
	become_cpu(self);
	return 0;
}

static void fill_topology(void)
{
	assert_int_equal(nk_numa_add_memory(R, 24 * MIB, 5), 0);
	assert_int_equal(nk_numa_add_memory(R + 24 * MIB, 8 * MIB, 9), 0);
	assert_int_equal(nk_numa_add_memory(R + 40 * MIB, 20 * MIB, 2), 0);
	assert_int_equal(nk_numa_add_memory(R + 32 * MIB, 8 * MIB, 9), 0);
	for (int i = 0; i < NR_CPUS; i++)
		assert_int_equal(nk_numa_add_cpu(i, cpu_domain[i]), 0);
	for (int a = 0; a < 4; a++)
		for (int b = 0; b < 4; b++)
			assert_int_equal(
				nk_numa_set_distance(domain_of[a], domain_of[b], distance[a][b]),
				0);
	for (int i = 0; i < NR_CPUS; i++)
		cpus[i] = (struct nk_cpu){ .id = i, .apic_id = i, .node = nk_numa_node_of_apic(i) };
}

static void test_mm_init(void **state)
{
	(void)state;
	bi.mmap[bi.nr_mmap++] = (struct nk_mem_region){ R, REGION_SIZE, NK_MEM_USABLE };
	fill_topology();
	assert_int_equal(nk_numa_node_count(), 4);
	assert_int_equal(nk_bootmem_init(&bi, R + MIB, R + 2 * MIB), 0);
	nk_host_last_log[0] = '\0';
	assert_int_equal(nk_mm_init(), 0);
	become_cpu(0);
}

static void expect_zone(int id, uint64_t base, int node, uint64_t managed)
{
	struct nk_zone_info zi;

	assert_int_equal(nk_zone_get_info(id, &zi), 0);
	assert_int_equal(zi.base, base);
	assert_int_equal(zi.node, node);
	assert_int_equal(zi.total_pages, managed);
	assert_int_equal(zi.free_pages, managed);
}

/*
 * A zone per node piece: node 1's two ranges make one zone, the unlisted tail is node 0's.
 * Each zone's page metadata (one byte a page) sits in the zone itself: node-local.
 */
static void test_zones_by_node(void **state)
{
	struct nk_node_mem_info mi;

	(void)state;
	assert_int_equal(nk_zone_count(), 4);
	/* Zone 0 starts above the boot reservations; its 6 KiB of metadata take 2 pages. */
	expect_zone(1, R + 24 * MIB, 1, 16 * MIB / PAGE - 1);
	expect_zone(2, R + 40 * MIB, 2, 20 * MIB / PAGE - 2);
	expect_zone(3, R + 60 * MIB, 0, 4 * MIB / PAGE - 1);
	assert_int_equal(nk_node_mem_info(1, &mi), 0);
	assert_int_equal(mi.zones, 1);
	assert_int_equal(nk_node_mem_info(0, &mi), 0);
	assert_int_equal(mi.zones, 2);
	assert_int_equal(nk_node_mem_info(3, &mi), 0);
	assert_int_equal(mi.zones, 0);
	assert_int_equal(mi.total_pages, 0);
	assert_int_equal(nk_node_mem_info(NK_MAX_NODES, &mi), -EINVAL);
	assert_int_equal(nk_node_of((void *)(R + 30 * MIB)), 1);
	assert_int_equal(nk_node_of((void *)(R + 63 * MIB)), 0);
	/* The "kernel image" lies inside zone 0's span: its node is known though it is no block. */
	assert_int_equal(nk_node_of((void *)(R + MIB)), 0);
	assert_int_equal(nk_node_of(&bi), -1);
}

/* Orders by the table above: ties by id, a memory-less node starts with itself. */
static void test_orders(void **state)
{
	static const int want[4][4] = {
		{ 0, 2, 3, 1 }, { 1, 2, 3, 0 }, { 2, 0, 1, 3 }, { 3, 0, 1, 2 }
	};
	int nr;

	(void)state;
	for (int a = 0; a < 4; a++) {
		const int *o = nk_zone_node_order(a, &nr);

		assert_int_equal(nr, 4);
		assert_memory_equal(o, want[a], sizeof(want[a]));
	}
}

/* Each CPU's plain allocations land on its node; the memory-less node's CPU gets node 0. */
static void test_cpu_local(void **state)
{
	static const int expect[NR_CPUS] = { 0, 0, 1, 2, 0 };

	(void)state;
	for (int c = 0; c < NR_CPUS; c++) {
		void *s, *l, *p;

		become_cpu(c);
		s = nk_malloc(64);
		l = nk_malloc(50000);
		p = nk_page_alloc(1, -1);
		assert_int_equal(nk_node_of(s), expect[c]);
		assert_int_equal(nk_node_of(l), expect[c]);
		assert_int_equal(nk_node_of(p), expect[c]);
		nk_free(s);
		nk_free(l);
		nk_page_free(p);
	}
	become_cpu(0);
	nk_kmem_drain_all();
}

/*
 * Caches across CPUs: a CPU keeps only its node's objects; a double free is caught while the
 * object sits in another CPU's cache; any CPU drains all; a CPU whose node changed starts over.
 */
static void test_cpu_caches(void **state)
{
	uint64_t total = nk_page_free_total(), errors = nk_kmem_error_count(), cached;
	void *p, *q, *r;

	(void)state;
	become_cpu(0);
	p = nk_malloc(64);
	become_cpu(2);
	q = nk_malloc(64);
	assert_int_equal(nk_node_of(p), 0);
	assert_int_equal(nk_node_of(q), 1);
	cached = nk_kmem_cached_count();
	nk_free(p); /* node 0's object freed on a node-1 CPU: straight to its slab */
	assert_int_equal(nk_kmem_cached_count(), cached);
	nk_free(q);
	assert_int_equal(nk_kmem_cached_count(), cached + 1);
	become_cpu(0);
	nk_free(q);
	assert_int_equal(nk_kmem_error_count(), errors + 1);
	assert_non_null(strstr(nk_host_last_log, "double free"));
	nk_kmem_drain_all();
	assert_int_equal(nk_kmem_cached_count(), 0);
	assert_int_equal(nk_page_free_total(), total);

	/* CPU 2 moves to node 2: its node-1 objects go back before it takes node-2 ones. */
	become_cpu(2);
	r = nk_malloc(64);
	assert_int_equal(nk_node_of(r), 1);
	nk_free(r);
	nk_host_cpu_node = 2;
	r = nk_malloc(64);
	assert_int_equal(nk_node_of(r), 2);
	nk_free(r);
	become_cpu(4);
	r = nk_malloc(64);
	assert_int_equal(nk_node_of(r), 0);
	cached = nk_kmem_cached_count();
	nk_free(r); /* not of CPU 4's node 3 */
	assert_int_equal(nk_kmem_cached_count(), cached);
	become_cpu(0);
	assert_int_equal(nk_page_free_total(), total);
}

/* A bad node is refused with a message naming it; NK_NUMA_LOCAL follows the CPU. */
static void test_bad_nodes(void **state)
{
	void *p;

	(void)state;
	nk_host_last_log[0] = '\0';
	assert_null(nk_malloc_node(16, 4));
	assert_non_null(strstr(nk_host_last_log, "nk_malloc_node(node 4)"));
	assert_non_null(strstr(nk_host_last_log, "nodes are 0..3"));
	assert_null(nk_page_alloc_node(0, -7));
	assert_non_null(strstr(nk_host_last_log, "nk_page_alloc_node(node -7)"));
	become_cpu(3);
	p = nk_malloc_node(16, NK_NUMA_LOCAL);
	assert_int_equal(nk_node_of(p), 2);
	nk_free(p);
	become_cpu(0);
	nk_kmem_drain_all();
}

/* meminfo shows the nodes of the zones and the cached objects. */
static void test_dump(void **state)
{
	(void)state;
	nk_host_console_len = 0;
	nk_mm_dump();
	assert_non_null(strstr(nk_host_console, "zones: 4"));
	assert_non_null(strstr(nk_host_console, "slab pages by node"));
	assert_non_null(strstr(nk_host_console, "objects in per-CPU caches: 0"));
}

#include "../../src/test/test_buddy.c"
#include "../../src/test/test_kmem.c"
#include "../../src/test/test_numa.c"

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mm_init),	   cmocka_unit_test(test_zones_by_node),
		cmocka_unit_test(test_orders),	   cmocka_unit_test(test_cpu_local),
		cmocka_unit_test(test_cpu_caches), cmocka_unit_test(test_bad_nodes),
		cmocka_unit_test(test_dump),
	};
	int failed;

	mem = aligned_alloc(REGION_SIZE, REGION_SIZE);
	if (!mem)
		return 1;
	memset(mem, 0xcc, REGION_SIZE);
	R = (uintptr_t)mem;
	/* The suites run on the machine set up by the first group, so they need it to pass. */
	failed = cmocka_run_group_tests_name("numa mm", tests, NULL, NULL);
	if (!failed)
		failed = nk_host_run_kcases("numa+buddy+kmem in-kernel suites on four nodes");
	free(mem);
	return failed ? 1 : 0;
}
