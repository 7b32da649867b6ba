/*
 * ACPI static tables: finds the RSDP, registers every checksummed table of the
 * XSDT/RSDT and parses MADT, SRAT, SLIT, HPET, FADT and MCFG into plain
 * structs. Builds for the host too.
 */
#include <nautilus/acpi.h>
#include <nautilus/arch.h>
#include <nautilus/boot_info.h>
#include <nautilus/errno.h>
#include <nautilus/init.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>

#include "acpi_tables.h"

static const struct nk_acpi_sdt_header *tables[NK_ACPI_MAX_TABLES];
static size_t nr_tables;
static struct nk_acpi_info info;

/* Fields are read bytewise: tables give no alignment guarantee. */
static uint8_t rd8(const uint8_t *p, size_t off)
{
	return p[off];
}

static uint16_t rd16(const uint8_t *p, size_t off)
{
	uint16_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

/* All RAM is identity-mapped: a physical address is a pointer. */
static const uint8_t *phys(uint64_t paddr)
{
	return (const uint8_t *)(uintptr_t)paddr;
}

static struct nk_acpi_gas rd_gas(const uint8_t *p, size_t off)
{
	return (struct nk_acpi_gas){ .space_id = rd8(p, off),
				     .bit_width = rd8(p, off + 1),
				     .bit_offset = rd8(p, off + 2),
				     .access_size = rd8(p, off + 3),
				     .address = rd64(p, off + 4) };
}

bool nk_acpi_checksum_ok(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum == 0;
}

int nk_acpi_rsdp_check(const void *rsdp, size_t avail)
{
	const uint8_t *p = rsdp;
	uint32_t len;

	if (avail < RSDP_V1_LEN || memcmp(p, RSDP_SIG, 8) != 0)
		return -EINVAL;
	if (!nk_acpi_checksum_ok(p, RSDP_V1_LEN))
		return -EINVAL;
	if (rd8(p, RSDP_REVISION) < 2 || avail < RSDP_V2_LEN)
		return 0;
	len = rd32(p, RSDP_LENGTH);
	if (len < RSDP_V2_LEN || len > avail || !nk_acpi_checksum_ok(p, len))
		return -EINVAL;
	return 0;
}

/*
 * Common checks of a table in a buffer of len bytes: signature, min_len <=
 * length <= len, and the checksum. Returns the table's length, or -EINVAL with
 * a warning.
 */
static long table_check(const void *table, size_t len, const char *sig, size_t min_len)
{
	const struct nk_acpi_sdt_header *h = table;
	uint32_t tlen;

	if (len < SDT_HDR_LEN || memcmp(h->signature, sig, 4) != 0) {
		nk_warn("%s: not a %s table (%zu bytes)", sig, sig, len);
		return -EINVAL;
	}
	tlen = rd32(table, 4);
	if (tlen < min_len || tlen > len || tlen >= ACPI_MAX_TABLE_LEN) {
		nk_warn("%s: length %u, expected %zu to %zu bytes", sig, tlen, min_len, len);
		return -EINVAL;
	}
	if (!nk_acpi_checksum_ok(table, tlen)) {
		nk_warn("%s: bad checksum", sig);
		return -EINVAL;
	}
	return tlen;
}

typedef void (*entry_fn)(const uint8_t *e, uint8_t type, void *ctx);

/*
 * Walk {type u8, length u8} entries in [start, tlen) (MADT 5.2.12,
 * SRAT 5.2.16). An entry shorter than 2 bytes, than min[type] or running past
 * the table stops the walk: -EINVAL.
 */
static int walk_entries(const uint8_t *t, size_t tlen, size_t start, const char *sig,
			const uint8_t *min, size_t nr_min, entry_fn fn, void *ctx)
{
	size_t off = start;

	while (off < tlen) {
		uint8_t type, len;

		if (tlen - off < 2) {
			nk_warn("%s: truncated entry header at offset %zu", sig, off);
			return -EINVAL;
		}
		type = rd8(t, off);
		len = rd8(t, off + 1);
		if (len < 2 || len > tlen - off || (type < nr_min && len < min[type])) {
			nk_warn("%s: bad entry (type %u, length %u) at offset %zu of %zu, rest "
				"ignored",
				sig, type, len, off, tlen);
			return -EINVAL;
		}
		fn(t + off, type, ctx);
		off += len;
	}
	return 0;
}

/* One more slot in an array of max entries, or false with *dropped counted. */
static bool room(size_t nr, size_t max, size_t *dropped)
{
	if (nr < max)
		return true;
	(*dropped)++;
	return false;
}

static void report_dropped(const char *sig, size_t dropped)
{
	if (dropped)
		nk_warn("%s: %zu entries beyond the kernel's limits ignored", sig, dropped);
}

static void madt_cpu(struct nk_acpi_madt *m, uint32_t apic_id, uint32_t uid, uint32_t flags,
		     bool x2apic)
{
	if (!room(m->nr_cpus, NK_ACPI_MAX_CPUS, &m->dropped))
		return;
	m->cpus[m->nr_cpus++] =
		(struct nk_acpi_cpu){ .apic_id = apic_id,
				      .acpi_uid = uid,
				      .enabled = flags & MADT_CPU_ENABLED,
				      .online_capable = flags & MADT_CPU_ONLINE_CAPABLE,
				      .x2apic = x2apic };
	if (flags & MADT_CPU_ENABLED)
		m->nr_enabled_cpus++;
}

static void madt_nmi(struct nk_acpi_madt *m, struct nk_acpi_nmi nmi)
{
	if (room(m->nr_nmis, NK_ACPI_MAX_NMIS, &m->dropped))
		m->nmis[m->nr_nmis++] = nmi;
}

static void madt_entry(const uint8_t *e, uint8_t type, void *ctx)
{
	struct nk_acpi_madt *m = ctx;

	switch (type) {
	case MADT_LAPIC:
		madt_cpu(m, rd8(e, 3), rd8(e, 2), rd32(e, 4), false);
		break;
	case MADT_X2APIC:
		madt_cpu(m, rd32(e, 4), rd32(e, 12), rd32(e, 8), true);
		break;
	case MADT_IOAPIC:
		if (room(m->nr_ioapics, NK_ACPI_MAX_IOAPICS, &m->dropped))
			m->ioapics[m->nr_ioapics++] = (struct nk_acpi_ioapic){
				.id = rd8(e, 2), .address = rd32(e, 4), .gsi_base = rd32(e, 8)
			};
		break;
	case MADT_ISO:
		if (room(m->nr_overrides, NK_ACPI_MAX_OVERRIDES, &m->dropped))
			m->overrides[m->nr_overrides++] =
				(struct nk_acpi_irq_override){ .bus = rd8(e, 2),
							       .source = rd8(e, 3),
							       .gsi = rd32(e, 4),
							       .flags = rd16(e, 8) };
		break;
	case MADT_NMI_SRC:
		madt_nmi(m, (struct nk_acpi_nmi){ .flags = rd16(e, 2), .gsi = rd32(e, 4) });
		break;
	case MADT_LAPIC_NMI:
		madt_nmi(m, (struct nk_acpi_nmi){ .lapic = true,
						  .acpi_uid = rd8(e, 2),
						  .flags = rd16(e, 3),
						  .lint = rd8(e, 5) });
		break;
	case MADT_X2APIC_NMI:
		madt_nmi(m, (struct nk_acpi_nmi){ .lapic = true,
						  .flags = rd16(e, 2),
						  .acpi_uid = rd32(e, 4),
						  .lint = rd8(e, 8) });
		break;
	}
}

/* Minimum length of each MADT entry type the parser reads (0: not read). */
static const uint8_t madt_min[] = {
	[MADT_LAPIC] = MADT_LAPIC_LEN,
	[MADT_IOAPIC] = MADT_IOAPIC_LEN,
	[MADT_ISO] = MADT_ISO_LEN,
	[MADT_NMI_SRC] = MADT_NMI_SRC_LEN,
	[MADT_LAPIC_NMI] = MADT_LAPIC_NMI_LEN,
	[MADT_X2APIC] = MADT_X2APIC_LEN,
	[MADT_X2APIC_NMI] = MADT_X2APIC_NMI_LEN,
};

int nk_acpi_parse_madt(const void *table, size_t len, struct nk_acpi_madt *out)
{
	long tlen = table_check(table, len, "APIC", MADT_ENTRIES);
	int err;

	memset(out, 0, sizeof(*out));
	if (tlen < 0)
		return tlen;
	out->lapic_addr = rd32(table, MADT_LAPIC_ADDR);
	out->flags = rd32(table, MADT_FLAGS);
	err = walk_entries(table, tlen, MADT_ENTRIES, "APIC", madt_min, NK_ARRAY_SIZE(madt_min),
			   madt_entry, out);
	report_dropped("APIC", out->dropped);
	return err;
}

static void srat_cpu(struct nk_acpi_srat *s, uint32_t apic_id, uint32_t domain, uint32_t flags,
		     bool x2apic)
{
	if (room(s->nr_cpus, NK_ACPI_MAX_CPUS, &s->dropped))
		s->cpus[s->nr_cpus++] =
			(struct nk_acpi_cpu_affinity){ .apic_id = apic_id,
						       .domain = domain,
						       .enabled = flags & SRAT_ENABLED,
						       .x2apic = x2apic };
}

static void srat_entry(const uint8_t *e, uint8_t type, void *ctx)
{
	struct nk_acpi_srat *s = ctx;
	uint32_t flags;

	switch (type) {
	case SRAT_CPU:
		srat_cpu(s, rd8(e, 3),
			 rd8(e, 2) | (uint32_t)rd8(e, 9) << 8 | (uint32_t)rd8(e, 10) << 16 |
				 (uint32_t)rd8(e, 11) << 24,
			 rd32(e, 4), false);
		break;
	case SRAT_X2APIC:
		srat_cpu(s, rd32(e, 8), rd32(e, 4), rd32(e, 12), true);
		break;
	case SRAT_MEM:
		if (!room(s->nr_mems, NK_ACPI_MAX_MEMRANGES, &s->dropped))
			break;
		flags = rd32(e, 28);
		s->mems[s->nr_mems++] = (struct nk_acpi_mem_affinity){
			.base = rd64(e, 8),
			.length = rd64(e, 16),
			.domain = rd32(e, 2),
			.enabled = flags & SRAT_ENABLED,
			.hotplug = flags & SRAT_MEM_HOTPLUG,
			.nonvolatile = flags & SRAT_MEM_NONVOLATILE,
		};
		break;
	}
}

static const uint8_t srat_min[] = {
	[SRAT_CPU] = SRAT_CPU_LEN,
	[SRAT_MEM] = SRAT_MEM_LEN,
	[SRAT_X2APIC] = SRAT_X2APIC_LEN,
};

int nk_acpi_parse_srat(const void *table, size_t len, struct nk_acpi_srat *out)
{
	long tlen = table_check(table, len, "SRAT", SRAT_ENTRIES);
	int err;

	memset(out, 0, sizeof(*out));
	if (tlen < 0)
		return tlen;
	err = walk_entries(table, tlen, SRAT_ENTRIES, "SRAT", srat_min, NK_ARRAY_SIZE(srat_min),
			   srat_entry, out);
	report_dropped("SRAT", out->dropped);
	return err;
}

/* True if domain d is already among the first n domains of the enabled entries
 * seen. */
static bool seen(const uint32_t *doms, size_t n, uint32_t d)
{
	for (size_t i = 0; i < n; i++)
		if (doms[i] == d)
			return true;
	return false;
}

size_t nk_acpi_srat_domains(const struct nk_acpi_srat *srat)
{
	uint32_t doms[NK_ACPI_MAX_CPUS + NK_ACPI_MAX_MEMRANGES];
	size_t n = 0;

	for (size_t i = 0; i < srat->nr_cpus; i++)
		if (srat->cpus[i].enabled && !seen(doms, n, srat->cpus[i].domain))
			doms[n++] = srat->cpus[i].domain;
	for (size_t i = 0; i < srat->nr_mems; i++)
		if (srat->mems[i].enabled && !seen(doms, n, srat->mems[i].domain))
			doms[n++] = srat->mems[i].domain;
	return n;
}

int nk_acpi_parse_slit(const void *table, size_t len, struct nk_acpi_slit *out)
{
	long tlen = table_check(table, len, "SLIT", SLIT_MATRIX);
	const uint8_t *t = table;
	uint64_t n;

	memset(out, 0, sizeof(*out));
	if (tlen < 0)
		return tlen;
	n = rd64(t, SLIT_COUNT);
	/* n * n cannot overflow: tlen < 16 MiB bounds n by 4096 first. */
	if (n > 4096 || n * n > (uint64_t)tlen - SLIT_MATRIX) {
		nk_warn("SLIT: %llu localities do not fit in %ld bytes", (unsigned long long)n,
			tlen);
		return -EINVAL;
	}
	out->nr_localities = n;
	out->nr = NK_MIN(n, (uint64_t)NK_ACPI_MAX_DOMAINS);
	if (out->nr < n)
		nk_warn("SLIT: %llu localities, only the first %d kept", (unsigned long long)n,
			NK_ACPI_MAX_DOMAINS);
	for (size_t i = 0; i < out->nr; i++)
		for (size_t j = 0; j < out->nr; j++)
			out->dist[i][j] = rd8(t, SLIT_MATRIX + i * n + j);
	return 0;
}

int nk_acpi_parse_hpet(const void *table, size_t len, struct nk_acpi_hpet *out)
{
	long tlen = table_check(table, len, "HPET", HPET_LEN);

	memset(out, 0, sizeof(*out));
	if (tlen < 0)
		return tlen;
	out->block_id = rd32(table, HPET_BLOCK_ID);
	out->base = rd_gas(table, HPET_BASE);
	out->number = rd8(table, HPET_NUMBER);
	out->min_tick = rd16(table, HPET_MIN_TICK);
	return 0;
}

int nk_acpi_parse_fadt(const void *table, size_t len, struct nk_acpi_fadt *out)
{
	long tlen = table_check(table, len, "FACP", FADT_V1_LEN);

	memset(out, 0, sizeof(*out));
	if (tlen < 0)
		return tlen;
	out->pm1a_cnt = rd32(table, FADT_PM1A_CNT);
	out->pm1b_cnt = rd32(table, FADT_PM1B_CNT);
	out->pm_tmr = rd32(table, FADT_PM_TMR);
	out->sci_irq = rd16(table, FADT_SCI_INT);
	out->flags = rd32(table, FADT_FLAGS);
	out->dsdt = rd32(table, FADT_DSDT);
	if (tlen >= FADT_RESET_VALUE + 1) {
		out->has_reset = true;
		out->reset_reg = rd_gas(table, FADT_RESET_REG);
		out->reset_value = rd8(table, FADT_RESET_VALUE);
	}
	if (tlen >= FADT_X_DSDT + 8 && rd64(table, FADT_X_DSDT))
		out->dsdt = rd64(table, FADT_X_DSDT);
	return 0;
}

int nk_acpi_parse_mcfg(const void *table, size_t len, struct nk_acpi_mcfg *out)
{
	long tlen = table_check(table, len, "MCFG", MCFG_ENTRIES);
	const uint8_t *t = table;
	size_t off;

	memset(out, 0, sizeof(*out));
	if (tlen < 0)
		return tlen;
	if ((tlen - MCFG_ENTRIES) % MCFG_ENTRY_LEN)
		nk_warn("MCFG: %ld trailing bytes after the last allocation ignored",
			(tlen - MCFG_ENTRIES) % MCFG_ENTRY_LEN);
	for (off = MCFG_ENTRIES; off + MCFG_ENTRY_LEN <= (size_t)tlen; off += MCFG_ENTRY_LEN) {
		if (!room(out->nr, NK_ACPI_MAX_MCFG, &out->dropped))
			continue;
		out->allocs[out->nr++] = (struct nk_acpi_mcfg_alloc){
			.base = rd64(t, off),
			.segment = rd16(t, off + 8),
			.start_bus = rd8(t, off + 10),
			.end_bus = rd8(t, off + 11),
		};
	}
	report_dropped("MCFG", out->dropped);
	return 0;
}

/* The table at paddr if it is mapped, of a sane length and checksums, else NULL
 * (warned). */
static const struct nk_acpi_sdt_header *table_at(uint64_t paddr)
{
	const uint8_t *t = phys(paddr);
	uint32_t len;

	if (!paddr || !nk_arch_range_is_mapped(paddr, SDT_HDR_LEN)) {
		nk_warn("table at 0x%llx is not in mapped memory, ignored",
			(unsigned long long)paddr);
		return NULL;
	}
	len = rd32(t, 4);
	if (len < SDT_HDR_LEN || len >= ACPI_MAX_TABLE_LEN ||
	    !nk_arch_range_is_mapped(paddr, len)) {
		nk_warn("%.4s at 0x%llx: bad length %u, ignored", (const char *)t,
			(unsigned long long)paddr, len);
		return NULL;
	}
	if (!nk_acpi_checksum_ok(t, len)) {
		nk_warn("%.4s at 0x%llx: bad checksum, ignored", (const char *)t,
			(unsigned long long)paddr);
		return NULL;
	}
	return (const struct nk_acpi_sdt_header *)t;
}

static void register_table(uint64_t paddr)
{
	const struct nk_acpi_sdt_header *h = table_at(paddr);

	if (!h)
		return;
	if (nr_tables == NK_ACPI_MAX_TABLES) {
		nk_warn("%.4s: more than %d tables, ignored", h->signature, NK_ACPI_MAX_TABLES);
		return;
	}
	tables[nr_tables++] = h;
}

/* Register the tables listed by the XSDT (u64 entries, 5.2.8) or RSDT (u32
 * entries, 5.2.7). */
static int walk_root(uint64_t paddr, bool xsdt)
{
	const char *sig = xsdt ? "XSDT" : "RSDT";
	size_t esz = xsdt ? 8 : 4;
	const struct nk_acpi_sdt_header *root = table_at(paddr);
	const uint8_t *t = (const uint8_t *)root;

	if (!root || memcmp(root->signature, sig, 4) != 0) {
		nk_warn("%s at 0x%llx is not valid", sig, (unsigned long long)paddr);
		return -EINVAL;
	}
	for (size_t off = SDT_HDR_LEN; off + esz <= root->length; off += esz)
		register_table(xsdt ? rd64(t, off) : rd32(t, off));
	info.xsdt = xsdt;
	info.root_paddr = paddr;
	return 0;
}

/* The first 16-byte aligned valid RSDP in [start, end), or NULL (5.2.5.1). */
static const uint8_t *scan_range(uint64_t start, uint64_t end)
{
	if (!nk_arch_range_is_mapped(start, end - start))
		return NULL;
	for (uint64_t a = start; a + RSDP_V1_LEN <= end; a += RSDP_SCAN_ALIGN)
		if (nk_acpi_rsdp_check(phys(a), NK_MIN(end - a, (uint64_t)RSDP_V2_LEN)) == 0)
			return phys(a);
	return NULL;
}

/* The EBDA's first KiB (its address read from the BDA at boot), then 0xe0000-0xfffff. */
static const uint8_t *scan_bios(void)
{
	uint64_t ebda = nk_boot_info.ebda_paddr;
	const uint8_t *p = NULL;

	if (ebda && ebda + RSDP_EBDA_SCAN <= RSDP_BIOS_START) /* garbage in the BDA: skip */
		p = scan_range(ebda, ebda + RSDP_EBDA_SCAN);
	return p ? p : scan_range(RSDP_BIOS_START, RSDP_BIOS_END);
}

/* The RSDP and how many of its bytes may be read, from the boot loader or the
 * BIOS areas. */
static const uint8_t *find_rsdp(size_t *avail)
{
	const struct nk_boot_info *bi = &nk_boot_info;
	uint64_t pa = bi->rsdp_paddr;

	*avail = RSDP_V2_LEN;
	if (bi->rsdp_copy_len) {
		info.rsdp_source = "multiboot2";
		*avail = bi->rsdp_copy_len;
		if (nk_acpi_rsdp_check(bi->rsdp_copy, *avail) == 0)
			return bi->rsdp_copy;
		nk_warn("the RSDP from multiboot2 is not valid");
	}
	if (pa && nk_arch_range_is_mapped(pa, RSDP_V1_LEN)) {
		info.rsdp_source = "PVH";
		*avail = nk_arch_range_is_mapped(pa, RSDP_V2_LEN) ? RSDP_V2_LEN : RSDP_V1_LEN;
		if (nk_acpi_rsdp_check(phys(pa), *avail) == 0)
			return phys(pa);
		nk_warn("the RSDP at 0x%llx is not valid", (unsigned long long)pa);
	}
	info.rsdp_source = "BIOS scan";
	*avail = RSDP_V2_LEN;
	return scan_bios();
}

static const void *first(const char *sig, size_t *len)
{
	const struct nk_acpi_sdt_header *h = nk_acpi_find(sig, 0);

	*len = h ? h->length : 0;
	return h;
}

/* Parse the known tables that were registered; then register the DSDT the FADT
 * points to. */
static void parse_all(void)
{
	const void *t;
	size_t len;

	if ((t = first("APIC", &len)))
		info.has_madt = nk_acpi_parse_madt(t, len, &info.madt) == 0;
	if ((t = first("SRAT", &len)))
		info.has_srat = nk_acpi_parse_srat(t, len, &info.srat) == 0;
	if ((t = first("SLIT", &len)))
		info.has_slit = nk_acpi_parse_slit(t, len, &info.slit) == 0;
	if ((t = first("HPET", &len)))
		info.has_hpet = nk_acpi_parse_hpet(t, len, &info.hpet) == 0;
	if ((t = first("MCFG", &len)))
		info.has_mcfg = nk_acpi_parse_mcfg(t, len, &info.mcfg) == 0;
	if ((t = first("FACP", &len)))
		info.has_fadt = nk_acpi_parse_fadt(t, len, &info.fadt) == 0;
	if (info.has_fadt && info.fadt.dsdt)
		register_table(info.fadt.dsdt);
}

int nk_acpi_init(void)
{
	const uint8_t *rsdp;
	uint64_t xsdt = 0;
	size_t avail;

	memset(&info, 0, sizeof(info));
	nr_tables = 0;
	rsdp = find_rsdp(&avail);
	if (!rsdp) {
		info.rsdp_source = NULL;
		nk_warn("no ACPI RSDP found: no MADT, SRAT or HPET information");
		return -ENOENT;
	}
	info.revision = rd8(rsdp, RSDP_REVISION);
	memcpy(info.oem_id, rsdp + RSDP_OEM_ID, 6);
	if (info.revision >= 2 && avail >= RSDP_V2_LEN)
		xsdt = rd64(rsdp, RSDP_XSDT);
	if ((!xsdt || walk_root(xsdt, true) != 0) && walk_root(rd32(rsdp, RSDP_RSDT), false) != 0)
		return -EINVAL;
	parse_all();
	nk_info("ACPI revision %u (%s, OEM %s): %zu tables from the %s", info.revision,
		info.rsdp_source, info.oem_id, nr_tables, info.xsdt ? "XSDT" : "RSDT");
	return 0;
}

const struct nk_acpi_info *nk_acpi_get_info(void)
{
	return &info;
}

const struct nk_acpi_sdt_header *nk_acpi_find(const char *signature, unsigned int index)
{
	for (size_t i = 0; i < nr_tables; i++)
		if (memcmp(tables[i]->signature, signature, 4) == 0 && index-- == 0)
			return tables[i];
	return NULL;
}

size_t nk_acpi_table_count(void)
{
	return nr_tables;
}

const struct nk_acpi_sdt_header *nk_acpi_table_at(size_t i)
{
	return i < nr_tables ? tables[i] : NULL;
}
