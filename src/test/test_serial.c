/*
 * KTAP suite `serial`: the 16550 driver and the char device layer. serial0 is registered with
 * its interrupt. On COM2 in loopback mode (skipped without a second port; QEMU: -serial null)
 * bytes written come back through the RX interrupt intact and in order, with blocking and
 * non-blocking reads and writes, and the counters match; with nobody reading, full rings make a
 * non-blocking write fail with -EAGAIN and a blocking one wait, losing nothing; RX overruns
 * (forced past the driver's back) are counted and survived,
 * and a storm of them does not hang the kernel; lines written by threads on several CPUs come
 * back whole. Console output from threads on several CPUs (nk_printf) is captured whole, and
 * output written with interrupts off is on the line when printk returns.
 */
#include <arch/x64/cpu.h>
#include <nautilus/arch.h>
#include <nautilus/chardev.h>
#include <nautilus/console.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/irq.h>
#include <nautilus/mm.h>
#include <nautilus/printk.h>
#include <nautilus/random.h>
#include <nautilus/string.h>
#include <nautilus/test.h>
#include <nautilus/thread.h>
#include <nautilus/time.h>
#include <nautilus/timer.h>

#include "../dev/ns16550.h"
#include "../dev/ns16550_regs.h"

#define MS	    1000000ULL
#define DEADLINE_NS (10000 * MS) /* a transfer that should be done long before has failed */
#define BIG	    4096	 /* the RX ring's size: fits even if the reader is slow */
#define BURST	    40		 /* bytes sent at once into the 16-byte RX FIFO: an overrun */
#define STORM	    200		 /* overruns in a row */
#define TAIL	    100		 /* written by a thread that must wait for room */
#define WRITERS	    4
#define LINES	    16 /* per writer: WRITERS * LINES lines fit in the RX ring */

/* COM2 in loopback with nothing left in its RX ring, or NULL. */
static struct ns16550_port *loop_begin(void)
{
	struct ns16550_port *p = nk_ns16550_port(1);
	uint8_t junk[64];

	if (!p || nk_ns16550_set_loopback(p, true))
		return NULL;
	while (nk_char_read(&p->cdev, junk, sizeof(junk), NK_CHAR_NONBLOCK) > 0)
		;
	return p;
}

#define NEED_LOOP(p)                                                          \
	do {                                                                  \
		(p) = loop_begin();                                           \
		if (!(p))                                                     \
			NK_SKIP("no COM2 to loop back (QEMU: -serial null)"); \
	} while (0)

/* Read len bytes without blocking, yielding while none wait: how many came by the deadline. */
static size_t read_by_deadline(struct nk_char_dev *c, uint8_t *buf, size_t len)
{
	uint64_t end = nk_time_ns() + DEADLINE_NS;
	size_t got = 0;

	while (got < len && nk_time_ns() < end) {
		long n = nk_char_read(c, buf + got, len - got, NK_CHAR_NONBLOCK);

		if (n > 0)
			got += (size_t)n;
		else if (n != -EAGAIN)
			break;
		else
			nk_yield();
	}
	return got;
}

/* Blocking reads of varying sizes until len bytes: len, or the error. */
static long read_full(struct nk_char_dev *c, uint8_t *buf, size_t len, uint64_t *seed)
{
	size_t got = 0;

	while (got < len) {
		size_t r = 1 + nk_xorshift64(seed) % 700, want = NK_MIN(len - got, r);
		long n = nk_char_read(c, buf + got, want, 0);

		if (n <= 0)
			return n ? n : -EIO;
		got += (size_t)n;
	}
	return (long)got;
}

static void pattern(uint8_t *buf, size_t len, unsigned salt)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + (i >> 8) + salt);
}

struct snapshot {
	struct nk_char_dev cdev;
	struct ns16550_stats st;
};

static void snap(struct ns16550_port *p, struct snapshot *s)
{
	nk_ns16550_get_stats(p, &s->cdev, &s->st);
}

