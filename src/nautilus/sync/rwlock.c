/*
 * Reader-writer locks (include/nautilus/rwlock.h): the holders and one FIFO wait queue of
 * readers and writers, all under the queue's lock. A release lets in waiters from the head of
 * the queue, counting them as holders before it wakes them (a hand-over: nobody can slip in
 * between), so a woken waiter holds the lock when it returns.
 */
#include <nautilus/errno.h>
#include <nautilus/rwlock.h>
#include <nautilus/thread.h>

#include "sync_internal.h"

struct rw_waiter {
	struct nk_waiter w;
	bool writer;
};

void nk_rwlock_init(struct nk_rwlock *l)
{
	nk_waitqueue_init(&l->wq);
	l->readers = 0;
	l->writer = NULL;
}

/* Under l's lock, l not held for writing: let in the head writer, or the head run of readers. */
static void let_in(struct nk_rwlock *l)
{
	struct nk_waiter *w;

	while ((w = nk_waitqueue_first(&l->wq))) {
		struct rw_waiter *rw = NK_CONTAINER_OF(w, struct rw_waiter, w);

		if (rw->writer) {
			if (l->readers)
				return;
			l->writer = w->thread;
			nk_waitqueue_wake_locked(&l->wq, w, 0);
			return;
		}
		l->readers++;
		nk_waitqueue_wake_locked(&l->wq, w, 0);
	}
}

/* Under l's lock: take l now if that needs no wait. */
static bool take_now(struct nk_rwlock *l, bool writer)
{
	if (l->writer || !nk_waitqueue_empty(&l->wq))
		return false;
	if (!writer) {
		l->readers++;
		return true;
	}
	if (l->readers)
		return false;
	l->writer = nk_thread_self();
	return true;
}

/* Take l now if that needs no wait, taking its lock for the check. */
static bool take_locked(struct nk_rwlock *l, bool writer)
{
	unsigned long flags = nk_spin_lock_irqsave(&l->wq.lock);
	bool taken = take_now(l, writer);

	nk_spin_unlock_irqrestore(&l->wq.lock, flags);
	return taken;
}

struct rw_want {
	struct nk_rwlock *l;
	bool writer;
};

/*
 * Take l if it looks free for us; the queue's lock only then. While others wait, they are let
 * in first: no use spinning.
 */
static enum sync_try take_if_free(void *obj)
{
	struct rw_want *want = obj;
	struct nk_rwlock *l = want->l;

	if (__atomic_load_n(&l->wq.nr_waiters, __ATOMIC_RELAXED))
		return SYNC_QUEUE;
	if (__atomic_load_n(&l->writer, __ATOMIC_RELAXED) ||
	    (want->writer && __atomic_load_n(&l->readers, __ATOMIC_RELAXED)))
		return SYNC_AGAIN;
	return take_locked(l, want->writer) ? SYNC_TAKEN : SYNC_AGAIN;
}

static int take(struct nk_rwlock *l, bool writer)
{
	struct rw_want want = { l, writer };
	struct rw_waiter rw = { .writer = writer };
	unsigned long flags;

	/* Only this thread stores itself as the writer: reading it unlocked is exact for us. */
	if (__atomic_load_n(&l->writer, __ATOMIC_RELAXED) == nk_thread_self())
		return -EDEADLK;
	if (sync_spin(take_if_free, &want))
		return 0;
	flags = nk_spin_lock_irqsave(&l->wq.lock);
	if (take_now(l, writer)) {
		nk_spin_unlock_irqrestore(&l->wq.lock, flags);
		return 0;
	}
	return nk_waitqueue_sleep(&l->wq, &rw.w, flags, NO_DEADLINE);
}

static int try_take(struct nk_rwlock *l, bool writer)
{
	return take_locked(l, writer) ? 0 : -EBUSY;
}

int nk_rwlock_read_lock(struct nk_rwlock *l)
{
	return take(l, false);
}

int nk_rwlock_write_lock(struct nk_rwlock *l)
{
	return take(l, true);
}

int nk_rwlock_try_read_lock(struct nk_rwlock *l)
{
	return try_take(l, false);
}

int nk_rwlock_try_write_lock(struct nk_rwlock *l)
{
	return try_take(l, true);
}

int nk_rwlock_read_unlock(struct nk_rwlock *l)
{
	unsigned long flags = nk_spin_lock_irqsave(&l->wq.lock);
	int err = 0;

	if (!l->readers)
		err = -EPERM;
	else if (!--l->readers)
		let_in(l);
	nk_spin_unlock_irqrestore(&l->wq.lock, flags);
	return err;
}

int nk_rwlock_write_unlock(struct nk_rwlock *l)
{
	unsigned long flags = nk_spin_lock_irqsave(&l->wq.lock);
	int err = 0;

	if (l->writer != nk_thread_self()) {
		err = -EPERM;
	} else {
		l->writer = NULL;
		let_in(l);
	}
	nk_spin_unlock_irqrestore(&l->wq.lock, flags);
	return err;
}
