/*
 * KTAP suite `virtio`: the transport's refusals against a fake device (register accessors in
 * RAM behind an unregistered PCI function): queue sizes of 0, not a power of two, or too large
 * for the legacy interface fail the function and leave nothing set up; feature negotiation
 * (VERSION_1 required of a modern device, FEATURES_OK kept, 32 bits on legacy); configuration
 * reads retried across a generation change. The real devices are the blk suite's.
 */
#include <nautilus/errno.h>
#include <nautilus/string.h>
#include <nautilus/test.h>

#include "../dev/virtio/virtio_pci.h"

#define F_VERSION_1 (1ULL << NK_VIRTIO_F_VERSION_1)

/* The fake device's registers. */
static struct {
	uint16_t qsize[NK_VIRTIO_MAX_QUEUES];
	uint8_t status;
	bool refuse_features; /* clears FEATURES_OK when the driver sets it */
	uint64_t offered, accepted;
	uint64_t cfg;	   /* a 64-bit configuration field at offset 0 */
	uint64_t cfg_next; /* its value after the generation changes */
	uint8_t gen;
	int reads_until_change; /* the generation changes after this many 4-byte reads */
} fake;

static uint8_t f_get_status(struct vp_dev *vp __nk_unused)
{
	return fake.status;
}

static void f_set_status(struct vp_dev *vp __nk_unused, uint8_t status)
{
	fake.status = status;
	if (fake.refuse_features)
		fake.status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
}

static uint64_t f_get_features(struct vp_dev *vp __nk_unused)
{
	return fake.offered;
}

static void f_set_features(struct vp_dev *vp __nk_unused, uint64_t features)
{
	fake.accepted = features;
}

static uint16_t f_queue_size(struct vp_dev *vp __nk_unused, unsigned q)
{
	return q < NK_VIRTIO_MAX_QUEUES ? fake.qsize[q] : 0;
}

static uint32_t f_cfg_read(struct vp_dev *vp __nk_unused, unsigned off, unsigned width)
{
	uint32_t v = (uint32_t)(fake.cfg >> (8 * off));

	if (fake.reads_until_change && --fake.reads_until_change == 0) {
		fake.cfg = fake.cfg_next; /* the device updates the field between the two halves */
		fake.gen++;
	}
	return width == 4 ? v : v & ((1U << (8 * width)) - 1);
}

static uint8_t f_cfg_generation(struct vp_dev *vp __nk_unused)
{
	return fake.gen;
}

static const struct vp_ops fake_modern_ops = {
	.get_status = f_get_status,
	.set_status = f_set_status,
	.get_features = f_get_features,
	.set_features = f_set_features,
	.queue_size = f_queue_size,
	.cfg_read = f_cfg_read,
	.cfg_generation = f_cfg_generation,
	.can_resize = true,
};

/* The legacy interface has no generation counter. */
static uint8_t f_no_generation(struct vp_dev *vp __nk_unused)
{
	return 0;
}

static const struct vp_ops fake_legacy_ops = {
	.get_status = f_get_status,
	.set_status = f_set_status,
	.get_features = f_get_features,
	.set_features = f_set_features,
	.queue_size = f_queue_size,
	.cfg_read = f_cfg_read,
	.cfg_generation = f_no_generation,
	.can_resize = false,
};

/* A fake function and its transport state; nothing here is registered anywhere. */
struct fake_fn {
	struct nk_pci_dev pdev;
	struct vp_dev vp;
};

static void fake_init(struct fake_fn *f, bool modern)
{
	memset(&fake, 0, sizeof(fake));
	memset(f, 0, sizeof(*f));
	nk_strlcpy(f->pdev.dev.name, "fakevirtio0", sizeof(f->pdev.dev.name));
	f->pdev.dev.cls = NK_DEV_PCI;
	f->vp.vdev.pdev = &f->pdev;
	f->vp.vdev.modern = modern;
	f->vp.ops = modern ? &fake_modern_ops : &fake_legacy_ops;
	fake.status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
}

static void no_cb(struct nk_virtq *vq __nk_unused)
{
}

/* Queues with these sizes are refused with err: the function failed, reset, nothing left. */
static void expect_refused(struct nk_test_ctx *nk_t, bool modern, const uint16_t *sizes, unsigned n,
			   int err)
{
	static const nk_virtq_callback_t cbs[3] = { no_cb, no_cb, no_cb };
	static const char *const names[3] = { "fake.q0", "fake.q1", "fake.q2" };
	struct fake_fn f;

	fake_init(&f, modern);
	memcpy(fake.qsize, sizes, n * sizeof(*sizes));
	NK_EXPECT_EQ(nk_virtio_setup_queues(&f.vp.vdev, n, cbs, names), err);
	NK_EXPECT_EQ(f.pdev.dev.state, NK_DEV_FAILED);
	NK_EXPECT_EQ(f.pdev.dev.error, err);
	NK_EXPECT_NULL(f.vp.vdev.vqs);
	NK_EXPECT_EQ(f.vp.vdev.nvqs, 0);
	NK_EXPECT_EQ(fake.status, 0); /* reset */
	NK_EXPECT(!f.vp.irq_set);
}

