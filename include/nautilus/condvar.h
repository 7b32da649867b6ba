/*
 * Condition variables, used with an nk_mutex. A waiter returns only after a signal or broadcast
 * that came after it started waiting, or after its timeout; never spuriously. It always
 * returns holding the mutex again. Signal and broadcast may be called with or without the
 * mutex held, not from interrupt handlers.
 */
#ifndef NK_NAUTILUS_CONDVAR_H
#define NK_NAUTILUS_CONDVAR_H

#include <nautilus/mutex.h>
#include <nautilus/types.h>
#include <nautilus/waitqueue.h>

struct nk_condvar {
	struct nk_waitqueue wq;
};

void nk_condvar_init(struct nk_condvar *cv);
/* Release m (held by the caller), sleep until signalled, take m again. 0, or -EPERM (m not held). */
int nk_condvar_wait(struct nk_condvar *cv, struct nk_mutex *m);
/* Same, giving up after ns nanoseconds: -ETIMEDOUT, with m held again. */
int nk_condvar_wait_timeout(struct nk_condvar *cv, struct nk_mutex *m, uint64_t ns);
/* Wake the longest waiter / every waiter. Return how many were woken. */
int nk_condvar_signal(struct nk_condvar *cv);
int nk_condvar_broadcast(struct nk_condvar *cv);

#endif
