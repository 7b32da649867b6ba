/*
 * NUMA: nodes (dense ids 0..n-1 made from ACPI proximity domains), the memory and CPUs of each,
 * distances, and node-aware allocation. Without an SRAT there is one node holding everything.
 */
#ifndef NK_NAUTILUS_NUMA_H
#define NK_NAUTILUS_NUMA_H

#include <nautilus/types.h>

#define NK_MAX_NODES 16

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

/* --- allocation: the node first, then the others by distance; NULL only if all are full --- */

void *nk_malloc_node(size_t size, int node);
void *nk_page_alloc_node(unsigned order, int node);

#endif
