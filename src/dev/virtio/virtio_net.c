/*
 * virtio-net (virtio 1.1 section 5.1): one receive and one transmit queue, no offloads (no
 * CSUM, GUEST_CSUM, TSO or MRG_RXBUF: every frame is whole in one buffer after a header that is
 * all zeros). Buffers are allocated once at probe and frames are copied in and out. RX is
 * interrupt-driven with at most RX_BUDGET frames per interrupt; beyond that the queue's
 * interrupts are suppressed and a timer on the CPU's timer thread polls the rest, then
 * re-enables them (and polls again if frames arrived meanwhile). TX buffers are reclaimed when
 * the ring runs out; TX interrupts are wanted only while a sender waits for room.
 */
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/netdev.h>
#include <nautilus/printk.h>
#include <nautilus/random.h>
#include <nautilus/string.h>
#include <nautilus/thread.h>
#include <nautilus/time.h>
#include <nautilus/timer.h>
#include <nautilus/virtio.h>

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_MAC    5  /* the device has a MAC address in its configuration */
#define VIRTIO_NET_F_STATUS 16 /* the configuration has a link status field */
#define VIRTIO_F_ANY_LAYOUT 27 /* legacy: header and frame may share a descriptor (5.1.6.6) */
#define FEATURES \
	((1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) | (1ULL << VIRTIO_F_ANY_LAYOUT))

/* struct virtio_net_config (5.1.4). */
#define NET_CFG_MAC	     0 /* u8[6] */
#define NET_CFG_STATUS	     6 /* le16 */
#define VIRTIO_NET_S_LINK_UP 1

/*
 * struct virtio_net_hdr (5.1.6): flags, gso_type, hdr_len, gso_size, csum_start, csum_offset,
 * and num_buffers when VERSION_1 (or MRG_RXBUF) is negotiated; all zero: no offload, no GSO.
 */
#define HDR_LEN_MODERN 12
#define HDR_LEN_LEGACY 10

#define QUEUE_RX  0    /* receiveq1 (5.1.2) */
#define QUEUE_TX  1    /* transmitq1 */
#define SLOT_SIZE 2048 /* a header and the largest frame (1526 bytes, 5.1.6.3.1) */
#define RX_BUDGET 64

struct vnet {
	struct nk_net_dev ndev; /* first */
	struct nk_virtio_dev *vdev;
	unsigned hdr_len;
	unsigned descs; /* per frame: 2 when a legacy device wants the header apart (5.1.6.6) */

	struct nk_virtq *rxq; /* rxq->lock: the RX ring and the poll state */
	uint8_t *rx_slots;
	unsigned rx_nslots;
	bool rx_polling; /* the timer owns the queue; its interrupts are off */
	bool removing;	 /* vnet_remove: the poll timer is not armed again */
	struct nk_timer rx_timer;

	struct nk_virtq *txq; /* txq->lock: the TX ring and the free slots */
	uint8_t *tx_slots;
	uint8_t **tx_free; /* stack of free slots */
	unsigned tx_nslots, tx_nfree;
	bool tx_stalled; /* a sender found no slot: TX interrupts on until one frees */
};

/* The device broke a queue: reset it, so it stops using the rings and buffers, and fail it. */
static void vnet_fail(struct vnet *vn, int err, const char *what)
{
	if (vn->ndev.dev.state != NK_DEV_OK)
		return;
	nk_virtio_stop(vn->vdev);
	nk_dev_fail(&vn->ndev.dev, err, "%s: the device broke its queue; device reset", what);
}

/* The header then the frame, in one descriptor or two. */
static unsigned slot_bufs(struct vnet *vn, uint8_t *slot, uint32_t frame_len,
			  struct nk_virtq_buf *bufs)
{
	if (vn->descs == 1) {
		bufs[0] = (struct nk_virtq_buf){ slot, vn->hdr_len + frame_len };
		return 1;
	}
	bufs[0] = (struct nk_virtq_buf){ slot, vn->hdr_len };
	bufs[1] = (struct nk_virtq_buf){ slot + vn->hdr_len, frame_len };
	return 2;
}

/* --- receive --- */

/* Under rxq->lock: give a slot to the device for a frame. */
static int rx_post(struct vnet *vn, uint8_t *slot)
{
	struct nk_virtq_buf bufs[2];
	unsigned n = slot_bufs(vn, slot, NK_ETH_MTU + NK_ETH_HLEN, bufs);

	return nk_virtq_add(vn->rxq, bufs, 0, n, slot);
}

