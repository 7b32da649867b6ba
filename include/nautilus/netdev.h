/*
 * Network devices (virtio-net, e1000): Ethernet frames in and out. A frame here is the
 * destination MAC through the payload, without the FCS; at most mtu + NK_ETH_HLEN bytes.
 * Receiving is either by callback (set one, and every frame goes to it in interrupt context)
 * or, without a callback, through a bounded queue that threads read with nk_net_recv.
 */
#ifndef NK_NAUTILUS_NETDEV_H
#define NK_NAUTILUS_NETDEV_H

#include <nautilus/dev.h>
#include <nautilus/spinlock.h>
#include <nautilus/waitqueue.h>

#define NK_ETH_ALEN	 6
#define NK_ETH_HLEN	 14
#define NK_ETH_MTU	 1500
#define NK_ETH_MIN_FRAME 14  /* a header and no payload (devices pad to 60 on the wire) */
#define NK_ETH_ZLEN	 60  /* shortest frame on the wire (no FCS): drivers pad to it */
#define NK_NET_RXQ_LEN	 256 /* frames the polled queue holds before it drops */

struct nk_net_dev;

/*
 * Interrupt context, with the device's receive lock held: the callback must not call
 * nk_net_recv, nk_net_set_rx or nk_net_rx_flush on the same device (nk_net_send is fine).
 * frame is valid only during the call.
 */
typedef void (*nk_net_rx_fn)(struct nk_net_dev *ndev, const void *frame, size_t len, void *arg);

struct nk_net_dev_ops {
	/*
	 * Copy one frame (length already checked) into the device's TX ring and start it:
	 * 0, or -EAGAIN when the ring is full (the driver calls nk_net_tx_room when a slot frees).
	 * Any context; the driver serializes its own ring.
	 */
	int (*send)(struct nk_net_dev *ndev, const void *frame, size_t len);
};

struct nk_net_stats {
	uint64_t rx_packets, rx_bytes, rx_drops, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_drops, tx_errors;
};

struct nk_net_rx_slot {
	uint16_t len;
	uint8_t data[NK_ETH_MTU + NK_ETH_HLEN];
};

struct nk_net_dev {
	struct nk_dev dev; /* first: cls NK_DEV_NET, ops = struct nk_net_dev_ops */
	uint8_t mac[NK_ETH_ALEN];
	unsigned mtu; /* payload bytes, NK_ETH_MTU unless the device says otherwise */
	bool link_up; /* kept current by the driver */
	/*
	 * rx_* by nk_net_rx and the driver's error paths; tx_* by the driver, except tx_errors for
	 * the frames nk_net_send refuses (bad length). tx_bytes counts what goes on the wire: a
	 * frame padded to NK_ETH_ZLEN, as the receiver sees it.
	 */
	struct nk_net_stats stats;

	/* Generic layer's: receive callback and polled queue (both under rx_wait.lock), TX waiters. */
	nk_net_rx_fn rx_fn;
	void *rx_arg;
	struct nk_net_rx_slot *rxq; /* NK_NET_RXQ_LEN slots, allocated at registration */
	unsigned rxq_head, rxq_count;
	struct nk_waitqueue rx_wait, tx_wait;
};

/* flags for nk_net_send / nk_net_recv */
#define NK_NET_NONBLOCK 0x1

/*
 * Send one frame. Blocks (thread context) while the TX ring is full, unless NK_NET_NONBLOCK
 * or interrupts are off (then -EAGAIN). 0, -EMSGSIZE (longer than mtu + NK_ETH_HLEN, or
 * shorter than a header; counted in tx_errors, the message names the device), -EINVAL (NULL
 * frame), -ENETDOWN (link down), or the device's error if it failed.
 */
int nk_net_send(struct nk_net_dev *ndev, const void *frame, size_t len, int flags);
/*
 * Take the oldest queued frame (when no callback is set): its length, copied into buf (a
 * longer frame is cut to size and still consumed). Blocks up to timeout_ns (0: forever) unless
 * NK_NET_NONBLOCK; -EAGAIN (nothing, non-blocking), -ETIMEDOUT, or the device's error.
 */
long nk_net_recv(struct nk_net_dev *ndev, void *buf, size_t size, uint64_t timeout_ns, int flags);
/*
 * Set (or with NULL clear) the receive callback; frames still queued stay for nk_net_recv.
 * When it returns, the previous callback is not running on any CPU.
 */
void nk_net_set_rx(struct nk_net_dev *ndev, nk_net_rx_fn fn, void *arg);
/* Drop every queued frame (tests start from an empty queue). */
void nk_net_rx_flush(struct nk_net_dev *ndev);

/*
 * Drivers: register ndev (dev.name, mac, mtu, link_up set): 0 or -errno (-ENOMEM for the queue).
 * nk_net_rx hands over one received frame from the interrupt handler (counts it; refuses and
 * counts as an rx_error a frame longer than mtu + NK_ETH_HLEN, naming the device).
 * nk_net_tx_room: TX slots were freed; wakes senders waiting for room.
 */
int nk_net_dev_register(struct nk_net_dev *ndev, const struct nk_net_dev_ops *ops);
/* Undo nk_net_dev_register (a probe failing late, a driver's remove): frees the queue. */
void nk_net_dev_unregister(struct nk_net_dev *ndev);
void nk_net_rx(struct nk_net_dev *ndev, const void *frame, size_t len);
void nk_net_tx_room(struct nk_net_dev *ndev);
/* The registered net device with this name, or NULL. */
struct nk_net_dev *nk_net_dev_find(const char *name);
/* The first registered net device with this MAC address, or NULL. */
struct nk_net_dev *nk_net_dev_find_mac(const uint8_t mac[NK_ETH_ALEN]);

#endif
