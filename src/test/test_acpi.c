/*
 * KTAP suite `acpi`: the tables QEMU gives (RSDP, checksums, every table of a known kind parsed),
 * the machine the runner asked QEMU for (expect_cpus=, expect_nodes=, expect_dist= against the
 * MADT, SRAT and SLIT), each parser refusing corrupted copies with a message while what was
 * parsed at boot stays as it was, and the DSDT's \_S5_ sleep type that power-off uses.
 */
#include <arch/x64/acpi_sleep.h>
#include <nautilus/acpi.h>
#include <nautilus/cmdline.h>
#include <nautilus/console.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>
#include <nautilus/test.h>

/* Parser output: too big for a thread stack. */
static union {
	struct nk_acpi_madt madt;
	struct nk_acpi_srat srat;
	struct nk_acpi_slit slit;
	struct nk_acpi_hpet hpet;
	struct nk_acpi_fadt fadt;
	struct nk_acpi_mcfg mcfg;
} scratch;

/* What nk_acpi_init parsed, kept to check that feeding bad copies changed none of it. */
static struct nk_acpi_info saved_info;

static int parse_madt(const void *t, size_t len)
{
	return nk_acpi_parse_madt(t, len, &scratch.madt);
}

static int parse_srat(const void *t, size_t len)
{
	return nk_acpi_parse_srat(t, len, &scratch.srat);
}

static int parse_slit(const void *t, size_t len)
{
	return nk_acpi_parse_slit(t, len, &scratch.slit);
}

static int parse_hpet(const void *t, size_t len)
{
	return nk_acpi_parse_hpet(t, len, &scratch.hpet);
}

static int parse_fadt(const void *t, size_t len)
{
	return nk_acpi_parse_fadt(t, len, &scratch.fadt);
}

static int parse_mcfg(const void *t, size_t len)
{
	return nk_acpi_parse_mcfg(t, len, &scratch.mcfg);
}

/*
 * Small valid tables (what follows the 36-byte header) for the kinds this machine lacks, so that
 * every parser meets bad input on every machine shape. Layouts: ACPI 6.5 sections 5.2.12 (MADT:
 * LAPIC address, flags, one local APIC entry), 5.2.16 (SRAT: 12 reserved bytes, a CPU and a
 * memory affinity entry), 5.2.17 (SLIT: 2 localities), 5.2.9 (FADT: PM1a control at 64), IA-PC
 * HPET 1.0a table 3, PCI Firmware 3.0 section 4.1.2 (MCFG: 8 reserved bytes, one allocation).
 */
static const uint8_t madt_body[] = { 0x00, 0x00, 0xe0, 0xfe, 1, 0, 0, 0, 0, 8, 0, 0, 1, 0, 0, 0 };
static const uint8_t srat_body[12 + 16 + 40] = {
	[0] = 1,       [12] = 0, 16, 0,	   0, 1, 0, 0, 0, [28] = 1, 40, 0, 0, 0, 0, 0, 0,
	[28 + 16] = 0, 0,	 0,  0x40, /* length 1 GiB */
	[28 + 28] = 1,			   /* enabled */
};
static const uint8_t slit_body[] = { 2, 0, 0, 0, 0, 0, 0, 0, 10, 20, 20, 10 };
static const uint8_t hpet_body[] = { 0x01, 0xa2, 0x86, 0x80, 0, 64, 0, 0,    0x00, 0x00,
				     0xd0, 0xfe, 0,    0,    0, 0,  0, 0x80, 0,	   0 };
static const uint8_t fadt_body[244 - 36] = { [64 - 36] = 0x04, [65 - 36] = 0x06 };
static const uint8_t mcfg_body[8 + 16] = { [8 + 3] = 0xb0, [8 + 11] = 0xff };

/* A table kind the kernel parses, and how to break a copy of it. */
struct kind {
	const char *sig;
	int (*parse)(const void *t, size_t len);
	size_t has_off;	     /* offsetof(struct nk_acpi_info, has_<kind>) */
	uint32_t min_len;    /* the fixed part: a shorter length field is refused */
	const char *cut_msg; /* what is said when the last entry is cut; NULL: no entries */
	const uint8_t *body; /* a valid table's bytes after the header */
	size_t body_len;
};

#define KIND(sig, name, min, cut)                                                       \
	{                                                                               \
		sig, parse_##name, offsetof(struct nk_acpi_info, has_##name), min, cut, \
			name##_body, sizeof(name##_body)                                \
	}

/*
 * An MCFG whose length cuts its last allocation is accepted with a warning, the whole ones kept
 * (acpi.c does so on purpose, as Linux does): it has no cut-entry case here.
 */
