/*
 * 16550 UARTs on COM1-COM4. From the first instructions of C, COM1 is the polled console. An
 * initcall then finds the ports (scratch register and loopback probes), registers each as the
 * char device serialN and makes it interrupt-driven: RX and TX rings, filled and drained by the
 * interrupt handler; readers and writers sleep on wait queues. serial0 becomes the shell's input.
 *
 * Console output (printk, the shell) goes through serial0's TX ring too, so everything leaves in
 * the order it was written. A writer puts out what the transmitter can take at once; the rest
 * waits for the THR-empty interrupt. A writer that cannot wait for the interrupt (ring full,
 * nk_console_flush from code with interrupts off, power-off, panic) drains the ring itself,
 * polled, oldest bytes first.
 */
#include <arch/x64/cpu.h>
#include <nautilus/console.h>
#include <nautilus/errno.h>
#include <nautilus/init.h>
#include <nautilus/irq.h>
#include <nautilus/mm.h>
#include <nautilus/panic.h>
#include <nautilus/printk.h>
#include <nautilus/timer.h>

#include "ns16550.h"
#include "ns16550_regs.h"

/*
 * LSR reads a polled writer makes while waiting for THR empty: about a second on hardware (a
 * read is ~1 us, a 16-byte load takes 1.4 ms at 115200 baud), a few under QEMU, whose
 * transmitter waits only for the host to read. Past it the port is marked stalled.
 */
#define THRE_SPINS 20000000UL
/* Transmitter loads and RX drains one interrupt does before it re-arms and returns. */
#define IRQ_WORK_MAX 64
/* Consecutive iterations with an interrupt pending and nothing to do: the chip is broken. */
#define IRQ_STUCK_MAX 16
/* A port whose interrupt could not be set up is read this often. */
#define POLL_NS 2000000ULL

static struct ns16550_port ports[NS16550_PORTS] = {
	{ .base = COM1_BASE,
	  .irq = COM1_IRQ,
	  .fifo = 1,
	  .console = true,
	  .lock = NK_SPINLOCK_INIT },
	{ .base = COM2_BASE, .irq = COM2_IRQ, .fifo = 1, .lock = NK_SPINLOCK_INIT },
	{ .base = COM3_BASE, .irq = COM1_IRQ, .fifo = 1, .lock = NK_SPINLOCK_INIT },
	{ .base = COM4_BASE, .irq = COM2_IRQ, .fifo = 1, .lock = NK_SPINLOCK_INIT },
};
static bool registered[NS16550_PORTS];

/* Wake-ups a pass over the port owes once the port lock is released. */
struct wake {
	bool rx; /* bytes arrived */
	bool tx; /* the TX ring has room for the writers that wait */
};

/* --- registers (callers hold the port lock once interrupts are on) --- */

static void reg_write(const struct ns16550_port *p, int reg, uint8_t v)
{
	outb(p->base + reg, v);
}

static uint8_t reg_read(const struct ns16550_port *p, int reg)
{
	return inb(p->base + reg);
}

/* Read LSR, counting the conditions that reading it clears. */
static uint8_t read_lsr(struct ns16550_port *p)
{
	uint8_t lsr = reg_read(p, UART_LSR);

	if (lsr & LSR_OE) {
		p->st.hw_overruns++;
		p->cdev.rx_overruns++;
	}
	if (lsr & LSR_BI) {
		p->st.breaks++;
		p->break_pending = true;
	} else if (lsr & (LSR_FE | LSR_PE)) {
		p->st.frame_errors++;
	}
	return lsr;
}

static void set_ier(struct ns16550_port *p, uint8_t ier)
{
	if (ier != p->ier) {
		p->ier = ier;
		reg_write(p, UART_IER, ier);
	}
}

/* --- polled transmission --- */

