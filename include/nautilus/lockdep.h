/*
 * The spinlock checker of debug builds (CONFIG_DEBUG_LOCKS). The checked spinlock forms report,
 * by a panic naming the locks and where they were taken: a release by a CPU that does not hold
 * the lock; a lock taken again by the CPU that holds it (which would spin forever); and two
 * locks taken in both orders (a deadlock waiting for the right interleaving). Ownership is per
 * CPU: a holder keeps preemption off, so it cannot migrate. Each CPU keeps a stack of the locks
 * it holds, and each pair "B taken while A held" is remembered, keyed by the locks' keys (one
 * per initialisation, so a lock re-initialised in reused memory starts with no history). The
 * nk_raw_ forms are not checked. Without CONFIG_DEBUG_LOCKS none of this is compiled.
 */
#ifndef NK_NAUTILUS_LOCKDEP_H
#define NK_NAUTILUS_LOCKDEP_H

#include <nautilus/types.h>

struct nk_spinlock;

/* Locks one CPU may hold at once (interrupt handlers included). */
#define NK_LOCKDEP_DEPTH 16

enum nk_lockdep_problem {
	NK_LOCKDEP_OK = 0,
	NK_LOCKDEP_RECURSIVE, /* taken by the CPU that holds it */
	NK_LOCKDEP_INVERSION, /* taken while holding a lock once taken while it was held */
	NK_LOCKDEP_NOT_HELD,  /* released by a CPU that does not hold it */
	NK_LOCKDEP_TOO_DEEP,  /* more than NK_LOCKDEP_DEPTH locks held on one CPU */
};

/* "recursive lock", "lock order inversion", ... */
const char *nk_lockdep_problem_name(enum nk_lockdep_problem p);

/*
 * What nk_spin_lock(l) / nk_spin_unlock(l) would report if called now on this CPU, without
 * taking, releasing or recording anything: the checks the panics are made of, for tests.
 */
enum nk_lockdep_problem nk_lockdep_check_lock(const struct nk_spinlock *l);
enum nk_lockdep_problem nk_lockdep_check_unlock(const struct nk_spinlock *l);

struct nk_lockdep_stats {
	uint32_t pairs;	  /* lock orders recorded, ever */
	uint32_t evicted; /* of them, forgotten to make room */
	int held;	  /* locks this CPU holds now */
};
void nk_lockdep_get_stats(struct nk_lockdep_stats *st);

/* Hooks of the checked forms in spinlock.h. */
void nk_lockdep_init(struct nk_spinlock *l);
/* Before spinning for l: check, then count l as held by this CPU. */
void nk_lockdep_acquire(struct nk_spinlock *l);
/* l is taken: this CPU is its holder. */
void nk_lockdep_acquired(struct nk_spinlock *l);
/* A trylock took l: held, with no order check (a trylock never waits, so never deadlocks). */
void nk_lockdep_trylocked(struct nk_spinlock *l);
/* Before releasing l: check that this CPU holds it, then forget it. */
void nk_lockdep_release(struct nk_spinlock *l);

#endif
