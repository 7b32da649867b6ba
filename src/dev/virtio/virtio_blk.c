/*
 * virtio-blk (virtio 1.1 section 5.2): each disk is a block device "blkN" with one request
 * queue. A request becomes one or more device requests ("parts": header, data descriptors,
 * status byte) of at most part_bytes; requests that do not fit on the ring yet wait in a FIFO
 * that completions drain, so submitting never sleeps and any number may be in flight.
 * Completion is interrupt-driven.
 */
#include <nautilus/blkdev.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>
#include <nautilus/virtio.h>

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1 /* size_max: largest data descriptor */
#define VIRTIO_BLK_F_SEG_MAX  2 /* seg_max: most data descriptors per request */
#define VIRTIO_BLK_F_RO	      5 /* the disk is read-only */
#define VIRTIO_BLK_F_BLK_SIZE 6 /* blk_size: the disk's block size */
#define VIRTIO_BLK_F_FLUSH    9 /* the device has a cache to flush */

/* struct virtio_blk_config (5.2.4). */
#define BLK_CFG_CAPACITY 0  /* le64: size in 512-byte sectors */
#define BLK_CFG_SIZE_MAX 8  /* le32 */
#define BLK_CFG_SEG_MAX	 12 /* le32 */
#define BLK_CFG_BLK_SIZE 20 /* le32 */

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN	    0 /* read */
#define VIRTIO_BLK_T_OUT    1 /* write */
#define VIRTIO_BLK_T_FLUSH  4 /* flush the device's cache */
#define VIRTIO_BLK_S_OK	    0
#define VIRTIO_BLK_S_UNSUPP 2
#define STATUS_UNSET	    0xff /* not a status the device writes: it did not write one */

#define SECTOR_SIZE	 512	    /* requests address 512-byte sectors whatever the block size */
#define MAX_SEGS	 64	    /* data descriptors per part (the bufs array is on the stack) */
#define DEFAULT_SEG_SIZE (1U << 30) /* without size_max: one descriptor per contiguous GiB */
#define MAX_BLOCK_SIZE	 65536

#define FEATURES                                                            \
	((1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX) | \
	 (1ULL << VIRTIO_BLK_F_RO) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |      \
	 (1ULL << VIRTIO_BLK_F_FLUSH))

/* Header (device-readable) and status (device-writable) of one part. */
struct vblk_cmd {
	struct {
		uint32_t type;
		uint32_t ioprio;
		uint64_t sector;
	} hdr;
	uint8_t status;
	struct nk_blk_req *req; /* NULL while the command is free */
	struct vblk_cmd *next_free;
};

struct vblk {
	struct nk_blk_dev bdev; /* first */
	struct nk_virtio_dev *vdev;
	struct nk_virtq *vq; /* vq->lock guards the ring, the commands and the FIFO */
	struct vblk_cmd *cmds, *free_cmds;
	unsigned ncmds;
	struct nk_blk_req *pending, **pending_tail; /* not yet wholly on the ring */
	uint32_t seg_bytes;			    /* largest data descriptor */
	unsigned max_segs;			    /* data descriptors per part */
	uint64_t part_bytes;
};

static struct vblk *to_vblk(struct nk_blk_dev *bdev)
{
	return (struct vblk *)bdev;
}

/*
 * While the driver holds a request, req->priv counts its parts: issued in the low 32 bits,
 * completed in the high 32 bits. PARTS_FAILED marks one already collected for failure.
 */
#define PARTS_FAILED UINTPTR_MAX

static uint32_t parts_issued(const struct nk_blk_req *req)
{
	return (uint32_t)(uintptr_t)req->priv;
}

static uint32_t parts_done(const struct nk_blk_req *req)
{
	return (uint32_t)((uintptr_t)req->priv >> 32);
}

static void set_parts(struct nk_blk_req *req, uint32_t issued, uint32_t done)
{
	req->priv = (void *)((uintptr_t)done << 32 | issued);
}

static uint64_t req_bytes(const struct vblk *vb, const struct nk_blk_req *req)
{
	return req->op == NK_BLK_FLUSH ? 0 : (uint64_t)req->count * vb->bdev.block_size;
}

static uint32_t parts_total(const struct vblk *vb, const struct nk_blk_req *req)
{
	uint64_t bytes = req_bytes(vb, req);

	return bytes ? (uint32_t)((bytes + vb->part_bytes - 1) / vb->part_bytes) : 1;
}