/* Wait for THR empty within the bound; false (port marked stalled) if it never came. */
static bool wait_thre(struct ns16550_port *p)
{
	unsigned long spins = p->tx_stalled ? 1 : THRE_SPINS;

	for (unsigned long i = 0; i < spins; i++) {
		if (read_lsr(p) & LSR_THRE) {
			p->tx_stalled = false;
			return true;
		}
		cpu_relax();
	}
	if (!p->tx_stalled)
		p->st.tx_timeouts++;
	p->tx_stalled = true;
	return false;
}

/* n bytes went out polled. */
static void count_polled(struct ns16550_port *p, uint32_t n)
{
	p->cdev.tx_bytes += n;
	if (p->irq_mode)
		p->st.polled_tx += n;
}

/* Terminals want CR LF; the kernel writes LF. A byte a stalled transmitter cannot take is lost. */
static void write_polled(struct ns16550_port *p, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n' && wait_thre(p)) {
			reg_write(p, UART_THR, '\r');
			count_polled(p, 1);
		}
		if (wait_thre(p)) {
			reg_write(p, UART_THR, (uint8_t)buf[i]);
			count_polled(p, 1);
		}
	}
}

/*
 * Put out the oldest bytes of the TX ring, a transmitter load at a time, waiting for the
 * transmitter, until the ring has room for n bytes (its size: until it is empty).
 */
static void make_room_polled(struct ns16550_port *p, uint32_t n)
{
	bool freed = false;

	while (byte_ring_space(&p->tx) < n) {
		bool ok = wait_thre(p);
		uint32_t load = NK_MIN(p->fifo, byte_ring_count(&p->tx));

		for (uint32_t i = 0; i < load; i++) {
			uint8_t c = (uint8_t)byte_ring_getc(&p->tx);

			if (ok)
				reg_write(p, UART_THR, c);
		}
		count_polled(p, ok ? load : 0);
		freed = true;
	}
	if (freed && p->tx_sleepers)
		p->tx_wake_owed = true;
}

static void drain_polled(struct ns16550_port *p)
{
	make_room_polled(p, p->tx.size);
}

/* --- interrupt-driven transfer: called with the port lock held --- */

/* Deliver one received byte to the RX ring, or count it dropped. */
static void rx_byte(struct ns16550_port *p, uint8_t c, struct wake *w)
{
	if (byte_ring_putc(&p->rx, c)) {
		p->cdev.rx_bytes++;
		w->rx = true;
	} else {
		p->st.ring_drops++;
		p->cdev.rx_overruns++;
	}
}

/*
 * Move waiting bytes into the RX ring; true if anything was received or reported. A break
 * queues a 0 byte that is not data: it is dropped, and so are 0 bytes right after it (QEMU
 * reports one BI for the several break bytes its FIFO may hold), up to the next other byte.
 */
static bool rx_drain(struct ns16550_port *p, struct wake *w)
{
	uint8_t lsr = read_lsr(p);
	bool progress = lsr & (LSR_OE | LSR_BI | LSR_FE | LSR_PE);

	for (unsigned n = 0; (lsr & LSR_DR) && n < 2 * FIFO_DEPTH; n++) {
		uint8_t c = reg_read(p, UART_RBR);

		progress = true;
		if (!(p->break_pending && c == 0)) {
			p->break_pending = false;
			rx_byte(p, c, w);
		}
		lsr = read_lsr(p);
	}
	return progress;
}

/*
 * One transmitter load from the TX ring if THR is empty; true if it wrote anything. In loopback
 * the caller has just drained the chip's RX FIFO into the RX ring.
 */
static bool tx_fill(struct ns16550_port *p)
{
	uint32_t n;

	n = NK_MIN(p->fifo, byte_ring_count(&p->tx));
	/* In loopback this port is the far end: send what its RX ring can take, lose nothing. */
	if (!n || (p->loopback && byte_ring_space(&p->rx) < n) || !(read_lsr(p) & LSR_THRE))
		return false;
	for (uint32_t i = 0; i < n; i++)
		reg_write(p, UART_THR, (uint8_t)byte_ring_getc(&p->tx));
	p->cdev.tx_bytes += n;
	if (p->tx_sleepers && byte_ring_space(&p->tx) >= p->tx.size / 2)
		p->tx_wake_owed = true;
	return true;
}

