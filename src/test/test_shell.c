/*
 * Suite "shell": the line editor and the dispatcher fed from buffers with their output captured,
 * peek/poke refusing addresses that would fault, hang the machine or corrupt the kernel, and the
 * thread commands (sleep and burn parse durations and counts strictly; threads and sched tables).
 */
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/kernel.h>
#include <nautilus/mm.h>
#include <nautilus/printk.h>
#include <nautilus/shell.h>
#include <nautilus/string.h>
#include <nautilus/test.h>
#include <nautilus/thread.h>
#include <nautilus/time.h>
#include <nautilus/timer.h>

#include "../nautilus/shell/editor.h"
#include "../nautilus/shell/shell_internal.h"

/* --- the editor, with its terminal output in term[] --- */

static struct nk_editor ed;
static char term[4096];
static size_t term_len;

static void term_out(void *ctx __nk_unused, const char *buf, size_t len)
{
	size_t n = NK_MIN(len, sizeof(term) - 1 - term_len);

	memcpy(term + term_len, buf, n);
	term_len += n;
	term[term_len] = '\0';
}

static const char *const names[] = { "help", "hello", "version" };

static const char *name_at(void *ctx __nk_unused, size_t i)
{
	return i < NK_ARRAY_SIZE(names) ? names[i] : NULL;
}

static void editor_start(void)
{
	nk_editor_init(&ed, NK_SHELL_PROMPT, term_out, name_at, NULL);
	nk_editor_begin(&ed);
	term_len = 0;
	term[0] = '\0';
	term[0] = '\0';
}

/* Feed n bytes; a new line starts after every event but the last, which is returned. */
static enum nk_editor_event feed_n(const char *keys, size_t n)
{
	enum nk_editor_event ev = NK_EDITOR_MORE;

	for (size_t i = 0; i < n; i++) {
		if (ev != NK_EDITOR_MORE)
			nk_editor_begin(&ed);
		ev = nk_editor_feed(&ed, (uint8_t)keys[i]);
	}
	return ev;
}

/* A copy of the line the keys complete, or "(no line)" if they end in another event. */
static const char *line_of(const char *keys)
{
	static char line[NK_SHELL_MAX_LINE];
	enum nk_editor_event ev = feed_n(keys, strlen(keys));

	nk_strlcpy(line, ev == NK_EDITOR_LINE ? nk_editor_line(&ed) : "(no line)", sizeof(line));
	nk_editor_begin(&ed);
	return line;
}

NK_TEST(shell, editor_editing_keys)
{
	editor_start();
	NK_EXPECT_STREQ(line_of("help\r"), "help");
	NK_EXPECT_STREQ(line_of("helx\x7fp\r"), "help");
	NK_EXPECT_STREQ(line_of("helx\bp\r"), "help");
	NK_EXPECT_STREQ(line_of("hep\x1b[Dl\r"), "help");
	NK_EXPECT_STREQ(line_of("hlp\x1b[D\x1b[D\x1b[D\x1b[Ce\x1b[F!\r"), "help!");
	NK_EXPECT_STREQ(line_of("elp\x1b[Hh\r"), "help");
	NK_EXPECT_STREQ(line_of("abc def\x1b[D\x1b[D\x1b[D\x15\r"), "def");
}

NK_TEST(shell, editor_ignores_control_and_unknown_bytes)
{
	editor_start();
	NK_EXPECT_STREQ(line_of("a\x01\x02\x07\x0b\x1f\x80\xc3\xa9\377b\x1b[Zc\x1b[5~d\r"), "abcd");
	NK_EXPECT_STREQ(line_of("one\r\ntwo\r"), "two"); /* CR LF is one Enter */
	NK_EXPECT_STREQ(line_of("\r"), "");
}

NK_TEST(shell, editor_history)
{
	editor_start();
	line_of("one\r");
	line_of("two\r");
	line_of("two\r");
	line_of("\r");
	NK_EXPECT_STREQ(line_of("\x1b[A\r"), "two");
	NK_EXPECT_STREQ(line_of("\x1b[A\x1b[A\r"), "one");	 /* no duplicate, no empty entry */
	NK_EXPECT_STREQ(line_of("\x1b[A\x1b[A\x1b[B\r"), "one"); /* down again: the newest */
	NK_EXPECT_STREQ(line_of("x\x1b[A\x1b[B\r"), "x");	 /* back to the typed line */
}