static const struct kind kinds[] = {
	KIND("APIC", madt, 44, "bad entry"),  KIND("SRAT", srat, 48, "bad entry"),
	KIND("SLIT", slit, 44, "do not fit"), KIND("HPET", hpet, 56, NULL),
	KIND("FACP", fadt, 116, NULL),	      KIND("MCFG", mcfg, 44, NULL),
};

static const struct kind *kind_of(const char *sig)
{
	for (size_t i = 0; i < NK_ARRAY_SIZE(kinds); i++)
		if (!memcmp(kinds[i].sig, sig, 4))
			return &kinds[i];
	return NULL;
}

static bool info_has(const struct kind *k)
{
	return *(const bool *)((const char *)nk_acpi_get_info() + k->has_off);
}

/* Make the first len bytes of the table sum to 0 again after an edit (section 5.2.6). */
static void fix_checksum(struct nk_acpi_sdt_header *h, size_t len)
{
	uint8_t sum = 0;

	h->checksum = 0;
	for (size_t i = 0; i < len; i++)
		sum += ((const uint8_t *)h)[i];
	h->checksum = (uint8_t)-sum;
}

/* A heap copy of the machine's table of this kind, or of the small one above; NULL: no memory. */
static struct nk_acpi_sdt_header *copy_of(const struct kind *k, size_t *len, bool *real)
{
	const struct nk_acpi_sdt_header *h = nk_acpi_find(k->sig, 0);
	struct nk_acpi_sdt_header *c;

	*real = h != NULL;
	*len = h ? h->length : sizeof(*h) + k->body_len;
	c = nk_malloc(*len);
	if (!c)
		return NULL;
	if (h) {
		memcpy(c, h, *len);
		return c;
	}
	memset(c, 0, sizeof(*c));
	memcpy(c->signature, k->sig, 4);
	c->length = *len;
	c->revision = 1;
	memcpy(c->oem_id, "NKTEST", 6);
	memcpy(c + 1, k->body, k->body_len);
	fix_checksum(c, *len);
	return c;
}

/*
 * Printk has no reader of recent records, so a console that keeps what is written while
 * capturing stands in for one. Registered on first use; it ignores everything else.
 */
static char captured[512];
static size_t captured_len;
static bool capturing;

static void capture_write(const char *buf, size_t len)
{
	size_t n = NK_MIN(len, sizeof(captured) - 1 - captured_len);

	if (!capturing)
		return;
	memcpy(captured + captured_len, buf, n);
	captured_len += n;
	captured[captured_len] = '\0';
}

static struct nk_console capture_console = { .name = "acpi-test", .write = capture_write };

static void capture_begin(void)
{
	static bool registered;

	if (!registered)
		nk_console_register(&capture_console);
	registered = true;
	captured_len = 0;
	captured[0] = '\0';
	capturing = true;
}

/*
 * Parse the copy with its length field set to field (the checksum made good over
 * min(field, len) bytes first unless bad_sum): -EINVAL is expected, with a warning holding
 * "<sig>: ... <msg>" when warnings reach the consoles.
 */
static void expect_refused(struct nk_test_ctx *nk_t, const struct kind *k,
			   struct nk_acpi_sdt_header *c, size_t len, uint32_t field, bool bad_sum,
			   const char *msg)
{
	char want[48];
	int err;

	c->length = field;
	fix_checksum(c, NK_MIN(len, (size_t)field));
	if (bad_sum)
		c->checksum ^= 0x5a;
	capture_begin();
	err = k->parse(c, len);
	capturing = false;
	NK_EXPECT_EQ(err, -EINVAL);
	nk_snprintf(want, sizeof(want), "%.4s: ", k->sig);
	if (nk_printk_console_level() < NK_LOG_WARN)
		return; /* the message went only to the log ring */
	if (strstr(captured, want) && strstr(captured, msg))
		return;
	for (size_t i = 0; i < captured_len; i++) /* one KTAP diagnostic line */
		if (captured[i] == '\n' || captured[i] == '\r')
			captured[i] = ' ';
	nk_test_fail(nk_t, __FILE__, __LINE__, "%.4s length %u: no warning with \"%s\": \"%s\"",
		     k->sig, field, msg, captured);
}

