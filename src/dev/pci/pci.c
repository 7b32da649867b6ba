/*
 * The PCI core: scan every bus behind each root (ECAM segment, or bus 0 through the ports),
 * recursing through PCI-to-PCI bridges; size and map each function's BARs; walk its
 * capabilities; register it as a device; then bind the drivers of the .nk_pci_drivers table,
 * one probe at a time, in the initcall's thread.
 */
#include <nautilus/arch.h>
#include <nautilus/errno.h>
#include <nautilus/init.h>
#include <nautilus/mm.h>
#include <nautilus/printk.h>

#include "pci_priv.h"

#define NR_BUSES  256
#define NR_SLOTS  32
#define NR_FUNCS  8
#define ABSENT_ID 0xffff /* a read of a function that is not there returns all ones */

extern const struct nk_pci_driver *const __nk_pci_drivers_start[], *const __nk_pci_drivers_end[];

static struct nk_pci_dev *functions;
static struct nk_pci_dev **functions_tail = &functions;

struct nk_pci_dev *nk_pci_first(void)
{
	return functions;
}

struct nk_pci_dev *nk_pci_next(const struct nk_pci_dev *pdev)
{
	return pdev ? pdev->next : NULL;
}

struct nk_pci_dev *nk_pci_find(uint16_t vendor, uint16_t device, unsigned n)
{
	for (struct nk_pci_dev *p = functions; p; p = p->next) {
		if (vendor != NK_PCI_ANY_ID && p->vendor != vendor)
			continue;
		if (device != NK_PCI_ANY_ID && p->device != device)
			continue;
		if (n-- == 0)
			return p;
	}
	return NULL;
}

static uint8_t cap_rd8(const void *ctx, unsigned off)
{
	return nk_pci_read8(ctx, off);
}

unsigned nk_pci_find_cap(const struct nk_pci_dev *pdev, uint8_t id, unsigned after)
{
	return pci_cap_walk(cap_rd8, pdev, id, after, NULL);
}

void nk_pci_enable(struct nk_pci_dev *pdev)
{
	uint16_t cmd = nk_pci_read16(pdev, NK_PCI_COMMAND);

	nk_pci_write16(pdev, NK_PCI_COMMAND,
		       cmd | NK_PCI_CMD_IO | NK_PCI_CMD_MEMORY | NK_PCI_CMD_MASTER);
}

/* --- BARs --- */

/* Write all ones to a BAR and read back which bits kept them; the BAR is restored. */
static uint32_t size_probe(struct nk_pci_dev *p, unsigned slot, uint32_t *orig)
{
	unsigned off = NK_PCI_BAR0 + 4 * slot;
	uint32_t sized;

	*orig = nk_pci_read32(p, off);
	nk_pci_write32(p, off, 0xffffffffu);
	sized = nk_pci_read32(p, off);
	nk_pci_write32(p, off, *orig);
	return sized;
}

/* Decode BAR slot (and its upper half); returns the slots it used. Decoding is off. */
static int size_bar(struct nk_pci_dev *p, unsigned slot, unsigned nr)
{
	uint32_t lo, hi = 0, sized_lo, sized_hi = 0;
	bool has_hi = slot + 1 < nr;
	int slots, ret;

	sized_lo = size_probe(p, slot, &lo);
	if (!(lo & PCI_BAR_IO) && (lo & PCI_BAR_MEM_TYPE) == PCI_BAR_MEM_64 && has_hi)
		sized_hi = size_probe(p, slot + 1, &hi);
	ret = pci_bar_decode(lo, sized_lo, hi, sized_hi, has_hi, &p->bar[slot], &slots);
	if (ret < 0)
		nk_dev_log(
			&p->dev, NK_LOG_ERR,
			"BAR %u: impossible value 0x%08x (all ones read back as 0x%08x): not used",
			slot, lo, sized_lo);
	return slots;
}

static void map_bar(struct nk_pci_dev *p, unsigned i)
{
	struct nk_pci_bar *b = &p->bar[i];

	if (!b->size || b->io)
		return;
	if (!b->base) {
		nk_dev_log(&p->dev, NK_LOG_WARN, "BAR %u (%llu bytes) has no address: not used", i,
			   (unsigned long long)b->size);
		return;
	}
	b->virt = nk_arch_mmio_map(b->base, b->size);
	if (!b->virt)
		nk_dev_log(
			&p->dev, NK_LOG_ERR,
			"BAR %u at 0x%llx (%llu bytes) cannot be mapped (RAM or beyond the physical address width): not used",
			i, (unsigned long long)b->base, (unsigned long long)b->size);
}

