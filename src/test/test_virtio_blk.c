/*
 * KTAP suite `virtio_blk`: the virtio-blk driver and the transport's queue set-up against a
 * fake device in RAM (its registers are functions, its disk an array, and the test thread
 * plays its interrupt): requests split into parts within the device's size_max and seg_max,
 * more parts than the ring holds waiting their turn, each request completed once with the right
 * data; a device that writes an impossible used ring fails the disk, completes every request it
 * held once with -EIO, and the kernel goes on; removal frees everything.
 */
#include <nautilus/arch.h>
#include <nautilus/blkdev.h>
#include <nautilus/errno.h>
#include <nautilus/string.h>
#include <nautilus/test.h>

#include "../dev/virtio/virtio_pci.h"

#define QSIZE	     16	  /* descriptors: 4 parts of header + 2 data + status at a time */
#define SECTORS	     256  /* a 128 KiB disk */
#define DEV_SIZE_MAX 4096 /* largest data descriptor the device takes */
#define DEV_SEG_MAX  2	  /* data descriptors per request */
#define F_VERSION_1  (1ULL << NK_VIRTIO_F_VERSION_1)
#define F_SIZE_MAX   (1ULL << 1)
#define F_SEG_MAX    (1ULL << 2)
#define F_FLUSH	     (1ULL << 9)
#define T_IN	     0
#define T_OUT	     1
#define T_FLUSH	     4
#define CFG_CAPACITY 0
#define CFG_SIZE_MAX 8
#define CFG_SEG_MAX  12

enum fault { NONE, USED_IDX_JUMP, USED_ID_OUT_OF_RANGE };

static struct {
	struct nk_pci_dev pdev;
	struct vp_dev vp;
	uint8_t status;
	uint64_t accepted;
	struct nk_virtq *vq;
	uint16_t last_avail;
	int notified;
	uint32_t longest_desc;
	unsigned most_data_descs;
	int bad_chains;	      /* chains of a shape the device does not accept */
	uint64_t fail_sector; /* a request starting here gets status fail_status (0: none) */
	uint8_t fail_status;
	uint8_t disk[SECTORS * 512];
} fake;

static uint8_t f_get_status(struct vp_dev *vp __nk_unused)
{
	return fake.status;
}

static void f_set_status(struct vp_dev *vp __nk_unused, uint8_t status)
{
	fake.status = status;
}

static uint64_t f_get_features(struct vp_dev *vp __nk_unused)
{
	return F_VERSION_1 | F_SIZE_MAX | F_SEG_MAX | F_FLUSH;
}

static void f_set_features(struct vp_dev *vp __nk_unused, uint64_t features)
{
	fake.accepted = features;
}

static uint16_t f_queue_size(struct vp_dev *vp __nk_unused, unsigned q)
{
	return q == 0 ? QSIZE : 0;
}

static int f_queue_enable(struct vp_dev *vp __nk_unused, struct nk_virtq *vq,
			  uint16_t vector __nk_unused)
{
	fake.vq = vq;
	return 0;
}

static void f_notify(struct nk_virtq *vq __nk_unused)
{
	fake.notified++;
}

static uint32_t f_cfg_read(struct vp_dev *vp __nk_unused, unsigned off, unsigned width)
{
	if (off == CFG_CAPACITY && width == 4)
		return SECTORS;
	if (off == CFG_SIZE_MAX && width == 4)
		return DEV_SIZE_MAX;
	if (off == CFG_SEG_MAX && width == 4)
		return DEV_SEG_MAX;
	return 0;
}

static uint8_t f_cfg_generation(struct vp_dev *vp __nk_unused)
{
	return 0;
}

/* No interrupt: the test calls the queue's callback as the interrupt would. */
static int f_setup_irqs(struct vp_dev *vp __nk_unused, unsigned n __nk_unused)
{
	return 0;
}

static const struct vp_ops fake_ops = {
	.get_status = f_get_status,
	.set_status = f_set_status,
	.get_features = f_get_features,
	.set_features = f_set_features,
	.queue_size = f_queue_size,
	.queue_enable = f_queue_enable,
	.notify = f_notify,
	.cfg_read = f_cfg_read,
	.cfg_generation = f_cfg_generation,
	.setup_irqs = f_setup_irqs,
	.can_resize = true,
};