/*
 * Start transmission after bytes were queued: fill the transmitter while it is empty. In
 * loopback each load comes straight back into the 16-byte RX FIFO, so only one load, after
 * reading what came back (rx: the caller may wake readers); the interrupt does the rest.
 */
static void tx_kick(struct ns16550_port *p, bool rx, struct wake *w)
{
	if (p->loopback) {
		if (rx)
			rx_drain(p, w);
		tx_fill(p);
	} else {
		while (tx_fill(p))
			;
	}
}

/*
 * THR-empty interrupts while there is something to send, or a wake-up of writers owed by a
 * path that may not wake (console output: printk's callers may hold scheduler locks).
 */
static void tx_irq_update(struct ns16550_port *p)
{
	uint8_t ier = p->ier & ~IER_THRE;

	if (p->irq_mode && p->ier && (!byte_ring_empty(&p->tx) || p->tx_wake_owed))
		ier |= IER_THRE;
	set_ier(p, ier);
}

/* End of a locked pass that may wake: collect the owed wake-up of writers. */
static void take_tx_wake(struct ns16550_port *p, struct wake *w)
{
	w->tx |= p->tx_wake_owed;
	p->tx_wake_owed = false;
}

static void wake(struct ns16550_port *p, const struct wake *w)
{
	if (w->rx)
		nk_waitqueue_wake_all(&p->rx_wq);
	if (w->tx)
		nk_waitqueue_wake_all(&p->tx_wq);
}

/* --- the interrupt --- */

/* One pass for the pending source iir; true if it found something to do. */
static bool service(struct ns16550_port *p, uint8_t iir, struct wake *w)
{
	bool progress = false;

	if ((iir & IIR_ID_MASK) == IIR_ID_MS) {
		reg_read(p, UART_MSR);
		progress = true;
	}
	progress |= rx_drain(p, w);
	progress |= tx_fill(p);
	return progress;
}

/*
 * The interrupt stays pending: clear IER and set it again, which drops the chip's interrupt
 * output and raises it, so the edge-triggered ISA line interrupts again after this one.
 */
static void rearm(struct ns16550_port *p)
{
	reg_write(p, UART_IER, 0);
	reg_write(p, UART_IER, p->ier);
}

/* Service p until nothing is pending (bounded); false if the chip looks stuck. */
static bool port_irq_locked(struct ns16550_port *p, struct wake *w)
{
	int idle = 0, n;

	for (n = 0; n < IRQ_WORK_MAX; n++) {
		uint8_t iir = reg_read(p, UART_IIR);

		if (iir & IIR_NO_INT)
			break;
		idle = service(p, iir, w) ? 0 : idle + 1;
		if (idle == IRQ_STUCK_MAX) {
			set_ier(p, 0);
			return false;
		}
	}
	if (n)
		p->st.irqs++;
	take_tx_wake(p, w);
	tx_irq_update(p);
	if (n == IRQ_WORK_MAX) {
		p->st.work_limits++;
		rearm(p);
	}
	return true;
}

static void port_irq(struct ns16550_port *p)
{
	struct wake w = { false, false };
	unsigned long flags = nk_spin_lock_irqsave(&p->lock);
	bool ok = !p->irq_mode || port_irq_locked(p, &w);

	if (!ok)
		p->irq_mode = false;
	nk_spin_unlock_irqrestore(&p->lock, flags);
	if (!ok) {
		nk_dev_fail(
			&p->cdev.dev, -EIO,
			"interrupt pending with nothing to service (IIR 0x%02x): interrupts off",
			reg_read(p, UART_IIR));
		w.rx = w.tx = true; /* waiters see the failure */
	}
	wake(p, &w);
}

