/*
 * KTAP suite `numa`: the allocators against the NUMA topology. Allocations land on the calling
 * CPU's node or the node asked for; exhausting nodes moves allocations along the node's
 * distance order, and freeing everything restores every zone exactly; the per-CPU kmem caches
 * reuse, refuse double frees and drain. What needs two nodes with memory is skipped on one.
 */
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/irq.h>
#include <nautilus/mm.h>
#include <nautilus/numa.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>
#include <nautilus/test.h>

#include "../nautilus/mm/mm_internal.h"
#include "../nautilus/shell/shell_internal.h"

/* Free pages a node needs for the allocations of a case to be expected there. */
#define NUMA_ROOM_PAGES 64

static uint64_t numa_free_pages(int node)
{
	struct nk_node_mem_info mi;

	return nk_node_mem_info(node, &mi) ? 0 : mi.free_pages;
}

static int numa_nodes_with_memory(void)
{
	int n = 0;

	for (int i = 0; i < nk_numa_node_count(); i++)
		n += numa_free_pages(i) >= NUMA_ROOM_PAGES;
	return n;
}

/* Where an allocation wanted on node must land now: the first node of its order with room. */
static int numa_expected_node(int node)
{
	int order[NK_MAX_NODES], n = nk_numa_alloc_order(node, order);

	for (int i = 0; i < n; i++)
		if (numa_free_pages(order[i]) >= NUMA_ROOM_PAGES)
			return order[i];
	return -1;
}

/* The order is self, then by distance, ties by id; it is a permutation; mm uses the same. */
static void numa_check_order(struct nk_test_ctx *nk_t, int a, int n)
{
	int order[NK_MAX_NODES], mm_nr;
	const int *mm = nk_zone_node_order(a, &mm_nr);
	bool seen[NK_MAX_NODES] = { false };

	NK_ASSERT_EQ(nk_numa_alloc_order(a, order), n);
	NK_EXPECT_EQ(order[0], a);
	NK_ASSERT_EQ(mm_nr, n);
	for (int i = 0; i < n; i++) {
		NK_ASSERT(order[i] >= 0 && order[i] < n && !seen[order[i]]);
		seen[order[i]] = true;
		NK_EXPECT_EQ(mm[i], order[i]);
		if (i < 2)
			continue;
		NK_CHECK_((void)0,
			  nk_numa_distance(a, order[i - 1]) < nk_numa_distance(a, order[i]) ||
				  (nk_numa_distance(a, order[i - 1]) ==
					   nk_numa_distance(a, order[i]) &&
				   order[i - 1] < order[i]),
			  "node %d's order: %d (distance %d) before %d (distance %d)", a,
			  order[i - 1], nk_numa_distance(a, order[i - 1]), order[i],
			  nk_numa_distance(a, order[i]));
	}
}

/* Nodes, distances and orders are the registry's; zones and CPUs sit on the registry's nodes. */
NK_TEST(numa, topology_consistent)
{
	int n = nk_numa_node_count(), order[NK_MAX_NODES];
	uint64_t zone_pages = 0, node_pages = 0;
	struct nk_node_mem_info mi;
	struct nk_zone_info zi;

	NK_ASSERT(n >= 1 && n <= NK_MAX_NODES);
	for (int a = 0; a < n; a++) {
		NK_EXPECT_EQ(nk_numa_distance(a, a), 10);
		for (int b = 0; b < n; b++)
			NK_EXPECT(nk_numa_distance(a, b) >= 10 && nk_numa_distance(a, b) < 255);
		numa_check_order(nk_t, a, n);
		NK_ASSERT_EQ(nk_node_mem_info(a, &mi), 0);
		node_pages += mi.total_pages;
	}
	NK_EXPECT_LT(nk_numa_distance(n, 0), 0);
	NK_EXPECT_EQ(nk_numa_alloc_order(n, order), -EINVAL);
	NK_EXPECT_EQ(nk_numa_domain_of_node(n), -1);
	for (int z = 0; z < nk_zone_count(); z++) {
		NK_ASSERT_EQ(nk_zone_get_info(z, &zi), 0);
		NK_EXPECT(zi.node >= 0 && zi.node < n);
		NK_EXPECT_EQ(zi.node, NK_MAX(nk_numa_node_of_paddr(zi.base), 0));
		NK_EXPECT_EQ(nk_node_of((void *)(uintptr_t)zi.base), zi.node);
		zone_pages += zi.total_pages;
	}
	NK_EXPECT_UEQ(node_pages, zone_pages);
	for (int c = 0; c < nk_cpu_count(); c++) {
		struct nk_cpu *cpu = nk_cpu_get(c);

		NK_ASSERT_NOT_NULL(cpu);
		NK_EXPECT_EQ(cpu->node, nk_numa_node_of_apic(cpu->apic_id));
	}
	NK_EXPECT(nk_numa_current_node() >= 0 && nk_numa_current_node() < n);
}

