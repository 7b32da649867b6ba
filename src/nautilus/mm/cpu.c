/* The calling CPU as the allocators see it: its id and NUMA node from the per-CPU table. */
#include <nautilus/cpu.h>
#include <nautilus/numa.h>

#include "mm_internal.h"

/* A node the topology does not list (never set, or a bad SRAT) is treated as node 0. */
int nk_mm_this_cpu(int *node)
{
	struct nk_cpu *c = nk_this_cpu();

	*node = c->node >= 0 && c->node < nk_numa_node_count() ? c->node : 0;
	return c->id;
}
