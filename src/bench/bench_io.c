/*
 * Device throughput, the kernel side of the I/O stage of "make bench" (bench=io:<glob>, plain
 * TCG, wall clock): the protocol of bench/linux/iobench.c, through the generic block and net
 * interfaces. Disk: blk0, read only. NICs: found by MAC (send_mac sends, recv_mac receives),
 * on one QEMU hub. Lines: "<name> mbps=.. iops=.." (disk), "<name> fps=.." (frames).
 */
#include <nautilus/bench.h>
#include <nautilus/blkdev.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/netdev.h>
#include <nautilus/random.h>
#include <nautilus/semaphore.h>
#include <nautilus/spinlock.h>
#include <nautilus/string.h>
#include <nautilus/thread.h>
#include <nautilus/time.h>
#include <nautilus/timer.h>

#define MS		1000000ull
#define RUN_NS		(2000 * MS) /* each measurement, as RUN_SECONDS on Linux */
#define QUICK_NS	(20 * MS)   /* the same in a smoke run (the bench suite) */
#define WARMUP_NS	(200 * MS)  /* frames flow this long before the count starts */
#define QUICK_WARMUP_NS (5 * MS)
#define STUCK_NS	(5000 * MS) /* a request or a link later than this: the device is stuck */
#define DISK		"blk0"
#define SEQ_BLOCK	(1u << 20) /* bytes per sequential read */
#define RAND_BLOCK	4096u	   /* bytes per random read */
#define MAX_DEPTH	32
#define SEED		0x9E3779B97F4A7C15ull /* iobench.c's: the same random offsets */
#define ETHERTYPE	0x88b5		      /* IEEE 802 local experimental EtherType 1 */
/*
 * A smoke run sends at most this many frames per phase, fewer than a receive ring holds: no
 * receiver drops any, and its counters are left as a later test expects them (e1000 counts
 * missed frames in MPC, which its driver reads at its next RXO or RXDMT0 interrupt).
 */
#define QUICK_FRAMES 64
#define QUIET_NS     (20 * MS) /* no frame for this long: the receiver has them all */
#define SEND_BURST   32	       /* frames between two reads of the clock */

static uint64_t run_ns(const struct nk_bench_ctx *b)
{
	return b->quick ? QUICK_NS : RUN_NS;
}

/* ---- the disk: depth reads in flight, each completion replaced by the next read ---- */

struct blk_run {
	struct nk_blk_dev *dev;
	struct nk_blk_req req[MAX_DEPTH];
	uint8_t *bufs;
	uint32_t bytes;	    /* per request */
	uint64_t slots;	    /* request-sized slots on the disk */
	uint64_t next, rng; /* next sequential slot; random state (0: in order) */
	struct nk_sem done; /* a unit per completed request */
	struct nk_spinlock lock;
	struct nk_blk_req *finished[MAX_DEPTH]; /* completed, not yet taken: a ring */
	unsigned head, count;
	int irq_cpu; /* where the last completion ran */
	/* The measurement: its parameters and results. */
	int depth, err;
	uint64_t ns, completed, elapsed;
};

/* Interrupt context: hand the request to the thread. */
static void blk_done(struct nk_blk_req *req, int status)
{
	struct blk_run *r = req->arg;
	unsigned long flags = nk_spin_lock_irqsave(&r->lock);

	r->finished[(r->head + r->count++) % MAX_DEPTH] = req;
	r->irq_cpu = nk_cpu_id();
	nk_spin_unlock_irqrestore(&r->lock, flags);
	nk_sem_up(&r->done);
}

static struct nk_blk_req *blk_take(struct blk_run *r)
{
	unsigned long flags = nk_spin_lock_irqsave(&r->lock);
	struct nk_blk_req *req = r->finished[r->head];

	r->head = (r->head + 1) % MAX_DEPTH;
	r->count--;
	nk_spin_unlock_irqrestore(&r->lock, flags);
	return req;
}

