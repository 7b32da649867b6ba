/*
 * PCI: the core enumerates every bus, device and function (through ECAM when the ACPI MCFG
 * table gives one, else through the legacy 0xCF8/0xCFC ports), sizes and maps the BARs, walks
 * the capability lists, and binds drivers. Each function it finds is a struct nk_pci_dev
 * registered as a device named "pciSSSS:BB:DD.F" (class NK_DEV_PCI).
 * Drivers declare a struct nk_pci_driver with an id table and register it with NK_PCI_DRIVER;
 * the core calls probe for each function that matches, one at a time, in thread context.
 */
#ifndef NK_NAUTILUS_PCI_H
#define NK_NAUTILUS_PCI_H

#include <nautilus/dev.h>
#include <nautilus/irq.h>

/* Configuration-space offsets (PCI Local Bus Specification 3.0, section 6.1). */
#define NK_PCI_VENDOR_ID      0x00
#define NK_PCI_DEVICE_ID      0x02
#define NK_PCI_COMMAND	      0x04
#define NK_PCI_STATUS	      0x06
#define NK_PCI_REVISION	      0x08
#define NK_PCI_CLASS_PROG     0x09
#define NK_PCI_HEADER_TYPE    0x0e
#define NK_PCI_BAR0	      0x10
#define NK_PCI_SUBSYS_VENDOR  0x2c
#define NK_PCI_SUBSYS_ID      0x2e
#define NK_PCI_CAP_PTR	      0x34
#define NK_PCI_INTERRUPT_LINE 0x3c
#define NK_PCI_INTERRUPT_PIN  0x3d

#define NK_PCI_CMD_IO		0x0001
#define NK_PCI_CMD_MEMORY	0x0002
#define NK_PCI_CMD_MASTER	0x0004
#define NK_PCI_CMD_INTX_DISABLE 0x0400
#define NK_PCI_STATUS_INTX	0x0008 /* the function asserts INTx (PCI 2.3 and later) */
#define NK_PCI_STATUS_CAP_LIST	0x0010

/* Capability ids (PCI Code and ID Assignment Specification). */
#define NK_PCI_CAP_MSI	  0x05
#define NK_PCI_CAP_VENDOR 0x09
#define NK_PCI_CAP_PCIE	  0x10
#define NK_PCI_CAP_MSIX	  0x11

#define NK_PCI_ANY_ID 0xffff

/* One entry of a driver's table; the table ends with an entry whose vendor is 0. */
struct nk_pci_id {
	uint16_t vendor;      /* or NK_PCI_ANY_ID */
	uint16_t device;      /* or NK_PCI_ANY_ID */
	uint32_t class;	      /* (class << 16) | (subclass << 8) | prog-if, compared under: */
	uint32_t class_mask;  /* 0: any class */
	const void *data;     /* the driver's, e.g. a model description */
};

struct nk_pci_bar {
	uint64_t base; /* bus address (= physical), or the first port of an I/O BAR */
	uint64_t size; /* 0: the BAR is not implemented (or is the upper half of a 64-bit BAR) */
	bool io;
	bool mem64;
	bool prefetch;
	void *virt; /* memory BARs: mapped uncached by the core, NULL if unassigned or failed */
};

struct nk_pci_driver;

struct nk_pci_dev {
	struct nk_dev dev; /* first: "pci0000:00:03.0", cls NK_DEV_PCI; driver = bound driver's name */
	uint16_t segment;
	uint8_t bus, slot, func;
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_device;
	uint8_t class, subclass, prog_if, revision;
	uint8_t header_type; /* without the multi-function bit: 0 device, 1 bridge, 2 CardBus */
	uint8_t irq_pin;     /* 0 none, 1..4 INTA..INTD */
	uint8_t irq_line;    /* as the firmware programmed it (ISA IRQ / GSI), 0xff unknown */
	uint8_t msi_cap, msix_cap, pcie_cap; /* capability offsets, 0 when absent */
	struct nk_pci_bar bar[6];
	struct nk_pci_dev *bridge; /* the bridge in front of this function's bus, NULL on bus 0 */

	/* The core's: how the function's configuration space is reached. */
	volatile uint8_t *ecam; /* its 4 KiB ECAM page, NULL: legacy ports */

	/* Bound driver and its data. */
	const struct nk_pci_driver *driver;
	void *drvdata;

