/*
 * Host unit tests of the shell's line editor (src/nautilus/shell/editor.c) and tokenizer
 * (tokenize.c): keystrokes in, line and terminal output checked byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nautilus/errno.h>

#include "editor.h"

#define PROMPT "> "

static char out_buf[1 << 16];
static size_t out_len;

static void capture(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	assert_true(out_len + len < sizeof(out_buf));
	memcpy(out_buf + out_len, buf, len);
	out_len += len;
	out_buf[out_len] = '\0';
}

static const char *const names[] = { "help", "hello", "version", "peek", "poke", NULL };

static const char *name_at(void *ctx, size_t i)
{
	(void)ctx;
	return i < sizeof(names) / sizeof(names[0]) ? names[i] : NULL;
}

static struct nk_editor ed;
static int nr_events[4];
static enum nk_editor_event last_event;

static void reset_output(void)
{
	out_len = 0;
	out_buf[0] = '\0';
}

static int setup(void **state)
{
	(void)state;
	nk_editor_init(&ed, PROMPT, capture, name_at, NULL);
	reset_output();
	nk_editor_begin(&ed);
	memset(nr_events, 0, sizeof(nr_events));
	return 0;
}

/* Feed bytes like a terminal would; every event other than MORE starts a new line. */
static void feed_n(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		last_event = nk_editor_feed(&ed, (uint8_t)s[i]);
		nr_events[last_event]++;
		if (last_event != NK_EDITOR_MORE && i + 1 < n)
			nk_editor_begin(&ed);
	}
}

static void feed(const char *s)
{
	feed_n(s, strlen(s));
}

/* Feed a line ending in CR and check it completed as expected. */
static void expect_line(const char *keys, const char *line)
{
	feed(keys);
	assert_int_equal(last_event, NK_EDITOR_LINE);
	assert_string_equal(nk_editor_line(&ed), line);
	nk_editor_begin(&ed);
}

static void test_prompt_and_echo(void **state)
{
	(void)state;
	assert_string_equal(out_buf, PROMPT);
	reset_output();
	feed("ls\r");
	assert_int_equal(last_event, NK_EDITOR_LINE);
	assert_string_equal(nk_editor_line(&ed), "ls");
	assert_string_equal(out_buf, "ls\r\n");
}

static void test_enter_variants(void **state)
{
	(void)state;
	feed("a\r\nb\n");
	assert_int_equal(nr_events[NK_EDITOR_LINE], 2); /* CR LF once, LF alone too */
	assert_string_equal(nk_editor_line(&ed), "b");
	nk_editor_begin(&ed);
	feed("\r\r");
	assert_int_equal(nr_events[NK_EDITOR_LINE], 4); /* CR CR: two empty lines */
	assert_string_equal(nk_editor_line(&ed), "");
	nk_editor_begin(&ed);
	expect_line("x\n\r", ""); /* LF CR is two Enters; only CR LF is merged */
	assert_int_equal(nr_events[NK_EDITOR_LINE], 6);
}

static void test_backspace(void **state)
{
	(void)state;
	expect_line("helx\x7fp\r", "help");
	expect_line("helx\bp\r", "help");
	expect_line("\x7f\x7fok\r", "ok"); /* nothing to delete at the start */
	reset_output();
	feed("ab\x7f");
	assert_string_equal(out_buf, "ab\x1b[1D\x1b[K");
}

static void test_cursor_keys(void **state)
{
	(void)state;
	expect_line("hep\x1b[Dl\r", "help");
	expect_line("elp\x1b[Hh\r", "help");
	expect_line("elp\x1b[1~h\x1b[4~!\r", "help!");
	expect_line("elp\x1bOHh\x1bOF!\r", "help!");
	expect_line("hlp\x1b[D\x1b[D\x1b[D\x1b[Ce\x1b[F!\r", "help!");
	expect_line("helxp\x1b[D\x1b[D\x1b[3~\r", "help"); /* Delete at the cursor */
	expect_line("ab\x1b[C\x1b[C\x1b[D\x1b[D\x1b[D\x1b[Dx\r",
		    "xab"); /* moves stop at the ends */
}

static void test_insert_redraws_tail(void **state)
{
	(void)state;
	feed("ac\x1b[D");
	reset_output();
	feed("b");
	assert_string_equal(out_buf, "bc\x1b[1D");
	reset_output();
	feed("\x7f");
	assert_string_equal(out_buf, "\x1b[1Dc\x1b[K\x1b[1D");
}

static void test_ctrl_c(void **state)
{
	(void)state;
	reset_output();
	feed("reboot\x03");
	assert_int_equal(last_event, NK_EDITOR_CANCELLED);
	assert_string_equal(out_buf, "reboot^C\r\n");
	nk_editor_begin(&ed);
	expect_line("x\r", "x");
	feed("\x1b[A");
	assert_string_equal(nk_editor_line(&ed), "x"); /* the cancelled line is not in history */
}

