/*
 * Configuration space access: ECAM (PCI Express Base Specification 3.0, section 7.2.2) through
 * the windows the ACPI MCFG table lists, mapped uncached, with the legacy configuration
 * mechanism #1 (ports 0xCF8/0xCFC, PCI Local Bus Specification 3.0, section 3.2.2.3.2) for
 * segment 0 when there is no MCFG or a bus lies outside its windows.
 */
#include <arch/x64/cpu.h>
#include <nautilus/acpi.h>
#include <nautilus/arch.h>
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/spinlock.h>

#include "pci_priv.h"

#define CFG_ADDRESS	0xcf8
#define CFG_DATA	0xcfc
#define CFG_ENABLE	0x80000000u /* bit 31: configuration cycle */
#define CFG_BUS_SHIFT	16	    /* bits 23:16 bus, 15:11 device, 10:8 function, 7:2 register */
#define CFG_SLOT_SHIFT	11
#define CFG_FUNC_SHIFT	8
#define ECAM_BUS_SHIFT	20 /* ECAM: bus in bits 27:20, device 19:15, function 14:12 */
#define ECAM_SLOT_SHIFT 15
#define ECAM_FUNC_SHIFT 12
#define LEGACY_LIMIT	256 /* the ports reach the first 256 bytes only */
#define ECAM_LIMIT	4096

struct ecam_window {
	volatile uint8_t *base; /* of bus 0 of the segment (start_bus's window begins further up) */
	uint16_t segment;
	uint8_t start_bus, end_bus;
};

static struct ecam_window windows[NK_ACPI_MAX_MCFG];
static unsigned nr_windows;
static struct nk_spinlock legacy_lock = NK_SPINLOCK_INIT;

bool nk_pci_uses_ecam(void)
{
	return nr_windows > 0;
}

static int map_window(const struct nk_acpi_mcfg_alloc *a)
{
	uint64_t first = a->base + ((uint64_t)a->start_bus << ECAM_BUS_SHIFT);
	uint64_t len = (uint64_t)(a->end_bus - a->start_bus + 1) << ECAM_BUS_SHIFT;

	if (a->end_bus < a->start_bus || !nk_arch_mmio_map(first, len)) {
		nk_err("MCFG: ECAM window 0x%llx for segment %u buses %u-%u cannot be mapped: not used",
		       (unsigned long long)a->base, a->segment, a->start_bus, a->end_bus);
		return -EINVAL;
	}
	windows[nr_windows++] = (struct ecam_window){ (volatile uint8_t *)(uintptr_t)a->base,
						      a->segment, a->start_bus, a->end_bus };
	nk_info("ECAM for segment %u buses %u-%u at 0x%llx", a->segment, a->start_bus, a->end_bus,
		(unsigned long long)a->base);
	return 0;
}

int pci_cfg_init(void)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();

	for (size_t i = 0; a->has_mcfg && i < a->mcfg.nr; i++)
		map_window(&a->mcfg.allocs[i]);
	if (!nr_windows)
		nk_info("no ECAM (no usable MCFG): configuration through ports 0xcf8/0xcfc");
	return 0;
}

bool pci_cfg_root(unsigned i, uint16_t *segment, uint8_t *bus)
{
	if (!nr_windows) {
		*segment = 0;
		*bus = 0;
		return i == 0;
	}
	if (i >= nr_windows)
		return false;
	*segment = windows[i].segment;
	*bus = windows[i].start_bus;
	return true;
}

void pci_cfg_attach(struct nk_pci_dev *pdev)
{
	pdev->ecam = NULL;
	for (unsigned i = 0; i < nr_windows; i++) {
		const struct ecam_window *w = &windows[i];

		if (w->segment != pdev->segment || pdev->bus < w->start_bus ||
		    pdev->bus > w->end_bus)
			continue;
		pdev->ecam = w->base + ((uint64_t)pdev->bus << ECAM_BUS_SHIFT) +
			     ((uint64_t)pdev->slot << ECAM_SLOT_SHIFT) +
			     ((uint64_t)pdev->func << ECAM_FUNC_SHIFT);
		return;
	}
}

