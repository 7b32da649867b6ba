/*
 * Host test of the ACPI parser over synthetic tables, each in a malloc of exactly its length so
 * AddressSanitizer catches a read past the end; then nk_acpi_init over a synthetic RSDP/XSDT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nautilus/acpi.h>
#include <nautilus/arch.h>
#include <nautilus/boot_info.h>
#include <nautilus/errno.h>

#include "host_stubs.h"

struct nk_boot_info nk_boot_info;

/* Host memory is all "mapped"; low addresses (the BIOS areas) are not. */
bool nk_arch_range_is_mapped(uint64_t addr, uint64_t len)
{
	return addr >= 0x100000 && addr + len > addr;
}

/* A table under construction. */
struct tb {
	uint8_t b[4096];
	size_t len;
};

static void put(struct tb *t, const void *p, size_t n)
{
	assert_true(t->len + n <= sizeof(t->b));
	memcpy(t->b + t->len, p, n);
	t->len += n;
}

static void put8(struct tb *t, uint8_t v)
{
	put(t, &v, 1);
}
static void put16(struct tb *t, uint16_t v)
{
	put(t, &v, 2);
}
static void put32(struct tb *t, uint32_t v)
{
	put(t, &v, 4);
}
static void put64(struct tb *t, uint64_t v)
{
	put(t, &v, 8);
}
static void pad(struct tb *t, size_t n)
{
	while (n--)
		put8(t, 0);
}

static void header(struct tb *t, const char *sig)
{
	t->len = 0;
	put(t, sig, 4);
	put32(t, 0); /* length, set by finish */
	put8(t, 1);
	put8(t, 0); /* checksum */
	put(t, "NKTEST", 6);
	put(t, "NKTABLE ", 8);
	put32(t, 1);
	put32(t, 0x4b4e);
	put32(t, 1);
}

/* The byte that makes [p, p+n) sum to 0 when stored in a zero byte of it. */
static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += p[i];
	return (uint8_t)-sum;
}

static void set_checksum(uint8_t *p, size_t len)
{
	p[9] = 0;
	p[9] = sum8(p, len);
}

/* Set length (the header says length_field) and checksum; return an exact-size heap copy. */
static uint8_t *finish_as(struct tb *t, uint32_t length_field)
{
	uint8_t *p = malloc(t->len);

	assert_non_null(p);
	memcpy(t->b + 4, &length_field, 4);
	set_checksum(t->b, NK_MIN(t->len, (size_t)length_field));
	memcpy(p, t->b, t->len);
	return p;
}

static uint8_t *finish(struct tb *t)
{
	return finish_as(t, t->len);
}

static struct tb tb;
static struct nk_acpi_madt madt;
static struct nk_acpi_srat srat;

static void build_madt(struct tb *t)
{
	header(t, "APIC");
	put32(t, 0xfee00000);
	put32(t, 1);
	for (int i = 0; i < 3; i++) { /* local APIC: uid, id, flags (cpu 2 disabled) */
		put8(t, 0), put8(t, 8), put8(t, i), put8(t, i), put32(t, i == 2 ? 0 : 1);
	}
	put8(t, 9), put8(t, 16), put16(t, 0), put32(t, 300), put32(t, 3), put32(t, 7); /* x2APIC */
	put8(t, 1), put8(t, 12), put8(t, 4), put8(t, 0), put32(t, 0xfec00000), put32(t, 0);
	put8(t, 2), put8(t, 10), put8(t, 0), put8(t, 0), put32(t, 2), put16(t, 0);
	put8(t, 2), put8(t, 10), put8(t, 0), put8(t, 9), put32(t, 9), put16(t, 0xd);
	put8(t, 4), put8(t, 6), put8(t, 0xff), put16(t, 5), put8(t, 1);
	put8(t, 0x7f), put8(t, 5), pad(t, 3); /* an unknown type is skipped */
}

