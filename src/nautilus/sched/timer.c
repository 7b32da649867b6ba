/*
 * Timers (include/nautilus/timer.h): one queue per CPU sorted by (deadline, arming number),
 * run by that CPU's timer interrupt. The queue's raw lock also guards each queued timer's
 * place and its `running` mark; a timer's state and waiters are under its wait queue's lock.
 * NK_TIMER_THREAD callbacks are handed to a per-CPU timer thread, created when first needed.
 */
#include <nautilus/arch.h>
#include <nautilus/errno.h>
#include <nautilus/init.h>
#include <nautilus/irq.h>
#include <nautilus/mm.h>
#include <nautilus/string.h>
#include <nautilus/time.h>
#include <nautilus/timer.h>

#include "sched_internal.h"

struct timer_queue {
	struct nk_spinlock lock;
	struct nk_timer head;	 /* sorted, earliest first */
	struct nk_timer pending; /* fired NK_TIMER_THREAD timers for the timer thread */
	int nr;
	volatile uint64_t first_deadline; /* the earliest armed timer's, 0: none; read lock-free */
	struct nk_thread *thread; /* created by an initcall: NK_TIMER_THREAD works from then on */
	struct nk_waitqueue thread_wq;
};

static struct timer_queue queues[NK_MAX_CPUS];
static uint64_t arm_seq;

static void list_init(struct nk_timer *h)
{
	h->next = h->prev = h;
}

static void list_del(struct nk_timer *t)
{
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = t->prev = NULL;
}

static void list_insert_after(struct nk_timer *pos, struct nk_timer *t)
{
	t->prev = pos;
	t->next = pos->next;
	pos->next->prev = t;
	pos->next = t;
}

static bool queued(const struct nk_timer *t)
{
	return t->next != NULL;
}

void nk_timer_cpu_init(int cpu)
{
	struct timer_queue *q = &queues[cpu];

	nk_spin_init(&q->lock);
	list_init(&q->head);
	list_init(&q->pending);
	nk_waitqueue_init(&q->thread_wq);
}

void nk_timer_init(struct nk_timer *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	t->cpu = -1;
	nk_waitqueue_init(&t->waiters);
	nk_strlcpy(t->name, name ? name : "", sizeof(t->name));
}

int nk_timer_create(const char *name, struct nk_timer **out)
{
	struct nk_timer *t = nk_malloc(sizeof(*t));

	if (!t)
		return -ENOMEM;
	nk_timer_init(t, name);
	*out = t;
	return 0;
}

void nk_timer_destroy(struct nk_timer *t)
{
	if (!t)
		return;
	nk_timer_cancel(t);
	nk_free(t);
}

/* Wake nk_timer_wait callers with the outcome (0 or -ECANCELED). */
static void finish(struct nk_timer *t, enum nk_timer_state state)
{
	unsigned long flags = nk_spin_lock_irqsave(&t->waiters.lock);

	t->state = state;
	while (!nk_waitqueue_empty(&t->waiters))
		nk_waitqueue_wake_locked(&t->waiters, nk_waitqueue_first(&t->waiters),
					 state == NK_TIMER_FIRED ? 0 : (uintptr_t)-ECANCELED);
	nk_spin_unlock_irqrestore(&t->waiters.lock, flags);
}

static void update_first(struct timer_queue *q)
{
	__atomic_store_n(&q->first_deadline, q->head.next != &q->head ? q->head.next->deadline_ns : 0,
			 __ATOMIC_RELAXED);
}

/* Take t off whichever list holds it; q locked. */
static bool unqueue(struct timer_queue *q, struct nk_timer *t)
{
	if (!queued(t))
		return false;
	list_del(t);
	q->nr--;
	update_first(q);
	return true;
}

static void insert_sorted(struct timer_queue *q, struct nk_timer *t)
{
	struct nk_timer *pos = q->head.prev;

	while (pos != &q->head && pos->deadline_ns > t->deadline_ns)
		pos = pos->prev; /* from the latest: equal deadlines stay in arming order */
	list_insert_after(pos, t);
	q->nr++;
	update_first(q);
}

