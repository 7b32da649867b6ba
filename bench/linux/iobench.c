/*
 * The Linux side of the I/O stage of "make bench": disk and network throughput of a Linux guest
 * on the same emulated devices as the kernel's src/bench/bench_io.c, under plain TCG, timed by
 * the guest's clock (CLOCK_MONOTONIC, which follows the host's wall clock without -icount).
 * Run by the /init of scripts/linux-guest when the command line says bench=io:<glob>, after it
 * loaded the virtio modules and mounted devtmpfs.
 *
 * Devices: the disk is /dev/vda (the first virtio-blk disk), read only; the two NICs are found by
 * MAC (SEND_MAC, RECV_MAC) on one QEMU hub, so a frame one sends reaches the other.
 * Each operation prints one line, the fields its row of the table reads first:
 *   bench: blk_seq_read_qd1 mbps=<MB/s> iops=<n> bytes=<n> ns=<n>
 *   bench: blk_rand_read_qd1 iops=<n> mbps=<MB/s> bytes=<n> ns=<n>
 *   bench: net_frames_60 fps=<frames/s> frames=<n> ns=<n> sent=<n> ...
 * MB/s is 10^6 bytes per second. An operation whose device is missing prints
 * "bench-skip: <name> <reason>". Argument: a glob of names (fnmatch), default "*".
 *
 * The protocol of each operation, the same on the kernel side:
 *   blk_seq_read_qd1    the whole disk in 1 MiB reads, one at a time, as many times as fit in
 *                       RUN_SECONDS (the last pass completes): busybox
 *                       "dd if=/dev/vda of=/dev/null bs=1M iflag=direct", timed around it (the
 *                       fork and exec, a few ms per pass of some 100 ms, are in the time; the
 *                       kernel reads in order for RUN_SECONDS)
 *   blk_seq_read_qd8    the disk in order (wrapping at its end) for RUN_SECONDS, 8 reads of
 *                       1 MiB in flight (O_DIRECT, Linux AIO)
 *   blk_rand_read_qd1   4 KiB reads at random 4 KiB-aligned offsets for RUN_SECONDS, one at a
 *                       time (O_DIRECT pread)
 *   blk_rand_read_qd32  the same with 32 in flight (AIO)
 *   net_frames_60/1514  frames of 60 bytes (64 on the wire with the FCS) or 1514 (the largest
 *                       without FCS) from one NIC to the other for RUN_SECONDS after a warm-up:
 *                       frames received per second by the application (an AF_PACKET socket
 *                       bound to the receiving NIC and the frames' EtherType)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/aio_abi.h>
#include <linux/fs.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DISK	    "/dev/vda"
#define SEQ_BLOCK   (1 << 20) /* bytes per sequential read */
#define RAND_BLOCK  4096      /* bytes per random read */
#define RUN_SECONDS 2	      /* each operation runs at least this long */
#define WARMUP_MS   200	      /* frames: flowing this long before the count starts */
#define SEND_MAC    "52:54:00:12:34:03"
#define RECV_MAC    "52:54:00:12:34:04"
#define ETHERTYPE   0x88b5 /* IEEE 802 local experimental EtherType 1 */
#define BATCH	    32	   /* frames per sendmmsg / recvmmsg */
#define SEED	    0x9E3779B97F4A7C15ull

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench-error: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *aligned(size_t n)
{
	void *p;

	if (posix_memalign(&p, 4096, n))
		die("out of memory (%zu bytes)", n);
	memset(p, 0, n);
	return p;
}

/* xorshift64*, the kernel's nk_xorshift64: with the same seed, the same random offsets. */
static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* One throughput line: bytes moved in ns by ops requests. */
static void report_blk(const char *name, const char *first, uint64_t bytes, uint64_t ops,
		       uint64_t ns, const char *extra)
{
	double s = (double)ns / 1e9;
	unsigned long long mbps = (unsigned long long)(bytes / s / 1e6 + 0.5);
	unsigned long long iops = (unsigned long long)(ops / s + 0.5);

	if (!strcmp(first, "iops"))
		printf("bench: %s iops=%llu mbps=%llu", name, iops, mbps);
	else
		printf("bench: %s mbps=%llu iops=%llu", name, mbps, iops);
	printf(" bytes=%llu ns=%llu%s\n", (unsigned long long)bytes, (unsigned long long)ns, extra);
	fflush(stdout);
}

/* ---- the disk ---- */

