/*
 * KTAP suite `net`: the NICs the test runner attaches, found by MAC (52:54:00:12:34:01 virtio
 * and :02 e1000 on QEMU user networking, :03 virtio and :04 e1000 on one hub). Each user-net
 * NIC gets an ARP reply from the gateway 10.0.2.2; across the hub 10,000 frames of every size
 * from 14 to 1514 bytes arrive intact and in order each way, and the counters of sender and
 * receiver agree; a frame longer than mtu + 14 is refused and not counted as sent.
 * A case whose NIC is absent is skipped.
 */
#include <nautilus/arp.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/netdev.h>
#include <nautilus/string.h>
#include <nautilus/test.h>
#include <nautilus/thread.h>
#include <nautilus/time.h>

#define OUR_IP	   0x0a00020f /* 10.0.2.15 */
#define GATEWAY_IP 0x0a000202 /* 10.0.2.2: QEMU's slirp answers ARP for it */
#define MS	   1000000ULL

#define HUB_FRAMES  10000
#define HUB_WINDOW  128 /* in flight: fewer than an RX ring holds (QEMU drops or reorders beyond) */
#define HUB_WAIT_NS (30000 * MS)
#define ETH_P_TEST  0x88b5 /* IEEE 802 local experimental EtherType (unused: see frame_len) */

enum nic { USER_VIRTIO = 1, USER_E1000, HUB_VIRTIO, HUB_E1000 };

/* The runner's NICs are 52:54:00:12:34:<which> (scripts/nkqemu.py devices()). */
static struct nk_net_dev *nic(enum nic which)
{
	const uint8_t mac[NK_ETH_ALEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, which };

	return nk_net_dev_find_mac(mac);
}

/*
 * ---- ARP to the user-net gateway ----
 * Requests are repeated every 200 ms for up to 3 s: right after boot QEMU's e1000 holds the
 * frames it receives for about a second after the receiver is enabled (the first reply is
 * seen ~190 ms after a request sent 0.9 s into the boot, later ones in tens of microseconds).
 */

