/*
 * \_S5_ from the DSDT's AML: a byte scan for the name object and a decoder of its package's
 * first two integers, every read bounds-checked. Builds for the host too.
 */
#include <arch/x64/acpi_sleep.h>
#include <nautilus/acpi.h>
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>

/* AML encodings, ACPI 6.5 section 20.2. */
#define AML_ZERO_OP	    0x00 /* 20.2.3: the integer 0 */
#define AML_ONE_OP	    0x01 /* 20.2.3: the integer 1 */
#define AML_NAME_OP	    0x08 /* 20.2.5.1: DefName := NameOp NameString DataRefObject */
#define AML_BYTE_PREFIX	    0x0a /* 20.2.3: BytePrefix ByteData */
#define AML_PACKAGE_OP	    0x12 /* 20.2.5.4: PackageOp PkgLength NumElements PackageElementList */
#define AML_ROOT_CHAR	    0x5c /* 20.2.2: '\' before a NameSeg */
#define PKG_LEN_BYTES(lead) ((lead) >> 6) /* 20.2.4: bytes after the lead byte */
#define PKG_LEN_RESERVED    0x30	  /* lead bits 5:4, zero when bytes follow */
#define SLP_TYP_MAX	    7		  /* a 3-bit field of PM1 control (section 4.8.3.2.1) */

/* A cursor over the package: the bytes [off, end) are the rest of it. */
struct cursor {
	const uint8_t *aml;
	size_t off, end;
	const char *why; /* what was wrong, for the warning */
};

static int bad(struct cursor *c, const char *why)
{
	c->why = why;
	return -EINVAL;
}

/* Offset of the NameSeg of the first NameOp ['\'] "_S5_" in aml, or len if there is none. */
static size_t find_s5_name(const uint8_t *aml, size_t len)
{
	for (size_t i = 1; i + 4 <= len; i++) {
		if (memcmp(aml + i, "_S5_", 4) != 0)
			continue;
		if (aml[i - 1] == AML_NAME_OP ||
		    (i >= 2 && aml[i - 1] == AML_ROOT_CHAR && aml[i - 2] == AML_NAME_OP))
			return i;
	}
	return len;
}

/*
 * PkgLength at c->off (1 to 4 bytes; the length counts itself and what follows): on success
 * c->off is past it and c->end at the package's end, within the AML.
 */
static int pkg_length(struct cursor *c)
{
	size_t start = c->off, n, len;
	uint8_t lead;

	if (c->off >= c->end)
		return bad(c, "the AML ends before the package length");
	lead = c->aml[c->off];
	n = PKG_LEN_BYTES(lead);
	if (c->end - c->off < 1 + n)
		return bad(c, "the AML ends inside the package length");
	if (n && (lead & PKG_LEN_RESERVED))
		return bad(c, "reserved bits set in the package length");
	len = n ? lead & 0x0f : lead & 0x3f;
	for (size_t k = 1; k <= n; k++)
		len |= (size_t)c->aml[c->off + k] << (4 + 8 * (k - 1));
	if (len < 1 + n + 1)
		return bad(c, "the package length leaves no room for its element count");
	if (len > c->end - start)
		return bad(c, "the package runs past the end of the DSDT");
	c->off += 1 + n;
	c->end = start + len;
	return 0;
}

/* One integer element, ZeroOp, OneOp or BytePrefix n, at most SLP_TYP_MAX. */
static int slp_typ(struct cursor *c, uint8_t *v)
{
	if (c->off >= c->end)
		return bad(c, "the package ends before its first two elements");
	switch (c->aml[c->off]) {
	case AML_ZERO_OP:
	case AML_ONE_OP:
		*v = c->aml[c->off++];
		return 0;
	case AML_BYTE_PREFIX:
		if (c->end - c->off < 2)
			return bad(c, "the package ends inside a byte constant");
		*v = c->aml[c->off + 1];
		c->off += 2;
		return *v <= SLP_TYP_MAX ? 0 : bad(c, "a sleep type above 7");
	default:
		return bad(c, "an element that is not ZeroOp, OneOp or BytePrefix n");
	}
}

/* The package at c->off: PackageOp PkgLength NumElements, then at least two integers. */
static int decode_package(struct cursor *c, struct nk_acpi_sleep_type *out)
{
	int err;

	if (c->off >= c->end || c->aml[c->off] != AML_PACKAGE_OP)
		return bad(c, "not a package");
	c->off++;
	err = pkg_length(c);
	if (err)
		return err;
	if (c->aml[c->off++] < 2)
		return bad(c, "fewer than two elements");
	err = slp_typ(c, &out->slp_typa);
	return err ? err : slp_typ(c, &out->slp_typb);
}

int nk_acpi_s5_decode(const uint8_t *aml, size_t len, struct nk_acpi_sleep_type *out)
{
	size_t name = find_s5_name(aml, len);
	struct cursor c = { .aml = aml, .off = name + 4, .end = len };
	int err;

	if (name == len)
		return -ENOENT;
	err = decode_package(&c, out);
	if (err)
		nk_warn("\\_S5_ at offset %zu of the DSDT's AML: %s", name, c.why);
	return err;
}

int nk_acpi_s5(struct nk_acpi_sleep_type *out)
{
	const struct nk_acpi_sdt_header *dsdt = nk_acpi_find("DSDT", 0);
	int err;

	if (!dsdt) {
		nk_warn("no DSDT: no \\_S5_ sleep type");
		return -ENOENT;
	}
	/* A registered table's length is at least its header and was checksummed. */
	err = nk_acpi_s5_decode((const uint8_t *)(dsdt + 1), dsdt->length - sizeof(*dsdt), out);
	if (err == -ENOENT)
		nk_warn("the DSDT has no \\_S5_ name object");
	return err;
}