NK_TEST(shell, editor_ctrl_c)
{
	editor_start();
	NK_EXPECT_EQ(feed_n("reboot\x03", 7), NK_EDITOR_CANCELLED);
	NK_EXPECT(strstr(term, "reboot^C\r\n"));
	nk_editor_begin(&ed);
	NK_EXPECT(strstr(term, "^C\r\n" NK_SHELL_PROMPT));
	NK_EXPECT_STREQ(line_of("ok\r"), "ok");
	NK_EXPECT_STREQ(line_of("\x1b[A\x1b[A\r"), "ok"); /* the cancelled line is not kept */
}

NK_TEST(shell, editor_rejects_long_line)
{
	char keys[NK_SHELL_MAX_LINE + 2];

	editor_start();
	memset(keys, 'x', sizeof(keys));
	keys[sizeof(keys) - 1] = '\r';
	NK_EXPECT_EQ(feed_n(keys, sizeof(keys)), NK_EDITOR_REJECTED);
	NK_EXPECT(strstr(term, "\r\n" NK_SHELL_TOO_LONG_MSG "\r\n"));
	nk_editor_begin(&ed);
	keys[NK_SHELL_MAX_LINE - 1] = '\r'; /* 255 characters: the longest accepted */
	NK_EXPECT_EQ(feed_n(keys, NK_SHELL_MAX_LINE), NK_EDITOR_LINE);
	NK_EXPECT_EQ(strlen(nk_editor_line(&ed)), NK_SHELL_MAX_LINE - 1);
}

NK_TEST(shell, editor_tab_completion)
{
	editor_start();
	NK_EXPECT_STREQ(line_of("v\t\r"), "version ");
	term_len = 0;
	term[0] = '\0';
	NK_EXPECT_EQ(feed_n("he\t", 3), NK_EDITOR_MORE);
	NK_EXPECT_STREQ(nk_editor_line(&ed), "hel");
	NK_EXPECT(strstr(term, "\r\nhelp  hello  \r\n"));
	NK_EXPECT(!strstr(term, "version"));
	nk_editor_begin(&ed);
	NK_EXPECT_STREQ(line_of("zz\t\r"), "zz");
}

NK_TEST(shell, tokenizer)
{
	char line[] = " a  \"b c\" d\"e\"f \"\" ";
	char many[] = "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17";
	char open[] = "say \"hi";
	char *argv[NK_SHELL_MAX_ARGS];

	NK_ASSERT_EQ(nk_shell_tokenize(line, argv, NK_SHELL_MAX_ARGS), 4);
	NK_EXPECT_STREQ(argv[0], "a");
	NK_EXPECT_STREQ(argv[1], "b c");
	NK_EXPECT_STREQ(argv[2], "def");
	NK_EXPECT_STREQ(argv[3], "");
	NK_EXPECT_EQ(nk_shell_tokenize(many, argv, NK_SHELL_MAX_ARGS), -E2BIG);
	NK_EXPECT_EQ(nk_shell_tokenize(open, argv, NK_SHELL_MAX_ARGS), -EINVAL);
}

/* --- the dispatcher, with nk_shell_printf output in cap[] --- */

static char cap[8192];

static int run(const char *line)
{
	int ret;

	nk_shell_capture_begin(cap, sizeof(cap));
	ret = nk_shell_execute(line);
	nk_shell_capture_end();
	return ret;
}

/* A hidden test-only command: records its arguments; no argument is a usage error. */
static int echo_argc;
static char echo_argv[4][16];

static int test_echo(int argc, char **argv)
{
	echo_argc = argc;
	for (int i = 0; i < argc && i < 4; i++)
		nk_strlcpy(echo_argv[i], argv[i], sizeof(echo_argv[i]));
	if (argc == 1)
		return -EINVAL;
	return strcmp(argv[1], "fail") ? 0 : -ENOMEM;
}
NK_SHELL_CMD(__test_echo, "<words...>: record the arguments (tests only)", test_echo);

NK_TEST(shell, execute_unknown_command)
{
	NK_EXPECT_EQ(run("frobnicate now"), -ENOENT);
	NK_EXPECT_STREQ(cap, "unknown command: frobnicate (try help)\n");
	NK_EXPECT_EQ(run("   "), 0);
	NK_EXPECT_STREQ(cap, "");
}

NK_TEST(shell, execute_passes_argv)
{
	echo_argc = 0;
	NK_EXPECT_EQ(run("  __test_echo one \"two three\"  x"), 0);
	NK_EXPECT_STREQ(cap, "");
	NK_ASSERT_EQ(echo_argc, 4);
	NK_EXPECT_STREQ(echo_argv[0], "__test_echo");
	NK_EXPECT_STREQ(echo_argv[1], "one");
	NK_EXPECT_STREQ(echo_argv[2], "two three");
	NK_EXPECT_STREQ(echo_argv[3], "x");
}