/* The ports sharing one ISA line (COM1 and COM3 on IRQ 4, COM2 and COM4 on IRQ 3). */
struct irq_line {
	int irq;
	int vector; /* 0 until registered, < 0: registration failed */
	int nr;	    /* ports in ports[], published with release order */
	struct ns16550_port *ports[2];
};

static struct irq_line lines[2] = { { .irq = COM1_IRQ }, { .irq = COM2_IRQ } };

static void line_irq(int vector __nk_unused, void *arg)
{
	struct irq_line *l = arg;
	int nr = __atomic_load_n(&l->nr, __ATOMIC_ACQUIRE);

	for (int i = 0; i < nr; i++)
		port_irq(l->ports[i]);
}

/* Route p's line (once per line) and add p to it: the vector, or -errno. */
static int line_attach(struct ns16550_port *p)
{
	struct irq_line *l = &lines[p->irq == COM1_IRQ ? 0 : 1];

	if (!l->vector)
		l->vector = nk_irq_register_on(l->irq, NS16550_IRQ_CPU, line_irq, l);
	if (l->vector < 0)
		return l->vector;
	l->ports[l->nr] = p;
	__atomic_store_n(&l->nr, l->nr + 1, __ATOMIC_RELEASE);
	return l->vector;
}

/* --- the char device --- */

static struct ns16550_port *port_of(struct nk_char_dev *cdev)
{
	return (struct ns16550_port *)cdev; /* cdev is the first member */
}

/* Without an interrupt: read what the chip holds now. Lock held. */
static void poll_rx(struct ns16550_port *p)
{
	struct wake w = { false, false };

	if (!p->irq_mode)
		rx_drain(p, &w);
}

/* In loopback the transmitter waits for room in the RX ring: a read made some. Lock held. */
static void loop_resume(struct ns16550_port *p, struct wake *w)
{
	if (!p->loopback || !p->irq_mode || byte_ring_empty(&p->tx))
		return;
	tx_kick(p, true, w);
	take_tx_wake(p, w);
	tx_irq_update(p);
}

static long port_read(struct nk_char_dev *cdev, void *buf, size_t len, int flags)
{
	struct ns16550_port *p = port_of(cdev);

	for (;;) {
		unsigned long irqf = nk_spin_lock_irqsave(&p->rx_wq.lock);
		struct wake w = { false, false };
		struct nk_waiter waiter;
		size_t n;

		nk_spin_lock(&p->lock);
		poll_rx(p);
		n = byte_ring_get(&p->rx, buf, len);
		if (n)
			loop_resume(p, &w);
		nk_spin_unlock(&p->lock);
		if (n || (flags & NK_CHAR_NONBLOCK) || cdev->dev.state != NK_DEV_OK) {
			nk_spin_unlock_irqrestore(&p->rx_wq.lock, irqf);
			wake(p, &w);
			if (n)
				return (long)n;
			return cdev->dev.state != NK_DEV_OK ? cdev->dev.error : -EAGAIN;
		}
		if (!p->irq_mode) {
			nk_spin_unlock_irqrestore(&p->rx_wq.lock, irqf);
			nk_sleep(POLL_NS);
			continue;
		}
		nk_waitqueue_sleep(&p->rx_wq, &waiter, irqf, 0);
	}
}

/*
 * Queue one chunk of at most the ring's size: all of it or nothing (so that lines written by
 * several threads stay whole), or with NK_CHAR_NONBLOCK what fits. Lock held. Bytes queued.
 */
static size_t queue_chunk(struct ns16550_port *p, const uint8_t *buf, size_t len, int flags,
			  struct wake *w)
{
	size_t n;

	if (byte_ring_space(&p->tx) < len && !(flags & NK_CHAR_NONBLOCK))
		return 0;
	n = byte_ring_put(&p->tx, buf, len);
	if (p->irq_mode)
		tx_kick(p, true, w);
	else
		drain_polled(p);
	take_tx_wake(p, w);
	tx_irq_update(p);
	return n;
}

