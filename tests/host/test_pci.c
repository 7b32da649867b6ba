/*
 * Host tests of the PCI core's computing parts (src/dev/pci/pci_decode.c): driver id tables
 * with wildcards and class masks, BARs decoded from sized values (good and impossible ones),
 * and the capability walk over a fake configuration space with loops and bad pointers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nautilus/errno.h>

#include "../../src/dev/pci/pci_priv.h"
#include "host_stubs.h"

/* --- id tables --- */

static const struct nk_pci_id table[] = {
	{ 0x1af4, 0x1001, 0, 0, "blk" },
	{ 0x1af4, NK_PCI_ANY_ID, 0x020000, 0xffff00, "virtio net class" },
	{ 0x8086, 0x100e, 0, 0, "e1000" },
	{ NK_PCI_ANY_ID, NK_PCI_ANY_ID, 0x010601, 0xffffff, "ahci" },
	{ NK_PCI_ANY_ID, NK_PCI_ANY_ID, 0x0c0000, 0xff0000, "any serial bus" },
	{ 0 },
	{ 0x1234, 0x1111, 0, 0, "after the end" },
};

static const char *match(uint16_t v, uint16_t d, uint32_t class24)
{
	const struct nk_pci_id *id = pci_id_match(table, v, d, class24);

	return id ? id->data : NULL;
}

static void id_exact_and_first_wins(void **state)
{
	(void)state;
	assert_string_equal(match(0x1af4, 0x1001, 0x010000), "blk");
	/* 1af4:1001 with a network class also matches entry 1: the first entry wins */
	assert_string_equal(match(0x1af4, 0x1001, 0x020000), "blk");
	assert_string_equal(match(0x8086, 0x100e, 0x020000), "e1000");
	assert_null(match(0x8086, 0x100f, 0x020000));
}

static void id_wildcards(void **state)
{
	(void)state;
	assert_string_equal(match(0x1af4, 0x1041, 0x020000), "virtio net class");
	assert_string_equal(match(0x1af4, 0x1000, 0x0200ff),
			    "virtio net class");      /* prog-if masked */
	assert_null(match(0x1af4, 0x1041, 0x028000)); /* subclass not */
	assert_string_equal(match(0x8086, 0x2922, 0x010601), "ahci");
	assert_null(match(0x8086, 0x2922, 0x010600));
	assert_string_equal(match(0xabcd, 0x0001, 0x0c0330), "any serial bus");
}

static void id_table_end(void **state)
{
	static const struct nk_pci_id empty[] = { { 0 } };

	(void)state;
	assert_null(match(0x1234, 0x1111, 0x030000)); /* past the terminator */
	assert_null(pci_id_match(empty, 0x1af4, 0x1001, 0));
	assert_null(pci_id_match(NULL, 0x1af4, 0x1001, 0));
}

/* --- BARs --- */

static int decode(uint32_t lo, uint32_t sized_lo, uint32_t hi, uint32_t sized_hi, bool has_hi,
		  struct nk_pci_bar *bar, int *slots)
{
	memset(bar, 0x5a, sizeof(*bar)); /* whatever was there is replaced */
	bar->virt = NULL;
	return pci_bar_decode(lo, sized_lo, hi, sized_hi, has_hi, bar, slots);
}

static void bar_unimplemented(void **state)
{
	struct nk_pci_bar b;
	int slots;

	(void)state;
	assert_int_equal(decode(0, 0, 0, 0, true, &b, &slots), 1);
	assert_int_equal(slots, 1);
	assert_int_equal(b.size, 0);
	assert_int_equal(b.base, 0);
	assert_false(b.io);
}

static void bar_mem32(void **state)
{
	struct nk_pci_bar b;

	(void)state;
	assert_int_equal(decode(0xfebd1000, 0xfffff000, 0, 0, true, &b, NULL), 1);
	assert_int_equal(b.base, 0xfebd1000);
	assert_int_equal(b.size, 0x1000);
	assert_false(b.io || b.mem64 || b.prefetch);
	/* prefetchable 16 MiB */
	assert_int_equal(decode(0xfd000008, 0xff000008, 0, 0, true, &b, NULL), 1);
	assert_int_equal(b.size, 0x1000000);
	assert_true(b.prefetch);
	/* implemented but not assigned: size known, no address */
	assert_int_equal(decode(0, 0xfffe0000, 0, 0, true, &b, NULL), 1);
	assert_int_equal(b.size, 0x20000);
	assert_int_equal(b.base, 0);
	/* the largest 32-bit BAR: 2 GiB */
	assert_int_equal(decode(0x80000000, 0x80000000, 0, 0, true, &b, NULL), 1);
	assert_int_equal(b.size, 0x80000000ULL);
}

