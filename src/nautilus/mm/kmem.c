/*
 * kmem: nk_malloc and friends. Requests up to 2 KiB come from size-class slabs carved from
 * buddy blocks, each node with its own slabs of every class; larger ones are buddy blocks of
 * their own. A small per-CPU cache (kmem_cache.c) sits in front of the slabs. Every free is
 * checked.
 */
#include <nautilus/errno.h>
#include <nautilus/numa.h>
#include <nautilus/panic.h>
#include <nautilus/printk.h>
#include <nautilus/spinlock.h>
#include <nautilus/string.h>
#include <nautilus/symbols.h>

#include "kmem.h"

#define KMEM_POISON    0x6b
#define KMEM_MAX_SMALL 2048
#define SLAB_MAGIC     0x51ab51abU
#define SLAB_MAX_OBJS  256

/*
 * A slab is a buddy block (tagged NK_PAGE_OWNER_SLAB) holding objects of one class at
 * base + i * size, with this header in its last bytes: objects then start on the block's
 * (page-aligned) base, so every object is aligned to the lowest set bit of its size, and the
 * header of an object's slab is found from the object and its class alone (a block is aligned
 * to its size). Free objects hold no links, so a stray write into a free object cannot corrupt
 * the allocator, and a double free is a bit test.
 */
struct slab {
	uint32_t magic;
	uint8_t cls;
	uint8_t node;		  /* the block's node, and the node of the class that owns it */
	uint16_t in_use;	  /* objects not free: with a caller or in a CPU cache */
	struct slab *next, *prev; /* on the class's partial list while it has a free object */
	uint64_t used[SLAB_MAX_OBJS / 64];   /* not free; changed under the class lock */
	uint64_t cached[SLAB_MAX_OBJS / 64]; /* in a CPU cache or being freed; atomic */
};

/* 16, 32, then powers of two and the points halfway between: above 32 bytes, less than a third
 * of an object is ever wasted. slab_order is chosen so that a slab holds 10 or more objects. */
static const struct {
	uint32_t size;
	uint8_t slab_order;
} sizes[] = {
	{ 16, 0 },  { 32, 0 },	{ 48, 0 },  { 64, 0 },	{ 96, 0 },   { 128, 0 },  { 192, 0 },
	{ 256, 0 }, { 384, 0 }, { 512, 1 }, { 768, 1 }, { 1024, 2 }, { 1536, 2 }, { 2048, 3 },
};
_Static_assert(NK_ARRAY_SIZE(sizes) == KMEM_CLASSES, "KMEM_CLASSES matches the size table");

/*
 * One node's slabs of one size class. Its lock is "the class lock": it protects the partial
 * list, the counters and the used bitmaps of the slabs; zone locks nest inside it.
 */
struct kmem_class {
	struct nk_spinlock lock;
	struct slab *partial; /* slabs with a free object */
	uint64_t slabs;
	uint64_t in_use; /* objects not free in these slabs: with a caller or in a CPU cache */
};

static struct kmem_class classes[NK_MAX_NODES][KMEM_CLASSES];
static uint64_t large_blocks, large_pages; /* atomic */
static uint64_t kmem_errors;		   /* atomic */

static inline size_t slab_bytes(int cls)
{
	return NK_PAGE_SIZE << sizes[cls].slab_order;
}

static inline unsigned objs_per_slab(int cls)
{
	size_t n = (slab_bytes(cls) - sizeof(struct slab)) / sizes[cls].size;

	return n < SLAB_MAX_OBJS ? n : SLAB_MAX_OBJS;
}

static inline void *slab_base(const struct slab *s)
{
	return (char *)s + sizeof(struct slab) - slab_bytes(s->cls);
}

/* The header of the slab holding obj, an object (or the block) of class cls. */
static inline struct slab *slab_of(const void *obj, int cls)
{
	uintptr_t base = (uintptr_t)obj & ~(uintptr_t)(slab_bytes(cls) - 1);

	return (struct slab *)(base + slab_bytes(cls) - sizeof(struct slab));
}

static inline size_t obj_index(const struct slab *s, const void *obj)
{
	return ((const char *)obj - (const char *)slab_base(s)) / sizes[s->cls].size;
}

static inline uint64_t obj_bit(size_t idx)
{
	return 1ULL << idx % 64;
}

/* Smallest order whose block holds npages pages. */
static unsigned pages_order(size_t npages)
{
	return npages <= 1 ? 0 : 64 - __builtin_clzll(npages - 1);
}

