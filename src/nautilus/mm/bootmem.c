/*
 * Boot allocator: RAM from the firmware memory map minus named reservations, until nk_mm_init
 * hands every free page to the zones. Small static tables; nothing here is freed.
 */
#include <nautilus/boot_info.h>
#include <nautilus/errno.h>
#include <nautilus/numa.h>
#include <nautilus/panic.h>
#include <nautilus/printk.h>
#include <nautilus/spinlock.h>
#include <nautilus/string.h>
#include <nautilus/symbols.h>

#include "mm_internal.h"

#define BM_MAX_RANGES 128
/* BIOS data area, EBDA, option ROMs, and the future SMP trampoline live below 1 MiB. */
#define BM_LOW_RESERVED (1UL << 20)

struct bm_range {
	uint64_t base, end; /* [base, end) */
	const char *what;   /* reservations only */
};

/*
 * ram: usable regions, byte-exact, sorted and merged. rsv: reservations sorted by base; they
 * may overlap, and adjacent ones with the same name (the same pointer) are merged.
 * All of it is written during single-threaded bring-up; bm_lock guards it anyway.
 */
static struct bm_range ram[BM_MAX_RANGES], rsv[BM_MAX_RANGES];
static int nr_ram, nr_rsv;
static bool bm_ready, bm_closed;
static struct nk_spinlock bm_lock = NK_SPINLOCK_INIT;

static bool try_merge(struct bm_range *r, uint64_t base, uint64_t end, const char *what)
{
	if (r->what != what || base > r->end || end < r->base)
		return false;
	r->base = NK_MIN(r->base, base);
	r->end = NK_MAX(r->end, end);
	return true;
}

/* Sort by base, then fold neighbours that touch and share a name; n <= BM_MAX_RANGES. */
static void normalize(struct bm_range *a, int *n)
{
	for (int i = 1; i < *n; i++) {
		struct bm_range r = a[i];
		int j;

		for (j = i; j > 0 && a[j - 1].base > r.base; j--)
			a[j] = a[j - 1];
		a[j] = r;
	}
	for (int i = 0; i + 1 < *n;) {
		if (try_merge(&a[i], a[i + 1].base, a[i + 1].end, a[i + 1].what)) {
			memmove(&a[i + 1], &a[i + 2], (*n - i - 2) * sizeof(*a));
			(*n)--;
		} else {
			i++;
		}
	}
}

/* Add [base, end) to a table, merged into a touching entry of the same name if there is one. */
static int range_add(struct bm_range *a, int *n, uint64_t base, uint64_t end, const char *what)
{
	int i;

	for (i = 0; i < *n; i++)
		if (try_merge(&a[i], base, end, what))
			break;
	if (i == *n) {
		if (*n == BM_MAX_RANGES)
			return -ENOSPC;
		a[(*n)++] = (struct bm_range){ base, end, what };
	}
	normalize(a, n);
	return 0;
}

static int reserve_locked(uint64_t base, uint64_t end, const char *what)
{
	int ret = range_add(rsv, &nr_rsv, base, end, what);

	if (ret)
		nk_err("reservation table full (%d entries), cannot reserve %s [0x%llx, 0x%llx)",
		       BM_MAX_RANGES, what, (unsigned long long)base, (unsigned long long)end);
	return ret;
}

/* what is kept, not copied: it must live as long as the kernel (a string literal). */
int nk_bootmem_reserve(nk_paddr_t base, uint64_t len, const char *what)
{
	unsigned long flags;
	int ret;

	if (!len || base + len < base || !what)
		return -EINVAL;
	flags = nk_spin_lock_irqsave(&bm_lock);
	ret = -EBUSY;
	if (!bm_closed)
		ret = reserve_locked(base, base + len, what);
	nk_spin_unlock_irqrestore(&bm_lock, flags);
	if (ret == -EBUSY)
		nk_err("cannot reserve %s after the page allocator took over", what);
	return ret;
}

/*
 * Call fn on every free range: RAM rounded inward to pages, minus reservations rounded outward
 * to gran (a power of two; 1 to allocate bytes, NK_PAGE_SIZE to hand out whole pages).
 * Stops at and returns fn's first non-zero result.
 */
typedef int (*free_range_fn)(uint64_t base, uint64_t end, int region, void *arg);

