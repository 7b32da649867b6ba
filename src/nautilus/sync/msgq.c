/*
 * Message queues (include/nautilus/msgq.h): a pointer ring and one wait queue under its lock.
 * Capacity is at least 1, so the sleepers are all receivers (the ring is empty) or all senders
 * (the ring is full), never both: a send finding the ring empty and a sleeper hands the message
 * to that receiver; a receive finding a sleeper takes the oldest message and refills the ring
 * from that sender.
 */
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/msgq.h>

#include "ptr_ring.h"
#include "sync_internal.h"

struct nk_msgq {
	struct nk_waitqueue wq; /* its lock also guards ring */
	struct ptr_ring ring;
	void *slot[];
};

/* A sleeping sender and the message it waits to deliver. */
struct send_waiter {
	struct nk_waiter w;
	void *msg;
};

struct nk_msgq *nk_msgq_create(unsigned capacity)
{
	struct nk_msgq *q;

	if (!capacity || capacity > NK_MSGQ_MAX_CAPACITY)
		return NK_ERR_PTR(-EINVAL);
	q = nk_malloc(sizeof(*q) + capacity * sizeof(q->slot[0]));
	if (!q)
		return NK_ERR_PTR(-ENOMEM);
	nk_waitqueue_init(&q->wq);
	ptr_ring_init(&q->ring, q->slot, capacity);
	return q;
}

int nk_msgq_destroy(struct nk_msgq *q)
{
	unsigned long flags = nk_spin_lock_irqsave(&q->wq.lock);
	bool waited_on = !nk_waitqueue_empty(&q->wq);

	nk_spin_unlock_irqrestore(&q->wq.lock, flags);
	if (waited_on)
		return -EBUSY;
	nk_free(q);
	return 0;
}

/* Under q's lock: deliver msg if that needs no wait. */
static bool put_now(struct nk_msgq *q, void *msg)
{
	struct nk_waiter *receiver = nk_waitqueue_first(&q->wq);

	if (ptr_ring_full(&q->ring))
		return false;
	if (ptr_ring_empty(&q->ring) && receiver)
		nk_waitqueue_wake_locked(&q->wq, receiver, (uintptr_t)msg);
	else
		ptr_ring_push(&q->ring, msg);
	return true;
}

/* Under q's lock: take the oldest message if there is one, letting a waiting sender refill. */
static bool get_now(struct nk_msgq *q, void **msg)
{
	struct nk_waiter *sender;

	if (ptr_ring_empty(&q->ring))
		return false;
	*msg = ptr_ring_pop(&q->ring);
	sender = nk_waitqueue_first(&q->wq);
	if (sender) {
		ptr_ring_push(&q->ring, NK_CONTAINER_OF(sender, struct send_waiter, w)->msg);
		nk_waitqueue_wake_locked(&q->wq, sender, 0);
	}
	return true;
}

int nk_msgq_send(struct nk_msgq *q, void *msg)
{
	unsigned long flags = nk_spin_lock_irqsave(&q->wq.lock);
	struct send_waiter sw = { .msg = msg };

	if (put_now(q, msg)) {
		nk_spin_unlock_irqrestore(&q->wq.lock, flags);
		return 0;
	}
	return nk_waitqueue_sleep(&q->wq, &sw.w, flags, NO_DEADLINE);
}

int nk_msgq_try_send(struct nk_msgq *q, void *msg)
{
	unsigned long flags = nk_spin_lock_irqsave(&q->wq.lock);
	bool sent = put_now(q, msg);

	nk_spin_unlock_irqrestore(&q->wq.lock, flags);
	return sent ? 0 : -EAGAIN;
}

static int recv_until(struct nk_msgq *q, void **msg, uint64_t deadline_ns)
{
	unsigned long flags = nk_spin_lock_irqsave(&q->wq.lock);
	struct nk_waiter w;
	int err;

	if (get_now(q, msg)) {
		nk_spin_unlock_irqrestore(&q->wq.lock, flags);
		return 0;
	}
	err = nk_waitqueue_sleep(&q->wq, &w, flags, deadline_ns);
	if (!err)
		*msg = (void *)w.data;
	return err;
}

int nk_msgq_recv(struct nk_msgq *q, void **msg)
{
	return recv_until(q, msg, NO_DEADLINE);
}

int nk_msgq_recv_timeout(struct nk_msgq *q, void **msg, uint64_t ns)
{
	return recv_until(q, msg, sync_deadline(ns));
}

int nk_msgq_try_recv(struct nk_msgq *q, void **msg)
{
	unsigned long flags = nk_spin_lock_irqsave(&q->wq.lock);
	bool got = get_now(q, msg);

	nk_spin_unlock_irqrestore(&q->wq.lock, flags);
	return got ? 0 : -EAGAIN;
}

unsigned nk_msgq_count(struct nk_msgq *q)
{
	return __atomic_load_n(&q->ring.count, __ATOMIC_RELAXED);
}
