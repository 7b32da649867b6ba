/*
 * virtio-pci transport: one PCI driver for every virtio function (vendor 0x1af4, devices
 * 0x1000-0x107f). It picks the modern interface when the capabilities are there, else the
 * legacy one, resets the device, and hands it to the NK_VIRTIO_DRIVER of its type, which
 * negotiates features and creates its queues through the functions below (virtio 1.1 3.1.1).
 */
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>
#include <nautilus/thread.h>

#include "virtio_pci.h"

#define VIRTIO_VENDOR		0x1af4
#define VIRTIO_DEV_TRANSITIONAL 0x1000 /* 0x1000-0x103f: type in the subsystem id (4.1.2.1) */
#define VIRTIO_DEV_MODERN	0x1040 /* 0x1040-0x107f: 0x1040 + type */
#define VIRTIO_DEV_LAST		0x107f
#define CFG_RETRIES		100    /* configuration reads racing a generation change */
#define PCI_MSIX_CTRL		2      /* MSI-X capability: message control (PCI 3.0 6.8.2.3) */
#define PCI_MSIX_CTRL_SIZE	0x07ff /* table size minus one */

extern const struct nk_virtio_driver *const __nk_virtio_drivers_start[];
extern const struct nk_virtio_driver *const __nk_virtio_drivers_end[];

int vp_fail(struct vp_dev *vp, int err, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	va_start(ap, fmt);
	nk_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nk_dev_fail(&vp->vdev.pdev->dev, err, "virtio: %s", msg);
	return err;
}

static bool is_pow2(unsigned v)
{
	return v && !(v & (v - 1));
}

/* --- features, status, configuration --- */

int nk_virtio_negotiate(struct nk_virtio_dev *vdev, uint64_t wanted)
{
	struct vp_dev *vp = to_vp(vdev);
	uint64_t offered = vp->ops->get_features(vp);

	if (vdev->modern) {
		if (!(offered & (1ULL << NK_VIRTIO_F_VERSION_1)))
			return vp_fail(vp, -ENODEV, "modern device without VIRTIO_F_VERSION_1");
		wanted |= 1ULL << NK_VIRTIO_F_VERSION_1;
	} else {
		wanted &= UINT32_MAX;
	}
	vdev->features = offered & wanted;
	vp->ops->set_features(vp, vdev->features);
	if (!vdev->modern)
		return 0;
	vp->ops->set_status(vp, vp->ops->get_status(vp) | VIRTIO_STATUS_FEATURES_OK);
	if (!(vp->ops->get_status(vp) & VIRTIO_STATUS_FEATURES_OK))
		return vp_fail(vp, -ENODEV, "device refused features 0x%llx",
			       (unsigned long long)vdev->features);
	return 0;
}

void nk_virtio_driver_ok(struct nk_virtio_dev *vdev)
{
	struct vp_dev *vp = to_vp(vdev);

	vp->ops->set_status(vp, vp->ops->get_status(vp) | VIRTIO_STATUS_DRIVER_OK);
}

/* Read until the generation did not change across the read (4.1.4.3.1, 2.4.1). */
static uint64_t cfg_read(struct nk_virtio_dev *vdev, unsigned off, unsigned width)
{
	struct vp_dev *vp = to_vp(vdev);
	uint64_t v = 0, again;

	for (unsigned i = 0; i < CFG_RETRIES; i++) {
		uint8_t gen = vp->ops->cfg_generation(vp);

		if (width == 8)
			v = vp->ops->cfg_read(vp, off, 4) |
			    (uint64_t)vp->ops->cfg_read(vp, off + 4, 4) << 32;
		else
			v = vp->ops->cfg_read(vp, off, width);
		if (gen != vp->ops->cfg_generation(vp))
			continue;
		if (vdev->modern || width != 8)
			return v;
		/* Legacy has no generation: a 64-bit field is stable when read twice alike. */
		again = vp->ops->cfg_read(vp, off, 4) | (uint64_t)vp->ops->cfg_read(vp, off + 4, 4)
								<< 32;
		if (again == v)
			return v;
	}
	return v;
}

