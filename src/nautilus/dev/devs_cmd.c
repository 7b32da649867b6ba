/* The "devs" shell command: every registered device, its class, driver, state and interrupt. */
#include <nautilus/dev.h>
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/shell.h>
#include <nautilus/string.h>

static int print_dev(struct nk_dev *d, void *arg __nk_unused)
{
	nk_printf("%-16s %-5s %-12s %-6s%s%-8s %-20s %s\n", d->name, nk_dev_class_name(d->cls),
		  d->driver ? d->driver : "-", nk_dev_state_name(d->state),
		  d->error ? " " : "", d->error ? nk_strerror(d->error) : "",
		  d->irq[0] ? d->irq : "-", d->parent ? d->parent->name : "");
	return 0;
}

static int class_of(const char *name)
{
	for (int c = NK_DEV_CHAR; c <= NK_DEV_PCI; c++)
		if (!strcmp(name, nk_dev_class_name(c)))
			return c;
	return -1;
}

static int cmd_devs(int argc, char **argv)
{
	int cls = -1;

	if (argc > 2)
		return -EINVAL;
	if (argc == 2 && (cls = class_of(argv[1])) < 0) {
		nk_printf("devs: no device class '%s' (char, blk, net, pci)\n", argv[1]);
		return -EINVAL;
	}
	nk_printf("%-16s %-5s %-12s %-14s %-20s %s\n", "NAME", "CLASS", "DRIVER", "STATE", "IRQ",
		  "PARENT");
	nk_dev_for_each(cls, print_dev, NULL);
	return 0;
}

NK_SHELL_CMD(devs, "[char|blk|net|pci]: list devices with their driver, state and interrupt",
	     cmd_devs);
