/*
 * ACPI static tables: the RSDP, the XSDT/RSDT and a registry of the tables they list (each
 * checksummed), plus plain-struct parses of MADT, SRAT, SLIT, HPET, FADT and MCFG.
 */
#ifndef NK_NAUTILUS_ACPI_H
#define NK_NAUTILUS_ACPI_H

#include <nautilus/compiler.h>
#include <nautilus/types.h>

/* System description table header, ACPI 6.5 section 5.2.6 (36 bytes). */
struct nk_acpi_sdt_header {
	char signature[4];
	uint32_t length; /* of the whole table, header included */
	uint8_t revision;
	uint8_t checksum; /* all bytes of the table sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __nk_packed;

#define NK_ACPI_MAX_TABLES    32
#define NK_ACPI_MAX_CPUS      256
#define NK_ACPI_MAX_IOAPICS   16
#define NK_ACPI_MAX_OVERRIDES 32
#define NK_ACPI_MAX_NMIS      16
#define NK_ACPI_MAX_MEMRANGES 64
#define NK_ACPI_MAX_DOMAINS   16
#define NK_ACPI_MAX_MCFG      8

/* Generic address structure, ACPI 6.5 section 5.2.3.2. */
struct nk_acpi_gas {
	uint8_t space_id; /* 0 memory, 1 I/O port */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
};

/* A processor from MADT type 0 (local APIC) or type 9 (local x2APIC). */
struct nk_acpi_cpu {
	uint32_t apic_id;
	uint32_t acpi_uid;
	bool enabled;
	bool online_capable; /* disabled now but may be brought online */
	bool x2apic;	     /* from a type 9 entry */
};

struct nk_acpi_ioapic {
	uint8_t id;
	uint32_t address;
	uint32_t gsi_base;
};

/* Interrupt source override (MADT type 2): ISA IRQ source is wired to GSI gsi. */
struct nk_acpi_irq_override {
	uint8_t bus;
	uint8_t source;
	uint32_t gsi;
	uint16_t flags; /* polarity bits 1:0, trigger mode bits 3:2 */
};

/* NMI source (type 3, gsi valid) or local APIC NMI (types 4 and 0xA, acpi_uid and lint valid). */
struct nk_acpi_nmi {
	bool lapic;	   /* types 4/0xA: an NMI on a local APIC LINT pin */
	uint32_t acpi_uid; /* 0xffffffff (0xff for type 4): all processors */
	uint8_t lint;
	uint32_t gsi;
	uint16_t flags;
};

struct nk_acpi_madt {
	uint32_t lapic_addr;
	uint32_t flags; /* bit 0: PC-AT compatible dual 8259s present */
	size_t nr_cpus, nr_enabled_cpus;
	struct nk_acpi_cpu cpus[NK_ACPI_MAX_CPUS];
	size_t nr_ioapics;
	struct nk_acpi_ioapic ioapics[NK_ACPI_MAX_IOAPICS];
	size_t nr_overrides;
	struct nk_acpi_irq_override overrides[NK_ACPI_MAX_OVERRIDES];
	size_t nr_nmis;
	struct nk_acpi_nmi nmis[NK_ACPI_MAX_NMIS];
	size_t dropped; /* entries that did not fit in the arrays above */
};

struct nk_acpi_cpu_affinity {
	uint32_t apic_id;
	uint32_t domain;
	bool enabled;
	bool x2apic;
};

struct nk_acpi_mem_affinity {
	uint64_t base, length;
	uint32_t domain;
	bool enabled;
	bool hotplug;
	bool nonvolatile;
};

struct nk_acpi_srat {
	size_t nr_cpus;
	struct nk_acpi_cpu_affinity cpus[NK_ACPI_MAX_CPUS];
	size_t nr_mems;
	struct nk_acpi_mem_affinity mems[NK_ACPI_MAX_MEMRANGES];
	size_t dropped;
};

/* Distances between proximity domains; 10 is local. Only the first MAX_DOMAINS are kept. */
struct nk_acpi_slit {
	uint64_t nr_localities; /* as the table says */
	size_t nr;		/* rows and columns kept in dist */
	uint8_t dist[NK_ACPI_MAX_DOMAINS][NK_ACPI_MAX_DOMAINS];
};

struct nk_acpi_hpet {
	uint32_t block_id; /* event timer block id: vendor, comparators, ... */
	struct nk_acpi_gas base;
	uint8_t number;
	uint16_t min_tick;
};

struct nk_acpi_fadt {
	uint32_t pm1a_cnt, pm1b_cnt; /* PM1 control block I/O ports (0: none) */
	uint32_t pm_tmr;
	uint16_t sci_irq;
	uint32_t flags;
	bool has_reset; /* the table is long enough for RESET_REG and RESET_VALUE */
	struct nk_acpi_gas reset_reg;
	uint8_t reset_value;
	uint64_t dsdt; /* X_DSDT when present and non-zero, else DSDT */
};

struct nk_acpi_mcfg_alloc {
	uint64_t base; /* ECAM base of bus 0 of the segment */
	uint16_t segment;
	uint8_t start_bus, end_bus;
};

struct nk_acpi_mcfg {
	size_t nr;
	struct nk_acpi_mcfg_alloc allocs[NK_ACPI_MAX_MCFG];
	size_t dropped;
};

/* What nk_acpi_init found; has_X says whether table X was present and parsed. */
struct nk_acpi_info {
	const char *rsdp_source; /* "multiboot2", "PVH", "BIOS scan" or NULL: no ACPI */
	uint8_t revision;	 /* of the RSDP */
	char oem_id[7];
	bool xsdt; /* the tables came from the XSDT (else the RSDT) */
	uint64_t root_paddr;
	bool has_madt, has_srat, has_slit, has_hpet, has_fadt, has_mcfg;
	struct nk_acpi_madt madt;
	struct nk_acpi_srat srat;
	struct nk_acpi_slit slit;
	struct nk_acpi_hpet hpet;
	struct nk_acpi_fadt fadt;
	struct nk_acpi_mcfg mcfg;
};

/* The bytes [p, p+len) sum to 0 modulo 256. */
bool nk_acpi_checksum_ok(const void *p, size_t len);

/*
 * Check an RSDP of which avail bytes may be read: signature, checksum of the first 20 bytes, and
 * for revision >= 2 (when avail covers it) its length and extended checksum. Returns 0 or -EINVAL.
 */
int nk_acpi_rsdp_check(const void *rsdp, size_t avail);

/*
 * Parse one table held in a buffer of len bytes. Each checks the signature, that the header's
 * length is at least the fixed part and at most len, and the checksum; an entry shorter than
 * its type needs or running past the table stops the walk. -EINVAL for any of these (out then
 * holds what was parsed before the bad entry), 0 otherwise. Entries beyond the arrays are
 * counted in dropped and reported with a warning. MCFG is the exception for a cut entry: its
 * allocations are fixed 16-byte records, so trailing bytes short of one are ignored with a
 * warning and the table is kept (firmware pads it; Linux accepts it too).
 */
int nk_acpi_parse_madt(const void *table, size_t len, struct nk_acpi_madt *out);
int nk_acpi_parse_srat(const void *table, size_t len, struct nk_acpi_srat *out);
int nk_acpi_parse_slit(const void *table, size_t len, struct nk_acpi_slit *out);
int nk_acpi_parse_hpet(const void *table, size_t len, struct nk_acpi_hpet *out);
int nk_acpi_parse_fadt(const void *table, size_t len, struct nk_acpi_fadt *out);
int nk_acpi_parse_mcfg(const void *table, size_t len, struct nk_acpi_mcfg *out);

/*
 * Find the RSDP (multiboot2 copy, PVH pointer, then a BIOS scan), register every table of the
 * XSDT/RSDT whose checksum and length are good (and the DSDT), and parse the known ones.
 * Returns -ENOENT without ACPI, -EINVAL for a bad RSDP or root table. Can be called again.
 */
int nk_acpi_init(void);

const struct nk_acpi_info *nk_acpi_get_info(void);

/* The index-th registered table with this 4-character signature, or NULL. */
const struct nk_acpi_sdt_header *nk_acpi_find(const char *signature, unsigned int index);
size_t nk_acpi_table_count(void);
/* Registered table i (0 <= i < count), or NULL. */
const struct nk_acpi_sdt_header *nk_acpi_table_at(size_t i);

/* Number of distinct proximity domains among the enabled SRAT entries (CPUs and memory). */
size_t nk_acpi_srat_domains(const struct nk_acpi_srat *srat);

#endif