/* Device side: carry out one chain (header, data, status); the bytes written into it. */
static uint32_t fake_do_chain(uint16_t head)
{
	struct nk_virtq *vq = fake.vq;
	struct nk_virtq_desc *d = &vq->desc[head];
	const struct {
		uint32_t type, ioprio;
		uint64_t sector;
	} *hdr = (void *)(uintptr_t)d->addr;
	uint64_t at = hdr->sector * 512;
	uint32_t written = 1;
	unsigned data = 0;

	while (d->flags & NK_VIRTQ_DESC_F_NEXT) {
		d = &vq->desc[d->next];
		if (!(d->flags & NK_VIRTQ_DESC_F_NEXT))
			break; /* the status byte */
		data++;
		fake.longest_desc = NK_MAX(fake.longest_desc, d->len);
		if (at + d->len > sizeof(fake.disk) || hdr->type == T_FLUSH) {
			fake.bad_chains++;
			return 0;
		}
		if (hdr->type == T_IN)
			memcpy((void *)(uintptr_t)d->addr, fake.disk + at, d->len);
		else
			memcpy(fake.disk + at, (void *)(uintptr_t)d->addr, d->len);
		written += hdr->type == T_IN ? d->len : 0;
		at += d->len;
	}
	fake.most_data_descs = NK_MAX(fake.most_data_descs, data);
	if (d->len != 1 || !(d->flags & NK_VIRTQ_DESC_F_WRITE))
		fake.bad_chains++;
	*(uint8_t *)(uintptr_t)d->addr = /* VIRTIO_BLK_S_OK, or the error asked for */
		hdr->sector == fake.fail_sector && hdr->type != T_FLUSH ? fake.fail_status : 0;
	return written;
}

/* Use up to max available chains (then write the fault, if any) and raise the "interrupt". */
static void fake_run(unsigned max, enum fault fault)
{
	struct nk_virtq *vq = fake.vq;
	unsigned long flags;

	for (unsigned n = 0; n < max && fake.last_avail != vq->avail->idx; n++) {
		uint16_t head = vq->avail->ring[fake.last_avail++ % QSIZE];
		struct nk_virtq_used_elem *e = &vq->used->ring[vq->used->idx % QSIZE];

		e->id = head;
		e->len = fake_do_chain(head);
		__atomic_store_n(&vq->used->idx, (uint16_t)(vq->used->idx + 1), __ATOMIC_RELEASE);
	}
	if (fault == USED_IDX_JUMP)
		vq->used->idx += QSIZE + 1;
	if (fault == USED_ID_OUT_OF_RANGE) {
		vq->used->ring[vq->used->idx % QSIZE].id = QSIZE + 3;
		vq->used->idx++;
	}
	flags = nk_arch_irq_save();
	vq->callback(vq);
	nk_arch_irq_restore(flags);
}

/* Run the device until it has nothing left to do. */
static void fake_drain(void)
{
	for (int i = 0; i < 1000 && fake.last_avail != fake.vq->avail->idx; i++)
		fake_run(QSIZE, NONE);
}

extern const struct nk_virtio_driver *const __nk_virtio_drivers_start[];
extern const struct nk_virtio_driver *const __nk_virtio_drivers_end[];

static const struct nk_virtio_driver *blk_driver(void)
{
	for (const struct nk_virtio_driver *const *d = __nk_virtio_drivers_start;
	     d < __nk_virtio_drivers_end; d++)
		if ((*d)->device_id == NK_VIRTIO_ID_BLK)
			return *d;
	return NULL;
}

static int is_fake_disk(struct nk_dev *d, void *arg)
{
	if (d->parent != &fake.pdev.dev)
		return 0;
	*(struct nk_blk_dev **)arg = NK_CONTAINER_OF(d, struct nk_blk_dev, dev);
	return 1;
}

/* A fresh fake device probed by the virtio-blk driver: its disk, or NULL. */
static struct nk_blk_dev *fake_probe(struct nk_test_ctx *nk_t)
{
	struct nk_blk_dev *b = NULL;

	memset(&fake, 0, sizeof(fake));
	for (size_t i = 0; i < sizeof(fake.disk); i++)
		fake.disk[i] = (uint8_t)(i * 7 + i / 512);
	nk_strlcpy(fake.pdev.dev.name, "fakeblk", sizeof(fake.pdev.dev.name));
	fake.pdev.dev.cls = NK_DEV_PCI;
	fake.vp.vdev.pdev = &fake.pdev;
	fake.vp.vdev.device_id = NK_VIRTIO_ID_BLK;
	fake.vp.vdev.modern = true;
	fake.vp.ops = &fake_ops;
	fake.vp.driver = blk_driver();
	NK_CHECK_(return NULL, fake.vp.driver, "no virtio-blk driver");
	NK_CHECK_(return NULL, fake.vp.driver->probe(&fake.vp.vdev) == 0, "probe failed");
	nk_dev_for_each(NK_DEV_BLK, is_fake_disk, &b);
	NK_CHECK_(return NULL, b, "the fake disk was not registered");
	return b;
}

