/*
 * Character devices (serial ports): byte streams with blocking and non-blocking reads and
 * writes. The driver keeps RX and TX rings filled and drained by its interrupt handler.
 */
#ifndef NK_NAUTILUS_CHARDEV_H
#define NK_NAUTILUS_CHARDEV_H

#include <nautilus/dev.h>

/* flags for nk_char_read/nk_char_write */
#define NK_CHAR_NONBLOCK 0x1

struct nk_char_dev;

struct nk_char_dev_ops {
	/* Same contract as nk_char_read/nk_char_write, device state already checked. */
	long (*read)(struct nk_char_dev *cdev, void *buf, size_t len, int flags);
	long (*write)(struct nk_char_dev *cdev, const void *buf, size_t len, int flags);
};

struct nk_char_dev {
	struct nk_dev dev; /* first: cls NK_DEV_CHAR, ops = struct nk_char_dev_ops */
	uint64_t rx_bytes, tx_bytes, rx_overruns;
};

/*
 * Read up to len bytes: blocks (thread context) until at least one byte has arrived and returns
 * how many were copied; with NK_CHAR_NONBLOCK returns -EAGAIN when none is waiting.
 * Write: blocks until all len bytes are queued and returns len; with NK_CHAR_NONBLOCK queues
 * what fits and returns that count, -EAGAIN if nothing fits. Both: the device's error if it
 * failed, -EINVAL for a NULL buffer with len > 0.
 */
long nk_char_read(struct nk_char_dev *cdev, void *buf, size_t len, int flags);
long nk_char_write(struct nk_char_dev *cdev, const void *buf, size_t len, int flags);

/* Register cdev (its dev.name set by the driver): as nk_dev_register. */
int nk_char_dev_register(struct nk_char_dev *cdev, const struct nk_char_dev_ops *ops);
/* The registered char device with this name, or NULL. */
struct nk_char_dev *nk_char_dev_find(const char *name);

#endif