/* One used RX slot: hand its frame up, or count why not. */
static void rx_frame(struct vnet *vn, const uint8_t *slot, uint32_t len)
{
	if (len < vn->hdr_len || len > vn->hdr_len + NK_ETH_MTU + NK_ETH_HLEN) {
		vn->ndev.stats.rx_errors++;
		nk_dev_log(&vn->ndev.dev, NK_LOG_WARN,
			   "device wrote %u bytes into a buffer of a %u-byte header and %u bytes",
			   len, vn->hdr_len, NK_ETH_MTU + NK_ETH_HLEN);
		return;
	}
	nk_net_rx(&vn->ndev, slot + vn->hdr_len, len - vn->hdr_len);
}

/* Under rxq->lock: up to RX_BUDGET frames, their slots posted again. How many were taken. */
static unsigned rx_poll(struct vnet *vn)
{
	unsigned n = 0;
	void *slot;
	uint32_t len;
	int r;

	for (; n < RX_BUDGET; n++) {
		r = nk_virtq_get(vn->rxq, &slot, &len);
		if (r <= 0)
			break;
		rx_frame(vn, slot, len);
		r = rx_post(vn, slot); /* cannot lack room: the chain just came back */
		if (r < 0)
			break;
	}
	if (n < RX_BUDGET && r < 0) {
		vnet_fail(vn, -EIO, "RX");
		return 0;
	}
	if (n)
		nk_virtq_kick(vn->rxq);
	return n;
}

static void rx_timer_fn(void *arg);

/* Under rxq->lock: after a poll that took n frames, who polls next. */
static void rx_continue(struct vnet *vn, unsigned n)
{
	bool more = n == RX_BUDGET;

	if (!more && vn->rx_polling)
		more = nk_virtq_enable_cb(vn->rxq); /* frames that came meanwhile: keep polling */
	if (more && vn->ndev.dev.state == NK_DEV_OK && !vn->removing) {
		if (!vn->rx_polling)
			nk_virtq_disable_cb(vn->rxq);
		vn->rx_polling = true;
		if (!nk_timer_set(&vn->rx_timer, 0, NK_TIMER_THREAD, rx_timer_fn, vn, NK_CPU_ANY))
			return;
		nk_virtq_enable_cb(vn->rxq); /* no timer: the next frame's interrupt goes on */
	}
	vn->rx_polling = false;
}

/* The deferred half: the CPU's timer thread, with the queue's interrupts suppressed. */
static void rx_timer_fn(void *arg)
{
	struct vnet *vn = arg;
	unsigned long flags = nk_spin_lock_irqsave(&vn->rxq->lock);

	rx_continue(vn, rx_poll(vn));
	nk_spin_unlock_irqrestore(&vn->rxq->lock, flags);
}

static void rx_interrupt(struct nk_virtq *vq)
{
	struct vnet *vn = vq->priv;

	nk_spin_lock(&vq->lock);
	if (!vn->rx_polling)
		rx_continue(vn, rx_poll(vn));
	nk_spin_unlock(&vq->lock);
}

/* --- transmit --- */

/* Under txq->lock: take back the slots the device is done with. */
static int tx_reclaim(struct vnet *vn)
{
	void *slot;
	int r;

	while ((r = nk_virtq_get(vn->txq, &slot, NULL)) == 1)
		vn->tx_free[vn->tx_nfree++] = slot;
	if (r < 0)
		vnet_fail(vn, -EIO, "TX");
	return r;
}

/* Under txq->lock: a free slot, or NULL with TX interrupts on to say when one frees. */
static uint8_t *tx_slot(struct vnet *vn)
{
	if (!vn->tx_nfree && tx_reclaim(vn) < 0)
		return NULL;
	if (!vn->tx_nfree) {
		vn->tx_stalled = true;
		/* Used meanwhile: take it now rather than wait for an interrupt. */
		if (nk_virtq_enable_cb(vn->txq) && tx_reclaim(vn) < 0)
			return NULL;
	}
	if (!vn->tx_nfree)
		return NULL;
	return vn->tx_free[--vn->tx_nfree];
}

static int vnet_send(struct nk_net_dev *ndev, const void *frame, size_t len)
{
	struct vnet *vn = (struct vnet *)ndev;
	struct nk_virtq_buf bufs[2];
	unsigned long flags = nk_spin_lock_irqsave(&vn->txq->lock);
	uint8_t *slot = tx_slot(vn);
	int err;

	if (!slot) {
		nk_spin_unlock_irqrestore(&vn->txq->lock, flags);
		return ndev->dev.state == NK_DEV_OK ? -EAGAIN : ndev->dev.error;
	}
	memcpy(slot + vn->hdr_len, frame, len);
	if (len < NK_ETH_ZLEN) { /* what goes on the wire, as a receiver will count it */
		memset(slot + vn->hdr_len + len, 0, NK_ETH_ZLEN - len);
		len = NK_ETH_ZLEN;
	}
	err = nk_virtq_add(vn->txq, bufs, slot_bufs(vn, slot, len, bufs), 0, slot);
	if (err) {
		vn->tx_free[vn->tx_nfree++] = slot;
		vnet_fail(vn, err, "TX");
		nk_spin_unlock_irqrestore(&vn->txq->lock, flags);
		return ndev->dev.error;
	}
	nk_virtq_kick(vn->txq);
	ndev->stats.tx_packets++;
	ndev->stats.tx_bytes += len;
	nk_spin_unlock_irqrestore(&vn->txq->lock, flags);
	return 0;
}

