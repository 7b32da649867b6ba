/*
 * Host test of the network-device class (src/nautilus/dev/netdev.c) over a fake driver: frame
 * length checks and counters on both sides, the polled queue against a model FIFO through many
 * wrap-arounds and overflows, callbacks, the blocking paths of send and receive (with a wait
 * queue stub whose "sleep" runs a hook in place of the interrupt), and the ARP helpers
 * (src/nautilus/dev/arp.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nautilus/arp.h>
#include <nautilus/compiler.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/netdev.h>
#include <nautilus/random.h>

#include "host_stubs.h"

/* --- kernel services netdev.c uses, on the host --- */

void *nk_malloc(size_t size)
{
	return malloc(size);
}

void nk_free(void *p)
{
	free(p);
}

static uint64_t now_ns;
uint64_t nk_time_ns(void)
{
	return now_ns;
}

static bool irqs_on;
bool nk_arch_irqs_enabled(void)
{
	return irqs_on;
}

/* What a sleeper's "meanwhile" does (the interrupt that frees room, a frame arriving). */
static int (*sleep_hook)(void);
static int sleeps, wakes;

void nk_waitqueue_init(struct nk_waitqueue *wq)
{
	memset(wq, 0, sizeof(*wq));
}

int nk_waitqueue_sleep(struct nk_waitqueue *wq, struct nk_waiter *w, unsigned long flags,
		       uint64_t deadline_ns)
{
	(void)w;
	(void)deadline_ns;
	sleeps++;
	nk_spin_unlock_irqrestore(&wq->lock, flags);
	assert_non_null(sleep_hook);
	return sleep_hook();
}

struct nk_waiter *nk_waitqueue_first(struct nk_waitqueue *wq)
{
	(void)wq;
	return NULL;
}

void nk_waitqueue_wake_locked(struct nk_waitqueue *wq, struct nk_waiter *w, uintptr_t data)
{
	(void)wq;
	(void)w;
	(void)data;
}

int nk_waitqueue_wake_all(struct nk_waitqueue *wq)
{
	assert_false(nk_spin_is_locked(&wq->lock));
	wakes++;
	return 0;
}

/* --- a fake driver: a TX ring of `room` slots that the test empties --- */

static struct nk_net_dev dev;
static int room, sends, send_err;
static size_t last_len;
static bool send_under_tx_lock; /* the last send ran with tx_wait's lock held */

static int fake_send(struct nk_net_dev *ndev, const void *frame, size_t len)
{
	(void)frame;
	sends++;
	send_under_tx_lock = nk_spin_is_locked(&ndev->tx_wait.lock);
	if (send_err)
		return send_err;
	if (!room)
		return -EAGAIN;
	room--;
	last_len = len;
	ndev->stats.tx_packets++;
	ndev->stats.tx_bytes += len;
	return 0;
}

static const struct nk_net_dev_ops fake_ops = { .send = fake_send };

