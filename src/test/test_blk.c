/*
 * KTAP suite `blk`: the block layer over the test runner's virtio-blk disks, found by size
 * (16 MiB writable, 1 MiB read-only; word k of each image holds k * 0x9E3779B97F4A7C15):
 * the pattern read at many offsets and sizes, a write/flush/re-read of the 1 MiB at 8 MiB
 * (the runner checks it on the host after shutdown), requests past the end and writes to the
 * read-only disk refused, 64 and then more requests than the ring holds in flight, each
 * completed exactly once, and MSI-X used by the transport when the function offers it.
 * Cases SKIP when the disks are absent.
 */
#include <nautilus/blkdev.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/pci.h>
#include <nautilus/random.h>
#include <nautilus/string.h>
#include <nautilus/test.h>
#include <nautilus/time.h>
#include <nautilus/timer.h>

#define PATTERN_MUL  0x9E3779B97F4A7C15ULL
#define MiB	     (1ULL << 20)
#define RW_BYTES     (16 * MiB)
#define RO_BYTES     (1 * MiB)
#define WRITE_AT     (8 * MiB) /* the region this suite writes, and the runner checks */
#define WRITE_BYTES  (1 * MiB)
#define INFLIGHT     64
#define OVERFLOW     300 /* more requests than a 256-entry ring holds at 3 descriptors each */
#define WAIT_NS	     (20 * 1000000000ULL)
#define SKIP_NO_DISK "no 16 MiB writable virtio-blk disk (started without the test disks)"
#define SKIP_NO_RO   "no 1 MiB read-only virtio-blk disk (started without the test disks)"

static int find_size(struct nk_dev *d, void *arg)
{
	struct nk_blk_dev *b = NK_CONTAINER_OF(d, struct nk_blk_dev, dev);
	struct nk_blk_dev **want = arg;
	uint64_t bytes = b->capacity * b->block_size;
	bool ro = (*want != NULL); /* the caller passes a non-NULL marker for the ro disk */

	if (d->driver && !strcmp(d->driver, "virtio-blk") && b->read_only == ro &&
	    bytes == (ro ? RO_BYTES : RW_BYTES)) {
		*want = b;
		return 1;
	}
	return 0;
}

static struct nk_blk_dev *test_disk(bool read_only)
{
	struct nk_blk_dev *found = read_only ? (struct nk_blk_dev *)1 : NULL;

	return nk_dev_for_each(NK_DEV_BLK, find_size, &found) ? found : NULL;
}

static uint64_t image_word(uint64_t k)
{
	return k * PATTERN_MUL;
}

/* What this suite writes into [WRITE_AT, WRITE_AT + WRITE_BYTES) of the writable disk. */
static uint64_t written_word(uint64_t k)
{
	return ~(k * PATTERN_MUL);
}

static bool in_write_region(uint64_t k)
{
	return k >= WRITE_AT / 8 && k < (WRITE_AT + WRITE_BYTES) / 8;
}

/*
 * Index of the first wrong word of buf, read from byte `at` of b, or -1. In the written region
 * of the writable disk either pattern is right (the image may come from an earlier run).
 */
static long long first_bad(struct nk_blk_dev *b, const uint64_t *buf, uint64_t at, uint64_t bytes)
{
	for (uint64_t i = 0; i < bytes / 8; i++) {
		uint64_t k = at / 8 + i;

		if (buf[i] == image_word(k))
			continue;
		if (!b->read_only && in_write_region(k) && buf[i] == written_word(k))
			continue;
		return (long long)i;
	}
	return -1;
}

/* Read count blocks at lba into a fresh buffer and check the pattern. */
static void read_check(struct nk_test_ctx *nk_t, struct nk_blk_dev *b, uint64_t lba, uint32_t count)
{
	uint64_t bytes = (uint64_t)count * b->block_size;
	uint64_t *buf = nk_malloc(bytes);
	long long bad;
	int err;

	NK_ASSERT_NOT_NULL(buf);
	memset(buf, 0xee, bytes);
	err = nk_blk_read(b, lba, count, buf);
	NK_EXPECT_EQ(err, 0);
	bad = err ? -1 : first_bad(b, buf, lba * b->block_size, bytes);
	NK_CHECK_((void)0, bad < 0, "%s lba %llu count %u: word %lld is 0x%llx", b->dev.name,
		  (unsigned long long)lba, count, bad,
		  bad < 0 ? 0ULL : (unsigned long long)buf[bad]);
	nk_free(buf);
}