static void bar_mem64(void **state)
{
	struct nk_pci_bar b;
	int slots;

	(void)state;
	assert_int_equal(decode(0xfe00000c, 0xffffc00c, 0, 0xffffffff, true, &b, &slots), 2);
	assert_int_equal(slots, 2);
	assert_int_equal(b.base, 0xfe000000);
	assert_int_equal(b.size, 0x4000);
	assert_true(b.mem64 && b.prefetch && !b.io);
	/* 4 GiB at 4 GiB, then 8 GiB at 32 GiB: the size lives in the upper half */
	assert_int_equal(decode(0x0000000c, 0x0000000c, 0x1, 0xffffffff, true, &b, NULL), 2);
	assert_int_equal(b.base, 0x100000000ULL);
	assert_int_equal(b.size, 0x100000000ULL);
	assert_int_equal(decode(0x0000000c, 0x0000000c, 0x8, 0xfffffffe, true, &b, NULL), 2);
	assert_int_equal(b.base, 0x800000000ULL);
	assert_int_equal(b.size, 0x200000000ULL);
}

static void bar_io(void **state)
{
	struct nk_pci_bar b;

	(void)state;
	assert_int_equal(decode(0xc001, 0xffffff81, 0, 0, true, &b, NULL), 1);
	assert_true(b.io);
	assert_int_equal(b.base, 0xc000);
	assert_int_equal(b.size, 0x80);
	/* a 16-bit decoder reads the upper half back as zeros */
	assert_int_equal(decode(0xc101, 0x0000ffc1, 0, 0, true, &b, NULL), 1);
	assert_int_equal(b.base, 0xc100);
	assert_int_equal(b.size, 0x40);
}

static void assert_bad(uint32_t lo, uint32_t sized_lo, uint32_t hi, uint32_t sized_hi, bool has_hi)
{
	struct nk_pci_bar b;

	assert_int_equal(decode(lo, sized_lo, hi, sized_hi, has_hi, &b, NULL), -EINVAL);
	assert_int_equal(b.size, 0);
	assert_int_equal(b.base, 0);
	assert_false(b.io || b.mem64 || b.prefetch);
}

static void bar_impossible(void **state)
{
	int slots;
	struct nk_pci_bar b;

	(void)state;
	assert_bad(0xfebd1000, 0, 0, 0, true);		/* an address but no writable bit */
	assert_bad(0x00000008, 0x00000008, 0, 0, true); /* size 0 with type bits */
	assert_bad(0xfebd0000, 0xfff0f000, 0, 0, true); /* mask with a hole */
	assert_bad(0xfebd1800, 0xfffff000, 0, 0, true); /* base not aligned to the size */
	assert_bad(0x00000002, 0xfffff002, 0, 0, true); /* reserved type 01 */
	assert_bad(0x00000006, 0xfffff006, 0, 0, true); /* reserved type 11 */
	assert_bad(0x00000000, 0xfffff008, 0, 0, true); /* read-only type bits changed */
	assert_bad(0x0000c001, 0x00000001, 0, 0, true); /* I/O without address bits */
	assert_bad(0x0000c001, 0xffff0f01, 0, 0, true); /* I/O mask with a hole */
	assert_bad(0x0000000c, 0x0000000c, 0, 0, true); /* 64-bit, all address bits zero */
	assert_bad(0x0000000c, 0xfff0000c, 0, 0xfffffff0, true); /* 64-bit mask with a hole */
	/* a 64-bit BAR in the last slot has no upper half: both slots are skipped */
	assert_int_equal(decode(0xfe00000c, 0xffffc00c, 0, 0, false, &b, &slots), -EINVAL);
	assert_int_equal(slots, 2);
}

/* --- capability walk --- */

/* A fake configuration space of exactly 256 bytes (ASan catches a read past it). */
static uint8_t *space(void)
{
	uint8_t *c = calloc(1, 256);

	assert_non_null(c);
	c[NK_PCI_STATUS] = NK_PCI_STATUS_CAP_LIST;
	return c;
}

static void cap(uint8_t *c, unsigned off, uint8_t id, uint8_t next)
{
	c[off] = id;
	c[off + 1] = next;
}

static uint8_t rd(const void *ctx, unsigned off)
{
	assert_true(off < 256);
	return ((const uint8_t *)ctx)[off];
}

static void caps_chain(void **state)
{
	uint8_t *c = space();
	unsigned off, n = 0;
	int err = 1;

	(void)state;
	c[NK_PCI_CAP_PTR] = 0x98;
	cap(c, 0x98, NK_PCI_CAP_MSIX, 0x84);
	cap(c, 0x84, NK_PCI_CAP_VENDOR, 0x70);
	cap(c, 0x70, NK_PCI_CAP_VENDOR, 0x40);
	cap(c, 0x40, NK_PCI_CAP_MSI, 0x00);
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_MSIX, 0, &err), 0x98);
	assert_int_equal(err, 0);
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_MSI, 0, NULL), 0x40);
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_VENDOR, 0, NULL), 0x84);
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_VENDOR, 0x84, NULL), 0x70);
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_VENDOR, 0x70, NULL), 0);
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_PCIE, 0, &err), 0);
	assert_int_equal(err, 0);
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_VENDOR, 0x50, NULL), 0); /* not in list */
	for (off = 0; (off = pci_cap_walk(rd, c, -1, off, NULL));)
		n++;
	assert_int_equal(n, 4);
	free(c);
}

