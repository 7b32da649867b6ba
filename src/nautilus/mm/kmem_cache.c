/*
 * Per-CPU caches of free kmem objects: a short stack per size class per CPU, so that most
 * nk_malloc/nk_free pairs on one CPU take only that CPU's cache lock and never the class lock
 * shared with the other CPUs of the node. Any CPU may drain any cache (nk_kmem_drain_all).
 */
#include <nautilus/cpu.h>
#include <nautilus/numa.h>
#include <nautilus/spinlock.h>

#include "kmem.h"

/*
 * CACHE_OBJS objects per class: a loop that allocates and frees a few objects stays in the
 * cache, while what a cache can keep from the slabs stays small (at most 16 objects of 2 KiB).
 * A cache refills and spills CACHE_BATCH objects at a time, so the class lock is taken once per
 * batch, not per object.
 */
#define CACHE_OBJS  16
#define CACHE_BATCH 8

/*
 * One CPU's cache. Touched with interrupts off (an interrupt handler may allocate) and under
 * its lock (another CPU may drain it). Every object held is of `node`: the CPU's node when it
 * was filled; if the CPU's node changes, the cache is emptied first.
 */
struct cpu_cache {
	struct nk_spinlock lock;
	int node;
	struct {
		unsigned n;
		void *obj[CACHE_OBJS]; /* a stack: the most recently freed object on top */
	} stack[KMEM_CLASSES];
};

/* Indexed by CPU id; static so that a CPU needs no set-up before its first nk_malloc. */
static struct cpu_cache caches[NK_MAX_CPUS];

static void flush_locked(struct cpu_cache *cc)
{
	for (int cls = 0; cls < KMEM_CLASSES; cls++) {
		if (!cc->stack[cls].n)
			continue;
		kmem_release(cc->node, cls, cc->stack[cls].obj, cc->stack[cls].n);
		__atomic_store_n(&cc->stack[cls].n, 0, __ATOMIC_RELAXED);
	}
}

/* This CPU's cache, locked, with interrupts off, if the CPU is on node (or node is local). */
static struct cpu_cache *cache_lock(int node, unsigned long *flags)
{
	struct cpu_cache *cc;
	int here;

	*flags = nk_arch_irq_save();
	cc = &caches[nk_mm_this_cpu(&here)];
	if (node != NK_NUMA_LOCAL && node != here) {
		nk_arch_irq_restore(*flags);
		return NULL;
	}
	nk_spin_lock(&cc->lock);
	if (cc->node != here) {
		flush_locked(cc);
		cc->node = here;
	}
	return cc;
}

static void cache_unlock(struct cpu_cache *cc, unsigned long flags)
{
	nk_spin_unlock(&cc->lock);
	nk_arch_irq_restore(flags);
}

void *kmem_cache_alloc(int cls, int node)
{
	unsigned long flags;
	struct cpu_cache *cc = cache_lock(node, &flags);
	void *p = NULL;
	unsigned n;

	if (!cc)
		return NULL;
	n = cc->stack[cls].n;
	if (!n)
		n = kmem_take(cc->node, cls, cc->stack[cls].obj, CACHE_BATCH);
	if (n) {
		p = cc->stack[cls].obj[--n];
		kmem_unmark(cls, p);
	}
	__atomic_store_n(&cc->stack[cls].n, n, __ATOMIC_RELAXED);
	cache_unlock(cc, flags);
	return p;
}

/* A full stack gives its oldest CACHE_BATCH objects back and keeps the recent ones. */
static void spill(struct cpu_cache *cc, int cls)
{
	void **obj = cc->stack[cls].obj;

	kmem_release(cc->node, cls, obj, CACHE_BATCH);
	for (unsigned i = CACHE_BATCH; i < CACHE_OBJS; i++)
		obj[i - CACHE_BATCH] = obj[i];
	__atomic_store_n(&cc->stack[cls].n, CACHE_OBJS - CACHE_BATCH, __ATOMIC_RELAXED);
}

bool kmem_cache_free(void *obj, int cls, int node)
{
	unsigned long flags;
	struct cpu_cache *cc = cache_lock(node, &flags);

	if (!cc)
		return false;
	if (cc->stack[cls].n == CACHE_OBJS)
		spill(cc, cls);
	cc->stack[cls].obj[cc->stack[cls].n] = obj;
	__atomic_store_n(&cc->stack[cls].n, cc->stack[cls].n + 1, __ATOMIC_RELAXED);
	cache_unlock(cc, flags);
	return true;
}

void nk_kmem_drain_all(void)
{
	for (int i = 0; i < NK_MAX_CPUS; i++) {
		unsigned long flags = nk_spin_lock_irqsave(&caches[i].lock);

		flush_locked(&caches[i]);
		nk_spin_unlock_irqrestore(&caches[i].lock, flags);
	}
}

uint64_t kmem_cache_count(int cls)
{
	uint64_t n = 0;

	for (int i = 0; i < NK_MAX_CPUS; i++)
		n += __atomic_load_n(&caches[i].stack[cls].n, __ATOMIC_RELAXED);
	return n;
}

uint64_t nk_kmem_cached_count(void)
{
	uint64_t n = 0;

	for (int cls = 0; cls < KMEM_CLASSES; cls++)
		n += kmem_cache_count(cls);
	return n;
}