static long port_write(struct nk_char_dev *cdev, const void *buf, size_t len, int flags)
{
	struct ns16550_port *p = port_of(cdev);
	bool slept = false;
	size_t done = 0;

	while (done < len) {
		unsigned long irqf = nk_spin_lock_irqsave(&p->tx_wq.lock);
		size_t chunk = NK_MIN(len - done, (size_t)p->tx.size), n;
		struct wake w = { false, false };
		struct nk_waiter waiter;

		nk_spin_lock(&p->lock);
		p->tx_sleepers -= slept;
		n = queue_chunk(p, (const uint8_t *)buf + done, chunk, flags, &w);
		/* Counted under the port lock: whoever makes room next owes this writer a wake-up. */
		slept = !n && !(flags & NK_CHAR_NONBLOCK) && cdev->dev.state == NK_DEV_OK;
		p->tx_sleepers += slept;
		nk_spin_unlock(&p->lock);
		done += n;
		if (n || (flags & NK_CHAR_NONBLOCK) || cdev->dev.state != NK_DEV_OK) {
			nk_spin_unlock_irqrestore(&p->tx_wq.lock, irqf);
			wake(p, &w);
			if (cdev->dev.state != NK_DEV_OK)
				return done ? (long)done : cdev->dev.error;
			if (flags & NK_CHAR_NONBLOCK)
				return done ? (long)done : -EAGAIN;
			continue;
		}
		nk_waitqueue_sleep(&p->tx_wq, &waiter, irqf, 0);
	}
	return (long)done;
}

static const struct nk_char_dev_ops port_ops = {
	.read = port_read,
	.write = port_write,
};

struct ns16550_port *nk_ns16550_port(int index)
{
	if (index < 0 || index >= NS16550_PORTS || !registered[index])
		return NULL;
	return &ports[index];
}

int nk_ns16550_set_loopback(struct ns16550_port *p, bool on)
{
	unsigned long flags;

	if (p->console)
		return -EBUSY;
	flags = nk_spin_lock_irqsave(&p->lock);
	p->mcr = on ? p->mcr | MCR_LOOP : p->mcr & ~MCR_LOOP;
	reg_write(p, UART_MCR, p->mcr);
	p->loopback = on;
	nk_spin_unlock_irqrestore(&p->lock, flags);
	return 0;
}

void nk_ns16550_get_stats(struct ns16550_port *p, struct nk_char_dev *cdev,
			  struct ns16550_stats *st)
{
	unsigned long flags = nk_spin_lock_irqsave(&p->lock);

	*cdev = p->cdev;
	*st = p->st;
	nk_spin_unlock_irqrestore(&p->lock, flags);
}

/* --- the console on COM1 --- */

/*
 * The port lock for a console write. During a panic the other CPUs are stopped and one of them
 * (or this CPU, if it panicked inside the driver) may hold it for ever: try for a while, then
 * go on without it. False: not taken (flags still to restore).
 */
static bool console_lock(struct ns16550_port *p, unsigned long *flags)
{
	*flags = nk_arch_irq_save();
	if (!nk_panic_in_progress()) {
		nk_spin_lock(&p->lock);
		return true;
	}
	for (unsigned long i = 0; i < THRE_SPINS; i++) {
		if (nk_spin_trylock(&p->lock))
			return true;
		cpu_relax();
	}
	return false;
}

static void console_unlock(struct ns16550_port *p, bool locked, unsigned long flags)
{
	if (locked)
		nk_spin_unlock_irqrestore(&p->lock, flags);
	else
		nk_arch_irq_restore(flags);
}

