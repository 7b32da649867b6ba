/*
 * Message queues: a bounded FIFO of pointers between threads. Send blocks while the queue is
 * full, receive while it is empty. A message sent while a receiver waits goes straight to the
 * longest-waiting receiver; a receive from a full queue moves the longest-waiting sender's
 * message in behind the others. Either way messages keep their order, and a waiter is woken
 * only when its message was delivered or taken (or at its timeout). Any pointer value,
 * NULL included, is a message. The try_ forms never block and may be used in interrupt handlers.
 */
#ifndef NK_NAUTILUS_MSGQ_H
#define NK_NAUTILUS_MSGQ_H

#include <nautilus/types.h>

struct nk_msgq;

/* Largest capacity accepted by nk_msgq_create. */
#define NK_MSGQ_MAX_CAPACITY (1u << 20)

/* A queue for capacity messages (1..NK_MSGQ_MAX_CAPACITY); NK_ERR_PTR(-EINVAL or -ENOMEM). */
struct nk_msgq *nk_msgq_create(unsigned capacity);
/*
 * Free q; messages still in it are dropped. Only once no thread is inside a call on q (join its
 * users first): a receiver handed a message may not have returned yet. -EBUSY (nothing freed)
 * while a thread waits on q.
 */
int nk_msgq_destroy(struct nk_msgq *q);

/* Send msg, sleeping while q is full. 0. */
int nk_msgq_send(struct nk_msgq *q, void *msg);
/* Send msg if that needs no wait: 0, or -EAGAIN (full). */
int nk_msgq_try_send(struct nk_msgq *q, void *msg);
/* Receive the oldest message into *msg, sleeping while q is empty. 0. */
int nk_msgq_recv(struct nk_msgq *q, void **msg);
/* Receive if a message is there: 0, or -EAGAIN (empty). */
int nk_msgq_try_recv(struct nk_msgq *q, void **msg);
/* Same as nk_msgq_recv, giving up after ns nanoseconds: -ETIMEDOUT (*msg untouched). */
int nk_msgq_recv_timeout(struct nk_msgq *q, void **msg, uint64_t ns);
/* Messages in q now. */
unsigned nk_msgq_count(struct nk_msgq *q);

#endif
