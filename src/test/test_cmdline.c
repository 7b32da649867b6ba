/*
 * Suite "cmdline": kernel command line parsing: defaults, each flag, malformed values and
 * unknown flags (one warning each, naming the flag), whitespace, and what is ignored; the
 * machine expectations (expect_cpus, expect_nodes, expect_dist) at their limits.
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
		NK_EXPECT(!(o).run_bench);               \
		NK_EXPECT_STREQ((o).bench, "");          \
		NK_EXPECT_EQ((o).expect_cpus, 0);        \
		NK_EXPECT_EQ((o).expect_nodes, 0);       \
		NK_EXPECT_EQ((o).nr_expect_dist, 0);     \
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
	NK_EXPECT_EQ(parse("bench=barrier_[24]", &o), 0);
	NK_EXPECT(o.run_bench);
	NK_EXPECT_STREQ(o.bench, "barrier_[24]");
	NK_EXPECT_EQ(parse("expect_cpus=4", &o), 0);
	NK_EXPECT_EQ(o.expect_cpus, 4);
	NK_EXPECT_EQ(parse("expect_nodes=2", &o), 0);
	NK_EXPECT_EQ(o.expect_nodes, 2);
	NK_EXPECT_EQ(parse("expect_dist=10,21,21,10", &o), 0);
	NK_ASSERT_EQ(o.nr_expect_dist, 4);
	NK_EXPECT_EQ(o.expect_dist[0], 10);
	NK_EXPECT_EQ(o.expect_dist[1], 21);
	NK_EXPECT_EQ(o.expect_dist[2], 21);
	NK_EXPECT_EQ(o.expect_dist[3], 10);
	NK_EXPECT_EQ(nr_warned, 0);
}

/* The bounds of the expect_* flags: 1..1024 CPUs, 1..64 nodes, N*N distances for N = 1..8. */
NK_TEST(cmdline, expect_limits)
{
	static char line[8 * 8 * 4 + 32];
	struct nk_cmdline o;
	size_t len = 0;

	NK_EXPECT_EQ(parse("expect_cpus=1 expect_nodes=1 expect_dist=10", &o), 0);
	NK_EXPECT_EQ(o.expect_cpus, 1);
	NK_EXPECT_EQ(o.expect_nodes, 1);
	NK_EXPECT_EQ(o.nr_expect_dist, 1);
	NK_EXPECT_EQ(parse("expect_cpus=1024 expect_nodes=64 expect_dist=0,255,255,0", &o), 0);
	NK_EXPECT_EQ(o.expect_cpus, 1024);
	NK_EXPECT_EQ(o.expect_nodes, 64);
	NK_EXPECT_EQ(o.expect_dist[1], 255);
	len = nk_snprintf(line, sizeof(line), "expect_dist=");
	for (int i = 0; i < 64; i++)
		len += nk_snprintf(line + len, sizeof(line) - len, "%s%d", i ? "," : "", 10 + i);
	NK_EXPECT_EQ(parse(line, &o), 0);
	NK_ASSERT_EQ(o.nr_expect_dist, 64);
	NK_EXPECT_EQ(o.expect_dist[63], 73);
	nk_snprintf(line + len, sizeof(line) - len, ",10"); /* 65 values */
	NK_EXPECT_EQ(parse(line, &o), 1);
	NK_EXPECT_EQ(o.nr_expect_dist, 0);
	/* A bad value leaves the last good one in place. */
	NK_EXPECT_EQ(parse("expect_dist=10,20,20,10 expect_dist=10,20,20", &o), 1);
	NK_EXPECT_EQ(o.nr_expect_dist, 4);
	NK_EXPECT_EQ(parse("expect_cpus=3 expect_cpus=0", &o), 1);
	NK_EXPECT_EQ(o.expect_cpus, 3);
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
	static const char *const bad[] = { "loglevel=8",
					   "loglevel=x",
					   "loglevel=",
					   "loglevel",
					   "loglevel=77",
					   "loglevel=-1",
					   "shell=2",
					   "shell=",
					   "shell",
					   "quiet=1",
					   "test=",
					   "test",
					   "test=a,,b",
					   "test=,a",
					   "test=a,",
					   "bench=",
					   "bench",
					   "bench=a,b",
					   "bench=*,",
					   "expect_cpus=0",
					   "expect_cpus=1025",
					   "expect_cpus=-1",
					   "expect_cpus=4x",
					   "expect_cpus=0x4",
					   "expect_cpus=",
					   "expect_cpus",
					   "expect_nodes=0",
					   "expect_nodes=65",
					   "expect_nodes=+2",
					   "expect_nodes=99999999999",
					   "expect_dist=",
					   "expect_dist",
					   "expect_dist=10,20",
					   "expect_dist=10,20,20,256",
					   "expect_dist=10,,20,10",
					   "expect_dist=,10",
					   "expect_dist=10,",
					   "expect_dist=a" };
	struct nk_cmdline o;

	for (size_t i = 0; i < NK_ARRAY_SIZE(bad); i++) {
		char quoted[64];

		NK_EXPECT_EQ(parse(bad[i], &o), 1);
		NK_EXPECT_EQ(nr_warned, 1);
		NK_EXPECT_EQ(o.nr_warnings, 1);
		EXPECT_DEFAULTS(o);
		nk_snprintf(quoted, sizeof(quoted), "bad value in \"%s\" (expected ", bad[i]);
		NK_EXPECT(strstr(warnings[0], quoted));
	}
	parse("loglevel=x", &o);
	NK_EXPECT_STREQ(warnings[0], "cmdline: bad value in \"loglevel=x\" (expected 0..7)");
	parse("expect_dist=10,20", &o);
	NK_EXPECT_STREQ(warnings[0],
			"cmdline: bad value in \"expect_dist=10,20\" (expected N*N "
			"comma-separated distances 0..255, row-major, for N = 1..8 nodes)");
	parse("expect_cpus=0", &o);
	NK_EXPECT_STREQ(warnings[0],
			"cmdline: bad value in \"expect_cpus=0\" (expected a number of "
			"CPUs, 1..1024)");
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
				     "loglevel=0..7 test=<glob>[,<glob>] bench=<glob> shell=0|1 "
				     "quiet expect_cpus=N expect_nodes=N expect_dist=d,d,...)");
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

/* bench= holds one glob of at most NK_CMDLINE_BENCH_MAX - 1 bytes; a longer one is refused. */
NK_TEST(cmdline, long_bench_glob)
{
	static char line[NK_CMDLINE_BENCH_MAX + 16];
	struct nk_cmdline o;
	size_t max = NK_CMDLINE_BENCH_MAX - 1;

	memcpy(line, "bench=", 6);
	memset(line + 6, '?', max);
	line[6 + max] = '\0';
	NK_EXPECT_EQ(parse(line, &o), 0);
	NK_EXPECT(o.run_bench);
	NK_EXPECT_EQ(strlen(o.bench), max);
	NK_EXPECT_EQ(parse("bench=yield* bench=a,b", &o), 1); /* the last good one stays */
	NK_EXPECT_STREQ(o.bench, "yield*");
	line[6 + max] = '?';
	line[6 + max + 1] = '\0';
	NK_EXPECT_EQ(parse(line, &o), 1);
	NK_EXPECT(!o.run_bench);
	NK_EXPECT_STREQ(warnings[0], "cmdline: bad value in \"bench=??????????????????????????????"
				     "????????????????????????????...\" (expected one <glob> of "
				     "benchmark names, no comma, at most 63 bytes)");
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
