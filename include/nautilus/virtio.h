/*
 * virtio 1.x over PCI (virtio spec 1.1, section 4.1): the transport is one PCI driver for every
 * virtio function (vendor 0x1af4); it finds the modern capabilities (common, notify, ISR, device
 * configuration) or falls back to the legacy I/O interface, then hands the device to the
 * virtio driver registered for its device type (NK_VIRTIO_DRIVER: 1 net, 2 block).
 * Split virtqueues (section 2.6) with virtq_add/virtq_kick/virtq_get; MSI-X with one vector
 * for configuration changes and one per queue when the function offers it, else one interrupt
 * whose ISR status says which.
 */
#ifndef NK_NAUTILUS_VIRTIO_H
#define NK_NAUTILUS_VIRTIO_H

#include <nautilus/pci.h>
#include <nautilus/spinlock.h>

#define NK_VIRTIO_ID_NET 1
#define NK_VIRTIO_ID_BLK 2

/* Feature bits the transport knows (device-type bits are the drivers'). */
#define NK_VIRTIO_F_VERSION_1	      32
#define NK_VIRTIO_F_RING_EVENT_IDX    29
#define NK_VIRTIO_F_RING_INDIRECT_DESC 28

/* Split virtqueue layout (virtio 1.1 section 2.6). */
#define NK_VIRTQ_DESC_F_NEXT	 1
#define NK_VIRTQ_DESC_F_WRITE	 2
#define NK_VIRTQ_USED_F_NO_NOTIFY 1
#define NK_VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define NK_VIRTQ_MAX_SIZE	 1024 /* larger queues offered by a device are used at this size */
#define NK_VIRTIO_MAX_QUEUES	 8

struct nk_virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
struct nk_virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};
struct nk_virtq_used_elem {
	uint32_t id;
	uint32_t len;
};
struct nk_virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct nk_virtq_used_elem ring[];
};

struct nk_virtio_dev;
struct nk_virtq;

/* Called in interrupt context when the device used buffers of vq (or from the ISR fallback). */
typedef void (*nk_virtq_callback_t)(struct nk_virtq *vq);

/*
 * One split virtqueue. The ring memory and the bookkeeping are the transport's; the ring
 * functions (src/dev/virtio/virtq.c) need no transport and are tested on the host.
 * Callers serialize virtq_add/virtq_kick/virtq_get on one queue (vq->lock is theirs to use).
 */
struct nk_virtq {
	struct nk_virtio_dev *vdev; /* NULL in host tests */
	unsigned index;
	uint16_t size; /* descriptors, a power of two */
	struct nk_virtq_desc *desc;
	struct nk_virtq_avail *avail;
	struct nk_virtq_used *used;
	uint16_t free_head, num_free;
	uint16_t avail_idx;  /* next avail->idx to publish */
	uint16_t last_used;  /* used->idx seen so far */
	uint16_t pending;    /* added since the last kick */
	bool broken;	     /* the device wrote something impossible; every call fails */
	void **cookies;	     /* per head descriptor: what virtq_add was given */
	uint16_t *chain_len; /* per head descriptor: descriptors in its chain */
	void (*notify)(struct nk_virtq *vq); /* the transport's doorbell */
	nk_virtq_callback_t callback;
	void *priv; /* the virtio driver's */
	struct nk_spinlock lock;
	char name[32]; /* "blk0.requestq": for messages */
};

/* A buffer of a chain: out (device reads it) or in (device writes it). */
struct nk_virtq_buf {
	void *addr;
	uint32_t len;
};

/*
 * Lay out a queue of `size` descriptors (a power of two, 1..32768) in ring memory the caller
 * provides: desc at desc_mem (16 * size bytes, 16-aligned), avail (6 + 2 * size, 2-aligned),
 * used (6 + 8 * size, 4-aligned); allocates cookies and chain_len. 0, -EINVAL, -ENOMEM.
 * nk_virtq_fini frees what init allocated.
 */
int nk_virtq_init(struct nk_virtq *vq, uint16_t size, void *desc_mem, void *avail_mem,
		  void *used_mem);
void nk_virtq_fini(struct nk_virtq *vq);
/*
 * Put a chain of `out` device-readable buffers followed by `in` device-writable ones on the
 * available ring (not yet visible to a device that is not kicked). 0, -ENOSPC (not enough free
 * descriptors), -EINVAL (no buffers, NULL cookie), -EIO (the queue is broken).
 */
int nk_virtq_add(struct nk_virtq *vq, const struct nk_virtq_buf *bufs, unsigned out, unsigned in,
		 void *cookie);
