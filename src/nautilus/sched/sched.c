/*
 * The per-CPU scheduler. Each CPU has a run queue (one FIFO per priority, a bitmap of the
 * non-empty ones) guarded by a raw spinlock that is held, interrupts off, from picking the next
 * thread until that thread has finished the switch (finish_switch): nobody can see a thread
 * whose registers are still being saved. Only one run queue lock is ever held at a time.
 *
 * The running thread is not on its queue. Preemption happens at interrupt exit and at the last
 * nk_preempt_enable when need_resched is set: by the quantum (armed only while a thread of the
 * same priority waits), by a higher priority waking, or by a reschedule IPI from another CPU.
 */
#include <nautilus/arch.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/irq.h>
#include <nautilus/numa.h>
#include <nautilus/panic.h>
#include <nautilus/printk.h>
#include <nautilus/sched.h>
#include <nautilus/time.h>

#include "sched_internal.h"

#define QUANTUM_NS ((uint64_t)CONFIG_SCHED_QUANTUM_US * 1000)

enum reason {
	REASON_BLOCK,	/* the caller set BLOCKED or EXITED */
	REASON_YIELD,	/* give equal and higher priorities a turn */
	REASON_PREEMPT, /* switch only for a higher priority or an expired quantum */
};

static struct nk_rq rqs[NK_MAX_CPUS];
static volatile uint64_t idle_mask; /* CPUs halted in their idle loop */

bool nk_sched_cpu_ready(int cpu)
{
	return cpu >= 0 && cpu < nk_cpu_count() && __atomic_load_n(&rqs[cpu].idle, __ATOMIC_ACQUIRE);
}

/* Run queue operations, under rq->lock. */

static void rq_push(struct nk_rq *rq, struct nk_thread *t)
{
	int p = t->prio;

	t->rq_next = NULL;
	if (rq->tail[p])
		rq->tail[p]->rq_next = t;
	else
		rq->head[p] = t;
	rq->tail[p] = t;
	rq->bitmap |= 1u << p;
	rq->nr++;
	t->state = NK_THREAD_RUNNABLE;
}

static int rq_top(const struct nk_rq *rq)
{
	return rq->bitmap ? 31 - __builtin_clz(rq->bitmap) : -1;
}

static void rq_unlink(struct nk_rq *rq, struct nk_thread *t, struct nk_thread *before)
{
	int p = t->prio;

	if (before)
		before->rq_next = t->rq_next;
	else
		rq->head[p] = t->rq_next;
	if (rq->tail[p] == t)
		rq->tail[p] = before;
	if (!rq->head[p])
		rq->bitmap &= ~(1u << p);
	rq->nr--;
	t->rq_next = NULL;
}

static struct nk_thread *rq_pop(struct nk_rq *rq, int p)
{
	struct nk_thread *t = rq->head[p];

	rq_unlink(rq, t, NULL);
	return t;
}

static bool rq_remove(struct nk_rq *rq, struct nk_thread *t)
{
	struct nk_thread *before = NULL;

	if (t->state != NK_THREAD_RUNNABLE)
		return false;
	for (struct nk_thread *q = rq->head[t->prio]; q; before = q, q = q->rq_next)
		if (q == t) {
			rq_unlink(rq, t, before);
			return true;
		}
	return false;
}

/*
 * The queued thread an idle CPU may take: highest priority first, never a bound one, nor one
 * just put on this CPU on purpose (moved, or woken onto an idle CPU) that has not run there yet.
 */
static struct nk_thread *rq_find_movable(struct nk_rq *rq)
{
	for (int p = NK_PRIO_MAX; p >= 0; p--)
		for (struct nk_thread *t = rq->head[p]; t; t = t->rq_next)
			if (!t->bound && !t->placed)
				return t;
	return NULL;
}

/* Lock the run queue t belongs to; t->cpu changes only under the old queue's lock. */
static struct nk_rq *lock_thread_rq(struct nk_thread *t)
{
	for (;;) {
		int cpu = t->cpu;
		struct nk_rq *rq = &rqs[cpu];

		nk_raw_spin_lock(&rq->lock);
		if (t->cpu == cpu)
			return rq;
		nk_raw_spin_unlock(&rq->lock);
	}
}

/* Timer programming: the nearest of this CPU's quantum end and its first timer. */

