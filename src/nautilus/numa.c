/*
 * NUMA topology: the firmware's proximity domains renumbered as dense node ids in the order
 * they are first seen, the memory ranges and CPUs of each, and the distance matrix. Filled
 * once at boot (before the page allocator) by the arch code; read-only afterwards.
 */
#include <nautilus/errno.h>
#include <nautilus/numa.h>
#include <nautilus/printk.h>

#define MAX_RANGES 64
#define MAX_CPUS   256

#define LOCAL_DISTANCE	10
#define REMOTE_DISTANCE 20 /* ACPI's default when there is no SLIT */

static uint32_t domains[NK_MAX_NODES]; /* node id -> proximity domain */
static int nr_nodes;
static uint8_t dist[NK_MAX_NODES][NK_MAX_NODES]; /* 0: not given */

static struct {
	uint64_t base, len;
	int node;
} ranges[MAX_RANGES];
static int nr_ranges;

static struct {
	uint32_t apic_id;
	int node;
} cpus[MAX_CPUS];
static int nr_cpus;

/* The node of a domain, added if new: the node, or -ENOSPC. */
static int node_for(uint32_t domain, bool add)
{
	for (int i = 0; i < nr_nodes; i++)
		if (domains[i] == domain)
			return i;
	if (!add)
		return -ENOENT;
	if (nr_nodes == NK_MAX_NODES) {
		nk_warn("proximity domain %u ignored: at most %d nodes", domain, NK_MAX_NODES);
		return -ENOSPC;
	}
	domains[nr_nodes] = domain;
	return nr_nodes++;
}

static bool overlaps_range(uint64_t base, uint64_t len)
{
	for (int i = 0; i < nr_ranges; i++)
		if (base < ranges[i].base + ranges[i].len && ranges[i].base < base + len)
			return true;
	return false;
}

/* Overlapping ranges are refused (-EEXIST): an address must have exactly one node. */
int nk_numa_add_memory(uint64_t base, uint64_t len, uint32_t domain)
{
	int node;

	if (!len || base + len < base)
		return -EINVAL;
	if (overlaps_range(base, len))
		return -EEXIST;
	if (nr_ranges == MAX_RANGES)
		return -ENOSPC;
	node = node_for(domain, true);
	if (node < 0)
		return node;
	ranges[nr_ranges].base = base;
	ranges[nr_ranges].len = len;
	ranges[nr_ranges++].node = node;
	return 0;
}

int nk_numa_add_cpu(uint32_t apic_id, uint32_t domain)
{
	int node;

	if (nr_cpus == MAX_CPUS)
		return -ENOSPC;
	node = node_for(domain, true);
	if (node < 0)
		return node;
	cpus[nr_cpus].apic_id = apic_id;
	cpus[nr_cpus++].node = node;
	return 0;
}

int nk_numa_set_distance(uint32_t from, uint32_t to, uint8_t d)
{
	int a = node_for(from, false), b = node_for(to, false);

	if (a < 0 || b < 0)
		return -ENOENT;
	if (d < LOCAL_DISTANCE || (a == b && d != LOCAL_DISTANCE) || d == 0xff)
		return -EINVAL;
	dist[a][b] = d;
	return 0;
}

int nk_numa_node_count(void)
{
	return nr_nodes ? nr_nodes : 1;
}

int nk_numa_node_of_apic(uint32_t apic_id)
{
	for (int i = 0; i < nr_cpus; i++)
		if (cpus[i].apic_id == apic_id)
			return cpus[i].node;
	return 0;
}

int nk_numa_node_of_paddr(uint64_t paddr)
{
	for (int i = 0; i < nr_ranges; i++)
		if (paddr - ranges[i].base < ranges[i].len)
			return ranges[i].node;
	return -1;
}

int nk_numa_domain_of_node(int node)
{
	return node >= 0 && node < nr_nodes ? (int)domains[node] : -1;
}

int nk_numa_distance(int a, int b)
{
	if (a < 0 || b < 0 || a >= nk_numa_node_count() || b >= nk_numa_node_count())
		return -EINVAL;
	if (dist[a][b])
		return dist[a][b];
	return a == b ? LOCAL_DISTANCE : REMOTE_DISTANCE;
}

int nk_numa_memory_range(int i, uint64_t *base, uint64_t *len, int *node)
{
	if (i < 0 || i >= nr_ranges)
		return -ENOENT;
	*base = ranges[i].base;
	*len = ranges[i].len;
	*node = ranges[i].node;
	return 0;
}

/* The first range boundary (a start or an end) above paddr, or limit if none is lower. */
static uint64_t next_boundary(uint64_t paddr, uint64_t limit)
{
	uint64_t b = limit;

	for (int i = 0; i < nr_ranges; i++) {
		uint64_t start = ranges[i].base, end = ranges[i].base + ranges[i].len;

		if (start > paddr && start < b)
			b = start;
		if (end > paddr && end < b)
			b = end;
	}
	return b;
}

/* Boundaries between ranges of the same node are crossed, so a node's run is one piece. */
int nk_numa_node_run(uint64_t paddr, uint64_t limit, uint64_t *end)
{
	int node = nk_numa_node_of_paddr(paddr);
	uint64_t e = paddr;

	do
		e = next_boundary(e, limit);
	while (e < limit && nk_numa_node_of_paddr(e) == node);
	*end = e;
	return node;
}

/*
 * 0 <= self < nr <= NK_MAX_NODES. Self is put first whatever its distance (a SLIT may call a
 * remote node as near as the local one); the others are inserted in id order, each after every
 * node that is no farther, so equal distances keep the lower id first.
 */
void nk_numa_order_by_distance(int self, int nr, const int *row, int *order)
{
	int n = 0;

	order[n++] = self;
	for (int j = 0; j < nr; j++) {
		int k = n;

		if (j == self)
			continue;
		while (k > 1 && row[order[k - 1]] > row[j]) {
			order[k] = order[k - 1];
			k--;
		}
		order[k] = j;
		n++;
	}
}

int nk_numa_alloc_order(int node, int order[NK_MAX_NODES])
{
	int n = nk_numa_node_count(), row[NK_MAX_NODES];

	if (node < 0 || node >= n)
		return -EINVAL;
	for (int j = 0; j < n; j++)
		row[j] = nk_numa_distance(node, j);
	nk_numa_order_by_distance(node, n, row, order);
	return n;
}