static void caps_none(void **state)
{
	uint8_t *c = space();
	int err = 1;

	(void)state;
	c[NK_PCI_CAP_PTR] = 0x40;
	cap(c, 0x40, NK_PCI_CAP_MSI, 0);
	c[NK_PCI_STATUS] = 0; /* no list, whatever the pointer says */
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_MSI, 0, &err), 0);
	assert_int_equal(err, 0);
	c[NK_PCI_STATUS] = NK_PCI_STATUS_CAP_LIST;
	c[NK_PCI_CAP_PTR] = 0; /* an empty list */
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_MSI, 0, &err), 0);
	assert_int_equal(err, 0);
	free(c);
}

static void caps_loops(void **state)
{
	uint8_t *c = space();
	int err = 0;

	(void)state;
	c[NK_PCI_CAP_PTR] = 0x40;
	cap(c, 0x40, NK_PCI_CAP_MSI, 0x50);
	cap(c, 0x50, NK_PCI_CAP_VENDOR, 0x40); /* back to the first */
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_MSIX, 0, &err), 0);
	assert_int_equal(err, -EINVAL);
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_VENDOR, 0, &err),
			 0x50); /* before the loop */
	assert_int_equal(err, 0);
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_MSI, 0x50, &err), 0); /* not twice */
	assert_int_equal(err, -EINVAL);
	cap(c, 0x50, NK_PCI_CAP_VENDOR, 0x50); /* to itself */
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_MSIX, 0, &err), 0);
	assert_int_equal(err, -EINVAL);
	free(c);
}

static void caps_bad_pointers(void **state)
{
	uint8_t *c = space();
	int err = 0;

	(void)state;
	c[NK_PCI_CAP_PTR] = 0x10; /* into the header */
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_MSI, 0, &err), 0);
	assert_int_equal(err, -ERANGE);
	c[NK_PCI_CAP_PTR] = 0x43; /* reserved low bits are masked: 0x40 */
	cap(c, 0x40, NK_PCI_CAP_MSI, 0x3c);
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_MSI, 0, &err), 0x40);
	assert_int_equal(err, 0);
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_MSIX, 0, &err), 0);
	assert_int_equal(err, -ERANGE);
	cap(c, 0x40, NK_PCI_CAP_MSI, 0xff); /* masked to 0xfc: the last place a header fits */
	cap(c, 0xfc, NK_PCI_CAP_MSIX, 0x00);
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_MSIX, 0, &err), 0xfc);
	assert_int_equal(err, 0);
	free(c);
}

static void caps_longest_list(void **state)
{
	uint8_t *c = space();
	int err = 1;

	(void)state;
	c[NK_PCI_CAP_PTR] = 0x40;
	for (unsigned off = 0x40; off <= 0xfc; off += 4)
		cap(c, off, NK_PCI_CAP_VENDOR, off < 0xfc ? off + 4 : 0);
	c[0xfc] = NK_PCI_CAP_MSIX;
	/* every offset used once is no loop */
	assert_int_equal(pci_cap_walk(rd, c, NK_PCI_CAP_MSIX, 0, &err), 0xfc);
	assert_int_equal(err, 0);
	free(c);
}

static void class_names(void **state)
{
	(void)state;
	assert_string_equal(nk_pci_class_name(0x01), "mass storage");
	assert_string_equal(nk_pci_class_name(0x02), "network");
	assert_string_equal(nk_pci_class_name(0x06), "bridge");
	assert_string_equal(nk_pci_class_name(0x14), "unknown");
	assert_string_equal(nk_pci_class_name(0xff), "unknown");
	assert_string_equal(pci_cap_name(NK_PCI_CAP_MSIX), "MSI-X");
	assert_null(pci_cap_name(0x00));
	assert_null(pci_cap_name(0xff));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(id_exact_and_first_wins),
		cmocka_unit_test(id_wildcards),
		cmocka_unit_test(id_table_end),
		cmocka_unit_test(bar_unimplemented),
		cmocka_unit_test(bar_mem32),
		cmocka_unit_test(bar_mem64),
		cmocka_unit_test(bar_io),
		cmocka_unit_test(bar_impossible),
		cmocka_unit_test(caps_chain),
		cmocka_unit_test(caps_none),
		cmocka_unit_test(caps_loops),
		cmocka_unit_test(caps_bad_pointers),
		cmocka_unit_test(caps_longest_list),
		cmocka_unit_test(class_names),
	};

	return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}