/* Bad checksum, length past the buffer, length below the fixed part, last entry cut. */
static void expect_bad_copies_refused(struct nk_test_ctx *nk_t, const char *sig)
{
	const struct kind *k = kind_of(sig);
	struct nk_acpi_sdt_header *c;
	bool real;
	size_t len;

	NK_ASSERT_NOT_NULL(k);
	memcpy(&saved_info, nk_acpi_get_info(), sizeof(saved_info));
	c = copy_of(k, &len, &real);
	NK_ASSERT_NOT_NULL(c);
	nk_test_diag("a copy of %s %.4s table, %zu bytes", real ? "the machine's" : "a small", sig,
		     len);
	NK_EXPECT_EQ(k->parse(c, len), 0);
	expect_refused(nk_t, k, c, len, len, true, "bad checksum");
	expect_refused(nk_t, k, c, len, len + 16, false, "length");
	expect_refused(nk_t, k, c, len, k->min_len - 1, false, "length");
	if (k->cut_msg && len > k->min_len)
		expect_refused(nk_t, k, c, len, len - 1, false, k->cut_msg);
	NK_EXPECT(!memcmp(&saved_info, nk_acpi_get_info(), sizeof(saved_info)));
	nk_free(c);
}

NK_TEST(acpi, rsdp_found)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();

	NK_ASSERT_NOT_NULL(a->rsdp_source);
	NK_EXPECT_GT(nk_acpi_table_count(), 0);
	NK_EXPECT_NE(a->root_paddr, 0);
	nk_test_diag("RSDP revision %u from %s, %zu tables", a->revision, a->rsdp_source,
		     nk_acpi_table_count());
}

NK_TEST(acpi, checksums_good)
{
	for (size_t i = 0; i < nk_acpi_table_count(); i++) {
		const struct nk_acpi_sdt_header *h = nk_acpi_table_at(i);

		NK_ASSERT_NOT_NULL(h);
		NK_EXPECT_GE(h->length, sizeof(*h));
		NK_EXPECT(nk_acpi_checksum_ok(h, h->length));
	}
	NK_EXPECT_NULL(nk_acpi_table_at(nk_acpi_table_count()));
}

NK_TEST(acpi, find)
{
	NK_EXPECT_NOT_NULL(nk_acpi_find("APIC", 0));
	NK_EXPECT_NULL(nk_acpi_find("APIC", 1));
	NK_EXPECT_NULL(nk_acpi_find("ZZZZ", 0));
	NK_EXPECT_NOT_NULL(nk_acpi_find("DSDT", 0));
}

/* Each registered table of a kind the kernel knows parses, and boot recorded it as parsed. */
NK_TEST(acpi, every_table_parsed)
{
	size_t known = 0;

	for (size_t i = 0; i < nk_acpi_table_count(); i++) {
		const struct nk_acpi_sdt_header *h = nk_acpi_table_at(i);
		const struct kind *k = kind_of(h->signature);

		if (!k)
			continue;
		known++;
		if (k->parse(h, h->length) != 0)
			nk_test_fail(nk_t, __FILE__, __LINE__, "%.4s (table %zu) does not parse",
				     h->signature, i);
		if (!info_has(k))
			nk_test_fail(nk_t, __FILE__, __LINE__,
				     "%.4s: not recorded as parsed at boot", h->signature);
	}
	NK_EXPECT_GE(known, 2); /* QEMU always gives at least a MADT and a FADT */
	nk_test_diag("%zu of %zu tables are of a kind the kernel parses", known,
		     nk_acpi_table_count());
}

NK_TEST(acpi, madt)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();

	NK_ASSERT(a->has_madt);
	NK_EXPECT_GE(a->madt.nr_enabled_cpus, 1);
	NK_EXPECT_LE(a->madt.nr_enabled_cpus, a->madt.nr_cpus);
	NK_EXPECT_GE(a->madt.nr_ioapics, 1);
	NK_EXPECT_NE(a->madt.lapic_addr, 0);
	nk_test_diag("%zu CPUs enabled, %zu IOAPICs, %zu overrides", a->madt.nr_enabled_cpus,
		     a->madt.nr_ioapics, a->madt.nr_overrides);
}

NK_TEST(acpi, madt_cpus_as_expected)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();

	if (!nk_cmdline.expect_cpus)
		NK_SKIP("no expect_cpus= on the command line");
	NK_ASSERT(a->has_madt);
	NK_EXPECT_EQ(a->madt.nr_enabled_cpus, nk_cmdline.expect_cpus);
}

/* Without an SRAT the machine is one node. */
NK_TEST(acpi, srat_nodes_as_expected)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();

	if (!nk_cmdline.expect_nodes)
		NK_SKIP("no expect_nodes= on the command line");
	if (!a->has_srat) {
		NK_EXPECT_NULL(nk_acpi_find("SRAT", 0)); /* present but refused */
		NK_EXPECT_EQ(nk_cmdline.expect_nodes, 1);
		return;
	}
	NK_EXPECT_EQ(nk_acpi_srat_domains(&a->srat), nk_cmdline.expect_nodes);
	nk_test_diag("SRAT: %zu domains, %zu CPU and %zu memory entries",
		     nk_acpi_srat_domains(&a->srat), a->srat.nr_cpus, a->srat.nr_mems);
}