static int open_disk(uint64_t *size)
{
	int fd = open(DISK, O_RDONLY | O_DIRECT);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKGETSIZE64, size))
		die("BLKGETSIZE64 on %s: %s", DISK, strerror(errno));
	return fd;
}

/* The disk is missing (or cannot be opened: err): say so, the operation is skipped. */
static void skip_disk(const char *name, int err)
{
	printf("bench-skip: %s %s: %s\n", name, DISK, strerror(-err));
	fflush(stdout);
}

/*
 * One "busybox dd" pass over the disk, timed from before the fork to after the wait (Debian's
 * busybox prints no time of its own): the nanoseconds, and in *bytes what dd says it read
 * ("<full>+<partial> records in", blocks of SEQ_BLOCK).
 */
static uint64_t dd_pass(uint64_t *bytes)
{
	char out[512] = "", *p;
	uint64_t t0 = now_ns(), ns;
	int pipefd[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(pipefd))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 2);
		execl("/bin/busybox", "dd", "if=" DISK, "of=/dev/null", "bs=1M", "iflag=direct",
		      (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	while (len < sizeof(out) - 1 && (n = read(pipefd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	close(pipefd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("busybox dd if=%s failed: %s", DISK, out);
	ns = now_ns() - t0;
	p = strstr(out, " records in");
	if (!p || !strchr(out, '+') || strchr(out, '+') > p)
		die("cannot read dd's report: %s", out);
	*bytes = strtoull(out, NULL, 10) * SEQ_BLOCK;
	return ns;
}

static void bench_seq_dd(const char *name)
{
	uint64_t total = 0, ns = 0, size;
	int fd = open_disk(&size);

	if (fd < 0) {
		skip_disk(name, fd);
		return;
	}
	close(fd);
	while (ns < RUN_SECONDS * 1000000000ull) {
		uint64_t bytes;

		ns += dd_pass(&bytes);
		total += bytes;
	}
	report_blk(name, "mbps", total, total / SEQ_BLOCK, ns, " tool=dd");
}

/* Linux AIO through the raw system calls (glibc has no wrappers). */
static long io_setup(unsigned nr, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, nr, ctx);
}

static long io_destroy(aio_context_t ctx)
{
	return syscall(SYS_io_destroy, ctx);
}

static long io_submit(aio_context_t ctx, long n, struct iocb **iocbs)
{
	return syscall(SYS_io_submit, ctx, n, iocbs);
}

static long io_getevents(aio_context_t ctx, long min, long max, struct io_event *ev)
{
	return syscall(SYS_io_getevents, ctx, min, max, ev, NULL);
}

/* Where the next read goes: in order (wrapping at the end), or at random. */
struct cursor {
	uint64_t size, block, next, rng;
	bool random;
};

static uint64_t next_offset(struct cursor *c)
{
	uint64_t off;

	if (c->random)
		return (xorshift64(&c->rng) % (c->size / c->block)) * c->block;
	off = c->next;
	c->next = (c->next + c->block) % c->size;
	return off;
}

static void aio_queue(aio_context_t ctx, struct iocb *cb, int fd, void *buf, struct cursor *c)
{
	struct iocb *list[1] = { cb };

	memset(cb, 0, sizeof(*cb));
	cb->aio_data = (uint64_t)(uintptr_t)cb;
	cb->aio_lio_opcode = IOCB_CMD_PREAD;
	cb->aio_fildes = (uint32_t)fd;
	cb->aio_buf = (uint64_t)(uintptr_t)buf;
	cb->aio_nbytes = c->block;
	cb->aio_offset = (int64_t)next_offset(c);
	if (io_submit(ctx, 1, list) != 1)
		die("io_submit on %s: %s", DISK, strerror(errno));
}

/*
 * depth reads in flight, each completion replaced by the next read until seconds have passed:
 * the reads completed, and in *ns the time until the last completed.
 */
static uint64_t aio_run(int fd, struct cursor *c, int depth, int seconds, uint64_t *ns)
{
	struct iocb *cbs = calloc((size_t)depth, sizeof(*cbs));
	struct io_event ev[64];
	char *bufs = aligned((size_t)depth * c->block);
	uint64_t done = 0, queued = 0, t0 = now_ns(), end = t0 + (uint64_t)seconds * 1000000000ull;
	aio_context_t ctx = 0;

	if (!cbs || depth > 64 || io_setup((unsigned)depth, &ctx))
		die("io_setup(%d): %s", depth, strerror(errno));
	for (int i = 0; i < depth; i++, queued++)
		aio_queue(ctx, &cbs[i], fd, bufs + (size_t)i * c->block, c);
	while (done < queued) {
		long n = io_getevents(ctx, 1, depth, ev);
		bool more = now_ns() < end;

		if (n < 0)
			die("io_getevents on %s: %s", DISK, strerror(errno));
		for (long i = 0; i < n; i++) {
			struct iocb *cb = (struct iocb *)(uintptr_t)ev[i].data;

			if (ev[i].res != (int64_t)c->block)
				die("a read of %s returned %lld", DISK, (long long)ev[i].res);
			done++;
			if (more) {
				aio_queue(ctx, cb, fd, (void *)(uintptr_t)cb->aio_buf, c);
				queued++;
			}
		}
	}
	*ns = now_ns() - t0;
	io_destroy(ctx);
	free(bufs);
	free(cbs);
	return done;
}

static void bench_seq_aio(const char *name)
{
	struct cursor c = { .block = SEQ_BLOCK };
	int fd = open_disk(&c.size);
	uint64_t ns, done;

	if (fd < 0) {
		skip_disk(name, fd);
		return;
	}
	done = aio_run(fd, &c, 8, RUN_SECONDS, &ns);
	report_blk(name, "mbps", done * SEQ_BLOCK, done, ns, " qd=8 tool=aio");
	close(fd);
}

static void bench_rand_qd1(const char *name)
{
	struct cursor c = { .block = RAND_BLOCK, .random = true, .rng = SEED };
	int fd = open_disk(&c.size);
	uint64_t done = 0, t0, end;
	void *buf;

	if (fd < 0) {
		skip_disk(name, fd);
		return;
	}
	buf = aligned(RAND_BLOCK);
	t0 = now_ns();
	end = t0 + RUN_SECONDS * 1000000000ull;
	for (; now_ns() < end; done++)
		if (pread(fd, buf, RAND_BLOCK, (off_t)next_offset(&c)) != RAND_BLOCK)
			die("pread of %s: %s", DISK, strerror(errno));
	report_blk(name, "iops", done * RAND_BLOCK, done, now_ns() - t0, " qd=1 tool=pread");
	free(buf);
	close(fd);
}

static void bench_rand_qd32(const char *name)
{
	struct cursor c = { .block = RAND_BLOCK, .random = true, .rng = SEED };
	int fd = open_disk(&c.size);
	uint64_t ns, done;

	if (fd < 0) {
		skip_disk(name, fd);
		return;
	}
	done = aio_run(fd, &c, 32, RUN_SECONDS, &ns);
	report_blk(name, "iops", done * RAND_BLOCK, done, ns, " qd=32 tool=aio");
	close(fd);
}

/* ---- the NICs ---- */

/* The interface whose MAC is mac ("52:54:00:..."), into name; false if there is none. */
static bool find_nic(const char *mac, char *name, size_t size)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		char path[300], addr[32] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/sys/class/net/%s/address", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		found = fgets(addr, sizeof(addr), f) && !strncmp(addr, mac, strlen(mac)) &&
			strlen(e->d_name) < size;
		fclose(f);
		if (found)
			memcpy(name, e->d_name, strlen(e->d_name) + 1);
	}
	if (d)
		closedir(d);
	return found;
}

/* "ip link set <name> up", then wait (up to 2 s) for the carrier. */
static void link_up(int sock, const char *name)
{
	struct ifreq ifr = { 0 };
	char path[300], state[16] = "";

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr))
		die("SIOCGIFFLAGS %s: %s", name, strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr))
		die("SIOCSIFFLAGS %s up: %s", name, strerror(errno));
	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", name);
	for (int i = 0; i < 200 && state[0] != '1'; i++) {
		FILE *f = fopen(path, "r");

		if (f) {
			if (!fgets(state, sizeof(state), f))
				state[0] = 0;
			fclose(f);
		}
		if (state[0] != '1')
			usleep(10000);
	}
	if (state[0] != '1')
		die("%s: no carrier 2 s after link up", name);
}

