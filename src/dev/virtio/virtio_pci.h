/*
 * Private to the virtio-pci transport: the per-function state around struct nk_virtio_dev and
 * the register accessors that differ between the modern (virtio_pci_modern.c) and the legacy
 * (virtio_pci_legacy.c) interface.
 */
#ifndef NK_DEV_VIRTIO_VIRTIO_PCI_H
#define NK_DEV_VIRTIO_VIRTIO_PCI_H

#include <nautilus/virtio.h>

/* Device status bits (virtio 1.1 section 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01 /* the guest noticed the device */
#define VIRTIO_STATUS_DRIVER	  0x02 /* and has a driver for it */
#define VIRTIO_STATUS_DRIVER_OK	  0x04 /* the driver is ready */
#define VIRTIO_STATUS_FEATURES_OK 0x08 /* feature negotiation done (not legacy) */
#define VIRTIO_STATUS_FAILED	  0x80 /* the driver gave up on the device */

/* ISR status bits (4.1.4.5). */
#define VIRTIO_ISR_QUEUE  0x01 /* a queue has used buffers */
#define VIRTIO_ISR_CONFIG 0x02 /* the device configuration changed */

#define VIRTIO_NO_VECTOR 0xffff /* MSI-X vector register: no vector (4.1.5.1.2) */

struct vp_dev;

struct vp_ops {
	uint8_t (*get_status)(struct vp_dev *vp);
	/* Writing 0 resets the device and returns once the reset is complete. */
	void (*set_status)(struct vp_dev *vp, uint8_t status);
	uint64_t (*get_features)(struct vp_dev *vp);
	void (*set_features)(struct vp_dev *vp, uint64_t features);
	/* Read and clear the ISR status. */
	uint8_t (*read_isr)(struct vp_dev *vp);
	/* The size the device offers for queue q (0: no such queue). */
	uint16_t (*queue_size)(struct vp_dev *vp, unsigned q);
	/* Give the device queue vq (rings laid out by vp_alloc_ring) with its MSI-X vector. */
	int (*queue_enable)(struct vp_dev *vp, struct nk_virtq *vq, uint16_t vector);
	/* Configuration-change MSI-X vector; -EIO if the device refused it. */
	int (*config_vector)(struct vp_dev *vp, uint16_t vector);
	void (*notify)(struct nk_virtq *vq);
	/* Device-specific configuration, width 1, 2 or 4 bytes at off; 0 outside it. */
	uint32_t (*cfg_read)(struct vp_dev *vp, unsigned off, unsigned width);
	/* Configuration generation (modern; the legacy interface has none: 0). */
	uint8_t (*cfg_generation)(struct vp_dev *vp);
	/* Interrupts for n queues, setting irq_set and irq_per_queue (vp_pci_setup_irqs). */
	int (*setup_irqs)(struct vp_dev *vp, unsigned n);
	bool can_resize; /* the driver may ask for a smaller queue than offered */
};

struct vp_dev {
	struct nk_virtio_dev vdev; /* first: what the virtio drivers see */
	const struct vp_ops *ops;
	const struct nk_virtio_driver *driver;
	uint32_t devcfg_len; /* modern: length of the device configuration structure */
	uint32_t notify_len; /* modern: length of the notification structure */
	bool irq_set;	     /* nk_pci_irq_setup succeeded */
	bool irq_per_queue;  /* MSI-X: entry 0 configuration, entry 1 + i queue i */
	void *ring_mem[NK_VIRTIO_MAX_QUEUES];
	volatile uint16_t *notify_addr[NK_VIRTIO_MAX_QUEUES]; /* modern: each queue's doorbell */
};

static inline struct vp_dev *to_vp(struct nk_virtio_dev *vdev)
{
	return (struct vp_dev *)vdev;
}

/*
 * Ring layout used with both interfaces (the legacy one requires it, 4.1.4.8 and 2.6.2):
 * descriptors at 0, the available ring right after, the used ring on the next 4 KiB boundary.
 */
static inline size_t vp_used_offset(uint16_t size)
{
	return NK_ALIGN_UP(16UL * size + 6 + 2UL * size, 4096);
}

static inline size_t vp_ring_bytes(uint16_t size)
{
	return vp_used_offset(size) + NK_ALIGN_UP(6 + 8UL * size, 4096);
}

/* Find the modern capabilities: 0, -ENOENT (none: try legacy), -errno (unusable, logged). */
int vp_modern_init(struct vp_dev *vp);
/* Legacy I/O interface in BAR0: 0 or -ENODEV. */
int vp_legacy_init(struct vp_dev *vp);

/* MSI-X (configuration + one vector per queue) if the table has room, else one interrupt. */
int vp_pci_setup_irqs(struct vp_dev *vp, unsigned n);

/* Mark the PCI function failed with a message naming it; returns err. */
int vp_fail(struct vp_dev *vp, int err, const char *fmt, ...) __nk_printf(3, 4);

#endif
