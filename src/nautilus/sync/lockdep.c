/*
 * The spinlock checker of debug builds (include/nautilus/lockdep.h): a held-lock stack per CPU,
 * one table of observed lock orders for the machine, and panics that name both locks and the
 * places they were taken.
 */
#include <nautilus/arch.h>
#include <nautilus/console.h>
#include <nautilus/cpu.h>
#include <nautilus/lockdep.h>
#include <nautilus/panic.h>
#include <nautilus/printk.h>
#include <nautilus/spinlock.h>
#include <nautilus/symbols.h>

#include "lock_order.h"

static struct held_locks held[NK_MAX_CPUS];
/* The order table, under order_lock, taken with the raw forms only (it is never checked). */
static struct lock_order order;
static struct nk_spinlock order_lock = NK_SPINLOCK_INIT;
static uint32_t next_key = 1;
/* Set by the first report: the panic that follows takes locks in any state. */
static bool reported;

static bool checking(void)
{
	return !__atomic_load_n(&reported, __ATOMIC_RELAXED) && !nk_panic_in_progress();
}

/* l's key, assigned at its first checked use after an initialisation (0 is never a key). */
static uint32_t key_of(struct nk_spinlock *l)
{
	uint32_t key = __atomic_load_n(&l->key, __ATOMIC_RELAXED), fresh;

	if (key)
		return key;
	do
		fresh = __atomic_fetch_add(&next_key, 1, __ATOMIC_RELAXED);
	while (!fresh);
	if (__atomic_compare_exchange_n(&l->key, &key, fresh, false, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED))
		return fresh;
	return key; /* another CPU assigned one first */
}

static const char *site_name(uintptr_t site, char *buf, size_t size)
{
	nk_symbol_format(site, buf, size);
	return buf;
}

/*
 * A line straight to the consoles, for what does not fit in a panic message: printk's lock may
 * be the lock in question, so the log is not used before the panic breaks that lock.
 */