NK_TEST(serial, serial0_registered)
{
	struct nk_char_dev *c = nk_char_dev_find("serial0");

	NK_ASSERT_NOT_NULL(c);
	NK_EXPECT_PTR_EQ(nk_dev_find("serial0"), &c->dev);
	NK_EXPECT_EQ(c->dev.cls, NK_DEV_CHAR);
	NK_EXPECT_EQ(c->dev.state, NK_DEV_OK);
	NK_EXPECT_STREQ(c->dev.driver, "ns16550");
	NK_EXPECT(!strncmp(c->dev.irq, "isa 4 vector 0x", 15));
	NK_ASSERT_PTR_EQ(nk_ns16550_port(0), c);
	NK_EXPECT_EQ(nk_ns16550_set_loopback(nk_ns16550_port(0), true), -EBUSY);
	nk_test_diag("serial0: %s", c->dev.irq);
}

/* --- the char device layer, over a fake driver --- */

struct fake {
	struct nk_char_dev cdev;
	int calls;
};

static long fake_read(struct nk_char_dev *cdev, void *buf, size_t len, int flags __nk_unused)
{
	((struct fake *)cdev)->calls++;
	memset(buf, 'r', len);
	return (long)len;
}

static long fake_write(struct nk_char_dev *cdev, const void *buf __nk_unused, size_t len,
		       int flags __nk_unused)
{
	((struct fake *)cdev)->calls++;
	return (long)len;
}

NK_TEST(serial, chardev_checks)
{
	static const struct nk_char_dev_ops ops = { fake_read, fake_write };
	static const struct nk_char_dev_ops no_read = { NULL, fake_write };
	struct fake f = { .calls = 0 };
	char b[4];

	nk_snprintf(f.cdev.dev.name, NK_DEV_NAME_MAX, "test-char");
	NK_ASSERT_EQ(nk_char_dev_register(&f.cdev, &no_read), -EINVAL);
	NK_ASSERT_EQ(nk_char_dev_register(&f.cdev, &ops), 0);
	NK_EXPECT_PTR_EQ(nk_char_dev_find("test-char"), &f.cdev);
	NK_EXPECT_EQ(nk_char_dev_register(&f.cdev, &ops), -EEXIST);
	NK_EXPECT_EQ(nk_char_read(&f.cdev, NULL, 1, 0), -EINVAL);
	NK_EXPECT_EQ(nk_char_write(&f.cdev, NULL, 1, 0), -EINVAL);
	NK_EXPECT_EQ(nk_char_read(&f.cdev, b, 1, 0x80), -EINVAL);
	NK_EXPECT_EQ(nk_char_read(NULL, b, 1, 0), -EINVAL);
	NK_EXPECT_EQ(nk_char_read(&f.cdev, NULL, 0, 0), 0);
	NK_EXPECT_EQ(f.calls, 0);
	NK_EXPECT_EQ(nk_char_read(&f.cdev, b, 4, 0), 4);
	NK_EXPECT_EQ(nk_char_write(&f.cdev, b, 3, NK_CHAR_NONBLOCK), 3);
	NK_EXPECT_EQ(f.calls, 2);
	f.cdev.dev.state = NK_DEV_FAILED;
	f.cdev.dev.error = -EIO;
	NK_EXPECT_EQ(nk_char_read(&f.cdev, b, 1, 0), -EIO);
	NK_EXPECT_EQ(nk_char_write(&f.cdev, b, 1, NK_CHAR_NONBLOCK), -EIO);
	NK_EXPECT_EQ(f.calls, 2);
	nk_dev_unregister(&f.cdev.dev);
	NK_EXPECT_NULL(nk_char_dev_find("test-char"));
}

/* --- loopback on COM2 --- */

NK_TEST(serial, nonblocking_read_when_empty)
{
	struct ns16550_port *p;
	uint8_t b[8];

	NEED_LOOP(p);
	NK_EXPECT_EQ(nk_char_read(&p->cdev, b, sizeof(b), NK_CHAR_NONBLOCK), -EAGAIN);
	NK_EXPECT_EQ(nk_char_write(&p->cdev, "x", 1, NK_CHAR_NONBLOCK), 1);
	NK_EXPECT_EQ(read_by_deadline(&p->cdev, b, 1), 1);
	NK_EXPECT_EQ(b[0], 'x');
	NK_EXPECT_EQ(nk_char_read(&p->cdev, b, sizeof(b), NK_CHAR_NONBLOCK), -EAGAIN);
	nk_ns16550_set_loopback(p, false);
}

struct writer {
	struct ns16550_port *p;
	const uint8_t *buf;
	size_t len;
	long result; /* len, or the error */
};

