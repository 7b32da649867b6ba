/*
 * The kernel log ring buffer. Records are stored whole and contiguous (a header, then the
 * text, padded to 8 bytes); a record that does not fit before the end of the buffer starts
 * again at offset 0, and the bytes it skipped are not part of any record.
 */
#include <nautilus/compiler.h>
#include <nautilus/errno.h>
#include <nautilus/logring.h>
#include <nautilus/string.h>

struct rec_hdr {
	uint64_t seq;
	uint64_t ts_ns;
	uint32_t len; /* text bytes after the header */
	uint8_t level;
	uint8_t truncated;
	uint16_t pad;
};

#define REC_ALIGN 8

static size_t rec_size(size_t len)
{
	return NK_ALIGN_UP(sizeof(struct rec_hdr) + len, REC_ALIGN);
}

static struct rec_hdr *rec_at(const struct nk_logring *ring, size_t off)
{
	return (struct rec_hdr *)(ring->buf + off);
}

int nk_logring_init(struct nk_logring *ring, void *buf, size_t size)
{
	uintptr_t start = NK_ALIGN_UP((uintptr_t)buf, REC_ALIGN);
	size_t skip = start - (uintptr_t)buf;

	if (size < skip || NK_ALIGN_DOWN(size - skip, REC_ALIGN) < NK_LOGRING_MIN_SIZE)
		return -EINVAL;
	memset(ring, 0, sizeof(*ring));
	ring->buf = (char *)start;
	ring->size = NK_ALIGN_DOWN(size - skip, REC_ALIGN);
	return 0;
}

/* Forget the oldest record. */
static void drop_oldest(struct nk_logring *ring)
{
	ring->head += rec_size(rec_at(ring, ring->head)->len);
	ring->count--;
	ring->dropped++;
	if (ring->count == 0) {
		ring->head = ring->tail = 0;
		ring->wrapped = false;
	} else if (ring->wrapped && ring->head == ring->wrap_end) {
		ring->head = 0;
		ring->wrapped = false;
	}
}

/*
 * Make need contiguous bytes free at ring->tail (need <= size). Unwrapped, the free space is
 * [tail, size) and, by wrapping, [0, head); wrapped, it is [tail, head).
 */
static void make_room(struct nk_logring *ring, size_t need)
{
	for (;;) {
		if (!ring->wrapped) {
			if (ring->size - ring->tail >= need)
				return;
			ring->wrap_end = ring->tail;
			ring->tail = 0;
			ring->wrapped = true;
		}
		if (ring->head - ring->tail >= need)
			return;
		drop_oldest(ring);
	}
}

uint64_t nk_logring_append(struct nk_logring *ring, uint64_t ts_ns, int level, const char *text,
			   size_t len)
{
	size_t max = NK_MIN(ring->size - sizeof(struct rec_hdr), (size_t)UINT32_MAX);
	bool truncated = len > max;
	struct rec_hdr *h;

	if (truncated)
		len = max;
	make_room(ring, rec_size(len));
	h = rec_at(ring, ring->tail);
	h->seq = ring->next_seq++;
	h->ts_ns = ts_ns;
	h->len = len;
	h->level = level;
	h->truncated = truncated;
	h->pad = 0;
	memcpy(h + 1, text, len);
	ring->tail += rec_size(len);
	ring->count++;
	return h->seq;
}

/* Walk the records in [off, end); returns fn's first nonzero value or 0. */
static int walk(const struct nk_logring *ring, size_t off, size_t end, uint64_t from_seq,
		nk_logring_fn fn, void *arg)
{
	while (off < end) {
		const struct rec_hdr *h = rec_at(ring, off);
		struct nk_logring_entry e = {
			.seq = h->seq,
			.ts_ns = h->ts_ns,
			.level = h->level,
			.truncated = h->truncated,
			.text = (const char *)(h + 1),
			.len = h->len,
		};
		int r = h->seq >= from_seq ? fn(&e, arg) : 0;

		if (r)
			return r;
		off += rec_size(h->len);
	}
	return 0;
}

int nk_logring_for_each(const struct nk_logring *ring, uint64_t from_seq, nk_logring_fn fn,
			void *arg)
{
	int r;

	if (!ring->wrapped)
		return walk(ring, ring->head, ring->tail, from_seq, fn, arg);
	r = walk(ring, ring->head, ring->wrap_end, from_seq, fn, arg);
	return r ? r : walk(ring, 0, ring->tail, from_seq, fn, arg);
}

size_t nk_logring_count(const struct nk_logring *ring)
{
	return ring->count;
}

uint64_t nk_logring_dropped(const struct nk_logring *ring)
{
	return ring->dropped;
}

uint64_t nk_logring_next_seq(const struct nk_logring *ring)
{
	return ring->next_seq;
}
