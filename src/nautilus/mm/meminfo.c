/* Memory statistics: the free-page total, nk_mm_dump and the meminfo shell command. */
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/shell.h>

#include "mm_internal.h"

static void dump_zone(int id)
{
	struct nk_zone_info zi;
	struct nk_buddy_stats st;

	if (nk_zone_get_info(id, &zi) || nk_zone_stats(id, &st))
		return;
	nk_printf("  %4d %4d 0x%016llx %12llu %12llu %7d\n", zi.id, zi.node,
		  (unsigned long long)zi.base, (unsigned long long)zi.total_pages,
		  (unsigned long long)zi.free_pages, zi.largest_free_order);
	nk_printf("       free blocks by order:");
	for (int k = 0; k <= NK_MAX_ORDER; k++)
		if (st.nr_free[k])
			nk_printf(" %d:%llu", k, (unsigned long long)st.nr_free[k]);
	nk_printf("\n");
}

uint64_t nk_page_free_total(void)
{
	nk_kmem_drain_all();
	return nk_zone_free_total();
}

void nk_mm_dump(void)
{
	uint64_t free = nk_page_free_total();

	nk_printf("zones: %d, free: %llu pages (%llu MiB)\n", nk_zone_count(),
		  (unsigned long long)free, (unsigned long long)(free >> (20 - NK_PAGE_SHIFT)));
	nk_printf("  %4s %4s %-18s %12s %12s %7s\n", "id", "node", "base", "total pages",
		  "free pages", "largest");
	for (int i = 0; i < nk_zone_count(); i++)
		dump_zone(i);
	nk_kmem_dump();
}

static int cmd_meminfo(int argc, char **argv __nk_unused)
{
	if (argc != 1)
		return -EINVAL;
	nk_mm_dump();
	nk_bootmem_dump();
	return 0;
}
NK_SHELL_CMD(meminfo, ": show zones, free pages, kmem size classes", cmd_meminfo);