static void timer_thread_fn(void *in, void **out);

int nk_timer_set(struct nk_timer *t, uint64_t ns, unsigned flags, void (*fn)(void *), void *arg,
		 int cpu)
{
	struct timer_queue *q;
	unsigned long irq;
	bool first;

	if (!flags)
		flags = NK_TIMER_IRQ;
	if (flags != NK_TIMER_IRQ && flags != NK_TIMER_THREAD)
		return -EINVAL;
	if (cpu == NK_CPU_ANY)
		cpu = nk_cpu_id();
	if (!nk_sched_cpu_ready(cpu) && cpu != nk_cpu_id())
		return -EINVAL;
	if (flags == NK_TIMER_THREAD && !queues[cpu].thread)
		return -ENODEV;
	if (t->cpu >= 0 && t->cpu != cpu) { /* armed elsewhere before: off that queue */
		q = &queues[t->cpu];
		irq = nk_arch_irq_save();
		nk_raw_spin_lock(&q->lock);
		unqueue(q, t);
		nk_raw_spin_unlock(&q->lock);
		nk_arch_irq_restore(irq);
	}
	q = &queues[cpu];
	irq = nk_arch_irq_save();
	nk_raw_spin_lock(&q->lock);
	unqueue(q, t);
	t->deadline_ns = nk_time_ns() + ns;
	t->fn = fn;
	t->arg = arg;
	t->flags = flags;
	t->cpu = cpu;
	t->seq = __atomic_fetch_add(&arm_seq, 1, __ATOMIC_RELAXED);
	t->state = NK_TIMER_ARMED;
	insert_sorted(q, t);
	first = q->head.next == t;
	nk_raw_spin_unlock(&q->lock);
	if (first && cpu == nk_cpu_id())
		nk_sched_program_timer(this_rq());
	else if (first)
		nk_ipi_send(cpu, NK_VEC_RESCHED);
	nk_arch_irq_restore(irq);
	return 0;
}

static bool in_own_callback(const struct nk_timer *t)
{
	struct nk_cpu *c = nk_this_cpu();

	if (t->cpu != c->id)
		return false;
	if (t->flags == NK_TIMER_IRQ)
		return c->irq_nesting > 0;
	return c->current_thread == queues[t->cpu].thread;
}

int nk_timer_cancel(struct nk_timer *t)
{
	struct timer_queue *q;
	unsigned long irq;
	bool was_armed;

	if (t->cpu < 0)
		return -ENOENT;
	q = &queues[t->cpu];
	irq = nk_arch_irq_save();
	nk_raw_spin_lock(&q->lock);
	was_armed = unqueue(q, t);
	nk_raw_spin_unlock(&q->lock);
	nk_arch_irq_restore(irq);
	if (was_armed) {
		finish(t, NK_TIMER_CANCELLED);
		return 0;
	}
	while (__atomic_load_n(&t->running, __ATOMIC_ACQUIRE) && !in_own_callback(t))
		__builtin_ia32_pause();
	return -ENOENT;
}

int nk_timer_wait(struct nk_timer *t)
{
	unsigned long flags = nk_spin_lock_irqsave(&t->waiters.lock);
	struct nk_waiter w;
	int err;

	if (t->state != NK_TIMER_ARMED) {
		err = t->state == NK_TIMER_FIRED ? 0 : t->state == NK_TIMER_CANCELLED ? -ECANCELED
										      : -EINVAL;
		nk_spin_unlock_irqrestore(&t->waiters.lock, flags);
		return err;
	}
	nk_waitqueue_sleep(&t->waiters, &w, flags, 0);
	return (int)(intptr_t)w.data;
}

static void run_callback(struct nk_timer *t)
{
	if (t->fn)
		t->fn(t->arg);
	__atomic_store_n(&t->running, 0, __ATOMIC_RELEASE);
}

