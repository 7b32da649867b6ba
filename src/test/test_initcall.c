/* initcall: the linker keeps the table sorted by level; a failing call is logged and skipped. */
#include <nautilus/errno.h>
#include <nautilus/init.h>
#include <nautilus/string.h>
#include <nautilus/test.h>

static char trace[8];
static int traced;

static int first(void)
{
	trace[traced++] = 'a';
	return 0;
}

static int failing(void)
{
	trace[traced++] = 'b';
	return -ENODEV;
}

static int last(void)
{
	trace[traced++] = 'c';
	return 0;
}

NK_TEST(initcall, table_sorted_by_level)
{
	size_t n;
	const struct nk_initcall *t = nk_initcalls_table(&n);

	NK_ASSERT_GT(n, 0);
	for (size_t i = 0; i < n; i++) {
		NK_EXPECT_NOT_NULL(t[i].fn);
		NK_EXPECT_GE(t[i].level, NK_INIT_CORE);
		NK_EXPECT_LE(t[i].level, NK_INIT_LATE);
		if (i)
			NK_EXPECT_LE(t[i - 1].level, t[i].level);
	}
}

NK_TEST(initcall, failure_is_counted_and_the_rest_run)
{
	const struct nk_initcall calls[] = {
		{ first, "first", NK_INIT_CORE, 0 },
		{ failing, "failing", NK_INIT_CORE, 0 },
		{ last, "last", NK_INIT_LATE, 0 },
	};

	traced = 0;
	memset(trace, 0, sizeof(trace));
	NK_EXPECT_EQ(nk_initcalls_run_list(calls, NK_ARRAY_SIZE(calls)), 1);
	NK_EXPECT_EQ(traced, 3);
	NK_EXPECT_STREQ(trace, "abc");
}
