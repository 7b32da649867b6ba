/*
 * Zones: the table of page allocators, one buddy allocator per zone, each behind its own lock,
 * grouped by NUMA node. Allocation tries the wanted node's zones, then the other nodes in that
 * node's order (nearest first). Frees find the zone by address.
 */
#include <nautilus/errno.h>
#include <nautilus/numa.h>
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
 * (release store), so readers may walk zones[0..nr_zones) without the table lock. The per-node
 * lists and orders are written by nk_zone_add only, during single-threaded bring-up.
 */
static struct nk_zone zones[NK_MAX_ZONES];
static int nr_zones;
static struct nk_spinlock table_lock = NK_SPINLOCK_INIT;

/* Zone ids of each node in address order, and each listed node's allocation order. */
static struct {
	int nr_zones;
	int zone[NK_MAX_ZONES];
	int nr_order;
	int order[NK_MAX_NODES];
} nodes[NK_MAX_NODES];

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

/* Every listed node's order from the topology; a node beyond it gets none (see alloc_node). */
static void build_orders(void)
{
	for (int n = 0; n < NK_MAX_NODES; n++) {
		int nr = nk_numa_alloc_order(n, nodes[n].order);

		nodes[n].nr_order = nr > 0 ? nr : 0;
	}
}

int nk_zone_add(uintptr_t base, uint64_t npages, int node, uint8_t *meta)
{
	struct nk_zone *z;
	int ret, id;

	if (!npages || npages > (UINTPTR_MAX - base) >> NK_PAGE_SHIFT || node < 0 ||
	    node >= NK_MAX_NODES)
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
	nodes[node].zone[nodes[node].nr_zones++] = id;
	build_orders();
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

static void *alloc_on(int node, unsigned order, enum nk_page_owner owner)
{
	void *p = NULL;

	for (int i = 0; i < nodes[node].nr_zones && !p; i++)
		p = alloc_in(&zones[nodes[node].zone[i]], order, owner);
	return p;
}

/* Zones whose node the topology does not list (added by hand, as host tests do) come last. */
static void *alloc_unlisted(unsigned order, enum nk_page_owner owner)
{
	void *p = NULL;

	for (int n = nk_numa_node_count(); n < NK_MAX_NODES && !p; n++)
		p = alloc_on(n, order, owner);
	return p;
}

void *nk_zone_alloc_node(unsigned order, int node, bool fallback, enum nk_page_owner owner)
{
	int from;
	void *p;

	if (order > NK_MAX_ORDER || node < 0 || node >= NK_MAX_NODES)
		return NULL;
	/* A node the topology does not list borrows node 0's order. */
	from = nodes[node].nr_order ? node : 0;
	p = alloc_on(node, order, owner);
	if (p || !fallback)
		return p;
	for (int i = 0; i < nodes[from].nr_order && !p; i++)
		if (nodes[from].order[i] != node)
			p = alloc_on(nodes[from].order[i], order, owner);
	return p ? p : alloc_unlisted(order, owner);
}

static int local_node(void)
{
	int node;

	nk_mm_this_cpu(&node);
	return node;
}

const int *nk_zone_node_order(int node, int *nr)
{
	bool ok = node >= 0 && node < NK_MAX_NODES;

	*nr = ok ? nodes[node].nr_order : 0;
	return ok ? nodes[node].order : NULL;
}

int nk_numa_current_node(void)
{
	return local_node();
}

/* The hinted zone first, then the hinted zone's node (or this CPU's) with fallback. */
void *nk_zone_alloc(unsigned order, int zone_hint, enum nk_page_owner owner)
{
	int n = zone_count();
	void *p;

	if (order > NK_MAX_ORDER)
		return NULL;
	if (zone_hint < 0 || zone_hint >= n)
		return nk_zone_alloc_node(order, local_node(), true, owner);
	p = alloc_in(&zones[zone_hint], order, owner);
	return p ? p : nk_zone_alloc_node(order, zones[zone_hint].node, true, owner);
}

int nk_mm_node_arg(int node, const char *fn, void *caller)
{
	char sym[64];

	if (node == NK_NUMA_LOCAL)
		return local_node();
	if (node >= 0 && node < nk_numa_node_count())
		return node;
	nk_symbol_format((uint64_t)(uintptr_t)caller, sym, sizeof(sym));
	nk_warn("%s(node %d) from %s: no such node (nodes are 0..%d, or NK_NUMA_LOCAL = -1)", fn,
		node, sym, nk_numa_node_count() - 1);
	return -EINVAL;
}

void *nk_page_alloc_node(unsigned order, int node)
{
	node = nk_mm_node_arg(node, "nk_page_alloc_node", __builtin_return_address(0));
	if (node < 0)
		return NULL;
	return nk_zone_alloc_node(order, node, true, NK_PAGE_OWNER_PAGE);
}

int nk_node_of(const void *p)
{
	struct nk_zone *z = zone_of(p);

	return z ? z->node : -1;
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

int nk_zone_with_block(const void *p, nk_zone_block_fn fn, void *arg)
{
	struct nk_zone *z = zone_of(p);
	struct nk_buddy_block blk;
	unsigned long flags;
	int ret;

	if (!z)
		return -ENOENT;
	flags = nk_spin_lock_irqsave(&z->lock);
	ret = nk_buddy_find(&z->buddy, p, &blk);
	if (!ret)
		ret = fn(&blk, arg);
	nk_spin_unlock_irqrestore(&z->lock, flags);
	return ret;
}

static int copy_block(const struct nk_buddy_block *blk, void *arg)
{
	*(struct nk_buddy_block *)arg = *blk;
	return 0;
}

int nk_zone_find(const void *p, struct nk_buddy_block *blk)
{
	return nk_zone_with_block(p, copy_block, blk);
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

int nk_node_mem_info(int node, struct nk_node_mem_info *info)
{
	struct nk_buddy_stats st;

	if (node < 0 || node >= NK_MAX_NODES)
		return -EINVAL;
	*info = (struct nk_node_mem_info){ 0 };
	for (int i = 0; i < __atomic_load_n(&nodes[node].nr_zones, __ATOMIC_ACQUIRE); i++) {
		if (nk_zone_stats(nodes[node].zone[i], &st))
			continue;
		info->zones++;
		info->total_pages += st.managed_pages;
		info->free_pages += st.free_pages;
	}
	return 0;
}

/* Without the drain of nk_page_free_total (meminfo.c), which sits above kmem. */
uint64_t nk_zone_free_total(void)
{
	struct nk_buddy_stats st;
	uint64_t total = 0;
	int n = zone_count();

	for (int i = 0; i < n; i++)
		if (!nk_zone_stats(i, &st))
			total += st.free_pages;
	return total;
}
