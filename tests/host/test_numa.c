/*
 * Host tests of the NUMA topology registry (src/nautilus/numa.c, included here so that each
 * case can start from an empty registry) and of the distance ordering of nodes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <nautilus/random.h>

#include "../../src/nautilus/numa.c"
#include "host_stubs.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

static int reset(void **state)
{
	(void)state;
	nr_nodes = 0;
	nr_ranges = 0;
	nr_cpus = 0;
	memset(dist, 0, sizeof(dist));
	memset(domains, 0, sizeof(domains));
	return 0;
}

/* Without firmware tables: one node 0 holding every CPU, listing no memory. */
static void test_empty(void **state)
{
	int order[NK_MAX_NODES];
	uint64_t base, len, end;
	int node;

	(void)state;
	assert_int_equal(nk_numa_node_count(), 1);
	assert_int_equal(nk_numa_node_of_apic(7), 0);
	assert_int_equal(nk_numa_node_of_paddr(GIB), -1);
	assert_int_equal(nk_numa_domain_of_node(0), -1);
	assert_int_equal(nk_numa_distance(0, 0), 10);
	assert_int_equal(nk_numa_distance(0, 1), -EINVAL);
	assert_int_equal(nk_numa_distance(-1, 0), -EINVAL);
	assert_int_equal(nk_numa_alloc_order(0, order), 1);
	assert_int_equal(order[0], 0);
	assert_int_equal(nk_numa_alloc_order(1, order), -EINVAL);
	assert_int_equal(nk_numa_memory_range(0, &base, &len, &node), -ENOENT);
	assert_int_equal(nk_numa_node_run(0, 4 * GIB, &end), -1);
	assert_int_equal(end, 4 * GIB);
}

/* Domains become dense node ids in the order they are first seen, from memory or CPUs. */
static void test_domains_renumbered(void **state)
{
	uint64_t base, len;
	int node;

	(void)state;
	assert_int_equal(nk_numa_add_memory(GIB, GIB, 7), 0);
	assert_int_equal(nk_numa_add_cpu(4, 3), 0);
	assert_int_equal(nk_numa_add_memory(0, GIB, 3), 0);
	assert_int_equal(nk_numa_add_cpu(0, 7), 0);
	assert_int_equal(nk_numa_add_cpu(9, 42), 0); /* a node with CPUs only */
	assert_int_equal(nk_numa_node_count(), 3);
	assert_int_equal(nk_numa_domain_of_node(0), 7);
	assert_int_equal(nk_numa_domain_of_node(1), 3);
	assert_int_equal(nk_numa_domain_of_node(2), 42);
	assert_int_equal(nk_numa_domain_of_node(3), -1);
	assert_int_equal(nk_numa_node_of_apic(0), 0);
	assert_int_equal(nk_numa_node_of_apic(4), 1);
	assert_int_equal(nk_numa_node_of_apic(9), 2);
	assert_int_equal(nk_numa_node_of_apic(5), 0); /* not listed */
	assert_int_equal(nk_numa_node_of_paddr(0), 1);
	assert_int_equal(nk_numa_node_of_paddr(GIB - 1), 1);
	assert_int_equal(nk_numa_node_of_paddr(GIB), 0);
	assert_int_equal(nk_numa_node_of_paddr(2 * GIB - 1), 0);
	assert_int_equal(nk_numa_node_of_paddr(2 * GIB), -1);
	assert_int_equal(nk_numa_memory_range(1, &base, &len, &node), 0);
	assert_int_equal(base, 0);
	assert_int_equal(len, GIB);
	assert_int_equal(node, 1);
	assert_int_equal(nk_numa_memory_range(2, &base, &len, &node), -ENOENT);
	assert_int_equal(nk_numa_memory_range(-1, &base, &len, &node), -ENOENT);
}

