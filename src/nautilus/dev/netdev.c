/*
 * The network-device class: checks every frame in and out against the device's MTU, keeps the
 * receive statistics, and hands received frames to the callback or to the polled queue that
 * nk_net_recv reads. Drivers only move frames between their rings and this layer.
 */
#include <nautilus/arch.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/netdev.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>
#include <nautilus/time.h>

/*
 * A sender waiting for TX room looks at the device's state again this often, so a device that
 * failed or lost its link while the ring was full does not keep it asleep for ever.
 */
#define TX_RECHECK_NS 100000000ULL

static size_t max_frame(const struct nk_net_dev *ndev)
{
	return ndev->mtu + NK_ETH_HLEN;
}

/*
 * Bad frames are reported, but a flood of them must not flood the log: the first 8, then the
 * 16th, 32nd, ... of each counter.
 */
static bool worth_logging(uint64_t count)
{
	return count <= 8 || !(count & (count - 1));
}

int nk_net_dev_register(struct nk_net_dev *ndev, const struct nk_net_dev_ops *ops)
{
	int err;

	if (!ops || !ops->send || !ndev->mtu)
		return -EINVAL;
	ndev->rxq = nk_malloc(NK_NET_RXQ_LEN * sizeof(*ndev->rxq));
	if (!ndev->rxq)
		return -ENOMEM;
	ndev->rxq_head = ndev->rxq_count = 0;
	ndev->rx_fn = NULL;
	ndev->rx_arg = NULL;
	nk_waitqueue_init(&ndev->rx_wait);
	nk_waitqueue_init(&ndev->tx_wait);
	ndev->dev.cls = NK_DEV_NET;
	ndev->dev.ops = ops;
	err = nk_dev_register(&ndev->dev);
	if (err)
		goto err_free_rxq;
	return 0;

err_free_rxq:
	nk_free(ndev->rxq);
	ndev->rxq = NULL;
	return err;
}

void nk_net_dev_unregister(struct nk_net_dev *ndev)
{
	nk_dev_unregister(&ndev->dev);
	nk_free(ndev->rxq);
	ndev->rxq = NULL;
}

struct nk_net_dev *nk_net_dev_find(const char *name)
{
	struct nk_dev *d = nk_dev_find_class(name, NK_DEV_NET);

	return d ? NK_CONTAINER_OF(d, struct nk_net_dev, dev) : NULL;
}

struct mac_search {
	const uint8_t *mac;
	struct nk_net_dev *found;
};

static int match_mac(struct nk_dev *dev, void *arg)
{
	struct nk_net_dev *ndev = NK_CONTAINER_OF(dev, struct nk_net_dev, dev);
	struct mac_search *search = arg;

	if (memcmp(ndev->mac, search->mac, NK_ETH_ALEN))
		return 0;
	search->found = ndev;
	return 1;
}

struct nk_net_dev *nk_net_dev_find_mac(const uint8_t mac[NK_ETH_ALEN])
{
	struct mac_search search = { mac, NULL };

	nk_dev_for_each(NK_DEV_NET, match_mac, &search);
	return search.found;
}

/* Why a frame may not go out now (0: it may), checked before and after every wait. */
static int tx_refusal(const struct nk_net_dev *ndev)
{
	if (ndev->dev.state == NK_DEV_FAILED)
		return ndev->dev.error ? ndev->dev.error : -EIO;
	if (!ndev->link_up)
		return -ENETDOWN;
	return 0;
}

static int check_tx_frame(struct nk_net_dev *ndev, const void *frame, size_t len)
{
	if (!frame)
		return -EINVAL;
	if (len < NK_ETH_MIN_FRAME || len > max_frame(ndev)) {
		ndev->stats.tx_errors++;
		if (worth_logging(ndev->stats.tx_errors))
			nk_dev_log(
				&ndev->dev, NK_LOG_WARN,
				"frame of %zu bytes refused: a frame is %u to %zu bytes (mtu %u)",
				len, NK_ETH_MIN_FRAME, max_frame(ndev), ndev->mtu);
		return -EMSGSIZE;
	}
	return tx_refusal(ndev);
}

/*
 * The ring was full. Retry under tx_wait's lock, which nk_net_tx_room also takes, so room made
 * between the failed try and the sleep is not missed; sleep until woken or TX_RECHECK_NS.
 */
static int send_wait(struct nk_net_dev *ndev, const struct nk_net_dev_ops *ops, const void *frame,
		     size_t len)
{
	for (;;) {
		unsigned long flags = nk_spin_lock_irqsave(&ndev->tx_wait.lock);
		struct nk_waiter w;
		int err = tx_refusal(ndev);

		if (!err)
			err = ops->send(ndev, frame, len);
		if (err != -EAGAIN) {
			nk_spin_unlock_irqrestore(&ndev->tx_wait.lock, flags);
			return err;
		}
		nk_waitqueue_sleep(&ndev->tx_wait, &w, flags, nk_time_ns() + TX_RECHECK_NS);
	}
}