	/* Interrupts set up through nk_pci_irq_setup. */
	unsigned irq_type; /* NK_PCI_IRQ_* in use, 0 none */
	unsigned nr_vectors;
	int vectors[32];
	struct nk_pci_dev *intx_next; /* other functions sharing the same INTx line */
	const struct nk_pci_irq *intx_handler;
	unsigned intx_stuck; /* interrupts in a row after which it still asserted INTx */
	struct nk_pci_dev *next; /* the core's list of functions, in bus order */
};

struct nk_pci_driver {
	const char *name;
	const struct nk_pci_id *ids;
	/* 0: bound (the core sets pdev->driver); -errno: not bound, logged with the device's name. */
	int (*probe)(struct nk_pci_dev *pdev, const struct nk_pci_id *id);
	void (*remove)(struct nk_pci_dev *pdev);
};

#define NK_PCI_DRIVER(var)                                                  \
	static const struct nk_pci_driver *const __nk_pci_driver_##var __nk_used \
		__nk_section(".nk_pci_drivers") __nk_aligned(8) = &var

/* Configuration space of a found function (offsets below 4096; 256 without ECAM). */
uint8_t nk_pci_read8(const struct nk_pci_dev *pdev, unsigned off);
uint16_t nk_pci_read16(const struct nk_pci_dev *pdev, unsigned off);
uint32_t nk_pci_read32(const struct nk_pci_dev *pdev, unsigned off);
void nk_pci_write8(const struct nk_pci_dev *pdev, unsigned off, uint8_t v);
void nk_pci_write16(const struct nk_pci_dev *pdev, unsigned off, uint16_t v);
void nk_pci_write32(const struct nk_pci_dev *pdev, unsigned off, uint32_t v);

/*
 * Offset of the first capability with this id at or after the one at `after` (0: from the
 * start of the list), or 0 if none. The walk stops at a loop or an offset outside 0x40-0xff.
 */
unsigned nk_pci_find_cap(const struct nk_pci_dev *pdev, uint8_t id, unsigned after);

/* Memory and I/O decoding and bus mastering on (the driver's DMA needs it). */
void nk_pci_enable(struct nk_pci_dev *pdev);

/*
 * Interrupts. nk_pci_irq_setup gives the function n vectors, each to irqs[i].fn(vector,
 * irqs[i].arg) on CPU irqs[i].cpu (NK_CPU_ANY: the core spreads them), trying in this order
 * what `types` allows: MSI-X with n table entries (0..n-1, unmasked), MSI with one vector
 * (n == 1), INTx through the IOAPIC (n == 1; the line may be shared: the handler must check its
 * device's cause register and return if it has none). Returns the NK_PCI_IRQ_* used, or
 * -ENOSPC (no vectors), -ENODEV (nothing in `types` is possible), -EINVAL (bad arguments, an
 * offline CPU, or interrupts already set up: release them first).
 * irqs must stay valid until nk_pci_irq_release. pdev->dev.irq is set for devs/pci.
 */
#define NK_PCI_IRQ_INTX 0x1
#define NK_PCI_IRQ_MSI	0x2
#define NK_PCI_IRQ_MSIX 0x4
struct nk_pci_irq {
	nk_irq_handler_t fn;
	void *arg;
	int cpu;
};
int nk_pci_irq_setup(struct nk_pci_dev *pdev, const struct nk_pci_irq *irqs, unsigned n,
		     unsigned types);
void nk_pci_irq_release(struct nk_pci_dev *pdev);
/* Mask or unmask one MSI-X table entry (the others: -EINVAL). */
int nk_pci_msix_mask(struct nk_pci_dev *pdev, unsigned entry, bool masked);

/* Functions found, in bus order. */
struct nk_pci_dev *nk_pci_first(void);
struct nk_pci_dev *nk_pci_next(const struct nk_pci_dev *pdev);
/* The n-th function (from 0) matching vendor/device (NK_PCI_ANY_ID: any), or NULL. */
struct nk_pci_dev *nk_pci_find(uint16_t vendor, uint16_t device, unsigned n);
/* "mass storage", "network", "bridge", ... ("unknown" otherwise). */
const char *nk_pci_class_name(uint8_t class);
/* ECAM in use (MCFG), or the legacy ports. */
bool nk_pci_uses_ecam(void);

#endif