static void test_madt_valid(void **state)
{
	uint8_t *p;

	(void)state;
	build_madt(&tb);
	p = finish(&tb);
	assert_int_equal(nk_acpi_parse_madt(p, tb.len, &madt), 0);
	assert_int_equal(madt.lapic_addr, 0xfee00000);
	assert_int_equal(madt.flags, 1);
	assert_int_equal(madt.nr_cpus, 4);
	assert_int_equal(madt.nr_enabled_cpus, 3);
	assert_false(madt.cpus[2].enabled);
	assert_true(madt.cpus[3].x2apic);
	assert_int_equal(madt.cpus[3].apic_id, 300);
	assert_int_equal(madt.cpus[3].acpi_uid, 7);
	assert_true(madt.cpus[3].online_capable);
	assert_int_equal(madt.nr_ioapics, 1);
	assert_int_equal(madt.ioapics[0].id, 4);
	assert_int_equal(madt.ioapics[0].address, 0xfec00000);
	assert_int_equal(madt.nr_overrides, 2);
	assert_int_equal(madt.overrides[1].source, 9);
	assert_int_equal(madt.overrides[1].gsi, 9);
	assert_int_equal(madt.overrides[1].flags, 0xd);
	assert_int_equal(madt.nr_nmis, 1);
	assert_int_equal(madt.nmis[0].acpi_uid, 0xff);
	assert_int_equal(madt.nmis[0].lint, 1);
	assert_int_equal(madt.nmis[0].flags, 5);
	assert_int_equal(madt.dropped, 0);
	free(p);
}

static void test_madt_bad_checksum(void **state)
{
	uint8_t *p;

	(void)state;
	build_madt(&tb);
	p = finish(&tb);
	p[40] ^= 1;
	assert_int_equal(nk_acpi_parse_madt(p, tb.len, &madt), -EINVAL);
	free(p);
}

/* Length field beyond the buffer, below the fixed part, or cutting an entry in two. */
static void test_madt_truncated(void **state)
{
	uint8_t *p;

	(void)state;
	build_madt(&tb);
	p = finish_as(&tb, tb.len + 1);
	assert_int_equal(nk_acpi_parse_madt(p, tb.len, &madt), -EINVAL);
	free(p);
	p = finish_as(&tb, 40);
	assert_int_equal(nk_acpi_parse_madt(p, tb.len, &madt), -EINVAL);
	free(p);
	p = finish_as(&tb, 44 + 8 + 4);
	assert_int_equal(nk_acpi_parse_madt(p, tb.len, &madt), -EINVAL);
	assert_int_equal(madt.nr_cpus, 1); /* what came before the bad entry */
	free(p);
	assert_int_equal(nk_acpi_parse_madt(tb.b, 20, &madt), -EINVAL);
}

/* The table ends in the middle of an entry: the buffer is exactly the table. */
static void test_madt_entry_past_end(void **state)
{
	uint8_t *p;

	(void)state;
	header(&tb, "APIC");
	put32(&tb, 0xfee00000), put32(&tb, 0);
	put8(&tb, 0), put8(&tb, 8), put8(&tb, 0), put8(&tb, 0), put32(&tb, 1);
	put8(&tb, 9), put8(&tb, 16), put16(&tb, 0), put32(&tb, 1); /* 8 of 16 bytes */
	p = finish(&tb);
	assert_int_equal(nk_acpi_parse_madt(p, tb.len, &madt), -EINVAL);
	assert_int_equal(madt.nr_cpus, 1);
	free(p);

	header(&tb, "APIC");
	put32(&tb, 0xfee00000), put32(&tb, 0);
	put8(&tb, 0); /* a lone type byte */
	p = finish(&tb);
	assert_int_equal(nk_acpi_parse_madt(p, tb.len, &madt), -EINVAL);
	free(p);
}

/* Entries of length 0 or 1, or too short for their type, stop the walk (no endless loop). */
static void test_madt_short_entries(void **state)
{
	static const uint8_t lens[] = { 0, 1, 2, 7 };
	uint8_t *p;

	(void)state;
	for (size_t i = 0; i < sizeof(lens); i++) {
		header(&tb, "APIC");
		put32(&tb, 0xfee00000), put32(&tb, 0);
		put8(&tb, 0), put8(&tb, lens[i]), pad(&tb, 14);
		p = finish(&tb);
		assert_int_equal(nk_acpi_parse_madt(p, tb.len, &madt), -EINVAL);
		assert_int_equal(madt.nr_cpus, 0);
		free(p);
	}
}