NK_TEST(blk, disks_found)
{
	struct nk_blk_dev *rw = test_disk(false), *ro = test_disk(true);

	if (!rw && !ro)
		NK_SKIP(SKIP_NO_DISK);
	NK_ASSERT_NOT_NULL(rw);
	NK_ASSERT_NOT_NULL(ro);
	NK_EXPECT_EQ(rw->dev.state, NK_DEV_OK);
	NK_EXPECT_EQ(ro->dev.state, NK_DEV_OK);
	NK_EXPECT(!rw->read_only);
	NK_EXPECT(ro->read_only);
	NK_EXPECT_EQ(rw->dev.name[0], 'b'); /* "blkN" */
	NK_EXPECT_PTR_EQ(nk_blk_dev_find(rw->dev.name), rw);
	NK_EXPECT_PTR_EQ(nk_blk_dev_find(ro->dev.name), ro);
	NK_EXPECT_NOT_NULL(rw->dev.parent);
}

/* First and last block, random offsets with odd counts, and large requests. */
NK_TEST(blk, read_pattern)
{
	struct nk_blk_dev *b = test_disk(false);
	uint64_t seed = 0x5eed, blocks;
	static const uint32_t counts[] = { 1, 2, 3, 7, 8, 13, 31, 64, 127, 255 };

	if (!b)
		NK_SKIP(SKIP_NO_DISK);
	blocks = b->capacity;
	read_check(nk_t, b, 0, 1);
	read_check(nk_t, b, blocks - 1, 1);
	read_check(nk_t, b, blocks - 255, 255);
	for (int i = 0; i < 60 && nk_t->failures < 4; i++) {
		uint32_t n = counts[i % NK_ARRAY_SIZE(counts)];

		read_check(nk_t, b, nk_xorshift64(&seed) % (blocks - n + 1), n);
	}
	read_check(nk_t, b, 0, (uint32_t)(MiB / b->block_size));
	read_check(nk_t, b, 3, (uint32_t)(2 * MiB / b->block_size) + 5);
	read_check(nk_t, b, blocks / 2 + 1, (uint32_t)(4 * MiB / b->block_size) + 7);
	read_check(nk_t, b, 0, (uint32_t)blocks); /* the whole disk, one request */
}

NK_TEST(blk, read_only_disk)
{
	struct nk_blk_dev *b = test_disk(true);

	if (!b)
		NK_SKIP(SKIP_NO_RO);
	read_check(nk_t, b, 0, (uint32_t)b->capacity);
	read_check(nk_t, b, b->capacity - 1, 1);
	read_check(nk_t, b, 1, 3);
}

/* The 1 MiB at 8 MiB: written with the complement pattern, flushed, read back; neighbours kept. */
NK_TEST(blk, write_flush_reread)
{
	struct nk_blk_dev *b = test_disk(false);
	uint64_t *buf, lba, writes, flushes;
	uint32_t n;
	long long bad = -1;

	if (!b)
		NK_SKIP(SKIP_NO_DISK);
	lba = WRITE_AT / b->block_size;
	n = (uint32_t)(WRITE_BYTES / b->block_size);
	buf = nk_malloc(WRITE_BYTES);
	NK_ASSERT_NOT_NULL(buf);
	for (uint64_t i = 0; i < WRITE_BYTES / 8; i++)
		buf[i] = written_word(WRITE_AT / 8 + i);
	writes = b->stats.writes;
	flushes = b->stats.flushes;
	NK_EXPECT_EQ(nk_blk_write(b, lba, n, buf), 0);
	NK_EXPECT_EQ(nk_blk_flush(b), 0);
	NK_EXPECT_UEQ(b->stats.writes, writes + 1);
	NK_EXPECT_UEQ(b->stats.flushes, flushes + 1);
	memset(buf, 0, WRITE_BYTES);
	NK_EXPECT_EQ(nk_blk_read(b, lba, n, buf), 0);
	for (uint64_t i = 0; i < WRITE_BYTES / 8 && bad < 0; i++)
		if (buf[i] != written_word(WRITE_AT / 8 + i))
			bad = (long long)i;
	NK_EXPECT_EQ(bad, -1);
	nk_free(buf);
	read_check(nk_t, b, lba - 1, 1); /* the blocks around it keep the image pattern */
	read_check(nk_t, b, lba + n, 1);
}