static int blk_submit(struct blk_run *r, struct nk_blk_req *req)
{
	uint64_t slot = r->rng ? nk_xorshift64(&r->rng) % r->slots : r->next++ % r->slots;
	uint32_t count = r->bytes / r->dev->block_size;

	req->op = NK_BLK_READ;
	req->lba = slot * count;
	req->count = count;
	req->done = blk_done;
	req->arg = r;
	return nk_blk_submit(r->dev, req);
}

/*
 * Keep depth reads in flight until ns have passed: the reads completed in *done and the time
 * until the last one in *elapsed. A request the device does not complete within STUCK_NS fails
 * the run with -ETIMEDOUT, its buffer left allocated (the device may still write it).
 */
static int blk_loop(struct blk_run *r, int depth, uint64_t ns, uint64_t *done, uint64_t *elapsed)
{
	uint64_t t0 = nk_time_ns(), last = t0;
	int in_flight = 0, err = 0;

	for (; in_flight < depth && !err; in_flight++)
		err = blk_submit(r, &r->req[in_flight]);
	in_flight -= err != 0;
	while (in_flight > 0) {
		struct nk_blk_req *req;

		if (nk_sem_down_timeout(&r->done, STUCK_NS))
			return -ETIMEDOUT;
		req = blk_take(r);
		in_flight--;
		err = err ? err : req->status;
		if (err)
			continue;
		(*done)++;
		last = nk_time_ns();
		if (last - t0 < ns) {
			err = blk_submit(r, req);
			in_flight += !err;
		}
	}
	*elapsed = last - t0;
	return err;
}

/* The disk's figures: MB/s (10^6 bytes) and requests per second, integers, rounded. */
static void blk_line(struct nk_bench_ctx *b, bool iops_first, uint64_t done, uint32_t bytes,
		     uint64_t ns, int depth)
{
	uint64_t total = done * bytes, t = ns ? ns : 1;
	unsigned long long mbps = (total * 1000 + t / 2) / t,
			   iops = (done * 1000000000 + t / 2) / t;

	if (iops_first)
		nk_bench_set_line(b, "iops=%llu mbps=%llu bytes=%llu ns=%llu qd=%d", iops, mbps,
				  (unsigned long long)total, (unsigned long long)ns, depth);
	else
		nk_bench_set_line(b, "mbps=%llu iops=%llu bytes=%llu ns=%llu qd=%d", mbps, iops,
				  (unsigned long long)total, (unsigned long long)ns, depth);
}

static void blk_thread(void *in, void **out)
{
	struct blk_run *r = in;

	r->err = blk_loop(r, r->depth, r->ns, &r->completed, &r->elapsed);
}

/*
 * Run the measurement in a thread on the CPU that takes the disk's completions (found with one
 * read), as Linux's block layer completes a request on the CPU that submitted it: with the
 * completions on another CPU, each one costs a wake-up of that CPU and an IPI back (under TCG,
 * two halted vCPUs woken per read).
 */
static int blk_measure(struct blk_run *r, bool random)
{
	uint64_t done = 0, ns;
	nk_thread_id_t tid;
	int err = blk_loop(r, 1, 0, &done, &ns);

	if (err)
		return err;
	r->next = 0;
	r->rng = random ? SEED : 0;
	if (r->irq_cpu == nk_cpu_id()) {
		blk_thread(r, NULL);
		return r->err;
	}
	err = nk_thread_start(blk_thread, r, NULL, 0, 0, &tid, r->irq_cpu);
	if (!err)
		err = nk_thread_join(tid, NULL);
	return err ? err : r->err;
}

