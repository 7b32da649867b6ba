/*
 * virtio-pci modern interface (virtio 1.1 section 4.1.4): vendor capabilities point at the
 * common configuration, notification, ISR and device configuration structures inside memory
 * BARs, which the PCI core has mapped.
 */
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/time.h>

#include "virtio_pci.h"

/* struct virtio_pci_cap (4.1.4): offsets inside the vendor capability. */
#define CAP_CFG_TYPE   3  /* u8: which structure */
#define CAP_BAR	       4  /* u8: BAR holding it */
#define CAP_OFFSET     8  /* le32: offset in the BAR */
#define CAP_LENGTH     12 /* le32: length of the structure */
#define CAP_NOTIFY_MUL 16 /* le32: notify_off_multiplier (notification capability, 4.1.4.4) */

/* cfg_type values (4.1.4). */
#define CFG_COMMON 1 /* common configuration */
#define CFG_NOTIFY 2 /* notifications */
#define CFG_ISR	   3 /* ISR status */
#define CFG_DEVICE 4 /* device-specific configuration */

/* struct virtio_pci_common_cfg (4.1.4.3). */
#define COMMON_DFSELECT	     0x00 /* le32: device_feature_select */
#define COMMON_DF	     0x04 /* le32: device_feature (read-only) */
#define COMMON_GFSELECT	     0x08 /* le32: driver_feature_select */
#define COMMON_GF	     0x0c /* le32: driver_feature */
#define COMMON_MSIX	     0x10 /* le16: msix_config */
#define COMMON_NUMQ	     0x12 /* le16: num_queues (read-only) */
#define COMMON_STATUS	     0x14 /* u8: device_status */
#define COMMON_CFGGENERATION 0x15 /* u8: config_generation (read-only) */
#define COMMON_Q_SELECT	     0x16 /* le16: queue_select */
#define COMMON_Q_SIZE	     0x18 /* le16: queue_size */
#define COMMON_Q_MSIX	     0x1a /* le16: queue_msix_vector */
#define COMMON_Q_ENABLE	     0x1c /* le16: queue_enable */
#define COMMON_Q_NOFF	     0x1e /* le16: queue_notify_off (read-only) */
#define COMMON_Q_DESC	     0x20 /* le64: queue_desc */
#define COMMON_Q_AVAIL	     0x28 /* le64: queue_driver (the available ring) */
#define COMMON_Q_USED	     0x30 /* le64: queue_device (the used ring) */
#define COMMON_LEN	     0x38 /* size of the structure */

#define RESET_TIMEOUT_NS 1000000000ULL

static volatile uint8_t *at(volatile void *base, unsigned off)
{
	return (volatile uint8_t *)base + off;
}

static uint8_t c_r8(struct vp_dev *vp, unsigned off)
{
	return *at(vp->vdev.common, off);
}

static uint16_t c_r16(struct vp_dev *vp, unsigned off)
{
	return *(volatile uint16_t *)at(vp->vdev.common, off);
}

static uint32_t c_r32(struct vp_dev *vp, unsigned off)
{
	return *(volatile uint32_t *)at(vp->vdev.common, off);
}

static void c_w8(struct vp_dev *vp, unsigned off, uint8_t v)
{
	*at(vp->vdev.common, off) = v;
}

static void c_w16(struct vp_dev *vp, unsigned off, uint16_t v)
{
	*(volatile uint16_t *)at(vp->vdev.common, off) = v;
}

static void c_w32(struct vp_dev *vp, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)at(vp->vdev.common, off) = v;
}

/* 64-bit fields as two 32-bit halves, which the driver may do (4.1.3.1). */
static void c_w64(struct vp_dev *vp, unsigned off, uint64_t v)
{
	c_w32(vp, off, (uint32_t)v);
	c_w32(vp, off + 4, (uint32_t)(v >> 32));
}

static uint8_t m_get_status(struct vp_dev *vp)
{
	return c_r8(vp, COMMON_STATUS);
}

/* After writing 0 the driver waits for the device to read back 0 (4.1.4.3.2). */
static void m_set_status(struct vp_dev *vp, uint8_t status)
{
	uint64_t deadline = nk_time_ns() + RESET_TIMEOUT_NS;

	c_w8(vp, COMMON_STATUS, status);
	if (status)
		return;
	while (c_r8(vp, COMMON_STATUS)) {
		if (nk_time_ns() > deadline) {
			nk_dev_log(&vp->vdev.pdev->dev, NK_LOG_WARN,
				   "device did not finish its reset");
			return;
		}
		__builtin_ia32_pause();
	}
}

static uint64_t m_get_features(struct vp_dev *vp)
{
	uint64_t f;

	c_w32(vp, COMMON_DFSELECT, 0);
	f = c_r32(vp, COMMON_DF);
	c_w32(vp, COMMON_DFSELECT, 1);
	return f | (uint64_t)c_r32(vp, COMMON_DF) << 32;
}

static void m_set_features(struct vp_dev *vp, uint64_t features)
{
	c_w32(vp, COMMON_GFSELECT, 0);
	c_w32(vp, COMMON_GF, (uint32_t)features);
	c_w32(vp, COMMON_GFSELECT, 1);
	c_w32(vp, COMMON_GF, (uint32_t)(features >> 32));
}

static uint8_t m_read_isr(struct vp_dev *vp)
{
	return *vp->vdev.isr;
}

static uint16_t m_queue_size(struct vp_dev *vp, unsigned q)
{
	if (q >= c_r16(vp, COMMON_NUMQ))
		return 0;
	c_w16(vp, COMMON_Q_SELECT, (uint16_t)q);
	return c_r16(vp, COMMON_Q_SIZE);
}

