/* ARP request and reply frames (RFC 826) and dotted-quad IPv4 addresses, for probes. */
#include <nautilus/arp.h>
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>

/* Offsets in the frame: Ethernet header (14), then the ARP packet (RFC 826). */
#define ETH_DST	  0
#define ETH_SRC	  6
#define ETH_TYPE  12
#define ARP_HTYPE 14 /* hardware type: 1 Ethernet */
#define ARP_PTYPE 16 /* protocol type: 0x0800 IPv4 */
#define ARP_HLEN  18 /* 6 */
#define ARP_PLEN  19 /* 4 */
#define ARP_OPER  20 /* 1 request, 2 reply */
#define ARP_SHA	  22 /* sender hardware address */
#define ARP_SPA	  28 /* sender protocol address */
#define ARP_THA	  32 /* target hardware address */
#define ARP_TPA	  38 /* target protocol address */

#define ARP_HTYPE_ETHER 1
#define ARP_OP_REQUEST	1
#define ARP_OP_REPLY	2

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

size_t nk_arp_build_request(uint8_t frame[NK_ARP_FRAME_LEN], const uint8_t src_mac[NK_ETH_ALEN],
			    uint32_t src_ip, uint32_t target_ip)
{
	memset(frame + ETH_DST, 0xff, NK_ETH_ALEN);
	memcpy(frame + ETH_SRC, src_mac, NK_ETH_ALEN);
	put16(frame + ETH_TYPE, NK_ETHERTYPE_ARP);
	put16(frame + ARP_HTYPE, ARP_HTYPE_ETHER);
	put16(frame + ARP_PTYPE, NK_ETHERTYPE_IPV4);
	frame[ARP_HLEN] = NK_ETH_ALEN;
	frame[ARP_PLEN] = 4;
	put16(frame + ARP_OPER, ARP_OP_REQUEST);
	memcpy(frame + ARP_SHA, src_mac, NK_ETH_ALEN);
	put32(frame + ARP_SPA, src_ip);
	memset(frame + ARP_THA, 0, NK_ETH_ALEN);
	put32(frame + ARP_TPA, target_ip);
	return NK_ARP_FRAME_LEN;
}

int nk_arp_parse_reply(const void *frame, size_t len, uint32_t target_ip, uint8_t mac[NK_ETH_ALEN])
{
	const uint8_t *f = frame;

	if (len < ETH_TYPE + 2 || get16(f + ETH_TYPE) != NK_ETHERTYPE_ARP)
		return -ENOENT;
	if (len < NK_ARP_FRAME_LEN)
		return -EINVAL;
	if (get16(f + ARP_HTYPE) != ARP_HTYPE_ETHER || get16(f + ARP_PTYPE) != NK_ETHERTYPE_IPV4 ||
	    f[ARP_HLEN] != NK_ETH_ALEN || f[ARP_PLEN] != 4)
		return -EINVAL;
	if (get16(f + ARP_OPER) != ARP_OP_REPLY || get32(f + ARP_SPA) != target_ip)
		return -ENOENT;
	if (mac)
		memcpy(mac, f + ARP_SHA, NK_ETH_ALEN);
	return 0;
}

/* One decimal octet at *s (1-3 digits, no leading zero): its value, or -1. */
static int octet(const char **s)
{
	const char *p = *s;
	int v = 0, n = 0;

	while (*p >= '0' && *p <= '9' && n < 4) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n == 0 || n > 3 || v > 255 || (n > 1 && **s == '0'))
		return -1;
	*s = p;
	return v;
}

int nk_ipv4_parse(const char *s, uint32_t *ip)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		int o = octet(&s);

		if (o < 0 || *s != (i < 3 ? '.' : '\0'))
			return -EINVAL;
		v = v << 8 | (uint32_t)o;
		s++;
	}
	*ip = v;
	return 0;
}

void nk_ipv4_format(uint32_t ip, char *buf, size_t size)
{
	nk_snprintf(buf, size, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
		    ip & 0xff);
}