NK_TEST(blk, past_end)
{
	struct nk_blk_dev *b = test_disk(false), *ro = test_disk(true);
	uint64_t errors, buf[512 / 8 * 2];

	if (!b)
		NK_SKIP(SKIP_NO_DISK);
	errors = b->stats.errors;
	NK_EXPECT_EQ(nk_blk_read(b, b->capacity, 1, buf), -ERANGE);
	NK_EXPECT_EQ(nk_blk_read(b, b->capacity - 1, 2, buf), -ERANGE);
	NK_EXPECT_EQ(nk_blk_read(b, UINT64_MAX, 1, buf), -ERANGE);
	NK_EXPECT_EQ(nk_blk_read(b, 1, UINT32_MAX, buf), -ERANGE);
	NK_EXPECT_EQ(nk_blk_write(b, b->capacity, 1, buf), -ERANGE);
	NK_EXPECT_EQ(nk_blk_read(b, 0, 0, buf), -EINVAL);
	NK_EXPECT_EQ(nk_blk_read(b, 0, 1, NULL), -EINVAL);
	if (ro)
		NK_EXPECT_EQ(nk_blk_read(ro, ro->capacity, 1, buf), -ERANGE);
	NK_EXPECT_UEQ(b->stats.errors, errors); /* refused before the device saw them */
	NK_EXPECT_EQ(b->dev.state, NK_DEV_OK);
	read_check(nk_t, b, b->capacity - 1, 1); /* and the disk still works */
}

static void count_done(struct nk_blk_req *req, int status __nk_unused)
{
	__atomic_fetch_add((int *)req->arg, 1, __ATOMIC_SEQ_CST);
}

/* nk_blk_submit returning an error never calls done. */
static int sync_submit(struct nk_blk_dev *b, struct nk_blk_req *req)
{
	static int calls;
	int before = calls, err;

	req->done = count_done;
	req->arg = &calls;
	err = nk_blk_submit(b, req);
	if (err && calls != before)
		return -EFAULT;
	return err;
}

NK_TEST(blk, bad_requests)
{
	struct nk_blk_dev *b = test_disk(false);
	uint64_t buf[64];
	struct nk_blk_req req = { .op = NK_BLK_READ, .lba = 0, .count = 1, .buf = buf };

	if (!b)
		NK_SKIP(SKIP_NO_DISK);
	NK_EXPECT_EQ(nk_blk_submit(b, &req), -EINVAL); /* no done callback */
	req.op = (enum nk_blk_op)7;
	NK_EXPECT_EQ(sync_submit(b, &req), -EINVAL);
	req.op = NK_BLK_READ;
	req.lba = b->capacity;
	NK_EXPECT_EQ(sync_submit(b, &req), -ERANGE);
	req.lba = 0;
	req.count = 0;
	NK_EXPECT_EQ(sync_submit(b, &req), -EINVAL);
}

NK_TEST(blk, read_only_refuses_writes)
{
	struct nk_blk_dev *ro = test_disk(true);
	uint64_t *buf, writes;

	if (!ro)
		NK_SKIP(SKIP_NO_RO);
	buf = nk_calloc(1, ro->block_size);
	NK_ASSERT_NOT_NULL(buf);
	writes = ro->stats.writes;
	NK_EXPECT_EQ(nk_blk_write(ro, 0, 1, buf), -EPERM);
	NK_EXPECT_EQ(nk_blk_write(ro, ro->capacity, 1, buf), -EPERM);
	NK_EXPECT_UEQ(ro->stats.writes, writes);
	NK_EXPECT_EQ(ro->dev.state, NK_DEV_OK);
	NK_EXPECT_EQ(nk_blk_flush(ro), 0); /* flushing a read-only disk is harmless */
	nk_free(buf);
	read_check(nk_t, ro, 0, 1); /* the block is unchanged */
}

/* Requests in flight together, each with its own buffer and completion counter. */
struct flight {
	struct nk_blk_req req;
	int calls;
	int status;
	uint64_t buf[]; /* blocks * block_size bytes */
};

static volatile int flight_done;

static void flight_cb(struct nk_blk_req *req, int status)
{
	struct flight *f = NK_CONTAINER_OF(req, struct flight, req);

	f->status = status;
	__atomic_fetch_add(&f->calls, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&flight_done, 1, __ATOMIC_SEQ_CST);
}

/*
 * Submit n reads (every fourth a write of the written pattern inside the write region);
 * returns how many were submitted, stopping at the first failure.
 */