/* Put the next part of req on the ring: 0, or -ENOSPC (no command or descriptors free). */
static int issue_part(struct vblk *vb, struct nk_blk_req *req)
{
	struct nk_virtq_buf bufs[MAX_SEGS + 2];
	uint32_t p = parts_issued(req);
	uint64_t off = (uint64_t)p * vb->part_bytes;
	uint64_t len = NK_MIN(vb->part_bytes, req_bytes(vb, req) - off);
	unsigned nseg = (unsigned)((len + vb->seg_bytes - 1) / vb->seg_bytes);
	bool write = req->op == NK_BLK_WRITE;
	struct vblk_cmd *cmd = vb->free_cmds;
	int err;

	if (!cmd || vb->vq->num_free < nseg + 2)
		return -ENOSPC;
	cmd->hdr.type = write			 ? VIRTIO_BLK_T_OUT
			: req->op == NK_BLK_READ ? VIRTIO_BLK_T_IN
						 : VIRTIO_BLK_T_FLUSH;
	cmd->hdr.ioprio = 0;
	cmd->hdr.sector = req->op == NK_BLK_FLUSH ? 0
						  : req->lba * (vb->bdev.block_size / SECTOR_SIZE) +
							    off / SECTOR_SIZE;
	cmd->status = STATUS_UNSET;
	bufs[0] = (struct nk_virtq_buf){ &cmd->hdr, sizeof(cmd->hdr) };
	for (unsigned i = 0; i < nseg; i++) {
		uint64_t at = (uint64_t)i * vb->seg_bytes;

		bufs[1 + i] = (struct nk_virtq_buf){ (char *)req->buf + off + at,
						     (uint32_t)NK_MIN(vb->seg_bytes, len - at) };
	}
	bufs[1 + nseg] = (struct nk_virtq_buf){ &cmd->status, 1 };
	err = nk_virtq_add(vb->vq, bufs, write ? 1 + nseg : 1, write ? 1 : nseg + 1, cmd);
	if (err)
		return err;
	vb->free_cmds = cmd->next_free;
	cmd->req = req;
	set_parts(req, p + 1, parts_done(req));
	return 0;
}

/* Move waiting requests onto the ring, in order, while there is room. Under vq->lock. */
static void fill_ring(struct vblk *vb)
{
	while (vb->pending) {
		struct nk_blk_req *req = vb->pending;

		if (issue_part(vb, req))
			return;
		if (parts_issued(req) == parts_total(vb, req)) {
			vb->pending = req->next;
			if (!vb->pending)
				vb->pending_tail = &vb->pending;
		}
	}
}

static int vblk_submit(struct nk_blk_dev *bdev, struct nk_blk_req *req)
{
	struct vblk *vb = to_vblk(bdev);
	unsigned long flags;

	/* Without a volatile cache every completed write is already stable (5.2.6.2). */
	if (req->op == NK_BLK_FLUSH && !nk_virtio_has(vb->vdev, VIRTIO_BLK_F_FLUSH)) {
		nk_blk_complete(bdev, req, 0);
		return 0;
	}
	req->next = NULL;
	set_parts(req, 0, 0);
	flags = nk_spin_lock_irqsave(&vb->vq->lock);
	if (vb->vq->broken) {
		nk_spin_unlock_irqrestore(&vb->vq->lock, flags);
		return -EIO;
	}
	*vb->pending_tail = req;
	vb->pending_tail = &req->next;
	fill_ring(vb);
	nk_virtq_kick(vb->vq);
	nk_spin_unlock_irqrestore(&vb->vq->lock, flags);
	return 0;
}

static int status_error(uint8_t status)
{
	if (status == VIRTIO_BLK_S_OK)
		return 0;
	return status == VIRTIO_BLK_S_UNSUPP ? -ENOTSUP : -EIO;
}

/* One part came back: its request if that was the last part, else NULL. Under vq->lock. */
static struct nk_blk_req *finish_cmd(struct vblk *vb, struct vblk_cmd *cmd)
{
	struct nk_blk_req *req = cmd->req;
	int err = status_error(cmd->status);
	uint32_t done = parts_done(req) + 1;

	if (err && !req->status)
		req->status = err; /* the first error is the request's */
	cmd->req = NULL;
	cmd->next_free = vb->free_cmds;
	vb->free_cmds = cmd;
	set_parts(req, parts_issued(req), done);
	return done == parts_total(vb, req) ? req : NULL;
}

static void add_failed(struct nk_blk_req **list, struct nk_blk_req *req)
{
	if (req->priv == (void *)PARTS_FAILED)
		return;
	req->priv = (void *)PARTS_FAILED;
	req->next = *list;
	*list = req;
}

/* Take every request the driver holds, waiting or on the ring, off it (each once). */
static struct nk_blk_req *take_all(struct vblk *vb)
{
	struct nk_blk_req *taken = NULL, *req, *next;
	unsigned long flags = nk_spin_lock_irqsave(&vb->vq->lock);

