/* Helpers shared by the sleeping synchronization primitives (src/nautilus/sync/). */
#ifndef NK_SYNC_SYNC_INTERNAL_H
#define NK_SYNC_SYNC_INTERNAL_H

#include <nautilus/cpu.h>
#include <nautilus/time.h>
#include <nautilus/types.h>
#include <nautilus/waitqueue.h>

/* nk_waitqueue_sleep's "no deadline". */
#define NO_DEADLINE 0

/*
 * The absolute deadline of a timeout of ns from now, for nk_waitqueue_sleep: saturated instead
 * of wrapping, and never 0 (which would mean no deadline).
 */
static inline uint64_t sync_deadline(uint64_t ns)
{
	uint64_t now = nk_time_ns(), deadline = now + ns;

	if (deadline < now)
		return UINT64_MAX;
	return deadline ? deadline : 1;
}

/*
 * PAUSE rounds a blocking primitive spins, watching for its chance, before it sleeps: holders
 * keep most locks for a short section, and spinning through it saves a sleep and a wake-up.
 */
#define SYNC_SPINS 1000

/* What a spinner's attempt found. */
enum sync_try {
	SYNC_TAKEN, /* got it */
	SYNC_AGAIN, /* not yet: spin on */
	SYNC_QUEUE, /* others sleep for it and are served first: spinning cannot win, sleep */
};

/*
 * Call try_take(obj): once, and with several CPUs online up to SYNC_SPINS more times with
 * PAUSE in between while it answers SYNC_AGAIN (on one CPU the holder cannot run while we
 * spin). Whether it took. try_take should only read while it sees no chance, so spinners
 * share the cache line.
 */
static inline bool sync_spin(enum sync_try (*try_take)(void *obj), void *obj)
{
	int spins = nk_cpu_online_count() > 1 ? SYNC_SPINS : 0;

	for (int i = 0;; i++) {
		enum sync_try r = try_take(obj);

		if (r != SYNC_AGAIN)
			return r == SYNC_TAKEN;
		if (i == spins)
			return false;
		__builtin_ia32_pause();
	}
}

#endif
