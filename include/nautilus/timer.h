/*
 * Timers: one sorted queue per CPU, driven by that CPU's one-shot local APIC timer (shared with
 * the scheduler's quantum; armed for the nearest of the two, never periodically). A callback
 * runs in interrupt context on the timer's CPU (NK_TIMER_IRQ, must not block) or on that CPU's
 * timer thread (NK_TIMER_THREAD, may block). Waiters of nk_timer_wait are woken either way.
 */
#ifndef NK_NAUTILUS_TIMER_H
#define NK_NAUTILUS_TIMER_H

#include <nautilus/types.h>
#include <nautilus/waitqueue.h>

#define NK_TIMER_IRQ	0x1 /* callback in interrupt context (the default) */
#define NK_TIMER_THREAD 0x2 /* callback on the CPU's timer thread */

enum nk_timer_state { NK_TIMER_IDLE, NK_TIMER_ARMED, NK_TIMER_FIRED, NK_TIMER_CANCELLED };

/* Embeddable; fields are the timer code's. */
struct nk_timer {
	struct nk_timer *next, *prev; /* in the CPU's queue, sorted by deadline */
	uint64_t deadline_ns;
	void (*fn)(void *arg);
	void *arg;
	unsigned flags;
	int cpu;
	volatile enum nk_timer_state state;
	volatile int running; /* callback executing */
	uint64_t seq;	      /* arming number: order among equal deadlines */
	struct nk_waitqueue waiters;
	char name[24];
};

void nk_timer_init(struct nk_timer *t, const char *name);
/* Allocate and initialise; -ENOMEM. */
int nk_timer_create(const char *name, struct nk_timer **out);
/* Cancel and free a timer from nk_timer_create. */
void nk_timer_destroy(struct nk_timer *t);

/*
 * Arm t to fire ns nanoseconds from now on cpu (NK_CPU_ANY: this CPU), calling fn(arg) (fn
 * may be NULL: only waiters are woken). An armed timer is re-armed. Timers with equal deadlines
 * fire in the order they were set. -EINVAL (bad cpu or flags).
 */
int nk_timer_set(struct nk_timer *t, uint64_t ns, unsigned flags, void (*fn)(void *), void *arg,
		 int cpu);
/*
 * Disarm t. On return its callback is not running and will not run (unless called from that
 * callback). 0, or -ENOENT if t was not armed. Waiters return -ECANCELED.
 */
int nk_timer_cancel(struct nk_timer *t);
/* Block until t fires (0) or is cancelled (-ECANCELED); 0 at once if it fired already. */
int nk_timer_wait(struct nk_timer *t);

/* Sleep the calling thread for at least ns nanoseconds (0: yield). */
void nk_sleep(uint64_t ns);

/* Timers armed on cpu now (for the shell and tests); -EINVAL for a bad cpu. */
int nk_timer_pending(int cpu);

#endif
