/*
 * virtio-pci legacy interface (virtio 1.1 section 4.1.4.8): one I/O BAR (BAR0) with the
 * registers below, 32 feature bits, queues given by page frame number at the device's size,
 * and the device configuration after the MSI-X registers when MSI-X is enabled.
 */
#include <arch/x64/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/printk.h>

#include "virtio_pci.h"

/* Legacy register block in BAR0 (4.1.4.8). */
#define LEG_DEVICE_FEATURES 0x00 /* le32: features the device offers */
#define LEG_DRIVER_FEATURES 0x04 /* le32: features the driver accepted */
#define LEG_QUEUE_PFN	    0x08 /* le32: ring address >> 12 of the selected queue, 0 disables */
#define LEG_QUEUE_SIZE	    0x0c /* le16: size of the selected queue (read-only) */
#define LEG_QUEUE_SELECT    0x0e /* le16 */
#define LEG_QUEUE_NOTIFY    0x10 /* le16: write a queue index to notify */
#define LEG_STATUS	    0x12 /* u8: device status */
#define LEG_ISR		    0x13 /* u8: ISR status, cleared by the read */
#define LEG_CONFIG_VECTOR   0x14 /* le16: configuration MSI-X vector (only with MSI-X on) */
#define LEG_QUEUE_VECTOR    0x16 /* le16: selected queue's MSI-X vector (only with MSI-X on) */
#define LEG_CONFIG	    0x14 /* device configuration without MSI-X */
#define LEG_CONFIG_MSIX	    0x18 /* device configuration with MSI-X enabled */

#define LEG_PFN_SHIFT 12

static uint16_t port(struct vp_dev *vp, unsigned off)
{
	return (uint16_t)(vp->vdev.io + off);
}

static uint8_t l_get_status(struct vp_dev *vp)
{
	return inb(port(vp, LEG_STATUS));
}

static void l_set_status(struct vp_dev *vp, uint8_t status)
{
	outb(port(vp, LEG_STATUS), status);
}

static uint64_t l_get_features(struct vp_dev *vp)
{
	return inl(port(vp, LEG_DEVICE_FEATURES));
}

static void l_set_features(struct vp_dev *vp, uint64_t features)
{
	outl(port(vp, LEG_DRIVER_FEATURES), (uint32_t)features);
}

static uint8_t l_read_isr(struct vp_dev *vp)
{
	return inb(port(vp, LEG_ISR));
}

static uint16_t l_queue_size(struct vp_dev *vp, unsigned q)
{
	outw(port(vp, LEG_QUEUE_SELECT), (uint16_t)q);
	return inw(port(vp, LEG_QUEUE_SIZE));
}

static int l_queue_enable(struct vp_dev *vp, struct nk_virtq *vq, uint16_t vector)
{
	uint64_t pfn = (uint64_t)(uintptr_t)vq->desc >> LEG_PFN_SHIFT;

	if (pfn > UINT32_MAX)
		return vp_fail(vp, -ENOMEM, "queue %u: ring above the legacy 44-bit limit",
			       vq->index);
	outw(port(vp, LEG_QUEUE_SELECT), (uint16_t)vq->index);
	if (vector != VIRTIO_NO_VECTOR) {
		outw(port(vp, LEG_QUEUE_VECTOR), vector);
		if (inw(port(vp, LEG_QUEUE_VECTOR)) != vector)
			return vp_fail(vp, -EIO, "queue %u: the device refused MSI-X vector %u",
				       vq->index, vector);
	}
	outl(port(vp, LEG_QUEUE_PFN), (uint32_t)pfn);
	return 0;
}

static int l_config_vector(struct vp_dev *vp, uint16_t vector)
{
	outw(port(vp, LEG_CONFIG_VECTOR), vector);
	return inw(port(vp, LEG_CONFIG_VECTOR)) == vector ? 0 : -EIO;
}

static void l_notify(struct nk_virtq *vq)
{
	outw(port(to_vp(vq->vdev), LEG_QUEUE_NOTIFY), (uint16_t)vq->index);
}

/* The configuration moves by 4 bytes while MSI-X is enabled (4.1.4.8). */
static uint32_t l_cfg_read(struct vp_dev *vp, unsigned off, unsigned width)
{
	bool msix = vp->vdev.pdev->irq_type == NK_PCI_IRQ_MSIX;
	unsigned base = msix ? LEG_CONFIG_MSIX : LEG_CONFIG;

	if (base + off + width > vp->vdev.pdev->bar[0].size)
		return 0;
	if (width == 1)
		return inb(port(vp, base + off));
	if (width == 2)
		return inw(port(vp, base + off));
	return inl(port(vp, base + off));
}

static uint8_t l_cfg_generation(struct vp_dev *vp __nk_unused)
{
	return 0;
}

static const struct vp_ops legacy_ops = {
	.get_status = l_get_status,
	.set_status = l_set_status,
	.get_features = l_get_features,
	.set_features = l_set_features,
	.read_isr = l_read_isr,
	.queue_size = l_queue_size,
	.queue_enable = l_queue_enable,
	.config_vector = l_config_vector,
	.notify = l_notify,
	.cfg_read = l_cfg_read,
	.cfg_generation = l_cfg_generation,
	.can_resize = false,
	.setup_irqs = vp_pci_setup_irqs,
};

int vp_legacy_init(struct vp_dev *vp)
{
	struct nk_pci_bar *bar = &vp->vdev.pdev->bar[0];

	if (!bar->io || bar->size < LEG_CONFIG || bar->base > UINT16_MAX - bar->size)
		return -ENODEV;
	vp->vdev.io = (uint16_t)bar->base;
	vp->vdev.modern = false;
	vp->ops = &legacy_ops;
	return 0;
}
