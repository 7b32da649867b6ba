/*
 * paging: guard pages. A page guarded in the middle of a 2 MiB page (and of a 1 GiB page when
 * the CPU has them) faults on every CPU with CR2 = its address, the rest of the old large page
 * keeps its contents, unguarding gives the page back intact, CPUs guarding at once split a page
 * once, and a stack running into its guard page is reported as an overflow.
 *
 * Page-table pages a split allocates are kept for good (kernel structure, not a leak): the
 * runner's leak check counts them as in use (nk_arch_page_table_pages). An initcall takes, at
 * boot, two 2 MiB blocks that are 2 MiB pages, kept for good, so that the suite finds them. The
 * 1 GiB block is taken in the test (the buddy suite wants the only free GiB).
 */
#include <nautilus/arch.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/init.h>
#include <nautilus/irq.h>
#include <nautilus/kernel.h>
#include <nautilus/mm.h>
#include <nautilus/printk.h>
#include <nautilus/test.h>
#include <nautilus/time.h>

#define PAGE	     NK_PAGE_SIZE
#define MIB2	     (2ULL << 20)
#define GIB	     (1ULL << 30)
#define VEC_DF	     8	 /* double fault (SDM vol. 3A table 6-1) */
#define VEC_PF	     14	 /* page fault */
#define PF_PRESENT   0x1 /* page fault error code bits (SDM vol. 3A 4.7) */
#define PF_WRITE     0x2
#define STRIDE	     512 /* bytes between stamped words in a large block */
#define RACE_ROUNDS  40
#define RACE_WAIT_NS 10000000000ULL
#define STACK_SIZE   (16 * 1024) /* overflow test stack, its lowest page the guard */

static struct {
	char *guard_block; /* guard_in_2m_page, other_cpus_fault, stack_overflow_caught */
	char *race_block;  /* concurrent_guards */
} held;

/* A block of 2^order pages mapped by one page of `size` (tries a few blocks), or NULL. */
static char *alloc_in_page(unsigned order, uint64_t size)
{
	char *tried[8], *found = NULL;
	int n = 0;

	while (n < (int)NK_ARRAY_SIZE(tried) && !found) {
		char *b = nk_page_alloc(order, -1);

		if (!b)
			break;
		if (nk_arch_page_size(b) == size)
			found = b;
		else
			tried[n++] = b;
	}
	while (n)
		nk_page_free(tried[--n]);
	return found;
}

/* At boot, before the runner counts free pages (see the top comment). */
static int paging_test_hold(void)
{
	held.guard_block = alloc_in_page(9, MIB2);
	held.race_block = alloc_in_page(9, MIB2);
	if (!held.guard_block || !held.race_block)
		nk_warn("paging tests: no free 2 MiB block is a 2 MiB page; they will skip");
	return 0;
}
NK_INITCALL(NK_INIT_LATE, paging_test_hold);

/* [3 GiB, 4 GiB) is the PCI hole: always mapped, never RAM, so never split. */
static bool has_1g_pages(void)
{
	return nk_arch_page_size((void *)(3 * GIB)) == GIB;
}

/* Page-table pages a guard of addr has to allocate: one per level it splits. */
static uint64_t splits_needed(const void *addr)
{
	uint64_t size = nk_arch_page_size(addr);

	return size == GIB ? 2 : size == MIB2 ? 1 : 0;
}

static uint64_t pattern(const void *p)
{
	return (uint64_t)p * 0x9e3779b97f4a7c15ULL;
}

static void stamp(char *base, uint64_t len, uint64_t stride)
{
	for (uint64_t off = 0; off < len; off += stride)
		*(volatile uint64_t *)(base + off) = pattern(base + off);
}

/* The first stamped word of [base, base+len) that lost its value, skipping the page hole. */
static char *first_changed(char *base, uint64_t len, uint64_t stride, const char *hole)
{
	for (uint64_t off = 0; off < len; off += stride) {
		char *p = base + off;
		bool in_hole = hole && p >= hole && p < hole + PAGE;

		if (!in_hole && *(volatile uint64_t *)p != pattern(p))
			return p;
	}
	return NULL;
}

/* What a probe does on some CPU, under the catcher, and what it saw. */
struct probe {
	volatile uint64_t *addr;
	bool write;
	int faulted;
	uint64_t value;
	struct nk_trap_info info;
};

static __nk_noinline void probe_access(void *arg)
{
	struct probe *p = arg;

	if (p->write)
		*p->addr = p->value;
	else
		p->value = *p->addr;
}

static void probe_here(void *arg)
{
	struct probe *p = arg;

	p->faulted = nk_arch_trap_catch(probe_access, p, &p->info);
}

