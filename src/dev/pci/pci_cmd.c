/*
 * The pci shell command: one line per function (address, ids, class, interrupts, driver);
 * -v or an address adds the BARs and the capabilities.
 */
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/shell.h>
#include <nautilus/string.h>

#include "pci_priv.h"

static void show_line(const struct nk_pci_dev *p)
{
	nk_printf("%02x:%02x.%x %04x:%04x %-14s %-20s %s%s\n", p->bus, p->slot, p->func, p->vendor,
		  p->device, nk_pci_class_name(p->class), p->dev.irq[0] ? p->dev.irq : "-",
		  p->driver ? p->driver->name : "-",
		  p->dev.state == NK_DEV_FAILED ? " (failed)" : "");
}

static void show_bars(const struct nk_pci_dev *p)
{
	for (unsigned i = 0; i < NK_ARRAY_SIZE(p->bar); i++) {
		const struct nk_pci_bar *b = &p->bar[i];

		if (!b->size)
			continue;
		nk_printf("    BAR %u: %s 0x%llx size 0x%llx%s%s%s\n", i, b->io ? "io " : "mem",
			  (unsigned long long)b->base, (unsigned long long)b->size,
			  b->mem64 ? " 64-bit" : "", b->prefetch ? " prefetchable" : "",
			  b->io || b->virt ? "" : " (not mapped)");
	}
}

static uint8_t cap_rd8(const void *ctx, unsigned off)
{
	return nk_pci_read8(ctx, off);
}

static void show_caps(const struct nk_pci_dev *p)
{
	unsigned off = 0;

	while ((off = pci_cap_walk(cap_rd8, p, -1, off, NULL))) {
		uint8_t id = nk_pci_read8(p, off);
		const char *name = pci_cap_name(id);

		nk_printf("    cap 0x%02x: %s (0x%02x)\n", off, name ? name : "?", id);
	}
}

static void show_verbose(const struct nk_pci_dev *p)
{
	show_line(p);
	nk_printf(
		"    %s, class %02x.%02x.%02x rev %u, subsystem %04x:%04x, header %u, INTx pin %u line %u\n",
		p->dev.name, p->class, p->subclass, p->prog_if, p->revision, p->subsys_vendor,
		p->subsys_device, p->header_type, p->irq_pin, p->irq_line);
	show_bars(p);
	show_caps(p);
}

/* "BB:DD.F" or "SSSS:BB:DD.F" (hex): the function, or NULL. */
static struct nk_pci_dev *parse_bdf(const char *s)
{
	unsigned v[4], n = 0, cur = 0, digits = 0;

	for (;; s++) {
		char c = *s;
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;

		if (d >= 0 && digits < 4) {
			cur = cur * 16 + d;
			digits++;
			continue;
		}
		if (!digits || n == 4 || (c != ':' && c != '.' && c != '\0'))
			return NULL;
		v[n++] = cur;
		cur = digits = 0;
		if (c == '\0')
			break;
	}
	if (n < 3)
		return NULL;
	for (struct nk_pci_dev *p = nk_pci_first(); p; p = nk_pci_next(p)) {
		unsigned seg = n == 4 ? v[0] : 0, *b = &v[n - 3];

		if (p->segment == seg && p->bus == b[0] && p->slot == b[1] && p->func == b[2])
			return p;
	}
	return NULL;
}

static int cmd_pci(int argc, char **argv)
{
	bool verbose = argc == 2 && !strcmp(argv[1], "-v");
	struct nk_pci_dev *one = NULL;

	if (argc > 2)
		return -EINVAL;
	if (argc == 2 && !verbose) {
		one = parse_bdf(argv[1]);
		if (!one) {
			nk_printf("pci: no function %s (give BB:DD.F or SSSS:BB:DD.F in hex)\n",
				  argv[1]);
			return -ENOENT;
		}
		show_verbose(one);
		return 0;
	}
	nk_printf("B:D.F   ids       class          irq                  driver (%s)\n",
		  nk_pci_uses_ecam() ? "ECAM" : "ports 0xcf8/0xcfc");
	for (struct nk_pci_dev *p = nk_pci_first(); p; p = nk_pci_next(p))
		verbose ? show_verbose(p) : show_line(p);
	return 0;
}
NK_SHELL_CMD(pci,
	     "[-v | [SSSS:]BB:DD.F]: list PCI functions; -v or one address: BARs and capabilities",
	     cmd_pci);
