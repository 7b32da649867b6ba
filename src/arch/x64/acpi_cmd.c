/*
 * The acpi shell command: the registered tables and what was taken from MADT, SRAT, SLIT, HPET,
 * FADT and MCFG.
 */
#include <nautilus/acpi.h>
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/shell.h>

static void show_tables(void)
{
	nk_printf("sig  address            length rev OEM    checksum\n");
	for (size_t i = 0; i < nk_acpi_table_count(); i++) {
		const struct nk_acpi_sdt_header *h = nk_acpi_table_at(i);

		nk_printf("%.4s 0x%016llx %6u %3u %.6s %s\n", h->signature,
			  (unsigned long long)(uintptr_t)h, h->length, h->revision, h->oem_id,
			  nk_acpi_checksum_ok(h, h->length) ? "ok" : "BAD");
	}
}

static void show_madt(const struct nk_acpi_madt *m)
{
	nk_printf("MADT: %zu CPUs enabled (%zu listed), local APIC at 0x%x, flags 0x%x\n",
		  m->nr_enabled_cpus, m->nr_cpus, m->lapic_addr, m->flags);
	for (size_t i = 0; i < m->nr_cpus; i++)
		nk_printf("  cpu uid %u %sapic id %u%s%s\n", m->cpus[i].acpi_uid,
			  m->cpus[i].x2apic ? "x2" : "", m->cpus[i].apic_id,
			  m->cpus[i].enabled ? " enabled" : "",
			  m->cpus[i].online_capable ? " online-capable" : "");
	for (size_t i = 0; i < m->nr_ioapics; i++)
		nk_printf("  ioapic id %u at 0x%x, GSI base %u\n", m->ioapics[i].id,
			  m->ioapics[i].address, m->ioapics[i].gsi_base);
	for (size_t i = 0; i < m->nr_overrides; i++)
		nk_printf("  override bus %u irq %u -> GSI %u, flags 0x%x\n", m->overrides[i].bus,
			  m->overrides[i].source, m->overrides[i].gsi, m->overrides[i].flags);
	for (size_t i = 0; i < m->nr_nmis; i++)
		if (m->nmis[i].lapic)
			nk_printf("  local APIC NMI uid 0x%x LINT%u, flags 0x%x\n",
				  m->nmis[i].acpi_uid, m->nmis[i].lint, m->nmis[i].flags);
		else
			nk_printf("  NMI source GSI %u, flags 0x%x\n", m->nmis[i].gsi,
				  m->nmis[i].flags);
}

static void show_srat(const struct nk_acpi_srat *s)
{
	nk_printf("SRAT: %zu domains, %zu CPU entries, %zu memory ranges\n",
		  nk_acpi_srat_domains(s), s->nr_cpus, s->nr_mems);
	for (size_t i = 0; i < s->nr_cpus; i++)
		nk_printf("  cpu apic id %u -> domain %u%s\n", s->cpus[i].apic_id,
			  s->cpus[i].domain, s->cpus[i].enabled ? "" : " (disabled)");
	for (size_t i = 0; i < s->nr_mems; i++)
		nk_printf("  mem 0x%llx-0x%llx -> domain %u%s%s\n",
			  (unsigned long long)s->mems[i].base,
			  (unsigned long long)(s->mems[i].base + s->mems[i].length),
			  s->mems[i].domain, s->mems[i].enabled ? "" : " (disabled)",
			  s->mems[i].hotplug ? " hotplug" : "");
}

static void show_slit(const struct nk_acpi_slit *s)
{
	nk_printf("SLIT: %llu localities\n", (unsigned long long)s->nr_localities);
	for (size_t i = 0; i < s->nr; i++) {
		nk_printf(" ");
		for (size_t j = 0; j < s->nr; j++)
			nk_printf(" %3u", s->dist[i][j]);
		nk_printf("\n");
	}
}

static void show_rest(const struct nk_acpi_info *a)
{
	if (a->has_hpet)
		nk_printf("HPET: base 0x%llx, number %u, block id 0x%x\n",
			  (unsigned long long)a->hpet.base.address, a->hpet.number,
			  a->hpet.block_id);
	if (a->has_fadt) {
		nk_printf("FADT: PM1a control port 0x%x, SCI irq %u, flags 0x%x, DSDT 0x%llx\n",
			  a->fadt.pm1a_cnt, a->fadt.sci_irq, a->fadt.flags,
			  (unsigned long long)a->fadt.dsdt);
		if (a->fadt.has_reset)
			nk_printf("FADT: reset register %s 0x%llx, value 0x%x\n",
				  a->fadt.reset_reg.space_id == 1 ? "port" : "mem",
				  (unsigned long long)a->fadt.reset_reg.address,
				  a->fadt.reset_value);
	}
	for (size_t i = 0; a->has_mcfg && i < a->mcfg.nr; i++)
		nk_printf("MCFG: segment %u buses %u-%u ECAM at 0x%llx\n",
			  a->mcfg.allocs[i].segment, a->mcfg.allocs[i].start_bus,
			  a->mcfg.allocs[i].end_bus, (unsigned long long)a->mcfg.allocs[i].base);
}

static int cmd_acpi(int argc, char **argv __nk_unused)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();

	if (argc != 1)
		return -EINVAL;
	if (!nk_acpi_table_count()) {
		nk_printf("no ACPI tables\n");
		return 0;
	}
	nk_printf("RSDP revision %u from %s, OEM %s, tables from the %s at 0x%llx\n", a->revision,
		  a->rsdp_source, a->oem_id, a->xsdt ? "XSDT" : "RSDT",
		  (unsigned long long)a->root_paddr);
	show_tables();
	if (a->has_madt)
		show_madt(&a->madt);
	if (a->has_srat)
		show_srat(&a->srat);
	if (a->has_slit)
		show_slit(&a->slit);
	show_rest(a);
	return 0;
}
NK_SHELL_CMD(acpi, ": list the ACPI tables and what was parsed from them", cmd_acpi);
