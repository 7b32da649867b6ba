/*
 * Devices: every device the kernel drives has a struct nk_dev, embedded first in its class
 * structure (struct nk_char_dev, nk_blk_dev, nk_net_dev; struct nk_pci_dev for the functions
 * the PCI core finds). One registry holds them all: lookup by name ("serial0", "blk0", "eth0",
 * "pci0000:00:03.0"), iteration in registration order. The "devs" shell command lists it.
 * Devices are never freed while registered; unregistering is for a driver whose probe failed
 * half-way or for a test.
 */
#ifndef NK_NAUTILUS_DEV_H
#define NK_NAUTILUS_DEV_H

#include <nautilus/compiler.h>
#include <nautilus/types.h>

#define NK_DEV_NAME_MAX 24
#define NK_DEV_IRQ_MAX	40

enum nk_dev_class {
	NK_DEV_CHAR,
	NK_DEV_BLK,
	NK_DEV_NET,
	NK_DEV_PCI,
};

enum nk_dev_state {
	NK_DEV_OK,
	NK_DEV_FAILED, /* the device reported something impossible; error says what kind */
};

struct nk_dev {
	char name[NK_DEV_NAME_MAX];
	enum nk_dev_class cls;
	enum nk_dev_state state;
	int error;	       /* -errno that failed the device, 0 while it is ok */
	const void *ops;       /* the class's operations (struct nk_blk_dev_ops, ...) */
	const char *driver;    /* "virtio-blk", "e1000", "ns16550"; NULL: none bound */
	struct nk_dev *parent; /* the PCI function behind a blk/net device; NULL: none */
	char irq[NK_DEV_IRQ_MAX]; /* how it interrupts, for devs/pci: "msix 0x31-0x33", "ioapic 11" */
	struct nk_dev *next;	  /* registry list */
};

/* Add to the registry: 0, -EEXIST (the name is taken) or -EINVAL (empty name). */
int nk_dev_register(struct nk_dev *dev);
void nk_dev_unregister(struct nk_dev *dev);
/* The registered device with this name, or NULL. */
struct nk_dev *nk_dev_find(const char *name);
/* Like nk_dev_find, but only a device of class cls. */
struct nk_dev *nk_dev_find_class(const char *name, enum nk_dev_class cls);
/*
 * Call fn on each registered device (of class cls, or of all classes with cls < 0) in
 * registration order, until fn returns non-zero; returns that value, or 0.
 * fn runs with the registry locked: it must not register or unregister.
 */
int nk_dev_for_each(int cls, int (*fn)(struct nk_dev *dev, void *arg), void *arg);
/*
 * Write prefix followed by the lowest index not yet registered under that prefix ("blk" ->
 * "blk0", then "blk1") into name (NK_DEV_NAME_MAX bytes). Reserve-then-register is racy, so
 * drivers call it from their probe, which the PCI core runs one at a time.
 */
void nk_dev_name_next(const char *prefix, char *name);

/*
 * The device reported an impossible value: print "<name>: <message>" at error level, mark it
 * failed with err (a -errno). Later operations on a failed device return err.
 */
void nk_dev_fail(struct nk_dev *dev, int err, const char *fmt, ...) __nk_printf(3, 4);
/* Log "<name>: <message>" at level lvl (NK_LOG_ERR, ... of printk.h). */
void nk_dev_log(const struct nk_dev *dev, int lvl, const char *fmt, ...) __nk_printf(3, 4);

const char *nk_dev_class_name(enum nk_dev_class cls);
const char *nk_dev_state_name(enum nk_dev_state state);

#endif
