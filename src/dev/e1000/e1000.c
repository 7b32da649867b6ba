/*
 * Intel 8254x gigabit Ethernet (QEMU's -device e1000 is an 82540EM): one TX and one RX ring of
 * legacy descriptors with buffers allocated once at probe, frames copied in and out (no
 * allocation per frame), one interrupt (INTx, possibly shared, or MSI) for RX, link changes and
 * TX room. Register and section references are to the 8254x manual (e1000_regs.h).
 */
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/netdev.h>
#include <nautilus/pci.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>
#include <nautilus/thread.h>
#include <nautilus/time.h>

#include "e1000_regs.h"

#define RX_RING	  256 /* descriptors; RDLEN must be a multiple of 128 bytes (8 of them) */
#define TX_RING	  256
#define BUF_SIZE  2048	      /* RCTL.BSIZE 2048: one buffer holds any frame without LPE */
#define RX_BUDGET 64	      /* frames taken per interrupt; the rest re-raise the interrupt */
#define RESET_NS  10000000ULL /* CTRL.RST clears itself within microseconds (13.4.1) */
#define EERD_NS	  10000000ULL /* one EEPROM word read: microseconds on real parts */
#define BAR0_MIN  0x20000     /* 128 KiB of registers (4.1, Table 4-2 memory register space) */
/*
 * At most 20,000 interrupts a second (ITR counts 256 ns, 13.4.18): a busy link then gets
 * several frames per interrupt, and the PCI core's INTx storm guard (100,000 a second) never
 * mistakes a busy e1000 for a stuck line. An interrupt after a quiet spell is not delayed.
 */
#define ITR_INTERVAL (1000000000 / 20000 / 256)
#define IRQ_CAUSES   (E1000_ICR_RXT0 | E1000_ICR_RXDMT0 | E1000_ICR_RXO | E1000_ICR_LSC)

struct e1000_model {
	const char *name;
	bool eerd_small; /* 82541xx/82547: EERD.DONE at bit 1, ADDR at 15:2 */
};

struct e1000 {
	struct nk_net_dev ndev; /* first: the net device is the driver's state */
	struct nk_pci_dev *pdev;
	const struct e1000_model *model;
	volatile uint8_t *regs;
	struct nk_pci_irq irq;

	struct nk_spinlock rx_lock; /* the RX ring: the interrupt handler */
	struct e1000_rx_desc *rx_ring;
	uint8_t *rx_bufs;
	unsigned rx_next;   /* next descriptor the device fills */
	bool rx_discarding; /* inside a frame that spans buffers: dropping up to its EOP */

	struct nk_spinlock tx_lock; /* the TX ring: senders and the interrupt handler */
	struct e1000_tx_desc *tx_ring;
	uint8_t *tx_bufs;
	unsigned tx_tail;  /* next descriptor to fill */
	unsigned tx_clean; /* oldest descriptor not yet seen done */
	unsigned tx_used;  /* descriptors handed to the device and not reclaimed */
	bool tx_stalled;   /* a sender found the ring full: TXDW is unmasked until room frees */
};

static uint32_t rd(struct e1000 *e, unsigned reg)
{
	return *(volatile uint32_t *)(e->regs + reg);
}

static void wr(struct e1000 *e, unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(e->regs + reg) = v;
}

/* --- bring-up --- */

static int reset(struct e1000 *e)
{
	uint64_t deadline;

	wr(e, E1000_IMC, ~0u);
	wr(e, E1000_CTRL, rd(e, E1000_CTRL) | E1000_CTRL_RST);
	nk_delay(1000);
	deadline = nk_time_ns() + RESET_NS;
	while (rd(e, E1000_CTRL) & E1000_CTRL_RST)
		if (nk_time_ns() > deadline)
			return -ETIMEDOUT;
	wr(e, E1000_IMC, ~0u); /* reset re-enables nothing, but be sure (13.4.21) */
	rd(e, E1000_ICR);
	return 0;
}

