/*
 * Ticket spinlocks. One CPU runs today, but every shared structure takes its lock already so
 * that SMP (next issue) changes no caller. The _irqsave forms also disable interrupts.
 */
#ifndef NK_NAUTILUS_SPINLOCK_H
#define NK_NAUTILUS_SPINLOCK_H

#include <nautilus/types.h>

struct nk_spinlock {
	volatile uint16_t next;
	volatile uint16_t owner;
};

#define NK_SPINLOCK_INIT \
	{                \
		0, 0     \
	}

static inline void nk_spin_init(struct nk_spinlock *l)
{
	l->next = 0;
	l->owner = 0;
}

static inline void nk_spin_lock(struct nk_spinlock *l)
{
	uint16_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		__builtin_ia32_pause();
}

static inline void nk_spin_unlock(struct nk_spinlock *l)
{
	__atomic_store_n(&l->owner, (uint16_t)(l->owner + 1), __ATOMIC_RELEASE);
}

unsigned long nk_arch_irq_save(void);
void nk_arch_irq_restore(unsigned long flags);

static inline unsigned long nk_spin_lock_irqsave(struct nk_spinlock *l)
{
	unsigned long flags = nk_arch_irq_save();

	nk_spin_lock(l);
	return flags;
}

static inline void nk_spin_unlock_irqrestore(struct nk_spinlock *l, unsigned long flags)
{
	nk_spin_unlock(l);
	nk_arch_irq_restore(flags);
}

#endif
