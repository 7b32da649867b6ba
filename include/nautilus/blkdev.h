/*
 * Block devices (virtio-blk disks): fixed-size blocks addressed by LBA. Requests are
 * asynchronous: nk_blk_submit queues one and its done callback runs when the device has
 * finished it, so a caller may keep many in flight. nk_blk_read/write/flush wrap one request
 * and sleep until it completes.
 */
#ifndef NK_NAUTILUS_BLKDEV_H
#define NK_NAUTILUS_BLKDEV_H

#include <nautilus/dev.h>

enum nk_blk_op {
	NK_BLK_READ,
	NK_BLK_WRITE,
	NK_BLK_FLUSH, /* everything completed before is on stable storage; lba, count, buf unused */
};

struct nk_blk_dev;
struct nk_blk_req;

/*
 * Runs once per submitted request, in interrupt context (or in the submitter's context if the
 * request fails before reaching the device): must not sleep. status: 0 or -errno (-EIO: the
 * device reported an error).
 */
typedef void (*nk_blk_done_fn)(struct nk_blk_req *req, int status);

struct nk_blk_req {
	enum nk_blk_op op;
	uint64_t lba;
	uint32_t count; /* blocks */
	void *buf;	/* count * block_size bytes, physically contiguous (any kernel memory is) */
	nk_blk_done_fn done;
	void *arg;   /* the caller's */
	int status;  /* set before done runs */
	void *priv;  /* the driver's while the request is in flight */
	struct nk_blk_req *next; /* the driver's while the request is in flight */
};

struct nk_blk_dev_ops {
	/*
	 * Queue a request already checked by nk_blk_submit (in range, writable, buffer given).
	 * 0: done will run; -errno: it will not (e.g. -EAGAIN only if the driver cannot wait).
	 * May sleep for room in the device's queue when called from a thread.
	 */
	int (*submit)(struct nk_blk_dev *bdev, struct nk_blk_req *req);
};

struct nk_blk_stats {
	uint64_t reads, writes, flushes;
	uint64_t read_bytes, write_bytes;
	uint64_t errors; /* requests that completed with an error */
};

struct nk_blk_dev {
	struct nk_dev dev; /* first: cls NK_DEV_BLK, ops = struct nk_blk_dev_ops */
	uint32_t block_size; /* bytes, a power of two >= 512 */
	uint64_t capacity;   /* blocks */
	bool read_only;
	struct nk_blk_stats stats; /* counted by the generic layer at completion */
};

/*
 * Queue req on bdev. Returns 0 (req->done will run exactly once) or -errno without calling
 * done: -EINVAL (count 0 for a read/write, NULL buf or done), -ERANGE (past capacity: the
 * message names the device), -EPERM (write to a read-only device), or the device's error.
 */
int nk_blk_submit(struct nk_blk_dev *bdev, struct nk_blk_req *req);
/* One request, waiting for it (thread context): 0 or -errno as nk_blk_submit and done. */
int nk_blk_read(struct nk_blk_dev *bdev, uint64_t lba, uint32_t count, void *buf);
int nk_blk_write(struct nk_blk_dev *bdev, uint64_t lba, uint32_t count, const void *buf);
int nk_blk_flush(struct nk_blk_dev *bdev);

/*
 * Drivers: register bdev (dev.name, block_size, capacity, read_only set) and call
 * nk_blk_complete for each finished request (it counts, sets status, calls done).
 */
int nk_blk_dev_register(struct nk_blk_dev *bdev, const struct nk_blk_dev_ops *ops);
void nk_blk_complete(struct nk_blk_dev *bdev, struct nk_blk_req *req, int status);
/* The registered block device with this name, or NULL. */
struct nk_blk_dev *nk_blk_dev_find(const char *name);

#endif