	for (req = vb->pending; req; req = next) {
		next = req->next;
		add_failed(&taken, req);
	}
	vb->pending = NULL;
	vb->pending_tail = &vb->pending;
	for (unsigned i = 0; i < vb->ncmds; i++) {
		if (vb->cmds[i].req)
			add_failed(&taken, vb->cmds[i].req);
		vb->cmds[i].req = NULL;
	}
	vb->vq->broken = true; /* later submissions fail */
	nk_spin_unlock_irqrestore(&vb->vq->lock, flags);
	return taken;
}

static void complete_all(struct vblk *vb, struct nk_blk_req *list, int err)
{
	for (struct nk_blk_req *next; list; list = next) {
		next = list->next;
		nk_blk_complete(&vb->bdev, list, err);
	}
}

/*
 * The device broke the queue (the message naming it is out): it is reset, so it writes into
 * none of the buffers any more, then the disk fails and every request it held completes once
 * with -EIO.
 */
static void fail_all(struct vblk *vb)
{
	struct nk_blk_req *taken = take_all(vb);

	nk_virtio_stop(vb->vdev);
	nk_dev_fail(&vb->bdev.dev, -EIO, "the device broke its request queue; disk reset and disabled");
	complete_all(vb, taken, -EIO);
}

/* Interrupt: complete what the device used (outside the lock: done may submit again). */
static void vblk_irq(struct nk_virtq *vq)
{
	struct vblk *vb = vq->priv;

	while (vb) {
		unsigned long flags = nk_spin_lock_irqsave(&vq->lock);
		struct nk_blk_req *req = NULL;
		void *cookie;
		int got = nk_virtq_get(vq, &cookie, NULL);

		if (got > 0) {
			req = finish_cmd(vb, cookie);
		} else if (got == 0) {
			fill_ring(vb);
			nk_virtq_kick(vq);
		}
		nk_spin_unlock_irqrestore(&vq->lock, flags);
		if (got < 0 && vb->bdev.dev.state == NK_DEV_OK)
			fail_all(vb);
		if (got <= 0)
			return;
		if (req)
			nk_blk_complete(&vb->bdev, req, req->status);
	}
}

static const struct nk_blk_dev_ops vblk_ops = {
	.submit = vblk_submit,
};

static uint64_t read_capacity(struct vblk *vb)
{
	return nk_virtio_cfg_read64(vb->vdev, BLK_CFG_CAPACITY) /
	       (vb->bdev.block_size / SECTOR_SIZE);
}

static void vblk_config_changed(struct nk_virtio_dev *vdev)
{
	struct vblk *vb = vdev->priv;
	uint64_t cap;

	if (!vb)
		return;
	cap = read_capacity(vb);
	if (cap != vb->bdev.capacity) {
		nk_dev_log(&vb->bdev.dev, NK_LOG_INFO, "capacity now %llu blocks",
			   (unsigned long long)cap);
		vb->bdev.capacity = cap;
	}
}

/* Block size, capacity and request limits from the negotiated configuration. */
static int read_config(struct vblk *vb)
{
	struct nk_virtio_dev *vdev = vb->vdev;
	uint32_t bs = SECTOR_SIZE, v;
	unsigned segs = MAX_SEGS;

	if (nk_virtio_has(vdev, VIRTIO_BLK_F_BLK_SIZE)) {
		v = nk_virtio_cfg_read32(vdev, BLK_CFG_BLK_SIZE);
		if (v >= SECTOR_SIZE && v <= MAX_BLOCK_SIZE && !(v & (v - 1)))
			bs = v;
		else
			nk_dev_log(&vdev->pdev->dev, NK_LOG_WARN,
				   "virtio-blk: block size %u impossible, using 512", v);
	}
	vb->bdev.block_size = bs;
	vb->bdev.capacity = read_capacity(vb);
	vb->bdev.read_only = nk_virtio_has(vdev, VIRTIO_BLK_F_RO);
	vb->seg_bytes = DEFAULT_SEG_SIZE;
	if (nk_virtio_has(vdev, VIRTIO_BLK_F_SIZE_MAX) &&
	    (v = nk_virtio_cfg_read32(vdev, BLK_CFG_SIZE_MAX)) && v < vb->seg_bytes)
		vb->seg_bytes = v;
	if (nk_virtio_has(vdev, VIRTIO_BLK_F_SEG_MAX) &&
	    (v = nk_virtio_cfg_read32(vdev, BLK_CFG_SEG_MAX)) && v < segs)
		segs = v;
	vb->max_segs = segs;
	vb->part_bytes = NK_ALIGN_DOWN((uint64_t)segs * vb->seg_bytes, (uint64_t)bs);
	if (!vb->part_bytes) {
		nk_dev_fail(&vdev->pdev->dev, -EIO,
			    "virtio-blk: size_max %u below the block size %u", vb->seg_bytes, bs);
		return -EIO;
	}
	return 0;
}

