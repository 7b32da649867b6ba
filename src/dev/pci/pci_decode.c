/*
 * The parts of the PCI core that only compute: driver id matching, BAR decoding from sized
 * values, the capability-list walk, class and capability names. No hardware access, so they
 * also build for the host tests (tests/host/pci.mk).
 */
#include <nautilus/errno.h>

#include "pci_priv.h"

static bool id_matches(const struct nk_pci_id *id, uint16_t vendor, uint16_t device,
		       uint32_t class24)
{
	if (id->vendor != NK_PCI_ANY_ID && id->vendor != vendor)
		return false;
	if (id->device != NK_PCI_ANY_ID && id->device != device)
		return false;
	return ((id->class ^ class24) & id->class_mask) == 0;
}

const struct nk_pci_id *pci_id_match(const struct nk_pci_id *ids, uint16_t vendor, uint16_t device,
				     uint32_t class24)
{
	for (const struct nk_pci_id *id = ids; id && id->vendor; id++)
		if (id_matches(id, vendor, device, class24))
			return id;
	return NULL;
}

/* mask (address bits that kept their ones) is ones down to some bit, then zeros. */
static bool mask_is_contiguous(uint64_t mask)
{
	uint64_t inv = ~mask;

	return mask && (inv & (inv + 1)) == 0;
}

static int decode_io(uint32_t lo, uint32_t sized, struct nk_pci_bar *bar)
{
	uint64_t mask = sized & PCI_BAR_IO_MASK;

	if (!mask)
		return -EINVAL;
	if (!(mask >> 16))
		mask |= 0xffff0000u; /* a 16-bit decoder reads the upper half back as zeros */
	mask |= 0xffffffff00000000ULL;
	if (!mask_is_contiguous(mask))
		return -EINVAL;
	bar->io = true;
	bar->size = ~mask + 1;
	bar->base = lo & PCI_BAR_IO_MASK;
	return 1;
}

static int decode_mem(uint32_t lo, uint32_t sized_lo, uint32_t hi, uint32_t sized_hi,
		      struct nk_pci_bar *bar)
{
	bool mem64 = (lo & PCI_BAR_MEM_TYPE) == PCI_BAR_MEM_64;
	uint64_t mask = sized_lo & PCI_BAR_MEM_MASK, base = lo & PCI_BAR_MEM_MASK;

	if ((lo & PCI_BAR_MEM_TYPE) != 0 && !mem64)
		return -EINVAL; /* a reserved type */
	if (((lo ^ sized_lo) & ~PCI_BAR_MEM_MASK) != 0)
		return -EINVAL; /* the type bits are read-only */
	if (mem64) {
		mask |= (uint64_t)sized_hi << 32;
		base |= (uint64_t)hi << 32;
	} else {
		mask |= 0xffffffff00000000ULL;
	}
	if (!mask_is_contiguous(mask) || (!mem64 && (uint32_t)mask == 0))
		return -EINVAL;
	bar->size = ~mask + 1;
	if (base & (bar->size - 1))
		return -EINVAL;
	bar->base = base;
	bar->mem64 = mem64;
	bar->prefetch = lo & PCI_BAR_MEM_PREFETCH;
	return mem64 ? 2 : 1;
}

int pci_bar_decode(uint32_t lo, uint32_t sized_lo, uint32_t hi, uint32_t sized_hi, bool has_hi,
		   struct nk_pci_bar *bar, int *slots)
{
	bool mem64 = !(lo & PCI_BAR_IO) && (lo & PCI_BAR_MEM_TYPE) == PCI_BAR_MEM_64;
	int ret;

	*bar = (struct nk_pci_bar){ 0 };
	if (slots)
		*slots = mem64 ? 2 : 1;
	if (!lo && !sized_lo)
		return 1; /* not implemented: reads as zero whatever is written */
	if (mem64 && !has_hi)
		return -EINVAL;
	if (lo & PCI_BAR_IO)
		ret = decode_io(lo, sized_lo, bar);
	else
		ret = decode_mem(lo, sized_lo, hi, sized_hi, bar);
	if (ret < 0)
		*bar = (struct nk_pci_bar){ 0 };
	return ret;
}

/*
 * Walk from the start at most PCI_CAP_MAX steps (one per possible offset, so a longer walk has
 * come back to an offset it saw); a bitmap of seen offsets tells the loop apart.
 */
unsigned pci_cap_walk(pci_cfg_rd8 rd, const void *ctx, int id, unsigned after, int *err)
{
	uint64_t seen = 0;
	bool past = !after;
	unsigned off;
	int dummy;

	err = err ? err : &dummy;
	*err = 0;
	if (!(rd(ctx, NK_PCI_STATUS) & NK_PCI_STATUS_CAP_LIST))
		return 0;
	off = rd(ctx, NK_PCI_CAP_PTR) & ~3u; /* the low two bits are reserved (section 6.7) */
	while (off) {
		unsigned bit = (off - PCI_CAP_FIRST) / 4;

		if (off < PCI_CAP_FIRST || off > PCI_CAP_LAST) {
			*err = -ERANGE;
			return 0;
		}
		if (seen & (1ULL << bit)) {
			*err = -EINVAL;
			return 0;
		}
		seen |= 1ULL << bit;
		if (past && (id < 0 || rd(ctx, off) == id))
			return off;
		past = past || off == after;
		off = rd(ctx, off + 1) & ~3u;
	}
	return 0;
}

const char *nk_pci_class_name(uint8_t class)
{
	/* Base class codes, PCI Code and ID Assignment Specification 1.11, section 1. */
	static const char *const names[] = {
		[0x00] = "unclassified", [0x01] = "mass storage",    [0x02] = "network",
		[0x03] = "display",	 [0x04] = "multimedia",	     [0x05] = "memory",
		[0x06] = "bridge",	 [0x07] = "communication",   [0x08] = "system",
		[0x09] = "input",	 [0x0a] = "docking",	     [0x0b] = "processor",
		[0x0c] = "serial bus",	 [0x0d] = "wireless",	     [0x0e] = "intelligent io",
		[0x0f] = "satellite",	 [0x10] = "encryption",	     [0x11] = "signal processing",
		[0x12] = "accelerator",	 [0x13] = "instrumentation",
	};

	return class < NK_ARRAY_SIZE(names) && names[class] ? names[class] : "unknown";
}

const char *pci_cap_name(uint8_t id)
{
	/* Capability ids, PCI Code and ID Assignment Specification 1.11, section 2. */
	static const char *const names[] = {
		[0x01] = "PM",
		[0x02] = "AGP",
		[0x03] = "VPD",
		[0x04] = "slot id",
		[0x05] = "MSI",
		[0x06] = "hot-swap",
		[0x07] = "PCI-X",
		[0x08] = "HyperTransport",
		[0x09] = "vendor",
		[0x0a] = "debug",
		[0x0b] = "CompactPCI",
		[0x0c] = "hot-plug",
		[0x0d] = "bridge subsystem",
		[0x0e] = "AGP 8x",
		[0x0f] = "secure",
		[0x10] = "PCIe",
		[0x11] = "MSI-X",
		[0x12] = "SATA",
		[0x13] = "AF",
		[0x14] = "EA",
	};

	return id < NK_ARRAY_SIZE(names) ? names[id] : NULL;
}