static void arm_oneshot(struct nk_rq *rq, uint64_t when, uint64_t now)
{
	uint64_t delta = when > now ? when - now : 1;

	while (nk_arch_timer_oneshot(delta) == -ERANGE)
		delta /= 2;
	rq->armed_at = now + delta;
	rq->timer_arms++;
}

/*
 * Interrupts off, on rq's own CPU; now: the time if the caller has it, else 0. An earlier shot
 * already armed is left: its handler re-arms.
 */
static void program_timer(struct nk_rq *rq, uint64_t now)
{
	uint64_t want = nk_timer_next_deadline();

	if (rq->quantum_end && (!want || rq->quantum_end < want))
		want = rq->quantum_end;
	if (!want)
		return;
	if (!now)
		now = nk_time_ns();
	if (rq->armed_at && rq->armed_at <= want && rq->armed_at > now)
		return;
	arm_oneshot(rq, want, now);
}

void nk_sched_program_timer(struct nk_rq *rq)
{
	program_timer(rq, 0);
}

/*
 * A quantum runs while a thread of the running one's priority (or higher) waits; `waiting`:
 * the highest priority waiting (counting a thread about to be queued again), -1 for none.
 */
static void set_quantum(struct nk_rq *rq, struct nk_thread *running, int waiting, uint64_t now,
			bool fresh)
{
	if (running->idle || waiting < running->prio)
		rq->quantum_end = 0;
	else if (fresh || !rq->quantum_end)
		rq->quantum_end = now + QUANTUM_NS;
}

/* A thread tied with the running one was queued here: start a quantum if none runs. */
static void start_quantum(struct nk_rq *rq)
{
	set_quantum(rq, rq->current, rq_top(rq), nk_time_ns(), false);
	nk_sched_program_timer(rq);
}

static void timer_interrupt(void *arg)
{
	struct nk_rq *rq = arg;
	uint64_t now = nk_time_ns();

	rq->armed_at = 0;
	nk_timer_run_expired(now);
	if (rq->quantum_end && now >= rq->quantum_end) {
		rq->quantum_end = 0; /* the switch decides on a new one */
		rq->quantum_expired = true;
		nk_this_cpu()->need_resched = 1;
	}
	program_timer(rq, 0); /* the callbacks took time: read the clock again */
}

static void resched_interrupt(int vector, void *arg)
{
	nk_this_cpu()->need_resched = 1;
}

/*
 * After queueing t on rq (locked): make rq's CPU look again if t should run now (rq idle, or t
 * outranks the running thread) or a quantum must start (t ties with it). Returns the CPU to
 * send a reschedule IPI to, or -1.
 */
static int after_enqueue(struct nk_rq *rq, struct nk_thread *t)
{
	struct nk_thread *cur = rq->current;
	bool needed = cur->idle || t->prio > cur->prio || (t->prio == cur->prio && !rq->quantum_end);

	if (!needed)
		return -1;
	if (rq->cpu == nk_cpu_id()) {
		if (cur->idle || t->prio > cur->prio)
			nk_this_cpu()->need_resched = 1;
		else
			start_quantum(rq);
		return -1;
	}
	rq->wakeup_ipis++;
	return rq->cpu;
}

/* An idle CPU near `near` (same node first), or -1. */
static int find_idle_cpu(int near)
{
	uint64_t mask = __atomic_load_n(&idle_mask, __ATOMIC_ACQUIRE);
	int node = nk_cpu_get(near)->node, other = -1;

	while (mask) {
		int cpu = __builtin_ctzll(mask);

		mask &= mask - 1;
		if (nk_cpu_get(cpu)->node == node)
			return cpu;
		if (other < 0)
			other = cpu;
	}
	return other;
}

/* A thread waits on a busy CPU while another idles: wake the idle one to steal it. */
static void kick_idle_for(struct nk_rq *rq, struct nk_thread *t)
{
	int idle;

	if (t->bound || rq->current->idle)
		return;
	idle = find_idle_cpu(rq->cpu);
	if (idle >= 0 && idle != nk_cpu_id())
		nk_ipi_send(idle, NK_VEC_RESCHED);
}

/* Queue t on rq and release rq's lock; kick: also wake an idle CPU that could steal t. */
static void push_and_unlock(struct nk_rq *rq, struct nk_thread *t, bool kick)
{
	int ipi;

	rq_push(rq, t);
	ipi = after_enqueue(rq, t);
	if (kick)
		kick_idle_for(rq, t);
	nk_raw_spin_unlock(&rq->lock);
	if (ipi >= 0)
		nk_ipi_send(ipi, NK_VEC_RESCHED);
}