/* Commands: one per descriptor is more than the ring can hold at 3 descriptors a part. */
static int alloc_cmds(struct vblk *vb)
{
	if (vb->vq->size < 3) {
		nk_dev_fail(&vb->vdev->pdev->dev, -EIO,
			    "virtio-blk: a queue of %u descriptors cannot hold a request",
			    vb->vq->size);
		return -EIO;
	}
	if (vb->max_segs > vb->vq->size - 2u) {
		vb->max_segs = vb->vq->size - 2u;
		vb->part_bytes = NK_ALIGN_DOWN((uint64_t)vb->max_segs * vb->seg_bytes,
					       (uint64_t)vb->bdev.block_size);
	}
	vb->ncmds = vb->vq->size;
	vb->cmds = nk_calloc(vb->ncmds, sizeof(*vb->cmds));
	if (!vb->cmds)
		return -ENOMEM;
	for (unsigned i = 0; i < vb->ncmds; i++)
		vb->cmds[i].next_free = i + 1 < vb->ncmds ? &vb->cmds[i + 1] : NULL;
	vb->free_cmds = vb->cmds;
	return 0;
}

static void describe(struct vblk *vb)
{
	struct nk_blk_dev *b = &vb->bdev;

	nk_dev_log(&b->dev, NK_LOG_INFO,
		   "%llu MiB (%llu blocks of %u bytes), %s, %s, queue %u, parts up to %llu KiB",
		   (unsigned long long)(b->capacity * b->block_size >> 20),
		   (unsigned long long)b->capacity, b->block_size,
		   b->read_only ? "read-only" : "read-write", vb->vdev->pdev->dev.name,
		   vb->vq->size, (unsigned long long)(vb->part_bytes >> 10));
}

static int vblk_probe(struct nk_virtio_dev *vdev)
{
	struct vblk *vb = nk_calloc(1, sizeof(*vb));
	nk_virtq_callback_t callbacks[1] = { vblk_irq };
	char qname[NK_DEV_NAME_MAX + 16];
	const char *names[1] = { qname };
	int err;

	if (!vb)
		return -ENOMEM;
	vb->vdev = vdev;
	vb->pending_tail = &vb->pending;
	nk_dev_name_next("blk", vb->bdev.dev.name);
	nk_snprintf(qname, sizeof(qname), "%s.requestq", vb->bdev.dev.name);
	err = nk_virtio_negotiate(vdev, FEATURES);
	if (!err)
		err = read_config(vb);
	if (!err)
		err = nk_virtio_setup_queues(vdev, 1, callbacks, names);
	if (err)
		goto err_free;
	vb->vq = &vdev->vqs[0];
	err = alloc_cmds(vb);
	if (err)
		goto err_reset;
	vb->vq->priv = vb;
	vdev->priv = vb;
	vdev->config_changed = vblk_config_changed;
	nk_virtio_driver_ok(vdev);
	vb->bdev.dev.driver = "virtio-blk";
	vb->bdev.dev.parent = &vdev->pdev->dev;
	nk_strlcpy(vb->bdev.dev.irq, vdev->pdev->dev.irq, sizeof(vb->bdev.dev.irq));
	err = nk_blk_dev_register(&vb->bdev, &vblk_ops);
	if (err)
		goto err_reset;
	describe(vb);
	return 0;

err_reset:
	vdev->priv = NULL;
	vdev->config_changed = NULL;
	nk_virtio_reset(vdev);
	nk_free(vb->cmds);
err_free:
	nk_free(vb);
	return err;
}

/*
 * The disk goes away: unregistered, the device reset, requests it still held completed with
 * -ENODEV. The caller makes sure nobody submits meanwhile.
 */
static void vblk_remove(struct nk_virtio_dev *vdev)
{
	struct vblk *vb = vdev->priv;
	struct nk_blk_req *taken;

	if (!vb)
		return;
	nk_dev_unregister(&vb->bdev.dev);
	vdev->config_changed = NULL;
	taken = take_all(vb);
	vb->vq->priv = NULL;
	nk_virtio_reset(vdev);
	vdev->priv = NULL;
	complete_all(vb, taken, -ENODEV);
	nk_free(vb->cmds);
	nk_free(vb);
}

static const struct nk_virtio_driver virtio_blk_driver = {
	.name = "virtio-blk",
	.device_id = NK_VIRTIO_ID_BLK,
	.probe = vblk_probe,
	.remove = vblk_remove,
};
NK_VIRTIO_DRIVER(virtio_blk_driver);
