/*
 * KTAP suite `lockdep`: the spinlock checker of CONFIG_DEBUG_LOCKS, through the checks its
 * panics are made of (nk_lockdep_check_lock/unlock), so nothing panics: a lock taken again by
 * its holder (every locking form), an order inversion and its history reset by
 * re-initialisation, and ownership by CPU: a lock held on another CPU is not ours to release.
 */
#include <nautilus/cpu.h>
#include <nautilus/lockdep.h>
#include <nautilus/sched.h>
#include <nautilus/spinlock.h>
#include <nautilus/string.h>
#include <nautilus/test.h>
#include <nautilus/thread.h>
#include <nautilus/time.h>

#define WAIT_MAX_NS 5000000000ULL /* the holder thread not holding by then: a failure */

NK_TEST(lockdep, recursion_and_ownership)
{
	struct nk_spinlock a;
	unsigned long flags;

	nk_spin_init(&a);
	NK_EXPECT_EQ(nk_lockdep_check_lock(&a), NK_LOCKDEP_OK);
	NK_EXPECT_EQ(nk_lockdep_check_unlock(&a), NK_LOCKDEP_NOT_HELD);
	nk_spin_lock(&a);
	NK_EXPECT_EQ(nk_lockdep_check_lock(&a), NK_LOCKDEP_RECURSIVE);
	NK_EXPECT_EQ(nk_lockdep_check_unlock(&a), NK_LOCKDEP_OK);
	nk_spin_unlock(&a);
	flags = nk_spin_lock_irqsave(&a);
	NK_EXPECT_EQ(nk_lockdep_check_lock(&a), NK_LOCKDEP_RECURSIVE);
	nk_spin_unlock_irqrestore(&a, flags);
	NK_EXPECT(nk_spin_trylock(&a));
	NK_EXPECT_EQ(nk_lockdep_check_lock(&a), NK_LOCKDEP_RECURSIVE);
	nk_spin_unlock(&a);
	NK_EXPECT_EQ(nk_lockdep_check_unlock(&a), NK_LOCKDEP_NOT_HELD);
}

NK_TEST(lockdep, order_inversion)
{
	struct nk_spinlock a, b;
	struct nk_lockdep_stats before, during;

	nk_spin_init(&a);
	nk_spin_init(&b);
	nk_lockdep_get_stats(&before);
	nk_spin_lock(&a);
	nk_spin_lock(&b); /* records "b while a held" */
	nk_lockdep_get_stats(&during);
	nk_spin_unlock(&b);
	nk_spin_unlock(&a);
	NK_EXPECT_EQ(before.held, 0);
	NK_EXPECT_EQ(during.held, 2);
	NK_EXPECT_GE(during.pairs, before.pairs + 1);
	nk_test_diag("lock orders recorded since boot: %u, of them forgotten: %u", during.pairs,
		     during.evicted);
	nk_spin_lock(&a);
	NK_EXPECT_EQ(nk_lockdep_check_lock(&b), NK_LOCKDEP_OK);
	nk_spin_unlock(&a);
	nk_spin_lock(&b);
	NK_EXPECT_EQ(nk_lockdep_check_lock(&a), NK_LOCKDEP_INVERSION);
	nk_spin_unlock(&b);
	/* Re-initialised (as memory reused for another lock would be): no history. */
	nk_spin_init(&a);
	nk_spin_lock(&b);
	NK_EXPECT_EQ(nk_lockdep_check_lock(&a), NK_LOCKDEP_OK);
	nk_spin_unlock(&b);
}

struct holder {
	struct nk_spinlock lock;
	volatile int held, release;
};

/* Hold the lock on this CPU (preemption off) until told to release it. */
static void hold_lock(void *in, void **out)
{
	struct holder *h = in;

	nk_spin_lock(&h->lock);
	__atomic_store_n(&h->held, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&h->release, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	nk_spin_unlock(&h->lock);
}

NK_TEST(lockdep, owner_is_a_cpu)
{
	static struct holder h;
	nk_thread_id_t tid;

	if (nk_cpu_online_count() < 2)
		NK_SKIP("needs two CPUs");
	memset(&h, 0, sizeof(h));
	nk_spin_init(&h.lock);
	NK_ASSERT_EQ(nk_thread_start(hold_lock, &h, NULL, 0, 0, &tid, 1), 0);
	NK_EXPECT(nk_test_wait_ge(&h.held, 1, nk_time_ns() + WAIT_MAX_NS));
	nk_preempt_disable();
	NK_EXPECT_NE(nk_cpu_id(), 1); /* CPU 1 spins with preemption off */
	NK_EXPECT_EQ(nk_lockdep_check_unlock(&h.lock), NK_LOCKDEP_NOT_HELD);
	NK_EXPECT_EQ(nk_lockdep_check_lock(&h.lock), NK_LOCKDEP_OK);
	nk_preempt_enable();
	__atomic_store_n(&h.release, 1, __ATOMIC_RELEASE);
	NK_EXPECT_EQ(nk_thread_join(tid, NULL), 0);
}