static void fake_remove(struct nk_test_ctx *nk_t, struct nk_blk_dev *b)
{
	char name[NK_DEV_NAME_MAX];

	nk_strlcpy(name, b->dev.name, sizeof(name));
	fake.vp.driver->remove(&fake.vp.vdev);
	NK_EXPECT_NULL(nk_blk_dev_find(name));
	NK_EXPECT_NULL(fake.vp.vdev.vqs);
	NK_EXPECT_EQ(fake.status, 0);
}

struct tracked {
	struct nk_blk_req req;
	int calls, status;
};

static void tracked_done(struct nk_blk_req *req, int status)
{
	struct tracked *t = NK_CONTAINER_OF(req, struct tracked, req);

	t->calls++;
	t->status = status;
}

static int submit(struct nk_blk_dev *b, struct tracked *t, enum nk_blk_op op, uint64_t lba,
		  uint32_t count, void *buf)
{
	*t = (struct tracked){
		.req = { .op = op, .lba = lba, .count = count, .buf = buf, .done = tracked_done }
	};
	return nk_blk_submit(b, &t->req);
}

NK_TEST(virtio_blk, requests_split_within_device_limits)
{
	static uint8_t big[64 * 1024], small[20 * 1024], last[512];
	static uint8_t expect[sizeof(big)];
	struct nk_blk_dev *b = fake_probe(nk_t);
	struct tracked t[4];

	if (!b)
		return;
	NK_EXPECT_UEQ(b->capacity, SECTORS);
	NK_EXPECT_UEQ(b->block_size, 512);
	NK_EXPECT(!b->read_only);
	NK_EXPECT_UEQ(fake.accepted, F_VERSION_1 | F_SIZE_MAX | F_SEG_MAX | F_FLUSH);
	NK_EXPECT(fake.status & VIRTIO_STATUS_DRIVER_OK);
	memcpy(expect, fake.disk + 8 * 512, sizeof(big));
	memset(small, 0x3c, sizeof(small));
	NK_EXPECT_EQ(submit(b, &t[0], NK_BLK_READ, 8, sizeof(big) / 512, big), 0);
	NK_EXPECT_EQ(submit(b, &t[1], NK_BLK_WRITE, 200, sizeof(small) / 512, small), 0);
	NK_EXPECT_EQ(submit(b, &t[2], NK_BLK_FLUSH, 0, 0, NULL), 0);
	NK_EXPECT_EQ(submit(b, &t[3], NK_BLK_READ, SECTORS - 1, 1, last), 0);
	NK_EXPECT_EQ(t[0].calls, 0); /* nothing completes before the device runs */
	fake_drain();
	for (int i = 0; i < 4; i++) {
		NK_EXPECT_EQ(t[i].calls, 1);
		NK_EXPECT_EQ(t[i].status, 0);
	}
	NK_EXPECT(!memcmp(big, expect, sizeof(big)));
	NK_EXPECT(!memcmp(fake.disk + 200 * 512, small, sizeof(small)));
	NK_EXPECT(!memcmp(last, fake.disk + (SECTORS - 1) * 512, 512));
	NK_EXPECT_LE(fake.longest_desc, DEV_SIZE_MAX);
	NK_EXPECT_EQ(fake.most_data_descs, DEV_SEG_MAX);
	NK_EXPECT_EQ(fake.bad_chains, 0);
	NK_EXPECT_GE(fake.notified, 2); /* the rest went out as completions made room */
	NK_EXPECT_UEQ(b->stats.reads, 2);
	NK_EXPECT_UEQ(b->stats.read_bytes, sizeof(big) + 512);
	NK_EXPECT_UEQ(b->stats.writes, 1);
	NK_EXPECT_UEQ(b->stats.flushes, 1);
	NK_EXPECT_EQ(b->dev.state, NK_DEV_OK);
	fake_remove(nk_t, b);
}