/* More CPUs than the array holds: counted in dropped, not written past the array. */
static void test_madt_overflow(void **state)
{
	uint8_t *p;

	(void)state;
	header(&tb, "APIC");
	put32(&tb, 0xfee00000), put32(&tb, 0);
	for (int i = 0; i < NK_ACPI_MAX_CPUS + 5; i++)
		put8(&tb, 0), put8(&tb, 8), put8(&tb, i), put8(&tb, i), put32(&tb, 1);
	p = finish(&tb);
	assert_int_equal(nk_acpi_parse_madt(p, tb.len, &madt), 0);
	assert_int_equal(madt.nr_cpus, NK_ACPI_MAX_CPUS);
	assert_int_equal(madt.dropped, 5);
	free(p);
}

static void build_srat(struct tb *t)
{
	header(t, "SRAT");
	put32(t, 1), pad(t, 8);
	/* local APIC affinity: domain 0x000201 (low byte at 2, high bytes at 9-11) */
	put8(t, 0), put8(t, 16), put8(t, 1), put8(t, 5), put32(t, 1), put8(t, 0);
	put8(t, 2), put8(t, 0), put8(t, 0), put32(t, 0);
	put8(t, 2), put8(t, 24), put16(t, 0), put32(t, 3), put32(t, 400), put32(t, 1);
	put32(t, 0), put32(t, 0); /* x2APIC affinity: domain 3 */
	put8(t, 1), put8(t, 40), put32(t, 0x201), put16(t, 0), put64(t, 0x100000000ull);
	put64(t, 0x40000000ull), put32(t, 0), put32(t, 3), put64(t, 0); /* enabled, hotplug */
	put8(t, 1), put8(t, 40), put32(t, 3), put16(t, 0), put64(t, 0), put64(t, 0x1000);
	put32(t, 0), put32(t, 0), put64(t, 0); /* disabled */
}

static void test_srat_valid(void **state)
{
	uint8_t *p;

	(void)state;
	build_srat(&tb);
	p = finish(&tb);
	assert_int_equal(nk_acpi_parse_srat(p, tb.len, &srat), 0);
	assert_int_equal(srat.nr_cpus, 2);
	assert_int_equal(srat.cpus[0].apic_id, 5);
	assert_int_equal(srat.cpus[0].domain, 0x201);
	assert_true(srat.cpus[0].enabled);
	assert_int_equal(srat.cpus[1].apic_id, 400);
	assert_int_equal(srat.cpus[1].domain, 3);
	assert_true(srat.cpus[1].x2apic);
	assert_int_equal(srat.nr_mems, 2);
	assert_int_equal(srat.mems[0].base, 0x100000000ull);
	assert_int_equal(srat.mems[0].length, 0x40000000ull);
	assert_true(srat.mems[0].enabled && srat.mems[0].hotplug);
	assert_false(srat.mems[1].enabled);
	assert_int_equal(nk_acpi_srat_domains(&srat), 2);
	p[50] ^= 0xff;
	assert_int_equal(nk_acpi_parse_srat(p, tb.len, &srat), -EINVAL);
	free(p);
	p = finish_as(&tb, tb.len - 20);
	assert_int_equal(nk_acpi_parse_srat(p, tb.len, &srat), -EINVAL);
	assert_int_equal(srat.nr_mems, 1);
	free(p);
}

static void test_slit(void **state)
{
	struct nk_acpi_slit slit;
	uint8_t *p;

	(void)state;
	header(&tb, "SLIT");
	put64(&tb, 3);
	for (int i = 0; i < 9; i++)
		put8(&tb, i % 4 == 0 ? 10 : 20 + i);
	p = finish(&tb);
	assert_int_equal(nk_acpi_parse_slit(p, tb.len, &slit), 0);
	assert_int_equal(slit.nr, 3);
	assert_int_equal(slit.dist[0][0], 10);
	assert_int_equal(slit.dist[1][2], 25);
	assert_int_equal(slit.dist[2][2], 10);
	free(p);
	p = finish_as(&tb, tb.len - 1); /* matrix one byte short */
	assert_int_equal(nk_acpi_parse_slit(p, tb.len, &slit), -EINVAL);
	free(p);
	memcpy(tb.b + 36, &(uint64_t){ 1ull << 40 }, 8); /* n * n would overflow 32 bits */
	p = finish(&tb);
	assert_int_equal(nk_acpi_parse_slit(p, tb.len, &slit), -EINVAL);
	free(p);
}

static void build_mcfg(struct tb *t)
{
	header(t, "MCFG");
	pad(t, 8);
	put64(t, 0xb0000000), put16(t, 0), put8(t, 0), put8(t, 0xff), put32(t, 0);
	put64(t, 0xc0000000), put16(t, 1), put8(t, 0x10), put8(t, 0x1f), put32(t, 0);
}

