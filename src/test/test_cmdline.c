/*
 * Suite "cmdline": kernel command line parsing: defaults, each flag, malformed values and
 * unknown flags (one warning each, naming the flag), whitespace, and what is ignored.
 */
#include <nautilus/cmdline.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>
#include <nautilus/test.h>

/* The warnings of the last parse (warn() has no context argument, hence the statics). */
static char warnings[8][256];
static int nr_warned;

static void record_warning(const char *msg)
{
	if (nr_warned < 8)
		nk_strlcpy(warnings[nr_warned], msg, sizeof(warnings[0]));
	nr_warned++;
}

static int parse(const char *line, struct nk_cmdline *o)
{
	nr_warned = 0;
	memset(warnings, 0, sizeof(warnings));
	return nk_cmdline_parse(line, o, record_warning);
}

#define EXPECT_DEFAULTS(o)                               \
	do {                                             \
		NK_EXPECT_EQ((o).loglevel, NK_LOG_INFO); \
		NK_EXPECT(!(o).quiet);                   \
		NK_EXPECT((o).shell);                    \
		NK_EXPECT(!(o).run_tests);               \
		NK_EXPECT_STREQ((o).tests, "");          \
	} while (0)

NK_TEST(cmdline, defaults_on_empty_lines)
{
	struct nk_cmdline o;

	memset(&o, 0x5a, sizeof(o)); /* the parser must not rely on a zeroed struct */
	NK_EXPECT_EQ(parse("", &o), 0);
	EXPECT_DEFAULTS(o);
	NK_EXPECT_EQ(o.nr_warnings, 0);
	NK_EXPECT_EQ(parse(" \t\n  ", &o), 0);
	EXPECT_DEFAULTS(o);
	NK_EXPECT_EQ(parse(NULL, &o), 0);
	EXPECT_DEFAULTS(o);
	NK_EXPECT_EQ(nr_warned, 0);
}

NK_TEST(cmdline, each_flag)
{
	struct nk_cmdline o;

	NK_EXPECT_EQ(parse("loglevel=0", &o), 0);
	NK_EXPECT_EQ(o.loglevel, 0);
	NK_EXPECT_EQ(parse("loglevel=7", &o), 0);
	NK_EXPECT_EQ(o.loglevel, 7);
	NK_EXPECT_EQ(parse("shell=0", &o), 0);
	NK_EXPECT(!o.shell);
	NK_EXPECT_EQ(parse("shell=1", &o), 0);
	NK_EXPECT(o.shell);
	NK_EXPECT_EQ(parse("quiet", &o), 0);
	NK_EXPECT(o.quiet);
	NK_EXPECT_EQ(parse("test=kmem.*,buddy.split*", &o), 0);
	NK_EXPECT(o.run_tests);
	NK_EXPECT_STREQ(o.tests, "kmem.*,buddy.split*");
	NK_EXPECT_EQ(nr_warned, 0);
}

NK_TEST(cmdline, many_flags_and_spaces)
{
	struct nk_cmdline o;

	NK_EXPECT_EQ(parse("  loglevel=2\t\tshell=0   test=*  \r\n quiet  ", &o), 0);
	NK_EXPECT_EQ(o.loglevel, 2);
	NK_EXPECT(!o.shell);
	NK_EXPECT(o.quiet);
	NK_EXPECT_STREQ(o.tests, "*");
	NK_EXPECT_EQ(parse("loglevel=1 loglevel=3", &o), 0);
	NK_EXPECT_EQ(o.loglevel, 3); /* the last one wins */
}

NK_TEST(cmdline, bad_values)
{
	static const char *const bad[] = { "loglevel=8",  "loglevel=x",	 "loglevel=", "loglevel",
					   "loglevel=77", "loglevel=-1", "shell=2",   "shell=",
					   "shell",	  "quiet=1",	 "test=",     "test",
					   "test=a,,b",	  "test=,a",	 "test=a," };
	struct nk_cmdline o;

	for (size_t i = 0; i < NK_ARRAY_SIZE(bad); i++) {
		char quoted[32];

		NK_EXPECT_EQ(parse(bad[i], &o), 1);
		NK_EXPECT_EQ(nr_warned, 1);
		NK_EXPECT_EQ(o.nr_warnings, 1);
		EXPECT_DEFAULTS(o);
		nk_snprintf(quoted, sizeof(quoted), "bad value in \"%s\" (expected ", bad[i]);
		NK_EXPECT(strstr(warnings[0], quoted));
	}
	parse("loglevel=x", &o);
	NK_EXPECT_STREQ(warnings[0], "cmdline: bad value in \"loglevel=x\" (expected 0..7)");
}

NK_TEST(cmdline, unknown_flags_named)
{
	struct nk_cmdline o;

	NK_EXPECT_EQ(parse("foo=1 loglevel=3 bar quiet loglevel=9", &o), 3);
	NK_EXPECT_EQ(o.nr_warnings, 3);
	NK_ASSERT_EQ(nr_warned, 3);
	NK_EXPECT_EQ(o.loglevel, 3);
	NK_EXPECT(o.quiet);
	NK_EXPECT_STREQ(warnings[0], "cmdline: unknown flag \"foo=1\" ignored (accepted: "
				     "loglevel=0..7 test=<glob>[,<glob>] shell=0|1 quiet)");
	NK_EXPECT(strstr(warnings[1], "unknown flag \"bar\""));
	NK_EXPECT(strstr(warnings[2], "\"loglevel=9\""));
	NK_EXPECT_EQ(nk_cmdline_parse("LOGLEVEL=3 x", &o, NULL), 2); /* names are case-sensitive */
}

/* test= fits NK_CMDLINE_TEST_MAX with its terminator; a longer list is refused, quoted cut. */
NK_TEST(cmdline, long_test_list)
{
	static char line[NK_CMDLINE_TEST_MAX + 16];
	struct nk_cmdline o;
	size_t max = NK_CMDLINE_TEST_MAX - 1;

	memcpy(line, "test=", 5);
	for (size_t i = 0; i < max; i++)
		line[5 + i] = i % 8 == 7 ? ',' : 'a';
	line[5 + max - 1] = 'z';
	line[5 + max] = '\0';
	NK_EXPECT_EQ(parse(line, &o), 0);
	NK_EXPECT(o.run_tests);
	NK_EXPECT_EQ(strlen(o.tests), max);
	line[5 + max] = 'y';
	line[5 + max + 1] = '\0';
	NK_EXPECT_EQ(parse(line, &o), 1);
	NK_EXPECT(!o.run_tests);
	NK_EXPECT_STREQ(o.tests, "");
	NK_EXPECT(strstr(warnings[0], "bad value in \"test=aaaaaaa,aaaa"));
	NK_EXPECT(strstr(warnings[0], "...\" (expected "));
	NK_EXPECT_LT(strlen(warnings[0]), sizeof(warnings[0]) - 1);
}

NK_TEST(cmdline, ignored_forms)
{
	struct nk_cmdline o;

	NK_EXPECT_EQ(parse("BOOT_IMAGE=/boot/nautilus.elf loglevel=5 -- foo=1 quiet", &o), 0);
	NK_EXPECT_EQ(o.loglevel, 5);
	NK_EXPECT(!o.quiet); /* after "--": not the kernel's */
	NK_EXPECT_EQ(nr_warned, 0);
	NK_EXPECT_EQ(parse("--x quiet", &o), 1); /* only "--" itself ends the flags */
	NK_EXPECT(o.quiet);
}