static int submit_flights(struct nk_test_ctx *nk_t, struct nk_blk_dev *b, struct flight **f, int n,
			  uint32_t blocks, uint64_t seed)
{
	int err;

	size_t bytes = (size_t)blocks * b->block_size;
	uint64_t region_lba = WRITE_AT / b->block_size, region_blocks = WRITE_BYTES / b->block_size;

	for (int i = 0; i < n; i++) {
		bool write = i % 4 == 3;
		uint64_t lba = write ? region_lba + nk_xorshift64(&seed) % (region_blocks - blocks)
				     : nk_xorshift64(&seed) % (b->capacity - blocks);

		f[i] = nk_calloc(1, sizeof(struct flight) + bytes);
		if (!f[i]) {
			nk_test_fail(nk_t, __FILE__, __LINE__, "no memory for request %d", i);
			return i;
		}
		for (size_t w = 0; write && w < bytes / 8; w++)
			f[i]->buf[w] = written_word(lba * b->block_size / 8 + w);
		f[i]->req = (struct nk_blk_req){ .op = write ? NK_BLK_WRITE : NK_BLK_READ,
						 .lba = lba,
						 .count = blocks,
						 .buf = f[i]->buf,
						 .done = flight_cb };
		err = nk_blk_submit(b, &f[i]->req);
		if (err) {
			nk_test_fail(nk_t, __FILE__, __LINE__, "request %d: %s", i,
				     nk_strerror(err));
			return i;
		}
	}
	return n;
}

/*
 * n requests of `blocks` blocks in flight at once: all complete, each once, with the right
 * data. On a timeout the requests are left allocated (the device may still write them).
 */
static void run_flights(struct nk_test_ctx *nk_t, int n, uint32_t blocks, uint64_t seed)
{
	struct nk_blk_dev *b = test_disk(false);
	struct flight **f;
	int submitted;

	if (!b)
		NK_SKIP(SKIP_NO_DISK);
	f = nk_calloc(n, sizeof(*f));
	NK_ASSERT_NOT_NULL(f);
	flight_done = 0;
	submitted = submit_flights(nk_t, b, f, n, blocks, seed);
	if (!nk_test_wait_ge(&flight_done, submitted, nk_time_ns() + WAIT_NS)) {
		nk_test_fail(nk_t, __FILE__, __LINE__, "%d of %d requests completed", flight_done,
			     submitted);
		return;
	}
	nk_sleep(5000000); /* a second completion of any of them would show now */
	NK_EXPECT_EQ(flight_done, submitted);
	for (int i = 0; i < submitted; i++) {
		NK_EXPECT_EQ(f[i]->calls, 1);
		NK_EXPECT_EQ(f[i]->status, 0);
		NK_CHECK_((void)0,
			  first_bad(b, f[i]->buf, f[i]->req.lba * b->block_size,
				    (uint64_t)blocks * b->block_size) < 0,
			  "request %d (lba %llu): wrong data", i,
			  (unsigned long long)f[i]->req.lba);
	}
	for (int i = 0; i < n; i++)
		nk_free(f[i]);
	nk_free(f);
}

NK_TEST(blk, inflight_64)
{
	run_flights(nk_t, INFLIGHT, 8, 0x64);
}

/* More than the ring holds: the rest wait in the driver and go out as completions free room. */
NK_TEST(blk, inflight_overflow)
{
	run_flights(nk_t, OVERFLOW, 3, 0x300);
}

/*
 * The PCI function behind a disk: MSI-X whenever it offers MSI-X, with a vector for
 * configuration changes and one for the request queue when its table has room for both.
 */
static void check_irq(struct nk_test_ctx *nk_t, struct nk_blk_dev *b)
{
	struct nk_pci_dev *pdev;
	unsigned table;

	NK_ASSERT_NOT_NULL(b->dev.parent);
	NK_ASSERT_EQ(b->dev.parent->cls, NK_DEV_PCI);
	pdev = NK_CONTAINER_OF(b->dev.parent, struct nk_pci_dev, dev);
	NK_EXPECT_UEQ(pdev->vendor, 0x1af4);
	if (pdev->msix_cap) {
		table = (nk_pci_read16(pdev, pdev->msix_cap + 2) & 0x7ff) + 1; /* PCI 3.0 6.8.2.3 */
		NK_EXPECT_UEQ(pdev->irq_type, NK_PCI_IRQ_MSIX);
		NK_EXPECT_UEQ(pdev->nr_vectors, table >= 2 ? 2 : 1); /* config + request queue */
	} else {
		NK_EXPECT(pdev->irq_type == NK_PCI_IRQ_INTX || pdev->irq_type == NK_PCI_IRQ_MSI);
	}
	nk_test_diag("%s on %s: %s", b->dev.name, pdev->dev.name, pdev->dev.irq);
}

NK_TEST(blk, msix_when_offered)
{
	struct nk_blk_dev *rw = test_disk(false), *ro = test_disk(true);

	if (!rw && !ro)
		NK_SKIP(SKIP_NO_DISK);
	if (rw)
		check_irq(nk_t, rw);
	if (ro)
		check_irq(nk_t, ro);
}