/* Bad ranges are refused without creating a node; overlaps would give an address two nodes. */
static void test_bad_memory(void **state)
{
	(void)state;
	assert_int_equal(nk_numa_add_memory(0, 0, 1), -EINVAL);
	assert_int_equal(nk_numa_add_memory(UINT64_MAX - 10, 100, 2), -EINVAL);
	assert_int_equal(nk_numa_node_count(), 1);
	assert_int_equal(nk_numa_domain_of_node(0), -1);
	assert_int_equal(nk_numa_add_memory(GIB, GIB, 1), 0);
	assert_int_equal(nk_numa_add_memory(2 * GIB - 4096, 8192, 2), -EEXIST);
	assert_int_equal(nk_numa_add_memory(0, GIB + 1, 2), -EEXIST);
	assert_int_equal(nk_numa_add_memory(0, 4 * GIB, 2), -EEXIST);
	assert_int_equal(nk_numa_node_count(), 1);
	assert_int_equal(nk_numa_add_memory(0, GIB, 2), 0); /* touching is fine */
	assert_int_equal(nk_numa_node_count(), 2);
}

/* At most NK_MAX_NODES domains, MAX_RANGES ranges and MAX_CPUS CPUs; the rest is refused. */
static void test_limits(void **state)
{
	(void)state;
	for (int i = 0; i < NK_MAX_NODES; i++)
		assert_int_equal(nk_numa_add_memory(i * GIB, GIB, 100 + i), 0);
	nk_host_last_log[0] = '\0';
	assert_int_equal(nk_numa_add_memory(100 * GIB, GIB, 999), -ENOSPC);
	assert_non_null(strstr(nk_host_last_log, "domain 999 ignored"));
	assert_int_equal(nk_numa_add_cpu(1, 998), -ENOSPC);
	assert_int_equal(nk_numa_node_count(), NK_MAX_NODES);
	for (int i = NK_MAX_NODES; i < MAX_RANGES; i++)
		assert_int_equal(nk_numa_add_memory(i * GIB, GIB, 100), 0);
	assert_int_equal(nk_numa_add_memory(MAX_RANGES * GIB, GIB, 100), -ENOSPC);
	for (int i = 0; i < MAX_CPUS; i++)
		assert_int_equal(nk_numa_add_cpu(i, 101), 0);
	assert_int_equal(nk_numa_add_cpu(MAX_CPUS, 101), -ENOSPC);
	assert_int_equal(nk_numa_node_of_apic(MAX_CPUS - 1), 1);
}

/* SLIT entries are by domain; bad ones are refused; missing ones read as 10 local, 20 remote. */
static void test_distances(void **state)
{
	(void)state;
	assert_int_equal(nk_numa_add_memory(0, GIB, 5), 0);
	assert_int_equal(nk_numa_add_memory(GIB, GIB, 6), 0);
	assert_int_equal(nk_numa_set_distance(5, 6, 31), 0);
	assert_int_equal(nk_numa_set_distance(5, 7, 31), -ENOENT);
	assert_int_equal(nk_numa_set_distance(5, 6, 9), -EINVAL);
	assert_int_equal(nk_numa_set_distance(5, 5, 11), -EINVAL);
	assert_int_equal(nk_numa_set_distance(5, 6, 0xff), -EINVAL);
	assert_int_equal(nk_numa_set_distance(6, 6, 10), 0);
	assert_int_equal(nk_numa_distance(0, 1), 31);
	assert_int_equal(nk_numa_distance(1, 0), 20); /* not given: the default */
	assert_int_equal(nk_numa_distance(1, 1), 10);
	assert_int_equal(nk_numa_distance(0, 2), -EINVAL);
}

/* A run crosses ranges of one node, stops where the node changes, and a gap is its own run. */
static void test_node_runs(void **state)
{
	uint64_t end;

	(void)state;
	assert_int_equal(nk_numa_add_memory(0, 640 << 10, 1), 0);
	assert_int_equal(nk_numa_add_memory(MIB, GIB - MIB, 1), 0);
	assert_int_equal(nk_numa_add_memory(2 * GIB, GIB, 2), 0);
	assert_int_equal(nk_numa_add_memory(GIB, GIB, 1), 0); /* listed last, adjacent */
	assert_int_equal(nk_numa_node_run(0, 8 * GIB, &end), 0);
	assert_int_equal(end, 640 << 10);
	assert_int_equal(nk_numa_node_run(640 << 10, 8 * GIB, &end), -1);
	assert_int_equal(end, MIB);
	assert_int_equal(nk_numa_node_run(MIB, 8 * GIB, &end), 0);
	assert_int_equal(end, 2 * GIB);
	assert_int_equal(nk_numa_node_run(GIB + 5, 8 * GIB, &end), 0);
	assert_int_equal(end, 2 * GIB);
	assert_int_equal(nk_numa_node_run(2 * GIB, 8 * GIB, &end), 1);
	assert_int_equal(end, 3 * GIB);
	assert_int_equal(nk_numa_node_run(3 * GIB, 8 * GIB, &end), -1);
	assert_int_equal(end, 8 * GIB);
	assert_int_equal(nk_numa_node_run(MIB, GIB / 2, &end), 0); /* the limit cuts */
	assert_int_equal(end, GIB / 2);
}

