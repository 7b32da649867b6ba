/*
 * ACPI sleep types from the DSDT: the two SLP_TYP values of the \_S5_ (soft-off) package, found
 * by a bounds-checked byte scan of the AML (no interpreter). Used by the power-off path.
 */
#ifndef NK_ARCH_X64_ACPI_SLEEP_H
#define NK_ARCH_X64_ACPI_SLEEP_H

#include <nautilus/types.h>

/* What goes into the SLP_TYP field (bits 12:10) of PM1a and PM1b control: 0..7 each. */
struct nk_acpi_sleep_type {
	uint8_t slp_typa;
	uint8_t slp_typb;
};

/*
 * Decode the first "Name (\_S5_, Package () { a, b, ... })" in the AML bytes [aml, aml+len)
 * (a DSDT's body, after the table header). Elements may be ZeroOp, OneOp or BytePrefix
 * integers, each at most 7. Returns 0, -ENOENT when there is no such name object, or -EINVAL
 * (with a warning saying what is wrong) when it is malformed. Never reads outside the bytes.
 */
int nk_acpi_s5_decode(const uint8_t *aml, size_t len, struct nk_acpi_sleep_type *out);

/* The same from the registered DSDT (nk_acpi_find); -ENOENT, warned, without one. */
int nk_acpi_s5(struct nk_acpi_sleep_type *out);

#endif