static void arp_gateway(struct nk_test_ctx *nk_t, struct nk_net_dev *n)
{
	uint64_t tx = n->stats.tx_packets, rx = n->stats.rx_packets, rtt;
	uint8_t mac[NK_ETH_ALEN];
	int err;

	NK_ASSERT(n->link_up);
	err = nk_arp_probe(n, OUR_IP, GATEWAY_IP, 200 * MS, 3000 * MS, mac, &rtt);
	NK_ASSERT_EQ(err, 0);
	NK_EXPECT(!(mac[0] & 1));
	NK_EXPECT(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
	NK_EXPECT_GE(n->stats.tx_packets, tx + 1);
	NK_EXPECT_GE(n->stats.rx_packets, rx + 1);
	nk_test_diag("%s: 10.0.2.2 is at %02x:%02x:%02x:%02x:%02x:%02x, %llu us", n->dev.name,
		     mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
		     (unsigned long long)(rtt / 1000));
}

NK_TEST(net, arp_virtio)
{
	struct nk_net_dev *n = nic(USER_VIRTIO);

	if (!n)
		NK_SKIP("no virtio-net NIC with MAC 52:54:00:12:34:01");
	arp_gateway(nk_t, n);
}

NK_TEST(net, arp_e1000)
{
	struct nk_net_dev *n = nic(USER_E1000);

	if (!n)
		NK_SKIP("no e1000 NIC with MAC 52:54:00:12:34:02");
	arp_gateway(nk_t, n);
}

/* ---- frames across the hub ---- */

/*
 * Frame seq: frame_len(seq) bytes, every length from 14 to 1514 in each run of 1501 frames.
 * Short frames arrive padded to 60, and a 14-byte frame has no payload to carry a sequence
 * number, so the header does: the source MAC is 02:00:<seq, 4 bytes> and the type/length
 * field is the payload length (802.3 style), which tells the receiver what was sent.
 * A payload of 8 bytes or more starts with seq and a checksum of the rest, then a pattern.
 */
static size_t frame_len(uint32_t seq)
{
	return NK_ETH_HLEN + (seq * 151u) % (NK_ETH_MTU + 1);
}

static uint8_t pattern(uint32_t seq, size_t i)
{
	return (uint8_t)(seq * 13 + i * 7);
}

static uint32_t checksum(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static size_t build_frame(uint8_t *f, const uint8_t *dst, uint32_t seq)
{
	size_t len = frame_len(seq), payload = len - NK_ETH_HLEN;

	memcpy(f, dst, NK_ETH_ALEN);
	f[6] = 0x02;
	f[7] = 0x00;
	put32(f + 8, seq);
	f[12] = payload >> 8;
	f[13] = payload;
	for (size_t i = 0; i < payload; i++)
		f[NK_ETH_HLEN + i] = pattern(seq, i);
	if (payload >= 8) {
		put32(f + NK_ETH_HLEN, seq);
		put32(f + NK_ETH_HLEN + 4, checksum(f + NK_ETH_HLEN + 8, payload - 8));
	}
	return len;
}

struct hub_rx {
	const uint8_t *mac;
	volatile int received; /* frames that arrived as expected, in order */
	uint32_t next;	       /* sequence number expected next */
	int bad;	       /* frames that were not what was expected */
	uint32_t bad_seq;      /* the first of them: expected seq, length seen, what was wrong */
	size_t bad_len;
	const char *bad_why;
};

static const char *frame_problem(const uint8_t *f, size_t len, uint32_t seq, const uint8_t *mac)
{
	size_t want = frame_len(seq), payload = want - NK_ETH_HLEN;

	if (len != NK_MAX(want, (size_t)NK_ETH_ZLEN))
		return "length";
	if (memcmp(f, mac, NK_ETH_ALEN))
		return "destination";
	if (f[6] != 0x02 || f[7] || get32(f + 8) != seq)
		return "sequence (out of order or lost)";
	if ((size_t)(f[12] << 8 | f[13]) != payload)
		return "type/length field";
	if (payload >= 8 &&
	    (get32(f + NK_ETH_HLEN) != seq ||
	     get32(f + NK_ETH_HLEN + 4) != checksum(f + NK_ETH_HLEN + 8, payload - 8)))
		return "checksum";
	for (size_t i = payload >= 8 ? 8 : 0; i < payload; i++)
		if (f[NK_ETH_HLEN + i] != pattern(seq, i))
			return "payload";
	for (size_t i = want; i < len; i++)
		if (f[i])
			return "padding";
	return NULL;
}

/* Interrupt context. */
static void hub_receive(struct nk_net_dev *ndev __nk_unused, const void *frame, size_t len,
			void *arg)
{
	struct hub_rx *rx = arg;
	const char *why = frame_problem(frame, len, rx->next, rx->mac);

	if (why && !rx->bad++) {
		rx->bad_seq = rx->next;
		rx->bad_len = len;
		rx->bad_why = why;
	}
	__atomic_store_n(&rx->next, rx->next + 1, __ATOMIC_RELEASE);
	if (!why)
		__atomic_add_fetch(&rx->received, 1, __ATOMIC_RELEASE);
}

/* Wait (yielding) until rx has seen `count` frames, good or bad; false at deadline. */
static bool wait_rx(struct hub_rx *rx, uint32_t count, uint64_t deadline)
{
	while (__atomic_load_n(&rx->next, __ATOMIC_ACQUIRE) < count) {
		if (nk_time_ns() > deadline)
			return false;
		nk_yield();
		__builtin_ia32_pause();
	}
	return true;
}

/* Send HUB_FRAMES frames, at most HUB_WINDOW ahead of the receiver: 0 or the send's error. */
static int hub_send(struct nk_net_dev *from, struct hub_rx *rx, uint64_t deadline, uint64_t *bytes)
{
	uint8_t *f = nk_malloc(NK_ETH_MTU + NK_ETH_HLEN);
	int err = 0;

	if (!f)
		return -ENOMEM;
	*bytes = 0;
	for (uint32_t seq = 0; seq < HUB_FRAMES && !err; seq++) {
		size_t len = build_frame(f, rx->mac, seq);

		if (seq >= HUB_WINDOW && !wait_rx(rx, seq - HUB_WINDOW + 1, deadline))
			err = -ETIMEDOUT;
		else
			err = nk_net_send(from, f, len, 0);
		*bytes += NK_MAX(len, (size_t)NK_ETH_ZLEN);
	}
	nk_free(f);
	return err;
}

static void hub_transfer(struct nk_test_ctx *nk_t, struct nk_net_dev *from, struct nk_net_dev *to)
{
	struct nk_net_stats tx0 = from->stats, rx0 = to->stats;
	struct hub_rx rx = { .mac = to->mac };
	uint64_t start = nk_time_ns(), deadline = start + HUB_WAIT_NS, bytes = 0;
	int err;

	NK_ASSERT(from->link_up && to->link_up);
	nk_net_set_rx(to, hub_receive, &rx);
	err = hub_send(from, &rx, deadline, &bytes);
	if (!err && !wait_rx(&rx, HUB_FRAMES, deadline))
		err = -ETIMEDOUT;
	nk_net_set_rx(to, NULL, NULL);
	NK_EXPECT_EQ(err, 0);
	NK_EXPECT_EQ(rx.next, HUB_FRAMES);
	NK_EXPECT_EQ(rx.received, HUB_FRAMES);
	NK_CHECK_((void)0, !rx.bad, "%d bad frames, the first: seq %u, %zu bytes, %s", rx.bad,
		  rx.bad_seq, rx.bad_len, rx.bad_why);
	NK_EXPECT_UEQ(from->stats.tx_packets - tx0.tx_packets, HUB_FRAMES);
	NK_EXPECT_UEQ(to->stats.rx_packets - rx0.rx_packets, HUB_FRAMES);
	NK_EXPECT_UEQ(from->stats.tx_bytes - tx0.tx_bytes, bytes);
	NK_EXPECT_UEQ(to->stats.rx_bytes - rx0.rx_bytes, bytes);
	NK_EXPECT_UEQ(to->stats.rx_drops - rx0.rx_drops, 0);
	NK_EXPECT_UEQ(to->stats.rx_errors - rx0.rx_errors, 0);
	NK_EXPECT_UEQ(from->stats.tx_errors - tx0.tx_errors, 0);
	nk_test_diag("%s -> %s: %d frames, %llu bytes in %llu ms", from->dev.name, to->dev.name,
		     rx.received, (unsigned long long)bytes,
		     (unsigned long long)((nk_time_ns() - start) / MS));
}

NK_TEST(net, hub_virtio_to_e1000)
{
	struct nk_net_dev *from = nic(HUB_VIRTIO), *to = nic(HUB_E1000);

	if (!from || !to)
		NK_SKIP("needs the hub NICs 52:54:00:12:34:03 (virtio) and :04 (e1000)");
	hub_transfer(nk_t, from, to);
}

NK_TEST(net, hub_e1000_to_virtio)
{
	struct nk_net_dev *from = nic(HUB_E1000), *to = nic(HUB_VIRTIO);

	if (!from || !to)
		NK_SKIP("needs the hub NICs 52:54:00:12:34:03 (virtio) and :04 (e1000)");
	hub_transfer(nk_t, from, to);
}

/* ---- refused frames ---- */

static void refuse(struct nk_test_ctx *nk_t, struct nk_net_dev *n)
{
	size_t max = n->mtu + NK_ETH_HLEN;
	uint8_t *f = nk_calloc(1, max + 1);
	struct nk_net_stats s0 = n->stats;

	NK_ASSERT_NOT_NULL(f);
	memset(f, 0xff, NK_ETH_ALEN);
	NK_EXPECT_EQ(nk_net_send(n, f, max + 1, 0), -EMSGSIZE);
	NK_EXPECT_EQ(nk_net_send(n, f, 64 * 1024, NK_NET_NONBLOCK), -EMSGSIZE);
	NK_EXPECT_EQ(nk_net_send(n, f, NK_ETH_HLEN - 1, 0), -EMSGSIZE);
	NK_EXPECT_EQ(nk_net_send(n, NULL, 60, 0), -EINVAL);
	NK_EXPECT_UEQ(n->stats.tx_packets, s0.tx_packets);
	NK_EXPECT_UEQ(n->stats.tx_bytes, s0.tx_bytes);
	NK_EXPECT_UEQ(n->stats.tx_errors, s0.tx_errors + 3);
	nk_free(f);
}

NK_TEST(net, oversize_refused)
{
	struct nk_net_dev *n[] = { nic(USER_VIRTIO), nic(USER_E1000) };
	int tried = 0;

	for (unsigned i = 0; i < NK_ARRAY_SIZE(n); i++) {
		if (n[i]) {
			refuse(nk_t, n[i]);
			tried++;
		}
	}
	if (!tried)
		NK_SKIP("no user-net NIC (52:54:00:12:34:01 or :02)");
}

/*
 * A frame longer than mtu + 14 from the wire: the sender's driver is asked directly (the class
 * would refuse it) for 1518 bytes, then a 60-byte marker follows through nk_net_send. The
 * receiver gets the marker and never the long frame: an e1000 (which accepts up to 1522 bytes
 * without LPE) passes it up and the class refuses and counts it; virtio-net buffers hold no
 * more than 1514 bytes, so QEMU drops it before it reaches the driver.
 */
struct long_rx {
	volatile int frames;
	size_t longest;
};

static void long_receive(struct nk_net_dev *ndev __nk_unused, const void *frame __nk_unused,
			 size_t len, void *arg)
{
	struct long_rx *rx = arg;

	rx->longest = NK_MAX(rx->longest, len);
	__atomic_add_fetch(&rx->frames, 1, __ATOMIC_RELEASE);
}

static void long_frame(struct nk_test_ctx *nk_t, struct nk_net_dev *from, struct nk_net_dev *to,
		       bool counted)
{
	const struct nk_net_dev_ops *ops = from->dev.ops;
	uint8_t *f = nk_calloc(1, 1518);
	struct nk_net_stats s0 = to->stats;
	struct long_rx rx = { 0 };
	int err;

	NK_ASSERT_NOT_NULL(f);
	memcpy(f, to->mac, NK_ETH_ALEN);
	memcpy(f + NK_ETH_ALEN, from->mac, NK_ETH_ALEN);
	f[12] = ETH_P_TEST >> 8;
	f[13] = ETH_P_TEST & 0xff;
	nk_net_set_rx(to, long_receive, &rx);
	err = ops->send(from, f, 1518);
	if (!err)
		err = nk_net_send(from, f, NK_ETH_ZLEN, 0);
	if (!err && !nk_test_wait_ge(&rx.frames, 1, nk_time_ns() + 3000 * MS))
		err = -ETIMEDOUT;
	nk_net_set_rx(to, NULL, NULL);
	nk_free(f);
	NK_EXPECT_EQ(err, 0);
	NK_EXPECT_EQ(rx.frames, 1);
	NK_EXPECT_EQ(rx.longest, NK_ETH_ZLEN);
	NK_EXPECT_UEQ(to->stats.rx_packets - s0.rx_packets, 1);
	if (counted)
		NK_EXPECT_UEQ(to->stats.rx_errors - s0.rx_errors, 1);
}

NK_TEST(net, long_frame_from_wire)
{
	struct nk_net_dev *v = nic(HUB_VIRTIO), *e = nic(HUB_E1000);

	if (!v || !e)
		NK_SKIP("needs the hub NICs 52:54:00:12:34:03 (virtio) and :04 (e1000)");
	long_frame(nk_t, v, e, true);
	long_frame(nk_t, e, v, false);
}

/* Every NIC: an eth<n> name, a valid MAC, the Ethernet MTU, link up, a driver. */
static int check_dev(struct nk_dev *d, void *arg)
{
	struct nk_test_ctx *nk_t = arg;
	struct nk_net_dev *n = (struct nk_net_dev *)d;

	NK_EXPECT(!strncmp(d->name, "eth", 3));
	NK_EXPECT(!(n->mac[0] & 1));
	NK_EXPECT_EQ(n->mtu, NK_ETH_MTU);
	NK_EXPECT(n->link_up);
	NK_EXPECT_EQ(d->state, NK_DEV_OK);
	NK_EXPECT_NOT_NULL(d->driver);
	NK_EXPECT_NOT_NULL(n->rxq);
	return 0;
}

NK_TEST(net, devices)
{
	int found = 0;

	for (enum nic i = USER_VIRTIO; i <= HUB_E1000; i++)
		found += nic(i) != NULL;
	if (!found)
		NK_SKIP("none of the NICs 52:54:00:12:34:01-04");
	nk_dev_for_each(NK_DEV_NET, check_dev, nk_t);
}