/*
 * What the calling CPU allocates without naming a node is on its node. (Each CPU: once CPUs
 * other than the boot CPU run work, this case should run on each; every_node covers the nodes.)
 */
NK_TEST(numa, local_allocation)
{
	int node = nk_numa_current_node();
	void *p[6];

	if (numa_free_pages(node) < NUMA_ROOM_PAGES)
		NK_SKIP("this CPU's node has no free memory");
	p[0] = nk_malloc(64);
	p[1] = nk_malloc(3000);
	p[2] = nk_malloc(100000);
	p[3] = nk_malloc_node(200, NK_NUMA_LOCAL);
	p[4] = nk_page_alloc(0, -1);
	p[5] = nk_page_alloc_node(2, NK_NUMA_LOCAL);
	for (int i = 0; i < 6; i++) {
		NK_EXPECT_NOT_NULL(p[i]);
		NK_CHECK_((void)0, nk_node_of(p[i]) == node,
			  "allocation %d at %p on node %d, not %d", i, p[i], nk_node_of(p[i]),
			  node);
	}
	for (int i = 0; i < 4; i++)
		nk_free(p[i]);
	nk_page_free(p[4]);
	nk_page_free(p[5]);
}

struct on_cpu {
	int cpu_node;
	int nodes[4]; /* where nk_malloc(64), nk_malloc(100000), and two pages landed */
};

/* Runs on the CPU under test (a cross-call): allocate the local way, note where, free. */
static void alloc_here(void *arg)
{
	struct on_cpu *r = arg;
	void *p[4] = { nk_malloc(64), nk_malloc(100000), nk_page_alloc(0, -1),
		       nk_page_alloc_node(1, NK_NUMA_LOCAL) };

	r->cpu_node = nk_numa_current_node();
	for (int i = 0; i < 4; i++)
		r->nodes[i] = p[i] ? nk_node_of(p[i]) : -2;
	nk_free(p[0]);
	nk_free(p[1]);
	nk_page_free(p[2]);
	nk_page_free(p[3]);
}

NK_TEST(numa, local_allocation_every_cpu)
{
	for (int cpu = 0; cpu < nk_cpu_count(); cpu++) {
		struct on_cpu r = { -1, { -1, -1, -1, -1 } };

		NK_EXPECT_EQ(nk_xcall(cpu, alloc_here, &r, true), 0);
		NK_EXPECT_EQ(r.cpu_node, nk_cpu_get(cpu)->node);
		if (numa_free_pages(r.cpu_node) < NUMA_ROOM_PAGES)
			continue; /* its node is full: falling back is right */
		for (int i = 0; i < 4; i++)
			NK_CHECK_((void)0, r.nodes[i] == r.cpu_node,
				  "cpu %d: allocation %d on node %d, not its node %d", cpu, i,
				  r.nodes[i], r.cpu_node);
	}
}

/* Blocks asked of node n: from n if it has room, else from the first node of n's order that does. */
static void numa_check_node(struct nk_test_ctx *nk_t, int n)
{
	static const size_t sizes[] = { 16, 64, 2048, 5000, 100000 };
	int want = numa_expected_node(n), got;
	char *p;

	for (unsigned i = 0; i < NK_ARRAY_SIZE(sizes); i++) {
		p = nk_malloc_node(sizes[i], n);
		NK_ASSERT_NOT_NULL(p);
		got = nk_node_of(p);
		memset(p, 0x5a, sizes[i]);
		nk_free(p);
		NK_CHECK_((void)0, got == want, "nk_malloc_node(%zu, %d) on node %d, not %d",
			  sizes[i], n, got, want);
	}
	for (unsigned k = 0; k <= 4; k += 4) {
		p = nk_page_alloc_node(k, n);
		NK_ASSERT_NOT_NULL(p);
		got = nk_node_of(p);
		nk_page_free(p);
		NK_CHECK_((void)0, got == want, "nk_page_alloc_node(%u, %d) on node %d, not %d", k,
			  n, got, want);
	}
}