/* One 16-bit EEPROM word through EERD (5.3.1): 0 or -ETIMEDOUT. */
static int eeprom_read(struct e1000 *e, unsigned word, uint16_t *out)
{
	uint32_t done = e->model->eerd_small ? E1000_EERD_DONE_SMALL : E1000_EERD_DONE;
	unsigned shift = e->model->eerd_small ? E1000_EERD_ADDR_SHIFT_SMALL : E1000_EERD_ADDR_SHIFT;
	uint64_t deadline = nk_time_ns() + EERD_NS;
	uint32_t v;

	wr(e, E1000_EERD, E1000_EERD_START | (word << shift));
	while (!((v = rd(e, E1000_EERD)) & done))
		if (nk_time_ns() > deadline)
			return -ETIMEDOUT;
	*out = v >> E1000_EERD_DATA_SHIFT;
	return 0;
}

static bool mac_valid(const uint8_t *mac)
{
	static const uint8_t zero[NK_ETH_ALEN];

	return !(mac[0] & 1) && memcmp(mac, zero, NK_ETH_ALEN);
}

/*
 * The MAC from the EEPROM (words 0-2, 5.6.1); without a working EERD, what the device loaded
 * into RAL0/RAH0 at reset (13.5.2).
 */
static int read_mac(struct e1000 *e)
{
	uint8_t *mac = e->ndev.mac;
	uint32_t ral, rah;
	uint16_t w;

	for (unsigned i = 0; i < 3; i++) {
		if (eeprom_read(e, E1000_EEPROM_MAC_WORD + i, &w))
			goto from_ral;
		mac[2 * i] = w & 0xff;
		mac[2 * i + 1] = w >> 8;
	}
	if (mac_valid(mac))
		return 0;
from_ral:
	ral = rd(e, E1000_RAL0);
	rah = rd(e, E1000_RAH0);
	for (unsigned i = 0; i < 4; i++)
		mac[i] = ral >> (8 * i);
	mac[4] = rah & 0xff;
	mac[5] = (rah >> 8) & 0xff;
	if (!mac_valid(mac)) {
		nk_dev_fail(&e->pdev->dev, -EIO, "no valid MAC in the EEPROM or RAL0/RAH0");
		return -EIO;
	}
	return 0;
}

static int alloc_rings(struct e1000 *e)
{
	e->rx_ring = nk_malloc_aligned(RX_RING * sizeof(*e->rx_ring), 128);
	e->tx_ring = nk_malloc_aligned(TX_RING * sizeof(*e->tx_ring), 128);
	e->rx_bufs = nk_malloc_aligned(RX_RING * BUF_SIZE, NK_PAGE_SIZE);
	e->tx_bufs = nk_malloc_aligned(TX_RING * BUF_SIZE, NK_PAGE_SIZE);
	if (!e->rx_ring || !e->tx_ring || !e->rx_bufs || !e->tx_bufs)
		return -ENOMEM;
	memset(e->rx_ring, 0, RX_RING * sizeof(*e->rx_ring));
	memset(e->tx_ring, 0, TX_RING * sizeof(*e->tx_ring));
	for (unsigned i = 0; i < RX_RING; i++)
		e->rx_ring[i].addr = (uintptr_t)(e->rx_bufs + i * BUF_SIZE);
	for (unsigned i = 0; i < TX_RING; i++)
		e->tx_ring[i].addr = (uintptr_t)(e->tx_bufs + i * BUF_SIZE);
	return 0;
}

static void free_rings(struct e1000 *e)
{
	nk_free(e->rx_ring);
	nk_free(e->tx_ring);
	nk_free(e->rx_bufs);
	nk_free(e->tx_bufs);
}

/* Read every statistics register once: they are undefined until read (13.7). */
static void clear_stats(struct e1000 *e)
{
	for (unsigned reg = E1000_STATS_FIRST; reg <= E1000_STATS_LAST; reg += 4)
		rd(e, reg);
}

