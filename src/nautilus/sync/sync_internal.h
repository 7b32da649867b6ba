/* Helpers shared by the sleeping synchronization primitives (src/nautilus/sync/). */
#ifndef NK_SYNC_SYNC_INTERNAL_H
#define NK_SYNC_SYNC_INTERNAL_H

#include <nautilus/time.h>
#include <nautilus/types.h>
#include <nautilus/waitqueue.h>

/* nk_waitqueue_sleep's "no deadline". */
#define NO_DEADLINE 0

/*
 * The absolute deadline of a timeout of ns from now, for nk_waitqueue_sleep: saturated instead
 * of wrapping, and never 0 (which would mean no deadline).
 */
static inline uint64_t sync_deadline(uint64_t ns)
{
	uint64_t now = nk_time_ns(), deadline = now + ns;

	if (deadline < now)
		return UINT64_MAX;
	return deadline ? deadline : 1;
}

/*
 * nk_waitqueue_sleep, then wait until whoever ended the sleep (a waker or the timeout) has
 * released wq's lock. A waker touches the object that holds wq until it releases that lock;
 * after this returns the caller may free the object (a semaphore used as a completion on a
 * stack, a message queue being destroyed) without pulling it from under the waker.
 */
static inline int sync_sleep(struct nk_waitqueue *wq, struct nk_waiter *w, unsigned long flags,
			     uint64_t deadline_ns)
{
	int err = nk_waitqueue_sleep(wq, w, flags, deadline_ns);

	flags = nk_spin_lock_irqsave(&wq->lock);
	nk_spin_unlock_irqrestore(&wq->lock, flags);
	return err;
}

#endif
