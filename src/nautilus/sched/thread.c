/*
 * Threads: creation, exit, join, fork, names, TLS. A thread is one block of pages on its CPU's
 * NUMA node: the guard page at the bottom, the stack above it, and struct nk_thread with its
 * FPU area at the top. Blocks of the default size are recycled, guard page kept, through
 * per-CPU free lists (touched with interrupts off on their own CPU only) and matched by size
 * and node, so a create/exit loop allocates nothing after the first round.
 */
#include <nautilus/arch.h>
#include <nautilus/errno.h>
#include <nautilus/irq.h>
#include <nautilus/mm.h>
#include <nautilus/numa.h>
#include <nautilus/panic.h>
#include <nautilus/printk.h>
#include <nautilus/sched.h>
#include <nautilus/string.h>
#include <nautilus/time.h>

#include "sched_internal.h"

#define PAGE_SIZE	 4096ul
#define FREE_MAGIC	 0x6e6b66726565ull /* "nkfree": on a free list */
#define TLS_MAX_ROUNDS 4

static struct nk_spinlock all_lock = NK_SPINLOCK_INIT; /* all threads, parent/child links */
static struct nk_thread *all_threads;
static int nr_threads;
static uint64_t next_number = 1;

static struct nk_spinlock tls_lock = NK_SPINLOCK_INIT;
static bool tls_used[NK_TLS_KEYS];
static void (*tls_destructor[NK_TLS_KEYS])(void *);

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* The thread structure and FPU area, at the top of the block. */
static size_t header_size(void)
{
	return align_up(sizeof(struct nk_thread), 64) + align_up(nk_arch_fpu_area_size(), 64);
}

static unsigned block_order(size_t stack_size)
{
	size_t need = PAGE_SIZE + align_up(stack_size, 16) + header_size();
	unsigned order = 0;

	while ((PAGE_SIZE << order) < need)
		order++;
	return order;
}

static struct nk_thread *block_thread(void *block, unsigned order)
{
	return (struct nk_thread *)((char *)block + (PAGE_SIZE << order) - header_size());
}

static void *fpu_area_of(struct nk_thread *t)
{
	return (char *)t + align_up(sizeof(*t), 64);
}

/* Zero a block's thread structure (its TLS slots only if they were set) and record the block. */
static struct nk_thread *block_reset(struct nk_thread *t, void *block, unsigned order, int node)
{
	if (t->tls_set)
		memset(t->tls, 0, sizeof(t->tls));
	memset(t, 0, offsetof(struct nk_thread, tls));
	t->stack = block;
	t->stack_order = order;
	t->stack_node = node;
	t->fpu_area = fpu_area_of(t);
	return t;
}

static struct nk_thread *block_alloc(unsigned order, int node)
{
	void *block = nk_page_alloc_node(order, node);
	struct nk_thread *t;

	if (!block)
		return NULL;
	if (nk_arch_page_guard(block)) {
		nk_arch_page_unguard(block); /* -ETIMEDOUT leaves it guarded: mapped before the free */
		nk_page_free(block);
		return NULL;
	}
	t = block_thread(block, order);
	memset(t, 0, sizeof(*t)); /* fresh memory: the TLS slots too */
	return block_reset(t, block, order, nk_node_of(block));
}

static void block_free(struct nk_thread *t)
{
	void *block = t->stack;

	t->magic = 0;
	nk_arch_page_unguard(block);
	nk_page_free(block);
}

/* A recycled block of this order on `node` from this CPU's list, or NULL. */
static struct nk_thread *free_list_take(unsigned order, int node)
{
	unsigned long flags = nk_arch_irq_save();
	struct nk_rq *rq = this_rq();
	struct nk_thread **pp, *t = NULL;

	for (pp = &rq->free_list; *pp; pp = &(*pp)->free_next)
		if ((*pp)->stack_node == node && (*pp)->stack_order == order) {
			t = *pp;
			*pp = t->free_next;
			rq->nr_free--;
			break;
		}
	nk_arch_irq_restore(flags);
	return t;
}

