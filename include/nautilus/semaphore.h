/*
 * Counting semaphores. nk_sem_up gives its unit straight to the longest sleeper when there is
 * one (a thread arriving meanwhile cannot take it), so sleepers are served in order; a sleeper
 * returns only with a unit or after its timeout. nk_sem_up and nk_sem_try_down may be called
 * from interrupt handlers. Once nk_sem_down returns, the caller may free the semaphore even if
 * the thread that called nk_sem_up has not returned yet (a semaphore works as a completion).
 */
#ifndef NK_NAUTILUS_SEMAPHORE_H
#define NK_NAUTILUS_SEMAPHORE_H

#include <nautilus/types.h>
#include <nautilus/waitqueue.h>

struct nk_sem {
	struct nk_waitqueue wq; /* its lock also guards count */
	int count;		/* units available; 0 while anyone sleeps */
};

/* count >= 0 units to start with. */
void nk_sem_init(struct nk_sem *s, int count);
/* Take a unit, sleeping until one is given. 0. */
int nk_sem_down(struct nk_sem *s);
/* Same, giving up after ns nanoseconds: -ETIMEDOUT. */
int nk_sem_down_timeout(struct nk_sem *s, uint64_t ns);
/* Take a unit if one is available now: 0, or -EAGAIN. */
int nk_sem_try_down(struct nk_sem *s);
/* Give a unit: to the longest sleeper, or to the count. */
void nk_sem_up(struct nk_sem *s);

#endif