NK_TEST(shell, execute_reports_errors)
{
	char longline[NK_SHELL_MAX_LINE + 8];

	NK_EXPECT_EQ(run("__test_echo"), -EINVAL);
	NK_EXPECT_STREQ(cap, "usage: __test_echo <words...>\n");
	NK_EXPECT_EQ(run("__test_echo fail"), -ENOMEM);
	NK_EXPECT_STREQ(cap, "__test_echo: ENOMEM\n");
	echo_argc = 0;
	NK_EXPECT_EQ(run("__test_echo 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"), -E2BIG);
	NK_EXPECT(strstr(cap, "too many arguments"));
	NK_EXPECT_EQ(run("__test_echo \"open"), -EINVAL);
	NK_EXPECT_STREQ(cap, "unterminated quote\n");
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	NK_EXPECT_EQ(run(longline), -E2BIG);
	NK_EXPECT_STREQ(cap, NK_SHELL_TOO_LONG_MSG "\n");
	NK_EXPECT_EQ(echo_argc, 0); /* the command never ran */
}

NK_TEST(shell, table_sorted)
{
	size_t n = nk_shell_cmd_count();

	NK_ASSERT_GE(n, 5);
	for (size_t i = 1; i < n; i++)
		NK_EXPECT_LT(strcmp(nk_shell_cmd_at(i - 1)->name, nk_shell_cmd_at(i)->name), 0);
	NK_EXPECT_NULL(nk_shell_cmd_at(n));
	NK_EXPECT_NOT_NULL(nk_shell_cmd_find("help"));
	NK_EXPECT_NULL(nk_shell_cmd_find("hel"));
}

NK_TEST(shell, help_command)
{
	NK_EXPECT_EQ(run("help"), 0);
	NK_EXPECT(strstr(cap, "  peek <addr> [count]"));
	NK_EXPECT(strstr(cap, "  version"));
	NK_EXPECT(strstr(cap, "  shutdown"));
	NK_EXPECT(!strstr(cap, "__test_echo"));
	NK_EXPECT_EQ(run("help poke"), 0);
	NK_EXPECT(strstr(cap, "usage: poke <addr> <value> [width]\n  write value"));
	NK_EXPECT_EQ(run("help frobnicate"), -ENOENT);
	NK_EXPECT(strstr(cap, "no command named frobnicate"));
	NK_EXPECT_EQ(run("help a b"), -EINVAL);
	NK_EXPECT_STREQ(cap, "usage: help [command]\n");
}

NK_TEST(shell, info_commands)
{
	char expected[256];

	NK_EXPECT_EQ(run("version"), 0);
	nk_snprintf(expected, sizeof(expected), "%s\n", nk_version_string);
	NK_EXPECT_STREQ(cap, expected);
	NK_EXPECT_EQ(run("version 2"), -EINVAL);
	NK_EXPECT_EQ(run("uptime"), 0);
	NK_EXPECT(strstr(cap, "up ") || strstr(cap, "not calibrated"));
	NK_EXPECT_EQ(run("cmdline"), 0);
	NK_EXPECT(strstr(cap, "command line: \""));
}

/* --- peek and poke --- */

static int runf(const char *fmt, ...) __nk_printf(1, 2);
static int runf(const char *fmt, ...)
{
	char line[NK_SHELL_MAX_LINE];
	va_list ap;

	va_start(ap, fmt);
	nk_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return run(line);
}

/* A byte inside the kernel image: peek may read it, poke must refuse it. */
static volatile uint8_t image_byte = 0x5a;

NK_TEST(shell, peek_refuses_bad_addresses)
{
	unsigned long img = (unsigned long)(uintptr_t)&image_byte;

	NK_EXPECT_EQ(run("peek 0"), -EFAULT);
	NK_EXPECT(strstr(cap, "page 0"));
	NK_EXPECT_EQ(run("peek 0xff8 16"), -EFAULT);
	NK_EXPECT_EQ(run("peek 0x7ffffffff000"), -EFAULT); /* far beyond RAM */
	NK_EXPECT_EQ(run("peek 0x100000000000 16"), -EFAULT);
	NK_EXPECT_EQ(run("peek 0xfffffffffffffff0 64"), -EFAULT);
	NK_EXPECT(strstr(cap, "wraps around"));
	NK_EXPECT_EQ(run("peek 0xa0000 16"), -EFAULT);	  /* legacy VGA window: not RAM */
	NK_EXPECT_EQ(run("peek 0xfee00000 16"), -EFAULT); /* local APIC registers */
	NK_EXPECT_EQ(run("peek nowhere"), -EINVAL);
	NK_EXPECT(strstr(cap, "bad address \"nowhere\""));
	NK_EXPECT(strstr(cap, "usage: peek <addr> [count]\n"));
	NK_EXPECT_EQ(runf("peek 0x%lx 0", img), -EINVAL);
	NK_EXPECT_EQ(runf("peek 0x%lx 4097", img), -EINVAL);
	NK_EXPECT_EQ(run("peek"), -EINVAL);
	NK_EXPECT_EQ(runf("peek 0x%lx 1", img), 0);
	NK_EXPECT(strstr(cap, ": 5a "));
}

