/*
 * A bounded FIFO ring of pointers over a caller's array; no locking (the message queue holds
 * its lock around every call). Kept apart so the host tests check the index arithmetic.
 */
#ifndef NK_SYNC_PTR_RING_H
#define NK_SYNC_PTR_RING_H

#include <nautilus/types.h>

struct ptr_ring {
	void **slot;
	unsigned capacity; /* >= 1, and at most UINT_MAX / 2 so head + count cannot wrap */
	unsigned head;	   /* index of the oldest entry, < capacity */
	unsigned count;	   /* entries held */
};

static inline void ptr_ring_init(struct ptr_ring *r, void **slot, unsigned capacity)
{
	r->slot = slot;
	r->capacity = capacity;
	r->head = 0;
	r->count = 0;
}

static inline bool ptr_ring_empty(const struct ptr_ring *r)
{
	return r->count == 0;
}

static inline bool ptr_ring_full(const struct ptr_ring *r)
{
	return r->count == r->capacity;
}

/* i < 2 * capacity, reduced into the array. */
static inline unsigned ptr_ring_wrap(const struct ptr_ring *r, unsigned i)
{
	return i < r->capacity ? i : i - r->capacity;
}

/* Append p; the ring must not be full. */
static inline void ptr_ring_push(struct ptr_ring *r, void *p)
{
	r->slot[ptr_ring_wrap(r, r->head + r->count)] = p;
	r->count++;
}

/* Remove and return the oldest entry; the ring must not be empty. */
static inline void *ptr_ring_pop(struct ptr_ring *r)
{
	void *p = r->slot[r->head];

	r->head = ptr_ring_wrap(r, r->head + 1);
	r->count--;
	return p;
}

#endif