/* Blocking writes of varying sizes. */
static void write_chunks(void *arg, void **out __nk_unused)
{
	struct writer *w = arg;
	uint64_t seed = 0x5eed;
	size_t done = 0;

	while (done < w->len) {
		size_t r = 1 + nk_xorshift64(&seed) % 300, n = NK_MIN(w->len - done, r);
		long ret = nk_char_write(&w->p->cdev, w->buf + done, n, 0);

		if (ret != (long)n) {
			w->result = ret < 0 ? ret : -EIO;
			return;
		}
		done += n;
	}
	w->result = (long)done;
}

/* 4 KiB by a writer thread on another CPU in chunks, read here by blocking reads. */
static void threaded_round_trip(struct nk_test_ctx *nk_t, struct ns16550_port *p, uint8_t *out,
				uint8_t *in)
{
	struct writer w = { p, out, BIG, 0 };
	uint64_t seed = 0x1234;
	nk_thread_id_t tid;

	pattern(out, BIG, 1);
	NK_ASSERT_EQ(nk_thread_start(write_chunks, &w, NULL, 0, 0, &tid, 1 % nk_cpu_online_count()),
		     0);
	NK_EXPECT_EQ(read_full(&p->cdev, in, BIG, &seed), BIG);
	NK_EXPECT_EQ(nk_thread_join(tid, NULL), 0);
	NK_EXPECT_EQ(w.result, BIG);
	NK_EXPECT(!memcmp(in, out, BIG));
}

NK_TEST(serial, loopback_4k_blocking)
{
	struct snapshot a, b;
	struct ns16550_port *p;
	uint8_t *out, *in;
	uint64_t seed = 0x77;

	NEED_LOOP(p);
	out = nk_malloc(BIG);
	in = nk_malloc(BIG);
	if (!out || !in)
		goto out;
	snap(p, &a);
	threaded_round_trip(nk_t, p, out, in);
	/* One write of the TX ring's whole size from this thread, then the reads. */
	pattern(out, BIG, 2);
	NK_EXPECT_EQ(nk_char_write(&p->cdev, out, BIG, 0), BIG);
	NK_EXPECT_EQ(read_full(&p->cdev, in, BIG, &seed), BIG);
	NK_EXPECT(!memcmp(in, out, BIG));
	snap(p, &b);
	NK_EXPECT_UEQ(b.cdev.tx_bytes - a.cdev.tx_bytes, 2 * BIG);
	NK_EXPECT_UEQ(b.cdev.rx_bytes - a.cdev.rx_bytes, 2 * BIG);
	NK_EXPECT_UEQ(b.cdev.rx_overruns - a.cdev.rx_overruns, 0);
	NK_EXPECT_GT(b.st.irqs - a.st.irqs, 0);
	nk_test_diag("%llu interrupts, %llu re-armed at the work bound",
		     (unsigned long long)(b.st.irqs - a.st.irqs),
		     (unsigned long long)(b.st.work_limits - a.st.work_limits));
out:
	NK_EXPECT_NOT_NULL(out);
	NK_EXPECT_NOT_NULL(in);
	nk_free(out);
	nk_free(in);
	nk_ns16550_set_loopback(p, false);
}

/* Non-blocking writes and reads interleaved: each write takes what fits, all comes back. */
NK_TEST(serial, loopback_nonblocking)
{
	uint64_t end = nk_time_ns() + DEADLINE_NS, seed = 0x99;
	size_t sent = 0, got = 0;
	struct ns16550_port *p;
	uint8_t *out, *in;

	NEED_LOOP(p);
	out = nk_malloc(BIG);
	in = nk_malloc(BIG);
	if (!out || !in)
		goto out;
	pattern(out, BIG, 3);
	while (got < BIG && nk_time_ns() < end) {
		size_t size = 1 + nk_xorshift64(&seed) % 500, n = NK_MIN(BIG - sent, size);
		long w = n ? nk_char_write(&p->cdev, out + sent, n, NK_CHAR_NONBLOCK) : 0;
		long r = nk_char_read(&p->cdev, in + got, BIG - got, NK_CHAR_NONBLOCK);

		NK_ASSERT(w == -EAGAIN || (w >= 0 && (size_t)w <= n));
		NK_ASSERT(r == -EAGAIN || r > 0);
		sent += w > 0 ? (size_t)w : 0;
		got += r > 0 ? (size_t)r : 0;
	}
	NK_EXPECT_EQ(got, BIG);
	NK_EXPECT(!memcmp(in, out, BIG));
out:
	NK_EXPECT_NOT_NULL(out);
	NK_EXPECT_NOT_NULL(in);
	nk_free(out);
	nk_free(in);
	nk_ns16550_set_loopback(p, false);
}

