/*
 * kmem: nk_malloc and friends. Requests up to 2 KiB come from size-class slabs carved from
 * buddy blocks; larger ones are buddy blocks of their own. Every free is checked.
 */
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/spinlock.h>
#include <nautilus/string.h>
#include <nautilus/symbols.h>

#include "mm_internal.h"

#define KMEM_POISON   0x6b
#define SLAB_MAGIC    0x51ab51abU
#define SLAB_MAX_OBJS 256

/*
 * A slab is a buddy block (tagged NK_PAGE_OWNER_SLAB) holding objects of one class at
 * base + i * size, with this header in its last bytes: objects then start on the block's
 * (page-aligned) base, so every object is aligned to the lowest set bit of its size. The bitmap
 * says which objects are allocated; free objects hold no links, so a stray write into a free
 * object cannot corrupt the allocator, and a double free is one bit test.
 */
struct slab {
	uint32_t magic;
	uint16_t cls;
	uint16_t in_use;
	struct slab *next, *prev; /* on the class's partial list while it has a free object */
	uint64_t used[SLAB_MAX_OBJS / 64];
};

struct kmem_class {
	uint32_t size;
	uint8_t slab_order; /* chosen so that a slab holds 10 or more objects */
	struct slab *partial;
	uint64_t slabs;
	uint64_t in_use;
};

/* 16, 32, then powers of two and the points halfway between: above 32 bytes, less than a third
 * of an object is ever wasted. */
static struct kmem_class classes[] = {
	{ .size = 16 },
	{ .size = 32 },
	{ .size = 48 },
	{ .size = 64 },
	{ .size = 96 },
	{ .size = 128 },
	{ .size = 192 },
	{ .size = 256 },
	{ .size = 384 },
	{ .size = 512, .slab_order = 1 },
	{ .size = 768, .slab_order = 1 },
	{ .size = 1024, .slab_order = 2 },
	{ .size = 1536, .slab_order = 2 },
	{ .size = 2048, .slab_order = 3 },
};
#define NR_CLASSES     ((int)NK_ARRAY_SIZE(classes))
#define KMEM_MAX_SMALL 2048

/* kmem_lock protects the classes, the slabs and the counters; zone locks nest inside it. */
static struct nk_spinlock kmem_lock = NK_SPINLOCK_INIT;
static uint64_t large_blocks, large_pages;
static uint64_t kmem_errors;

static inline size_t slab_bytes(const struct kmem_class *c)
{
	return NK_PAGE_SIZE << c->slab_order;
}

static inline struct slab *slab_header(void *block, const struct kmem_class *c)
{
	return (struct slab *)((char *)block + slab_bytes(c) - sizeof(struct slab));
}

static inline unsigned objs_per_slab(const struct kmem_class *c)
{
	size_t n = (slab_bytes(c) - sizeof(struct slab)) / c->size;

	return n < SLAB_MAX_OBJS ? n : SLAB_MAX_OBJS;
}

static inline void *slab_base(struct slab *s, const struct kmem_class *c)
{
	return (char *)s + sizeof(struct slab) - slab_bytes(c);
}

/* Smallest order whose block holds npages pages. */
static unsigned pages_order(size_t npages)
{
	return npages <= 1 ? 0 : 64 - __builtin_clzll(npages - 1);
}

