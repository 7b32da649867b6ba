/*
 * The device registry: one list of every struct nk_dev, in registration order, under one lock.
 * Lookups are rare (by name, at setup) and the list is short, so a list is enough.
 */
#include <nautilus/dev.h>
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/spinlock.h>
#include <nautilus/string.h>

static struct nk_dev *devices;
static struct nk_spinlock registry_lock = NK_SPINLOCK_INIT;

static struct nk_dev *find_locked(const char *name)
{
	for (struct nk_dev *d = devices; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

int nk_dev_register(struct nk_dev *dev)
{
	unsigned long flags;
	struct nk_dev **tail;

	if (!dev->name[0])
		return -EINVAL;
	flags = nk_spin_lock_irqsave(&registry_lock);
	if (find_locked(dev->name)) {
		nk_spin_unlock_irqrestore(&registry_lock, flags);
		return -EEXIST;
	}
	for (tail = &devices; *tail; tail = &(*tail)->next)
		;
	dev->next = NULL;
	*tail = dev;
	nk_spin_unlock_irqrestore(&registry_lock, flags);
	return 0;
}

void nk_dev_unregister(struct nk_dev *dev)
{
	unsigned long flags = nk_spin_lock_irqsave(&registry_lock);

	for (struct nk_dev **p = &devices; *p; p = &(*p)->next) {
		if (*p == dev) {
			*p = dev->next;
			break;
		}
	}
	nk_spin_unlock_irqrestore(&registry_lock, flags);
}

struct nk_dev *nk_dev_find(const char *name)
{
	unsigned long flags = nk_spin_lock_irqsave(&registry_lock);
	struct nk_dev *d = find_locked(name);

	nk_spin_unlock_irqrestore(&registry_lock, flags);
	return d;
}

struct nk_dev *nk_dev_find_class(const char *name, enum nk_dev_class cls)
{
	struct nk_dev *d = nk_dev_find(name);

	return d && d->cls == cls ? d : NULL;
}

int nk_dev_for_each(int cls, int (*fn)(struct nk_dev *dev, void *arg), void *arg)
{
	unsigned long flags = nk_spin_lock_irqsave(&registry_lock);
	int ret = 0;

	for (struct nk_dev *d = devices; d && !ret; d = d->next)
		if (cls < 0 || d->cls == (enum nk_dev_class)cls)
			ret = fn(d, arg);
	nk_spin_unlock_irqrestore(&registry_lock, flags);
	return ret;
}

void nk_dev_name_next(const char *prefix, char *name)
{
	for (unsigned i = 0;; i++) {
		nk_snprintf(name, NK_DEV_NAME_MAX, "%s%u", prefix, i);
		if (!nk_dev_find(name))
			return;
	}
}

static void dev_vlog(const struct nk_dev *dev, int lvl, const char *fmt, va_list ap)
{
	char msg[160];

	nk_vsnprintf(msg, sizeof(msg), fmt, ap);
	nk_printk(lvl, dev->driver ? dev->driver : "dev", "%s: %s", dev->name, msg);
}

void nk_dev_log(const struct nk_dev *dev, int lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dev_vlog(dev, lvl, fmt, ap);
	va_end(ap);
}

void nk_dev_fail(struct nk_dev *dev, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dev_vlog(dev, NK_LOG_ERR, fmt, ap);
	va_end(ap);
	dev->error = err;
	dev->state = NK_DEV_FAILED;
}

const char *nk_dev_class_name(enum nk_dev_class cls)
{
	static const char *const names[] = {
		[NK_DEV_CHAR] = "char",
		[NK_DEV_BLK] = "blk",
		[NK_DEV_NET] = "net",
		[NK_DEV_PCI] = "pci",
	};

	return (unsigned)cls < NK_ARRAY_SIZE(names) ? names[cls] : "?";
}

const char *nk_dev_state_name(enum nk_dev_state state)
{
	return state == NK_DEV_OK ? "ok" : "failed";
}
