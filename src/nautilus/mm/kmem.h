/*
 * Between the two halves of kmem (private to mm/): the per-node size-class slabs (kmem.c) and
 * the per-CPU caches of free objects in front of them (kmem_cache.c). A class is named by its
 * index, 0..KMEM_CLASSES-1. Locks nest in one order only: a CPU's cache lock, then a class
 * lock (one per node and class), then a zone lock; a free checks its pointer under the zone
 * lock alone, before taking any other.
 */
#ifndef NK_MM_KMEM_H
#define NK_MM_KMEM_H

#include <nautilus/types.h>

#include "mm_internal.h"

#define KMEM_CLASSES 14

/* --- kmem.c, for the caches --- */

/*
 * Up to n free objects of node's class cls (that node's memory only, never another node's),
 * marked cached: a free of one of them now is a double free. Returns how many, 0 if the node
 * has no room.
 */
unsigned kmem_take(int node, int cls, void **objs, unsigned n);
/* Objects of node's class cls, held by a cache or claimed by a free, back to their slabs. */
void kmem_release(int node, int cls, void *const *objs, unsigned n);
/* A cached object goes to a caller: clear its cached mark. */
void kmem_unmark(int cls, void *obj);

/* --- kmem_cache.c, for kmem.c --- */

/*
 * An object of class cls from this CPU's cache, if node is NK_NUMA_LOCAL or this CPU's node
 * (refilled from that node's slabs when empty); NULL otherwise or when the node is full.
 */
void *kmem_cache_alloc(int cls, int node);
/*
 * Keep obj (claimed, poisoned) in this CPU's cache if it is of this CPU's node: true; false
 * when the caller must release it to its slab.
 */
bool kmem_cache_free(void *obj, int cls, int node);
/* Objects of class cls in all caches (a racy sum: for statistics). */
uint64_t kmem_cache_count(int cls);

#endif