uint8_t nk_virtio_cfg_read8(struct nk_virtio_dev *vdev, unsigned off)
{
	return (uint8_t)cfg_read(vdev, off, 1);
}

uint16_t nk_virtio_cfg_read16(struct nk_virtio_dev *vdev, unsigned off)
{
	return (uint16_t)cfg_read(vdev, off, 2);
}

uint32_t nk_virtio_cfg_read32(struct nk_virtio_dev *vdev, unsigned off)
{
	return (uint32_t)cfg_read(vdev, off, 4);
}

uint64_t nk_virtio_cfg_read64(struct nk_virtio_dev *vdev, unsigned off)
{
	return cfg_read(vdev, off, 8);
}

/* --- interrupts --- */

static void vp_queue_irq(int vector __nk_unused, void *arg)
{
	struct nk_virtq *vq = arg;

	if (vq->callback)
		vq->callback(vq);
}

static void vp_config_irq(int vector __nk_unused, void *arg)
{
	struct nk_virtio_dev *vdev = arg;

	if (vdev->config_changed)
		vdev->config_changed(vdev);
}

/*
 * One interrupt for everything. Reading the ISR acknowledges it; on a shared INTx line a zero
 * ISR means another function interrupted. With a message interrupt every queue is looked at.
 */
static void vp_shared_irq(int vector __nk_unused, void *arg)
{
	struct vp_dev *vp = arg;
	uint8_t isr = vp->ops->read_isr(vp);

	if (vp->vdev.pdev->irq_type == NK_PCI_IRQ_INTX && !isr)
		return;
	for (unsigned i = 0; i < vp->vdev.nvqs; i++)
		vp_queue_irq(vector, &vp->vdev.vqs[i]);
	if (isr & VIRTIO_ISR_CONFIG)
		vp_config_irq(vector, &vp->vdev);
}

/* Entries of the function's MSI-X table (PCI 3.0 section 6.8.2.3), 0 without MSI-X. */
static unsigned msix_table_size(const struct nk_pci_dev *pdev)
{
	if (!pdev->msix_cap)
		return 0;
	return (nk_pci_read16(pdev, pdev->msix_cap + PCI_MSIX_CTRL) & PCI_MSIX_CTRL_SIZE) + 1;
}

int vp_pci_setup_irqs(struct vp_dev *vp, unsigned n)
{
	struct nk_virtio_dev *vdev = &vp->vdev;
	unsigned entries = msix_table_size(vdev->pdev);
	int r;

	if (entries >= n + 1) {
		vdev->irqs[0] = (struct nk_pci_irq){ vp_config_irq, vdev, NK_CPU_ANY };
		for (unsigned i = 0; i < n; i++)
			vdev->irqs[1 + i] =
				(struct nk_pci_irq){ vp_queue_irq, &vdev->vqs[i], NK_CPU_ANY };
		r = nk_pci_irq_setup(vdev->pdev, vdev->irqs, n + 1, NK_PCI_IRQ_MSIX);
		if (r == NK_PCI_IRQ_MSIX) {
			vp->irq_set = vp->irq_per_queue = true;
			return 0;
		}
	}
	if (entries && entries < n + 1)
		nk_dev_log(&vdev->pdev->dev, NK_LOG_INFO,
			   "virtio: MSI-X table of %u entries, %u wanted: one vector for all",
			   entries, n + 1);
	else if (entries)
		nk_dev_log(&vdev->pdev->dev, NK_LOG_WARN,
			   "virtio: %u MSI-X vectors not set up (%s): one interrupt for all", n + 1,
			   nk_strerror(r));
	vdev->irqs[0] = (struct nk_pci_irq){ vp_shared_irq, vp, NK_CPU_ANY };
	r = nk_pci_irq_setup(vdev->pdev, vdev->irqs, 1,
			     NK_PCI_IRQ_MSIX | NK_PCI_IRQ_MSI | NK_PCI_IRQ_INTX);
	if (r < 0)
		return vp_fail(vp, r, "no interrupt (%s)", nk_strerror(r));
	vp->irq_set = true;
	return 0;
}