static int for_each_free(uint64_t gran, free_range_fn fn, void *arg)
{
	int ret;

	for (int i = 0; i < nr_ram; i++) {
		uint64_t pos = NK_ALIGN_UP(ram[i].base, NK_PAGE_SIZE);
		uint64_t end = NK_ALIGN_DOWN(ram[i].end, NK_PAGE_SIZE);

		for (int j = 0; j < nr_rsv && pos < end; j++) {
			uint64_t rb = NK_ALIGN_DOWN(rsv[j].base, gran);
			uint64_t re = NK_ALIGN_UP(rsv[j].end, gran);

			if (re <= pos)
				continue;
			if (rb >= end)
				break;
			if (rb > pos && (ret = fn(pos, rb, i, arg)))
				return ret;
			pos = re;
		}
		if (pos < end && (ret = fn(pos, end, i, arg)))
			return ret;
	}
	return 0;
}

/* Reserve what the map marks non-usable where it also says usable: firmware maps overlap. */
static int reserve_overlaps(const struct nk_boot_info *bi)
{
	for (size_t i = 0; i < bi->nr_mmap; i++) {
		const struct nk_mem_region *r = &bi->mmap[i];

		if (r->type == NK_MEM_USABLE || !r->len)
			continue;
		for (int j = 0; j < nr_ram; j++)
			if (r->base < ram[j].end && ram[j].base < r->base + r->len &&
			    reserve_locked(r->base, r->base + r->len, nk_mem_type_name(r->type)))
				return -ENOSPC;
	}
	return 0;
}

static int add_ram(const struct nk_boot_info *bi)
{
	int ret = 0;

	for (size_t i = 0; i < bi->nr_mmap; i++) {
		const struct nk_mem_region *r = &bi->mmap[i];

		if (r->type != NK_MEM_USABLE || !r->len || r->base + r->len < r->base)
			continue;
		if (range_add(ram, &nr_ram, r->base, r->base + r->len, NULL)) {
			nk_err("more than %d RAM regions, ignoring [0x%llx, 0x%llx)", BM_MAX_RANGES,
			       (unsigned long long)r->base, (unsigned long long)(r->base + r->len));
			ret = -ENOSPC;
		}
	}
	return ret;
}

/*
 * The fixed reservations: low memory, the kernel image, the boot modules. The loader's own
 * structure needs none: the arch copied all of it into nk_boot_info before we run.
 */
static int reserve_boot(const struct nk_boot_info *bi, nk_paddr_t kstart, nk_paddr_t kend)
{
	int ret = reserve_locked(0, BM_LOW_RESERVED, "low 1 MiB (BIOS, SMP trampoline)");

	ret = ret ?: reserve_locked(kstart, kend, "kernel image");
	for (size_t i = 0; !ret && i < bi->nr_modules; i++) {
		const struct nk_boot_module *m = &bi->modules[i];

		if (m->end > m->start)
			ret = reserve_locked(m->start, m->end, m->name);
	}
	return ret;
}

int nk_bootmem_init(const struct nk_boot_info *bi, nk_paddr_t kernel_start, nk_paddr_t kernel_end)
{
	unsigned long flags;
	int ret;

	if (kernel_end <= kernel_start || bi->nr_mmap > NK_BOOT_MAX_MMAP ||
	    bi->nr_modules > NK_BOOT_MAX_MODULES)
		return -EINVAL;
	flags = nk_spin_lock_irqsave(&bm_lock);
	ret = -EBUSY;
	if (bm_ready)
		goto out;
	ret = add_ram(bi);
	ret = reserve_overlaps(bi) ?: ret;
	ret = reserve_boot(bi, kernel_start, kernel_end) ?: ret;
	bm_ready = true;
out:
	nk_spin_unlock_irqrestore(&bm_lock, flags);
	return ret;
}

/* size bytes aligned to align, wanted within [lo, hi); addr is the answer. */
struct fit {
	uint64_t size, align, lo, hi, addr;
};

static int find_fit(uint64_t base, uint64_t end, int region __nk_unused, void *arg)
{
	struct fit *f = arg;
	uint64_t a = NK_ALIGN_UP(NK_MAX(base, f->lo), f->align);

	end = NK_MIN(end, f->hi);
	if (a < base || a >= end || end - a < f->size)
		return 0;
	f->addr = a;
	return 1;
}

static int sum_free(uint64_t base, uint64_t end, int region __nk_unused, void *arg)
{
	*(uint64_t *)arg += end - base;
	return 0;
}

