/*
 * Reader-writer locks: many readers or one writer. Threads that must wait queue in arrival
 * order, readers and writers together, and are let in from the head of the queue: a writer
 * alone, or a run of consecutive readers together. A reader never overtakes a waiting writer,
 * so writers are not starved by a stream of readers, and readers are not starved by writers.
 * A waiter is woken only when it has been let in. Not for interrupt handlers.
 */
#ifndef NK_NAUTILUS_RWLOCK_H
#define NK_NAUTILUS_RWLOCK_H

#include <nautilus/types.h>
#include <nautilus/waitqueue.h>

struct nk_thread;

struct nk_rwlock {
	struct nk_waitqueue wq;	  /* its lock also guards the fields below */
	int readers;		  /* holding it for reading */
	struct nk_thread *writer; /* holding it for writing, or NULL */
};

void nk_rwlock_init(struct nk_rwlock *l);
/* Take l for reading / writing, sleeping as long as needed. 0, or -EDEADLK (writer re-taking l). */
int nk_rwlock_read_lock(struct nk_rwlock *l);
int nk_rwlock_write_lock(struct nk_rwlock *l);
/* Take l only if that needs no wait (nobody queued and no conflicting holder): 0, or -EBUSY. */
int nk_rwlock_try_read_lock(struct nk_rwlock *l);
int nk_rwlock_try_write_lock(struct nk_rwlock *l);
/* Release: 0, or -EPERM (no reader holds l / the caller is not its writer). */
int nk_rwlock_read_unlock(struct nk_rwlock *l);
int nk_rwlock_write_unlock(struct nk_rwlock *l);

#endif