/* Queue with LF -> CR LF; when the ring is full, make room by putting out its oldest bytes. */
static void console_queue(struct ns16550_port *p, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		make_room_polled(p, 2);
		if (buf[i] == '\n')
			byte_ring_putc(&p->tx, '\r');
		byte_ring_putc(&p->tx, (uint8_t)buf[i]);
	}
	tx_kick(p, false, NULL);
	tx_irq_update(p); /* the interrupt pays wake-ups this pass owes */
}

static void console_write(const char *buf, size_t len)
{
	struct ns16550_port *p = &ports[0];
	unsigned long flags;
	bool locked = console_lock(p, &flags);

	if (p->irq_mode && !nk_panic_in_progress()) {
		console_queue(p, buf, len);
	} else {
		drain_polled(p);
		write_polled(p, buf, len);
	}
	console_unlock(p, locked, flags);
}

/* Everything queued is on the line (or in the chip's FIFO) when this returns. */
static void console_flush(void)
{
	struct ns16550_port *p = &ports[0];
	unsigned long flags;
	bool locked = console_lock(p, &flags);

	drain_polled(p);
	tx_irq_update(p);
	console_unlock(p, locked, flags);
}

static int console_getc(void)
{
	struct ns16550_port *p = &ports[0];
	unsigned long flags;
	bool locked = console_lock(p, &flags);
	int c;

	if (p->irq_mode)
		c = byte_ring_getc(&p->rx);
	else
		c = reg_read(p, UART_LSR) & LSR_DR ? reg_read(p, UART_RBR) : -1;
	console_unlock(p, locked, flags);
	return c;
}

static struct nk_console uart_console = {
	.name = "serial0",
	.write = console_write,
	.getc = console_getc,
	.flush = console_flush,
};

/* 115200 8N1, FIFOs on: the line settings every port gets. */
static void line_setup(struct ns16550_port *p, uint8_t fcr)
{
	reg_write(p, UART_IER, 0);
	reg_write(p, UART_LCR, LCR_DLAB);
	reg_write(p, UART_DLL, DIVISOR_115200);
	reg_write(p, UART_DLM, 0);
	reg_write(p, UART_LCR, LCR_8N1);
	reg_write(p, UART_FCR, fcr);
	p->mcr = MCR_DTR | MCR_RTS | MCR_OUT2;
	reg_write(p, UART_MCR, p->mcr);
}

void nk_early_console_init(void)
{
	line_setup(&ports[0], FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX | FCR_TRIG_14);
	nk_console_register(&uart_console);
}

/* --- finding the ports --- */

/* The scratch register keeps what is written: a UART answers at base (not a floating bus). */
static bool probe_scratch(const struct ns16550_port *p)
{
	static const uint8_t pattern[] = { 0x55, 0xaa, 0x00 };

	for (size_t i = 0; i < NK_ARRAY_SIZE(pattern); i++) {
		reg_write(p, UART_SCR, pattern[i]);
		if (reg_read(p, UART_SCR) != pattern[i])
			return false;
	}
	return true;
}

/* In loopback the modem status inputs follow the modem control outputs: a 16550 is there. */
static bool probe_loopback(const struct ns16550_port *p)
{
	uint8_t saved = reg_read(p, UART_MCR);
	bool ok;

	reg_write(p, UART_MCR, MCR_LOOP | MCR_RTS | MCR_OUT1);
	ok = (reg_read(p, UART_MSR) & MSR_LINES) == (MSR_CTS | MSR_RI);
	reg_write(p, UART_MCR, MCR_LOOP | MCR_DTR | MCR_OUT2);
	ok = ok && (reg_read(p, UART_MSR) & MSR_LINES) == (MSR_DSR | MSR_DCD);
	reg_write(p, UART_MCR, saved);
	return ok;
}

/* The console port is not looped back: it may be printing (on another CPU) meanwhile. */
static bool probe(struct ns16550_port *p)
{
	return probe_scratch(p) && (p->console || probe_loopback(p));
}