NK_TEST(shell, poke_refuses_bad_addresses)
{
	NK_EXPECT_EQ(run("poke 0 1"), -EFAULT);
	NK_EXPECT(strstr(cap, "page 0"));
	NK_EXPECT_EQ(run("poke 0x7ffffffff000 1"), -EFAULT);
	NK_EXPECT_EQ(run("poke 0xfee000b0 0 4"), -EFAULT);
	NK_EXPECT_EQ(runf("poke 0x%lx 0x5a", (unsigned long)(uintptr_t)&image_byte), -EFAULT);
	NK_EXPECT(strstr(cap, "inside the kernel image"));
	NK_EXPECT_EQ(image_byte, 0x5a);
}

NK_TEST(shell, poke_then_peek_a_buffer)
{
	uint8_t *buf = nk_malloc(64);
	unsigned long a = (unsigned long)(uintptr_t)buf;
	char expected[128];

	NK_ASSERT_NOT_NULL(buf);
	NK_ASSERT(NK_IS_ALIGNED(a, 8));
	memset(buf, 0, 64);
	NK_EXPECT_EQ(runf("poke 0x%lx 0x1122334455667788 8", a + 8), 0);
	NK_EXPECT_UEQ(*(volatile uint64_t *)(buf + 8), 0x1122334455667788ULL);
	NK_EXPECT_EQ(runf("poke 0x%lx 0xab", a + 1), 0);
	NK_EXPECT_EQ(runf("poke 0x%lx 0xbeef 2", a + 2), 0);
	NK_EXPECT_EQ(runf("poke 0x%lx 0xcafe 4", a + 4), 0);
	NK_EXPECT_EQ(runf("peek 0x%lx 16", a), 0);
	nk_snprintf(expected, sizeof(expected),
		    "%016lx: 00 ab ef be fe ca 00 00 88 77 66 55 44 33 22 11  |", a);
	NK_EXPECT(strstr(cap, expected));

	NK_EXPECT_EQ(runf("poke 0x%lx 0x100", a), -EINVAL); /* does not fit in one byte */
	NK_EXPECT(strstr(cap, "does not fit"));
	NK_EXPECT_EQ(runf("poke 0x%lx 1 4", a + 2), -EINVAL);
	NK_EXPECT(strstr(cap, "not aligned"));
	NK_EXPECT_EQ(runf("poke 0x%lx 1 3", a), -EINVAL);
	NK_EXPECT_EQ(runf("poke 0x%lx", a), -EINVAL);
	NK_EXPECT_EQ(buf[0], 0);
	NK_EXPECT_EQ(buf[2], 0xef);
	nk_free(buf);
}

/* --- threads, sched, sleep, burn --- */

#define MS (1000 * 1000ULL)

/* Run line; it must take at least min_ns. */
static void expect_sleeps(struct nk_test_ctx *nk_t, const char *line, uint64_t min_ns)
{
	uint64_t t0 = nk_time_ns();

	NK_EXPECT_EQ(run(line), 0);
	NK_EXPECT_GE(nk_time_ns() - t0, min_ns);
	NK_EXPECT_STREQ(cap, "");
}

/* line is refused with -EINVAL, a message containing why, and the usage. */
static void expect_refused(struct nk_test_ctx *nk_t, const char *line, const char *why,
			   const char *usage)
{
	NK_EXPECT_EQ(run(line), -EINVAL);
	if (why && !strstr(cap, why))
		nk_test_fail(nk_t, __FILE__, __LINE__, "\"%s\": no \"%s\" in \"%s\"", line, why,
			     cap);
	if (!strstr(cap, usage))
		nk_test_fail(nk_t, __FILE__, __LINE__, "\"%s\": no usage line in \"%s\"", line,
			     cap);
}