/* Every node, and every CPU's node, is honoured (a node without memory: by its order). */
NK_TEST(numa, every_node_honoured)
{
	for (int n = 0; n < nk_numa_node_count(); n++)
		numa_check_node(nk_t, n);
	for (int c = 0; c < nk_cpu_count(); c++)
		numa_check_node(nk_t, nk_cpu_get(c)->node);
	nk_test_diag("%d node(s), %d with memory", nk_numa_node_count(), numa_nodes_with_memory());
}

/* A bad node is the caller's bug: NULL and a warning, never some other node's memory. */
NK_TEST(numa, bad_node_refused)
{
	static int not_in_a_zone;
	int n = nk_numa_node_count();
	void *p;

	NK_EXPECT_NULL(nk_malloc_node(64, n));
	NK_EXPECT_NULL(nk_malloc_node(64, -2));
	NK_EXPECT_NULL(nk_malloc_node(100000, NK_MAX_NODES));
	NK_EXPECT_NULL(nk_page_alloc_node(0, n));
	NK_EXPECT_NULL(nk_page_alloc_node(0, -1000));
	NK_EXPECT_NULL(nk_page_alloc_node(NK_MAX_ORDER + 1, 0));
	NK_EXPECT_EQ(nk_node_of(NULL), -1);
	NK_EXPECT_EQ(nk_node_of(&not_in_a_zone), -1);
	p = nk_malloc_node(64, NK_NUMA_LOCAL);
	NK_ASSERT_NOT_NULL(p);
	NK_EXPECT_GE(nk_node_of(p), 0);
	nk_free(p);
}

/* --- exhaustion --- */

static struct nk_buddy_stats numa_zone_before[NK_MAX_ZONES];
#define NUMA_MAX_OBJS 4096
static void *numa_objs[NUMA_MAX_OBJS];

static void numa_snapshot(void)
{
	nk_kmem_drain_all();
	for (int z = 0; z < nk_zone_count(); z++)
		nk_zone_stats(z, &numa_zone_before[z]);
}

/* After everything is freed and the caches drained, every zone is block for block as before. */
static void numa_check_restored(struct nk_test_ctx *nk_t)
{
	struct nk_buddy_stats st;

	nk_kmem_drain_all();
	for (int z = 0; z < nk_zone_count(); z++) {
		NK_ASSERT_EQ(nk_zone_stats(z, &st), 0);
		NK_CHECK_((void)0, st.free_pages == numa_zone_before[z].free_pages,
			  "zone %d: %llu free pages, %llu before", z,
			  (unsigned long long)st.free_pages,
			  (unsigned long long)numa_zone_before[z].free_pages);
		for (int k = 0; k <= NK_MAX_ORDER; k++)
			NK_EXPECT_UEQ(st.nr_free[k], numa_zone_before[z].nr_free[k]);
	}
}

static int numa_largest_order(int node)
{
	struct nk_zone_info zi;
	int best = -1;

	for (int z = 0; z < nk_zone_count(); z++)
		if (!nk_zone_get_info(z, &zi) && zi.node == node && zi.largest_free_order > best)
			best = zi.largest_free_order;
	return best;
}

struct numa_fill {
	void *chain; /* every block taken from target, linked through its first word */
	int bad;     /* blocks from another node while target still had a block of that order */
};

/*
 * Ask node `want` for blocks, largest first, while they come from `target` (the node want's
 * order reaches now). A block from elsewhere is allowed only once target has no free block of
 * its order; it is given back at once, so other nodes stay whole. Returns the node of the
 * order-0 block that came from elsewhere: where want's allocations go once target is full
 * (-1: nowhere, the machine is full). Nothing prints here.
 */
static int numa_fill_node(struct numa_fill *f, int want, int target)
{
	for (int k = NK_MAX_ORDER; k >= 0; k--) {
		void *p;

		while ((p = nk_page_alloc_node(k, want))) {
			int node = nk_node_of(p);

			if (node == target) {
				*(void **)p = f->chain;
				f->chain = p;
				continue;
			}
			f->bad += numa_largest_order(target) >= k;
			nk_page_free(p);
			if (k == 0)
				return node;
			break;
		}
	}
	return -1;
}

static void numa_free_chain(struct numa_fill *f)
{
	while (f->chain) {
		void *next = *(void **)f->chain;

		nk_page_free(f->chain);
		f->chain = next;
	}
}

