/*
 * Wait queues: where threads sleep until another thread or an interrupt handler wakes them.
 * The building block of every blocking primitive (mutex, condvar, semaphore, barrier, rwlock,
 * message queue, join, timers). A waiter is woken only by an explicit wake of its entry or by
 * its own deadline, never spuriously, so a primitive may hand its resource over in `data`.
 *
 *	flags = nk_spin_lock_irqsave(&wq->lock);
 *	if (!condition) {
 *		struct nk_waiter w;
 *		err = nk_waitqueue_sleep(wq, &w, flags, deadline);   // releases the lock
 *	} else
 *		nk_spin_unlock_irqrestore(&wq->lock, flags);
 */
#ifndef NK_NAUTILUS_WAITQUEUE_H
#define NK_NAUTILUS_WAITQUEUE_H

#include <nautilus/spinlock.h>
#include <nautilus/types.h>

struct nk_thread;

struct nk_waiter {
	struct nk_waiter *next, *prev;
	struct nk_thread *thread;
	uintptr_t data; /* what the waker handed over (a semaphore unit, a message, ...) */
	bool woken;	/* set by the waker, under the queue's lock */
};

struct nk_waitqueue {
	struct nk_spinlock lock;
	struct nk_waiter head; /* FIFO: woken in the order they slept */
	int nr_waiters;
};

void nk_waitqueue_init(struct nk_waitqueue *wq);

/*
 * Sleep on wq until a wake picks this waiter or, if deadline_ns (absolute, nk_time_ns) is not 0,
 * until then. Call with wq->lock held, taken by nk_spin_lock_irqsave (flags from it), from a
 * thread; w is the caller's (on its stack). Returns with the lock released and interrupts as in
 * flags: 0 when woken (w->data holds what the waker gave), -ETIMEDOUT (w is off the queue).
 * Whoever ended the sleep has released wq->lock by then: the caller may free wq's object.
 */
int nk_waitqueue_sleep(struct nk_waitqueue *wq, struct nk_waiter *w, unsigned long flags,
		       uint64_t deadline_ns);

/* Under wq->lock: the first waiter (FIFO order) or NULL. */
struct nk_waiter *nk_waitqueue_first(struct nk_waitqueue *wq);
/* Under wq->lock: take w off wq, set w->data and w->woken, make its thread runnable. */
void nk_waitqueue_wake_locked(struct nk_waitqueue *wq, struct nk_waiter *w, uintptr_t data);
/* Take the lock and wake the first waiter / all waiters (data 0). Return how many were woken. */
int nk_waitqueue_wake_one(struct nk_waitqueue *wq);
int nk_waitqueue_wake_all(struct nk_waitqueue *wq);
/* Under wq->lock: no waiter. */
static inline bool nk_waitqueue_empty(const struct nk_waitqueue *wq)
{
	return wq->nr_waiters == 0;
}

#endif