NK_TEST(shell, sleep_durations)
{
	static const char *const bad[] = { "sleep x",  "sleep 10m",  "sleep -5ms", "sleep 1.5s",
					   "sleep ms", "sleep 10 s", "sleep 0x10", "sleep 5S" };
	const char *usage = "usage: sleep <duration>";

	expect_sleeps(nk_t, "sleep 20ms", 20 * MS);
	expect_sleeps(nk_t, "sleep 15", 15 * MS); /* a bare number is ms */
	expect_sleeps(nk_t, "sleep 3000us", 3 * MS);
	expect_sleeps(nk_t, "sleep 0", 0);
	expect_sleeps(nk_t, "sleep 010ms", 10 * MS); /* decimal, not octal */
	for (size_t i = 0; i < NK_ARRAY_SIZE(bad); i++)
		expect_refused(nk_t, bad[i], NULL, usage);
	expect_refused(nk_t, "sleep x", "bad duration \"x\"", usage);
	expect_refused(nk_t, "sleep", NULL, usage);
	expect_refused(nk_t, "sleep 3601s", "at most 3600 s", usage);
	expect_refused(nk_t, "sleep 99999999999999999999999999ms", "too long", usage);
	expect_refused(nk_t, "sleep 18446744073709551615s", "too long", usage);
}

/* Until nk_thread_count() is n (detached threads are reaped after they exit), or 5 s. */
static bool await_thread_count(int n)
{
	uint64_t end = nk_time_ns() + 5000 * MS;

	while (nk_thread_count() != n && nk_time_ns() < end)
		nk_sleep(MS);
	return nk_thread_count() == n;
}

NK_TEST(shell, burn_starts_detached_threads)
{
	static const char *const bad[] = { "burn 0",	  "burn 65",	"burn x",     "burn -1",
					   "burn 2 1min", "burn 2 61s", "burn 1 2 3", "burn 0x2" };
	const char *usage = "usage: burn <threads> [duration]";
	int threads = nk_thread_count();
	uint64_t t0 = nk_time_ns();

	NK_EXPECT_EQ(run("burn 2 300ms"), 0);
	NK_EXPECT(strstr(cap, "burn: 2 threads spinning for 300 ms"));
	NK_EXPECT_EQ(run("threads"), 0);
	if (nk_time_ns() - t0 < 200 * MS) { /* else the host held us up: they may be gone */
		NK_EXPECT(strstr(cap, " burn-0 "));
		NK_EXPECT(strstr(cap, " burn-1 "));
	}
	NK_EXPECT(await_thread_count(threads));
	for (size_t i = 0; i < NK_ARRAY_SIZE(bad); i++)
		expect_refused(nk_t, bad[i], NULL, usage);
	expect_refused(nk_t, "burn", NULL, usage);
	expect_refused(nk_t, "burn 65", "bad thread count \"65\": 1 to 64", usage);
	expect_refused(nk_t, "burn 1 x", "bad duration \"x\"", usage);
	NK_EXPECT_EQ(nk_thread_count(), threads);
}

/* The table lists the calling thread as running here, and counts the threads. */
NK_TEST(shell, threads_table)
{
	nk_thread_id_t self = nk_thread_self();
	const char *name = nk_thread_name(self);
	char row[96], total[32];

	NK_EXPECT_EQ(run("threads"), 0);
	NK_EXPECT(strstr(cap, "   id name "));
	nk_snprintf(row, sizeof(row), "\n%5llu %-20s %3d %-8s ",
		    (unsigned long long)nk_thread_number(self), name[0] ? name : "-", nk_cpu_id(),
		    nk_thread_state_name(NK_THREAD_RUNNING));
	NK_EXPECT(strstr(cap, row));
	nk_snprintf(total, sizeof(total), "\n%d threads (", nk_thread_count());
	NK_EXPECT(strstr(cap, total));
	expect_refused(nk_t, "threads all", NULL, "usage: threads\n");
}

/* One row per online CPU, numbered. */
NK_TEST(shell, sched_table)
{
	char row[16];

	NK_EXPECT_EQ(run("sched"), 0);
	NK_EXPECT(strstr(cap, "cpu threads runnable"));
	for (int cpu = 0; cpu < nk_cpu_count(); cpu++) {
		nk_snprintf(row, sizeof(row), "\n%3d ", cpu);
		NK_EXPECT(strstr(cap, row));
	}
	nk_snprintf(row, sizeof(row), "\n%3d ", nk_cpu_count());
	NK_EXPECT(!strstr(cap, row));
	expect_refused(nk_t, "sched 0", NULL, "usage: sched\n");
}