/* Find and reserve room for f; NULL, or why there is none. */
static const char *alloc_locked(struct fit *f)
{
	if (!bm_ready)
		return "the boot allocator is not initialised (nk_bootmem_init)";
	if (bm_closed)
		return "the boot allocator is closed (nk_mm_init gave memory to the page allocator)";
	if (!for_each_free(1, find_fit, f))
		return "out of memory";
	if (reserve_locked(f->addr, f->addr + f->size, "bootmem"))
		return "reservation table full";
	return NULL;
}

static void __nk_noreturn alloc_failed(size_t size, size_t align, const char *why, void *caller)
{
	uint64_t free = 0;
	char sym[64];

	nk_symbol_format((uint64_t)(uintptr_t)caller, sym, sizeof(sym));
	if (!bm_ready || bm_closed)
		panic("nk_bootmem_alloc(%zu, align %zu) from %s: %s", size, align, sym, why);
	for_each_free(1, sum_free, &free);
	panic("nk_bootmem_alloc(%zu, align %zu) from %s: %s (%llu bytes free)", size, align, sym,
	      why, (unsigned long long)free);
}

/*
 * Zeroed memory that is never freed. Bottom-up: the lowest fit above the reserved first MiB,
 * which in practice is just past the kernel image. Boot data then sits in the blocks the kernel
 * image already breaks up and leaves the large aligned blocks above it whole for the buddy
 * allocator (top-down would split the last GiB of RAM); it also stays within the 4 GiB that
 * boot.S maps, should anything allocate before paging maps all RAM.
 */
void *nk_bootmem_alloc(size_t size, size_t align)
{
	struct fit f = { .size = size ? size : 1, .align = NK_MAX(align, 8), .hi = UINT64_MAX };
	const char *why = "alignment is not a power of two";
	unsigned long flags;

	if (!(align & (align - 1))) {
		flags = nk_spin_lock_irqsave(&bm_lock);
		why = alloc_locked(&f);
		nk_spin_unlock_irqrestore(&bm_lock, flags);
	}
	if (why)
		alloc_failed(size, align, why, __builtin_return_address(0));
	memset((void *)(uintptr_t)f.addr, 0, f.size);
	return (void *)(uintptr_t)f.addr;
}

/* The page 0 is never mapped (NULL dereferences fault), so it is never RAM here. */
bool nk_mm_range_is_ram(uint64_t addr, uint64_t len)
{
	uint64_t end = addr + (len ? len : 1);

	if (end < addr || addr < NK_PAGE_SIZE)
		return false;
	for (int i = 0; i < nr_ram; i++)
		if (ram[i].base <= addr && end <= ram[i].end)
			return true;
	return false;
}

/*
 * Zones: each RAM region is cut where the NUMA node changes (nk_numa_node_run, at page
 * boundaries), and each piece with free pages becomes a zone of its node, spanning its free
 * pages. Memory that no SRAT range lists belongs to node 0. Handing the free pages out uses the
 * same cuts, so every free range lands in exactly one zone.
 */
static int piece_node(uint64_t pos, uint64_t limit, uint64_t *end)
{
	int node = nk_numa_node_run(pos, limit, end);

	*end = NK_MIN(NK_ALIGN_UP(*end, NK_PAGE_SIZE), limit);
	return node < 0 ? 0 : node;
}

/* The free pages of [lo, hi): base of the first, end of the last (0, 0 if none). */
struct span {
	uint64_t lo, hi, base, end;
};

static int note_span(uint64_t base, uint64_t end, int region __nk_unused, void *arg)
{
	struct span *s = arg;

	base = NK_MAX(base, s->lo);
	end = NK_MIN(end, s->hi);
	if (base >= end)
		return 0;
	if (!s->end)
		s->base = base;
	s->end = end;
	return 0;
}

/* Page metadata near the pages it describes: on their node if it fits, else anywhere. */
static uint8_t *zone_meta(uint64_t npages, const struct span *s)
{
	struct fit f = { .size = npages, .align = 8, .lo = s->base, .hi = s->end };
	unsigned long flags = nk_spin_lock_irqsave(&bm_lock);
	const char *why = alloc_locked(&f);

	nk_spin_unlock_irqrestore(&bm_lock, flags);
	if (why)
		return nk_bootmem_alloc(npages, 8);
	memset((void *)(uintptr_t)f.addr, 0, npages);
	return (uint8_t *)(uintptr_t)f.addr;
}

