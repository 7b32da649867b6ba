/* The "serial" shell command: each 16550 port's mode, interrupt and counters. */
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/shell.h>

#include "ns16550.h"

static void show(int i, struct ns16550_port *p)
{
	struct nk_char_dev c;
	struct ns16550_stats st;

	nk_ns16550_get_stats(p, &c, &st);
	nk_printf("%s: COM%d at 0x%x, %s, %s%s\n", c.dev.name, i + 1, p->base, c.dev.irq,
		  nk_dev_state_name(c.dev.state), p->loopback ? ", loopback" : "");
	nk_printf("  rx %llu bytes, tx %llu bytes (%llu polled), %llu interrupts (%llu re-armed)\n",
		  (unsigned long long)c.rx_bytes, (unsigned long long)c.tx_bytes,
		  (unsigned long long)st.polled_tx, (unsigned long long)st.irqs,
		  (unsigned long long)st.work_limits);
	nk_printf("  overruns %llu (chip %llu, ring full %llu), breaks %llu, framing/parity %llu, "
		  "tx timeouts %llu\n",
		  (unsigned long long)c.rx_overruns, (unsigned long long)st.hw_overruns,
		  (unsigned long long)st.ring_drops, (unsigned long long)st.breaks,
		  (unsigned long long)st.frame_errors, (unsigned long long)st.tx_timeouts);
}

static int cmd_serial(int argc, char **argv __nk_unused)
{
	int found = 0;

	if (argc != 1)
		return -EINVAL;
	for (int i = 0; i < NS16550_PORTS; i++) {
		struct ns16550_port *p = nk_ns16550_port(i);

		if (p) {
			show(i, p);
			found++;
		}
	}
	if (!found)
		nk_printf("no serial port registered\n");
	return 0;
}
NK_SHELL_CMD(serial, ": 16550 ports with their interrupt and counters (bytes, overruns, breaks)",
	     cmd_serial);