/* The MSI-X table entry the device signals for queue q (-1: configuration). */
static uint16_t vp_vector(struct vp_dev *vp, int q)
{
	if (vp->irq_per_queue)
		return (uint16_t)(q + 1);
	return vp->vdev.pdev->irq_type == NK_PCI_IRQ_MSIX ? 0 : VIRTIO_NO_VECTOR;
}

/* --- queues --- */

/* The size queue i will have: the device's, capped at NK_VIRTQ_MAX_SIZE; or -errno. */
static int vp_queue_size(struct vp_dev *vp, unsigned i)
{
	uint16_t size = vp->ops->queue_size(vp, i);
	const char *name = vp->vdev.vqs[i].name;

	if (!size)
		return vp_fail(vp, -ENODEV, "queue %u (%s) has size 0", i, name);
	if (!is_pow2(size))
		return vp_fail(vp, -EIO, "queue %u (%s) size %u is not a power of two", i, name,
			       size);
	if (size <= NK_VIRTQ_MAX_SIZE)
		return size;
	if (!vp->ops->can_resize)
		return vp_fail(vp, -ENOTSUP, "queue %u (%s) size %u above the supported %u", i,
			       name, size, NK_VIRTQ_MAX_SIZE);
	return NK_VIRTQ_MAX_SIZE;
}

static int vp_setup_queue(struct vp_dev *vp, unsigned i, uint16_t size, nk_virtq_callback_t cb)
{
	struct nk_virtq *vq = &vp->vdev.vqs[i];
	void *mem = nk_malloc_aligned(vp_ring_bytes(size), 4096);
	int err;

	if (!mem)
		return vp_fail(vp, -ENOMEM, "no memory for queue %u", i);
	err = nk_virtq_init(vq, size, mem, (char *)mem + 16UL * size,
			    (char *)mem + vp_used_offset(size));
	if (err) {
		nk_free(mem);
		return vp_fail(vp, err, "queue %u: %s", i, nk_strerror(err));
	}
	vp->ring_mem[i] = mem;
	vq->notify = vp->ops->notify;
	err = vp->ops->queue_enable(vp, vq, vp_vector(vp, (int)i));
	if (err)
		return err;
	vq->callback = cb;
	return 0;
}

int nk_virtio_setup_queues(struct nk_virtio_dev *vdev, unsigned n,
			   const nk_virtq_callback_t *callbacks, const char *const *names)
{
	struct vp_dev *vp = to_vp(vdev);
	uint16_t sizes[NK_VIRTIO_MAX_QUEUES];
	int err;

	if (!n || n > NK_VIRTIO_MAX_QUEUES || vdev->vqs)
		return -EINVAL;
	vdev->vqs = nk_calloc(n, sizeof(*vdev->vqs));
	if (!vdev->vqs)
		return vp_fail(vp, -ENOMEM, "no memory for %u queues", n);
	vdev->nvqs = n;
	for (unsigned i = 0; i < n; i++) {
		vdev->vqs[i].vdev = vdev;
		vdev->vqs[i].index = i;
		nk_strlcpy(vdev->vqs[i].name, names[i], sizeof(vdev->vqs[i].name));
	}
	/* Sizes first: a device offering impossible queues is refused before anything is set up. */
	for (unsigned i = 0; i < n; i++) {
		int size = vp_queue_size(vp, i);

		if (size < 0) {
			nk_virtio_reset(vdev);
			return size;
		}
		sizes[i] = (uint16_t)size;
	}
	err = vp->ops->setup_irqs(vp, n);
	for (unsigned i = 0; !err && i < n; i++)
		err = vp_setup_queue(vp, i, sizes[i], callbacks[i]);
	if (!err && vp_vector(vp, -1) != VIRTIO_NO_VECTOR &&
	    vp->ops->config_vector(vp, vp_vector(vp, -1)))
		err = vp_fail(vp, -EIO, "the device refused the configuration MSI-X vector");
	if (err)
		nk_virtio_reset(vdev);
	return err;
}

void nk_virtio_stop(struct nk_virtio_dev *vdev)
{
	to_vp(vdev)->ops->set_status(to_vp(vdev), 0);
}

