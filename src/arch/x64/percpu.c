/*
 * The CPU table: one struct nk_cpu per processor, reached through the GS base (IA32_GS_BASE,
 * Intel SDM vol. 4 table 2-2). The boot CPU's entry is live from nk_arch_early_init; the others
 * are filled from the MADT by nk_percpu_init and started by smp.c.
 */
#include <arch/x64/arch.h>
#include <arch/x64/cpu.h>
#include <nautilus/acpi.h>
#include <nautilus/cpu.h>
#include <nautilus/numa.h>
#include <nautilus/printk.h>

#define MSR_GS_BASE 0xc0000101

static struct nk_cpu cpus[NK_MAX_CPUS];
/* Never written: the memory nk_this_cpu() claims to read, so calls and clobbers order it. */
char nk_percpu_order;
static int nr_cpus = 1;

/* Point this CPU's GS base at its structure. */
void nk_percpu_load(struct nk_cpu *c)
{
	c->self = c;
	wrmsr(MSR_GS_BASE, (uint64_t)c);
}

/* The boot CPU is id 0 from the start, so nk_this_cpu works before ACPI is read. */
void nk_percpu_boot_init(void)
{
	cpus[0].id = 0;
	cpus[0].state = NK_CPU_ONLINE;
	nk_percpu_load(&cpus[0]);
}

static uint32_t this_apic_id(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	return r[1] >> 24; /* initial APIC id, CPUID.01H:EBX[31:24] */
}

/*
 * One entry per enabled MADT processor, the boot CPU (whichever MADT entry it is) staying id 0.
 * Entries beyond NK_MAX_CPUS are reported and left out.
 */
void nk_percpu_init(void)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();
	uint32_t bsp = this_apic_id();

	cpus[0].apic_id = bsp;
	nr_cpus = 1;
	for (size_t i = 0; a->has_madt && i < a->madt.nr_cpus; i++) {
		const struct nk_acpi_cpu *m = &a->madt.cpus[i];

		if (!m->enabled || m->apic_id == bsp)
			continue;
		if (nr_cpus == NK_MAX_CPUS) {
			nk_warn("CPU with APIC id %u left out: at most %d CPUs", m->apic_id,
				NK_MAX_CPUS);
			continue;
		}
		cpus[nr_cpus].id = nr_cpus;
		cpus[nr_cpus].apic_id = m->apic_id;
		cpus[nr_cpus].state = NK_CPU_ABSENT;
		nr_cpus++;
	}
	for (int i = 0; i < nr_cpus; i++)
		cpus[i].node = nk_numa_node_of_apic(cpus[i].apic_id);
}

int nk_cpu_count(void)
{
	return nr_cpus;
}

int nk_cpu_online_count(void)
{
	int n = 0;

	for (int i = 0; i < nr_cpus; i++)
		n += cpus[i].state == NK_CPU_ONLINE;
	return n;
}

struct nk_cpu *nk_cpu_get(int id)
{
	return id >= 0 && id < nr_cpus ? &cpus[id] : NULL;
}