/* Rings and wait queues: 0 or -ENOMEM. */
static int alloc_rings(struct ns16550_port *p)
{
	uint8_t *rx = nk_malloc(NS16550_RX_RING), *tx = nk_malloc(NS16550_TX_RING);

	if (!rx || !tx) {
		nk_free(rx);
		nk_free(tx);
		return -ENOMEM;
	}
	byte_ring_init(&p->rx, rx, NS16550_RX_RING);
	byte_ring_init(&p->tx, tx, NS16550_TX_RING);
	nk_waitqueue_init(&p->rx_wq);
	nk_waitqueue_init(&p->tx_wq);
	return 0;
}

/* The chip's FIFOs with an 8-byte RX trigger (the console's are kept: no byte is lost). */
static void fifo_setup(struct ns16550_port *p)
{
	unsigned long flags = nk_spin_lock_irqsave(&p->lock);

	if (!p->console)
		line_setup(p, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX | FCR_TRIG_8);
	else
		reg_write(p, UART_FCR, FCR_ENABLE | FCR_TRIG_8);
	p->fifo = (reg_read(p, UART_IIR) & IIR_FIFO) == IIR_FIFO ? FIFO_DEPTH : 1;
	while (read_lsr(p) & LSR_DR && !p->console)
		reg_read(p, UART_RBR); /* stale bytes of a port nobody listened to */
	reg_read(p, UART_MSR);
	nk_spin_unlock_irqrestore(&p->lock, flags);
}

/* Interrupts on: received data and line status always, THR empty while there is output. */
static void irq_mode_on(struct ns16550_port *p)
{
	unsigned long flags = nk_spin_lock_irqsave(&p->lock);

	p->irq_mode = true;
	set_ier(p, IER_RDA | IER_RLS);
	tx_irq_update(p);
	nk_spin_unlock_irqrestore(&p->lock, flags);
}

/* Register COM(i + 1) as serial<i> and switch it to interrupts: 0 or -errno. */
static int port_setup(int i)
{
	struct ns16550_port *p = &ports[i];
	int err, vec;

	if (!probe(p))
		return -ENODEV;
	err = alloc_rings(p);
	if (err)
		return err;
	fifo_setup(p);
	nk_snprintf(p->cdev.dev.name, NK_DEV_NAME_MAX, "serial%d", i);
	p->cdev.dev.driver = "ns16550";
	err = nk_char_dev_register(&p->cdev, &port_ops);
	if (err)
		goto err_free_rings;
	registered[i] = true;
	vec = line_attach(p);
	if (vec < 0) {
		nk_snprintf(p->cdev.dev.irq, NK_DEV_IRQ_MAX, "polled");
		nk_dev_log(&p->cdev.dev, NK_LOG_WARN, "IRQ %d: %s; polled instead", p->irq,
			   nk_strerror(vec));
	} else {
		p->vector = vec;
		nk_snprintf(p->cdev.dev.irq, NK_DEV_IRQ_MAX, "isa %d vector 0x%x", p->irq, vec);
		irq_mode_on(p);
	}
	if (p->console)
		nk_console_set_input(&p->cdev);
	nk_dev_log(&p->cdev.dev, NK_LOG_INFO, "%s at 0x%x, %s", p->fifo > 1 ? "16550A" : "16450",
		   p->base, p->cdev.dev.irq);
	return 0;

err_free_rings:
	nk_free(p->rx.buf);
	nk_free(p->tx.buf);
	return err;
}

static int ns16550_init(void)
{
	int err = 0;

	if (!IS_ENABLED(CONFIG_SERIAL_IRQ))
		return 0;
	for (int i = 0; i < NS16550_PORTS; i++) {
		int e = port_setup(i);

		if (e && e != -ENODEV)
			nk_err("COM%d: %s", i + 1, nk_strerror(e));
		if (i == 0)
			err = e;
	}
	return err;
}
NK_INITCALL(NK_INIT_DEVICE, ns16550_init);