/* Our address in RAL0/RAH0, no multicast (14.4 receive initialization). */
static void setup_filters(struct e1000 *e)
{
	const uint8_t *m = e->ndev.mac;

	wr(e, E1000_RAL0, m[0] | m[1] << 8 | m[2] << 16 | (uint32_t)m[3] << 24);
	wr(e, E1000_RAH0, m[4] | m[5] << 8 | E1000_RAH_AV);
	for (unsigned i = 0; i < E1000_MTA_LEN; i++)
		wr(e, E1000_MTA + 4 * i, 0);
}

/* Receive ring, all descriptors but one owned by the device (14.4). */
static void setup_rx(struct e1000 *e)
{
	uint64_t base = (uintptr_t)e->rx_ring;

	wr(e, E1000_RDBAL, (uint32_t)base);
	wr(e, E1000_RDBAH, base >> 32);
	wr(e, E1000_RDLEN, RX_RING * sizeof(struct e1000_rx_desc));
	wr(e, E1000_RDH, 0);
	wr(e, E1000_RDT, RX_RING - 1);
	wr(e, E1000_RDTR, 0);
	e->rx_next = 0;
	wr(e, E1000_RCTL,
	   E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC | E1000_RCTL_BSIZE_2048 |
		   E1000_RCTL_RDMTS_HALF);
}

/* Transmit ring, empty (14.5 transmit initialization). */
static void setup_tx(struct e1000 *e)
{
	uint64_t base = (uintptr_t)e->tx_ring;

	wr(e, E1000_TDBAL, (uint32_t)base);
	wr(e, E1000_TDBAH, base >> 32);
	wr(e, E1000_TDLEN, TX_RING * sizeof(struct e1000_tx_desc));
	wr(e, E1000_TDH, 0);
	wr(e, E1000_TDT, 0);
	wr(e, E1000_TIDV, 0);
	e->tx_tail = e->tx_clean = e->tx_used = 0;
	wr(e, E1000_TIPG, E1000_TIPG_COPPER);
	wr(e, E1000_TCTL,
	   E1000_TCTL_EN | E1000_TCTL_PSP | E1000_TCTL_CT_DEFAULT << E1000_TCTL_CT_SHIFT |
		   E1000_TCTL_COLD_FULL << E1000_TCTL_COLD_SHIFT);
}

/* Link up by auto-negotiation through the internal PHY (14.3, 8.6). */
static void setup_link(struct e1000 *e)
{
	uint32_t ctrl = rd(e, E1000_CTRL);

	ctrl &= ~(E1000_CTRL_LRST | E1000_CTRL_PHY_RST | E1000_CTRL_VME);
	wr(e, E1000_CTRL, ctrl | E1000_CTRL_SLU | E1000_CTRL_ASDE);
	e->ndev.link_up = rd(e, E1000_STATUS) & E1000_STATUS_LU;
}

/* --- transmit --- */

/* Under tx_lock: take back the descriptors the device is done with. */
static unsigned tx_reclaim(struct e1000 *e)
{
	unsigned n = 0;

	while (e->tx_used) {
		volatile struct e1000_tx_desc *d = &e->tx_ring[e->tx_clean];

		if (!(d->status & E1000_TXD_STAT_DD))
			break;
		d->status = 0;
		e->tx_clean = (e->tx_clean + 1) % TX_RING;
		e->tx_used--;
		n++;
	}
	return n;
}

static int e1000_send(struct nk_net_dev *ndev, const void *frame, size_t len)
{
	struct e1000 *e = (struct e1000 *)ndev;
	unsigned long flags = nk_spin_lock_irqsave(&e->tx_lock);
	struct e1000_tx_desc *d;
	uint8_t *buf;

	/* One slot stays empty: TDT == TDH means an empty ring to the device (3.4). */
	if (e->tx_used >= TX_RING - 1 && !tx_reclaim(e)) {
		if (!e->tx_stalled) {
			e->tx_stalled = true;
			wr(e, E1000_IMS, E1000_ICR_TXDW);
		}
		nk_spin_unlock_irqrestore(&e->tx_lock, flags);
		return -EAGAIN;
	}
	d = &e->tx_ring[e->tx_tail];
	buf = e->tx_bufs + e->tx_tail * BUF_SIZE;
	memcpy(buf, frame, len);
	if (len < NK_ETH_ZLEN) { /* TCTL.PSP would pad too: pad here so tx_bytes is what goes out */
		memset(buf + len, 0, NK_ETH_ZLEN - len);
		len = NK_ETH_ZLEN;
	}
	d->length = len;
	d->status = 0;
	d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
	e->tx_tail = (e->tx_tail + 1) % TX_RING;
	e->tx_used++;
	ndev->stats.tx_packets++;
	ndev->stats.tx_bytes += len;
	__atomic_thread_fence(__ATOMIC_RELEASE); /* the descriptor before the doorbell */
	wr(e, E1000_TDT, e->tx_tail);
	nk_spin_unlock_irqrestore(&e->tx_lock, flags);
	return 0;
}