/* Interrupt: slots freed while a sender waits. */
static void tx_interrupt(struct nk_virtq *vq)
{
	struct vnet *vn = vq->priv;
	bool room = false;

	nk_spin_lock(&vq->lock);
	if (vn->tx_stalled) {
		tx_reclaim(vn);
		room = vn->tx_nfree || vn->ndev.dev.state != NK_DEV_OK;
		if (room) {
			vn->tx_stalled = false;
			nk_virtq_disable_cb(vq);
		}
	}
	nk_spin_unlock(&vq->lock);
	if (room)
		nk_net_tx_room(&vn->ndev);
}

/* --- configuration --- */

static bool link_status(struct vnet *vn)
{
	if (!nk_virtio_has(vn->vdev, VIRTIO_NET_F_STATUS))
		return true; /* without the field the link is always up (5.1.4.2) */
	return nk_virtio_cfg_read16(vn->vdev, NET_CFG_STATUS) & VIRTIO_NET_S_LINK_UP;
}

static void vnet_config_changed(struct nk_virtio_dev *vdev)
{
	struct vnet *vn = vdev->priv;
	bool up = link_status(vn);

	if (up != vn->ndev.link_up)
		nk_dev_log(&vn->ndev.dev, NK_LOG_INFO, "link %s", up ? "up" : "down");
	vn->ndev.link_up = up;
	if (up)
		nk_net_tx_room(&vn->ndev); /* senders waiting for room look at the link again */
}

/* The device's MAC, or a random locally administered one (5.1.5). */
static void read_mac(struct vnet *vn)
{
	uint8_t *mac = vn->ndev.mac;
	uint64_t seed, r;

	if (nk_virtio_has(vn->vdev, VIRTIO_NET_F_MAC)) {
		for (unsigned i = 0; i < NK_ETH_ALEN; i++)
			mac[i] = nk_virtio_cfg_read8(vn->vdev, NET_CFG_MAC + i);
		return;
	}
	seed = nk_time_ns() ^ (uint64_t)(uintptr_t)vn ^ 0x9e3779b97f4a7c15ULL;
	r = nk_xorshift64(&seed);
	for (unsigned i = 0; i < NK_ETH_ALEN; i++)
		mac[i] = r >> (8 * i);
	mac[0] = (mac[0] & ~1u) | 2u; /* unicast, locally administered */
	nk_dev_log(&vn->ndev.dev, NK_LOG_INFO, "no MAC from the device: using a random one");
}

/* --- probe --- */

static int alloc_slots(struct vnet *vn)
{
	vn->rx_nslots = vn->rxq->size / vn->descs;
	vn->tx_nslots = vn->txq->size / vn->descs;
	vn->rx_slots = nk_malloc_aligned((size_t)vn->rx_nslots * SLOT_SIZE, NK_PAGE_SIZE);
	vn->tx_slots = nk_calloc(vn->tx_nslots, SLOT_SIZE);
	vn->tx_free = nk_malloc(vn->tx_nslots * sizeof(*vn->tx_free));
	if (!vn->rx_slots || !vn->tx_slots || !vn->tx_free)
		return -ENOMEM;
	memset(vn->rx_slots, 0, (size_t)vn->rx_nslots * SLOT_SIZE);
	for (unsigned i = 0; i < vn->tx_nslots; i++)
		vn->tx_free[i] = vn->tx_slots + (size_t)i * SLOT_SIZE;
	vn->tx_nfree = vn->tx_nslots;
	return 0;
}

static void free_slots(struct vnet *vn)
{
	nk_free(vn->rx_slots);
	nk_free(vn->tx_slots);
	nk_free(vn->tx_free);
}

/* Every RX slot on the ring (made visible by the kick after DRIVER_OK). */
static int fill_rx(struct vnet *vn)
{
	for (unsigned i = 0; i < vn->rx_nslots; i++) {
		int err = rx_post(vn, vn->rx_slots + (size_t)i * SLOT_SIZE);

		if (err)
			return err;
	}
	return 0;
}