/*
 * Loopback sends only what the RX ring can take: with nobody reading, the RX ring fills, then
 * the TX ring; a non-blocking write then gets -EAGAIN and a blocking one sleeps until reads make
 * room. Nothing is lost: everything comes back in order.
 */
struct sleeper {
	struct ns16550_port *p;
	const uint8_t *buf;
	volatile int done;
	long result;
};

static void write_and_mark(void *arg, void **out __nk_unused)
{
	struct sleeper *s = arg;

	s->result = nk_char_write(&s->p->cdev, s->buf, TAIL, 0);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
}

/* Wait until the RX ring holds n bytes. */
static bool rx_ring_holds(struct ns16550_port *p, uint32_t n)
{
	uint64_t end = nk_time_ns() + DEADLINE_NS;

	while (nk_time_ns() < end) {
		unsigned long flags = nk_spin_lock_irqsave(&p->lock);
		uint32_t have = byte_ring_count(&p->rx);

		nk_spin_unlock_irqrestore(&p->lock, flags);
		if (have >= n)
			return true;
		nk_yield();
	}
	return false;
}

static void fill_both_rings(struct nk_test_ctx *nk_t, struct ns16550_port *p, const uint8_t *out)
{
	size_t sent = 0;
	long r = 0;

	NK_ASSERT_EQ(nk_char_write(&p->cdev, out, BIG, 0), BIG);
	NK_ASSERT(rx_ring_holds(p, BIG));
	/* Bounded: a driver that lets the TX ring drain into a full RX ring never says -EAGAIN. */
	while (sent <= BIG &&
	       (r = nk_char_write(&p->cdev, out + BIG + sent, 300, NK_CHAR_NONBLOCK)) > 0)
		sent += (size_t)r;
	NK_EXPECT_EQ(r, -EAGAIN);
	NK_EXPECT_EQ(sent, BIG);
}

NK_TEST(serial, full_rings_block_writers)
{
	size_t total = 2 * BIG + TAIL;
	struct ns16550_port *p;
	struct sleeper s = { .done = 0 };
	struct snapshot a, b;
	uint8_t *out, *in;
	nk_thread_id_t tid;

	NEED_LOOP(p);
	out = nk_malloc(total + 300);
	in = nk_malloc(total);
	if (!out || !in)
		goto out;
	pattern(out, total + 300, 4);
	snap(p, &a);
	fill_both_rings(nk_t, p, out);
	s = (struct sleeper){ p, out + 2 * BIG, 0, 0 };
	NK_ASSERT_EQ(
		nk_thread_start(write_and_mark, &s, NULL, 0, 0, &tid, 1 % nk_cpu_online_count()),
		0);
	nk_sleep(50 * MS);
	NK_EXPECT_EQ(__atomic_load_n(&s.done, __ATOMIC_ACQUIRE), 0);
	NK_EXPECT_EQ(read_by_deadline(&p->cdev, in, total), total);
	NK_EXPECT_EQ(nk_thread_join(tid, NULL), 0);
	NK_EXPECT_EQ(s.result, TAIL);
	NK_EXPECT(!memcmp(in, out, total));
	snap(p, &b);
	NK_EXPECT_UEQ(b.cdev.rx_bytes - a.cdev.rx_bytes, total);
	NK_EXPECT_UEQ(b.cdev.rx_overruns - a.cdev.rx_overruns, 0);
out:
	NK_EXPECT_NOT_NULL(out);
	NK_EXPECT_NOT_NULL(in);
	nk_free(out);
	nk_free(in);
	nk_ns16550_set_loopback(p, false);
}

/* --- overruns --- */

/*
 * Runs on the CPU the port interrupts, with interrupts off and the port locked: the driver
 * cannot read the RX FIFO while BURST bytes arrive in it, so it overflows. The THR is written
 * without looking at LSR (a read would clear the overrun flag before the driver sees it); QEMU
 * sends each THR write at once.
 */
static void burst(void *arg)
{
	struct ns16550_port *p = arg;
	unsigned long flags = nk_spin_lock_irqsave(&p->lock);

	for (int i = 0; i < BURST; i++)
		outb(p->base + UART_THR, (uint8_t)i);
	nk_spin_unlock_irqrestore(&p->lock, flags);
}

