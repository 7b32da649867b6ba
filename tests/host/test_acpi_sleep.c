/*
 * Host test of the \_S5_ decoder: QEMU-like and hand-made good encodings, every truncation of
 * them, each kind of malformed package (with its warning), random bytes around a planted name,
 * and nk_acpi_s5 over a stub DSDT. Every input lives in a malloc of exactly its length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arch/x64/acpi_sleep.h>
#include <nautilus/acpi.h>
#include <nautilus/errno.h>
#include <nautilus/random.h>

#include "host_stubs.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

/* Decode an exact-size heap copy of [p, p+len). */
static int decode(const void *p, size_t len, struct nk_acpi_sleep_type *out)
{
	uint8_t *copy = malloc(len ? len : 1);
	int err;

	assert_non_null(copy);
	memcpy(copy, p, len);
	err = nk_acpi_s5_decode(copy, len, out);
	free(copy);
	return err;
}

#define DECODE(bytes, out) decode(bytes, sizeof(bytes), out)

/* What QEMU's DSDT holds: Name (_S5, Package (0x04) { Zero, Zero, Zero, Zero }). */
static const uint8_t qemu_s5[] = {
	0x08, '_',  'S',  '5',	'_', /* NameOp _S5_ */
	0x12, 0x06, 0x04,	     /* PackageOp, PkgLength 6, 4 elements */
	0x00, 0x00, 0x00, 0x00,	     /* Zero, Zero, Zero, Zero */
};

/* Hand-made: \_S5_ with BytePrefix values, after a method that uses the name first. */
static const uint8_t bytes_s5[] = {
	0x14, 0x0a, '_',  'P',	'T',  'S',  0x01, /* MethodOp _PTS */
	0x70, '_',  'S',  '5',	'_',  0x60,	  /* Store (_S5_, Local0): not a NameOp */
	0x08, 0x5c, '_',  'S',	'5',  '_',	  /* NameOp \_S5_ */
	0x12, 0x08, 0x04,			  /* PackageOp, PkgLength 8, 4 elements */
	0x0a, 0x05, 0x0a, 0x07, 0x00, 0x00,	  /* 5, 7, Zero, Zero */
	0xa3,					  /* the rest of the DSDT */
};

/* One, Zero with a 2-byte PkgLength. */
static const uint8_t long_pkg_s5[] = {
	0x08, '_',  'S',  '5',	'_', /* NameOp _S5_ */
	0x12, 0x47, 0x00, 0x02,	     /* PackageOp, PkgLength 7 in two bytes, 2 elements */
	0x01, 0x00, 0xff, 0xff,	     /* One, Zero, and filler inside the package */
};

static void test_good(void **state)
{
	struct nk_acpi_sleep_type s = { 9, 9 };

	(void)state;
	assert_int_equal(DECODE(qemu_s5, &s), 0);
	assert_int_equal(s.slp_typa, 0);
	assert_int_equal(s.slp_typb, 0);
	assert_int_equal(DECODE(bytes_s5, &s), 0);
	assert_int_equal(s.slp_typa, 5);
	assert_int_equal(s.slp_typb, 7);
	assert_int_equal(DECODE(long_pkg_s5, &s), 0);
	assert_int_equal(s.slp_typa, 1);
	assert_int_equal(s.slp_typb, 0);
}

/* Malformed: the result, and a piece of the warning naming what is wrong. */
static const struct {
	const char *what;
	uint8_t aml[16];
	size_t len;
	const char *msg;
} malformed[] = {
	{ "not a package", { 0x08, '_', 'S', '5', '_', 0x0a, 0x05 }, 7, "not a package" },
	{ "one element",
	  { 0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0x00 },
	  9,
	  "fewer than two" },
	{ "pkglen past end",
	  { 0x08, '_', 'S', '5', '_', 0x12, 0x20, 0x02, 0, 0 },
	  10,
	  "past the end" },
	{ "pkglen too small", { 0x08, '_', 'S', '5', '_', 0x12, 0x01, 0x02, 0, 0 }, 10, "no room" },
	{ "elements past pkg",
	  { 0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x02, 0, 0 },
	  10,
	  "ends before" },
	{ "byte cut by pkg",
	  { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0, 0x0a, 3 },
	  11,
	  "inside a byte" },
	{ "value above 7",
	  { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 8, 0 },
	  11,
	  "above 7" },
	{ "WordPrefix",
	  { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0b, 5, 0, 0 },
	  12,
	  "not ZeroOp" },
	{ "OnesOp", { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0xff, 0 }, 10, "not ZeroOp" },
	{ "reserved bits",
	  { 0x08, '_', 'S', '5', '_', 0x12, 0x76, 0x00, 0x02, 0, 0 },
	  11,
	  "reserved" },
	{ "pkglen cut",
	  { 0x08, '_', 'S', '5', '_', 0x12, 0x86, 0x00 },
	  8,
	  "inside the package length" },
	{ "no pkglen", { 0x08, '_', 'S', '5', '_', 0x12 }, 6, "before the package length" },
	{ "name only", { 0x08, '_', 'S', '5', '_' }, 5, "not a package" },
};