/* Timer interrupt, this CPU. */
void nk_timer_run_expired(uint64_t now)
{
	struct timer_queue *q = &queues[nk_cpu_id()];
	bool handed = false;

	for (;;) {
		struct nk_timer *t;

		nk_raw_spin_lock(&q->lock);
		t = q->head.next;
		if (t == &q->head || t->deadline_ns > now) {
			nk_raw_spin_unlock(&q->lock);
			break;
		}
		unqueue(q, t);
		if (t->flags == NK_TIMER_THREAD) {
			list_insert_after(q->pending.prev, t);
			q->nr++; /* still counted until the timer thread takes it */
			handed = true;
			nk_raw_spin_unlock(&q->lock);
			continue;
		}
		t->running = 1;
		nk_raw_spin_unlock(&q->lock);
		finish(t, NK_TIMER_FIRED); /* waiters first: the callback may re-arm t */
		run_callback(t);
	}
	if (handed)
		nk_waitqueue_wake_one(&q->thread_wq);
}

/* Lock-free: another CPU that changes this queue's first timer sends a reschedule IPI. */
uint64_t nk_timer_next_deadline(void)
{
	return __atomic_load_n(&queues[nk_cpu_id()].first_deadline, __ATOMIC_RELAXED);
}

/* The timer thread: run handed-over callbacks in thread context, in firing order. */
static void timer_thread_fn(void *in, void **out)
{
	struct timer_queue *q = in;

	for (;;) {
		unsigned long flags = nk_spin_lock_irqsave(&q->thread_wq.lock);
		struct nk_timer *t;

		nk_raw_spin_lock(&q->lock);
		t = q->pending.next != &q->pending ? q->pending.next : NULL;
		if (t) {
			unqueue(q, t);
			t->running = 1;
		}
		nk_raw_spin_unlock(&q->lock);
		if (!t) {
			struct nk_waiter w;

			nk_waitqueue_sleep(&q->thread_wq, &w, flags, 0);
			continue;
		}
		nk_spin_unlock_irqrestore(&q->thread_wq.lock, flags);
		finish(t, NK_TIMER_FIRED);
		run_callback(t);
	}
}

/* One timer thread per CPU, at the top priority: its callbacks are due now. */
static int timer_threads_start(void)
{
	for (int cpu = 0; cpu < nk_cpu_count(); cpu++) {
		nk_thread_id_t tid;
		int err;

		if (!nk_sched_cpu_ready(cpu))
			continue;
		err = nk_thread_create(timer_thread_fn, &queues[cpu], NULL, NK_THREAD_DETACHED, 0,
				       &tid, cpu);
		if (err)
			return err;
		nk_thread_set_name(tid, "timer");
		nk_thread_set_priority(tid, NK_PRIO_MAX);
		queues[cpu].thread = tid;
		nk_thread_run(tid);
	}
	return 0;
}
NK_INITCALL(NK_INIT_CORE, timer_threads_start);

void nk_sleep(uint64_t ns)
{
	struct nk_thread *self = nk_this_cpu()->current_thread;
	unsigned long flags;

	if (!ns) {
		nk_yield();
		return;
	}
	flags = nk_arch_irq_save();
	self->state = NK_THREAD_BLOCKED; /* before arming: the expiry must find it blocked */
	nk_timer_set(&self->timer, ns, NK_TIMER_IRQ, nk_sched_wake_timer, self, NK_CPU_ANY);
	nk_sched_switch_away();
	nk_timer_cancel(&self->timer);
	nk_arch_irq_restore(flags);
}

int nk_timer_pending(int cpu)
{
	if (cpu < 0 || cpu >= nk_cpu_count() || !nk_sched_cpu_ready(cpu))
		return -EINVAL;
	return __atomic_load_n(&queues[cpu].nr, __ATOMIC_RELAXED);
}
