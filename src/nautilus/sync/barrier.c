/*
 * Barriers (include/nautilus/barrier.h). The sleeping one wakes a generation's waiters under
 * the queue's lock, all at once, before any arrival of the next generation can queue; waiters
 * that spun through the end of their generation find the generation number changed. The
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

struct gen_watch {
	struct nk_barrier *b;
	uint64_t gen; /* the generation the waiter arrived in */
};

static enum sync_try released(void *obj)
{
	struct gen_watch *g = obj;

	return __atomic_load_n(&g->b->generation, __ATOMIC_ACQUIRE) != g->gen ? SYNC_TAKEN
									      : SYNC_AGAIN;
}

/*
 * An arrival that is not the last spins a while for its generation to end (a barrier's
 * episodes are short in the runtimes that use it), then sleeps; the last one wakes sleepers.
 */
int nk_barrier_wait(struct nk_barrier *b)
{
	unsigned long flags = nk_spin_lock_irqsave(&b->wq.lock);
	struct nk_waiter w, *first;

	if (++b->arrived < b->n) {
		struct gen_watch g = { b, b->generation };

		nk_spin_unlock_irqrestore(&b->wq.lock, flags);
		if (sync_spin(released, &g))
			return 0;
		flags = nk_spin_lock_irqsave(&b->wq.lock);
		if (b->generation != g.gen) {
			nk_spin_unlock_irqrestore(&b->wq.lock, flags);
			return 0;
		}
		return nk_waitqueue_sleep(&b->wq, &w, flags, NO_DEADLINE);
	}
	b->arrived = 0;
	__atomic_store_n(&b->generation, b->generation + 1, __ATOMIC_RELEASE); /* spinners watch */
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
