/*
 * Barriers (include/nautilus/barrier.h). The sleeping one wakes a generation's waiters under
 * the queue's lock, all at once, before any arrival of the next generation can queue. The
 * spinning one releases a generation by bumping a counter that its waiters watch; it resets
 * the arrival count first, and the next generation's arrivals come only after the bump.
 */
#include <nautilus/barrier.h>
#include <nautilus/errno.h>

#include "sync_internal.h"

int nk_barrier_init(struct nk_barrier *b, unsigned n)
{
	if (!n)
		return -EINVAL;
	nk_waitqueue_init(&b->wq);
	b->n = n;
	b->arrived = 0;
	b->generation = 0;
	return 0;
}

int nk_barrier_wait(struct nk_barrier *b)
{
	unsigned long flags = nk_spin_lock_irqsave(&b->wq.lock);
	struct nk_waiter w, *first;

	if (++b->arrived < b->n)
		return nk_waitqueue_sleep(&b->wq, &w, flags, NO_DEADLINE);
	b->arrived = 0;
	b->generation++;
	while ((first = nk_waitqueue_first(&b->wq)))
		nk_waitqueue_wake_locked(&b->wq, first, 0);
	nk_spin_unlock_irqrestore(&b->wq.lock, flags);
	return NK_BARRIER_LAST;
}

int nk_spin_barrier_init(struct nk_spin_barrier *b, unsigned n)
{
	if (!n)
		return -EINVAL;
	b->n = n;
	b->arrived = 0;
	b->generation = 0;
	return 0;
}

int nk_spin_barrier_wait(struct nk_spin_barrier *b)
{
	unsigned gen = __atomic_load_n(&b->generation, __ATOMIC_ACQUIRE);

	if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_ACQ_REL) == b->n) {
		__atomic_store_n(&b->arrived, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&b->generation, gen + 1, __ATOMIC_RELEASE);
		return NK_BARRIER_LAST;
	}
	while (__atomic_load_n(&b->generation, __ATOMIC_ACQUIRE) == gen)
		__builtin_ia32_pause();
	return 0;
}