/* Queue t (not on any queue, t->cpu set) on its CPU; interrupts off, no run queue lock held. */
static void enqueue(struct nk_thread *t)
{
	push_and_unlock(lock_thread_rq(t), t, true);
}

/* Switching. */

static void account(struct nk_rq *rq, struct nk_thread *prev, struct nk_thread *next,
		    uint64_t now)
{
	uint64_t ran = now - prev->switched_in_at;

	prev->run_ns += ran;
	if (prev->idle)
		rq->idle_ns += ran;
	else
		rq->busy_ns += ran;
	next->switched_in_at = now;
	next->switches_in++;
	rq->switches++;
}

static void fpu_switch(struct nk_thread *prev, struct nk_thread *next)
{
	if (prev->fpu_used)
		nk_arch_fpu_save(prev->fpu_area);
	if (next->fpu_used) {
		nk_arch_fpu_trap_first_use(false);
		nk_arch_fpu_restore(next->fpu_area);
	} else {
		nk_arch_fpu_trap_first_use(true);
	}
}

/*
 * On the thread just switched to, rq lock held: put the previous thread where it belongs.
 * Still runnable: back on this queue, or on another CPU's if it was moved meanwhile. Exited:
 * its stack is free now, so it can be reaped or joined.
 */
static void finish_switch(void)
{
	struct nk_rq *rq = this_rq();
	struct nk_thread *prev = rq->prev, *moved = NULL, *exited = NULL;

	rq->prev = NULL;
	if (prev->state == NK_THREAD_RUNNING && !prev->idle) {
		if (prev->cpu == rq->cpu)
			rq_push(rq, prev); /* schedule() counted it when it chose the quantum */
		else
			moved = prev;
	} else if (prev->state == NK_THREAD_EXITED) {
		exited = prev;
	}
	nk_raw_spin_unlock(&rq->lock);
	if (moved)
		enqueue(moved);
	if (exited)
		nk_thread_exited_switched_out(exited);
}

static bool keep_running(struct nk_rq *rq, struct nk_thread *prev, int top, enum reason why)
{
	if (prev->state != NK_THREAD_RUNNING || prev->cpu != rq->cpu)
		return false;
	if (top < 0)
		return true; /* nothing else; the idle thread keeps idling too */
	if (prev->idle)
		return false;
	if (top != prev->prio)
		return top < prev->prio;
	return why == REASON_PREEMPT && !rq->quantum_expired;
}

/*
 * Pick and switch to the next thread; interrupts off, no spinlock held. Returns in the calling
 * thread once it is switched back to (possibly on another CPU), interrupts still off.
 */
static void schedule(enum reason why)
{
	struct nk_rq *rq = this_rq();
	struct nk_thread *prev = rq->current, *next;
	uint64_t now = nk_time_ns();
	bool requeued;
	int top;

	if (why == REASON_BLOCK && nk_this_cpu()->preempt_disable)
		panic("thread \"%s\" sleeps holding a spinlock", prev->name);
	nk_raw_spin_lock(&rq->lock);
	nk_this_cpu()->need_resched = 0;
	top = rq_top(rq);
	if (keep_running(rq, prev, top, why)) {
		rq->quantum_expired = false;
		set_quantum(rq, prev, top, now, false);
		program_timer(rq, now);
		nk_raw_spin_unlock(&rq->lock);
		return;
	}
	next = top >= 0 ? rq_pop(rq, top) : rq->idle;
	requeued = prev->state == NK_THREAD_RUNNING && !prev->idle && prev->cpu == rq->cpu;
	if (why == REASON_PREEMPT && prev->state == NK_THREAD_RUNNING && !prev->idle)
		rq->preemptions++;
	rq->quantum_expired = false;
	next->state = NK_THREAD_RUNNING;
	next->placed = false;
	if (prev->idle)
		prev->state = NK_THREAD_RUNNABLE; /* never queued; listed as ready, not running */
	account(rq, prev, next, now);
	set_quantum(rq, next, NK_MAX(rq_top(rq), requeued ? prev->prio : -1), now, true);
	program_timer(rq, now);
	rq->prev = prev;
	rq->current = next;
	nk_this_cpu()->current_thread = next;
	fpu_switch(prev, next);
	nk_arch_context_switch(&prev->sp, next->sp);
	finish_switch();
}