/* A zone of node for the free pages of [lo, hi), if there are any: 1 if made, else 0. */
static int make_zone(uint64_t lo, uint64_t hi, int node)
{
	struct span s = { lo, hi, 0, 0 };
	uint64_t npages;
	int id;

	for_each_free(NK_PAGE_SIZE, note_span, &s);
	npages = (s.end - s.base) >> NK_PAGE_SHIFT;
	if (!npages)
		return 0;
	id = nk_zone_add(s.base, npages, node, zone_meta(npages, &s));
	if (id < 0) {
		nk_err("no zone for [0x%llx, 0x%llx) (error %d); its memory is not used",
		       (unsigned long long)s.base, (unsigned long long)s.end, id);
		return 0;
	}
	return 1;
}

/* The firmware listed NUMA memory ranges (else node 0 is all memory, and silently so). */
static bool have_numa_ranges(void)
{
	uint64_t base, len;
	int node;

	return !nk_numa_memory_range(0, &base, &len, &node);
}

static int create_zones(void)
{
	bool srat = have_numa_ranges();
	int zones = 0;

	for (int i = 0; i < nr_ram; i++) {
		uint64_t pos = NK_ALIGN_UP(ram[i].base, NK_PAGE_SIZE), end;
		uint64_t limit = NK_ALIGN_DOWN(ram[i].end, NK_PAGE_SIZE);

		for (; pos < limit; pos = end) {
			int node = piece_node(pos, limit, &end);

			if (srat && nk_numa_node_of_paddr(pos) < 0)
				nk_warn("RAM [0x%llx, 0x%llx) is in no SRAT range: node 0 takes it",
					(unsigned long long)pos, (unsigned long long)end);
			zones += make_zone(pos, end, node);
		}
	}
	return zones;
}

struct handoff {
	uint64_t pages, lost_pages;
};

static int hand_out(uint64_t base, uint64_t end, int region __nk_unused, void *arg)
{
	struct handoff *h = arg;

	for (uint64_t pos = base, e; pos < end; pos = e) {
		uint64_t npages;

		piece_node(pos, end, &e);
		npages = (e - pos) >> NK_PAGE_SHIFT;
		if (nk_zone_add_free(pos, npages))
			h->lost_pages += npages;
		else
			h->pages += npages;
	}
	return 0;
}

int nk_mm_init(void)
{
	struct handoff h = { 0, 0 };
	unsigned long flags;
	int zones;

	if (!bm_ready || bm_closed)
		return -EINVAL;
	zones = create_zones();
	/* Closed first: from here on the free ranges cannot change under the walk below. */
	flags = nk_spin_lock_irqsave(&bm_lock);
	bm_closed = true;
	nk_spin_unlock_irqrestore(&bm_lock, flags);
	for_each_free(NK_PAGE_SIZE, hand_out, &h);
	if (h.lost_pages)
		nk_err("%llu free pages belong to no zone and are lost",
		       (unsigned long long)h.lost_pages);
	if (!h.pages) {
		nk_err("no free memory for the page allocator");
		return -ENOMEM;
	}
	nk_info("%d zone%s on %d node%s, %llu MiB free in %llu pages", zones, zones == 1 ? "" : "s",
		nk_numa_node_count(), nk_numa_node_count() == 1 ? "" : "s",
		(unsigned long long)(h.pages >> (20 - NK_PAGE_SHIFT)), (unsigned long long)h.pages);
	return 0;
}

void nk_bootmem_dump(void)
{
	nk_printf("RAM regions (firmware memory map):\n");
	for (int i = 0; i < nr_ram; i++)
		nk_printf("  [0x%016llx, 0x%016llx) %10llu KiB\n", (unsigned long long)ram[i].base,
			  (unsigned long long)ram[i].end,
			  (unsigned long long)((ram[i].end - ram[i].base) >> 10));
	nk_printf("reserved (not given to the page allocator):\n");
	for (int i = 0; i < nr_rsv; i++)
		nk_printf("  [0x%016llx, 0x%016llx) %10llu KiB  %s\n",
			  (unsigned long long)rsv[i].base, (unsigned long long)rsv[i].end,
			  (unsigned long long)((rsv[i].end - rsv[i].base + 1023) >> 10),
			  rsv[i].what);
}