/* A probe of addr faulted as a not-present access to a guard page, at addr. */
static void expect_guard_fault(struct nk_test_ctx *nk_t, const struct probe *p)
{
	NK_ASSERT_EQ(p->faulted, 1);
	NK_EXPECT_EQ(p->info.vector, VEC_PF);
	NK_EXPECT_UEQ(p->info.cr2, (uint64_t)p->addr);
	NK_EXPECT_EQ(p->info.error_code & PF_PRESENT, 0);
	NK_EXPECT_EQ(p->info.error_code & PF_WRITE, p->write ? PF_WRITE : 0);
	NK_EXPECT(p->info.guard);
}

/* What the queries say about a guarded page and its neighbours. */
static void expect_guarded_view(struct nk_test_ctx *nk_t, char *page)
{
	NK_EXPECT(nk_arch_page_is_guarded(page));
	NK_EXPECT(nk_arch_page_is_guarded(page + PAGE - 1));
	NK_EXPECT(!nk_arch_page_is_guarded(page - 1));
	NK_EXPECT(!nk_arch_page_is_guarded(page + PAGE));
	NK_EXPECT_UEQ(nk_arch_page_size(page), 0);
	NK_EXPECT_UEQ(nk_arch_page_size(page - PAGE), PAGE);
	NK_EXPECT_UEQ(nk_arch_page_size(page + PAGE), PAGE);
	NK_EXPECT(!nk_arch_range_is_mapped((uint64_t)page, PAGE));
	NK_EXPECT(!nk_arch_range_is_mapped((uint64_t)page - 8, 16));
	NK_EXPECT(!nk_arch_range_is_mapped((uint64_t)page + PAGE - 1, 1));
	NK_EXPECT(!nk_arch_range_is_mapped((uint64_t)page - MIB2, 2 * MIB2));
	NK_EXPECT(nk_arch_range_is_mapped((uint64_t)page - PAGE, PAGE));
	NK_EXPECT(nk_arch_range_is_mapped((uint64_t)page + PAGE, PAGE));
}

/*
 * Guard a page in the middle of [base, base+size), a block stamped beforehand: writes and reads
 * fault at its address, the rest keeps its values, unguarding gives it back with its contents.
 */
static void guard_and_check(struct nk_test_ctx *nk_t, char *base, uint64_t size, char *page)
{
	struct probe w = { (uint64_t *)(page + 0x18), true, 0, 42, { 0 } };
	struct probe r = { (uint64_t *)page, false, 0, 0, { 0 } };

	stamp(base, size, STRIDE);
	stamp(page - PAGE, 3 * PAGE, 8);
	NK_ASSERT_EQ(nk_arch_page_guard(page), 0);
	NK_EXPECT_EQ(nk_arch_page_guard(page), -EEXIST);
	expect_guarded_view(nk_t, page);
	probe_here(&w);
	expect_guard_fault(nk_t, &w);
	probe_here(&r);
	expect_guard_fault(nk_t, &r);
	NK_EXPECT_NULL(first_changed(base, size, STRIDE, page)); /* the rest of the large page */
	NK_EXPECT_NULL(first_changed(page - PAGE, 3 * PAGE, 8, page));
	NK_ASSERT_EQ(nk_arch_page_unguard(page), 0);
	NK_EXPECT_EQ(nk_arch_page_unguard(page), -EINVAL);
	NK_EXPECT(!nk_arch_page_is_guarded(page));
	NK_EXPECT(nk_arch_range_is_mapped((uint64_t)base, size)); /* the block is the test's alone */
	NK_EXPECT_UEQ(nk_arch_page_size(page), PAGE);
	NK_EXPECT_NULL(first_changed(page, PAGE, 8, NULL)); /* guarding kept the contents */
	probe_here(&w);
	NK_EXPECT_EQ(w.faulted, 0);
	NK_EXPECT_UEQ(*w.addr, 42);
}

/*
 * Guard a page in the middle of a block mapped by one large page of `size` (or by the smaller
 * ones an earlier run left): one split per level, then guard_and_check. The page is unguarded
 * even on failure.
 */
static void guard_in_large_page(struct nk_test_ctx *nk_t, char *block, uint64_t size)
{
	char *page = block + size / 2 + 5 * PAGE; /* inside a 2 MiB page of a 1 GiB one too */
	uint64_t tables = nk_arch_page_table_pages(), splits = splits_needed(page);

	if (nk_arch_page_size(block) != size)
		nk_test_diag("block at %p split by an earlier run: nothing to split", block);
	guard_and_check(nk_t, block, size, page);
	nk_arch_page_unguard(page);
	NK_EXPECT_UEQ(nk_arch_page_table_pages() - tables, splits);
	NK_EXPECT_UEQ(nk_arch_page_size(block), size == GIB ? MIB2 : PAGE);
}