/* Interrupts off: keep a dead thread's block on this CPU's list. */
static void free_list_put(struct nk_thread *t)
{
	struct nk_rq *rq = this_rq();

	t->magic = FREE_MAGIC;
	t->free_next = rq->free_list;
	rq->free_list = t;
	rq->nr_free++;
}

/* On each CPU in turn (cross-call, interrupts off): hand over its whole list. */
static void free_list_detach(void *arg)
{
	struct nk_thread **out = arg;
	struct nk_rq *rq = this_rq();

	*out = rq->free_list;
	rq->free_list = NULL;
	rq->nr_free = 0;
}

void nk_thread_cache_drain(void)
{
	for (int cpu = 0; cpu < nk_cpu_count(); cpu++) {
		struct nk_thread *list = NULL, *next;

		if (!nk_sched_cpu_ready(cpu) || nk_xcall(cpu, free_list_detach, &list, true))
			continue;
		for (; list; list = next) {
			next = list->free_next;
			block_free(list);
		}
	}
}

/* Thread context: give back what this CPU keeps beyond CONFIG_THREAD_FREE_MAX. */
static void free_list_trim(void)
{
	for (;;) {
		unsigned long flags = nk_arch_irq_save();
		struct nk_rq *rq = this_rq();
		struct nk_thread *t = NULL;

		if (rq->nr_free > CONFIG_THREAD_FREE_MAX) {
			t = rq->free_list;
			rq->free_list = t->free_next;
			rq->nr_free--;
		}
		nk_arch_irq_restore(flags);
		if (!t)
			return;
		block_free(t);
	}
}

static struct nk_thread *thread_block_get(size_t stack_size, int node)
{
	unsigned order = block_order(stack_size ? stack_size : CONFIG_THREAD_STACK_SIZE);
	struct nk_thread *t = free_list_take(order, node);

	return t ? block_reset(t, t->stack, order, node) : block_alloc(order, node);
}

static bool is_thread(const struct nk_thread *t)
{
	return t && t != NK_BAD_THREAD_ID && t->magic == THREAD_MAGIC;
}

static struct nk_thread *self(void)
{
	return nk_this_cpu()->current_thread;
}

static void link_thread(struct nk_thread *t, struct nk_thread *parent)
{
	unsigned long flags = nk_spin_lock_irqsave(&all_lock);

	t->all_next = all_threads;
	if (all_threads)
		all_threads->all_prev = t;
	all_threads = t;
	nr_threads++;
	if (parent && !t->detached) {
		t->parent = parent;
		t->sib_next = parent->children;
		if (parent->children)
			parent->children->sib_prev = t;
		parent->children = t;
	}
	nk_spin_unlock_irqrestore(&all_lock, flags);
}

static void unlink_child(struct nk_thread *t)
{
	if (t->sib_prev)
		t->sib_prev->sib_next = t->sib_next;
	else if (t->parent)
		t->parent->children = t->sib_next;
	if (t->sib_next)
		t->sib_next->sib_prev = t->sib_prev;
	t->parent = t->sib_next = t->sib_prev = NULL;
}

/* Off the list of live threads; its children become orphans (never joined by it). */
static void unlink_thread(struct nk_thread *t)
{
	unsigned long flags = nk_spin_lock_irqsave(&all_lock);

	if (t->all_prev)
		t->all_prev->all_next = t->all_next;
	else
		all_threads = t->all_next;
	if (t->all_next)
		t->all_next->all_prev = t->all_prev;
	nr_threads--;
	unlink_child(t);
	for (struct nk_thread *c = t->children, *next; c; c = next) {
		next = c->sib_next;
		c->parent = c->sib_next = c->sib_prev = NULL;
	}
	t->children = NULL;
	nk_spin_unlock_irqrestore(&all_lock, flags);
}

