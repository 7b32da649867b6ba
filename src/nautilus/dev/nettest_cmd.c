/*
 * The "nettest" shell command: list the net devices with their counters, or ARP-probe an
 * address on one of them (QEMU's user network: we are 10.0.2.15, the gateway is 10.0.2.2).
 */
#include <nautilus/arp.h>
#include <nautilus/errno.h>
#include <nautilus/netdev.h>
#include <nautilus/printk.h>
#include <nautilus/shell.h>

#define OUR_IP	   0x0a00020f /* 10.0.2.15: QEMU user networking's first guest address */
#define GATEWAY_IP 0x0a000202 /* 10.0.2.2: QEMU user networking's gateway */
#define RETRY_NS   200000000ULL
#define TIMEOUT_NS 2000000000ULL

static int list_one(struct nk_dev *d, void *arg)
{
	struct nk_net_dev *n = (struct nk_net_dev *)d;
	const struct nk_net_stats *s = &n->stats;

	nk_printf("%-6s %02x:%02x:%02x:%02x:%02x:%02x %5u %-4s %-6s rx %llu/%llu/%llu/%llu "
		  "tx %llu/%llu/%llu/%llu\n",
		  d->name, n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5], n->mtu,
		  n->link_up ? "up" : "down", nk_dev_state_name(d->state),
		  (unsigned long long)s->rx_packets, (unsigned long long)s->rx_bytes,
		  (unsigned long long)s->rx_drops, (unsigned long long)s->rx_errors,
		  (unsigned long long)s->tx_packets, (unsigned long long)s->tx_bytes,
		  (unsigned long long)s->tx_drops, (unsigned long long)s->tx_errors);
	(*(int *)arg)++;
	return 0;
}

static int list_all(void)
{
	int count = 0;

	nk_printf("%-6s %-17s %5s %-4s %-6s %s\n", "NAME", "MAC", "MTU", "LINK", "STATE",
		  "COUNTERS (packets/bytes/drops/errors)");
	nk_dev_for_each(NK_DEV_NET, list_one, &count);
	if (!count)
		nk_printf("(no net devices)\n");
	return 0;
}

static int probe(struct nk_net_dev *ndev, uint32_t ip)
{
	char addr[16];
	uint8_t mac[NK_ETH_ALEN];
	uint64_t rtt;
	int err;

	nk_ipv4_format(ip, addr, sizeof(addr));
	err = nk_arp_probe(ndev, OUR_IP, ip, RETRY_NS, TIMEOUT_NS, mac, &rtt);
	if (err == -ETIMEDOUT) {
		nk_printf("%s: no ARP reply from %s within %llu ms\n", ndev->dev.name, addr,
			  TIMEOUT_NS / 1000000);
		return err;
	}
	if (err) {
		nk_printf("%s: cannot send the ARP request: %s\n", ndev->dev.name,
			  nk_strerror(err));
		return err;
	}
	nk_printf("%s: %s is at %02x:%02x:%02x:%02x:%02x:%02x, round trip %llu.%03llu ms\n",
		  ndev->dev.name, addr, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
		  (unsigned long long)(rtt / 1000000), (unsigned long long)(rtt / 1000 % 1000));
	return 0;
}

static int cmd_nettest(int argc, char **argv)
{
	struct nk_net_dev *ndev;
	uint32_t ip = GATEWAY_IP;

	if (argc == 1)
		return list_all();
	if (argc > 3)
		return -EINVAL;
	ndev = nk_net_dev_find(argv[1]);
	if (!ndev) {
		nk_printf("nettest: no net device '%s' (nettest alone lists them)\n", argv[1]);
		return -ENODEV;
	}
	if (argc == 3 && nk_ipv4_parse(argv[2], &ip)) {
		nk_printf("nettest: '%s' is not an IPv4 address (a.b.c.d, each 0-255)\n", argv[2]);
		return -EINVAL;
	}
	return probe(ndev, ip);
}

NK_SHELL_CMD(
	nettest,
	"[<dev> [ip]]: list net devices, or ARP-probe ip (default 10.0.2.2) from 10.0.2.15 on dev",
	cmd_nettest);