/* An AF_PACKET socket bound to interface name, for frames of our EtherType. */
static int packet_socket(const char *name)
{
	int s = socket(AF_PACKET, SOCK_RAW, htons(ETHERTYPE));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE) };
	int rcvbuf = 8 << 20;

	if (s < 0)
		die("socket(AF_PACKET): %s", strerror(errno));
	link_up(s, name);
	sll.sll_ifindex = (int)if_nametoindex(name);
	if (!sll.sll_ifindex || bind(s, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind AF_PACKET to %s: %s", name, strerror(errno));
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	return s;
}

static uint64_t if_stat(const char *name, const char *stat)
{
	char path[300];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", name, stat);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

struct sender {
	int sock;
	size_t len;
	uint8_t frame[1514];
	volatile int stop;
	uint64_t sent, failed;
};

/* Send BATCH copies of the frame per sendmmsg until told to stop. */
static void *send_loop(void *arg)
{
	struct sender *s = arg;
	struct mmsghdr msgs[BATCH];
	struct iovec iov = { s->frame, s->len };

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!s->stop) {
		int n = sendmmsg(s->sock, msgs, BATCH, 0);

		if (n < 0)
			s->failed++;
		else
			s->sent += (uint64_t)n;
	}
	return NULL;
}

/* Frames received on sock until deadline (recvmmsg, waking at least every 50 ms). */
static uint64_t receive_until(int sock, uint64_t deadline)
{
	static uint8_t bufs[BATCH][1514 + 64];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint64_t got = 0;

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (now_ns() < deadline) {
		int n = recvmmsg(sock, msgs, BATCH, MSG_WAITFORONE, NULL);

		if (n > 0)
			got += (uint64_t)n;
	}
	return got;
}

static void bench_frames(const char *name, size_t len)
{
	char tx[IFNAMSIZ], rx[IFNAMSIZ];
	struct sender s = { .len = len };
	struct timeval tv = { 0, 50000 };
	uint64_t t0, got, rx0;
	int rsock;
	pthread_t t;

	if (!find_nic(SEND_MAC, tx, sizeof(tx)) || !find_nic(RECV_MAC, rx, sizeof(rx))) {
		printf("bench-skip: %s needs NICs %s and %s on one hub\n", name, SEND_MAC,
		       RECV_MAC);
		return;
	}
	s.sock = packet_socket(tx);
	rsock = packet_socket(rx);
	setsockopt(rsock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	sscanf(RECV_MAC, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &s.frame[0], &s.frame[1], &s.frame[2],
	       &s.frame[3], &s.frame[4], &s.frame[5]);
	sscanf(SEND_MAC, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &s.frame[6], &s.frame[7], &s.frame[8],
	       &s.frame[9], &s.frame[10], &s.frame[11]);
	s.frame[12] = ETHERTYPE >> 8;
	s.frame[13] = ETHERTYPE & 0xff;
	if (pthread_create(&t, NULL, send_loop, &s))
		die("pthread_create failed");
	receive_until(rsock, now_ns() + WARMUP_MS * 1000000ull);
	rx0 = if_stat(rx, "rx_packets");
	t0 = now_ns();
	got = receive_until(rsock, t0 + RUN_SECONDS * 1000000000ull);
	t0 = now_ns() - t0;
	s.stop = 1;
	pthread_join(t, NULL);
	printf("bench: %s fps=%llu frames=%llu ns=%llu len=%zu dev_rx=%llu sent=%llu "
	       "send_errors=%llu\n",
	       name, (unsigned long long)(got / ((double)t0 / 1e9) + 0.5), (unsigned long long)got,
	       (unsigned long long)t0, len, (unsigned long long)(if_stat(rx, "rx_packets") - rx0),
	       (unsigned long long)s.sent, (unsigned long long)s.failed);
	fflush(stdout);
	close(rsock);
	close(s.sock);
}

static void bench_frames_60(const char *name)
{
	bench_frames(name, 60);
}

static void bench_frames_1514(const char *name)
{
	bench_frames(name, 1514);
}

/* The operations, in the order of the table; the kernel side uses the same names. */
static const struct op {
	const char *name;
	void (*fn)(const char *name);
} ops[] = {
	{ "blk_seq_read_qd1", bench_seq_dd },	 { "blk_seq_read_qd8", bench_seq_aio },
	{ "blk_rand_read_qd1", bench_rand_qd1 }, { "blk_rand_read_qd32", bench_rand_qd32 },
	{ "net_frames_60", bench_frames_60 },	 { "net_frames_1514", bench_frames_1514 },
};

int main(int argc, char **argv)
{
	const char *glob = argc > 1 ? argv[1] : "*";
	int matched = 0;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (fnmatch(glob, ops[i].name, 0))
			continue;
		matched++;
		ops[i].fn(ops[i].name);
	}
	if (!matched)
		die("no benchmark matches \"%s\"", glob);
	return 0;
}