/*
 * With target (want's order-reached node) exhausted, kmem follows too: objects of a size class
 * keep coming from target's partial slabs, then from `next`; large blocks from next at once.
 * The objects stay allocated (numa_objs[0..*n)) until the caller is done: freeing them could
 * empty a slab and give target pages again.
 */
static void numa_check_kmem_follows(struct nk_test_ctx *nk_t, int want, int target, int next,
				    int *n)
{
	int first_else = -1;
	void *big = nk_malloc_node(10000, want);

	NK_EXPECT_EQ(nk_node_of(big), next);
	nk_free(big);
	while (*n < NUMA_MAX_OBJS && (numa_objs[*n] = nk_malloc_node(2048, want))) {
		if (nk_node_of(numa_objs[(*n)++]) != target) {
			first_else = nk_node_of(numa_objs[*n - 1]);
			break;
		}
	}
	NK_EXPECT_EQ(first_else, next);
}

/* The first node of order after position i with room for allocations, or -1. */
static int numa_next_with_room(const int *order, int n, int i)
{
	for (int j = i + 1; j < n; j++)
		if (numa_free_pages(order[j]) >= NUMA_ROOM_PAGES)
			return order[j];
	return -1;
}

/*
 * Node `want`: fill the nodes of its order one by one, asking want each time; each time the
 * allocations move to the next node of the order that has memory, and at the end there is none.
 */
static void numa_exhaust_from(struct nk_test_ctx *nk_t, int want)
{
	int order[NK_MAX_NODES], n = nk_numa_alloc_order(want, order), expect, next, objs = 0;
	struct numa_fill f = { NULL, 0 };

	numa_snapshot();
	for (int i = 0; i < n; i++) {
		int target = order[i];

		if (!numa_free_pages(target))
			continue;
		expect = numa_next_with_room(order, n, i);
		next = numa_fill_node(&f, want, target);
		NK_EXPECT_UEQ(numa_free_pages(target), 0);
		NK_CHECK_((void)0, next == expect,
			  "node %d full: allocations for node %d went to %d, not %d", target, want,
			  next, expect);
		if (next >= 0 && !objs)
			numa_check_kmem_follows(nk_t, want, target, next, &objs);
	}
	NK_EXPECT_NULL(nk_page_alloc_node(0, want));
	NK_EXPECT_NULL(nk_malloc_node(10000, want));
	NK_EXPECT_EQ(f.bad, 0);
	for (int i = 0; i < objs; i++)
		nk_free(numa_objs[i]);
	numa_free_chain(&f);
	numa_check_restored(nk_t);
}

/* For every node (with memory or not): exhaustion falls back by distance, freeing restores. */
NK_TEST(numa, exhaustion_falls_back_by_distance)
{
	if (numa_nodes_with_memory() < 2)
		NK_SKIP("needs two NUMA nodes with memory (qemu -numa node,memdev=...)");
	for (int n = 0; n < nk_numa_node_count(); n++)
		numa_exhaust_from(nk_t, n);
}

/* --- per-CPU caches --- */

/* A freed local object is kept by this CPU, comes back first, and cannot be freed twice. */
NK_TEST(numa, cpu_cache_reuse_and_double_free)
{
	uint64_t errors = nk_kmem_error_count(), cached;
	void *p, *q;

	nk_kmem_drain_all();
	NK_EXPECT_UEQ(nk_kmem_cached_count(), 0);
	p = nk_malloc(128);
	NK_ASSERT_NOT_NULL(p);
	if (nk_node_of(p) != nk_numa_current_node()) {
		nk_free(p);
		NK_SKIP("this CPU's node has no free memory: nothing is cached");
	}
	nk_free(p);
	cached = nk_kmem_cached_count();
	NK_EXPECT_GE(cached, 1);
	nk_free(p);
	NK_EXPECT_UEQ(nk_kmem_error_count(), errors + 1);
	NK_EXPECT_UEQ(nk_malloc_usable_size(p), 0);
	NK_EXPECT_UEQ(nk_kmem_error_count(), errors + 2);
	q = nk_malloc(128);
	NK_EXPECT_PTR_EQ(q, p);
	NK_EXPECT_UEQ(nk_kmem_cached_count(), cached - 1);
	NK_EXPECT_UEQ(nk_malloc_usable_size(q), 128);
	nk_free(q);
	nk_kmem_drain_all();
	NK_EXPECT_UEQ(nk_kmem_cached_count(), 0);
}