/* Interrupt: TXDW while a sender waits for room. */
static void tx_interrupt(struct e1000 *e)
{
	bool room;

	nk_spin_lock(&e->tx_lock);
	room = tx_reclaim(e) && e->tx_stalled;
	if (room) {
		e->tx_stalled = false;
		wr(e, E1000_IMC, E1000_ICR_TXDW);
	}
	nk_spin_unlock(&e->tx_lock);
	if (room)
		nk_net_tx_room(&e->ndev);
}

/* --- receive --- */

/* One completed descriptor: hand its frame up, or count why not. */
static void rx_one(struct e1000 *e, volatile struct e1000_rx_desc *d, unsigned i)
{
	uint8_t status = d->status, errors = d->errors;
	uint16_t len = d->length;
	bool eop = status & E1000_RXD_STAT_EOP;

	if (e->rx_discarding || !eop) {
		if (!e->rx_discarding) {
			e->ndev.stats.rx_errors++;
			nk_dev_log(&e->ndev.dev, NK_LOG_WARN,
				   "received frame longer than a %u-byte buffer dropped", BUF_SIZE);
		}
		e->rx_discarding = !eop;
		return;
	}
	if (errors & E1000_RXD_ERR_FRAME) {
		e->ndev.stats.rx_errors++;
		return;
	}
	if (len > BUF_SIZE) {
		nk_dev_log(&e->ndev.dev, NK_LOG_WARN,
			   "descriptor %u reports %u bytes in a %u-byte buffer", i, len, BUF_SIZE);
		e->ndev.stats.rx_errors++;
		return;
	}
	nk_net_rx(&e->ndev, e->rx_bufs + i * BUF_SIZE, len);
}

/* Up to RX_BUDGET frames; true if more are waiting. Descriptors go back to the device. */
static bool rx_poll(struct e1000 *e)
{
	unsigned n = 0, last = RX_RING;
	bool more;

	nk_spin_lock(&e->rx_lock);
	for (; n < RX_BUDGET; n++) {
		volatile struct e1000_rx_desc *d = &e->rx_ring[e->rx_next];

		if (!(d->status & E1000_RXD_STAT_DD))
			break;
		__atomic_thread_fence(__ATOMIC_ACQUIRE); /* status before the data */
		rx_one(e, d, e->rx_next);
		d->status = 0;
		last = e->rx_next;
		e->rx_next = (e->rx_next + 1) % RX_RING;
	}
	if (last != RX_RING)
		wr(e, E1000_RDT, last);
	more = e->rx_ring[e->rx_next].status & E1000_RXD_STAT_DD;
	nk_spin_unlock(&e->rx_lock);
	return more;
}

/* MPC counts frames lost for want of room (13.7.5); it clears on read. */
static void count_missed(struct e1000 *e)
{
	e->ndev.stats.rx_drops += rd(e, E1000_MPC);
}

static void link_changed(struct e1000 *e)
{
	bool up = rd(e, E1000_STATUS) & E1000_STATUS_LU;

	if (up != e->ndev.link_up)
		nk_dev_log(&e->ndev.dev, NK_LOG_INFO, "link %s", up ? "up" : "down");
	e->ndev.link_up = up;
	if (up)
		nk_net_tx_room(&e->ndev); /* senders blocked on a full ring re-check the link */
}

