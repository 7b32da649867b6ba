/*
 * numa: the NUMA nodes as the kernel uses them: proximity domain, memory (total and free),
 * CPUs, the firmware's memory ranges, the distance matrix and each node's allocation order.
 */
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/numa.h>
#include <nautilus/printk.h>
#include <nautilus/shell.h>
#include <nautilus/string.h>

#include "shell_internal.h"

#define PAGES_PER_MIB (1UL << (20 - NK_PAGE_SHIFT))

/* Append "a" or "a-b" for the run [a, b] to buf, comma-separated. */
static void add_run(char *buf, size_t size, int a, int b)
{
	size_t len = strlen(buf);

	if (a == b)
		nk_snprintf(buf + len, size - len, "%s%d", len ? "," : "", a);
	else
		nk_snprintf(buf + len, size - len, "%s%d-%d", len ? "," : "", a, b);
}

/* The ids of node's CPUs as runs ("0-1,4"), or "-" when it has none. */
static void node_cpus(int node, char *buf, size_t size)
{
	int start = -1, prev = -1;

	buf[0] = '\0';
	for (int i = 0; i < nk_cpu_count(); i++) {
		struct nk_cpu *c = nk_cpu_get(i);

		if (!c || c->node != node)
			continue;
		if (start >= 0 && i != prev + 1) {
			add_run(buf, size, start, prev);
			start = -1;
		}
		if (start < 0)
			start = i;
		prev = i;
	}
	if (start >= 0)
		add_run(buf, size, start, prev);
	if (!buf[0])
		nk_snprintf(buf, size, "-");
}

static void print_nodes(int nodes)
{
	struct nk_node_mem_info mi;
	char cpus[128], domain[12];

	nk_shell_printf("%4s %6s %10s %10s %5s  %s\n", "node", "domain", "total MiB", "free MiB",
			"zones", "cpus");
	for (int n = 0; n < nodes; n++) {
		if (nk_node_mem_info(n, &mi))
			continue;
		node_cpus(n, cpus, sizeof(cpus));
		/* Without an SRAT there is no proximity domain to show. */
		if (nk_numa_domain_of_node(n) < 0)
			nk_snprintf(domain, sizeof(domain), "-");
		else
			nk_snprintf(domain, sizeof(domain), "%d", nk_numa_domain_of_node(n));
		nk_shell_printf("%4d %6s %10llu %10llu %5d  %s\n", n, domain,
				(unsigned long long)(mi.total_pages / PAGES_PER_MIB),
				(unsigned long long)(mi.free_pages / PAGES_PER_MIB), mi.zones,
				cpus);
	}
}

static void print_ranges(void)
{
	uint64_t base, len;
	int node;

	if (nk_numa_memory_range(0, &base, &len, &node)) {
		nk_shell_printf(
			"memory ranges: none from the firmware (no SRAT): node 0 has all\n");
		return;
	}
	nk_shell_printf("memory ranges (SRAT):\n");
	for (int i = 0; !nk_numa_memory_range(i, &base, &len, &node); i++)
		nk_shell_printf("  [0x%016llx, 0x%016llx) node %d\n", (unsigned long long)base,
				(unsigned long long)(base + len), node);
}

static void print_distances(int nodes)
{
	nk_shell_printf("distances (10 = local):\n    ");
	for (int b = 0; b < nodes; b++)
		nk_shell_printf(" %4d", b);
	nk_shell_printf("\n");
	for (int a = 0; a < nodes; a++) {
		nk_shell_printf("  %2d", a);
		for (int b = 0; b < nodes; b++)
			nk_shell_printf(" %4d", nk_numa_distance(a, b));
		nk_shell_printf("\n");
	}
}

static void print_orders(int nodes)
{
	int order[NK_MAX_NODES], n;

	nk_shell_printf("allocation order (own node, then by distance):\n");
	for (int a = 0; a < nodes; a++) {
		n = nk_numa_alloc_order(a, order);
		nk_shell_printf("  %2d:", a);
		for (int i = 0; i < n; i++)
			nk_shell_printf(" %d", order[i]);
		nk_shell_printf("\n");
	}
}

static int cmd_numa(int argc, char **argv __nk_unused)
{
	int nodes = nk_numa_node_count();

	if (argc != 1)
		return -EINVAL;
	nk_shell_printf("%d node%s, %d CPU%s\n", nodes, nodes == 1 ? "" : "s", nk_cpu_count(),
			nk_cpu_count() == 1 ? "" : "s");
	print_nodes(nodes);
	print_ranges();
	print_distances(nodes);
	print_orders(nodes);
	return 0;
}
NK_SHELL_CMD(numa, ": show NUMA nodes: CPUs, memory, distances, allocation order", cmd_numa);