static void test_mcfg(void **state)
{
	struct nk_acpi_mcfg mcfg;
	uint8_t *p;

	(void)state;
	build_mcfg(&tb);
	p = finish(&tb);
	assert_int_equal(nk_acpi_parse_mcfg(p, tb.len, &mcfg), 0);
	assert_int_equal(mcfg.nr, 2);
	assert_int_equal(mcfg.allocs[0].base, 0xb0000000);
	assert_int_equal(mcfg.allocs[0].end_bus, 0xff);
	assert_int_equal(mcfg.allocs[1].segment, 1);
	assert_int_equal(mcfg.allocs[1].start_bus, 0x10);
	free(p);
	p = finish_as(&tb, tb.len - 3); /* a partial last entry is ignored */
	assert_int_equal(nk_acpi_parse_mcfg(p, tb.len, &mcfg), 0);
	assert_int_equal(mcfg.nr, 1);
	free(p);
}

static void build_hpet(struct tb *t)
{
	header(t, "HPET");
	put32(t, 0x8086a201);
	put8(t, 0), put8(t, 64), put8(t, 0), put8(t, 0), put64(t, 0xfed00000);
	put8(t, 0), put16(t, 0x80), put8(t, 0);
}

static void build_fadt(struct tb *t, uint64_t dsdt)
{
	header(t, "FACP");
	pad(t, 4), put32(t, (uint32_t)dsdt), pad(t, 2), put16(t, 9); /* DSDT @40, SCI @46 */
	pad(t, 64 - t->len), put32(t, 0x604), put32(t, 0), pad(t, 4), put32(t, 0x608);
	pad(t, 112 - t->len), put32(t, 0x4a5);
	put8(t, 1), put8(t, 8), put8(t, 0), put8(t, 1), put64(t, 0xcf9), put8(t, 6); /* reset */
	pad(t, 140 - t->len), put64(t, dsdt), pad(t, 244 - t->len);
}

static void test_hpet_fadt(void **state)
{
	struct nk_acpi_hpet hpet;
	struct nk_acpi_fadt fadt;
	uint8_t *p;

	(void)state;
	build_hpet(&tb);
	p = finish(&tb);
	assert_int_equal(nk_acpi_parse_hpet(p, tb.len, &hpet), 0);
	assert_int_equal(hpet.base.address, 0xfed00000);
	assert_int_equal(hpet.block_id, 0x8086a201);
	assert_int_equal(hpet.min_tick, 0x80);
	free(p);
	build_fadt(&tb, 0x123456789ull);
	p = finish(&tb);
	assert_int_equal(nk_acpi_parse_fadt(p, tb.len, &fadt), 0);
	assert_int_equal(fadt.pm1a_cnt, 0x604);
	assert_int_equal(fadt.pm_tmr, 0x608);
	assert_int_equal(fadt.sci_irq, 9);
	assert_int_equal(fadt.flags, 0x4a5);
	assert_true(fadt.has_reset);
	assert_int_equal(fadt.reset_reg.address, 0xcf9);
	assert_int_equal(fadt.reset_value, 6);
	assert_int_equal(fadt.dsdt, 0x123456789ull);
	free(p);
	p = finish_as(&tb, 116); /* ACPI 1.0 size: no reset register, 32-bit DSDT */
	assert_int_equal(nk_acpi_parse_fadt(p, tb.len, &fadt), 0);
	assert_false(fadt.has_reset);
	assert_int_equal(fadt.dsdt, 0x23456789);
	free(p);
	assert_int_equal(nk_acpi_parse_hpet(tb.b, tb.len, &hpet), -EINVAL); /* not an HPET */
}

static void build_slit(struct tb *t)
{
	header(t, "SLIT");
	put64(t, 2);
	put8(t, 10), put8(t, 21), put8(t, 21), put8(t, 10);
}

