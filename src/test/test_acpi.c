/*
 * KTAP suite `acpi`: the tables QEMU gives (RSDP, checksums, MADT, IOAPIC, FADT) and the parser's
 * rejection of a corrupted and of a truncated copy of the real MADT.
 */
#include <nautilus/acpi.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/string.h>
#include <nautilus/test.h>

/* Too big for a thread stack. */
static struct nk_acpi_madt madt;

/* Make the table's bytes sum to 0 again after an edit (ACPI 6.5 section 5.2.6). */
static void fix_checksum(struct nk_acpi_sdt_header *h, size_t len)
{
	uint8_t sum = 0;

	h->checksum = 0;
	for (size_t i = 0; i < len; i++)
		sum += ((const uint8_t *)h)[i];
	h->checksum = (uint8_t)-sum;
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

/* The expected CPU count is not passed to the kernel yet: only >= 1 is checked. */
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

NK_TEST(acpi, fadt)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();

	NK_ASSERT(a->has_fadt);
	NK_EXPECT_NE(a->fadt.pm1a_cnt, 0);
	NK_EXPECT_NE(a->fadt.dsdt, 0);
}

NK_TEST(acpi, madt_copy_rejected_when_bad)
{
	const struct nk_acpi_sdt_header *real = nk_acpi_find("APIC", 0);
	struct nk_acpi_sdt_header *copy;
	size_t len;

	NK_ASSERT_NOT_NULL(real);
	len = real->length;
	copy = nk_malloc(len);
	NK_ASSERT_NOT_NULL(copy);
	memcpy(copy, real, len);
	NK_EXPECT_EQ(nk_acpi_parse_madt(copy, len, &madt), 0);
	NK_EXPECT_EQ(madt.nr_cpus, nk_acpi_get_info()->madt.nr_cpus);

	((uint8_t *)copy)[len - 1] ^= 0x5a;
	NK_EXPECT_EQ(nk_acpi_parse_madt(copy, len, &madt), -EINVAL);
	memcpy(copy, real, len);

	copy->length = len + 16; /* longer than the buffer */
	fix_checksum(copy, len);
	NK_EXPECT_EQ(nk_acpi_parse_madt(copy, len, &madt), -EINVAL);

	copy->length = 40; /* shorter than the MADT's fixed part */
	fix_checksum(copy, 40);
	NK_EXPECT_EQ(nk_acpi_parse_madt(copy, len, &madt), -EINVAL);
	nk_free(copy);
}
