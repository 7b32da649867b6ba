/*
 * The "blktest" shell command: list block devices, or read (and with "write": write, flush and
 * re-read) a range of one and verify it against the test images' pattern, with the throughput.
 * The pattern: 64-bit word k of the image (at byte 8k) holds k * 0x9E3779B97F4A7C15; what
 * blktest and the blk tests write is its complement.
 */
#include <nautilus/blkdev.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/printk.h>
#include <nautilus/shell.h>
#include <nautilus/string.h>
#include <nautilus/time.h>

#define PATTERN_MUL    0x9E3779B97F4A7C15ULL
#define MAX_TEST_BYTES (64ULL << 20) /* one buffer, allocated for the command */

static int list_one(struct nk_dev *d, void *arg __nk_unused)
{
	struct nk_blk_dev *b = NK_CONTAINER_OF(d, struct nk_blk_dev, dev);

	nk_printf("%-8s %12llu %6u %10llu  %-3s %-6s %s\n", d->name,
		  (unsigned long long)b->capacity, b->block_size,
		  (unsigned long long)(b->capacity * b->block_size >> 10),
		  b->read_only ? "ro" : "rw", nk_dev_state_name(d->state),
		  d->driver ? d->driver : "-");
	return 0;
}

static void list_devices(void)
{
	nk_printf("%-8s %12s %6s %10s  %-3s %-6s %s\n", "NAME", "BLOCKS", "BSIZE", "KiB", "RO",
		  "STATE", "DRIVER");
	nk_dev_for_each(NK_DEV_BLK, list_one, NULL);
}

/* Word i of buf, read from byte offset `at` of the device, against the pattern (or ~). */
static uint64_t expected(uint64_t at, size_t i, bool complement)
{
	uint64_t v = (at / 8 + i) * PATTERN_MUL;

	return complement ? ~v : v;
}

/*
 * Words matching neither the complement pattern nor (if allow_image) the image pattern; the first
 * one is reported. *written counts the words holding the complement.
 */
static uint64_t verify(const uint64_t *buf, uint64_t at, uint64_t bytes, bool allow_image,
		       uint64_t *written)
{
	uint64_t bad = 0;

	*written = 0;
	for (size_t i = 0; i < bytes / 8; i++) {
		if (buf[i] == expected(at, i, false) && allow_image)
			continue;
		if (buf[i] == expected(at, i, true)) {
			(*written)++;
			continue;
		}
		if (!bad++)
			nk_printf("blktest: byte offset %llu: expected 0x%016llx, read 0x%016llx\n",
				  (unsigned long long)(at + 8 * i),
				  (unsigned long long)expected(at, i, !allow_image),
				  (unsigned long long)buf[i]);
	}
	return bad;
}

static void report(const char *what, uint64_t bytes, uint64_t ns)
{
	uint64_t centi = ns ? bytes * 100000ULL / ns : 0; /* MB/s x 100 */

	nk_printf("blktest: %s %llu KiB in %llu us: %llu.%02llu MB/s\n", what,
		  (unsigned long long)(bytes >> 10), (unsigned long long)(ns / 1000),
		  (unsigned long long)(centi / 100), (unsigned long long)(centi % 100));
}

static int timed(const char *what, struct nk_blk_dev *b, bool write, uint64_t lba, uint32_t n,
		 void *buf)
{
	uint64_t t0 = nk_time_ns(), bytes = (uint64_t)n * b->block_size;
	int err = write ? nk_blk_write(b, lba, n, buf) : nk_blk_read(b, lba, n, buf);

	if (err) {
		nk_printf("blktest: %s of %s failed: %s\n", what, b->dev.name, nk_strerror(err));
		return err;
	}
	report(what, bytes, nk_time_ns() - t0);
	return 0;
}

/* Read and verify: each word holds the image pattern or its complement (written earlier). */
static int read_verify(struct nk_blk_dev *b, uint64_t lba, uint32_t n, uint64_t *buf)
{
	uint64_t bytes = (uint64_t)n * b->block_size, written, bad;
	int err = timed("read", b, false, lba, n, buf);

	if (err)
		return err;
	bad = verify(buf, lba * b->block_size, bytes, true, &written);
	nk_printf("blktest: %llu words: %llu image pattern, %llu written pattern, %llu wrong\n",
		  (unsigned long long)(bytes / 8), (unsigned long long)(bytes / 8 - written - bad),
		  (unsigned long long)written, (unsigned long long)bad);
	return bad ? -EIO : 0;
}

/* Write the complement pattern, flush, read back into a cleared buffer and verify. */
static int write_verify(struct nk_blk_dev *b, uint64_t lba, uint32_t n, uint64_t *buf)
{
	uint64_t bytes = (uint64_t)n * b->block_size, at = lba * b->block_size, bad, written;
	int err;

	for (size_t i = 0; i < bytes / 8; i++)
		buf[i] = expected(at, i, true);
	err = timed("write", b, true, lba, n, buf);
	if (!err && (err = nk_blk_flush(b)))
		nk_printf("blktest: flush of %s failed: %s\n", b->dev.name, nk_strerror(err));
	if (err)
		return err;
	memset(buf, 0, bytes);
	err = timed("re-read", b, false, lba, n, buf);
	if (err)
		return err;
	bad = verify(buf, at, bytes, false, &written);
	nk_printf("blktest: %llu words written, flushed and read back, %llu wrong\n",
		  (unsigned long long)(bytes / 8), (unsigned long long)bad);
	return bad ? -EIO : 0;
}

static int parse_args(int argc, char **argv, struct nk_blk_dev **b, uint64_t *lba, uint64_t *n)
{
	if (argc < 4 || argc > 5 || (argc == 5 && strcmp(argv[4], "write")))
		return -EINVAL;
	*b = nk_blk_dev_find(argv[1]);
	if (!*b) {
		nk_printf("blktest: no block device '%s' (blktest alone lists them)\n", argv[1]);
		return -ENOENT;
	}
	if (nk_parse_u64(argv[2], 0, lba) || nk_parse_u64(argv[3], 0, n) || !*n) {
		nk_printf("blktest: lba and count must be numbers, count at least 1\n");
		return -EINVAL;
	}
	if (*n * (*b)->block_size > MAX_TEST_BYTES || *n > UINT32_MAX) {
		nk_printf("blktest: at most %llu MiB at a time\n", MAX_TEST_BYTES >> 20);
		return -EINVAL;
	}
	return 0;
}

static int cmd_blktest(int argc, char **argv)
{
	struct nk_blk_dev *b;
	uint64_t lba, n;
	uint64_t *buf;
	int err;

	if (argc == 1) {
		list_devices();
		return 0;
	}
	err = parse_args(argc, argv, &b, &lba, &n);
	if (err)
		return err;
	buf = nk_malloc(n * b->block_size);
	if (!buf) {
		nk_printf("blktest: no memory for %llu KiB\n",
			  (unsigned long long)((n * b->block_size) >> 10));
		return -ENOMEM;
	}
	err = argc == 5 ? write_verify(b, lba, (uint32_t)n, buf)
			: read_verify(b, lba, (uint32_t)n, buf);
	nk_free(buf);
	return err;
}

NK_SHELL_CMD(
	blktest,
	"[<dev> <lba> <count> [write]]: list block devices, or read (write, flush, re-read) and verify count blocks at lba against the test pattern, with MB/s",
	cmd_blktest);
