/*
 * A bounded FIFO of bytes over a caller's array whose size is a power of two; no locking (the
 * serial driver holds its port lock around every call). Kept apart so the host tests check the
 * index arithmetic (tests/host/test_byte_ring.c).
 */
#ifndef NK_DEV_BYTE_RING_H
#define NK_DEV_BYTE_RING_H

#include <nautilus/errno.h>
#include <nautilus/string.h>
#include <nautilus/types.h>

struct byte_ring {
	uint8_t *buf;
	uint32_t size; /* a power of two, at most 2^31 so head - tail never exceeds it */
	uint32_t head; /* free-running: bytes ever put; the next goes to buf[head & (size - 1)] */
	uint32_t tail; /* free-running: bytes ever taken */
};

/* 0, or -EINVAL when size is 0, not a power of two or above 2^31. */
static inline int byte_ring_init(struct byte_ring *r, uint8_t *buf, uint32_t size)
{
	if (!size || (size & (size - 1)) || size > (1U << 31))
		return -EINVAL;
	r->buf = buf;
	r->size = size;
	r->head = 0;
	r->tail = 0;
	return 0;
}

static inline uint32_t byte_ring_count(const struct byte_ring *r)
{
	return r->head - r->tail;
}

static inline uint32_t byte_ring_space(const struct byte_ring *r)
{
	return r->size - byte_ring_count(r);
}

static inline bool byte_ring_empty(const struct byte_ring *r)
{
	return r->head == r->tail;
}

/* Append c: false (nothing changed) when the ring is full. */
static inline bool byte_ring_putc(struct byte_ring *r, uint8_t c)
{
	if (!byte_ring_space(r))
		return false;
	r->buf[r->head & (r->size - 1)] = c;
	r->head++;
	return true;
}

/* Remove the oldest byte: it, or -1 when the ring is empty. */
static inline int byte_ring_getc(struct byte_ring *r)
{
	int c;

	if (byte_ring_empty(r))
		return -1;
	c = r->buf[r->tail & (r->size - 1)];
	r->tail++;
	return c;
}

/* Append as much of src[0..n) as fits, in at most two copies: how many bytes went in. */
static inline size_t byte_ring_put(struct byte_ring *r, const void *src, size_t n)
{
	uint32_t at = r->head & (r->size - 1);
	size_t len = n < byte_ring_space(r) ? n : byte_ring_space(r);
	size_t first = len < r->size - at ? len : r->size - at;

	memcpy(r->buf + at, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, len - first);
	r->head += (uint32_t)len;
	return len;
}

/* Remove up to n of the oldest bytes into dst: how many were taken. */
static inline size_t byte_ring_get(struct byte_ring *r, void *dst, size_t n)
{
	uint32_t at = r->tail & (r->size - 1);
	size_t len = n < byte_ring_count(r) ? n : byte_ring_count(r);
	size_t first = len < r->size - at ? len : r->size - at;

	memcpy(dst, r->buf + at, first);
	memcpy((uint8_t *)dst + first, r->buf, len - first);
	r->tail += (uint32_t)len;
	return len;
}

#endif