/* Each parser, a builder of a valid table for it, and what it says when the last entry is cut. */
static int parse_madt(const void *t, size_t len)
{
	return nk_acpi_parse_madt(t, len, &madt);
}
static int parse_srat(const void *t, size_t len)
{
	return nk_acpi_parse_srat(t, len, &srat);
}
static int parse_slit(const void *t, size_t len)
{
	struct nk_acpi_slit slit;

	return nk_acpi_parse_slit(t, len, &slit);
}
static int parse_hpet(const void *t, size_t len)
{
	struct nk_acpi_hpet hpet;

	return nk_acpi_parse_hpet(t, len, &hpet);
}
static int parse_fadt(const void *t, size_t len)
{
	struct nk_acpi_fadt fadt;

	return nk_acpi_parse_fadt(t, len, &fadt);
}
static int parse_mcfg(const void *t, size_t len)
{
	struct nk_acpi_mcfg mcfg;

	return nk_acpi_parse_mcfg(t, len, &mcfg);
}
static void build_fadt0(struct tb *t)
{
	build_fadt(t, 0x7fe0000);
}

static const struct {
	const char *sig;
	void (*build)(struct tb *t);
	int (*parse)(const void *t, size_t len);
	uint32_t min_len; /* the fixed part */
	const char *cut;  /* the warning when the last entry is cut; NULL: no entries */
} kinds[] = {
	{ "APIC", build_madt, parse_madt, 44, "bad entry (type 127, length 5) at offset" },
	{ "SRAT", build_srat, parse_srat, 48, "bad entry (type 1, length 40) at offset" },
	{ "SLIT", build_slit, parse_slit, 44, "2 localities do not fit in 47 bytes" },
	{ "HPET", build_hpet, parse_hpet, 56, NULL },
	{ "FACP", build_fadt0, parse_fadt, 116, NULL },
	{ "MCFG", build_mcfg, parse_mcfg, 44, NULL },
};

/* Parse p (len bytes) with the length field set to field: -EINVAL and one warning with msg. */
static void expect_refused(size_t i, uint8_t *p, size_t len, uint32_t field, bool bad_sum,
			   const char *msg)
{
	char sig[8];
	int logged = nk_host_log_count;

	memcpy(p + 4, &field, 4);
	set_checksum(p, NK_MIN(len, (size_t)field));
	p[9] ^= bad_sum ? 0x5a : 0;
	assert_int_equal(kinds[i].parse(p, len), -EINVAL);
	assert_int_equal(nk_host_log_count, logged + 1);
	snprintf(sig, sizeof(sig), "%s: ", kinds[i].sig);
	if (strncmp(nk_host_last_log, sig, 6) != 0 || !strstr(nk_host_last_log, msg))
		fail_msg("%s length %u: warning \"%s\", expected one with \"%s\"", kinds[i].sig,
			 field, nk_host_last_log, msg);
}

/*
 * Every parser refuses a bad checksum, a length past the buffer or below the fixed part, and
 * a last entry cut short, each with one warning naming the table; the parsed state
 * (nk_acpi_get_info) does not change.
 */
static void test_bad_copies(void **state)
{
	static struct nk_acpi_info before;
	char msg[64];

	(void)state;
	memcpy(&before, nk_acpi_get_info(), sizeof(before));
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		uint8_t *p;

		kinds[i].build(&tb);
		p = finish(&tb);
		assert_int_equal(kinds[i].parse(p, tb.len), 0);
		expect_refused(i, p, tb.len, tb.len, true, "bad checksum");
		snprintf(msg, sizeof(msg), "length %zu, expected %u to %zu bytes", tb.len + 16,
			 kinds[i].min_len, tb.len);
		expect_refused(i, p, tb.len, tb.len + 16, false, msg);
		snprintf(msg, sizeof(msg), "length %u, expected %u to %zu bytes",
			 kinds[i].min_len - 1, kinds[i].min_len, tb.len);
		expect_refused(i, p, tb.len, kinds[i].min_len - 1, false, msg);
		if (kinds[i].cut)
			expect_refused(i, p, tb.len, tb.len - 1, false, kinds[i].cut);
		free(p);
	}
	assert_memory_equal(&before, nk_acpi_get_info(), sizeof(before));
}