/*
 * The line may be shared: ICR 0 means another device interrupted. Reading ICR acknowledges
 * every cause (13.4.17). Frames beyond the budget re-raise RXT0 through ICS, so other
 * interrupts and threads get the CPU in between.
 */
static void e1000_interrupt(int vector __nk_unused, void *arg)
{
	struct e1000 *e = arg;
	uint32_t icr = rd(e, E1000_ICR);

	if (!icr)
		return;
	if (icr == ~0u) {
		wr(e, E1000_IMC, ~0u);
		nk_dev_fail(&e->ndev.dev, -EIO, "ICR reads all ones: the device is gone");
		return;
	}
	if (icr & E1000_ICR_LSC)
		link_changed(e);
	/* on every receive interrupt, so drops show in the counters of the burst that had them */
	if (icr & (E1000_ICR_RXO | E1000_ICR_RXDMT0 | E1000_ICR_RXT0))
		count_missed(e);
	if (icr & E1000_ICR_TXDW)
		tx_interrupt(e);
	if (rx_poll(e))
		wr(e, E1000_ICS, E1000_ICR_RXT0);
}

/* --- probe --- */

static int map_bar(struct e1000 *e)
{
	struct nk_pci_bar *bar = &e->pdev->bar[0];

	if (bar->io || !bar->virt || bar->size < BAR0_MIN) {
		nk_dev_fail(&e->pdev->dev, -ENODEV,
			    "BAR0 is not a mapped memory BAR of at least %u bytes", BAR0_MIN);
		return -ENODEV;
	}
	e->regs = bar->virt;
	return 0;
}

static int setup_irq(struct e1000 *e)
{
	int type;

	e->irq.fn = e1000_interrupt;
	e->irq.arg = e;
	e->irq.cpu = NK_CPU_ANY;
	type = nk_pci_irq_setup(e->pdev, &e->irq, 1, NK_PCI_IRQ_MSI | NK_PCI_IRQ_INTX);
	if (type < 0)
		return type;
	nk_strlcpy(e->ndev.dev.irq, e->pdev->dev.irq, sizeof(e->ndev.dev.irq));
	return 0;
}

static void init_ndev(struct e1000 *e)
{
	struct nk_net_dev *ndev = &e->ndev;

	nk_dev_name_next("eth", ndev->dev.name);
	ndev->dev.driver = "e1000";
	ndev->dev.parent = &e->pdev->dev;
	ndev->mtu = NK_ETH_MTU;
	nk_spin_init(&e->rx_lock);
	nk_spin_init(&e->tx_lock);
}

static const struct nk_net_dev_ops e1000_ops = {
	.send = e1000_send,
};

static int e1000_probe(struct nk_pci_dev *pdev, const struct nk_pci_id *id)
{
	struct e1000 *e = nk_calloc(1, sizeof(*e));
	int err;

	if (!e)
		return -ENOMEM;
	e->pdev = pdev;
	e->model = id->data;
	err = map_bar(e);
	if (err)
		goto err_free;
	nk_pci_enable(pdev);
	err = reset(e);
	if (err) {
		nk_dev_fail(&pdev->dev, err, "reset did not complete");
		goto err_free;
	}
	err = read_mac(e);
	if (err)
		goto err_free;
	err = alloc_rings(e);
	if (err)
		goto err_free_rings;
	init_ndev(e);
	clear_stats(e);
	setup_filters(e);
	setup_link(e);
	setup_tx(e);
	setup_rx(e);
	err = nk_net_dev_register(&e->ndev, &e1000_ops);
	if (err)
		goto err_reset;
	err = setup_irq(e);
	if (err)
		goto err_unregister;
	pdev->drvdata = e;
	wr(e, E1000_ITR, ITR_INTERVAL);
	wr(e, E1000_IMS, IRQ_CAUSES);
	nk_dev_log(&e->ndev.dev, NK_LOG_INFO, "%s %02x:%02x:%02x:%02x:%02x:%02x link %s, %s",
		   e->model->name, e->ndev.mac[0], e->ndev.mac[1], e->ndev.mac[2], e->ndev.mac[3],
		   e->ndev.mac[4], e->ndev.mac[5], e->ndev.link_up ? "up" : "down",
		   e->ndev.dev.irq);
	return 0;

err_unregister:
	nk_net_dev_unregister(&e->ndev);
err_reset:
	reset(e);
err_free_rings:
	free_rings(e);
err_free:
	nk_free(e);
	return err;
}