int nk_net_send(struct nk_net_dev *ndev, const void *frame, size_t len, int flags)
{
	const struct nk_net_dev_ops *ops = ndev->dev.ops;
	int err = check_tx_frame(ndev, frame, len);

	if (err)
		return err;
	err = ops->send(ndev, frame, len);
	/* With interrupts off (an interrupt handler, a spinlock held) nobody may sleep. */
	if (err != -EAGAIN || (flags & NK_NET_NONBLOCK) || !nk_arch_irqs_enabled())
		return err;
	return send_wait(ndev, ops, frame, len);
}

void nk_net_tx_room(struct nk_net_dev *ndev)
{
	nk_waitqueue_wake_all(&ndev->tx_wait);
}

static bool check_rx_frame(struct nk_net_dev *ndev, size_t len)
{
	if (len >= NK_ETH_MIN_FRAME && len <= max_frame(ndev))
		return true;
	ndev->stats.rx_errors++;
	if (worth_logging(ndev->stats.rx_errors))
		nk_dev_log(
			&ndev->dev, NK_LOG_WARN,
			"received frame of %zu bytes refused: a frame is %u to %zu bytes (mtu %u)",
			len, NK_ETH_MIN_FRAME, max_frame(ndev), ndev->mtu);
	return false;
}

/* Under rx_wait.lock: append to the polled queue and wake one reader; false if it is full. */
static bool rxq_push(struct nk_net_dev *ndev, const void *frame, size_t len)
{
	struct nk_net_rx_slot *slot;
	struct nk_waiter *w;

	if (ndev->rxq_count == NK_NET_RXQ_LEN)
		return false;
	slot = &ndev->rxq[(ndev->rxq_head + ndev->rxq_count) % NK_NET_RXQ_LEN];
	slot->len = len;
	memcpy(slot->data, frame, len);
	ndev->rxq_count++;
	w = nk_waitqueue_first(&ndev->rx_wait);
	if (w)
		nk_waitqueue_wake_locked(&ndev->rx_wait, w, 0);
	return true;
}

/*
 * rx_wait's lock guards the queue and the callback; the callback runs under it, so once
 * nk_net_set_rx returns, the old callback is not running anywhere and its argument may go.
 */
void nk_net_rx(struct nk_net_dev *ndev, const void *frame, size_t len)
{
	unsigned long flags;
	bool taken = true;

	if (!check_rx_frame(ndev, len))
		return;
	flags = nk_spin_lock_irqsave(&ndev->rx_wait.lock);
	if (ndev->rx_fn)
		ndev->rx_fn(ndev, frame, len, ndev->rx_arg);
	else
		taken = rxq_push(ndev, frame, len);
	if (taken) {
		ndev->stats.rx_packets++;
		ndev->stats.rx_bytes += len;
	} else {
		ndev->stats.rx_drops++;
	}
	nk_spin_unlock_irqrestore(&ndev->rx_wait.lock, flags);
}

/* Under rx_wait.lock, with a frame queued: copy out the oldest and drop it from the queue. */
static long rxq_pop(struct nk_net_dev *ndev, void *buf, size_t size)
{
	struct nk_net_rx_slot *slot = &ndev->rxq[ndev->rxq_head];
	size_t n = NK_MIN(size, (size_t)slot->len);

	memcpy(buf, slot->data, n);
	ndev->rxq_head = (ndev->rxq_head + 1) % NK_NET_RXQ_LEN;
	ndev->rxq_count--;
	return n;
}

long nk_net_recv(struct nk_net_dev *ndev, void *buf, size_t size, uint64_t timeout_ns, int flags)
{
	uint64_t deadline = timeout_ns ? nk_time_ns() + timeout_ns : 0;

	if (!buf && size)
		return -EINVAL;
	for (;;) {
		unsigned long irq = nk_spin_lock_irqsave(&ndev->rx_wait.lock);
		struct nk_waiter w;
		int err;

		if (ndev->rxq_count) {
			long n = rxq_pop(ndev, buf, size);

			nk_spin_unlock_irqrestore(&ndev->rx_wait.lock, irq);
			return n;
		}
		err = ndev->dev.state == NK_DEV_FAILED ? ndev->dev.error : 0;
		if (!err && ((flags & NK_NET_NONBLOCK) || !nk_arch_irqs_enabled()))
			err = -EAGAIN;
		if (err) {
			nk_spin_unlock_irqrestore(&ndev->rx_wait.lock, irq);
			return err;
		}
		err = nk_waitqueue_sleep(&ndev->rx_wait, &w, irq, deadline);
		if (err)
			return err;
	}
}

void nk_net_set_rx(struct nk_net_dev *ndev, nk_net_rx_fn fn, void *arg)
{
	unsigned long flags = nk_spin_lock_irqsave(&ndev->rx_wait.lock);

	ndev->rx_fn = fn;
	ndev->rx_arg = arg;
	nk_spin_unlock_irqrestore(&ndev->rx_wait.lock, flags);
}

void nk_net_rx_flush(struct nk_net_dev *ndev)
{
	unsigned long flags = nk_spin_lock_irqsave(&ndev->rx_wait.lock);

	ndev->rxq_head = ndev->rxq_count = 0;
	nk_spin_unlock_irqrestore(&ndev->rx_wait.lock, flags);
}
