/* ARP probe of one neighbour on a net device: the nettest command and the net tests use it. */
#include <nautilus/arp.h>
#include <nautilus/errno.h>
#include <nautilus/semaphore.h>
#include <nautilus/string.h>
#include <nautilus/time.h>

struct probe {
	uint32_t target_ip;
	bool answered;
	uint64_t answer_ns;
	uint8_t mac[NK_ETH_ALEN];
	struct nk_sem done;
	nk_net_rx_fn prev_fn;
	void *prev_arg;
};

/* Interrupt context: note the first reply, pass every frame on. */
static void probe_rx(struct nk_net_dev *ndev, const void *frame, size_t len, void *arg)
{
	struct probe *p = arg;

	if (!p->answered && !nk_arp_parse_reply(frame, len, p->target_ip, p->mac)) {
		p->answer_ns = nk_time_ns();
		p->answered = true;
		nk_sem_up(&p->done);
	}
	if (p->prev_fn)
		p->prev_fn(ndev, frame, len, p->prev_arg);
}

int nk_arp_probe(struct nk_net_dev *ndev, uint32_t src_ip, uint32_t target_ip, uint64_t retry_ns,
		 uint64_t timeout_ns, uint8_t mac[NK_ETH_ALEN], uint64_t *rtt_ns)
{
	uint64_t deadline = nk_time_ns() + timeout_ns, sent_ns = 0, prev_sent_ns = 0;
	uint8_t frame[NK_ARP_FRAME_LEN];
	struct probe p = { .target_ip = target_ip };
	int err = -ETIMEDOUT;

	nk_sem_init(&p.done, 0);
	p.prev_fn = ndev->rx_fn;
	p.prev_arg = ndev->rx_arg;
	nk_net_set_rx(ndev, probe_rx, &p);
	nk_arp_build_request(frame, ndev->mac, src_ip, target_ip);
	while (nk_time_ns() < deadline) {
		uint64_t left = deadline - nk_time_ns();

		prev_sent_ns = sent_ns;
		sent_ns = nk_time_ns();
		err = nk_net_send(ndev, frame, sizeof(frame), 0);
		if (err)
			break;
		err = nk_sem_down_timeout(&p.done, NK_MIN(retry_ns, left));
		if (!err)
			break;
	}
	/* After this, probe_rx runs nowhere and p may go. */
	nk_net_set_rx(ndev, p.prev_fn, p.prev_arg);
	if (err)
		return err;
	memcpy(mac, p.mac, NK_ETH_ALEN);
	/* A late reply to the previous request can arrive just as the next one goes out. */
	if (rtt_ns)
		*rtt_ns = p.answer_ns - (p.answer_ns >= sent_ns ? sent_ns : prev_sent_ns);
	return 0;
}
