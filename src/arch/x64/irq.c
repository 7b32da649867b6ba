/*
 * Interrupt vectors 32-255: one handler per vector, a vector allocator for drivers, and the
 * dispatch that counts every interrupt per CPU and vector (the interrupts command shows them).
 * Vectors 0x20-0x2f are where the remapped legacy PIC would deliver: its spurious IRQ 7/15 land
 * there and are counted and dropped without an EOI (the local APIC did not deliver them).
 */
#include <arch/x64/apic.h>
#include <arch/x64/arch.h>
#include <arch/x64/regs.h>
#include <nautilus/arch.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/irq.h>
#include <nautilus/printk.h>
#include <nautilus/spinlock.h>

#define PIC_FIRST 0x20
#define PIC_LAST  0x2f

struct vector {
	nk_irq_handler_t fn;
	void *arg;
	bool reserved; /* allocated or fixed: the allocator skips it */
};

static struct vector vectors[256];
static struct nk_spinlock vectors_lock = NK_SPINLOCK_INIT;

int nk_vector_set(int vector, nk_irq_handler_t handler, void *arg)
{
	unsigned long flags;
	int ret = -EBUSY;

	if (vector < 32 || vector > 255 || !handler)
		return -EINVAL;
	flags = nk_spin_lock_irqsave(&vectors_lock);
	if (!vectors[vector].fn) {
		vectors[vector].arg = arg;
		__atomic_store_n(&vectors[vector].fn, handler, __ATOMIC_RELEASE);
		vectors[vector].reserved = true;
		ret = 0;
	}
	nk_spin_unlock_irqrestore(&vectors_lock, flags);
	return ret;
}

int nk_vector_alloc(nk_irq_handler_t handler, void *arg)
{
	unsigned long flags;
	int ret = -ENOSPC;

	if (!handler)
		return -EINVAL;
	flags = nk_spin_lock_irqsave(&vectors_lock);
	for (int v = NK_VEC_FIRST_DYNAMIC; v <= NK_VEC_LAST_DYNAMIC; v++) {
		if (vectors[v].reserved)
			continue;
		vectors[v].arg = arg;
		__atomic_store_n(&vectors[v].fn, handler, __ATOMIC_RELEASE);
		vectors[v].reserved = true;
		ret = v;
		break;
	}
	nk_spin_unlock_irqrestore(&vectors_lock, flags);
	return ret;
}

void nk_vector_free(int vector)
{
	unsigned long flags;

	if (vector < 32 || vector > 255)
		return;
	flags = nk_spin_lock_irqsave(&vectors_lock);
	__atomic_store_n(&vectors[vector].fn, NULL, __ATOMIC_RELEASE);
	vectors[vector].reserved = false;
	nk_spin_unlock_irqrestore(&vectors_lock, flags);
}

nk_irq_handler_t nk_vector_handler(int vector, void **arg)
{
	if (vector < 0 || vector > 255)
		return NULL;
	if (arg)
		*arg = vectors[vector].arg;
	return __atomic_load_n(&vectors[vector].fn, __ATOMIC_ACQUIRE);
}

static void unexpected(int vector)
{
	nk_warn("cpu %d: interrupt on vector 0x%x with no handler", nk_cpu_id(), vector);
}

void nk_irq_dispatch(struct nk_regs *r)
{
	struct nk_cpu *c = nk_this_cpu();
	int v = (int)r->vector;
	nk_irq_handler_t fn;

	c->irqs++;
	c->irq_count[v]++;
	if (v == NK_VEC_SPURIOUS || (v >= PIC_FIRST && v <= PIC_LAST))
		return; /* not delivered by the local APIC as a normal interrupt: no EOI */
	c->irq_nesting++;
	fn = __atomic_load_n(&vectors[v].fn, __ATOMIC_ACQUIRE);
	if (fn)
		fn(v, vectors[v].arg);
	else
		unexpected(v);
	c->irq_nesting--;
	nk_lapic_eoi();
	if (c->need_resched)
		nk_sched_irq_exit(); /* the interrupted thread may be switched away here */
}