static void test_ctrl_u(void **state)
{
	(void)state;
	expect_line("abc def\x1b[D\x1b[D\x1b[D\x15\r", "def");
	expect_line("abc\x15xyz\r", "xyz");
	expect_line("\x15q\r", "q");
}

static void test_ignored_bytes(void **state)
{
	(void)state;
	reset_output();
	feed("a\x01\x02\x04\x05\x07\x0b\x0c\x0e\x1f\x80\xc3\xa9\377b");
	assert_string_equal(out_buf, "ab");
	expect_line("\x1b[Zc\x1b[5~\x1b[1;5Cd\x1bx\x1b[99999999999999Ge\r", "abcde");
	expect_line("x\x1b\r", "x"); /* a stray ESC does not eat Enter */
	feed("y\x1b[12\x03");	     /* nor Ctrl-C inside a sequence */
	assert_int_equal(last_event, NK_EDITOR_CANCELLED);
}

static void test_history(void **state)
{
	(void)state;
	expect_line("one\r", "one");
	expect_line("two\r", "two");
	expect_line("two\r", "two");
	expect_line("\r", "");
	expect_line("   \r", "   ");
	expect_line("\x1b[A\r", "two");
	expect_line("\x1b[A\x1b[A\r", "one");		  /* two was stored once */
	expect_line("\x1b[A\x1b[A\x1b[A\x1b[A\r", "one"); /* stops at the oldest */
	feed("new\x1b[A\x1b[A\x1b[B\x1b[B");
	assert_string_equal(nk_editor_line(&ed), "new"); /* the typed line comes back */
	feed("\x03");
	nk_editor_begin(&ed);
	expect_line("\x1b[A\x1b[B\x1b[B\r", "");
	expect_line("\x1b[A!\r", "one!");     /* a recalled line can be edited */
	expect_line("\x1b[A\x1b[A\r", "one"); /* ... without changing the history */
}

static void test_history_ring(void **state)
{
	char line[16];

	(void)state;
	for (int i = 0; i < NK_SHELL_HISTORY + 3; i++) {
		snprintf(line, sizeof(line), "cmd%d\r", i);
		feed(line);
		nk_editor_begin(&ed);
	}
	for (int i = 0; i < NK_SHELL_HISTORY + 5; i++)
		feed("\x1b[A");
	feed("\r");
	assert_string_equal(nk_editor_line(&ed), "cmd3"); /* the oldest kept of 19 */
}

static void test_too_long(void **state)
{
	char keys[NK_SHELL_MAX_LINE + 8];

	(void)state;
	memset(keys, 'x', NK_SHELL_MAX_LINE - 1);
	keys[NK_SHELL_MAX_LINE - 1] = '\0';
	feed(keys);
	reset_output();
	feed("yz\x7f\x1b[D\x1b[A");
	assert_string_equal(out_buf, "\a"); /* one bell, nothing else echoed or edited */
	feed("\r");
	assert_int_equal(last_event, NK_EDITOR_REJECTED);
	assert_string_equal(out_buf, "\a\r\n" NK_SHELL_TOO_LONG_MSG "\r\n");
	nk_editor_begin(&ed);
	expect_line("ok\r", "ok");
	expect_line("\x1b[A\x1b[A\r", "ok"); /* the rejected line is not in history */

	feed(keys); /* exactly NK_SHELL_MAX_LINE - 1 characters fit */
	feed("\r");
	assert_int_equal(last_event, NK_EDITOR_LINE);
	assert_int_equal(strlen(nk_editor_line(&ed)), NK_SHELL_MAX_LINE - 1);
}

static void test_overflow_then_ctrl_c(void **state)
{
	char keys[NK_SHELL_MAX_LINE + 1];

	(void)state;
	memset(keys, 'x', NK_SHELL_MAX_LINE);
	keys[NK_SHELL_MAX_LINE] = '\0';
	feed(keys);
	feed("\x03");
	assert_int_equal(last_event, NK_EDITOR_CANCELLED);
	nk_editor_begin(&ed);
	expect_line("a\r", "a");
}

static void test_tab_unique(void **state)
{
	(void)state;
	expect_line("v\t\r", "version ");
	expect_line("  pe\t\r", "  peek ");
	expect_line("he\x1b[D\t\r", "hele"); /* completes what is before the cursor: "h" */
	expect_line("ver x\x1b[D\x1b[D\t\r", "version x"); /* no second space */
}

