/*
 * Block devices, the generic half: requests are checked here (range, read-only, arguments)
 * before a driver sees them, completions are counted here, and the blocking calls wait on a
 * semaphore that the done callback raises.
 */
#include <nautilus/blkdev.h>
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/semaphore.h>

static const struct nk_blk_dev_ops *ops_of(struct nk_blk_dev *bdev)
{
	return bdev->dev.ops;
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

int nk_blk_dev_register(struct nk_blk_dev *bdev, const struct nk_blk_dev_ops *ops)
{
	if (!ops || !ops->submit || !is_pow2(bdev->block_size) || bdev->block_size < 512)
		return -EINVAL;
	bdev->dev.cls = NK_DEV_BLK;
	bdev->dev.ops = ops;
	return nk_dev_register(&bdev->dev);
}

struct nk_blk_dev *nk_blk_dev_find(const char *name)
{
	struct nk_dev *d = nk_dev_find_class(name, NK_DEV_BLK);

	return d ? NK_CONTAINER_OF(d, struct nk_blk_dev, dev) : NULL;
}

/* A read or write of count blocks at lba must lie inside the device. */
static int check_range(struct nk_blk_dev *bdev, const struct nk_blk_req *req)
{
	if (!req->count || !req->buf)
		return -EINVAL;
	if (req->lba >= bdev->capacity || req->count > bdev->capacity - req->lba) {
		nk_dev_log(&bdev->dev, NK_LOG_WARN,
			   "request for blocks %llu..%llu past the end (capacity %llu blocks)",
			   (unsigned long long)req->lba,
			   (unsigned long long)req->lba + req->count - 1,
			   (unsigned long long)bdev->capacity);
		return -ERANGE;
	}
	return 0;
}

int nk_blk_submit(struct nk_blk_dev *bdev, struct nk_blk_req *req)
{
	int err;

	if (!bdev || !req || !req->done)
		return -EINVAL;
	if (bdev->dev.state == NK_DEV_FAILED)
		return bdev->dev.error ? bdev->dev.error : -EIO;
	switch (req->op) {
	case NK_BLK_READ:
		err = check_range(bdev, req);
		break;
	case NK_BLK_WRITE:
		err = bdev->read_only ? -EPERM : check_range(bdev, req);
		break;
	case NK_BLK_FLUSH:
		err = 0;
		break;
	default:
		err = -EINVAL;
	}
	if (err)
		return err;
	req->status = 0;
	return ops_of(bdev)->submit(bdev, req);
}

/* Completions may run on several CPUs at once: the counters are atomic. */
static void count(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

void nk_blk_complete(struct nk_blk_dev *bdev, struct nk_blk_req *req, int status)
{
	uint64_t bytes = (uint64_t)req->count * bdev->block_size;

	if (status) {
		count(&bdev->stats.errors, 1);
	} else if (req->op == NK_BLK_READ) {
		count(&bdev->stats.reads, 1);
		count(&bdev->stats.read_bytes, bytes);
	} else if (req->op == NK_BLK_WRITE) {
		count(&bdev->stats.writes, 1);
		count(&bdev->stats.write_bytes, bytes);
	} else {
		count(&bdev->stats.flushes, 1);
	}
	req->status = status;
	req->done(req, status);
}

/* --- blocking wrappers --- */

static void wake_waiter(struct nk_blk_req *req, int status __nk_unused)
{
	nk_sem_up(req->arg);
}

static int submit_wait(struct nk_blk_dev *bdev, enum nk_blk_op op, uint64_t lba, uint32_t count,
		       void *buf)
{
	struct nk_sem done;
	struct nk_blk_req req = {
		.op = op,
		.lba = lba,
		.count = count,
		.buf = buf,
		.done = wake_waiter,
		.arg = &done,
	};
	int err;

	nk_sem_init(&done, 0);
	err = nk_blk_submit(bdev, &req);
	if (err)
		return err;
	nk_sem_down(&done);
	return req.status;
}

int nk_blk_read(struct nk_blk_dev *bdev, uint64_t lba, uint32_t count, void *buf)
{
	return submit_wait(bdev, NK_BLK_READ, lba, count, buf);
}

int nk_blk_write(struct nk_blk_dev *bdev, uint64_t lba, uint32_t count, const void *buf)
{
	return submit_wait(bdev, NK_BLK_WRITE, lba, count, (void *)buf);
}

int nk_blk_flush(struct nk_blk_dev *bdev)
{
	return submit_wait(bdev, NK_BLK_FLUSH, 0, 0, NULL);
}