static uint32_t legacy_address(uint8_t bus, uint8_t slot, uint8_t func, unsigned off)
{
	return CFG_ENABLE | (uint32_t)bus << CFG_BUS_SHIFT | (uint32_t)slot << CFG_SLOT_SHIFT |
	       (uint32_t)func << CFG_FUNC_SHIFT | (off & 0xfc);
}

/* A read of width 1, 2 or 4 through the ports, the address and data cycle under one lock. */
static uint32_t legacy_read(const struct nk_pci_dev *p, unsigned off, unsigned width)
{
	unsigned long flags = nk_spin_lock_irqsave(&legacy_lock);
	uint16_t port = CFG_DATA + (off & 3);
	uint32_t v;

	outl(CFG_ADDRESS, legacy_address(p->bus, p->slot, p->func, off));
	v = width == 1 ? inb(port) : width == 2 ? inw(port) : inl(port);
	nk_spin_unlock_irqrestore(&legacy_lock, flags);
	return v;
}

static void legacy_write(const struct nk_pci_dev *p, unsigned off, unsigned width, uint32_t v)
{
	unsigned long flags = nk_spin_lock_irqsave(&legacy_lock);
	uint16_t port = CFG_DATA + (off & 3);

	outl(CFG_ADDRESS, legacy_address(p->bus, p->slot, p->func, off));
	if (width == 1)
		outb(port, (uint8_t)v);
	else if (width == 2)
		outw(port, (uint16_t)v);
	else
		outl(port, v);
	nk_spin_unlock_irqrestore(&legacy_lock, flags);
}

uint32_t pci_cfg_legacy_read32(uint8_t bus, uint8_t slot, uint8_t func, unsigned off)
{
	struct nk_pci_dev p = { .bus = bus, .slot = slot, .func = func };

	return legacy_read(&p, off, 4);
}

/*
 * An access the function can take: naturally aligned, inside its space (256 bytes through the
 * ports, and only on segment 0). Others read as all ones and are not written.
 */
static bool reachable(const struct nk_pci_dev *p, unsigned off, unsigned width)
{
	if (off & (width - 1))
		return false;
	if (p->ecam)
		return off + width <= ECAM_LIMIT;
	return p->segment == 0 && off + width <= LEGACY_LIMIT;
}

static uint32_t cfg_read(const struct nk_pci_dev *p, unsigned off, unsigned width)
{
	volatile uint8_t *a;

	if (!reachable(p, off, width))
		return 0xffffffffu >> (32 - 8 * width);
	if (!p->ecam)
		return legacy_read(p, off, width);
	a = p->ecam + off;
	if (width == 1)
		return *a;
	return width == 2 ? *(volatile uint16_t *)a : *(volatile uint32_t *)a;
}

static void cfg_write(const struct nk_pci_dev *p, unsigned off, unsigned width, uint32_t v)
{
	volatile uint8_t *a;

	if (!reachable(p, off, width))
		return;
	if (!p->ecam) {
		legacy_write(p, off, width, v);
		return;
	}
	a = p->ecam + off;
	if (width == 1)
		*a = (uint8_t)v;
	else if (width == 2)
		*(volatile uint16_t *)a = (uint16_t)v;
	else
		*(volatile uint32_t *)a = v;
}

uint8_t nk_pci_read8(const struct nk_pci_dev *pdev, unsigned off)
{
	return (uint8_t)cfg_read(pdev, off, 1);
}

uint16_t nk_pci_read16(const struct nk_pci_dev *pdev, unsigned off)
{
	return (uint16_t)cfg_read(pdev, off, 2);
}

uint32_t nk_pci_read32(const struct nk_pci_dev *pdev, unsigned off)
{
	return cfg_read(pdev, off, 4);
}

void nk_pci_write8(const struct nk_pci_dev *pdev, unsigned off, uint8_t v)
{
	cfg_write(pdev, off, 1, v);
}

void nk_pci_write16(const struct nk_pci_dev *pdev, unsigned off, uint16_t v)
{
	cfg_write(pdev, off, 2, v);
}

void nk_pci_write32(const struct nk_pci_dev *pdev, unsigned off, uint32_t v)
{
	cfg_write(pdev, off, 4, v);
}