static int setup(void **state)
{
	(void)state;
	memset(&dev, 0, sizeof(dev));
	strcpy(dev.dev.name, "eth0");
	dev.mtu = NK_ETH_MTU;
	dev.link_up = true;
	room = 1000;
	sends = sleeps = wakes = send_err = 0;
	irqs_on = false;
	sleep_hook = NULL;
	assert_int_equal(nk_net_dev_register(&dev, &fake_ops), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nk_net_dev_unregister(&dev);
	assert_null(nk_net_dev_find("eth0"));
	return 0;
}

static uint8_t frame_buf[2 * NK_ETH_MTU];

static void test_register(void **state)
{
	struct nk_net_dev other;

	(void)state;
	assert_ptr_equal(nk_net_dev_find("eth0"), &dev);
	assert_int_equal(dev.dev.cls, NK_DEV_NET);
	assert_ptr_equal(dev.dev.ops, &fake_ops);
	assert_non_null(dev.rxq);
	memset(&other, 0, sizeof(other));
	strcpy(other.dev.name, "eth0");
	other.mtu = NK_ETH_MTU;
	assert_int_equal(nk_net_dev_register(&other, &fake_ops), -EEXIST);
	assert_null(other.rxq);
	strcpy(other.dev.name, "eth1");
	assert_int_equal(nk_net_dev_register(&other, NULL), -EINVAL);
	assert_null(nk_net_dev_find("eth1"));
}

static void test_send_lengths(void **state)
{
	size_t max = dev.mtu + NK_ETH_HLEN;

	(void)state;
	assert_int_equal(nk_net_send(&dev, NULL, 60, 0), -EINVAL);
	assert_int_equal(nk_net_send(&dev, frame_buf, NK_ETH_HLEN - 1, 0), -EMSGSIZE);
	assert_int_equal(dev.stats.tx_errors, 1);
	nk_host_log_count = 0;
	assert_int_equal(nk_net_send(&dev, frame_buf, max + 1, 0), -EMSGSIZE);
	assert_int_equal(nk_host_log_count, 1);
	assert_non_null(strstr(nk_host_last_log, "eth0"));
	assert_non_null(strstr(nk_host_last_log, "1515"));
	assert_int_equal(dev.stats.tx_errors, 2);
	assert_int_equal(sends, 0);
	assert_int_equal(dev.stats.tx_packets, 0);
	assert_int_equal(nk_net_send(&dev, frame_buf, max, 0), 0);
	assert_int_equal(nk_net_send(&dev, frame_buf, NK_ETH_HLEN, 0), 0);
	assert_int_equal(dev.stats.tx_packets, 2);
	assert_int_equal(dev.stats.tx_bytes, max + NK_ETH_HLEN);
	dev.mtu = 100;
	assert_int_equal(nk_net_send(&dev, frame_buf, 115, 0), -EMSGSIZE);
	assert_int_equal(nk_net_send(&dev, frame_buf, 114, 0), 0);
	assert_int_equal(last_len, 114);
}

/* Bad frames are logged, but a flood of them is not: 8, then at powers of two. */
static void test_send_log_limit(void **state)
{
	(void)state;
	nk_host_log_count = 0;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(nk_net_send(&dev, frame_buf, 5000, 0), -EMSGSIZE);
	assert_int_equal(dev.stats.tx_errors, 1000);
	assert_int_equal(nk_host_log_count, 8 + 6); /* 1..8, 16, 32, 64, 128, 256, 512 */
}

static void test_send_state(void **state)
{
	(void)state;
	dev.link_up = false;
	assert_int_equal(nk_net_send(&dev, frame_buf, 60, 0), -ENETDOWN);
	dev.link_up = true;
	nk_dev_fail(&dev.dev, -EIO, "test");
	assert_int_equal(nk_net_send(&dev, frame_buf, 60, 0), -EIO);
	assert_int_equal(sends, 0);
	assert_int_equal(nk_net_recv(&dev, frame_buf, 100, 0, NK_NET_NONBLOCK), -EIO);
	dev.dev.state = NK_DEV_OK;
	dev.dev.error = 0;
	send_err = -EIO;
	assert_int_equal(nk_net_send(&dev, frame_buf, 60, 0), -EIO);
}

static int free_one_slot(void)
{
	room = 1;
	return 0;
}

static int still_full(void)
{
	return -ETIMEDOUT;
}

static void test_send_full(void **state)
{
	(void)state;
	room = 0;
	assert_int_equal(nk_net_send(&dev, frame_buf, 60, NK_NET_NONBLOCK), -EAGAIN);
	/* Interrupts off: never sleeps, whatever the flags. */
	assert_int_equal(nk_net_send(&dev, frame_buf, 60, 0), -EAGAIN);
	assert_int_equal(sleeps, 0);
	/* Blocking: the retry runs under tx_wait's lock, then sleeps until room frees. */
	irqs_on = true;
	sleep_hook = free_one_slot;
	sends = 0;
	assert_int_equal(nk_net_send(&dev, frame_buf, 60, 0), 0);
	assert_int_equal(sleeps, 1);
	assert_int_equal(sends, 3);
	assert_true(send_under_tx_lock);
	nk_net_tx_room(&dev);
	assert_int_equal(wakes, 1);
}

static int link_drops(void)
{
	if (sleeps == 3)
		dev.link_up = false;
	return -ETIMEDOUT;
}

static void test_send_wait_link_down(void **state)
{
	(void)state;
	room = 0;
	irqs_on = true;
	sleep_hook = link_drops;
	assert_int_equal(nk_net_send(&dev, frame_buf, 60, 0), -ENETDOWN);
	assert_int_equal(sleeps, 3);
}

static void fill(uint8_t *f, size_t len, uint32_t seq)
{
	for (size_t i = 0; i < len; i++)
		f[i] = (uint8_t)(seq * 31 + i);
}

static bool check(const uint8_t *f, size_t len, uint32_t seq)
{
	for (size_t i = 0; i < len; i++)
		if (f[i] != (uint8_t)(seq * 31 + i))
			return false;
	return true;
}

static void test_rx_queue_order(void **state)
{
	uint8_t out[NK_ETH_MTU + NK_ETH_HLEN];

	(void)state;
	for (uint32_t i = 0; i < NK_NET_RXQ_LEN + 5; i++) {
		size_t len = NK_ETH_HLEN + i % (NK_ETH_MTU + 1);

		fill(frame_buf, len, i);
		nk_net_rx(&dev, frame_buf, len);
	}
	assert_int_equal(dev.stats.rx_packets, NK_NET_RXQ_LEN);
	assert_int_equal(dev.stats.rx_drops, 5);
	for (uint32_t i = 0; i < NK_NET_RXQ_LEN; i++) {
		size_t len = NK_ETH_HLEN + i % (NK_ETH_MTU + 1);

		assert_int_equal(nk_net_recv(&dev, out, sizeof(out), 0, NK_NET_NONBLOCK), len);
		assert_true(check(out, len, i));
	}
	assert_int_equal(nk_net_recv(&dev, out, sizeof(out), 0, NK_NET_NONBLOCK), -EAGAIN);
}

static void test_rx_bad_lengths(void **state)
{
	uint8_t out[64];

	(void)state;
	nk_host_log_count = 0;
	nk_net_rx(&dev, frame_buf, NK_ETH_MTU + NK_ETH_HLEN + 1);
	nk_net_rx(&dev, frame_buf, NK_ETH_HLEN - 1);
	nk_net_rx(&dev, frame_buf, 0);
	assert_int_equal(dev.stats.rx_errors, 3);
	assert_int_equal(dev.stats.rx_packets, 0);
	assert_int_equal(nk_host_log_count, 3);
	assert_non_null(strstr(nk_host_last_log, "eth0"));
	assert_int_equal(nk_net_recv(&dev, out, sizeof(out), 0, NK_NET_NONBLOCK), -EAGAIN);
}

static void test_rx_truncate_and_flush(void **state)
{
	uint8_t out[20];

	(void)state;
	fill(frame_buf, 100, 7);
	nk_net_rx(&dev, frame_buf, 100);
	nk_net_rx(&dev, frame_buf, 30);
	assert_int_equal(nk_net_recv(&dev, out, sizeof(out), 0, NK_NET_NONBLOCK), 20);
	assert_true(check(out, 20, 7));
	/* The cut frame was consumed: the next one is the 30-byte frame. */
	assert_int_equal(nk_net_recv(&dev, out, sizeof(out), 0, NK_NET_NONBLOCK), 20);
	nk_net_rx(&dev, frame_buf, 30);
	nk_net_rx(&dev, frame_buf, 30);
	nk_net_rx_flush(&dev);
	assert_int_equal(nk_net_recv(&dev, out, sizeof(out), 0, NK_NET_NONBLOCK), -EAGAIN);
	assert_int_equal(nk_net_recv(&dev, NULL, 10, 0, NK_NET_NONBLOCK), -EINVAL);
}

static int deliver_one(void)
{
	fill(frame_buf, 64, 9);
	nk_net_rx(&dev, frame_buf, 64);
	return 0;
}

static void test_rx_blocking(void **state)
{
	uint8_t out[100];

	(void)state;
	irqs_on = true;
	sleep_hook = still_full;
	assert_int_equal(nk_net_recv(&dev, out, sizeof(out), 1000, 0), -ETIMEDOUT);
	sleep_hook = deliver_one;
	assert_int_equal(nk_net_recv(&dev, out, sizeof(out), 0, 0), 64);
	assert_true(check(out, 64, 9));
	assert_int_equal(sleeps, 2);
	irqs_on = false;
	assert_int_equal(nk_net_recv(&dev, out, sizeof(out), 0, 0), -EAGAIN);
}

static int cb_frames;
static size_t cb_bytes;
static void rx_cb(struct nk_net_dev *ndev, const void *frame, size_t len, void *arg)
{
	assert_ptr_equal(ndev, &dev);
	assert_ptr_equal(arg, &cb_frames);
	assert_ptr_equal(frame, frame_buf);
	assert_true(nk_spin_is_locked(&ndev->rx_wait.lock));
	cb_frames++;
	cb_bytes += len;
}

static void test_rx_callback(void **state)
{
	uint8_t out[100];

	(void)state;
	cb_frames = 0;
	cb_bytes = 0;
	nk_net_rx(&dev, frame_buf, 50); /* queued before the callback: stays queued */
	nk_net_set_rx(&dev, rx_cb, &cb_frames);
	for (int i = 0; i < 2 * NK_NET_RXQ_LEN; i++)
		nk_net_rx(&dev, frame_buf, 60);
	nk_net_rx(&dev, frame_buf, 5000);
	assert_int_equal(cb_frames, 2 * NK_NET_RXQ_LEN);
	assert_int_equal(cb_bytes, 2 * NK_NET_RXQ_LEN * 60);
	assert_int_equal(dev.stats.rx_packets, 2 * NK_NET_RXQ_LEN + 1);
	assert_int_equal(dev.stats.rx_bytes, 2 * NK_NET_RXQ_LEN * 60 + 50);
	assert_int_equal(dev.stats.rx_drops, 0);
	assert_int_equal(dev.stats.rx_errors, 1);
	nk_net_set_rx(&dev, NULL, NULL);
	nk_net_rx(&dev, frame_buf, 70);
	assert_int_equal(cb_frames, 2 * NK_NET_RXQ_LEN);
	assert_int_equal(nk_net_recv(&dev, out, sizeof(out), 0, NK_NET_NONBLOCK), 50);
	assert_int_equal(nk_net_recv(&dev, out, sizeof(out), 0, NK_NET_NONBLOCK), 70);
}

/* Random pushes and pops against a model FIFO: lengths, contents, drops, wrap-around. */
static void test_rx_queue_random(void **state)
{
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	uint32_t *model = calloc(100000, sizeof(uint32_t));
	size_t head = 0, tail = 0;
	uint64_t drops = 0;
	uint8_t out[NK_ETH_MTU + NK_ETH_HLEN];

	(void)state;
	assert_non_null(model);
	for (uint32_t seq = 0; seq < 100000;) {
		if (nk_xorshift64(&rng) % 2) {
			size_t len = NK_ETH_HLEN + seq % (NK_ETH_MTU + 1);

			fill(frame_buf, len, seq);
			nk_net_rx(&dev, frame_buf, len);
			if (tail - head < NK_NET_RXQ_LEN)
				model[tail++] = seq;
			else
				drops++;
			seq++;
		} else if (head < tail) {
			uint32_t want = model[head++];
			size_t len = NK_ETH_HLEN + want % (NK_ETH_MTU + 1);

			assert_int_equal(nk_net_recv(&dev, out, sizeof(out), 0, NK_NET_NONBLOCK),
					 len);
			assert_true(check(out, len, want));
		} else {
			assert_int_equal(nk_net_recv(&dev, out, sizeof(out), 0, NK_NET_NONBLOCK),
					 -EAGAIN);
		}
		assert_int_equal(dev.rxq_count, tail - head);
	}
	assert_int_equal(dev.stats.rx_drops, drops);
	assert_true(drops > 0);
	free(model);
}

/* --- ARP helpers --- */

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t gw_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

static void test_arp_request(void **state)
{
	static const uint8_t expect[NK_ARP_FRAME_LEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
		10,   0,    2,	  15,	0,    0,    0,	  0,	0,    0,    10,	  0,	2,    2,
	};
	uint8_t f[NK_ARP_FRAME_LEN];

	(void)state;
	memset(f, 0xaa, sizeof(f));
	assert_int_equal(nk_arp_build_request(f, our_mac, 0x0a00020f, 0x0a000202),
			 NK_ARP_FRAME_LEN);
	assert_memory_equal(f, expect, sizeof(f));
}

/* A reply as QEMU's slirp sends it: gateway to us, padded to 60 bytes. */
static void make_reply(uint8_t *f)
{
	memset(f, 0, 60);
	nk_arp_build_request(f, gw_mac, 0x0a000202, 0x0a00020f);
	memcpy(f, our_mac, 6);
	f[21] = 2;
	memcpy(f + 32, our_mac, 6);
}

static void test_arp_reply(void **state)
{
	uint8_t f[60], mac[6];

	(void)state;
	make_reply(f);
	assert_int_equal(nk_arp_parse_reply(f, 60, 0x0a000202, mac), 0);
	assert_memory_equal(mac, gw_mac, 6);
	assert_int_equal(nk_arp_parse_reply(f, 42, 0x0a000202, NULL), 0);
	assert_int_equal(nk_arp_parse_reply(f, 41, 0x0a000202, mac), -EINVAL);
	assert_int_equal(nk_arp_parse_reply(f, 13, 0x0a000202, mac), -ENOENT);
	assert_int_equal(nk_arp_parse_reply(f, 60, 0x0a000203, mac), -ENOENT);
	f[21] = 1; /* a request */
	assert_int_equal(nk_arp_parse_reply(f, 60, 0x0a000202, mac), -ENOENT);
	make_reply(f);
	f[13] = 0x00; /* IPv4, not ARP */
	assert_int_equal(nk_arp_parse_reply(f, 60, 0x0a000202, mac), -ENOENT);
	make_reply(f);
	f[18] = 8; /* hardware address length */
	assert_int_equal(nk_arp_parse_reply(f, 60, 0x0a000202, mac), -EINVAL);
}

static void test_ipv4(void **state)
{
	static const char *const bad[] = {
		"",	     "10.0.2",	   "10.0.2.2.", "10.0.2.2.1", "256.0.0.1",
		"10.0.2.-1", "1..2.3",	   "a.b.c.d",	"10.0.2.2 ",  " 10.0.2.2",
		"010.0.2.2", "1.2.3.1000", "10.0.2.02", "0x1.2.3.4",
	};
	uint32_t ip;
	char buf[16];

	(void)state;
	assert_int_equal(nk_ipv4_parse("10.0.2.2", &ip), 0);
	assert_int_equal(ip, 0x0a000202);
	assert_int_equal(nk_ipv4_parse("255.255.255.255", &ip), 0);
	assert_int_equal(ip, 0xffffffff);
	assert_int_equal(nk_ipv4_parse("0.0.0.0", &ip), 0);
	assert_int_equal(ip, 0);
	for (size_t i = 0; i < NK_ARRAY_SIZE(bad); i++) {
		ip = 7;
		assert_int_equal(nk_ipv4_parse(bad[i], &ip), -EINVAL);
		assert_int_equal(ip, 7);
	}
	nk_ipv4_format(0x0a00020f, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.2.15");
	nk_ipv4_format(0xffffffff, buf, sizeof(buf));
	assert_string_equal(buf, "255.255.255.255");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_register),
		T(test_send_lengths),
		T(test_send_log_limit),
		T(test_send_state),
		T(test_send_full),
		T(test_send_wait_link_down),
		T(test_rx_queue_order),
		T(test_rx_bad_lengths),
		T(test_rx_truncate_and_flush),
		T(test_rx_blocking),
		T(test_rx_callback),
		T(test_rx_queue_random),
		cmocka_unit_test(test_arp_request),
		cmocka_unit_test(test_arp_reply),
		cmocka_unit_test(test_ipv4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
