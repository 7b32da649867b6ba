/*
 * NUMA topology from ACPI: SRAT memory and processor affinity (ACPI 6.5 5.2.16) and SLIT
 * distances (5.2.17) handed to the generic registry (src/nautilus/numa.c).
 */
#include <arch/x64/arch.h>
#include <nautilus/acpi.h>
#include <nautilus/errno.h>
#include <nautilus/numa.h>
#include <nautilus/printk.h>

static void add_srat(const struct nk_acpi_srat *s)
{
	for (size_t i = 0; i < s->nr_mems; i++)
		if (s->mems[i].enabled && !s->mems[i].hotplug &&
		    nk_numa_add_memory(s->mems[i].base, s->mems[i].length, s->mems[i].domain))
			nk_warn("SRAT memory 0x%llx+0x%llx (domain %u) not taken",
				(unsigned long long)s->mems[i].base,
				(unsigned long long)s->mems[i].length, s->mems[i].domain);
	for (size_t i = 0; i < s->nr_cpus; i++)
		if (s->cpus[i].enabled && nk_numa_add_cpu(s->cpus[i].apic_id, s->cpus[i].domain))
			nk_warn("SRAT CPU (APIC id %u, domain %u) not taken", s->cpus[i].apic_id,
				s->cpus[i].domain);
}

/* SLIT rows are indexed by proximity domain; entries for domains without memory or CPUs skip. */
static void add_slit(const struct nk_acpi_slit *s)
{
	for (size_t a = 0; a < s->nr; a++)
		for (size_t b = 0; b < s->nr; b++)
			if (nk_numa_set_distance(a, b, s->dist[a][b]) == -EINVAL)
				nk_warn("SLIT distance %u from domain %zu to %zu ignored",
					s->dist[a][b], a, b);
}

void nk_numa_acpi_init(void)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();

	if (a->has_srat)
		add_srat(&a->srat);
	if (a->has_slit)
		add_slit(&a->slit);
	nk_info("NUMA: %d node%s%s", nk_numa_node_count(), nk_numa_node_count() == 1 ? "" : "s",
		a->has_srat ? " (SRAT)" : " (no SRAT)");
}