static void thread_init(struct nk_thread *t, const char *name, int cpu, bool bound)
{
	struct nk_thread *me = self();

	t->magic = THREAD_MAGIC;
	t->number = __atomic_fetch_add(&next_number, 1, __ATOMIC_RELAXED);
	if (name[0]) /* the structure is zeroed: "" needs no copy */
		nk_strlcpy(t->name, name, sizeof(t->name));
	t->prio = me && !me->idle ? me->prio : NK_PRIO_DEFAULT;
	t->cpu = cpu;
	t->bound = bound;
	nk_waitqueue_init(&t->join_wq);
	nk_timer_init(&t->timer, "thread");
}

int nk_thread_create(nk_thread_fun_t fn, void *input, void **output, unsigned flags,
		     size_t stack_size, nk_thread_id_t *tid, int cpu)
{
	bool bound = cpu != NK_CPU_ANY;
	int home = bound ? cpu : nk_cpu_id();
	struct nk_thread *t;

	if (!fn || !tid || (flags & ~NK_THREAD_DETACHED) || stack_size > (1ul << 30))
		return -EINVAL;
	if (bound && !nk_sched_cpu_ready(cpu) && cpu != nk_cpu_id())
		return -EINVAL;
	free_list_trim();
	t = thread_block_get(stack_size, nk_cpu_get(home)->node);
	if (!t)
		return -ENOMEM;
	thread_init(t, "", home, bound);
	t->state = NK_THREAD_CREATED;
	t->detached = flags & NK_THREAD_DETACHED;
	t->fn = fn;
	t->input = input;
	t->output = output;
	t->sp = nk_arch_context_init(t);
	link_thread(t, self());
	*tid = t;
	return 0;
}

int nk_thread_run(nk_thread_id_t t)
{
	if (!is_thread(t) || t->idle || t->state != NK_THREAD_CREATED)
		return -EINVAL;
	if (!t->bound && !t->placed)
		t->cpu = nk_sched_place(nk_cpu_id());
	nk_sched_make_runnable(t);
	return 0;
}

int nk_thread_start(nk_thread_fun_t fn, void *input, void **output, unsigned flags,
		    size_t stack_size, nk_thread_id_t *tid, int cpu)
{
	nk_thread_id_t t;
	int err = nk_thread_create(fn, input, output, flags, stack_size, &t, cpu);

	if (err)
		return err;
	if (tid)
		*tid = t;
	return nk_thread_run(t);
}

/* A joined thread's block goes to this CPU's list, where it is reused next. */
static void thread_release(struct nk_thread *t)
{
	unsigned long flags;

	unlink_thread(t);
	if (!t->stack) {
		t->magic = 0;
		nk_free(t);
		return;
	}
	flags = nk_arch_irq_save();
	free_list_put(t);
	nk_arch_irq_restore(flags);
}

int nk_thread_join(nk_thread_id_t t, void **retval)
{
	unsigned long flags;

	if (!is_thread(t) || t->idle)
		return -EINVAL;
	if (t == self())
		return -EDEADLK;
	flags = nk_spin_lock_irqsave(&t->join_wq.lock);
	if (t->detached || t->joining) {
		nk_spin_unlock_irqrestore(&t->join_wq.lock, flags);
		return t->detached ? -EINVAL : -EBUSY;
	}
	t->joining = true;
	while (!t->off_cpu) {
		struct nk_waiter w;

		nk_waitqueue_sleep(&t->join_wq, &w, flags, 0);
		flags = nk_spin_lock_irqsave(&t->join_wq.lock);
	}
	nk_spin_unlock_irqrestore(&t->join_wq.lock, flags);
	if (retval)
		*retval = t->retval;
	thread_release(t);
	return 0;
}

int nk_thread_join_all_children(void)
{
	struct nk_thread *me = self();
	int n = 0;

	for (;;) {
		unsigned long flags = nk_spin_lock_irqsave(&all_lock);
		struct nk_thread *c = me->children;

		nk_spin_unlock_irqrestore(&all_lock, flags);
		if (!c)
			return n;
		if (nk_thread_join(c, NULL) == 0) {
			n++;
			continue;
		}
		flags = nk_spin_lock_irqsave(&all_lock); /* another joiner claimed it: not ours */
		if (c->parent == me) /* unless that join released (and maybe reused) it already */
			unlink_child(c);
		nk_spin_unlock_irqrestore(&all_lock, flags);
	}
}

