/*
 * Cross-calls: fn(arg) queued for a CPU and run by its NK_VEC_XCALL interrupt handler, in
 * order. A call lives in a small heap block shared by the caller and the target CPU, freed by
 * whichever lets go last, so a caller that gives up waiting (timeout) leaves nothing dangling.
 * The target's release is its last touch of the block and is what a waiting caller waits for,
 * so a call waited for is freed by its caller before nk_xcall returns: nothing is still
 * allocated behind the caller's back (the tests' leak check counts pages right after one).
 * A waiting caller with interrupts off runs its own queue while it waits, so two CPUs calling
 * each other cannot deadlock.
 */
#include <nautilus/arch.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/init.h>
#include <nautilus/irq.h>
#include <nautilus/mm.h>
#include <nautilus/printk.h>
#include <nautilus/sched.h>
#include <nautilus/spinlock.h>
#include <nautilus/time.h>

struct xcall {
	struct xcall *next;
	void (*fn)(void *arg);
	void *arg;
	int refs; /* the target's until it ran the call, plus the caller's while it waits */
};

struct queue {
	struct nk_spinlock lock;
	struct xcall *head, *tail;
};

static struct queue queues[NK_MAX_CPUS];

static void put(struct xcall *x)
{
	if (__atomic_sub_fetch(&x->refs, 1, __ATOMIC_ACQ_REL) == 0)
		nk_free(x);
}

static struct xcall *pop(struct queue *q)
{
	unsigned long flags = nk_spin_lock_irqsave(&q->lock);
	struct xcall *x = q->head;

	if (x) {
		q->head = x->next;
		if (!q->head)
			q->tail = NULL;
	}
	nk_spin_unlock_irqrestore(&q->lock, flags);
	return x;
}

/* Run every call queued for this CPU (interrupts are off). */
static void run_queue(void)
{
	struct queue *q = &queues[nk_cpu_id()];
	struct xcall *x;

	while ((x = pop(q))) {
		x->fn(x->arg);
		put(x);
	}
}

static void xcall_interrupt(int vector, void *arg)
{
	(void)vector;
	(void)arg;
	run_queue();
}

/* Queue fn(arg) for cpu and kick it: the call, or NULL with *err set. */
static struct xcall *post(int cpu, void (*fn)(void *), void *arg, bool wait, int *err)
{
	struct nk_cpu *c = nk_cpu_get(cpu);
	struct xcall *x;
	unsigned long flags;

	*err = !c || !fn ? -EINVAL : c->state != NK_CPU_ONLINE ? -ENODEV : 0;
	if (*err)
		return NULL;
	x = nk_malloc(sizeof(*x));
	if (!x) {
		*err = -ENOMEM;
		return NULL;
	}
	*x = (struct xcall){ .fn = fn, .arg = arg, .refs = wait ? 2 : 1 };
	flags = nk_spin_lock_irqsave(&queues[cpu].lock);
	if (queues[cpu].tail)
		queues[cpu].tail->next = x;
	else
		queues[cpu].head = x;
	queues[cpu].tail = x;
	nk_spin_unlock_irqrestore(&queues[cpu].lock, flags);
	nk_ipi_send(cpu, NK_VEC_XCALL);
	return x;
}

/* Wait for x until deadline (ns): 0, or -ETIMEDOUT (reported). Drops the caller's reference. */
static int await(struct xcall *x, int cpu, uint64_t deadline)
{
	bool poll = !nk_arch_irqs_enabled();
	int ret = 0;

	while (__atomic_load_n(&x->refs, __ATOMIC_ACQUIRE) > 1) {
		if (nk_time_ns() > deadline) {
			nk_err("cpu %d did not run a cross-call within %d ms", cpu,
			       NK_XCALL_TIMEOUT_MS);
			ret = -ETIMEDOUT;
			break;
		}
		if (poll)
			run_queue();
		__builtin_ia32_pause();
	}
	put(x);
	return ret;
}

static void run_here(void (*fn)(void *), void *arg)
{
	unsigned long flags = nk_arch_irq_save();

	fn(arg);
	nk_arch_irq_restore(flags);
}

static uint64_t deadline(void)
{
	return nk_time_ns() + (uint64_t)NK_XCALL_TIMEOUT_MS * 1000000;
}

/* Preemption stays off in both: "this CPU" must not change between the post and the wait. */
int nk_xcall(int cpu, void (*fn)(void *arg), void *arg, bool wait)
{
	struct xcall *x;
	int err = 0;

	nk_preempt_disable();
	if (cpu == nk_cpu_id() && fn) {
		run_here(fn, arg);
		goto out;
	}
	x = post(cpu, fn, arg, wait, &err);
	if (x && wait)
		err = await(x, cpu, deadline());
out:
	nk_preempt_enable();
	return err;
}

int nk_xcall_all(void (*fn)(void *arg), void *arg, bool wait)
{
	struct xcall *calls[NK_MAX_CPUS] = { NULL };
	int self, n = nk_cpu_count(), missing = 0, err;
	uint64_t end;

	nk_preempt_disable();
	self = nk_cpu_id();
	for (int i = 0; i < n; i++) {
		if (i == self)
			continue;
		calls[i] = post(i, fn, arg, wait, &err);
		if (!calls[i] && err != -ENODEV) { /* an online CPU that will not run it */
			nk_err("cross-call to cpu %d not queued: %s", i, nk_strerror(err));
			missing++;
		}
	}
	run_here(fn, arg);
	end = deadline();
	for (int i = 0; wait && i < n; i++)
		if (calls[i] && await(calls[i], i, end))
			missing++;
	nk_preempt_enable();
	return missing;
}

static int xcall_init(void)
{
	for (int i = 0; i < NK_MAX_CPUS; i++)
		nk_spin_init(&queues[i].lock);
	return nk_vector_set(NK_VEC_XCALL, xcall_interrupt, NULL);
}
NK_INITCALL_REQUIRED(NK_INIT_CORE, xcall_init);
