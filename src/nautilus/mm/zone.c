/*
 * Zones: the table of page allocators, one buddy allocator per zone, each behind its own lock.
 * The public page API (nk_page_alloc/nk_page_free) picks the zone by hint or by address.
 */
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/spinlock.h>
#include <nautilus/symbols.h>

#include "mm_internal.h"

struct nk_zone {
	int id;
	int node;
	struct nk_spinlock lock; /* protects buddy */
	struct nk_buddy buddy;
};

/*
 * Zones are added at boot and never removed. A zone is complete before nr_zones is raised
 * (release store), so readers may walk zones[0..nr_zones) without the table lock.
 */
static struct nk_zone zones[NK_MAX_ZONES];
static int nr_zones;
static struct nk_spinlock table_lock = NK_SPINLOCK_INIT;

static inline int zone_count(void)
{
	return __atomic_load_n(&nr_zones, __ATOMIC_ACQUIRE);
}

static struct nk_zone *zone_of(const void *p)
{
	int n = zone_count();

	for (int i = 0; i < n; i++)
		if (nk_buddy_contains(&zones[i].buddy, p))
			return &zones[i];
	return NULL;
}

static bool overlaps_zone(uintptr_t base, uint64_t npages)
{
	uintptr_t end = base + (npages << NK_PAGE_SHIFT);
	int n = zone_count();

	for (int i = 0; i < n; i++) {
		const struct nk_buddy *b = &zones[i].buddy;

		if (base < b->base + (b->npages << NK_PAGE_SHIFT) && b->base < end)
			return true;
	}
	return false;
}

int nk_zone_add(uintptr_t base, uint64_t npages, int node, uint8_t *meta)
{
	struct nk_zone *z;
	int ret, id;

	if (!npages || npages > (UINTPTR_MAX - base) >> NK_PAGE_SHIFT)
		return -EINVAL;
	nk_spin_lock(&table_lock);
	id = nr_zones;
	ret = -ENOSPC;
	if (id == NK_MAX_ZONES)
		goto out;
	ret = -EINVAL;
	if (overlaps_zone(base, npages))
		goto out;
	z = &zones[id];
	ret = nk_buddy_init(&z->buddy, base, npages, meta);
	if (ret)
		goto out;
	z->id = id;
	z->node = node;
	nk_spin_init(&z->lock);
	__atomic_store_n(&nr_zones, id + 1, __ATOMIC_RELEASE);
	ret = id;
out:
	nk_spin_unlock(&table_lock);
	return ret;
}

int nk_zone_add_free(uintptr_t base, uint64_t npages)
{
	struct nk_zone *z = zone_of((void *)base);
	unsigned long flags;
	int ret;

	if (!z)
		return -ENOENT;
	flags = nk_spin_lock_irqsave(&z->lock);
	ret = nk_buddy_add_range(&z->buddy, base, npages);
	nk_spin_unlock_irqrestore(&z->lock, flags);
	return ret;
}

static void *alloc_in(struct nk_zone *z, unsigned order, enum nk_page_owner owner)
{
	unsigned long flags = nk_spin_lock_irqsave(&z->lock);
	void *p = nk_buddy_alloc(&z->buddy, order, owner);

	nk_spin_unlock_irqrestore(&z->lock, flags);
	return p;
}

/* The hinted zone first, then the others in id order (by NUMA distance once zones are nodes). */
void *nk_zone_alloc(unsigned order, int zone_hint, enum nk_page_owner owner)
{
	int n = zone_count();
	void *p = NULL;

	if (order > NK_MAX_ORDER)
		return NULL;
	if (zone_hint >= 0 && zone_hint < n)
		p = alloc_in(&zones[zone_hint], order, owner);
	for (int i = 0; i < n && !p; i++)
		if (i != zone_hint)
			p = alloc_in(&zones[i], order, owner);
	return p;
}

int nk_zone_free(void *addr, enum nk_page_owner owner)
{
	struct nk_zone *z = zone_of(addr);
	struct nk_buddy_block blk;
	unsigned long flags;
	int ret;

	if (!z)
		return -ENOENT;
	flags = nk_spin_lock_irqsave(&z->lock);
	if (!nk_buddy_find(&z->buddy, addr, &blk) && blk.head == addr && blk.tag != owner) {
		nk_err("cannot free %p: block is owned by %s", addr,
		       blk.tag == NK_PAGE_OWNER_PAGE ? "nk_page_alloc" : "kmem (use nk_free)");
		ret = -EINVAL;
	} else {
		ret = nk_buddy_free(&z->buddy, addr);
	}
	nk_spin_unlock_irqrestore(&z->lock, flags);
	return ret;
}

int nk_zone_find(const void *p, struct nk_buddy_block *blk)
{
	struct nk_zone *z = zone_of(p);
	unsigned long flags;
	int ret;

	if (!z)
		return -ENOENT;
	flags = nk_spin_lock_irqsave(&z->lock);
	ret = nk_buddy_find(&z->buddy, p, blk);
	nk_spin_unlock_irqrestore(&z->lock, flags);
	return ret;
}

int nk_zone_stats(int zone, struct nk_buddy_stats *st)
{
	struct nk_zone *z;
	unsigned long flags;

	if (zone < 0 || zone >= zone_count())
		return -EINVAL;
	z = &zones[zone];
	flags = nk_spin_lock_irqsave(&z->lock);
	nk_buddy_stats(&z->buddy, st);
	nk_spin_unlock_irqrestore(&z->lock, flags);
	return 0;
}

void *nk_page_alloc(unsigned order, int zone_hint)
{
	return nk_zone_alloc(order, zone_hint, NK_PAGE_OWNER_PAGE);
}

void nk_page_free(void *addr)
{
	char caller[64];
	int ret;

	if (!addr)
		return;
	ret = nk_zone_free(addr, NK_PAGE_OWNER_PAGE);
	if (!ret)
		return;
	/* -EINVAL: nk_zone_free has already said what was wrong; this line says who did it. */
	nk_symbol_format((uint64_t)(uintptr_t)__builtin_return_address(0), caller, sizeof(caller));
	nk_err("nk_page_free(%p) from %s ignored%s", addr, caller,
	       ret == -ENOENT ? ": not in any zone" : "");
}

int nk_zone_count(void)
{
	return zone_count();
}

int nk_zone_get_info(int zone, struct nk_zone_info *info)
{
	struct nk_buddy_stats st;
	int ret = nk_zone_stats(zone, &st);

	if (ret)
		return ret;
	info->id = zone;
	info->node = zones[zone].node;
	info->base = zones[zone].buddy.base;
	info->total_pages = st.managed_pages;
	info->free_pages = st.free_pages;
	info->largest_free_order = st.largest_free_order;
	return 0;
}

uint64_t nk_page_free_total(void)
{
	struct nk_buddy_stats st;
	uint64_t total = 0;
	int n = zone_count();

	for (int i = 0; i < n; i++)
		if (!nk_zone_stats(i, &st))
			total += st.free_pages;
	return total;
}