NK_TEST(virtio, queue_size_zero_refused)
{
	static const uint16_t one[] = { 0 }, second[] = { 256, 0 };

	expect_refused(nk_t, true, one, 1, -ENODEV);
	expect_refused(nk_t, false, second, 2, -ENODEV);
}

NK_TEST(virtio, queue_size_not_power_of_two_refused)
{
	static const uint16_t three[] = { 3 }, hundred[] = { 128, 256, 100 }, odd[] = { 0xffff };

	expect_refused(nk_t, true, three, 1, -EIO);
	expect_refused(nk_t, true, hundred, 3, -EIO);
	expect_refused(nk_t, false, odd, 1, -EIO);
}

/* A legacy queue cannot be shrunk: above NK_VIRTQ_MAX_SIZE it is refused. */
NK_TEST(virtio, legacy_queue_too_large_refused)
{
	static const uint16_t big[] = { 2 * NK_VIRTQ_MAX_SIZE };

	expect_refused(nk_t, false, big, 1, -ENOTSUP);
}

NK_TEST(virtio, bad_queue_count)
{
	static const nk_virtq_callback_t cbs[1] = { no_cb };
	static const char *const names[1] = { "fake.q0" };
	struct fake_fn f;

	fake_init(&f, true);
	NK_EXPECT_EQ(nk_virtio_setup_queues(&f.vp.vdev, 0, cbs, names), -EINVAL);
	NK_EXPECT_EQ(nk_virtio_setup_queues(&f.vp.vdev, NK_VIRTIO_MAX_QUEUES + 1, cbs, names),
		     -EINVAL);
	NK_EXPECT_EQ(f.pdev.dev.state, NK_DEV_OK);
}

NK_TEST(virtio, negotiate_modern)
{
	struct fake_fn f;

	fake_init(&f, true);
	fake.offered = F_VERSION_1 | 0x264;
	NK_EXPECT_EQ(nk_virtio_negotiate(&f.vp.vdev, 0x224 | (1ULL << 40)), 0);
	NK_EXPECT_UEQ(f.vp.vdev.features, F_VERSION_1 | 0x224);
	NK_EXPECT_UEQ(fake.accepted, F_VERSION_1 | 0x224);
	NK_EXPECT(fake.status & VIRTIO_STATUS_FEATURES_OK);
	NK_EXPECT(nk_virtio_has(&f.vp.vdev, NK_VIRTIO_F_VERSION_1));
	NK_EXPECT_EQ(f.pdev.dev.state, NK_DEV_OK);

	fake_init(&f, true); /* a modern device must offer VERSION_1 */
	fake.offered = 0x264;
	NK_EXPECT_EQ(nk_virtio_negotiate(&f.vp.vdev, 0x264), -ENODEV);
	NK_EXPECT_EQ(f.pdev.dev.state, NK_DEV_FAILED);

	fake_init(&f, true); /* and keep FEATURES_OK */
	fake.offered = F_VERSION_1 | 0x264;
	fake.refuse_features = true;
	NK_EXPECT_EQ(nk_virtio_negotiate(&f.vp.vdev, 0x264), -ENODEV);
	NK_EXPECT_EQ(f.pdev.dev.state, NK_DEV_FAILED);
}

NK_TEST(virtio, negotiate_legacy)
{
	struct fake_fn f;

	fake_init(&f, false);
	fake.offered = 0xffffffffffffffffULL;
	NK_EXPECT_EQ(nk_virtio_negotiate(&f.vp.vdev, F_VERSION_1 | (1ULL << 40) | 0x24), 0);
	NK_EXPECT_UEQ(f.vp.vdev.features, 0x24); /* 32 feature bits, no FEATURES_OK step */
	NK_EXPECT_UEQ(fake.accepted, 0x24);
	NK_EXPECT(!(fake.status & VIRTIO_STATUS_FEATURES_OK));
	NK_EXPECT_EQ(f.pdev.dev.state, NK_DEV_OK);
}

/* A 64-bit field read as two halves while the device changes it: read again, never torn. */
NK_TEST(virtio, config_read_across_generation)
{
	struct fake_fn f;

	fake_init(&f, true);
	fake.cfg = 0x00000001ffffffffULL;
	fake.cfg_next = 0x0000000200000000ULL;
	fake.reads_until_change = 1; /* after the low half: a torn read would be 0x2ffffffff */
	NK_EXPECT_UEQ(nk_virtio_cfg_read64(&f.vp.vdev, 0), 0x0000000200000000ULL);
	NK_EXPECT_UEQ(nk_virtio_cfg_read32(&f.vp.vdev, 4), 2);
	NK_EXPECT_UEQ(nk_virtio_cfg_read16(&f.vp.vdev, 4), 2);
	NK_EXPECT_UEQ(nk_virtio_cfg_read8(&f.vp.vdev, 0), 0);

	fake_init(&f, false); /* legacy: no generation, two equal reads */
	fake.cfg = 0x00000001ffffffffULL;
	fake.cfg_next = 0x0000000200000000ULL;
	fake.reads_until_change = 1;
	NK_EXPECT_UEQ(nk_virtio_cfg_read64(&f.vp.vdev, 0), 0x0000000200000000ULL);
}