static void test_checksum_rsdp(void **state)
{
	uint8_t r[36] = "RSD PTR ";

	(void)state;
	assert_true(nk_acpi_checksum_ok(r + 8, 0));
	r[15] = 2;
	memcpy(r + 20, &(uint32_t){ 36 }, 4);
	r[8] = sum8(r, 20);
	r[32] = (uint8_t)-36; /* extended checksum: the length byte is the only other non-zero */
	assert_int_equal(nk_acpi_rsdp_check(r, 20), 0);
	assert_int_equal(nk_acpi_rsdp_check(r, 36), 0);
	assert_int_equal(nk_acpi_rsdp_check(r, 35), 0); /* length 36 > 35: v1 part only */
	r[30] = 1;
	assert_int_equal(nk_acpi_rsdp_check(r, 36), -EINVAL);
	assert_int_equal(nk_acpi_rsdp_check(r, 20), 0);
	r[16] = 1;
	assert_int_equal(nk_acpi_rsdp_check(r, 20), -EINVAL);
}

/* A synthetic machine: RSDP copy (as multiboot2 gives it) -> XSDT -> tables. */
static uint8_t *tabs[10];
static size_t nr_tabs;

static uint64_t keep(uint8_t *p)
{
	tabs[nr_tabs++] = p;
	return (uint64_t)(uintptr_t)p;
}

static void set_rsdp(uint64_t xsdt, uint32_t rsdt)
{
	uint8_t *r = nk_boot_info.rsdp_copy;

	memset(r, 0, 36);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "NKTEST", 6);
	r[15] = 2;
	memcpy(r + 16, &rsdt, 4);
	memcpy(r + 20, &(uint32_t){ 36 }, 4);
	memcpy(r + 24, &xsdt, 8);
	r[8] = sum8(r, 20);
	r[32] = sum8(r, 36);
	nk_boot_info.rsdp_copy_len = 36;
}

static void test_init(void **state)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();
	uint64_t list[8];
	size_t n = 0;
	uint8_t *bad, *xsdt;

	(void)state;
	build_madt(&tb), list[n++] = keep(finish(&tb));
	build_srat(&tb), bad = finish(&tb), bad[60] ^= 1, list[n++] = keep(bad);
	build_srat(&tb), list[n++] = keep(finish(&tb));
	build_mcfg(&tb), list[n++] = keep(finish(&tb));
	build_hpet(&tb), list[n++] = keep(finish(&tb));
	header(&tb, "DSDT"), put8(&tb, 0x10);
	build_fadt(&tb, keep(finish(&tb))), list[n++] = keep(finish(&tb));
	list[n++] = 0x1000; /* not mapped: ignored */
	header(&tb, "XSDT");
	put(&tb, list, n * 8);
	xsdt = finish(&tb);
	set_rsdp(keep(xsdt), 0);

	assert_int_equal(nk_acpi_init(), 0);
	assert_string_equal(a->rsdp_source, "multiboot2");
	assert_true(a->xsdt);
	assert_int_equal(nk_acpi_table_count(), 6); /* MADT, SRAT, MCFG, HPET, FADT, DSDT */
	assert_ptr_equal(nk_acpi_find("SRAT", 0), tabs[2]);
	assert_null(nk_acpi_find("SRAT", 1));
	assert_non_null(nk_acpi_find("DSDT", 0));
	assert_true(a->has_madt && a->has_srat && a->has_mcfg && a->has_hpet && a->has_fadt);
	assert_false(a->has_slit);
	assert_int_equal(a->madt.nr_enabled_cpus, 3);
	assert_int_equal(a->fadt.pm1a_cnt, 0x604);

	xsdt[9]++; /* bad XSDT and no RSDT */
	set_rsdp((uint64_t)(uintptr_t)xsdt, 0);
	assert_int_equal(nk_acpi_init(), -EINVAL);
	nk_boot_info.rsdp_copy[0] = 'X'; /* no RSDP: the BIOS areas are not mapped on the host */
	assert_int_equal(nk_acpi_init(), -ENOENT);
	assert_int_equal(nk_acpi_table_count(), 0);
	while (nr_tabs)
		free(tabs[--nr_tabs]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_madt_valid),
		cmocka_unit_test(test_madt_bad_checksum),
		cmocka_unit_test(test_madt_truncated),
		cmocka_unit_test(test_madt_entry_past_end),
		cmocka_unit_test(test_madt_short_entries),
		cmocka_unit_test(test_madt_overflow),
		cmocka_unit_test(test_srat_valid),
		cmocka_unit_test(test_slit),
		cmocka_unit_test(test_mcfg),
		cmocka_unit_test(test_hpet_fadt),
		cmocka_unit_test(test_bad_copies),
		cmocka_unit_test(test_checksum_rsdp),
		cmocka_unit_test(test_init),
	};

	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