/* Entry points. */

void nk_sched_irq_exit(void)
{
	struct nk_cpu *c = nk_this_cpu();

	if (c->irq_nesting || c->preempt_disable || !c->sched)
		return;
	schedule(REASON_PREEMPT);
}

void nk_preempt_disable(void)
{
	nk_this_cpu()->preempt_disable++;
	asm volatile("" : : : "memory");
}

void nk_preempt_enable(void)
{
	struct nk_cpu *c = nk_this_cpu();

	asm volatile("" : : : "memory");
	if (--c->preempt_disable || !c->need_resched || c->irq_nesting || !c->sched)
		return;
	if (!nk_arch_irqs_enabled())
		return; /* taken at the interrupt exit or unlock that turns them on */
	nk_arch_irq_save();
	schedule(REASON_PREEMPT);
	nk_arch_irq_enable();
}

/* Interrupts off; irqs_were_on: the caller's state. Take a reschedule due on this CPU. */
static void resched_if_due(bool irqs_were_on)
{
	struct nk_cpu *c = nk_this_cpu();

	if (c->need_resched && irqs_were_on && !c->preempt_disable && !c->irq_nesting)
		schedule(REASON_PREEMPT);
}

void nk_yield(void)
{
	unsigned long flags;

	if (!nk_this_cpu()->sched)
		return;
	flags = nk_arch_irq_save();
	schedule(REASON_YIELD);
	nk_arch_irq_restore(flags);
}

void nk_sched_switch_away(void)
{
	schedule(REASON_BLOCK);
}

void nk_sched_make_runnable(struct nk_thread *t)
{
	bool on = nk_arch_irqs_enabled();
	unsigned long flags = nk_arch_irq_save();

	enqueue(t);
	resched_if_due(on);
	nk_arch_irq_restore(flags);
}

/* A timer callback (sleep, a wait queue's deadline): wake the thread arg. */
void nk_sched_wake_timer(void *arg)
{
	nk_sched_wake(arg);
}

/* A blocked free thread whose CPU is busy goes to an idle CPU of the same node, if any. */
static struct nk_rq *wake_target(struct nk_rq *rq, struct nk_thread *t)
{
	int idle;

	if (t->bound || t->placed || rq->current->idle)
		return rq;
	idle = find_idle_cpu(rq->cpu);
	if (idle < 0 || nk_cpu_get(idle)->node != nk_cpu_get(rq->cpu)->node)
		return rq;
	t->cpu = idle;
	t->placed = true;
	return NULL;
}

void nk_sched_wake(struct nk_thread *t)
{
	bool on = nk_arch_irqs_enabled();
	unsigned long flags = nk_arch_irq_save();
	struct nk_rq *rq = lock_thread_rq(t);

	if (t->state != NK_THREAD_BLOCKED) {
		nk_raw_spin_unlock(&rq->lock);
		goto out;
	}
	if (rq->current == t) { /* still on its way out: it will not switch */
		t->state = NK_THREAD_RUNNING;
		nk_raw_spin_unlock(&rq->lock);
		goto out;
	}
	if (!wake_target(rq, t)) {
		t->state = NK_THREAD_RUNNABLE; /* between queues: no second wake-up takes it */
		nk_raw_spin_unlock(&rq->lock);
		enqueue(t);
		goto out;
	}
	push_and_unlock(rq, t, false); /* wake_target found no idle CPU of its node */
out:
	resched_if_due(on);
	nk_arch_irq_restore(flags);
}

/* Placement of a free thread: the least-loaded ready CPU of `near`'s node, `near` on a tie. */
int nk_sched_place(int near)
{
	int node = nk_cpu_get(near)->node, best = near, best_load;
	struct nk_rq *rq = &rqs[near];

	best_load = rq->nr + !rq->current->idle;
	for (int cpu = 0; cpu < nk_cpu_count(); cpu++) {
		int load;

		if (!nk_sched_cpu_ready(cpu) || nk_cpu_get(cpu)->node != node)
			continue;
		rq = &rqs[cpu];
		load = rq->nr + !rq->current->idle;
		if (load < best_load) {
			best = cpu;
			best_load = load;
		}
	}
	return best;
}