/* One overrun: the bytes that fit in the FIFO arrive, in order. */
static void overrun_once(struct nk_test_ctx *nk_t, struct ns16550_port *p)
{
	uint8_t b[BURST];
	size_t got;

	NK_ASSERT_EQ(nk_xcall(NS16550_IRQ_CPU, burst, p, true), 0);
	got = read_by_deadline(&p->cdev, b, FIFO_DEPTH);
	NK_ASSERT_EQ(got, FIFO_DEPTH);
	for (size_t i = 0; i < got; i++)
		NK_ASSERT_EQ(b[i], i);
	NK_ASSERT_EQ(nk_char_read(&p->cdev, b, sizeof(b), NK_CHAR_NONBLOCK), -EAGAIN);
}

/* The device still works: a short round trip. */
static void still_works(struct nk_test_ctx *nk_t, struct ns16550_port *p)
{
	uint8_t b[4];

	NK_EXPECT_EQ(p->cdev.dev.state, NK_DEV_OK);
	NK_EXPECT_EQ(nk_char_write(&p->cdev, "ok!", 3, 0), 3);
	NK_EXPECT_EQ(read_by_deadline(&p->cdev, b, 3), 3);
	NK_EXPECT(!memcmp(b, "ok!", 3));
}

NK_TEST(serial, overrun_counted)
{
	struct snapshot a, b;
	struct ns16550_port *p;

	NEED_LOOP(p);
	snap(p, &a);
	overrun_once(nk_t, p);
	snap(p, &b);
	NK_EXPECT_GE(b.st.hw_overruns - a.st.hw_overruns, 1);
	NK_EXPECT_GE(b.cdev.rx_overruns - a.cdev.rx_overruns, 1);
	NK_EXPECT_UEQ(b.cdev.rx_bytes - a.cdev.rx_bytes, FIFO_DEPTH);
	still_works(nk_t, p);
	nk_ns16550_set_loopback(p, false);
}

NK_TEST(serial, overrun_storm)
{
	uint64_t start = nk_time_ns();
	struct snapshot a, b;
	struct ns16550_port *p;

	NEED_LOOP(p);
	snap(p, &a);
	for (int i = 0; i < STORM && !nk_t->failures; i++)
		overrun_once(nk_t, p);
	snap(p, &b);
	NK_EXPECT_GE(b.st.hw_overruns - a.st.hw_overruns, STORM);
	NK_EXPECT_LT(nk_time_ns() - start, DEADLINE_NS);
	still_works(nk_t, p);
	nk_test_diag("%d overruns in %llu ms", STORM,
		     (unsigned long long)((nk_time_ns() - start) / MS));
	nk_ns16550_set_loopback(p, false);
}

/* --- whole lines from several CPUs --- */

/* Line n of writer id, with its newline: a length that varies with both. */
static int make_line(char *buf, size_t size, int id, int n)
{
	char payload[64];
	int len = 10 + (id * 7 + n * 3) % 40;

	memset(payload, 'a' + (id * 5 + n) % 26, len);
	payload[len] = '\0';
	return nk_snprintf(buf, size, "w%d n%02d %s\n", id, n, payload);
}

struct liner {
	struct ns16550_port *p; /* NULL: print to the console with nk_printf instead */
	int id;
	long result; /* 0, or the first error */
};

static void write_lines(void *arg, void **out __nk_unused)
{
	struct liner *l = arg;
	char line[96];

	for (int n = 0; n < LINES; n++) {
		int len = make_line(line, sizeof(line), l->id, n);

		if (!l->p) {
			nk_printf("    # serial-lines %s", line);
			continue;
		}
		if (nk_char_write(&l->p->cdev, line, (size_t)len, 0) != len) {
			l->result = -EIO;
			return;
		}
	}
}

/* Every line with marker in text is whole and each writer's lines come in order, all there. */
static void check_lines(struct nk_test_ctx *nk_t, char *text, const char *marker)
{
	int next[WRITERS] = { 0 }, bad = 0;
	char want[96];

	for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		char *m = strstr(line, marker);
		int id;

		*nl = '\0';
		if (!m || m > nl)
			continue;
		m += strlen(marker);
		id = m[1] - '0';
		if (m[0] != 'w' || id < 0 || id >= WRITERS || next[id] >= LINES) {
			bad++;
			continue;
		}
		make_line(want, sizeof(want), id, next[id]++);
		want[strlen(want) - 1] = '\0';
		if (strcmp(m, want)) {
			if (!bad)
				nk_test_diag("line \"%s\", expected \"%s\"", m, want);
			bad++;
		}
	}
	NK_EXPECT_EQ(bad, 0);
	for (int i = 0; i < WRITERS; i++)
		NK_EXPECT_EQ(next[i], LINES);
}