static void e1000_remove(struct nk_pci_dev *pdev)
{
	struct e1000 *e = pdev->drvdata;

	wr(e, E1000_IMC, ~0u);
	wr(e, E1000_RCTL, 0);
	wr(e, E1000_TCTL, 0);
	nk_pci_irq_release(pdev);
	nk_net_dev_unregister(&e->ndev);
	reset(e);
	free_rings(e);
	nk_free(e);
	pdev->drvdata = NULL;
}

static const struct e1000_model m82540 = { "82540", false };
static const struct e1000_model m82541 = { "82541", true };
static const struct e1000_model m82544 = { "82544", false };
static const struct e1000_model m82545 = { "82545", false };
static const struct e1000_model m82546 = { "82546", false };
static const struct e1000_model m82547 = { "82547", true };

#define E1000_ID(dev, model)              \
	{                                 \
		0x8086, dev, 0, 0, &model \
	}

/* Device ids of the 8254x family (manual, Table 5-1 / 5.6.x device id words). */
static const struct nk_pci_id e1000_ids[] = {
	E1000_ID(0x100e, m82540), /* 82540EM desktop: QEMU's e1000 */
	E1000_ID(0x1015, m82540), /* 82540EM LOM */
	E1000_ID(0x1016, m82540), /* 82540EP LOM */
	E1000_ID(0x1017, m82540), /* 82540EP LP */
	E1000_ID(0x101e, m82540), /* 82540EP LP mobile */
	E1000_ID(0x1008, m82544), /* 82544EI copper */
	E1000_ID(0x1009, m82544), /* 82544EI fiber */
	E1000_ID(0x100c, m82544), /* 82544GC copper: QEMU's e1000-82544gc */
	E1000_ID(0x100d, m82544), /* 82544GC LOM */
	E1000_ID(0x100f, m82545), /* 82545EM copper: QEMU's e1000-82545em */
	E1000_ID(0x1011, m82545), /* 82545EM fiber */
	E1000_ID(0x1026, m82545), /* 82545GM copper */
	E1000_ID(0x1027, m82545), /* 82545GM fiber */
	E1000_ID(0x1028, m82545), /* 82545GM SerDes */
	E1000_ID(0x1010, m82546), /* 82546EB copper */
	E1000_ID(0x1012, m82546), /* 82546EB fiber */
	E1000_ID(0x101d, m82546), /* 82546EB quad copper */
	E1000_ID(0x1079, m82546), /* 82546GB copper */
	E1000_ID(0x107a, m82546), /* 82546GB fiber */
	E1000_ID(0x107b, m82546), /* 82546GB SerDes */
	E1000_ID(0x1013, m82541), /* 82541EI */
	E1000_ID(0x1018, m82541), /* 82541EI mobile */
	E1000_ID(0x1014, m82541), /* 82541ER LOM */
	E1000_ID(0x1076, m82541), /* 82541GI */
	E1000_ID(0x1077, m82541), /* 82541GI mobile */
	E1000_ID(0x1078, m82541), /* 82541ER */
	E1000_ID(0x107c, m82541), /* 82541PI */
	E1000_ID(0x1019, m82547), /* 82547EI */
	E1000_ID(0x101a, m82547), /* 82547EI mobile */
	E1000_ID(0x1075, m82547), /* 82547GI */
	{ 0 },
};

static const struct nk_pci_driver e1000_driver = {
	.name = "e1000",
	.ids = e1000_ids,
	.probe = e1000_probe,
	.remove = e1000_remove,
};
NK_PCI_DRIVER(e1000_driver);