static void order_of(int self, int nr, const int *row, int *out)
{
	nk_numa_order_by_distance(self, nr, row, out);
}

/* Self first even when a remote node is as near; equal distances by lower id. */
static void test_order_examples(void **state)
{
	const int row0[] = { 10, 30, 20, 25 }, row2[] = { 20, 20, 10, 25 },
		  row3[] = { 25, 25, 25, 10 };
	const int tie[] = { 10, 10, 40, 10 }, one[] = { 10 };
	int o[4];

	(void)state;
	order_of(0, 4, row0, o);
	assert_memory_equal(o, ((int[]){ 0, 2, 3, 1 }), sizeof(o));
	order_of(2, 4, row2, o);
	assert_memory_equal(o, ((int[]){ 2, 0, 1, 3 }), sizeof(o));
	order_of(3, 4, row3, o);
	assert_memory_equal(o, ((int[]){ 3, 0, 1, 2 }), sizeof(o));
	order_of(3, 4, tie, o);
	assert_memory_equal(o, ((int[]){ 3, 0, 1, 2 }), sizeof(o));
	order_of(0, 1, one, o);
	assert_int_equal(o[0], 0);
}

/* The registry's order uses its distances (SLIT row of the node's domain). */
static void test_alloc_order(void **state)
{
	int o[NK_MAX_NODES];

	(void)state;
	for (uint32_t d = 0; d < 4; d++)
		assert_int_equal(nk_numa_add_memory(d * GIB, GIB, d), 0);
	assert_int_equal(nk_numa_set_distance(0, 1, 40), 0);
	assert_int_equal(nk_numa_set_distance(0, 2, 30), 0);
	assert_int_equal(nk_numa_set_distance(0, 3, 30), 0);
	assert_int_equal(nk_numa_alloc_order(0, o), 4);
	assert_memory_equal(o, ((int[]){ 0, 2, 3, 1 }), 4 * sizeof(int));
	assert_int_equal(nk_numa_alloc_order(1, o), 4); /* row 1 not given: all 20 */
	assert_memory_equal(o, ((int[]){ 1, 0, 2, 3 }), 4 * sizeof(int));
	assert_int_equal(nk_numa_alloc_order(4, o), -EINVAL);
	assert_int_equal(nk_numa_alloc_order(-1, o), -EINVAL);
}

/* Random rows against the definition: a permutation, self first, then sorted by (distance, id). */
static void test_order_random(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		int nr = 1 + nk_xorshift64(&seed) % NK_MAX_NODES, self = nk_xorshift64(&seed) % nr;
		int row[NK_MAX_NODES], o[NK_MAX_NODES], seen[NK_MAX_NODES] = { 0 };

		for (int j = 0; j < nr; j++)
			row[j] = 10 + nk_xorshift64(&seed) % 6; /* few values: many ties */
		order_of(self, nr, row, o);
		assert_int_equal(o[0], self);
		for (int i = 0; i < nr; i++) {
			assert_in_range(o[i], 0, nr - 1);
			assert_int_equal(seen[o[i]]++, 0);
			if (i >= 2)
				assert_true(row[o[i - 1]] < row[o[i]] ||
					    (row[o[i - 1]] == row[o[i]] && o[i - 1] < o[i]));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_empty, reset),
		cmocka_unit_test_setup(test_domains_renumbered, reset),
		cmocka_unit_test_setup(test_bad_memory, reset),
		cmocka_unit_test_setup(test_limits, reset),
		cmocka_unit_test_setup(test_distances, reset),
		cmocka_unit_test_setup(test_node_runs, reset),
		cmocka_unit_test_setup(test_order_examples, reset),
		cmocka_unit_test_setup(test_alloc_order, reset),
		cmocka_unit_test_setup(test_order_random, reset),
	};

	return cmocka_run_group_tests_name("numa registry", tests, NULL, NULL) ? 1 : 0;
}
