/*
 * The per-CPU scheduler: run queues by priority, round-robin within one with a quantum of
 * CONFIG_SCHED_QUANTUM_US, preemption by the one-shot local APIC timer armed only when a
 * quantum or a timer needs it (tickless with one runnable thread or none), placement on the
 * least-loaded CPU of the creator's node, stealing by idle CPUs (node-local victims first).
 */
#ifndef NK_NAUTILUS_SCHED_H
#define NK_NAUTILUS_SCHED_H

#include <nautilus/types.h>

/* Boot CPU: turn nk_main's context into the "main" thread, create its idle thread. */
void nk_sched_init(void);
/* An application processor: its bring-up context becomes its idle thread (before it is
 * marked online), then runs the idle loop. */
void nk_sched_ap_init(void);
void nk_sched_ap_idle(void) __attribute__((noreturn));

/*
 * Preemption off on this CPU while > 0 (spinlocks hold it). The last nk_preempt_enable takes a
 * reschedule that was deferred meanwhile, if interrupts are on.
 */
void nk_preempt_disable(void);
void nk_preempt_enable(void);

struct nk_sched_stats {
	int cpu;
	int runnable;		/* threads on the run queue now (not counting the running one) */
	int threads;		/* threads whose home is this CPU (bound or placed), idle excluded */
	uint64_t switches;	/* context switches */
	uint64_t preemptions;	/* of them, forced by the quantum or a higher priority */
	uint64_t steals;	/* threads this CPU took from others */
	uint64_t timer_arms;	/* one-shot timer programmings */
	uint64_t wakeup_ipis;	/* reschedule IPIs sent to this CPU */
	uint64_t idle_ns;	/* time in the idle thread */
	uint64_t busy_ns;	/* time in other threads */
	bool tickless;		/* no quantum armed now */
};
int nk_sched_get_stats(int cpu, struct nk_sched_stats *st);

#endif