static void __nk_printf(1, 2) say(const char *fmt, ...)
{
	char line[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = nk_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	nk_console_write(line, NK_MIN((size_t)n, sizeof(line) - 1));
}

static void __nk_noreturn report_lock(const struct lockdep_report *r, const struct held_lock *h,
				      int cpu)
{
	char taking[64], held_at[64], first_at[64], second_at[64];

	__atomic_store_n(&reported, true, __ATOMIC_RELAXED);
	site_name(h->site, taking, sizeof(taking));
	site_name(r->held.site, held_at, sizeof(held_at));
	if (r->problem != NK_LOCKDEP_INVERSION)
		panic("lockdep: %s on CPU %d: lock %p taken at %s, held since %s",
		      nk_lockdep_problem_name(r->problem), cpu, h->lock, taking, held_at);
	site_name(r->seen.first_site, first_at, sizeof(first_at));
	site_name(r->seen.second_site, second_at, sizeof(second_at));
	say("\nlockdep: now lock %p is taken at %s,\n", h->lock, taking);
	say("lockdep:   holding lock %p taken at %s;\n", r->held.lock, held_at);
	say("lockdep: before, lock %p was taken at %s,\n", r->seen.second_lock, second_at);
	say("lockdep:   holding lock %p taken at %s.\n", r->seen.first_lock, first_at);
	panic("lockdep: lock order inversion on CPU %d: %p taken at %s while holding %p", cpu,
	      h->lock, taking, r->held.lock);
}

static enum nk_lockdep_problem check_lock(const struct held_locks *s, const struct held_lock *h,
					  struct lockdep_report *r)
{
	enum nk_lockdep_problem p;
	unsigned long flags = nk_arch_irq_save();

	nk_raw_spin_lock(&order_lock);
	p = lock_order_check(&order, s, h, r);
	if (p == NK_LOCKDEP_OK)
		lock_order_record(&order, s, h);
	nk_raw_spin_unlock(&order_lock);
	nk_arch_irq_restore(flags);
	return p;
}

void nk_lockdep_init(struct nk_spinlock *l)
{
	l->holder = 0;
	l->key = 0;
}

/* Count h as held by cpu; more than NK_LOCKDEP_DEPTH is reported. */
static void push_held(const struct held_lock *h, int cpu)
{
	struct held_locks *s = &held[cpu];
	struct lockdep_report r = { .problem = NK_LOCKDEP_TOO_DEEP };

	if (!held_push(s, h))
		return;
	r.held = s->lock[s->depth - 1];
	report_lock(&r, h, cpu);
}

void nk_lockdep_acquire(struct nk_spinlock *l)
{
	struct held_lock h = { .lock = l, .site = (uintptr_t)__builtin_return_address(0) };
	struct lockdep_report r;
	unsigned long flags;
	int cpu;

	if (!checking())
		return;
	h.key = key_of(l);
	flags = nk_arch_irq_save();
	cpu = nk_cpu_id();
	/* Nothing held, the common case: no order to check, and no recursion possible. */
	if (held[cpu].depth && check_lock(&held[cpu], &h, &r) != NK_LOCKDEP_OK)
		report_lock(&r, &h, cpu);
	push_held(&h, cpu);
	nk_arch_irq_restore(flags);
}

void nk_lockdep_acquired(struct nk_spinlock *l)
{
	__atomic_store_n(&l->holder, nk_cpu_id() + 1, __ATOMIC_RELAXED);
}

void nk_lockdep_trylocked(struct nk_spinlock *l)
{
	struct held_lock h = { .lock = l, .site = (uintptr_t)__builtin_return_address(0) };
	unsigned long flags;

	nk_lockdep_acquired(l);
	if (!checking())
		return;
	h.key = key_of(l);
	flags = nk_arch_irq_save();
	push_held(&h, nk_cpu_id());
	nk_arch_irq_restore(flags);
}

static void __nk_noreturn report_unlock(const struct nk_spinlock *l, uintptr_t site, int cpu,
					int holder)
{
	char at[64];

	__atomic_store_n(&reported, true, __ATOMIC_RELAXED);
	site_name(site, at, sizeof(at));
	if (holder < 0)
		panic("lockdep: unlock of a lock not held on CPU %d: lock %p released at %s, held by no CPU",
		      cpu, l, at);
	panic("lockdep: unlock of a lock not held on CPU %d: lock %p released at %s, held by CPU %d",
	      cpu, l, at, holder);
}

void nk_lockdep_release(struct nk_spinlock *l)
{
	int cpu = nk_cpu_id(), holder = __atomic_load_n(&l->holder, __ATOMIC_RELAXED) - 1;
	unsigned long flags;

	if (checking() && holder != cpu)
		report_unlock(l, (uintptr_t)__builtin_return_address(0), cpu, holder);
	__atomic_store_n(&l->holder, 0, __ATOMIC_RELAXED);
	flags = nk_arch_irq_save();
	held_remove(&held[cpu], l);
	nk_arch_irq_restore(flags);
}

enum nk_lockdep_problem nk_lockdep_check_lock(const struct nk_spinlock *l)
{
	struct held_lock h = { .lock = l, .key = l->key };
	enum nk_lockdep_problem p = NK_LOCKDEP_OK;
	unsigned long flags = nk_arch_irq_save();

	/* A lock without a key was not taken since its initialisation: held nowhere, no order. */
	nk_raw_spin_lock(&order_lock);
	if (h.key)
		p = lock_order_check(&order, &held[nk_cpu_id()], &h, NULL);
	nk_raw_spin_unlock(&order_lock);
	nk_arch_irq_restore(flags);
	return p;
}

enum nk_lockdep_problem nk_lockdep_check_unlock(const struct nk_spinlock *l)
{
	return __atomic_load_n(&l->holder, __ATOMIC_RELAXED) == nk_cpu_id() + 1
		       ? NK_LOCKDEP_OK
		       : NK_LOCKDEP_NOT_HELD;
}

const char *nk_lockdep_problem_name(enum nk_lockdep_problem p)
{
	static const char *const names[] = {
		[NK_LOCKDEP_OK] = "no problem",
		[NK_LOCKDEP_RECURSIVE] = "recursive lock",
		[NK_LOCKDEP_INVERSION] = "lock order inversion",
		[NK_LOCKDEP_NOT_HELD] = "unlock of a lock not held",
		[NK_LOCKDEP_TOO_DEEP] = "too many locks held",
	};

	return (unsigned)p < NK_ARRAY_SIZE(names) ? names[p] : "?";
}

void nk_lockdep_get_stats(struct nk_lockdep_stats *st)
{
	unsigned long flags = nk_arch_irq_save();

	nk_raw_spin_lock(&order_lock);
	st->pairs = order.inserted;
	st->evicted = order.evicted;
	nk_raw_spin_unlock(&order_lock);
	st->held = held[nk_cpu_id()].depth;
	nk_arch_irq_restore(flags);
}
