/*
 * NUMA: nodes (dense ids 0..n-1 made from ACPI proximity domains), the memory and CPUs of each,
 * distances, and node-aware allocation. Without an SRAT there is one node holding everything.
 */
#ifndef NK_NAUTILUS_NUMA_H
#define NK_NAUTILUS_NUMA_H

#include <nautilus/types.h>

#define NK_MAX_NODES 16
/* As a node argument: the node of the calling CPU. */
#define NK_NUMA_LOCAL (-1)

/* --- topology, filled by the arch code before nk_mm_init (x86: from SRAT/SLIT) --- */

/* Memory [base, base+len) belongs to proximity domain `domain`. */
int nk_numa_add_memory(uint64_t base, uint64_t len, uint32_t domain);
/* The CPU with this APIC id belongs to proximity domain `domain`. */
int nk_numa_add_cpu(uint32_t apic_id, uint32_t domain);
/* Distance between two domains as the firmware gives it (10 = local). */
int nk_numa_set_distance(uint32_t from, uint32_t to, uint8_t dist);

/* --- queries --- */

int nk_numa_node_count(void);
/* Node of the CPU with this APIC id (0 if the firmware said nothing). */
int nk_numa_node_of_apic(uint32_t apic_id);
/* Node of physical address paddr by the firmware's ranges, -1 if none lists it. */
int nk_numa_node_of_paddr(uint64_t paddr);
/* The firmware's proximity domain of a node (-1 for a bad node). */
int nk_numa_domain_of_node(int node);
/* Distance between nodes a and b (10 local, 20 remote by default). */
int nk_numa_distance(int a, int b);
/* The node of the memory at p, or -1 if p is in no zone. */
int nk_node_of(const void *p);

/* Memory range i of the firmware's list (0..): 0, or -ENOENT past the last one. */
int nk_numa_memory_range(int i, uint64_t *base, uint64_t *len, int *node);
/*
 * Node of paddr as nk_numa_node_of_paddr gives it, and in *end the first address after paddr
 * (at most limit) where that answer may change: the end of the run of ranges of one node that
 * holds paddr, or the start of the next range when no range holds it. Splits RAM into zones.
 */
int nk_numa_node_run(uint64_t paddr, uint64_t limit, uint64_t *end);
/*
 * The order in which to try the nodes for memory wanted on `node`: the node itself first, then
 * the others by increasing distance from it, ties by lower id. Fills order[0..n) and returns n
 * (the node count), or -EINVAL for a bad node.
 */
int nk_numa_alloc_order(int node, int order[NK_MAX_NODES]);
/*
 * The same ordering over an explicit row of distances: row[j] is the distance from self to
 * node j (0 <= self < nr <= NK_MAX_NODES). Pure, so the policy can be tested on any matrix.
 */
void nk_numa_order_by_distance(int self, int nr, const int *row, int *order);
/* The node of the calling CPU (the caller keeps the thread on this CPU if it matters). */
int nk_numa_current_node(void);

/* --- allocation: the node first, then the others by distance; NULL only if all are full --- */

/*
 * node is a node id (0..nk_numa_node_count()-1) or NK_NUMA_LOCAL. Any other value is a caller's
 * bug: it is reported (nk_warn, naming the caller) and NULL is returned, never a silent choice
 * of some other node. A node without memory (CPUs only) simply starts the fallback order.
 * nk_malloc_node's block is freed with nk_free, nk_page_alloc_node's with nk_page_free.
 */
void *nk_malloc_node(size_t size, int node);
void *nk_page_alloc_node(unsigned order, int node);

#endif