/*
 * Three reads; the device returns the first properly, then writes `fault`. The requests taken
 * from the used ring before the impossible entry (`good` of them) complete normally, the
 * others with -EIO. A used index that jumps makes the whole ring untrustworthy: good is 0.
 */
static void broken_device(struct nk_test_ctx *nk_t, enum fault fault, int good)
{
	static uint8_t buf[3][512];
	struct nk_blk_dev *b = fake_probe(nk_t);
	struct tracked t[3], later;

	if (!b)
		return;
	for (int i = 0; i < 3; i++)
		NK_EXPECT_EQ(submit(b, &t[i], NK_BLK_READ, (uint64_t)i, 1, buf[i]), 0);
	fake_run(1, fault);
	for (int i = 0; i < 3; i++) {
		NK_EXPECT_EQ(t[i].calls, 1);
		NK_EXPECT_EQ(t[i].status, i < good ? 0 : -EIO);
	}
	NK_EXPECT(fake.vq->broken);
	NK_EXPECT_EQ(fake.status, 0); /* reset before the buffers went back */
	NK_EXPECT_EQ(b->dev.state, NK_DEV_FAILED);
	NK_EXPECT_EQ(b->dev.error, -EIO);
	NK_EXPECT_UEQ(b->stats.errors, 3 - good);
	NK_EXPECT_EQ(submit(b, &later, NK_BLK_READ, 0, 1, buf[0]), -EIO);
	fake_run(QSIZE, NONE); /* another interrupt: nothing completes twice */
	for (int i = 0; i < 3; i++)
		NK_EXPECT_EQ(t[i].calls, 1);
	NK_EXPECT_EQ(later.calls, 0);
	fake_remove(nk_t, b);
}

NK_TEST(virtio_blk, used_index_jump_fails_the_disk)
{
	broken_device(nk_t, USED_IDX_JUMP, 0);
}

NK_TEST(virtio_blk, used_id_out_of_range_fails_the_disk)
{
	broken_device(nk_t, USED_ID_OUT_OF_RANGE, 1);
}

/*
 * Errors the device reports (not impossible values): the request whose part failed completes
 * once with -EIO (IOERR) or -ENOTSUP (UNSUPP); the disk stays usable.
 */
NK_TEST(virtio_blk, device_errors_fail_the_request_only)
{
	static uint8_t buf[32 * 1024], one[512];
	struct nk_blk_dev *b = fake_probe(nk_t);
	struct tracked t[3];

	if (!b)
		return;
	fake.fail_sector = 16; /* the second of four 8 KiB parts */
	fake.fail_status = 1;  /* VIRTIO_BLK_S_IOERR */
	NK_EXPECT_EQ(submit(b, &t[0], NK_BLK_READ, 0, sizeof(buf) / 512, buf), 0);
	NK_EXPECT_EQ(submit(b, &t[1], NK_BLK_READ, 100, 1, one), 0);
	fake_drain();
	fake.fail_sector = 100;
	fake.fail_status = 2; /* VIRTIO_BLK_S_UNSUPP */
	NK_EXPECT_EQ(submit(b, &t[2], NK_BLK_WRITE, 100, 1, one), 0);
	fake_drain();
	NK_EXPECT_EQ(t[0].calls, 1);
	NK_EXPECT_EQ(t[0].status, -EIO);
	NK_EXPECT_EQ(t[1].calls, 1);
	NK_EXPECT_EQ(t[1].status, 0);
	NK_EXPECT_EQ(t[2].calls, 1);
	NK_EXPECT_EQ(t[2].status, -ENOTSUP);
	NK_EXPECT_UEQ(b->stats.errors, 2);
	NK_EXPECT_EQ(b->dev.state, NK_DEV_OK);
	fake_remove(nk_t, b);
}

/* Removal completes what the disk still held with -ENODEV, once. */
NK_TEST(virtio_blk, remove_completes_held_requests)
{
	static uint8_t buf[2][512];
	struct nk_blk_dev *b = fake_probe(nk_t);
	struct tracked t[2];

	if (!b)
		return;
	NK_EXPECT_EQ(submit(b, &t[0], NK_BLK_READ, 0, 1, buf[0]), 0);
	NK_EXPECT_EQ(submit(b, &t[1], NK_BLK_READ, 1, 1, buf[1]), 0);
	fake_remove(nk_t, b);
	for (int i = 0; i < 2; i++) {
		NK_EXPECT_EQ(t[i].calls, 1);
		NK_EXPECT_EQ(t[i].status, -ENODEV);
	}
}
