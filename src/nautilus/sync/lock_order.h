/*
 * The bookkeeping behind the lock checker (lockdep.c), free of CPUs and interrupts so the host
 * tests run it: a stack of the locks one CPU holds, and a bounded table of observed orders
 * "second taken while first held", keyed by the locks' lockdep keys (one per initialisation).
 */
#ifndef NK_SYNC_LOCK_ORDER_H
#define NK_SYNC_LOCK_ORDER_H

#include <nautilus/lockdep.h>
#include <nautilus/types.h>

/* One lock held (or being waited for) by a CPU. */
struct held_lock {
	const void *lock;
	uint32_t key;	/* never 0 */
	uintptr_t site; /* where it was taken */
};

struct held_locks {
	int depth;
	struct held_lock lock[NK_LOCKDEP_DEPTH];
};

/* "second was taken at second_site while first, taken at first_site, was held." */
struct lock_pair {
	uint32_t first, second; /* keys; first == 0: an empty slot */
	uint32_t age;		/* insertion number, to evict the oldest of a full bucket */
	const void *first_lock, *second_lock;
	uintptr_t first_site, second_site;
};

/*
 * Set-associative: a pair hashes to one bucket of LOCK_ORDER_WAYS slots; a full bucket evicts
 * its oldest pair. Forgetting a pair only misses an inversion, it never invents one, and keys
 * of locks that no longer exist cannot fill the table for good.
 */
#define LOCK_ORDER_BUCKETS 256
#define LOCK_ORDER_WAYS	   4

struct lock_order {
	struct lock_pair slot[LOCK_ORDER_BUCKETS][LOCK_ORDER_WAYS];
	uint32_t inserted; /* pairs recorded, ever */
	uint32_t evicted;  /* of them, pushed out of a full bucket */
};

/* What a check found: the lock involved and, for an inversion, the earlier opposite pair. */
struct lockdep_report {
	enum nk_lockdep_problem problem;
	struct held_lock held; /* RECURSIVE: the same lock, held; INVERSION: the held lock */
	struct lock_pair seen; /* INVERSION: "held taken while the new lock was held" */
};

/* -ENOSPC when depth would pass NK_LOCKDEP_DEPTH. */
int held_push(struct held_locks *s, const struct held_lock *h);
/* Remove the topmost entry for lock (locks may be released in any order); -ENOENT. */
int held_remove(struct held_locks *s, const void *lock);
/* The topmost entry for lock, or NULL. */
const struct held_lock *held_find(const struct held_locks *s, const void *lock);

/* The recorded pair (first, second), or NULL. */
const struct lock_pair *lock_order_find(const struct lock_order *t, uint32_t first,
					uint32_t second);
/* Record p (an existing pair keeps its sites); returns true if it was new. */
bool lock_order_add(struct lock_order *t, const struct lock_pair *p);

/*
 * Whether taking `taking` with the locks of s held is a problem: RECURSIVE if s holds the same
 * lock, INVERSION if some held lock was itself taken while `taking`'s lock was held, TOO_DEEP
 * if s is full. Read-only; r (may be NULL) says what was found.
 */
enum nk_lockdep_problem lock_order_check(const struct lock_order *t, const struct held_locks *s,
					 const struct held_lock *taking, struct lockdep_report *r);
/* Record that `taking` is taken while each lock of s is held. */
void lock_order_record(struct lock_order *t, const struct held_locks *s,
		       const struct held_lock *taking);

#endif