static int setup_queues(struct vnet *vn)
{
	static const nk_virtq_callback_t callbacks[2] = { rx_interrupt, tx_interrupt };
	char rxname[NK_DEV_NAME_MAX + 4], txname[NK_DEV_NAME_MAX + 4];
	const char *names[2] = { rxname, txname };
	int err;

	nk_snprintf(rxname, sizeof(rxname), "%s.rx", vn->ndev.dev.name);
	nk_snprintf(txname, sizeof(txname), "%s.tx", vn->ndev.dev.name);
	err = nk_virtio_setup_queues(vn->vdev, 2, callbacks, names);
	if (err)
		return err;
	vn->rxq = &vn->vdev->vqs[QUEUE_RX];
	vn->txq = &vn->vdev->vqs[QUEUE_TX];
	vn->rxq->priv = vn;
	vn->txq->priv = vn;
	nk_virtq_disable_cb(vn->txq); /* wanted only while a sender waits */
	return 0;
}

static void init_ndev(struct vnet *vn)
{
	struct nk_net_dev *ndev = &vn->ndev;

	ndev->dev.driver = "virtio-net";
	ndev->dev.parent = &vn->vdev->pdev->dev;
	ndev->mtu = NK_ETH_MTU;
	nk_strlcpy(ndev->dev.irq, vn->vdev->pdev->dev.irq, sizeof(ndev->dev.irq));
	nk_timer_init(&vn->rx_timer, ndev->dev.name);
}

static void describe(struct vnet *vn)
{
	const uint8_t *m = vn->ndev.mac;

	nk_dev_log(&vn->ndev.dev, NK_LOG_INFO,
		   "%02x:%02x:%02x:%02x:%02x:%02x link %s, %s, %u-byte header, %u RX and %u TX "
		   "buffers, %s",
		   m[0], m[1], m[2], m[3], m[4], m[5], vn->ndev.link_up ? "up" : "down",
		   vn->vdev->modern ? "modern" : "legacy", vn->hdr_len, vn->rx_nslots,
		   vn->tx_nslots, vn->ndev.dev.irq);
}

static const struct nk_net_dev_ops vnet_ops = {
	.send = vnet_send,
};

static int vnet_probe(struct nk_virtio_dev *vdev)
{
	struct vnet *vn = nk_calloc(1, sizeof(*vn));
	unsigned long flags;
	int err;

	if (!vn)
		return -ENOMEM;
	vn->vdev = vdev;
	nk_dev_name_next("eth", vn->ndev.dev.name);
	err = nk_virtio_negotiate(vdev, FEATURES);
	if (err)
		goto err_free;
	vn->hdr_len = nk_virtio_has(vdev, NK_VIRTIO_F_VERSION_1) ? HDR_LEN_MODERN : HDR_LEN_LEGACY;
	vn->descs = vdev->modern || nk_virtio_has(vdev, VIRTIO_F_ANY_LAYOUT) ? 1 : 2;
	read_mac(vn);
	err = setup_queues(vn);
	if (err)
		goto err_free;
	err = alloc_slots(vn);
	if (!err)
		err = fill_rx(vn);
	if (err)
		goto err_reset;
	init_ndev(vn);
	err = nk_net_dev_register(&vn->ndev, &vnet_ops); /* link down: nothing is sent yet */
	if (err)
		goto err_reset;
	vdev->priv = vn;
	vdev->config_changed = vnet_config_changed;
	nk_virtio_driver_ok(vdev);
	vn->ndev.link_up = link_status(vn);
	flags = nk_spin_lock_irqsave(&vn->rxq->lock);
	nk_virtq_kick(vn->rxq);
	nk_spin_unlock_irqrestore(&vn->rxq->lock, flags);
	describe(vn);
	return 0;

err_reset:
	nk_virtio_reset(vdev);
	free_slots(vn);
err_free:
	nk_free(vn);
	return err;
}

static void vnet_remove(struct nk_virtio_dev *vdev)
{
	struct vnet *vn = vdev->priv;
	unsigned long flags = nk_spin_lock_irqsave(&vn->rxq->lock);

	vn->removing = true;
	nk_spin_unlock_irqrestore(&vn->rxq->lock, flags);
	nk_timer_cancel(&vn->rx_timer);
	nk_net_dev_unregister(&vn->ndev);
	vdev->config_changed = NULL;
	nk_virtio_reset(vdev);
	vdev->priv = NULL;
	free_slots(vn);
	nk_free(vn);
}

static const struct nk_virtio_driver virtio_net_driver = {
	.name = "virtio-net",
	.device_id = NK_VIRTIO_ID_NET,
	.probe = vnet_probe,
	.remove = vnet_remove,
};
NK_VIRTIO_DRIVER(virtio_net_driver);