int nk_sched_move(struct nk_thread *t, int cpu)
{
	unsigned long flags;
	struct nk_rq *rq;

	if (!nk_sched_cpu_ready(cpu))
		return -EINVAL;
	if (t->bound)
		return -EPERM;
	flags = nk_arch_irq_save();
	for (;;) {
		rq = lock_thread_rq(t);
		if (t->state != NK_THREAD_RUNNABLE || rq_remove(rq, t))
			break;
		nk_raw_spin_unlock(&rq->lock); /* between queues: try again */
		__builtin_ia32_pause();
	}
	if (t->state == NK_THREAD_EXITED) {
		nk_raw_spin_unlock(&rq->lock);
		nk_arch_irq_restore(flags);
		return -EINVAL;
	}
	t->cpu = cpu;
	t->placed = true; /* until it runs there: not stolen, not placed again */
	if (t->state == NK_THREAD_RUNNABLE) { /* taken off its old queue above */
		nk_raw_spin_unlock(&rq->lock);
		enqueue(t);
	} else if (t->state == NK_THREAD_RUNNING) { /* it moves at its next switch */
		int old = rq->cpu;

		nk_raw_spin_unlock(&rq->lock);
		if (old == nk_cpu_id())
			schedule(REASON_YIELD);
		else
			nk_ipi_send(old, NK_VEC_RESCHED);
	} else {
		nk_raw_spin_unlock(&rq->lock); /* created or blocked: queued there when it runs */
	}
	nk_arch_irq_restore(flags);
	return 0;
}

int nk_sched_set_priority(struct nk_thread *t, int prio)
{
	unsigned long flags;
	struct nk_rq *rq;
	bool queued;

	if (prio < NK_PRIO_MIN || prio > NK_PRIO_MAX || t->idle)
		return -EINVAL;
	flags = nk_arch_irq_save();
	rq = lock_thread_rq(t);
	queued = rq_remove(rq, t);
	t->prio = prio;
	if (queued)
		rq_push(rq, t);
	nk_raw_spin_unlock(&rq->lock);
	nk_arch_irq_restore(flags);
	return 0;
}

/* Stealing: an idle CPU takes a waiting free thread, from its own node's CPUs first. */

static struct nk_thread *steal_from(struct nk_rq *victim, int me)
{
	struct nk_thread *t;

	/* An idle victim runs its queue itself: taking it back would undo a move or a wake-up. */
	if (!__atomic_load_n(&victim->nr, __ATOMIC_RELAXED) || victim->current->idle)
		return NULL;
	nk_raw_spin_lock(&victim->lock);
	t = rq_find_movable(victim);
	if (t && rq_remove(victim, t))
		t->cpu = me;
	else
		t = NULL;
	nk_raw_spin_unlock(&victim->lock);
	return t;
}

static bool try_steal(struct nk_rq *rq)
{
	int node = nk_cpu_get(rq->cpu)->node;

	for (int pass = 0; pass < 2; pass++)
		for (int cpu = 0; cpu < nk_cpu_count(); cpu++) {
			struct nk_thread *t;

			if (cpu == rq->cpu || !nk_sched_cpu_ready(cpu) ||
			    (nk_cpu_get(cpu)->node == node) != (pass == 0))
				continue;
			t = steal_from(&rqs[cpu], rq->cpu);
			if (!t)
				continue;
			nk_raw_spin_lock(&rq->lock);
			rq_push(rq, t);
			rq->steals++;
			nk_raw_spin_unlock(&rq->lock);
			return true;
		}
	return false;
}

/*
 * The idle thread: steal or halt. The idle bit is set before the last look at the queue, so
 * a CPU that queues work either is seen here or sees the bit and sends an IPI, which
 * nk_arch_irq_enable_and_halt takes only in the halt.
 */
static void __nk_noreturn idle_loop(void)
{
	struct nk_rq *rq = this_rq();
	struct nk_cpu *c = nk_this_cpu();
	uint64_t bit = 1ull << rq->cpu;

	for (;;) {
		nk_arch_irq_save();
		if (!rq->nr && !c->need_resched)
			try_steal(rq);
		if (rq->nr || c->need_resched) {
			schedule(REASON_PREEMPT);
			continue;
		}
		__atomic_fetch_or(&idle_mask, bit, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&rq->nr, __ATOMIC_SEQ_CST) && !c->need_resched)
			nk_arch_irq_enable_and_halt();
		__atomic_fetch_and(&idle_mask, ~bit, __ATOMIC_SEQ_CST);
	}
}

/* Start-up. */