/* Header type 0 has six BARs, a bridge two, a CardBus bridge none we use. */
static void setup_bars(struct nk_pci_dev *p)
{
	unsigned nr = p->header_type == 0 ? 6 : p->header_type == 1 ? 2 : 0;
	uint16_t cmd = nk_pci_read16(p, NK_PCI_COMMAND);

	/* no decoding while a BAR holds all ones: it would claim addresses it does not own */
	nk_pci_write16(p, NK_PCI_COMMAND, cmd & ~(NK_PCI_CMD_IO | NK_PCI_CMD_MEMORY));
	for (unsigned i = 0; i < nr;)
		i += size_bar(p, i, nr);
	nk_pci_write16(p, NK_PCI_COMMAND, cmd);
	for (unsigned i = 0; i < nr; i++)
		map_bar(p, i);
}

/* --- functions --- */

static void read_caps(struct nk_pci_dev *p)
{
	int err;

	/* id 256 never matches a byte: the walk goes to the end and reports how it ended */
	pci_cap_walk(cap_rd8, p, 256, 0, &err);
	if (err)
		nk_dev_log(&p->dev, NK_LOG_ERR, "capability list %s: capabilities after it ignored",
			   err == -EINVAL ? "loops" : "points outside 0x40-0xff");
	p->msi_cap = nk_pci_find_cap(p, NK_PCI_CAP_MSI, 0);
	p->msix_cap = nk_pci_find_cap(p, NK_PCI_CAP_MSIX, 0);
	p->pcie_cap = nk_pci_find_cap(p, NK_PCI_CAP_PCIE, 0);
}

static void read_ids(struct nk_pci_dev *p)
{
	uint32_t class = nk_pci_read32(p, NK_PCI_REVISION);

	p->vendor = nk_pci_read16(p, NK_PCI_VENDOR_ID);
	p->device = nk_pci_read16(p, NK_PCI_DEVICE_ID);
	p->revision = class & 0xff;
	p->prog_if = (class >> 8) & 0xff;
	p->subclass = (class >> 16) & 0xff;
	p->class = class >> 24;
	p->header_type = nk_pci_read8(p, NK_PCI_HEADER_TYPE) & ~PCI_HEADER_MULTI;
	if (p->header_type == 0) {
		p->subsys_vendor = nk_pci_read16(p, NK_PCI_SUBSYS_VENDOR);
		p->subsys_device = nk_pci_read16(p, NK_PCI_SUBSYS_ID);
	}
	p->irq_pin = nk_pci_read8(p, NK_PCI_INTERRUPT_PIN);
	p->irq_line = p->irq_pin ? nk_pci_read8(p, NK_PCI_INTERRUPT_LINE) : 0xff;
	if (p->irq_pin > 4) {
		nk_dev_log(&p->dev, NK_LOG_ERR, "interrupt pin %u (not INTA-INTD): INTx not used",
			   p->irq_pin);
		p->irq_pin = 0;
		p->irq_line = 0xff;
	}
}

static struct nk_pci_dev *function_add(uint16_t seg, uint8_t bus, uint8_t slot, uint8_t func,
				       struct nk_pci_dev *bridge)
{
	struct nk_pci_dev *p = nk_malloc(sizeof(*p));

	if (!p) {
		nk_err("%04x:%02x:%02x.%x: no memory for the function: not used", seg, bus, slot,
		       func);
		return NULL;
	}
	*p = (struct nk_pci_dev){
		.segment = seg, .bus = bus, .slot = slot, .func = func, .bridge = bridge
	};
	nk_snprintf(p->dev.name, sizeof(p->dev.name), "pci%04x:%02x:%02x.%x", seg, bus, slot, func);
	p->dev.cls = NK_DEV_PCI;
	p->dev.parent = bridge ? &bridge->dev : NULL;
	pci_cfg_attach(p);
	read_ids(p);
	read_caps(p);
	setup_bars(p);
	if (p->header_type == 0) /* quiet until a driver sets interrupts up (PCI 3.0 6.2.2) */
		nk_pci_write16(p, NK_PCI_COMMAND,
			       nk_pci_read16(p, NK_PCI_COMMAND) | NK_PCI_CMD_INTX_DISABLE);
	if (nk_dev_register(&p->dev))
		nk_dev_log(&p->dev, NK_LOG_ERR, "name already registered: not in the device list");
	*functions_tail = p;
	functions_tail = &p->next;
	return p;
}

