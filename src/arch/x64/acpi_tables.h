/*
 * Byte offsets and sizes of the ACPI table layouts acpi.c reads (private to
 * it). Fields are read with byte copies, so nothing here depends on alignment
 * or packing.
 */
#ifndef NK_ARCH_X64_ACPI_TABLES_H
#define NK_ARCH_X64_ACPI_TABLES_H

/* Sanity bound for a table's length: no static table comes near it. */
#define ACPI_MAX_TABLE_LEN (16u << 20)

/* RSDP, ACPI 6.5 section 5.2.5.3. */
#define RSDP_SIG	"RSD PTR "
#define RSDP_CHECKSUM	8  /* u8, over the first 20 bytes */
#define RSDP_OEM_ID	9  /* char[6] */
#define RSDP_REVISION	15 /* u8: 0 for ACPI 1.0, 2 for 2.0 and later */
#define RSDP_RSDT	16 /* u32 physical address of the RSDT */
#define RSDP_V1_LEN	20
#define RSDP_LENGTH	20 /* u32, revision >= 2 */
#define RSDP_XSDT	24 /* u64 physical address of the XSDT */
#define RSDP_V2_LEN	36
#define RSDP_EBDA_SCAN	1024	/* the first KiB of the EBDA is searched */
#define RSDP_BIOS_START 0xe0000 /* then the BIOS read-only area up to 1 MiB */
#define RSDP_BIOS_END	0x100000
#define RSDP_SCAN_ALIGN 16

/* SDT header, section 5.2.6; XSDT entries are u64 (5.2.8), RSDT entries u32
 * (5.2.7). */
#define SDT_HDR_LEN 36

/* MADT, section 5.2.12: header, then the fixed part, then {type u8, length u8}
 * entries. */
#define MADT_LAPIC_ADDR	 36 /* u32 */
#define MADT_FLAGS	 40 /* u32 */
#define MADT_ENTRIES	 44
#define MADT_LAPIC	 0x0 /* 5.2.12.2: uid u8 @2, apic id u8 @3, flags u32 @4 */
#define MADT_LAPIC_LEN	 8
#define MADT_IOAPIC	 0x1 /* 5.2.12.3: id u8 @2, address u32 @4, GSI base u32 @8 */
#define MADT_IOAPIC_LEN	 12
#define MADT_ISO	 0x2 /* 5.2.12.5: bus u8 @2, source u8 @3, GSI u32 @4, flags u16 @8 */
#define MADT_ISO_LEN	 10
#define MADT_NMI_SRC	 0x3 /* 5.2.12.6: flags u16 @2, GSI u32 @4 */
#define MADT_NMI_SRC_LEN 8
#define MADT_LAPIC_NMI \
	0x4 /* 5.2.12.7: uid u8 @2, flags u16 @3, LINT# u8 @5   \
                            */
#define MADT_LAPIC_NMI_LEN	6
#define MADT_X2APIC		0x9 /* 5.2.12.12: x2APIC id u32 @4, flags u32 @8, uid u32 @12 */
#define MADT_X2APIC_LEN		16
#define MADT_X2APIC_NMI		0xa /* 5.2.12.13: flags u16 @2, uid u32 @4, LINT# u8 @8 */
#define MADT_X2APIC_NMI_LEN	12
#define MADT_CPU_ENABLED	(1u << 0) /* local APIC flags, table 5.23 */
#define MADT_CPU_ONLINE_CAPABLE (1u << 1)

/* SRAT, section 5.2.16: header, 4 reserved bytes (1), 8 reserved bytes, then
 * entries. */
#define SRAT_ENTRIES 48
#define SRAT_CPU     0x0 /* 5.2.16.1: domain[7:0] u8 @2, APIC id u8 @3, flags u32 @4, */
#define SRAT_CPU_LEN 16	 /*   domain[31:8] u8[3] @9 */
#define SRAT_MEM \
	0x1 /* 5.2.16.2: domain u32 @2, base u64 @8, length u64 @16, flags u32 @28   \
       */
#define SRAT_MEM_LEN	     40
#define SRAT_X2APIC	     0x2 /* 5.2.16.3: domain u32 @4, x2APIC id u32 @8, flags u32 @12 */
#define SRAT_X2APIC_LEN	     24
#define SRAT_ENABLED	     (1u << 0)
#define SRAT_MEM_HOTPLUG     (1u << 1)
#define SRAT_MEM_NONVOLATILE (1u << 2)

/* SLIT, section 5.2.17: header, number of localities u64, then an N x N byte
 * matrix. */
#define SLIT_COUNT  36
#define SLIT_MATRIX 44

/* HPET, IA-PC HPET specification 1.0a, table 3. */
#define HPET_BLOCK_ID 36 /* u32 event timer block id */
#define HPET_BASE     40 /* generic address structure of the register block */
#define HPET_NUMBER   52 /* u8 */
#define HPET_MIN_TICK 53 /* u16 */
#define HPET_LEN      56

/* Generic address structure, section 5.2.3.2: space u8, width u8, offset u8,
 * size u8, addr u64. */
#define GAS_LEN 12

/* FADT, section 5.2.9, table 5.9 (ACPI 1.0 tables end after FLAGS, at 116
 * bytes). */
#define FADT_DSDT	 40  /* u32 */
#define FADT_SCI_INT	 46  /* u16 */
#define FADT_PM1A_CNT	 64  /* u32 I/O port */
#define FADT_PM1B_CNT	 68  /* u32 I/O port */
#define FADT_PM_TMR	 76  /* u32 I/O port */
#define FADT_FLAGS	 112 /* u32 */
#define FADT_V1_LEN	 116
#define FADT_RESET_REG	 116 /* GAS, ACPI 2.0 */
#define FADT_RESET_VALUE 128 /* u8 */
#define FADT_X_DSDT	 140 /* u64, ACPI 2.0 */

/* MCFG, PCI Firmware Specification 3.0 section 4.1.2: header, 8 reserved,
 * 16-byte entries. */
#define MCFG_ENTRIES   44
#define MCFG_ENTRY_LEN 16 /* base u64 @0, segment u16 @8, start bus u8 @10, end bus u8 @11 */

#endif
