/*
 * Mutexes: sleeping locks for threads. Uncontended lock and unlock are one atomic instruction
 * each; a contended lock spins briefly (on several CPUs, where the owner may be about to
 * release it) and then sleeps on the mutex's wait queue until an unlock wakes it. Not for
 * interrupt handlers. Not recursive: the owner is checked on lock (-EDEADLK) and on unlock
 * (-EPERM).
 *
 * A woken thread competes again with threads arriving meanwhile (no hand-over: a hand-over to a
 * thread that is not yet running would stall every CPU behind it), so waiters are not served
 * strictly in order. As in Linux, nk_mutex_unlock may still touch the mutex after another
 * thread has taken it: a mutex must not guard its own freeing (use a semaphore, or join).
 */
#ifndef NK_NAUTILUS_MUTEX_H
#define NK_NAUTILUS_MUTEX_H

#include <nautilus/types.h>
#include <nautilus/waitqueue.h>

struct nk_thread;

struct nk_mutex {
	int state;		 /* NK_MUTEX_UNLOCKED, _LOCKED or _CONTENDED */
	struct nk_thread *owner; /* written by the owner only */
	struct nk_waitqueue wq;
};

enum {
	NK_MUTEX_UNLOCKED,
	NK_MUTEX_LOCKED,    /* and no thread sleeps for it */
	NK_MUTEX_CONTENDED, /* and threads may sleep for it: unlock wakes one */
};

void nk_mutex_init(struct nk_mutex *m);
/* Take m, sleeping as long as needed. 0, or -EDEADLK if the caller holds m already. */
int nk_mutex_lock(struct nk_mutex *m);
/* Take m if it is free: 0, or -EBUSY. */
int nk_mutex_trylock(struct nk_mutex *m);
/* Release m and wake one sleeper. 0, or -EPERM if the caller does not hold m. */
int nk_mutex_unlock(struct nk_mutex *m);
/* Whether the calling thread holds m. */
bool nk_mutex_held(const struct nk_mutex *m);

#endif