/* One disk measurement: depth reads of bytes, in order or (random) at random slots. */
static int blk_bench(struct nk_bench_ctx *b, uint32_t bytes, int depth, bool random)
{
	struct blk_run *r = nk_calloc(1, sizeof(*r));
	int err = -ENOMEM;

	if (!r)
		return -ENOMEM;
	r->dev = nk_blk_dev_find(DISK);
	if (!r->dev || r->dev->block_size > bytes ||
	    r->dev->capacity < bytes / r->dev->block_size) {
		nk_bench_set_line(b, "needs a disk %s of at least %u bytes", DISK, bytes);
		err = -ENODEV;
		goto out_free_run;
	}
	r->bytes = bytes;
	r->slots = r->dev->capacity / (bytes / r->dev->block_size);
	r->rng = random ? SEED : 0;
	nk_sem_init(&r->done, 0);
	nk_spin_init(&r->lock);
	r->bufs = nk_malloc_aligned((size_t)depth * bytes, 4096);
	if (!r->bufs)
		goto out_free_run;
	for (int i = 0; i < depth; i++)
		r->req[i].buf = r->bufs + (size_t)i * bytes;
	r->depth = depth;
	r->ns = run_ns(b);
	err = blk_measure(r, random);
	if (err == -ETIMEDOUT)
		return err; /* the device may still write r and its buffers */
	if (!err)
		blk_line(b, random, r->completed, bytes, r->elapsed, depth);
	nk_free(r->bufs);
out_free_run:
	nk_free(r);
	return err;
}

NK_BENCH_IO(blk_seq_read_qd1)
{
	return blk_bench(b, SEQ_BLOCK, 1, false);
}

NK_BENCH_IO(blk_seq_read_qd8)
{
	return blk_bench(b, SEQ_BLOCK, 8, false);
}

NK_BENCH_IO(blk_rand_read_qd1)
{
	return blk_bench(b, RAND_BLOCK, 1, true);
}

NK_BENCH_IO(blk_rand_read_qd32)
{
	return blk_bench(b, RAND_BLOCK, 32, true);
}

/* ---- the NICs: frames from one to the other, counted by the receive callback ---- */

struct net_run {
	struct nk_net_dev *tx, *rx;
	uint64_t received; /* frames of ours the callback saw; atomic */
	uint64_t sent;
	size_t len;
	uint8_t frame[NK_ETH_MTU + NK_ETH_HLEN];
};

/* The NICs, by MAC (scripts/bench and iobench.c use the same): the first sends to the second. */
static const uint8_t send_mac[NK_ETH_ALEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x03 };
static const uint8_t recv_mac[NK_ETH_ALEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x04 };

/* Interrupt context. */
static void count_frame(struct nk_net_dev *ndev, const void *frame, size_t len, void *arg)
{
	struct net_run *r = arg;
	const uint8_t *f = frame;

	if (len >= NK_ETH_HLEN && f[12] == ETHERTYPE >> 8 && f[13] == (ETHERTYPE & 0xff))
		__atomic_add_fetch(&r->received, 1, __ATOMIC_RELAXED);
}

/* Send the frame until the clock passes end, or (limit > 0) limit frames have gone. */
static int send_until(struct net_run *r, uint64_t end, uint64_t limit)
{
	for (uint64_t n = 0; nk_time_ns() < end && (!limit || n < limit);) {
		for (int i = 0; i < SEND_BURST; i++, n++) {
			int err = nk_net_send(r->tx, r->frame, r->len, 0);

			if (err)
				return err;
			r->sent++;
		}
	}
	return 0;
}

static int wait_link(struct nk_net_dev *ndev)
{
	for (uint64_t t0 = nk_time_ns(); !ndev->link_up; nk_sleep(10 * MS))
		if (nk_time_ns() - t0 > STUCK_NS)
			return -ENETDOWN;
	return 0;
}

/*
 * Warm up, then count the frames received while sending for run_ns(b); the receiver's drops
 * (as its driver counts them) in the same window.
 */