/* The class for size with objects aligned to align (a power of two), or -1 for none. */
static int class_for(size_t size, size_t align)
{
	if (size > KMEM_MAX_SMALL)
		return -1;
	for (int i = 0; i < KMEM_CLASSES; i++)
		if (sizes[i].size >= size && (sizes[i].size & -sizes[i].size) >= align)
			return i;
	return -1;
}

static void partial_add(struct kmem_class *c, struct slab *s)
{
	s->prev = NULL;
	s->next = c->partial;
	if (c->partial)
		c->partial->prev = s;
	c->partial = s;
}

static void partial_remove(struct kmem_class *c, struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		c->partial = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

/* A new slab on node (and nowhere else: a node's classes hold only its own memory). */
static struct slab *slab_create(struct kmem_class *c, int node, int cls)
{
	void *block = nk_zone_alloc_node(sizes[cls].slab_order, node, false, NK_PAGE_OWNER_SLAB);
	struct slab *s;

	if (!block)
		return NULL;
	s = slab_of(block, cls);
	memset(s, 0, sizeof(*s));
	s->magic = SLAB_MAGIC;
	s->cls = cls;
	s->node = node;
	if (IS_ENABLED(CONFIG_DEBUG_KMEM))
		memset(block, KMEM_POISON, (size_t)objs_per_slab(cls) * sizes[cls].size);
	c->slabs++;
	partial_add(c, s);
	return s;
}

/* A free object of c (node's class cls) marked used, and cached if for a CPU cache. */
static void *slab_take(struct kmem_class *c, int node, int cls, bool cached)
{
	struct slab *s = c->partial ? c->partial : slab_create(c, node, cls);
	unsigned w = 0, bit;

	if (!s)
		return NULL;
	while (!~s->used[w])
		w++;
	bit = __builtin_ctzll(~s->used[w]);
	s->used[w] |= 1ULL << bit;
	if (cached)
		__atomic_fetch_or(&s->cached[w], 1ULL << bit, __ATOMIC_RELAXED);
	if (++s->in_use == objs_per_slab(cls))
		partial_remove(c, s);
	c->in_use++;
	return (char *)slab_base(s) + (size_t)(w * 64 + bit) * sizes[cls].size;
}

/* Object idx of s, claimed by a free or held by a cache, becomes free; an empty slab goes. */
static void slab_put(struct kmem_class *c, struct slab *s, size_t idx)
{
	int cls = s->cls;

	s->used[idx / 64] &= ~obj_bit(idx);
	__atomic_fetch_and(&s->cached[idx / 64], ~obj_bit(idx), __ATOMIC_RELEASE);
	if (s->in_use-- == objs_per_slab(cls))
		partial_add(c, s);
	c->in_use--;
	if (!s->in_use) {
		/* At once: freeing everything (and draining the caches) restores the free pages. */
		partial_remove(c, s);
		s->magic = 0;
		c->slabs--;
		nk_zone_free(slab_base(s), NK_PAGE_OWNER_SLAB);
	}
}

unsigned kmem_take(int node, int cls, void **objs, unsigned n)
{
	struct kmem_class *c = &classes[node][cls];
	unsigned long flags = nk_spin_lock_irqsave(&c->lock);
	unsigned got = 0;

	while (got < n && (objs[got] = slab_take(c, node, cls, true)))
		got++;
	nk_spin_unlock_irqrestore(&c->lock, flags);
	return got;
}

void kmem_release(int node, int cls, void *const *objs, unsigned n)
{
	struct kmem_class *c = &classes[node][cls];
	unsigned long flags = nk_spin_lock_irqsave(&c->lock);

	for (unsigned i = 0; i < n; i++) {
		struct slab *s = slab_of(objs[i], cls);

		if (s->node != node || s->cls != cls)
			panic("kmem: object %p (class %d, node %d) on the list of class %d, node %d",
			      objs[i], s->cls, s->node, cls, node);
		slab_put(c, s, obj_index(s, objs[i]));
	}
	nk_spin_unlock_irqrestore(&c->lock, flags);
}

void kmem_unmark(int cls, void *obj)
{
	struct slab *s = slab_of(obj, cls);
	size_t idx = obj_index(s, obj);

	__atomic_fetch_and(&s->cached[idx / 64], ~obj_bit(idx), __ATOMIC_RELEASE);
}

/* One object of node's class cls, without the caches; NULL when the node has no room. */
static void *class_alloc(int node, int cls)
{
	struct kmem_class *c = &classes[node][cls];
	unsigned long flags = nk_spin_lock_irqsave(&c->lock);
	void *p = slab_take(c, node, cls, false);

	nk_spin_unlock_irqrestore(&c->lock, flags);
	return p;
}

/* The node's own slabs first, then the other nodes' in the node's order. */
static void *small_alloc(int cls, int node)
{
	void *p = class_alloc(node, cls);
	int nr;
	const int *order = nk_zone_node_order(node, &nr);

	for (int i = 0; i < nr && !p; i++)
		if (order[i] != node)
			p = class_alloc(order[i], cls);
	return p;
}

static void *large_alloc(unsigned order, int node)
{
	void *p = nk_zone_alloc_node(order, node, true, NK_PAGE_OWNER_KMEM);

	if (p) {
		__atomic_fetch_add(&large_blocks, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&large_pages, 1ULL << order, __ATOMIC_RELAXED);
	}
	return p;
}

/* Order of the block for a large request, or -1 if no block can hold it. */
static int large_order(size_t size, size_t align)
{
	if (size > NK_PAGE_SIZE << NK_MAX_ORDER || align > NK_PAGE_SIZE << NK_MAX_ORDER)
		return -1;
	return NK_MAX(pages_order(NK_ALIGN_UP(size, NK_PAGE_SIZE) >> NK_PAGE_SHIFT),
		      pages_order(align >> NK_PAGE_SHIFT));
}

/* The slab of the slab block blk and the index of p in it; NULL, or why p is no object. */
static const char *slab_lookup(const struct nk_buddy_block *blk, const void *p, struct slab **sp,
			       size_t *idx)
{
	struct slab *s = (struct slab *)((char *)blk->head + (NK_PAGE_SIZE << blk->order) -
					 sizeof(struct slab));
	size_t off = (const char *)p - (const char *)blk->head;
	unsigned size;

	if (s->magic != SLAB_MAGIC || s->cls >= KMEM_CLASSES)
		return "slab header is corrupted";
	size = sizes[s->cls].size;
	if (off % size || off / size >= objs_per_slab(s->cls))
		return "not the start of an object";
	*sp = s;
	*idx = off / size;
	return NULL;
}

/* What a free learns about p under its zone's lock. */
struct claim {
	const void *p;
	const char *why; /* NULL: p is live and now this free's to finish */
	int cls;	 /* -1: a large block */
	int node;	 /* the object's slab's node */
	unsigned order;	 /* a large block's */
};

/*
 * A free claims an object by setting its cached bit: of two frees of one object, however they
 * race, exactly one finds the bit clear. A live object has used set and cached clear; a cached
 * one has both set; a free one has neither. The zone lock held here keeps the slab from going
 * back to the zone while the bits are looked at.
 */
static void claim_object(const struct nk_buddy_block *blk, struct claim *c)
{
	struct slab *s;
	size_t idx;
	uint64_t bit;

	c->why = slab_lookup(blk, c->p, &s, &idx);
	if (c->why)
		return;
	bit = obj_bit(idx);
	if (__atomic_fetch_or(&s->cached[idx / 64], bit, __ATOMIC_ACQUIRE) & bit) {
		c->why = "object is already free (double free)";
		return;
	}
	if (!(__atomic_load_n(&s->used[idx / 64], __ATOMIC_RELAXED) & bit)) {
		__atomic_fetch_and(&s->cached[idx / 64], ~bit, __ATOMIC_RELEASE);
		c->why = "object is already free (double free)";
		return;
	}
	c->cls = s->cls;
	c->node = s->node;
}

static int claim_block(const struct nk_buddy_block *blk, void *arg)
{
	struct claim *c = arg;

	switch (blk->tag) {
	case NK_PAGE_OWNER_SLAB:
		claim_object(blk, c);
		break;
	case NK_PAGE_OWNER_KMEM:
		c->cls = -1;
		c->order = blk->order;
		if (c->p != blk->head)
			c->why = "inside a block, not its start";
		break;
	default:
		c->why = "a block from nk_page_alloc (use nk_page_free)";
	}
	return 0;
}

static void report(const char *op, const void *p, const char *why, void *caller)
{
	char sym[64];

	nk_symbol_format((uint64_t)(uintptr_t)caller, sym, sizeof(sym));
	nk_err("%s(%p) from %s ignored: %s", op, p, sym, why);
	__atomic_fetch_add(&kmem_errors, 1, __ATOMIC_RELAXED);
}

/* The zone rechecks the block: of two racing frees of one block only one gets it back. */
static void large_free(void *p, unsigned order, void *caller)
{
	if (IS_ENABLED(CONFIG_DEBUG_KMEM))
		memset(p, KMEM_POISON, NK_PAGE_SIZE << order);
	if (nk_zone_free(p, NK_PAGE_OWNER_KMEM)) {
		report("nk_free", p, "not allocated (a block already freed)", caller);
		return;
	}
	__atomic_fetch_sub(&large_blocks, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&large_pages, 1ULL << order, __ATOMIC_RELAXED);
}

static void kmem_free(void *p, void *caller)
{
	struct claim c = { .p = p, .cls = -1 };

	if (nk_zone_with_block(p, claim_block, &c))
		c.why = "not allocated (wild pointer, or a block already freed)";
	if (c.why) {
		report("nk_free", p, c.why, caller);
		return;
	}
	if (c.cls < 0) {
		large_free(p, c.order, caller);
		return;
	}
	/* The object is this free's alone now: it can be poisoned without a lock. */
	if (IS_ENABLED(CONFIG_DEBUG_KMEM))
		memset(p, KMEM_POISON, sizes[c.cls].size);
	if (!kmem_cache_free(p, c.cls, c.node))
		kmem_release(c.node, c.cls, &p, 1);
}

struct usable {
	const void *p;
	size_t n; /* 0: not a live allocation */
};

static int usable_block(const struct nk_buddy_block *blk, void *arg)
{
	struct usable *u = arg;
	struct slab *s;
	size_t idx;

	if (blk->tag == NK_PAGE_OWNER_KMEM && u->p == blk->head)
		u->n = NK_PAGE_SIZE << blk->order;
	if (blk->tag != NK_PAGE_OWNER_SLAB || slab_lookup(blk, u->p, &s, &idx))
		return 0;
	if ((s->used[idx / 64] & obj_bit(idx)) &&
	    !(__atomic_load_n(&s->cached[idx / 64], __ATOMIC_ACQUIRE) & obj_bit(idx)))
		u->n = sizes[s->cls].size;
	return 0;
}

static size_t kmem_usable(void *p, const char *op, void *caller)
{
	struct usable u = { p, 0 };

	nk_zone_with_block(p, usable_block, &u);
	if (!u.n)
		report(op, p, "not a live allocation", caller);
	return u.n;
}

/* A reused object's poison must be intact: else something wrote to it after it was freed. */
static void check_poison(const uint8_t *obj, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (obj[i] != KMEM_POISON) {
			nk_err("object %p (size %zu) written after free: byte +%zu is 0x%02x", obj,
			       size, i, obj[i]);
			__atomic_fetch_add(&kmem_errors, 1, __ATOMIC_RELAXED);
			return;
		}
	}
}

