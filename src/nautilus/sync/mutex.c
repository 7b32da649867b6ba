/*
 * Mutexes (include/nautilus/mutex.h): a three-state word taken by compare-and-swap; the wait
 * queue's lock orders "mark contended, then sleep" against "release, then wake", so no wake-up
 * is lost.
 */
#include <nautilus/errno.h>
#include <nautilus/mutex.h>
#include <nautilus/thread.h>

#include "sync_internal.h"

void nk_mutex_init(struct nk_mutex *m)
{
	m->state = NK_MUTEX_UNLOCKED;
	m->owner = NULL;
	nk_waitqueue_init(&m->wq);
}

static bool try_take(struct nk_mutex *m)
{
	int unlocked = NK_MUTEX_UNLOCKED;

	return __atomic_compare_exchange_n(&m->state, &unlocked, NK_MUTEX_LOCKED, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/*
 * Take m if it looks free; the compare-and-swap only then, to keep the line shared meanwhile.
 * Sleepers do not stop a spinner: an unlock frees m for anyone (see mutex.h).
 */
static enum sync_try take_if_free(void *obj)
{
	struct nk_mutex *m = obj;

	if (__atomic_load_n(&m->state, __ATOMIC_RELAXED) == NK_MUTEX_UNLOCKED && try_take(m))
		return SYNC_TAKEN;
	return SYNC_AGAIN;
}

/*
 * Mark m contended and sleep until an unlock wakes us; repeat until the mark finds m free.
 * The mark is left in place when we take m that way: other sleepers may remain, and the
 * unlock must look for them.
 */
static void sleep_take(struct nk_mutex *m)
{
	for (;;) {
		unsigned long flags = nk_spin_lock_irqsave(&m->wq.lock);
		struct nk_waiter w;

		if (__atomic_exchange_n(&m->state, NK_MUTEX_CONTENDED, __ATOMIC_ACQUIRE) ==
		    NK_MUTEX_UNLOCKED) {
			nk_spin_unlock_irqrestore(&m->wq.lock, flags);
			return;
		}
		nk_waitqueue_sleep(&m->wq, &w, flags, NO_DEADLINE);
	}
}

int nk_mutex_lock(struct nk_mutex *m)
{
	struct nk_thread *self = nk_thread_self();

	if (!try_take(m)) {
		if (__atomic_load_n(&m->owner, __ATOMIC_RELAXED) == self)
			return -EDEADLK;
		if (!sync_spin(take_if_free, m))
			sleep_take(m);
	}
	__atomic_store_n(&m->owner, self, __ATOMIC_RELAXED);
	return 0;
}

int nk_mutex_trylock(struct nk_mutex *m)
{
	if (!try_take(m))
		return -EBUSY;
	__atomic_store_n(&m->owner, nk_thread_self(), __ATOMIC_RELAXED);
	return 0;
}

int nk_mutex_unlock(struct nk_mutex *m)
{
	if (__atomic_load_n(&m->owner, __ATOMIC_RELAXED) != nk_thread_self())
		return -EPERM;
	__atomic_store_n(&m->owner, NULL, __ATOMIC_RELAXED);
	if (__atomic_exchange_n(&m->state, NK_MUTEX_UNLOCKED, __ATOMIC_RELEASE) ==
	    NK_MUTEX_CONTENDED)
		nk_waitqueue_wake_one(&m->wq);
	return 0;
}

bool nk_mutex_held(const struct nk_mutex *m)
{
	return __atomic_load_n(&m->owner, __ATOMIC_RELAXED) == nk_thread_self();
}