static int net_measure(struct nk_bench_ctx *b, struct net_run *r)
{
	uint64_t frames, drops, t0, t1;
	uint64_t limit = b->quick ? QUICK_FRAMES : 0;
	int err = send_until(r, nk_time_ns() + (b->quick ? QUICK_WARMUP_NS : WARMUP_NS), limit);

	if (err)
		return err;
	frames = __atomic_load_n(&r->received, __ATOMIC_RELAXED);
	drops = r->rx->stats.rx_drops;
	t0 = nk_time_ns();
	err = send_until(r, t0 + run_ns(b), limit);
	t1 = nk_time_ns();
	if (err)
		return err;
	frames = __atomic_load_n(&r->received, __ATOMIC_RELAXED) - frames;
	drops = r->rx->stats.rx_drops - drops;
	nk_bench_set_line(b, "fps=%llu frames=%llu ns=%llu len=%zu sent=%llu rx_drops=%llu",
			  (unsigned long long)((frames * 1000000000 + (t1 - t0) / 2) / (t1 - t0)),
			  (unsigned long long)frames, (unsigned long long)(t1 - t0), r->len,
			  (unsigned long long)r->sent, (unsigned long long)drops);
	return 0;
}

/*
 * The frames still on their way go to count_frame, not to the next user of the NIC (the net
 * suite counts what reaches its polled queue). A smoke run sends fewer frames than a ring
 * holds, so none is dropped: it waits for every one (QEMU's e1000 takes no frame for a second
 * after its receiver is enabled, which a test right after boot sees). A full run overflows the
 * receiver and QEMU drops what it cannot hold: it waits until none has come for QUIET_NS.
 */
static int drain(struct net_run *r, bool quick)
{
	uint64_t t0 = nk_time_ns(), seen;

	while (quick && __atomic_load_n(&r->received, __ATOMIC_RELAXED) != r->sent) {
		if (nk_time_ns() - t0 > STUCK_NS)
			return -ETIMEDOUT;
		nk_sleep(MS);
	}
	do {
		seen = __atomic_load_n(&r->received, __ATOMIC_RELAXED);
		nk_sleep(QUIET_NS);
	} while (seen != __atomic_load_n(&r->received, __ATOMIC_RELAXED) &&
		 nk_time_ns() - t0 < STUCK_NS);
	return 0;
}

static int net_bench(struct nk_bench_ctx *b, size_t len)
{
	struct net_run *r = nk_calloc(1, sizeof(*r));
	nk_net_rx_fn old_fn;
	void *old_arg;
	int err, drain_err;

	if (!r)
		return -ENOMEM;
	r->tx = nk_net_dev_find_mac(send_mac);
	r->rx = nk_net_dev_find_mac(recv_mac);
	err = -ENODEV;
	if (!r->tx || !r->rx) {
		nk_bench_set_line(b, "needs NICs 52:54:00:12:34:03 and :04 on one hub");
		goto out_free;
	}
	err = wait_link(r->tx);
	if (!err)
		err = wait_link(r->rx);
	if (err)
		goto out_free;
	r->len = len;
	memcpy(r->frame, recv_mac, NK_ETH_ALEN);
	memcpy(r->frame + NK_ETH_ALEN, send_mac, NK_ETH_ALEN);
	r->frame[12] = ETHERTYPE >> 8;
	r->frame[13] = ETHERTYPE & 0xff;
	old_fn = r->rx->rx_fn;
	old_arg = r->rx->rx_arg;
	nk_net_set_rx(r->rx, count_frame, r);
	err = net_measure(b, r);
	drain_err = drain(r, b->quick);
	err = err ? err : drain_err;
	nk_net_set_rx(r->rx, old_fn, old_arg);
	nk_net_rx_flush(r->rx);
out_free:
	nk_free(r);
	return err;
}

NK_BENCH_IO(net_frames_60)
{
	return net_bench(b, 60);
}

NK_BENCH_IO(net_frames_1514)
{
	return net_bench(b, NK_ETH_MTU + NK_ETH_HLEN);
}
