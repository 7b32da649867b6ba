/*
 * ARP for IPv4 over Ethernet (RFC 826), just enough to probe a neighbour: build a request,
 * recognise the reply. Used by the nettest command and the net tests; the network stack has
 * its own. Addresses are host-order uint32_t (10.0.2.2 is 0x0a000202).
 */
#ifndef NK_NAUTILUS_ARP_H
#define NK_NAUTILUS_ARP_H

#include <nautilus/netdev.h>

#define NK_ETHERTYPE_ARP  0x0806
#define NK_ETHERTYPE_IPV4 0x0800
#define NK_ARP_FRAME_LEN  42 /* Ethernet header + 28-byte ARP packet (devices pad to 60) */

/* Broadcast "who has target_ip? tell src_ip" from src_mac into frame: NK_ARP_FRAME_LEN. */
size_t nk_arp_build_request(uint8_t frame[NK_ARP_FRAME_LEN], const uint8_t src_mac[NK_ETH_ALEN],
			    uint32_t src_ip, uint32_t target_ip);
/*
 * 0 if frame (len bytes) is an ARP reply from target_ip, with its MAC copied to mac (if not
 * NULL); -ENOENT for any other frame (another protocol, a request, another sender), -EINVAL
 * for an ARP frame that is cut short or not Ethernet/IPv4.
 */
int nk_arp_parse_reply(const void *frame, size_t len, uint32_t target_ip, uint8_t mac[NK_ETH_ALEN]);

/*
 * Ask for target_ip's MAC on ndev as src_ip: a request every retry_ns until a reply or
 * timeout_ns. 0 with the MAC and the round trip from the last request sent (rtt_ns may be
 * NULL); -ETIMEDOUT, or nk_net_send's error. Thread context. During the probe a receive
 * callback of the probe's sees every frame first and passes each on to the callback that was
 * set before (frames for the polled queue are not queued meanwhile).
 */
int nk_arp_probe(struct nk_net_dev *ndev, uint32_t src_ip, uint32_t target_ip, uint64_t retry_ns,
		 uint64_t timeout_ns, uint8_t mac[NK_ETH_ALEN], uint64_t *rtt_ns);

/* "a.b.c.d" (decimal, each 0..255, nothing else) to *ip: 0 or -EINVAL. */
int nk_ipv4_parse(const char *s, uint32_t *ip);
/* ip as "a.b.c.d" into buf (at least 16 bytes). */
void nk_ipv4_format(uint32_t ip, char *buf, size_t size);

#endif