/*
 * size bytes aligned to align (a power of two) on node (or NK_NUMA_LOCAL), falling back by
 * distance. Small objects for this CPU's node come through its cache.
 */
static void *kmem_alloc(size_t size, size_t align, int node)
{
	int cls = class_for(size, align), order;
	void *p;

	if (cls < 0) {
		order = large_order(size, align);
		if (order < 0)
			return NULL;
		return large_alloc(order, node == NK_NUMA_LOCAL ? nk_numa_current_node() : node);
	}
	p = kmem_cache_alloc(cls, node);
	if (!p)
		p = small_alloc(cls, node == NK_NUMA_LOCAL ? nk_numa_current_node() : node);
	/* The object is ours now: its poison can be checked without a lock. */
	if (IS_ENABLED(CONFIG_DEBUG_KMEM) && p)
		check_poison(p, sizes[cls].size);
	return p;
}

/* A zero-byte request gets the smallest object, so NULL always means out of memory. */
void *nk_malloc(size_t size)
{
	return kmem_alloc(size, 1, NK_NUMA_LOCAL);
}

void *nk_malloc_node(size_t size, int node)
{
	node = nk_mm_node_arg(node, "nk_malloc_node", __builtin_return_address(0));
	return node < 0 ? NULL : kmem_alloc(size, 1, node);
}

