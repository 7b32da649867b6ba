/*
 * Counting semaphores (include/nautilus/semaphore.h): a count and a wait queue under the
 * queue's lock. A unit given to a sleeper travels in its waiter (data = 1) and never passes
 * through the count, which stays 0 while anyone sleeps.
 */
#include <nautilus/errno.h>
#include <nautilus/semaphore.h>

#include "sync_internal.h"

void nk_sem_init(struct nk_sem *s, int count)
{
	nk_waitqueue_init(&s->wq);
	s->count = count;
}

int nk_sem_try_down(struct nk_sem *s)
{
	unsigned long flags = nk_spin_lock_irqsave(&s->wq.lock);
	int err = -EAGAIN;

	if (s->count > 0) {
		s->count--;
		err = 0;
	}
	nk_spin_unlock_irqrestore(&s->wq.lock, flags);
	return err;
}

/*
 * Take a unit if the count shows one; the queue's lock only then. While others sleep, every
 * unit goes to them: no use spinning.
 */
static enum sync_try take_if_available(void *obj)
{
	struct nk_sem *s = obj;

	if (__atomic_load_n(&s->wq.nr_waiters, __ATOMIC_RELAXED))
		return SYNC_QUEUE;
	if (__atomic_load_n(&s->count, __ATOMIC_RELAXED) > 0 && !nk_sem_try_down(s))
		return SYNC_TAKEN;
	return SYNC_AGAIN;
}

static int down_until(struct nk_sem *s, uint64_t deadline_ns)
{
	unsigned long flags;
	struct nk_waiter w;

	if (sync_spin(take_if_available, s))
		return 0;
	flags = nk_spin_lock_irqsave(&s->wq.lock);
	if (s->count > 0) {
		s->count--;
		nk_spin_unlock_irqrestore(&s->wq.lock, flags);
		return 0;
	}
	return nk_waitqueue_sleep(&s->wq, &w, flags, deadline_ns);
}

int nk_sem_down(struct nk_sem *s)
{
	return down_until(s, NO_DEADLINE);
}

int nk_sem_down_timeout(struct nk_sem *s, uint64_t ns)
{
	return down_until(s, sync_deadline(ns));
}

void nk_sem_up(struct nk_sem *s)
{
	unsigned long flags = nk_spin_lock_irqsave(&s->wq.lock);
	struct nk_waiter *w = nk_waitqueue_first(&s->wq);

	if (w)
		nk_waitqueue_wake_locked(&s->wq, w, 1);
	else
		s->count++;
	nk_spin_unlock_irqrestore(&s->wq.lock, flags);
}