static int m_queue_enable(struct vp_dev *vp, struct nk_virtq *vq, uint16_t vector)
{
	uint64_t notify_pos;

	c_w16(vp, COMMON_Q_SELECT, (uint16_t)vq->index);
	c_w16(vp, COMMON_Q_SIZE, vq->size);
	c_w16(vp, COMMON_Q_MSIX, vector);
	if (c_r16(vp, COMMON_Q_MSIX) != vector)
		return vp_fail(vp, -EIO, "queue %u: the device refused MSI-X vector %u", vq->index,
			       vector);
	notify_pos = (uint64_t)c_r16(vp, COMMON_Q_NOFF) * vp->vdev.notify_mul;
	if (notify_pos + 2 > vp->notify_len)
		return vp_fail(vp, -EIO,
			       "queue %u: notification offset %llu outside the %u-byte structure",
			       vq->index, (unsigned long long)notify_pos, vp->notify_len);
	vp->notify_addr[vq->index] = (volatile uint16_t *)at(vp->vdev.notify_base, notify_pos);
	c_w64(vp, COMMON_Q_DESC, (uint64_t)(uintptr_t)vq->desc);
	c_w64(vp, COMMON_Q_AVAIL, (uint64_t)(uintptr_t)vq->avail);
	c_w64(vp, COMMON_Q_USED, (uint64_t)(uintptr_t)vq->used);
	c_w16(vp, COMMON_Q_ENABLE, 1);
	return 0;
}

static int m_config_vector(struct vp_dev *vp, uint16_t vector)
{
	c_w16(vp, COMMON_MSIX, vector);
	return c_r16(vp, COMMON_MSIX) == vector ? 0 : -EIO;
}

/* The doorbell takes the queue's index (4.1.5.2). */
static void m_notify(struct nk_virtq *vq)
{
	*to_vp(vq->vdev)->notify_addr[vq->index] = (uint16_t)vq->index;
}

static uint32_t m_cfg_read(struct vp_dev *vp, unsigned off, unsigned width)
{
	volatile uint8_t *p;

	if (!vp->vdev.devcfg || off + width > vp->devcfg_len)
		return 0;
	p = at(vp->vdev.devcfg, off);
	if (width == 1)
		return *p;
	if (width == 2)
		return *(volatile uint16_t *)p;
	return *(volatile uint32_t *)p;
}

static uint8_t m_cfg_generation(struct vp_dev *vp)
{
	return c_r8(vp, COMMON_CFGGENERATION);
}

static const struct vp_ops modern_ops = {
	.get_status = m_get_status,
	.set_status = m_set_status,
	.get_features = m_get_features,
	.set_features = m_set_features,
	.read_isr = m_read_isr,
	.queue_size = m_queue_size,
	.queue_enable = m_queue_enable,
	.config_vector = m_config_vector,
	.notify = m_notify,
	.cfg_read = m_cfg_read,
	.cfg_generation = m_cfg_generation,
	.can_resize = true,
	.setup_irqs = vp_pci_setup_irqs,
};

struct vp_cap {
	volatile uint8_t *addr; /* NULL: not found */
	uint32_t len;
	unsigned pos; /* in configuration space */
};

/* The structure a capability describes, if its BAR is a mapped memory BAR that holds it. */
static void read_cap(struct vp_dev *vp, unsigned pos, struct vp_cap *cap)
{
	struct nk_pci_dev *pdev = vp->vdev.pdev;
	uint8_t bar = nk_pci_read8(pdev, pos + CAP_BAR);
	uint32_t off = nk_pci_read32(pdev, pos + CAP_OFFSET);
	uint32_t len = nk_pci_read32(pdev, pos + CAP_LENGTH);
	struct nk_pci_bar *b;

	if (cap->addr || bar > 5)
		return;
	b = &pdev->bar[bar];
	if (b->io || !b->virt || (uint64_t)off + len > b->size)
		return;
	cap->addr = (volatile uint8_t *)b->virt + off;
	cap->len = len;
	cap->pos = pos;
}

/* The first usable capability of each type counts (4.1.4.1). */
int vp_modern_init(struct vp_dev *vp)
{
	struct nk_pci_dev *pdev = vp->vdev.pdev;
	struct vp_cap caps[CFG_DEVICE + 1] = { 0 };
	unsigned pos = nk_pci_find_cap(pdev, NK_PCI_CAP_VENDOR, 0);
	bool any = false;

	for (; pos; pos = nk_pci_find_cap(pdev, NK_PCI_CAP_VENDOR, pos)) {
		uint8_t type = nk_pci_read8(pdev, pos + CAP_CFG_TYPE);

		if (type >= CFG_COMMON && type <= CFG_DEVICE) {
			any = true;
			read_cap(vp, pos, &caps[type]);
		}
	}
	if (!any)
		return -ENOENT;
	if (!caps[CFG_COMMON].addr || caps[CFG_COMMON].len < COMMON_LEN || !caps[CFG_NOTIFY].addr ||
	    !caps[CFG_ISR].addr || !caps[CFG_ISR].len) {
		nk_dev_log(&pdev->dev, NK_LOG_WARN,
			   "modern virtio capabilities incomplete or outside their BARs");
		return -ENOENT;
	}
	vp->vdev.common = caps[CFG_COMMON].addr;
	vp->vdev.isr = caps[CFG_ISR].addr;
	vp->vdev.notify_base = caps[CFG_NOTIFY].addr;
	vp->notify_len = caps[CFG_NOTIFY].len;
	vp->vdev.notify_mul = nk_pci_read32(pdev, caps[CFG_NOTIFY].pos + CAP_NOTIFY_MUL);
	vp->vdev.devcfg = caps[CFG_DEVICE].addr;
	vp->devcfg_len = caps[CFG_DEVICE].len;
	vp->vdev.modern = true;
	vp->ops = &modern_ops;
	return 0;
}
