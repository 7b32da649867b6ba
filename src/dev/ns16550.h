/*
 * The 16550 driver's ports, for the driver's own files and its tests (src/test/test_serial.c).
 * Everyone else uses the char devices serial0-serial3 (nautilus/chardev.h).
 */
#ifndef NK_DEV_NS16550_H
#define NK_DEV_NS16550_H

#include <nautilus/chardev.h>
#include <nautilus/spinlock.h>
#include <nautilus/waitqueue.h>

#include "byte_ring.h"

#define NS16550_PORTS	4    /* COM1-COM4: serial0-serial3 */
#define NS16550_RX_RING 4096 /* bytes received and not yet read */
#define NS16550_TX_RING 4096 /* bytes written and not yet in the transmitter */
#define NS16550_IRQ_CPU 0    /* the CPU the ports' interrupts are routed to */

/* What went wrong on a port, beyond struct nk_char_dev's counters. */
struct ns16550_stats {
	uint64_t irqs;	       /* interrupts that found the port with something pending */
	uint64_t hw_overruns;  /* LSR OE: bytes the chip lost with its RX FIFO full */
	uint64_t ring_drops;   /* bytes dropped with the RX ring full (nobody reading) */
	uint64_t breaks;       /* break conditions; their 0 byte is not delivered */
	uint64_t frame_errors; /* bytes with a framing or parity error (delivered) */
	uint64_t work_limits;  /* interrupts that stopped at the work bound and re-armed */
	uint64_t polled_tx;    /* since interrupts: bytes put out polled (ring full, flush, panic) */
	uint64_t tx_timeouts;  /* polled writes that gave up on a transmitter never empty */
};

struct ns16550_port {
	struct nk_char_dev cdev; /* first: serialN in the registry */
	uint16_t base;		 /* I/O ports base..base+7 */
	int irq;		 /* ISA IRQ line */
	int vector;		 /* its vector, 0 while polled */
	unsigned fifo;		 /* bytes per transmitter load: FIFO_DEPTH, or 1 without FIFOs */
	bool console;		 /* COM1: the log's console (LF -> CR LF, never looped back) */
	bool irq_mode;		 /* the rings and the interrupt carry the bytes */
	bool loopback;		 /* MCR loopback: what is sent comes straight back */
	bool tx_stalled;	 /* a polled write timed out: do not wait again until THRE */
	bool break_pending;	 /* a break was seen: drop its 0 bytes up to another byte */
	bool tx_wake_owed;	 /* room was made for tx_sleepers by a path that may not wake */
	int tx_sleepers;	 /* writers waiting for room, counted under the lock */
	uint8_t ier, mcr;	 /* last written values */
	struct nk_spinlock lock; /* registers, rings, flags and counters */
	struct byte_ring rx, tx;
	struct nk_waitqueue rx_wq, tx_wq; /* readers waiting for bytes, writers for room */
	struct ns16550_stats st;
};

/* COM(index + 1) if it was found and registered, else NULL. */
struct ns16550_port *nk_ns16550_port(int index);
/* Loopback on or off (not on the console port: -EBUSY). */
int nk_ns16550_set_loopback(struct ns16550_port *p, bool on);
/* A consistent copy of p's counters. */
void nk_ns16550_get_stats(struct ns16550_port *p, struct nk_char_dev *cdev,
			  struct ns16550_stats *st);

#endif
