/*
 * Ticket spinlocks: FIFO among waiters, PAUSE while spinning (under QEMU icount that is what
 * lets another vCPU run). nk_spin_lock keeps the holder on its CPU (preemption off until the
 * unlock); the _irqsave forms also disable interrupts. The nk_raw_ forms do neither: for the
 * scheduler's own run queue locks and code that runs before threads exist.
 *
 * With CONFIG_DEBUG_LOCKS the checked (non-raw) forms also verify ownership and lock order
 * (include/nautilus/lockdep.h); the raw forms never do, so a lock is taken and released with
 * forms of one kind.
 */
#ifndef NK_NAUTILUS_SPINLOCK_H
#define NK_NAUTILUS_SPINLOCK_H

#include <nautilus/compiler.h>
#include <nautilus/lockdep.h>
#include <nautilus/types.h>

struct nk_spinlock {
	volatile uint16_t next;
	volatile uint16_t owner;
#ifdef CONFIG_DEBUG_LOCKS
	int holder;   /* id + 1 of the CPU holding it through the checked forms, 0: none */
	uint32_t key; /* lockdep's name for this initialisation, 0 until first taken */
#endif
};

#define NK_SPINLOCK_INIT               \
	{                              \
		.next = 0, .owner = 0, \
	}

static inline void nk_spin_init(struct nk_spinlock *l)
{
	l->next = 0;
	l->owner = 0;
	if (IS_ENABLED(CONFIG_DEBUG_LOCKS))
		nk_lockdep_init(l);
}

static inline void nk_raw_spin_lock(struct nk_spinlock *l)
{
	uint16_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		__builtin_ia32_pause();
}

/* Take l only if nobody holds or waits for it. */
static inline bool nk_raw_spin_trylock(struct nk_spinlock *l)
{
	uint16_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	uint16_t expect = owner;

	return __atomic_compare_exchange_n(&l->next, &expect, (uint16_t)(owner + 1), false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void nk_raw_spin_unlock(struct nk_spinlock *l)
{
	__atomic_store_n(&l->owner, (uint16_t)(l->owner + 1), __ATOMIC_RELEASE);
}

static inline bool nk_spin_is_locked(const struct nk_spinlock *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->next, __ATOMIC_RELAXED);
}

unsigned long nk_arch_irq_save(void);
void nk_arch_irq_restore(unsigned long flags);
void nk_preempt_disable(void);
void nk_preempt_enable(void);

static inline void nk_spin_lock(struct nk_spinlock *l)
{
	nk_preempt_disable();
	if (IS_ENABLED(CONFIG_DEBUG_LOCKS))
		nk_lockdep_acquire(l);
	nk_raw_spin_lock(l);
	if (IS_ENABLED(CONFIG_DEBUG_LOCKS))
		nk_lockdep_acquired(l);
}

static inline bool nk_spin_trylock(struct nk_spinlock *l)
{
	nk_preempt_disable();
	if (nk_raw_spin_trylock(l)) {
		if (IS_ENABLED(CONFIG_DEBUG_LOCKS))
			nk_lockdep_trylocked(l);
		return true;
	}
	nk_preempt_enable();
	return false;
}

static inline void nk_spin_unlock(struct nk_spinlock *l)
{
	if (IS_ENABLED(CONFIG_DEBUG_LOCKS))
		nk_lockdep_release(l);
	nk_raw_spin_unlock(l);
	nk_preempt_enable();
}

static inline unsigned long nk_spin_lock_irqsave(struct nk_spinlock *l)
{
	unsigned long flags = nk_arch_irq_save();

	nk_spin_lock(l);
	return flags;
}

static inline void nk_spin_unlock_irqrestore(struct nk_spinlock *l, unsigned long flags)
{
	if (IS_ENABLED(CONFIG_DEBUG_LOCKS))
		nk_lockdep_release(l);
	nk_raw_spin_unlock(l);
	nk_arch_irq_restore(flags);
	nk_preempt_enable();
}

#endif