void *nk_calloc(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	p = kmem_alloc(bytes, 1, NK_NUMA_LOCAL);
	if (p)
		memset(p, 0, bytes);
	return p;
}

void *nk_malloc_aligned(size_t size, size_t align)
{
	if (!align || (align & (align - 1))) {
		nk_err("nk_malloc_aligned: alignment %zu is not a power of two", align);
		return NULL;
	}
	return kmem_alloc(size, align, NK_NUMA_LOCAL);
}

void nk_free(void *p)
{
	if (p)
		kmem_free(p, __builtin_return_address(0));
}

size_t nk_malloc_usable_size(void *p)
{
	return p ? kmem_usable(p, "nk_malloc_usable_size", __builtin_return_address(0)) : 0;
}

/* What a fresh allocation of size bytes would get (0 if too large). */
static size_t rounded_size(size_t size)
{
	int cls = class_for(size, 1), order;

	if (cls >= 0)
		return sizes[cls].size;
	order = large_order(size, 1);
	return order < 0 ? 0 : NK_PAGE_SIZE << order;
}

/*
 * Grows or shrinks keeping the first min(old, new) bytes. The block stays in place while the
 * new size fits and a fresh allocation would not be under half as large; otherwise it moves,
 * to the node it was on (then by distance). On failure the old block is untouched and NULL is
 * returned.
 */