/* What answers at segment/bus/slot/func: the vendor id, ABSENT_ID if nothing. */
static uint16_t probe_vendor(uint16_t seg, uint8_t bus, uint8_t slot, uint8_t func)
{
	struct nk_pci_dev p = { .segment = seg, .bus = bus, .slot = slot, .func = func };

	pci_cfg_attach(&p);
	return nk_pci_read16(&p, NK_PCI_VENDOR_ID);
}

static void scan_bus(uint16_t seg, uint8_t bus, struct nk_pci_dev *bridge, uint8_t *seen);

/* Scan behind a PCI-to-PCI bridge, unless its secondary bus is unset or already scanned. */
static void scan_bridge(struct nk_pci_dev *p, uint8_t *seen)
{
	uint8_t sec = nk_pci_read8(p, PCI_SECONDARY_BUS);

	if (sec == 0 || sec <= p->bus) {
		nk_dev_log(
			&p->dev, NK_LOG_WARN,
			"bridge with secondary bus %u (not set up by the firmware): buses behind it not scanned",
			sec);
		return;
	}
	if (seen[sec / 8] & (1 << (sec % 8))) {
		nk_dev_log(&p->dev, NK_LOG_ERR, "bridge to bus %u, which was already scanned", sec);
		return;
	}
	scan_bus(p->segment, sec, p, seen);
}

static void scan_slot(uint16_t seg, uint8_t bus, uint8_t slot, struct nk_pci_dev *bridge,
		      uint8_t *seen)
{
	unsigned nr_funcs = 1;

	for (unsigned f = 0; f < nr_funcs; f++) {
		uint16_t vendor = probe_vendor(seg, bus, slot, f);
		struct nk_pci_dev *p;

		if (vendor == ABSENT_ID || vendor == 0)
			continue;
		p = function_add(seg, bus, slot, f, bridge);
		if (!p)
			continue;
		if (f == 0 && (nk_pci_read8(p, NK_PCI_HEADER_TYPE) & PCI_HEADER_MULTI))
			nr_funcs = NR_FUNCS;
		if (p->header_type == 1)
			scan_bridge(p, seen);
	}
}

static void scan_bus(uint16_t seg, uint8_t bus, struct nk_pci_dev *bridge, uint8_t *seen)
{
	seen[bus / 8] |= 1 << (bus % 8);
	for (unsigned slot = 0; slot < NR_SLOTS; slot++)
		scan_slot(seg, bus, slot, bridge, seen);
}

static void enumerate(void)
{
	uint16_t seg;
	uint8_t bus;
	unsigned n = 0;

	for (unsigned i = 0; pci_cfg_root(i, &seg, &bus); i++) {
		uint8_t seen[NR_BUSES / 8] = { 0 };

		scan_bus(seg, bus, NULL, seen);
	}
	for (struct nk_pci_dev *p = functions; p; p = p->next)
		n++;
	nk_info("%u functions found (%s)", n, nk_pci_uses_ecam() ? "ECAM" : "ports 0xcf8/0xcfc");
}

/* --- drivers --- */

/* Offer the function to each driver whose table matches, until one probe succeeds. */
static void bind(struct nk_pci_dev *p)
{
	uint32_t class24 = (uint32_t)p->class << 16 | (uint32_t)p->subclass << 8 | p->prog_if;

	for (const struct nk_pci_driver *const *d = __nk_pci_drivers_start;
	     d < __nk_pci_drivers_end; d++) {
		const struct nk_pci_id *id = pci_id_match((*d)->ids, p->vendor, p->device, class24);
		int err;

		if (!id || !(*d)->probe)
			continue;
		p->driver = *d;
		p->dev.driver = (*d)->name;
		err = (*d)->probe(p, id);
		if (!err) {
			nk_dev_log(&p->dev, NK_LOG_INFO, "bound");
			return;
		}
		nk_dev_log(&p->dev, NK_LOG_ERR, "probe failed (%s): not bound", nk_strerror(err));
		if (p->irq_type)
			nk_pci_irq_release(p);
		p->driver = NULL;
		p->dev.driver = NULL;
		p->drvdata = NULL;
	}
}

/* Found before the device initcalls, so that they may look functions up. */
static int pci_scan(void)
{
	int err = pci_cfg_init();

	if (err)
		return err;
	pci_irq_init();
	enumerate();
	return 0;
}
NK_INITCALL(NK_INIT_SUBSYS, pci_scan);

static int pci_bind(void)
{
	for (struct nk_pci_dev *p = functions; p; p = p->next)
		bind(p);
	return 0;
}
NK_INITCALL(NK_INIT_DEVICE, pci_bind);
