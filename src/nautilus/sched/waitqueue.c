/*
 * Wait queues (include/nautilus/waitqueue.h). A sleeper's entry lives on its stack; the queue's
 * lock orders every change to it. Lock order: a wait queue's lock, then a timer queue's or a
 * run queue's.
 */
#include <nautilus/arch.h>
#include <nautilus/errno.h>
#include <nautilus/panic.h>
#include <nautilus/time.h>
#include <nautilus/waitqueue.h>

#include "sched_internal.h"

void nk_waitqueue_init(struct nk_waitqueue *wq)
{
	nk_spin_init(&wq->lock);
	wq->head.next = wq->head.prev = &wq->head;
	wq->nr_waiters = 0;
}

static void waiter_add(struct nk_waitqueue *wq, struct nk_waiter *w)
{
	w->next = &wq->head;
	w->prev = wq->head.prev;
	wq->head.prev->next = w;
	wq->head.prev = w;
	wq->nr_waiters++;
}

static void waiter_del(struct nk_waitqueue *wq, struct nk_waiter *w)
{
	w->prev->next = w->next;
	w->next->prev = w->prev;
	w->next = w->prev = NULL;
	wq->nr_waiters--;
}

int nk_waitqueue_sleep(struct nk_waitqueue *wq, struct nk_waiter *w, unsigned long flags,
		       uint64_t deadline_ns)
{
	struct nk_thread *self = nk_this_cpu()->current_thread;
	uint64_t now = deadline_ns ? nk_time_ns() : 0;
	int err = 0;

	if (deadline_ns && deadline_ns <= now) {
		nk_spin_unlock_irqrestore(&wq->lock, flags);
		return -ETIMEDOUT;
	}
	w->thread = self;
	w->data = 0;
	w->woken = false;
	waiter_add(wq, w);
	self->state = NK_THREAD_BLOCKED;
	if (deadline_ns)
		nk_timer_set(&self->timer, deadline_ns - now, NK_TIMER_IRQ, nk_sched_wake_timer, self,
			     NK_CPU_ANY);
	nk_spin_unlock(&wq->lock); /* interrupts stay off until the switch */
	nk_sched_switch_away();
	/*
	 * Woken by a waker or by the deadline: take the lock once more, so that whoever woke us
	 * has released it before we return. The caller may then free the object holding wq (a
	 * completion on a stack, a queue being destroyed), and the entry on this stack is
	 * no longer touched by a waker that chose it.
	 */
	if (deadline_ns)
		nk_timer_cancel(&self->timer);
	nk_spin_lock(&wq->lock);
	if (!w->woken) {
		waiter_del(wq, w);
		err = -ETIMEDOUT;
	}
	nk_spin_unlock(&wq->lock);
	nk_arch_irq_restore(flags);
	return err;
}

struct nk_waiter *nk_waitqueue_first(struct nk_waitqueue *wq)
{
	return wq->nr_waiters ? wq->head.next : NULL;
}

void nk_waitqueue_wake_locked(struct nk_waitqueue *wq, struct nk_waiter *w, uintptr_t data)
{
	struct nk_thread *t = w->thread;

	waiter_del(wq, w);
	w->data = data;
	__atomic_store_n(&w->woken, true, __ATOMIC_RELEASE);
	nk_sched_wake(t);
}

int nk_waitqueue_wake_one(struct nk_waitqueue *wq)
{
	unsigned long flags = nk_spin_lock_irqsave(&wq->lock);
	struct nk_waiter *w = nk_waitqueue_first(wq);

	if (w)
		nk_waitqueue_wake_locked(wq, w, 0);
	nk_spin_unlock_irqrestore(&wq->lock, flags);
	return w != NULL;
}

int nk_waitqueue_wake_all(struct nk_waitqueue *wq)
{
	unsigned long flags = nk_spin_lock_irqsave(&wq->lock);
	int n = 0;

	while (wq->nr_waiters) {
		nk_waitqueue_wake_locked(wq, wq->head.next, 0);
		n++;
	}
	nk_spin_unlock_irqrestore(&wq->lock, flags);
	return n;
}