void *nk_realloc(void *p, size_t size)
{
	void *caller = __builtin_return_address(0);
	size_t usable;
	void *n;

	if (!p)
		return kmem_alloc(size, 1, NK_NUMA_LOCAL);
	if (!size) {
		kmem_free(p, caller);
		return NULL;
	}
	usable = kmem_usable(p, "nk_realloc", caller);
	if (!usable)
		return NULL;
	if (size <= usable && rounded_size(size) * 2 > usable)
		return p;
	n = kmem_alloc(size, 1, nk_node_of(p));
	if (!n)
		return NULL;
	memcpy(n, p, NK_MIN(size, usable));
	kmem_free(p, caller);
	return n;
}

int nk_kmem_class_count(void)
{
	return KMEM_CLASSES;
}

/* Objects with callers: what the slabs count as not free, minus what the caches hold. */
int nk_kmem_class_get_info(int cls, struct nk_kmem_class_info *info)
{
	int64_t in_use = 0;

	if (cls < 0 || cls >= KMEM_CLASSES)
		return -EINVAL;
	info->size = sizes[cls].size;
	info->slab_order = sizes[cls].slab_order;
	info->objs_per_slab = objs_per_slab(cls);
	info->slabs = 0;
	for (int n = 0; n < NK_MAX_NODES; n++) {
		struct kmem_class *c = &classes[n][cls];
		unsigned long flags = nk_spin_lock_irqsave(&c->lock);

		info->slabs += c->slabs;
		in_use += c->in_use;
		nk_spin_unlock_irqrestore(&c->lock, flags);
	}
	in_use -= kmem_cache_count(cls);
	info->objs_in_use = in_use > 0 ? in_use : 0;
	return 0;
}

uint64_t nk_kmem_error_count(void)
{
	return __atomic_load_n(&kmem_errors, __ATOMIC_RELAXED);
}

/* Slab pages of each node that has any. */
static void dump_nodes(void)
{
	nk_printf("  slab pages by node:");
	for (int n = 0; n < NK_MAX_NODES; n++) {
		uint64_t pages = 0;

		for (int cls = 0; cls < KMEM_CLASSES; cls++)
			pages += __atomic_load_n(&classes[n][cls].slabs, __ATOMIC_RELAXED)
				 << sizes[cls].slab_order;
		if (pages || n == 0)
			nk_printf(" %d:%llu", n, (unsigned long long)pages);
	}
	nk_printf("\n");
}

void nk_kmem_dump(void)
{
	struct nk_kmem_class_info ci;

	nk_printf("kmem size classes:\n");
	nk_printf("  %6s %6s %9s %8s %10s %14s\n", "size", "slab", "objs/slab", "slabs", "in use",
		  "bytes in use");
	for (int i = 0; i < KMEM_CLASSES; i++) {
		nk_kmem_class_get_info(i, &ci);
		nk_printf("  %6zu %5luK %9u %8llu %10llu %14llu\n", ci.size,
			  (NK_PAGE_SIZE << ci.slab_order) >> 10, ci.objs_per_slab,
			  (unsigned long long)ci.slabs, (unsigned long long)ci.objs_in_use,
			  (unsigned long long)(ci.objs_in_use * ci.size));
	}
	dump_nodes();
	nk_printf("  objects in per-CPU caches: %llu\n",
		  (unsigned long long)nk_kmem_cached_count());
	nk_printf("  large blocks: %llu (%llu pages); bad frees, writes after free: %llu\n",
		  (unsigned long long)__atomic_load_n(&large_blocks, __ATOMIC_RELAXED),
		  (unsigned long long)__atomic_load_n(&large_pages, __ATOMIC_RELAXED),
		  (unsigned long long)nk_kmem_error_count());
}