static int start_liners(struct liner *l, nk_thread_id_t *tid, struct ns16550_port *p)
{
	int started = 0;

	for (int i = 0; i < WRITERS; i++) {
		l[i] = (struct liner){ p, i, 0 };
		if (nk_thread_start(write_lines, &l[i], NULL, 0, 0, &tid[started],
				    i % nk_cpu_online_count()) == 0)
			started++;
	}
	return started;
}

static int join_liners(struct liner *l, nk_thread_id_t *tid, int started)
{
	int failed = WRITERS - started;

	for (int i = 0; i < started; i++)
		failed += nk_thread_join(tid[i], NULL) != 0;
	for (int i = 0; i < WRITERS; i++)
		failed += l[i].result != 0;
	return failed;
}

/* Expected bytes of all lines. */
static size_t lines_total(void)
{
	char line[96];
	size_t total = 0;

	for (int id = 0; id < WRITERS; id++)
		for (int n = 0; n < LINES; n++)
			total += (size_t)make_line(line, sizeof(line), id, n);
	return total;
}

NK_TEST(serial, concurrent_writers_whole_lines)
{
	size_t total = lines_total(), got;
	nk_thread_id_t tid[WRITERS];
	struct liner l[WRITERS];
	struct ns16550_port *p;
	char *text;
	int started;

	NEED_LOOP(p);
	text = nk_malloc(BIG + 1);
	if (!text)
		goto out;
	NK_EXPECT_LE(total, BIG);
	started = start_liners(l, tid, p);
	got = read_by_deadline(&p->cdev, (uint8_t *)text, total);
	NK_EXPECT_EQ(join_liners(l, tid, started), 0);
	NK_EXPECT_EQ(got, total);
	text[got] = '\0';
	check_lines(nk_t, text, "");
out:
	NK_EXPECT_NOT_NULL(text);
	nk_free(text);
	nk_ns16550_set_loopback(p, false);
}

/* --- the console --- */

static char *capture;
static size_t capture_len;

/* Called under printk's lock, in the order the bytes go to serial0. */
static void capture_write(const char *buf, size_t len)
{
	size_t n = NK_MIN(len, BIG * 4 - capture_len);

	memcpy(capture + capture_len, buf, n);
	capture_len += n;
}

static struct nk_console capture_console = { .name = "test-capture", .write = capture_write };

NK_TEST(serial, console_lines_whole_across_cpus)
{
	nk_thread_id_t tid[WRITERS];
	struct liner l[WRITERS];
	char *buf = nk_malloc(BIG * 4 + 1);
	int started;

	NK_ASSERT_NOT_NULL(buf);
	capture_len = 0;
	capture = buf;
	nk_console_register(&capture_console);
	started = start_liners(l, tid, NULL);
	NK_EXPECT_EQ(join_liners(l, tid, started), 0);
	nk_console_unregister(&capture_console);
	/* A write that started before the unregister has finished once printk's lock is free. */
	nk_printf("    # serial: %zu bytes captured\n", capture_len);
	buf[capture_len] = '\0';
	check_lines(nk_t, buf, "# serial-lines ");
	nk_free(buf);
}

NK_TEST(serial, printk_with_interrupts_off_reaches_the_line)
{
	struct ns16550_port *p = nk_ns16550_port(0);
	struct snapshot a, b;
	unsigned long flags;
	bool empty;

	NK_ASSERT_NOT_NULL(p);
	snap(p, &a);
	flags = nk_arch_irq_save();
	nk_printf("    # serial: written with interrupts off\n");
	nk_spin_lock(&p->lock);
	empty = byte_ring_empty(&p->tx);
	nk_spin_unlock(&p->lock);
	nk_arch_irq_restore(flags);
	snap(p, &b);
	NK_EXPECT(empty);
	NK_EXPECT_GE(b.cdev.tx_bytes - a.cdev.tx_bytes, 43);
}
