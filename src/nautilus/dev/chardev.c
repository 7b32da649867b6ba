/*
 * Character devices: the checks every read and write share (arguments, device state) in front
 * of the driver's operations, and registration as class NK_DEV_CHAR in the device registry.
 */
#include <nautilus/chardev.h>
#include <nautilus/errno.h>

/* 0 if a transfer of len bytes at buf with flags may go to the driver, else its -errno. */
static int check(const struct nk_char_dev *cdev, const void *buf, size_t len, int flags)
{
	if (!cdev || (!buf && len) || (flags & ~NK_CHAR_NONBLOCK))
		return -EINVAL;
	if (cdev->dev.state != NK_DEV_OK)
		return cdev->dev.error ? cdev->dev.error : -EIO;
	return 0;
}

long nk_char_read(struct nk_char_dev *cdev, void *buf, size_t len, int flags)
{
	const struct nk_char_dev_ops *ops;
	int err = check(cdev, buf, len, flags);

	if (err)
		return err;
	if (!len)
		return 0;
	ops = cdev->dev.ops;
	return ops->read(cdev, buf, len, flags);
}

long nk_char_write(struct nk_char_dev *cdev, const void *buf, size_t len, int flags)
{
	const struct nk_char_dev_ops *ops;
	int err = check(cdev, buf, len, flags);

	if (err)
		return err;
	if (!len)
		return 0;
	ops = cdev->dev.ops;
	return ops->write(cdev, buf, len, flags);
}

int nk_char_dev_register(struct nk_char_dev *cdev, const struct nk_char_dev_ops *ops)
{
	if (!ops || !ops->read || !ops->write)
		return -EINVAL;
	cdev->dev.cls = NK_DEV_CHAR;
	cdev->dev.ops = ops;
	return nk_dev_register(&cdev->dev);
}

struct nk_char_dev *nk_char_dev_find(const char *name)
{
	struct nk_dev *d = nk_dev_find_class(name, NK_DEV_CHAR);

	return d ? NK_CONTAINER_OF(d, struct nk_char_dev, dev) : NULL;
}
