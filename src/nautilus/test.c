/*
 * In-kernel test runner: selects NK_TEST cases by glob, runs them in a fixed order (suite, file,
 * line) and prints KTAP version 1, one subtest per suite. After each suite a leak_check case
 * compares the free page count with the one before the suite.
 */
#include <nautilus/arch.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>
#include <nautilus/test.h>
#include <nautilus/thread.h>
#include <nautilus/time.h>

extern struct nk_test __nk_tests_start[], __nk_tests_end[];

#define NAME_MAX 96

static bool sorted;

static int order(const struct nk_test *a, const struct nk_test *b)
{
	int c = strcmp(a->suite, b->suite);

	if (!c)
		c = strcmp(a->file, b->file);
	return c ? c : a->line - b->line;
}

/* Insertion sort in place: the table is small and nearly sorted already. */
static void sort_tests(void)
{
	for (struct nk_test *t = __nk_tests_start + 1; t < __nk_tests_end; t++) {
		struct nk_test key = *t, *p = t;

		for (; p > __nk_tests_start && order(p - 1, &key) > 0; p--)
			*p = *(p - 1);
		*p = key;
	}
	sorted = true;
}

/* A glob without '.' selects whole suites ("kmem"); otherwise it matches "suite.case". */
static bool glob_selects(const char *glob, size_t len, const struct nk_test *t)
{
	char pat[NAME_MAX], name[NAME_MAX];

	if (len >= sizeof(pat))
		return false;
	memcpy(pat, glob, len);
	pat[len] = '\0';
	if (!strchr(pat, '.'))
		return nk_glob_match(pat, t->suite);
	nk_snprintf(name, sizeof(name), "%s.%s", t->suite, t->name);
	return nk_glob_match(pat, name);
}

static bool selected(const char *globs, const struct nk_test *t)
{
	while (*globs) {
		const char *end = strchr(globs, ',');
		size_t len = end ? (size_t)(end - globs) : strlen(globs);

		if (len && glob_selects(globs, len, t))
			return true;
		if (!end)
			break;
		globs = end + 1;
	}
	return false;
}

/* Selected cases of the suite that starts at first (the sorted table keeps a suite together). */
static size_t count_selected(const char *globs, const struct nk_test *first)
{
	size_t n = 0;

	for (const struct nk_test *t = first; t < __nk_tests_end && !strcmp(t->suite, first->suite);
	     t++)
		n += selected(globs, t);
	return n;
}

static size_t count_suites(const char *globs)
{
	size_t n = 0;
	const char *last = NULL;

	for (struct nk_test *t = __nk_tests_start; t < __nk_tests_end; t++) {
		if (!selected(globs, t) || (last && !strcmp(last, t->suite)))
			continue;
		last = t->suite;
		n++;
	}
	return n;
}

bool nk_test_wait_ge(const volatile int *p, int value, uint64_t deadline_ns)
{
	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) < value) {
		if (nk_time_ns() > deadline_ns)
			return false;
		__builtin_ia32_pause();
	}
	return true;
}

static volatile unsigned long overflow_limit = ~0UL; /* never reached: the guard page stops it */

static __nk_noinline unsigned long recurse(unsigned long depth)
{
	volatile char frame[256];

	frame[0] = (char)depth;
	if (depth >= overflow_limit)
		return frame[0];
	return recurse(depth + 1) + frame[0];
}

void nk_test_overflow_stack(void *unused)
{
	recurse(0);
}

bool nk_test_streq(const char *a, const char *b)
{
	return !strcmp(a, b);
}

void nk_test_fail(struct nk_test_ctx *t, const char *file, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	nk_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nk_printf("    # %s:%d: %s\n", file, line, msg);
	t->failures++;
}

void nk_test_diag(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	nk_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nk_printf("    # %s\n", msg);
}

static void run_case(struct nk_test *t, int n, struct nk_test_result *res)
{
	struct nk_test_ctx ctx = { 0 };

	t->fn(&ctx);
	if (ctx.failures) {
		nk_printf("    not ok %d %s\n", n, t->name);
		res->failed++;
	} else if (ctx.skip_reason) {
		nk_printf("    ok %d %s # SKIP %s\n", n, t->name, ctx.skip_reason);
		res->skipped++;
	} else {
		nk_printf("    ok %d %s\n", n, t->name);
		res->passed++;
	}
}

/*
 * Pages not leaked: free ones (nk_page_free_total first drains every CPU's kmem cache, whose
 * objects keep their slabs' pages), recycled threads' blocks once given back, and the
 * page-table pages guard-page splits took, which the kernel keeps for good by design.
 */
static uint64_t pages_accounted(void)
{
	nk_thread_cache_drain();
	return nk_page_free_total() + nk_arch_page_table_pages();
}

/* Run the selected cases of the suite starting at first, then its leak check. */
static void run_suite(const char *globs, struct nk_test *first, int suite_no,
		      struct nk_test_result *res)
{
	const char *suite = first->suite;
	int failed_before = res->failed, n = 0;
	uint64_t free_before = pages_accounted(), free_after;

	nk_printf("    KTAP version 1\n    # Subtest: %s\n    1..%zu\n", suite,
		  count_selected(globs, first) + 1);
	for (struct nk_test *t = first; t < __nk_tests_end && !strcmp(t->suite, suite); t++)
		if (selected(globs, t))
			run_case(t, ++n, res);
	free_after = pages_accounted();
	if (free_after != free_before) {
		nk_printf("    # %s leaked %lld pages\n", suite, (long long)(free_before - free_after));
		nk_printf("    not ok %d leak_check\n", ++n);
		res->failed++;
	} else {
		nk_printf("    ok %d leak_check\n", ++n);
		res->passed++;
	}
	nk_printf("%sok %d %s\n", res->failed == failed_before ? "" : "not ", suite_no, suite);
}

int nk_test_run(const char *globs, struct nk_test_result *res)
{
	const char *last = NULL;
	int suite_no = 0;

	*res = (struct nk_test_result){ 0 };
	if (!sorted)
		sort_tests();
	nk_printf("KTAP version 1\n1..%zu\n", count_suites(globs));
	for (struct nk_test *t = __nk_tests_start; t < __nk_tests_end; t++) {
		if (!selected(globs, t) || (last && !strcmp(last, t->suite)))
			continue;
		last = t->suite;
		run_suite(globs, t, ++suite_no, res);
	}
	return suite_no ? res->failed : -ENOENT;
}

void nk_test_list(const char *globs)
{
	if (!sorted)
		sort_tests();
	for (struct nk_test *t = __nk_tests_start; t < __nk_tests_end; t++)
		if (selected(globs, t))
			nk_printf("%s.%s\n", t->suite, t->name);
}

void nk_test_run_boot(const char *globs)
{
	struct nk_test_result res;
	int err = nk_test_run(globs, &res);

	if (err == -ENOENT)
		nk_printf("nk-test: no test matches \"%s\"\n", globs);
	nk_printf("nk-test: %s: %d passed, %d failed, %d skipped\n", err ? "FAIL" : "PASS",
		  res.passed, res.failed, res.skipped);
	nk_arch_debug_exit(err ? NK_EXIT_FAIL : NK_EXIT_PASS);
}