NK_TEST(paging, guard_in_2m_page)
{
	if (!held.guard_block)
		NK_SKIP("no free 2 MiB block was a 2 MiB page at boot");
	guard_in_large_page(nk_t, held.guard_block, MIB2);
}

NK_TEST(paging, guard_in_1g_page)
{
	char *block;

	if (!has_1g_pages())
		NK_SKIP("the CPU has no 1 GiB pages (try -cpu max)");
	block = nk_page_alloc(18, -1);
	if (!block)
		NK_SKIP("no free 1 GiB block (try -m 3G)");
	guard_in_large_page(nk_t, block, GIB);
	nk_page_free(block);
}

NK_TEST(paging, bad_pages_refused)
{
	char *p = nk_page_alloc(0, -1);
	void *image_page = (void *)NK_ALIGN_DOWN((uintptr_t)&held, PAGE);

	NK_ASSERT_NOT_NULL(p);
	NK_EXPECT_EQ(nk_arch_page_guard(p + 8), -EINVAL);	  /* misaligned */
	NK_EXPECT_EQ(nk_arch_page_guard(NULL), -EINVAL);	  /* page 0 */
	NK_EXPECT_EQ(nk_arch_page_guard(_kernel_start), -EINVAL); /* the kernel image */
	NK_EXPECT_EQ(nk_arch_page_guard(image_page), -EINVAL);
	NK_EXPECT_EQ(nk_arch_page_guard((void *)0xfee00000), -EINVAL);	 /* local APIC: not RAM */
	NK_EXPECT_EQ(nk_arch_page_guard((void *)(1ULL << 46)), -EINVAL); /* beyond RAM */
	NK_EXPECT_EQ(nk_arch_page_unguard(p), -EINVAL);			 /* not guarded */
	NK_EXPECT_EQ(nk_arch_page_unguard(p + 8), -EINVAL);
	NK_EXPECT_EQ(nk_arch_page_unguard(NULL), -EINVAL);
	NK_EXPECT(!nk_arch_page_is_guarded(p));
	NK_EXPECT(!nk_arch_page_is_guarded(NULL));
	NK_EXPECT_UEQ(nk_arch_page_size(NULL), 0);
	NK_EXPECT(!nk_arch_range_is_mapped(0, 16));
	nk_page_free(p);
}

/* Run the probe on every other online CPU; how many ran. */
static int probe_others(struct nk_test_ctx *nk_t, struct probe *p, bool want_fault)
{
	int n = 0;

	for (int cpu = 0; cpu < nk_cpu_count(); cpu++) {
		if (cpu == nk_cpu_id() || nk_cpu_get(cpu)->state != NK_CPU_ONLINE)
			continue;
		p->faulted = -1;
		NK_EXPECT_EQ(nk_xcall(cpu, probe_here, p, true), 0);
		if (want_fault)
			expect_guard_fault(nk_t, p);
		else
			NK_EXPECT_EQ(p->faulted, 0);
		if (!want_fault && !p->write)
			NK_EXPECT_UEQ(p->value, pattern((void *)p->addr));
		n++;
	}
	return n;
}

/*
 * Each other CPU reads the page first (its TLB then holds a translation), so without the
 * shootdown it would go on reading it after the guard.
 */
NK_TEST(paging, other_cpus_fault)
{
	struct probe p = { 0 };
	char *page;
	int err;

	if (!held.guard_block)
		NK_SKIP("no free 2 MiB block was a 2 MiB page at boot");
	page = held.guard_block + 7 * PAGE;
	stamp(page, PAGE, 8);
	p.addr = (uint64_t *)(page + 0x40);
	if (!probe_others(nk_t, &p, false))
		NK_SKIP("one CPU online");
	err = nk_arch_page_guard(page);
	NK_EXPECT_EQ(err, 0);
	if (!err) {
		p.write = true;
		probe_others(nk_t, &p, true);
		p.write = false;
		probe_others(nk_t, &p, true);
		NK_EXPECT_EQ(nk_arch_page_unguard(page), 0);
		probe_others(nk_t, &p, false);
	}
}

struct racer {
	char *page;
	int errors;
	int done;
};

/*
 * The racers are static: should one not finish in time, its late writes land here, not in a
 * stack frame that is gone.
 */
static struct racer racers[NK_MAX_CPUS];
static int race_ready, race_go;