static void test_tab_several(void **state)
{
	(void)state;
	reset_output();
	feed("he\t");
	assert_string_equal(nk_editor_line(&ed), "hel");
	assert_non_null(strstr(out_buf, "\r\nhelp  hello  \r\n"));
	assert_non_null(strstr(out_buf, "\r" PROMPT "hel\x1b[K"));
	assert_null(strstr(out_buf, "version"));
	reset_output();
	feed("\t");
	assert_string_equal(nk_editor_line(&ed), "hel"); /* nothing to add: listed again */
	assert_non_null(strstr(out_buf, "help  hello"));
}

static void test_tab_nothing(void **state)
{
	(void)state;
	reset_output();
	feed("zz\t");
	assert_string_equal(out_buf, "zz\a");
	expect_line("\r", "zz");
	reset_output();
	feed("peek he\t"); /* only the command name is completed */
	assert_string_equal(out_buf, "peek he\a");
	expect_line("\r", "peek he");
}

static void test_tab_without_names(void **state)
{
	(void)state;
	nk_editor_init(&ed, PROMPT, capture, NULL, NULL);
	nk_editor_begin(&ed);
	reset_output();
	feed("v\t");
	assert_string_equal(out_buf, "v\a");
}

static void test_tab_does_not_overflow(void **state)
{
	char keys[NK_SHELL_MAX_LINE];

	(void)state;
	memset(keys, 'x', NK_SHELL_MAX_LINE - 3);
	keys[NK_SHELL_MAX_LINE - 3] = '\0';
	feed("v");
	feed(keys);
	feed("\x1b[H\x1b[C");
	reset_output();
	feed("\t"); /* "ersion " does not fit beside 254 characters */
	assert_string_equal(out_buf, "\a");
	feed("\r");
	assert_int_equal(last_event, NK_EDITOR_LINE);
	assert_int_equal(strlen(nk_editor_line(&ed)), NK_SHELL_MAX_LINE - 2);
}

/* Random keystrokes: the editor's invariants hold and ASan sees no access out of bounds. */
static void test_random_bytes(void **state)
{
	static const char alphabet[] = "abhpv \t\r\n\x03\x08\x15\x1b[O~0134ABCDHF\x7f\x80\"";
	uint32_t x = 12345;

	(void)state;
	for (int i = 0; i < 300000; i++) {
		x = x * 1103515245 + 12345;
		uint8_t c = (x >> 16) % 4 ? (uint8_t)alphabet[(x >> 8) % (sizeof(alphabet) - 1)]
					  : (uint8_t)(x >> 8);
		if (i % 2000 == 0)
			reset_output();
		if (nk_editor_feed(&ed, c) != NK_EDITOR_MORE)
			nk_editor_begin(&ed);
		assert_true(ed.len < NK_SHELL_MAX_LINE);
		assert_true(ed.cursor <= ed.len);
		assert_int_equal(strlen(ed.line), ed.len);
	}
}

static void test_tokenize(void **state)
{
	char line[] = "  peek\t0x1000   \"a b\" x\"y z\"w \"\" end ";
	char *argv[8];

	(void)state;
	assert_int_equal(nk_shell_tokenize(line, argv, 8), 6);
	assert_string_equal(argv[0], "peek");
	assert_string_equal(argv[1], "0x1000");
	assert_string_equal(argv[2], "a b");
	assert_string_equal(argv[3], "xy zw");
	assert_string_equal(argv[4], "");
	assert_string_equal(argv[5], "end");
}

static void test_tokenize_limits(void **state)
{
	char empty[] = "   ", four[] = "a b c d", five[] = "a b c d e", open[] = "echo \"abc";
	char *argv[4];

	(void)state;
	assert_int_equal(nk_shell_tokenize(empty, argv, 4), 0);
	assert_int_equal(nk_shell_tokenize(four, argv, 4), 4);
	assert_string_equal(argv[3], "d");
	assert_int_equal(nk_shell_tokenize(five, argv, 4), -E2BIG);
	assert_int_equal(nk_shell_tokenize(open, argv, 4), -EINVAL);
}

#define T(fn) cmocka_unit_test_setup(fn, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_prompt_and_echo),
		T(test_enter_variants),
		T(test_backspace),
		T(test_cursor_keys),
		T(test_insert_redraws_tail),
		T(test_ctrl_c),
		T(test_ctrl_u),
		T(test_ignored_bytes),
		T(test_history),
		T(test_history_ring),
		T(test_too_long),
		T(test_overflow_then_ctrl_c),
		T(test_tab_unique),
		T(test_tab_several),
		T(test_tab_nothing),
		T(test_tab_without_names),
		T(test_tab_does_not_overflow),
		T(test_random_bytes),
		T(test_tokenize),
		T(test_tokenize_limits),
	};

	return cmocka_run_group_tests_name("shell", tests, NULL, NULL);
}