/* Publish what was added and ring the doorbell unless the device asked not to be notified. */
void nk_virtq_kick(struct nk_virtq *vq);
/*
 * Take one used chain: 1 with its cookie and the bytes the device wrote, 0 if none is waiting,
 * -EIO if the device wrote an impossible used entry (index jumped by more than the queue size,
 * id out of range or not a chain in flight): the queue is marked broken and the message names it.
 */
int nk_virtq_get(struct nk_virtq *vq, void **cookie, uint32_t *len);
/* Interrupt suppression hints (VIRTQ_AVAIL_F_NO_INTERRUPT). */
void nk_virtq_disable_cb(struct nk_virtq *vq);
/* Re-enable; returns true if used buffers arrived meanwhile (the caller polls again). */
bool nk_virtq_enable_cb(struct nk_virtq *vq);

struct nk_virtio_dev {
	struct nk_pci_dev *pdev;
	uint16_t device_id; /* NK_VIRTIO_ID_* */
	bool modern;
	uint64_t features; /* negotiated */
	/* modern: mapped structures of the capabilities */
	volatile void *common;
	volatile uint8_t *isr;
	volatile uint8_t *devcfg;
	volatile uint8_t *notify_base;
	uint32_t notify_mul;
	/* legacy: I/O port base of BAR0 */
	uint16_t io;
	unsigned nvqs;
	struct nk_virtq *vqs;
	void (*config_changed)(struct nk_virtio_dev *vdev); /* the driver's, may be NULL */
	void *priv;					     /* the virtio driver's */
	struct nk_pci_irq irqs[NK_VIRTIO_MAX_QUEUES + 1]; /* config + one per queue */
};

/* A driver for one virtio device type, bound by the transport. */
struct nk_virtio_driver {
	const char *name;
	uint16_t device_id;
	/* Called after reset, ACKNOWLEDGE and DRIVER: negotiate, set up queues, DRIVER_OK. */
	int (*probe)(struct nk_virtio_dev *vdev);
	/* Undo probe: unregister, nk_virtio_reset, free. NULL: the transport only resets. */
	void (*remove)(struct nk_virtio_dev *vdev);
};
#define NK_VIRTIO_DRIVER(var)                                                     \
	static const struct nk_virtio_driver *const __nk_virtio_driver_##var __nk_used \
		__nk_section(".nk_virtio_drivers") __nk_aligned(8) = &var

/*
 * Offer-and-accept: features = offered & wanted (VERSION_1 always wanted on a modern device);
 * sets FEATURES_OK and checks the device kept it. 0 or -ENODEV (refused: the device is failed).
 */
int nk_virtio_negotiate(struct nk_virtio_dev *vdev, uint64_t wanted);
static inline bool nk_virtio_has(const struct nk_virtio_dev *vdev, unsigned bit)
{
	return vdev->features & (1ULL << bit);
}
/*
 * Create queues 0..n-1 (each at the device's size, capped at NK_VIRTQ_MAX_SIZE, refused if 0
 * or not a power of two), with callbacks[i] and interrupts: MSI-X (config + one per queue) if
 * offered, else one shared interrupt. 0 or -errno (the device is failed, with a message).
 */
int nk_virtio_setup_queues(struct nk_virtio_dev *vdev, unsigned n,
			   const nk_virtq_callback_t *callbacks, const char *const *names);
/* DRIVER_OK: the device may now use the queues. */
void nk_virtio_driver_ok(struct nk_virtio_dev *vdev);
/* Device-specific configuration (little-endian fields), read consistently (config generation). */
uint8_t nk_virtio_cfg_read8(struct nk_virtio_dev *vdev, unsigned off);
uint16_t nk_virtio_cfg_read16(struct nk_virtio_dev *vdev, unsigned off);
uint32_t nk_virtio_cfg_read32(struct nk_virtio_dev *vdev, unsigned off);
uint64_t nk_virtio_cfg_read64(struct nk_virtio_dev *vdev, unsigned off);
/*
 * Reset the device now (status 0), from any context, interrupt handlers included: it no longer
 * touches its queues or their buffers, so a driver whose queue broke may complete and free
 * what the device held. Queues and interrupts stay allocated until nk_virtio_reset.
 */
void nk_virtio_stop(struct nk_virtio_dev *vdev);
/* Reset the device (status 0) and release its queues and interrupts: probe failure, remove. */
void nk_virtio_reset(struct nk_virtio_dev *vdev);

#endif
