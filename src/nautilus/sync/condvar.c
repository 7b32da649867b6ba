/*
 * Condition variables (include/nautilus/condvar.h): a wait queue. The waiter releases the mutex
 * under the queue's lock, so a signal sent right after the release finds it queued.
 */
#include <nautilus/condvar.h>
#include <nautilus/errno.h>

#include "sync_internal.h"

void nk_condvar_init(struct nk_condvar *cv)
{
	nk_waitqueue_init(&cv->wq);
}

static int wait_until(struct nk_condvar *cv, struct nk_mutex *m, uint64_t deadline_ns)
{
	struct nk_waiter w;
	unsigned long flags;
	int err;

	if (!nk_mutex_held(m))
		return -EPERM;
	flags = nk_spin_lock_irqsave(&cv->wq.lock);
	nk_mutex_unlock(m);
	err = nk_waitqueue_sleep(&cv->wq, &w, flags, deadline_ns);
	nk_mutex_lock(m);
	return err;
}

int nk_condvar_wait(struct nk_condvar *cv, struct nk_mutex *m)
{
	return wait_until(cv, m, NO_DEADLINE);
}

int nk_condvar_wait_timeout(struct nk_condvar *cv, struct nk_mutex *m, uint64_t ns)
{
	return wait_until(cv, m, sync_deadline(ns));
}

int nk_condvar_signal(struct nk_condvar *cv)
{
	return nk_waitqueue_wake_one(&cv->wq);
}

int nk_condvar_broadcast(struct nk_condvar *cv)
{
	return nk_waitqueue_wake_all(&cv->wq);
}