/* Objects of another node go straight back to their slab: caches hold local memory only. */
NK_TEST(numa, cpu_cache_keeps_local_objects_only)
{
	int here = nk_numa_current_node(), other = -1;
	uint64_t cached;
	void *p;

	for (int n = 0; n < nk_numa_node_count() && other < 0; n++)
		if (n != here && numa_free_pages(n) >= NUMA_ROOM_PAGES)
			other = n;
	if (other < 0)
		NK_SKIP("needs a second NUMA node with memory");
	nk_kmem_drain_all();
	p = nk_malloc_node(128, other);
	NK_ASSERT_NOT_NULL(p);
	NK_EXPECT_EQ(nk_node_of(p), other);
	cached = nk_kmem_cached_count();
	nk_free(p);
	NK_EXPECT_UEQ(nk_kmem_cached_count(), cached);
	/* Moving a block keeps it on its node. */
	p = nk_malloc_node(100, other);
	NK_ASSERT_NOT_NULL(p);
	p = nk_realloc(p, 6000);
	NK_ASSERT_NOT_NULL(p);
	NK_EXPECT_EQ(nk_node_of(p), other);
	nk_free(p);
}

/* Many frees overflow a cache into the slabs; a drain gives every page back. */
NK_TEST(numa, cpu_cache_spills_and_drains)
{
	uint64_t before = nk_page_free_total();
	int n = 0;

	for (; n < 300; n++) {
		numa_objs[n] = nk_malloc(n % 2 ? 48 : 1024);
		if (!numa_objs[n])
			break;
	}
	NK_EXPECT_EQ(n, 300);
	for (int i = 0; i < n; i++)
		nk_free(numa_objs[i]);
	NK_EXPECT_LE(nk_kmem_cached_count(), 64);
	nk_kmem_drain_all();
	NK_EXPECT_UEQ(nk_kmem_cached_count(), 0);
	NK_EXPECT_UEQ(nk_zone_free_total(), before);
}

/* --- the numa shell command --- */

static char numa_cap[4096];

/* Node a's row of the distance matrix, then its order, as the command prints them. */
static void numa_expected_rows(int a, char *dist_row, char *order_row, size_t size)
{
	int order[NK_MAX_NODES], n = nk_numa_alloc_order(a, order);
	size_t d = nk_snprintf(dist_row, size, "\n  %2d", a);
	size_t o = nk_snprintf(order_row, size, "\n  %2d:", a);

	for (int b = 0; b < n; b++) {
		d += nk_snprintf(dist_row + d, size - d, " %4d", nk_numa_distance(a, b));
		o += nk_snprintf(order_row + o, size - o, " %d", order[b]);
	}
	nk_snprintf(dist_row + d, size - d, "\n");
	nk_snprintf(order_row + o, size - o, "\n");
}

/* The node count, each node's distance row and allocation order; arguments refused. */
NK_TEST(numa, shell_command)
{
	char row[128], order_row[128];
	int ret;

	if (!IS_ENABLED(CONFIG_SHELL))
		NK_SKIP("needs CONFIG_SHELL");
	nk_shell_capture_begin(numa_cap, sizeof(numa_cap));
	ret = nk_shell_execute("numa");
	nk_shell_capture_end();
	NK_ASSERT_EQ(ret, 0);
	nk_snprintf(row, sizeof(row), "%d node%s, ", nk_numa_node_count(),
		    nk_numa_node_count() == 1 ? "" : "s");
	NK_EXPECT_NOT_NULL(strstr(numa_cap, row));
	NK_EXPECT_NOT_NULL(strstr(numa_cap, "distances (10 = local):"));
	NK_EXPECT_NOT_NULL(strstr(numa_cap, "allocation order"));
	for (int n = 0; n < nk_numa_node_count(); n++) {
		numa_expected_rows(n, row, order_row, sizeof(row));
		NK_CHECK_((void)0, strstr(numa_cap, row), "no distance row \"%s\"", row + 1);
		NK_CHECK_((void)0, strstr(numa_cap, order_row), "no order \"%s\"", order_row + 1);
	}
	nk_shell_capture_begin(numa_cap, sizeof(numa_cap));
	ret = nk_shell_execute("numa 1");
	nk_shell_capture_end();
	NK_EXPECT_EQ(ret, -EINVAL);
	NK_EXPECT_NOT_NULL(strstr(numa_cap, "usage: numa"));
}