void nk_virtio_reset(struct nk_virtio_dev *vdev)
{
	struct vp_dev *vp = to_vp(vdev);

	vp->ops->set_status(vp, 0);
	if (vp->irq_set)
		nk_pci_irq_release(vdev->pdev);
	vp->irq_set = vp->irq_per_queue = false;
	for (unsigned i = 0; i < vdev->nvqs; i++) {
		if (vp->ring_mem[i]) {
			nk_virtq_fini(&vdev->vqs[i]);
			nk_free(vp->ring_mem[i]);
			vp->ring_mem[i] = NULL;
		}
	}
	nk_free(vdev->vqs);
	vdev->vqs = NULL;
	vdev->nvqs = 0;
}

/* --- the PCI driver --- */

/* The virtio device type of the function, 0 if it is not a virtio device. */
static uint16_t vp_device_type(const struct nk_pci_dev *pdev)
{
	if (pdev->device >= VIRTIO_DEV_MODERN && pdev->device <= VIRTIO_DEV_LAST)
		return pdev->device - VIRTIO_DEV_MODERN;
	if (pdev->device >= VIRTIO_DEV_TRANSITIONAL && pdev->device < VIRTIO_DEV_MODERN)
		return pdev->subsys_device;
	return 0;
}

static const struct nk_virtio_driver *vp_find_driver(uint16_t type)
{
	for (const struct nk_virtio_driver *const *d = __nk_virtio_drivers_start;
	     d < __nk_virtio_drivers_end; d++)
		if ((*d)->device_id == type)
			return *d;
	return NULL;
}

/* Reset, ACKNOWLEDGE, DRIVER, then the type's driver (3.1.1). */
static int vp_probe(struct nk_pci_dev *pdev, const struct nk_pci_id *id __nk_unused)
{
	uint16_t type = vp_device_type(pdev);
	const struct nk_virtio_driver *drv = vp_find_driver(type);
	struct vp_dev *vp;
	int err;

	if (!type)
		return -ENODEV;
	if (!drv) {
		nk_dev_log(&pdev->dev, NK_LOG_INFO, "virtio device type %u: no driver", type);
		return -ENODEV;
	}
	vp = nk_calloc(1, sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	vp->vdev.pdev = pdev;
	vp->vdev.device_id = type;
	vp->driver = drv;
	nk_pci_enable(pdev);
	err = vp_modern_init(vp);
	if (err == -ENOENT)
		err = vp_legacy_init(vp);
	if (err) {
		vp_fail(vp, err, "neither modern capabilities nor a legacy I/O BAR");
		goto err_free;
	}
	pdev->drvdata = vp;
	vp->ops->set_status(vp, 0);
	vp->ops->set_status(vp, VIRTIO_STATUS_ACKNOWLEDGE);
	vp->ops->set_status(vp, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	err = drv->probe(&vp->vdev);
	if (err)
		goto err_reset;
	nk_dev_log(&pdev->dev, NK_LOG_INFO, "virtio %s (%s, %s), features 0x%llx", drv->name,
		   vp->vdev.modern ? "modern" : "legacy", pdev->dev.irq,
		   (unsigned long long)vp->vdev.features);
	return 0;

err_reset:
	nk_virtio_reset(&vp->vdev);
	vp->ops->set_status(vp, VIRTIO_STATUS_FAILED);
	pdev->drvdata = NULL;
err_free:
	nk_free(vp);
	return err;
}

static void vp_remove(struct nk_pci_dev *pdev)
{
	struct vp_dev *vp = pdev->drvdata;

	if (!vp)
		return;
	if (vp->driver->remove)
		vp->driver->remove(&vp->vdev);
	nk_virtio_reset(&vp->vdev);
	pdev->drvdata = NULL;
	nk_free(vp);
}

static const struct nk_pci_id vp_ids[] = {
	{ VIRTIO_VENDOR, NK_PCI_ANY_ID, 0, 0, NULL },
	{ 0 },
};

static const struct nk_pci_driver virtio_pci_driver = {
	.name = "virtio-pci",
	.ids = vp_ids,
	.probe = vp_probe,
	.remove = vp_remove,
};
NK_PCI_DRIVER(virtio_pci_driver);
