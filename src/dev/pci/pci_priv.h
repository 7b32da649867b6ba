/*
 * The PCI core's own declarations, shared by its files (and by its host and KTAP tests).
 * pci_decode.c holds the parts that do not touch hardware: id matching, BAR decoding, the
 * capability walk; they build for the host.
 */
#ifndef NK_DEV_PCI_PCI_PRIV_H
#define NK_DEV_PCI_PCI_PRIV_H

#include <nautilus/pci.h>

/* Capability list bounds (PCI Local Bus Specification 3.0, section 6.7). */
#define PCI_CAP_FIRST 0x40 /* capabilities follow the 64-byte header */
#define PCI_CAP_LAST  0xfc /* a 4-byte capability header must fit below 0x100 */
#define PCI_CAP_MAX \
	((PCI_CAP_LAST - PCI_CAP_FIRST) / 4 + 1) /* distinct offsets: a longer walk loops */

/* Header type 1 (PCI-to-PCI Bridge Architecture Specification 1.2, section 3.2). */
#define PCI_PRIMARY_BUS	    0x18
#define PCI_SECONDARY_BUS   0x19
#define PCI_SUBORDINATE_BUS 0x1a
#define PCI_HEADER_MULTI    0x80 /* header type bit 7: a multi-function device */

/* BAR low bits (PCI 3.0 section 6.2.5.1). */
#define PCI_BAR_IO	     0x1 /* bit 0: I/O space */
#define PCI_BAR_MEM_TYPE     0x6 /* bits 2:1: 00 32-bit, 10 64-bit, 01 and 11 reserved */
#define PCI_BAR_MEM_64	     0x4
#define PCI_BAR_MEM_PREFETCH 0x8 /* bit 3 */
#define PCI_BAR_IO_MASK	     0xfffffffcu
#define PCI_BAR_MEM_MASK     0xfffffff0u

/*
 * Match a function against a driver's table (ended by vendor 0): the first entry whose vendor
 * and device are equal or NK_PCI_ANY_ID and whose class bits under class_mask are equal.
 * class24 is (class << 16) | (subclass << 8) | prog-if.
 */
const struct nk_pci_id *pci_id_match(const struct nk_pci_id *ids, uint16_t vendor, uint16_t device,
				     uint32_t class24);

/*
 * Decode a BAR from its value as the firmware left it (lo, and hi for the upper half of a
 * 64-bit BAR) and the value read back after writing all ones (sized_lo, sized_hi). has_hi:
 * a following BAR slot exists to hold an upper half. Fills bar (base, size, io, mem64,
 * prefetch; virt untouched) and returns the slots used (1, or 2 for a 64-bit BAR); size 0 is
 * an unimplemented BAR. -EINVAL for an impossible value (address bits not a contiguous mask,
 * reserved type, 64-bit in the last slot, a base not aligned to the size): bar is zeroed, and
 * *slots (if not NULL) says how many slots to skip.
 */
int pci_bar_decode(uint32_t lo, uint32_t sized_lo, uint32_t hi, uint32_t sized_hi, bool has_hi,
		   struct nk_pci_bar *bar, int *slots);

/*
 * The capability walk over a configuration space read through rd(ctx, offset). Returns the
 * offset of the first capability with this id (any id when id < 0) that comes after `after` in
 * the list (0: from the start), or 0. *err (if not NULL) is 0 when the walk ended normally,
 * -EINVAL when it came back to an offset it had seen (a loop), -ERANGE at a pointer outside
 * 0x40-0xfc.
 */
typedef uint8_t (*pci_cfg_rd8)(const void *ctx, unsigned off);
unsigned pci_cap_walk(pci_cfg_rd8 rd, const void *ctx, int id, unsigned after, int *err);

/* Configuration access (pci_cfg.c). */
int pci_cfg_init(void);			      /* ECAM windows mapped from the MCFG, or the ports */
void pci_cfg_attach(struct nk_pci_dev *pdev); /* set pdev->ecam for its segment/bus/slot/func */
uint32_t pci_cfg_legacy_read32(uint8_t bus, uint8_t slot, uint8_t func, unsigned off);
/* Segments with ECAM and their first bus, for the scan: index i < count, false past the end. */
bool pci_cfg_root(unsigned i, uint16_t *segment, uint8_t *bus);

/* Interrupt set-up state (pci_irq.c), before any nk_pci_irq_setup. */
void pci_irq_init(void);

/* The capability name for pci -v ("MSI-X", ...), or NULL. */
const char *pci_cap_name(uint8_t id);

#endif