/* Once every racer is ready: guard and unguard one page of a shared large page, over and over. */
static void race(void *arg)
{
	struct racer *r = arg;

	__atomic_add_fetch(&race_ready, 1, __ATOMIC_ACQ_REL);
	if (!nk_test_wait_ge(&race_go, 1, nk_time_ns() + RACE_WAIT_NS))
		r->errors++;
	for (int i = 0; i < RACE_ROUNDS; i++) {
		r->errors += nk_arch_page_guard(r->page) != 0;
		r->errors += !nk_arch_page_is_guarded(r->page);
		r->errors += nk_arch_page_unguard(r->page) != 0;
	}
	__atomic_add_fetch(&r->done, 1, __ATOMIC_RELEASE);
}

static bool all_done(int n, uint64_t end)
{
	for (int i = 0; i < n; i++)
		if (!nk_test_wait_ge(&racers[i].done, 1, end))
			return false;
	return true;
}

/* Start race on every other online CPU; how many were started. */
static int start_racers(char *block)
{
	int started = 0;

	race_ready = race_go = 0;
	for (int i = 0; i < nk_cpu_count(); i++) {
		racers[i] = (struct racer){ .page = block + (2 * i + 1) * PAGE };
		if (nk_cpu_get(i)->state != NK_CPU_ONLINE)
			racers[i].done = 1;
		else if (i != nk_cpu_id() && !nk_xcall(i, race, &racers[i], false))
			started++;
	}
	return started;
}

/*
 * Every CPU guards its own page of one fresh 2 MiB page, all starting together so that their
 * first guards race to split it: one split, no guard lost.
 */
NK_TEST(paging, concurrent_guards)
{
	int n = nk_cpu_count(), started;
	char *block = held.race_block;
	uint64_t tables = nk_arch_page_table_pages(), end = nk_time_ns() + RACE_WAIT_NS, splits;

	if (!block)
		NK_SKIP("no free 2 MiB block was a 2 MiB page at boot");
	if (nk_cpu_online_count() < 2)
		NK_SKIP("one CPU online");
	splits = splits_needed(block);
	if (!splits)
		nk_test_diag("block at %p split by an earlier run: no split to race", block);
	stamp(block, MIB2, STRIDE);
	started = start_racers(block);
	NK_EXPECT_EQ(started, nk_cpu_online_count() - 1);
	NK_EXPECT(nk_test_wait_ge(&race_ready, started, end));
	__atomic_store_n(&race_go, 1, __ATOMIC_RELEASE);
	race(&racers[nk_cpu_id()]);
	NK_ASSERT(all_done(n, end));
	for (int i = 0; i < n; i++)
		NK_EXPECT_EQ(racers[i].errors, 0);
	NK_EXPECT_UEQ(nk_arch_page_table_pages() - tables, splits);
	NK_EXPECT(nk_arch_range_is_mapped((uint64_t)block, MIB2));
	NK_EXPECT_NULL(first_changed(block, MIB2, STRIDE, NULL));
}

/* --- a stack running into its guard page --- */

/* Call fn(arg) with the stack pointer at top (16-byte aligned), back on this stack after. */
static __nk_noinline void call_on_stack(void (*fn)(void *), void *arg, void *top)
{
	asm volatile("mov %%rsp, %%rbx\n\t"
		     "mov %[top], %%rsp\n\t"
		     "call *%[fn]\n\t"
		     "mov %%rbx, %%rsp"
		     : "+D"(arg), [fn] "+r"(fn), [top] "+r"(top)
		     :
		     : "rax", "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc");
}

static void overflow_on_stack(void *stack_top)
{
	call_on_stack(nk_test_overflow_stack, NULL, stack_top);
}

/*
 * With RSP in the guard page the page fault cannot push its frame: the CPU raises a double
 * fault (on its IST stack), with the guard page's address in CR2.
 */
NK_TEST(paging, stack_overflow_caught)
{
	struct nk_trap_info info = { 0 };
	char *stack;
	int err;

	if (!held.guard_block)
		NK_SKIP("no free 2 MiB block was a 2 MiB page at boot");
	stack = held.guard_block + MIB2 / 4; /* away from the pages the other cases guard */
	err = nk_arch_page_guard(stack);
	NK_EXPECT_EQ(err, 0);
	if (!err) {
		NK_EXPECT_EQ(nk_arch_trap_catch(overflow_on_stack, stack + STACK_SIZE, &info), 1);
		NK_EXPECT(info.vector == VEC_DF || info.vector == VEC_PF);
		NK_EXPECT(info.guard);
		NK_EXPECT(info.cr2 >= (uint64_t)stack && info.cr2 < (uint64_t)stack + PAGE);
		NK_EXPECT_EQ(nk_arch_page_unguard(stack), 0);
	}
}