static void rq_init(int cpu)
{
	struct nk_rq *rq = &rqs[cpu];

	nk_spin_init(&rq->lock);
	rq->cpu = cpu;
	nk_timer_cpu_init(cpu);
	nk_this_cpu()->sched = rq;
	nk_arch_timer_set_handler(timer_interrupt, rq);
}

static void idle_thread_fn(void *in, void **out)
{
	idle_loop();
}

static const char *current_name(void)
{
	struct nk_thread *t = nk_this_cpu()->current_thread;

	return t && t->name[0] ? t->name : NULL; /* unnamed: the report says no "by" */
}

void nk_sched_init(void)
{
	struct nk_rq *rq = &rqs[0];
	struct nk_thread *main, *idle;
	nk_thread_id_t tid;
	int err;

	nk_arch_fpu_init_cpu();
	rq_init(0);
	main = nk_thread_boot_context("main", 0, false);
	rq->current = main;
	nk_this_cpu()->current_thread = main;
	err = nk_vector_set(NK_VEC_RESCHED, resched_interrupt, NULL);
	if (err)
		panic("scheduler: reschedule vector: %d", err);
	nk_arch_trap_set_guard_namer(current_name);
	err = nk_thread_create(idle_thread_fn, NULL, NULL, NK_THREAD_DETACHED, 0, &tid, 0);
	if (err)
		panic("scheduler: idle thread for CPU 0: %d", err);
	idle = tid;
	idle->idle = true;
	idle->state = NK_THREAD_RUNNABLE;
	idle->prio = NK_PRIO_MIN;
	nk_thread_set_name(idle, "idle/0");
	__atomic_store_n(&rq->idle, idle, __ATOMIC_RELEASE);
	nk_info("quantum %d us, default stack %d bytes", CONFIG_SCHED_QUANTUM_US,
		CONFIG_THREAD_STACK_SIZE);
}

void nk_sched_ap_init(void)
{
	int cpu = nk_cpu_id();
	struct nk_rq *rq = &rqs[cpu];
	struct nk_thread *idle;

	rq_init(cpu);
	idle = nk_thread_boot_context("idle", cpu, true);
	rq->current = idle;
	nk_this_cpu()->current_thread = idle;
	__atomic_store_n(&rq->idle, idle, __ATOMIC_RELEASE);
}

void nk_sched_ap_idle(void)
{
	idle_loop();
}

/* A new thread's first instructions (from nk_arch_thread_start). */
void nk_sched_thread_entry(void) __nk_noreturn;
void nk_sched_thread_entry(void)
{
	struct nk_thread *t;
	void *out = NULL;

	finish_switch();
	nk_arch_irq_enable();
	t = nk_this_cpu()->current_thread;
	t->fn(t->input, &out);
	nk_thread_exit(out);
}

/* A forked child's first instructions (from nk_arch_fork_child_start). */
void nk_sched_fork_child_entry(void);
void nk_sched_fork_child_entry(void)
{
	finish_switch();
	nk_arch_irq_enable();
}

bool nk_sched_fpu_first_use(void)
{
	struct nk_cpu *c = nk_this_cpu();
	struct nk_thread *t = c->current_thread;

	if (!c->sched || !t || t->fpu_used || c->irq_nesting)
		return false;
	nk_arch_fpu_trap_first_use(false);
	nk_arch_fpu_init_area(t->fpu_area);
	nk_arch_fpu_restore(t->fpu_area);
	t->fpu_used = true;
	return true;
}

int nk_sched_get_stats(int cpu, struct nk_sched_stats *st)
{
	struct nk_rq *rq;
	struct nk_thread *cur;
	uint64_t slice;

	if (!nk_sched_cpu_ready(cpu))
		return -EINVAL;
	rq = &rqs[cpu];
	cur = rq->current;
	slice = nk_time_ns() - cur->switched_in_at; /* the running thread's time so far counts */
	*st = (struct nk_sched_stats){
		.cpu = cpu,
		.runnable = rq->nr,
		.threads = nk_thread_count_on(cpu),
		.switches = rq->switches,
		.preemptions = rq->preemptions,
		.steals = rq->steals,
		.timer_arms = rq->timer_arms,
		.wakeup_ipis = rq->wakeup_ipis,
		.idle_ns = rq->idle_ns + (cur->idle ? slice : 0),
		.busy_ns = rq->busy_ns + (cur->idle ? 0 : slice),
		.tickless = rq->quantum_end == 0,
	};
	return 0;
}