/* n for an n x n matrix of nr values (the command line accepts only squares). */
static int order_of(int nr)
{
	int n = 1;

	while (n * n < nr)
		n++;
	return n;
}

static void diag_slit(const struct nk_acpi_slit *s)
{
	char row[NK_ACPI_MAX_DOMAINS * 4 + 1];

	for (size_t i = 0; i < s->nr; i++) {
		size_t len = 0;

		for (size_t j = 0; j < s->nr; j++)
			len += nk_snprintf(row + len, sizeof(row) - len, " %3u", s->dist[i][j]);
		nk_test_diag("SLIT row %zu:%s", i, row);
	}
}

/* Without a SLIT only one node can be expected, at the local distance 10 (section 5.2.17). */
NK_TEST(acpi, slit_as_expected)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();
	const uint8_t *want = nk_cmdline.expect_dist;
	int n = order_of(nk_cmdline.nr_expect_dist);

	if (!nk_cmdline.nr_expect_dist)
		NK_SKIP("no expect_dist= on the command line");
	if (nk_cmdline.expect_nodes)
		NK_EXPECT_EQ(n, nk_cmdline.expect_nodes); /* the runner's two flags agree */
	if (!a->has_slit) {
		NK_EXPECT_NULL(nk_acpi_find("SLIT", 0)); /* present but refused */
		NK_EXPECT_EQ(n, 1);
		NK_EXPECT_EQ(want[0], 10);
		return;
	}
	diag_slit(&a->slit);
	NK_ASSERT_EQ(a->slit.nr_localities, n);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			if (a->slit.dist[i][j] != want[i * n + j])
				nk_test_fail(nk_t, __FILE__, __LINE__,
					     "SLIT[%d][%d] is %u, expected %u", i, j,
					     a->slit.dist[i][j], want[i * n + j]);
}

NK_TEST(acpi, fadt)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();

	NK_ASSERT(a->has_fadt);
	NK_EXPECT_NE(a->fadt.pm1a_cnt, 0);
	NK_EXPECT_NE(a->fadt.dsdt, 0);
}

/* The AML offset of the first "_S5_" bytes after a NameOp (0x08), or len. */
static size_t s5_name_offset(const uint8_t *aml, size_t len)
{
	for (size_t i = 1; i + 4 <= len; i++)
		if (aml[i - 1] == 0x08 && !memcmp(aml + i, "_S5_", 4))
			return i;
	return len;
}

/* The real DSDT has a \_S5_ the power-off path can use; a copy cut inside it is refused. */
NK_TEST(acpi, dsdt_s5)
{
	const struct nk_acpi_sdt_header *dsdt = nk_acpi_find("DSDT", 0);
	struct nk_acpi_sleep_type s5;
	const uint8_t *aml;
	uint8_t *copy;
	size_t len, name;

	NK_ASSERT_NOT_NULL(dsdt);
	NK_ASSERT_EQ(nk_acpi_s5(&s5), 0);
	NK_EXPECT_LE(s5.slp_typa, 7);
	NK_EXPECT_LE(s5.slp_typb, 7);
	nk_test_diag("\\_S5_: SLP_TYPa %u, SLP_TYPb %u", s5.slp_typa, s5.slp_typb);
	aml = (const uint8_t *)(dsdt + 1);
	len = dsdt->length - sizeof(*dsdt);
	name = s5_name_offset(aml, len);
	NK_ASSERT_LT(name, len);
	copy = nk_malloc(name + 6);
	NK_ASSERT_NOT_NULL(copy);
	memcpy(copy, aml, name + 6); /* the name, PackageOp and PkgLength: no elements */
	NK_EXPECT_EQ(nk_acpi_s5_decode(copy, name + 6, &s5), -EINVAL);
	nk_free(copy);
}

NK_TEST(acpi, bad_madt_refused)
{
	expect_bad_copies_refused(nk_t, "APIC");
}

NK_TEST(acpi, bad_srat_refused)
{
	expect_bad_copies_refused(nk_t, "SRAT");
}

NK_TEST(acpi, bad_slit_refused)
{
	expect_bad_copies_refused(nk_t, "SLIT");
}

NK_TEST(acpi, bad_hpet_refused)
{
	expect_bad_copies_refused(nk_t, "HPET");
}

NK_TEST(acpi, bad_fadt_refused)
{
	expect_bad_copies_refused(nk_t, "FACP");
}

NK_TEST(acpi, bad_mcfg_refused)
{
	expect_bad_copies_refused(nk_t, "MCFG");
}