/* The class for size with objects aligned to align (a power of two), or -1 for none. */
static int class_for(size_t size, size_t align)
{
	for (int i = 0; i < NR_CLASSES; i++)
		if (classes[i].size >= size && (classes[i].size & -classes[i].size) >= align)
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

static struct slab *slab_create(int cls)
{
	struct kmem_class *c = &classes[cls];
	void *block = nk_zone_alloc(c->slab_order, -1, NK_PAGE_OWNER_SLAB);
	struct slab *s;

	if (!block)
		return NULL;
	s = slab_header(block, c);
	memset(s, 0, sizeof(*s));
	s->magic = SLAB_MAGIC;
	s->cls = cls;
	if (IS_ENABLED(CONFIG_DEBUG_KMEM))
		memset(block, KMEM_POISON, (size_t)objs_per_slab(c) * c->size);
	c->slabs++;
	partial_add(c, s);
	return s;
}

static void *slab_alloc(int cls)
{
	struct kmem_class *c = &classes[cls];
	struct slab *s = c->partial ? c->partial : slab_create(cls);
	unsigned w = 0, bit;

	if (!s)
		return NULL;
	while (!~s->used[w])
		w++;
	bit = __builtin_ctzll(~s->used[w]);
	s->used[w] |= 1ULL << bit;
	if (++s->in_use == objs_per_slab(c))
		partial_remove(c, s);
	c->in_use++;
	return (char *)slab_base(s, c) + (size_t)(w * 64 + bit) * c->size;
}

static inline bool obj_used(const struct slab *s, size_t idx)
{
	return s->used[idx / 64] & (1ULL << idx % 64);
}

/* The slab of the slab block blk and the index of p in it; NULL, or why p is no object. */
static const char *slab_lookup(const struct nk_buddy_block *blk, const void *p, struct slab **sp,
			       size_t *idx)
{
	struct slab *s = (struct slab *)((char *)blk->head + (NK_PAGE_SIZE << blk->order) -
					 sizeof(struct slab));
	size_t off = (const char *)p - (const char *)blk->head;
	const struct kmem_class *c;

	if (s->magic != SLAB_MAGIC || s->cls >= NR_CLASSES)
		return "slab header is corrupted";
	c = &classes[s->cls];
	if (off % c->size || off / c->size >= objs_per_slab(c))
		return "not the start of an object";
	*sp = s;
	*idx = off / c->size;
	return NULL;
}

/* Free an object of the slab in block; NULL on success, else why p is not a live object. */
static const char *slab_free(struct nk_buddy_block *blk, void *p)
{
	const char *why;
	struct kmem_class *c;
	struct slab *s;
	size_t idx;

	why = slab_lookup(blk, p, &s, &idx);
	if (why)
		return why;
	if (!obj_used(s, idx))
		return "object is already free (double free)";
	c = &classes[s->cls];
	s->used[idx / 64] &= ~(1ULL << idx % 64);
	if (IS_ENABLED(CONFIG_DEBUG_KMEM))
		memset(p, KMEM_POISON, c->size);
	if (s->in_use-- == objs_per_slab(c))
		partial_add(c, s);
	c->in_use--;
	if (!s->in_use) {
		/* An empty slab goes back at once: freeing everything restores the free pages. */
		partial_remove(c, s);
		s->magic = 0;
		c->slabs--;
		nk_zone_free(blk->head, NK_PAGE_OWNER_SLAB);
	}
	return NULL;
}

static void *large_alloc(unsigned order)
{
	void *p = nk_zone_alloc(order, -1, NK_PAGE_OWNER_KMEM);

	if (p) {
		large_blocks++;
		large_pages += 1ULL << order;
	}
	return p;
}

static const char *large_free(struct nk_buddy_block *blk, void *p)
{
	if (p != blk->head)
		return "inside a block, not its start";
	if (IS_ENABLED(CONFIG_DEBUG_KMEM))
		memset(p, KMEM_POISON, NK_PAGE_SIZE << blk->order);
	large_blocks--;
	large_pages -= 1ULL << blk->order;
	nk_zone_free(p, NK_PAGE_OWNER_KMEM);
	return NULL;
}

/* Free p under kmem_lock: NULL on success, else why p is not a live allocation. */
static const char *free_locked(void *p)
{
	struct nk_buddy_block blk;

	if (nk_zone_find(p, &blk))
		return "not allocated (wild pointer, or a block already freed)";
	switch (blk.tag) {
	case NK_PAGE_OWNER_SLAB:
		return slab_free(&blk, p);
	case NK_PAGE_OWNER_KMEM:
		return large_free(&blk, p);
	default:
		return "a block from nk_page_alloc (use nk_page_free)";
	}
}

/* Usable bytes at p under kmem_lock, 0 if p is not a live allocation. */
static size_t usable_locked(void *p)
{
	struct nk_buddy_block blk;
	struct slab *s;
	size_t idx;

	if (nk_zone_find(p, &blk))
		return 0;
	if (blk.tag == NK_PAGE_OWNER_KMEM)
		return p == blk.head ? NK_PAGE_SIZE << blk.order : 0;
	if (blk.tag != NK_PAGE_OWNER_SLAB || slab_lookup(&blk, p, &s, &idx) || !obj_used(s, idx))
		return 0;
	return classes[s->cls].size;
}

static void report(const char *op, const void *p, const char *why, void *caller)
{
	char sym[64];

	nk_symbol_format((uint64_t)(uintptr_t)caller, sym, sizeof(sym));
	nk_err("%s(%p) from %s ignored: %s", op, p, sym, why);
	__atomic_fetch_add(&kmem_errors, 1, __ATOMIC_RELAXED);
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

/* size bytes aligned to align (a power of two); the lock is taken here, never by callers. */
static void *kmem_alloc(size_t size, size_t align)
{
	int cls = size <= KMEM_MAX_SMALL ? class_for(size, align) : -1;
	unsigned long flags;
	unsigned order = 0;
	void *p;

	if (cls < 0) {
		if (size > NK_PAGE_SIZE << NK_MAX_ORDER || align > NK_PAGE_SIZE << NK_MAX_ORDER)
			return NULL;
		order = NK_MAX(pages_order(NK_ALIGN_UP(size, NK_PAGE_SIZE) >> NK_PAGE_SHIFT),
			       pages_order(align >> NK_PAGE_SHIFT));
	}
	flags = nk_spin_lock_irqsave(&kmem_lock);
	p = cls >= 0 ? slab_alloc(cls) : large_alloc(order);
	nk_spin_unlock_irqrestore(&kmem_lock, flags);
	/* The object is ours now: its poison can be checked without the lock. */
	if (IS_ENABLED(CONFIG_DEBUG_KMEM) && p && cls >= 0)
		check_poison(p, classes[cls].size);
	return p;
}

static void kmem_free(void *p, void *caller)
{
	unsigned long flags;
	const char *why;

	flags = nk_spin_lock_irqsave(&kmem_lock);
	why = free_locked(p);
	nk_spin_unlock_irqrestore(&kmem_lock, flags);
	if (why)
		report("nk_free", p, why, caller);
}

static size_t kmem_usable(void *p, const char *op, void *caller)
{
	unsigned long flags = nk_spin_lock_irqsave(&kmem_lock);
	size_t n = usable_locked(p);

	nk_spin_unlock_irqrestore(&kmem_lock, flags);
	if (!n)
		report(op, p, "not a live allocation", caller);
	return n;
}

/* A zero-byte request gets the smallest object, so NULL always means out of memory. */
void *nk_malloc(size_t size)
{
	return kmem_alloc(size, 1);
}

void *nk_calloc(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	p = kmem_alloc(bytes, 1);
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
	return kmem_alloc(size, align);
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
	int cls = size <= KMEM_MAX_SMALL ? class_for(size, 1) : -1;

	if (cls >= 0)
		return classes[cls].size;
	if (size > NK_PAGE_SIZE << NK_MAX_ORDER)
		return 0;
	return NK_PAGE_SIZE << pages_order(NK_ALIGN_UP(size, NK_PAGE_SIZE) >> NK_PAGE_SHIFT);
}

/*
 * Grows or shrinks keeping the first min(old, new) bytes. The block stays in place while the
 * new size fits and a fresh allocation would not be under half as large; otherwise it moves.
 * On failure the old block is untouched and NULL is returned.
 */
void *nk_realloc(void *p, size_t size)
{
	void *caller = __builtin_return_address(0);
	size_t usable;
	void *n;

	if (!p)
		return kmem_alloc(size, 1);
	if (!size) {
		kmem_free(p, caller);
		return NULL;
	}
	usable = kmem_usable(p, "nk_realloc", caller);
	if (!usable)
		return NULL;
	if (size <= usable && rounded_size(size) * 2 > usable)
		return p;
	n = kmem_alloc(size, 1);
	if (!n)
		return NULL;
	memcpy(n, p, NK_MIN(size, usable));
	kmem_free(p, caller);
	return n;
}

int nk_kmem_class_count(void)
{
	return NR_CLASSES;
}

int nk_kmem_class_get_info(int cls, struct nk_kmem_class_info *info)
{
	unsigned long flags;

	if (cls < 0 || cls >= NR_CLASSES)
		return -EINVAL;
	flags = nk_spin_lock_irqsave(&kmem_lock);
	info->size = classes[cls].size;
	info->slab_order = classes[cls].slab_order;
	info->objs_per_slab = objs_per_slab(&classes[cls]);
	info->slabs = classes[cls].slabs;
	info->objs_in_use = classes[cls].in_use;
	nk_spin_unlock_irqrestore(&kmem_lock, flags);
	return 0;
}

uint64_t nk_kmem_error_count(void)
{
	return __atomic_load_n(&kmem_errors, __ATOMIC_RELAXED);
}

void nk_kmem_dump(void)
{
	struct nk_kmem_class_info ci;
	unsigned long flags;
	uint64_t blocks, pages;

	nk_printf("kmem size classes:\n");
	nk_printf("  %6s %6s %9s %8s %10s %14s\n", "size", "slab", "objs/slab", "slabs", "in use",
		  "bytes in use");
	for (int i = 0; i < NR_CLASSES; i++) {
		nk_kmem_class_get_info(i, &ci);
		nk_printf("  %6zu %5luK %9u %8llu %10llu %14llu\n", ci.size,
			  (NK_PAGE_SIZE << ci.slab_order) >> 10, ci.objs_per_slab,
			  (unsigned long long)ci.slabs, (unsigned long long)ci.objs_in_use,
			  (unsigned long long)(ci.objs_in_use * ci.size));
	}
	flags = nk_spin_lock_irqsave(&kmem_lock);
	blocks = large_blocks;
	pages = large_pages;
	nk_spin_unlock_irqrestore(&kmem_lock, flags);
	nk_printf("  large blocks: %llu (%llu pages); bad frees, writes after free: %llu\n",
		  (unsigned long long)blocks, (unsigned long long)pages,
		  (unsigned long long)nk_kmem_error_count());
}