static void test_malformed(void **state)
{
	struct nk_acpi_sleep_type s;

	(void)state;
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		int logged = nk_host_log_count;

		if (decode(malformed[i].aml, malformed[i].len, &s) != -EINVAL)
			fail_msg("%s: not refused", malformed[i].what);
		assert_int_equal(nk_host_log_count, logged + 1);
		if (!strstr(nk_host_last_log, "\\_S5_ at offset 1 of the DSDT's AML: ") ||
		    !strstr(nk_host_last_log, malformed[i].msg))
			fail_msg("%s: warning \"%s\"", malformed[i].what, nk_host_last_log);
	}
}

/* No name object: -ENOENT without a warning (nk_acpi_s5 says it). */
static void test_absent(void **state)
{
	static const uint8_t none[] = { 0x70, '_', 'S', '5', '_', 0x08, '_', 'S', '4', '_', 0x12 };
	static const uint8_t at_start[] = { '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0, 0 };
	struct nk_acpi_sleep_type s;
	int logged = nk_host_log_count;

	(void)state;
	assert_int_equal(DECODE(none, &s), -ENOENT);
	assert_int_equal(DECODE(at_start, &s), -ENOENT);
	assert_int_equal(decode(qemu_s5, 0, &s), -ENOENT);
	assert_int_equal(decode(qemu_s5, 4, &s), -ENOENT); /* the name itself is cut */
	assert_int_equal(nk_host_log_count, logged);
}

/* Every prefix of a good encoding that cuts its package is refused, never read past (ASan). */
static void test_truncations(void **state)
{
	static const struct {
		const uint8_t *aml;
		size_t len, pkg_end; /* where its PkgLength says the package ends */
	} good[] = {
		{ qemu_s5, sizeof(qemu_s5), 6 + 6 },
		{ bytes_s5, sizeof(bytes_s5), 20 + 8 },
		{ long_pkg_s5, sizeof(long_pkg_s5), 6 + 7 },
	};
	struct nk_acpi_sleep_type s;

	(void)state;
	for (size_t g = 0; g < sizeof(good) / sizeof(good[0]); g++)
		for (size_t len = 0; len <= good[g].len; len++) {
			int err = decode(good[g].aml, len, &s);

			if (len >= good[g].pkg_end)
				assert_int_equal(err, 0);
			else
				assert_true(err == -EINVAL || err == -ENOENT);
		}
}

/* Random bytes around a planted name: never a crash, and only sleep types 0..7. */
static void test_random(void **state)
{
	int decoded = 0;

	(void)state;
	for (int iter = 0; iter < 200000; iter++) {
		uint8_t aml[24];
		size_t len = 6 + nk_xorshift64(&rng) % (sizeof(aml) - 6);
		struct nk_acpi_sleep_type s = { 0xee, 0xee };
		int err;

		for (size_t i = 0; i < len; i++) {
			uint64_t r = nk_xorshift64(&rng);

			/* mostly the bytes that matter, so packages often decode */
			aml[i] = r % 4 ? "\x00\x01\x02\x04\x06\x0a\x12\x40"[(r >> 8) % 8]
				       : (uint8_t)(r >> 16);
		}
		memcpy(aml, "\x08_S5_", 5);
		aml[5] = 0x12;
		err = decode(aml, len, &s);
		assert_true(err == 0 || err == -EINVAL);
		if (err == 0) {
			assert_true(s.slp_typa <= 7 && s.slp_typb <= 7);
			decoded++;
		}
	}
	assert_true(decoded > 1000); /* the good side was reached too */
}

/* nk_acpi_s5 reads the registered DSDT: a stub stands in for acpi.c's registry. */
static const struct nk_acpi_sdt_header *stub_dsdt;

const struct nk_acpi_sdt_header *nk_acpi_find(const char *signature, unsigned int index)
{
	return !strncmp(signature, "DSDT", 4) && index == 0 ? stub_dsdt : NULL;
}

static void test_from_dsdt(void **state)
{
	size_t len = sizeof(struct nk_acpi_sdt_header) + sizeof(bytes_s5);
	struct nk_acpi_sdt_header *h = calloc(1, len);
	struct nk_acpi_sleep_type s;

	(void)state;
	assert_non_null(h);
	memcpy(h->signature, "DSDT", 4);
	h->length = len;
	memcpy(h + 1, bytes_s5, sizeof(bytes_s5));
	stub_dsdt = h;
	assert_int_equal(nk_acpi_s5(&s), 0);
	assert_int_equal(s.slp_typa, 5);
	assert_int_equal(s.slp_typb, 7);
	h->length = sizeof(*h); /* no AML at all */
	assert_int_equal(nk_acpi_s5(&s), -ENOENT);
	assert_non_null(strstr(nk_host_last_log, "no \\_S5_ name object"));
	stub_dsdt = NULL;
	assert_int_equal(nk_acpi_s5(&s), -ENOENT);
	assert_non_null(strstr(nk_host_last_log, "no DSDT"));
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),   cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_absent), cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_random), cmocka_unit_test(test_from_dsdt),
	};

	return cmocka_run_group_tests_name("acpi_sleep", tests, NULL, NULL);
}