static void run_tls_destructors(struct nk_thread *t)
{
	for (int round = 0; round < TLS_MAX_ROUNDS; round++) {
		bool again = false;

		for (unsigned k = 0; k < NK_TLS_KEYS; k++) {
			void (*d)(void *) = tls_destructor[k];
			void *v = t->tls[k];

			if (!v || !d || !tls_used[k])
				continue;
			t->tls[k] = NULL;
			d(v);
			again = true;
		}
		if (!again)
			return;
	}
}

void nk_thread_exit(void *retval)
{
	struct nk_thread *t = self();

	if (t->idle || !t->stack)
		panic("thread \"%s\" (a CPU's boot or idle context) cannot exit", t->name);
	if (t->tls_set)
		run_tls_destructors(t);
	t->retval = retval;
	if (t->output)
		*t->output = retval;
	nk_arch_irq_save();
	t->state = NK_THREAD_EXITED;
	nk_sched_switch_away();
	panic("exited thread \"%s\" ran again", t->name);
}

/* Interrupts off, on the CPU that switched t out for the last time. */
void nk_thread_exited_switched_out(struct nk_thread *t)
{
	if (t->detached) {
		unlink_thread(t);
		free_list_put(t); /* beyond the cap, freed by the next trim: interrupts are off here */
		return;
	}
	nk_spin_lock(&t->join_wq.lock);
	t->off_cpu = true;
	if (!nk_waitqueue_empty(&t->join_wq))
		nk_waitqueue_wake_locked(&t->join_wq, nk_waitqueue_first(&t->join_wq), 0);
	nk_spin_unlock(&t->join_wq.lock);
}

/* Called by nk_thread_fork (switch.S) with the caller's saved frame. */
nk_thread_id_t nk_sched_fork(struct nk_fork_frame *f);
nk_thread_id_t nk_sched_fork(struct nk_fork_frame *f)
{
	struct nk_thread *me = self(), *t;
	size_t usable;
	int cpu = nk_cpu_id();

	if (me->idle)
		return NK_BAD_THREAD_ID;
	free_list_trim();
	t = thread_block_get(0, nk_cpu_get(cpu)->node);
	if (!t)
		return NK_BAD_THREAD_ID;
	thread_init(t, me->name, cpu, me->bound);
	t->state = NK_THREAD_CREATED;
	t->prio = me->prio;
	usable = (size_t)((char *)t - (char *)t->stack) - PAGE_SIZE;
	t->sp = nk_arch_fork_stack(f, t, usable);
	if (!t->sp) {
		thread_release(t);
		return NK_BAD_THREAD_ID;
	}
	if (me->fpu_used) { /* the child starts with the parent's FPU registers as they are */
		nk_arch_fpu_save(t->fpu_area);
		t->fpu_used = true;
	}
	link_thread(t, me);
	nk_sched_make_runnable(t);
	return t;
}

struct nk_thread *nk_thread_boot_context(const char *name, int cpu, bool idle)
{
	struct nk_thread *t = nk_malloc_aligned(header_size(), 64);
	char full[NK_THREAD_NAME_LEN];

	if (!t)
		panic("no memory for CPU %d's boot thread", cpu);
	memset(t, 0, sizeof(*t));
	t->fpu_area = fpu_area_of(t);
	if (idle)
		nk_snprintf(full, sizeof(full), "%s/%d", name, cpu);
	else
		nk_strlcpy(full, name, sizeof(full));
	thread_init(t, full, cpu, true);
	t->idle = idle;
	t->prio = idle ? NK_PRIO_MIN : NK_PRIO_DEFAULT;
	t->state = NK_THREAD_RUNNING;
	t->switched_in_at = nk_time_ns();
	link_thread(t, NULL);
	return t;
}

nk_thread_id_t nk_thread_self(void)
{
	return self();
}

int nk_thread_set_name(nk_thread_id_t t, const char *name)
{
	if (!is_thread(t) || !name)
		return -EINVAL;
	nk_strlcpy(t->name, name, sizeof(t->name));
	return 0;
}

const char *nk_thread_name(nk_thread_id_t t)
{
	return is_thread(t) ? t->name : "";
}

uint64_t nk_thread_number(nk_thread_id_t t)
{
	return is_thread(t) ? t->number : 0;
}

int nk_thread_set_priority(nk_thread_id_t t, int prio)
{
	if (!is_thread(t))
		return -EINVAL;
	return nk_sched_set_priority(t, prio);
}

int nk_thread_cpu(nk_thread_id_t t)
{
	return is_thread(t) ? t->cpu : -EINVAL;
}

int nk_thread_move(nk_thread_id_t t, int cpu)
{
	if (!is_thread(t) || t->idle)
		return -EINVAL;
	return nk_sched_move(t, cpu);
}

/* TLS. */

int nk_tls_key_create(nk_tls_key_t *key, void (*destructor)(void *))
{
	unsigned long flags = nk_spin_lock_irqsave(&tls_lock);
	unsigned k;

	for (k = 0; k < NK_TLS_KEYS && tls_used[k]; k++)
		;
	if (k == NK_TLS_KEYS) {
		nk_spin_unlock_irqrestore(&tls_lock, flags);
		return -EAGAIN;
	}
	tls_used[k] = true;
	tls_destructor[k] = destructor;
	nk_spin_unlock_irqrestore(&tls_lock, flags);
	/* A new key reads NULL in every thread, whatever an old key of that slot left. */
	flags = nk_spin_lock_irqsave(&all_lock);
	for (struct nk_thread *t = all_threads; t; t = t->all_next)
		t->tls[k] = NULL;
	nk_spin_unlock_irqrestore(&all_lock, flags);
	*key = k;
	return 0;
}

int nk_tls_key_delete(nk_tls_key_t key)
{
	unsigned long flags = nk_spin_lock_irqsave(&tls_lock);
	int err = 0;

	if (key >= NK_TLS_KEYS || !tls_used[key])
		err = -EINVAL;
	else
		tls_used[key] = false;
	nk_spin_unlock_irqrestore(&tls_lock, flags);
	return err;
}

void *nk_tls_get(nk_tls_key_t key)
{
	return key < NK_TLS_KEYS ? self()->tls[key] : NULL;
}

int nk_tls_set(nk_tls_key_t key, const void *value)
{
	if (key >= NK_TLS_KEYS || !tls_used[key])
		return -EINVAL;
	self()->tls[key] = (void *)value;
	self()->tls_set = true;
	return 0;
}

/* Listing. */

const char *nk_thread_state_name(enum nk_thread_state s)
{
	static const char *const names[] = { "created", "runnable", "running", "blocked",
					     "exited" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

void nk_thread_for_each(void (*fn)(const struct nk_thread_info *info, void *arg), void *arg)
{
	unsigned long flags = nk_spin_lock_irqsave(&all_lock);
	uint64_t now = nk_time_ns();

	for (struct nk_thread *t = all_threads; t; t = t->all_next) {
		struct nk_thread_info info = {
			.number = t->number,
			.cpu = t->cpu,
			.state = t->state,
			.prio = t->prio,
			.bound = t->bound,
			.detached = t->detached,
			.idle = t->idle,
			.run_ns = t->run_ns + (t->state == NK_THREAD_RUNNING
							? now - t->switched_in_at
							: 0),
			.switches_in = t->switches_in,
		};

		nk_strlcpy(info.name, t->name, sizeof(info.name));
		fn(&info, arg);
	}
	nk_spin_unlock_irqrestore(&all_lock, flags);
}

int nk_thread_count(void)
{
	return __atomic_load_n(&nr_threads, __ATOMIC_RELAXED);
}

int nk_thread_count_on(int cpu)
{
	unsigned long flags = nk_spin_lock_irqsave(&all_lock);
	int n = 0;

	for (struct nk_thread *t = all_threads; t; t = t->all_next)
		n += t->cpu == cpu && !t->idle;
	nk_spin_unlock_irqrestore(&all_lock, flags);
	return n;
}
