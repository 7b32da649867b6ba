/*
 * Suite "format": nk_snprintf against expected strings, truncation and return values, and the
 * log ring (order, wraparound, drops). The host runs these cases too, beside its comparison
 * of nk_snprintf with glibc.
 */
#include <nautilus/errno.h>
#include <nautilus/logring.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>
#include <nautilus/test.h>

/* Format into a 128-byte buffer; expect the text and a return value equal to its length. */
#define EXPECT_FMT(expected, fmt, ...)                                        \
	do {                                                                  \
		char buf_[128];                                               \
		int n_ = nk_snprintf(buf_, sizeof(buf_), fmt, ##__VA_ARGS__); \
		NK_EXPECT_STREQ(buf_, expected);                              \
		NK_EXPECT_EQ(n_, strlen(expected));                           \
	} while (0)

/*
 * Hide a value from the compiler, so that formats gcc rightly warns about (flags C leaves
 * without effect, a NULL %s, a result past INT_MAX) can still be tested.
 */
static const void *opaque(const void *p)
{
	asm("" : "+r"(p));
	return p;
}

#define EXPECT_FMT_UNCHECKED(expected, fmt, ...) \
	EXPECT_FMT(expected, (const char *)opaque(fmt), ##__VA_ARGS__)

NK_TEST(format, integers)
{
	EXPECT_FMT("0 -1 42", "%d %i %u", 0, -1, 42u);
	EXPECT_FMT("-2147483648 2147483647", "%d %d", -2147483647 - 1, 2147483647);
	EXPECT_FMT("4294967295", "%u", 0xffffffffu);
	EXPECT_FMT("-9223372036854775808", "%lld", -9223372036854775807LL - 1);
	EXPECT_FMT("18446744073709551615", "%llu", 18446744073709551615ULL);
	EXPECT_FMT("-1 18446744073709551615", "%ld %lu", -1L, -1UL);
	EXPECT_FMT("44 44 4464 -1", "%hhd %hhu %hd %hd", 300, 300, 70000, 65535);
	EXPECT_FMT("-1 18446744073709551615", "%zd %zu", (size_t)-1, (size_t)-1);
	EXPECT_FMT("-5 -7", "%td %jd", (ptrdiff_t)-5, (intmax_t)-7);
}

NK_TEST(format, hex_octal)
{
	EXPECT_FMT("ff FF 0xff 0XFF", "%x %X %#x %#X", 255u, 255u, 255u, 255u);
	EXPECT_FMT("0 0 ", "%x %#x %.0x", 0u, 0u, 0u);
	EXPECT_FMT("17 017 0 0", "%o %#o %#o %#.0o", 15u, 15u, 0u, 0u);
	EXPECT_FMT("deadbeefcafe", "%llx", 0xdeadbeefcafeULL);
	EXPECT_FMT("0x0000ff 0x00ff", "%#08x %#.4x", 255u, 255u);
	EXPECT_FMT_UNCHECKED("  0x00ff", "%#08.4x", 255u);
	EXPECT_FMT("1777777777777777777777", "%llo", ~0ULL);
}

NK_TEST(format, flags_width_precision)
{
	EXPECT_FMT("   42|42   |", "%5d|%-5d|", 42, 42);
	EXPECT_FMT("-0042 +42  42 +0", "%05d %+d % d %+d", -42, 42, 42, 0);
	EXPECT_FMT_UNCHECKED("+42", "% +d", 42);
	EXPECT_FMT_UNCHECKED("007 |     007|007     |     007", "%.3d |%8.3d|%-8.3d|%08.3d", 7, 7,
			     7, 7);
	EXPECT_FMT("[] [ ] [+]", "[%.0d] [% .0d] [%+.0d]", 0, 0, 0);
	EXPECT_FMT("[7    ] [   -7] [42]", "[%*d] [%*d] [%.*d]", -5, 7, 5, -7, -3, 42);
	EXPECT_FMT_UNCHECKED("[42   ]", "[%-05d]", 42);
	EXPECT_FMT("[     00042]", "[%*.*d]", 10, 5, 42);
}

NK_TEST(format, strings_chars)
{
	const char *null = opaque(NULL);

	EXPECT_FMT("hello|hel|     hello|hello     |", "%s|%.3s|%10s|%-10s|", "hello", "hello",
		   "hello", "hello");
	EXPECT_FMT_UNCHECKED("(null)||(null)", "%s|%.5s|%.6s", null, null, null);
	EXPECT_FMT("x|    x|x  |%", "%c|%5c|%-3c|%%", 'x', 'x', 'x');
	EXPECT_FMT_UNCHECKED("   ab", "%05s", "ab");
	EXPECT_FMT("", "%s", "");
}

NK_TEST(format, pointers)
{
	EXPECT_FMT("0x1234 (nil)", "%p %p", (void *)0x1234, NULL);
	EXPECT_FMT("      0x1234|(nil)     |", "%12p|%-10p|", (void *)0x1234, NULL);
	EXPECT_FMT("0xffffffffffffffff", "%p", (void *)~0UL);
	EXPECT_FMT_UNCHECKED("0x00001234", "%.8p", (void *)0x1234);
}

/* The result is cut to size-1 bytes plus NUL, bytes past size are untouched, and the return
 * value is always the full length. */
NK_TEST(format, truncation)
{
	char buf[16];
	int n;

	NK_EXPECT_EQ(nk_snprintf(NULL, 0, "%s %d", "hello", 12345), 11);
	memset(buf, 'Z', sizeof(buf));
	n = nk_snprintf(buf, 5, "hello %s", "world");
	NK_EXPECT_EQ(n, 11);
	NK_EXPECT_STREQ(buf, "hell");
	NK_EXPECT_EQ(buf[5], 'Z');
	n = nk_snprintf(buf, 1, "%d", 123);
	NK_EXPECT_EQ(n, 3);
	NK_EXPECT_EQ(buf[0], '\0');
	NK_EXPECT_EQ(buf[1], 'e'); /* left from "hell" */
	n = nk_snprintf(buf, 4, "%5d", 42);
	NK_EXPECT_EQ(n, 5);
	NK_EXPECT_STREQ(buf, "   ");
	n = nk_snprintf(buf, 6, "%s", "abcde");
	NK_EXPECT_EQ(n, 5);
	NK_EXPECT_STREQ(buf, "abcde");
	n = nk_snprintf(buf, 5, "%s", "abcde");
	NK_EXPECT_STREQ(buf, "abcd");
}

/* Unsupported conversions are printed as written; the arguments after them stay in step. */
NK_TEST(format, unsupported_literal)
{
	const char *float_fmt = opaque("%5.2f|%d"), *unknown_fmt = opaque("%y|%Lf|%d");
	const char *n_fmt = opaque("%n|%d"), *end_fmt = opaque("abc%-5");
	const char *wide_fmt = opaque("%ls|%d");
	char buf[64];
	int dummy = 99;

	NK_EXPECT_EQ(nk_snprintf(buf, sizeof(buf), float_fmt, 7), 7);
	NK_EXPECT_STREQ(buf, "%5.2f|7");
	nk_snprintf(buf, sizeof(buf), unknown_fmt, 7);
	NK_EXPECT_STREQ(buf, "%y|%Lf|7");
	nk_snprintf(buf, sizeof(buf), n_fmt, &dummy, 5);
	NK_EXPECT_STREQ(buf, "%n|5");
	NK_EXPECT_EQ(dummy, 99);
	nk_snprintf(buf, sizeof(buf), end_fmt, 0);
	NK_EXPECT_STREQ(buf, "abc%-5");
	nk_snprintf(buf, sizeof(buf), wide_fmt, (void *)buf, 3);
	NK_EXPECT_STREQ(buf, "%ls|3");
}

/* A width near INT_MAX costs nothing past the buffer; a total above INT_MAX is -ERANGE. */
NK_TEST(format, huge_width)
{
	const char *one = opaque("%2147483647d"), *two = opaque("%2147483647d%2147483647d");
	const char *star = opaque("%*d");
	char buf[8];

	NK_EXPECT_EQ(nk_snprintf(buf, sizeof(buf), one, 1), 2147483647);
	NK_EXPECT_STREQ(buf, "       ");
	NK_EXPECT_EQ(nk_snprintf(buf, sizeof(buf), two, 1, 2), -ERANGE);
	NK_EXPECT_EQ(nk_snprintf(buf, sizeof(buf), star, -2147483647 - 1, 5), 2147483647);
	NK_EXPECT_STREQ(buf, "5      ");
}

/* What a walk of the log ring saw. */
struct seen {
	int n;
	uint64_t seq[16];
	int level[16];
	uint64_t ts[16];
	char text[16][24];
	bool truncated[16];
	size_t len[16];
};

static int collect(const struct nk_logring_entry *e, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16) {
		s->seq[s->n] = e->seq;
		s->level[s->n] = e->level;
		s->ts[s->n] = e->ts_ns;
		s->truncated[s->n] = e->truncated;
		s->len[s->n] = e->len;
		nk_snprintf(s->text[s->n], sizeof(s->text[0]), "%.*s", (int)e->len, e->text);
	}
	s->n++;
	return 0;
}

static void append_str(struct nk_logring *r, uint64_t ts, int level, const char *s)
{
	nk_logring_append(r, ts, level, s, strlen(s));
}

NK_TEST(format, logring_order)
{
	static uint64_t mem[64];
	struct nk_logring r;
	struct seen s = { 0 };

	NK_ASSERT_EQ(nk_logring_init(&r, mem, sizeof(mem)), 0);
	NK_EXPECT_EQ(nk_logring_for_each(&r, 0, collect, &s), 0);
	NK_EXPECT_EQ(s.n, 0);
	append_str(&r, 100, NK_LOG_ERR, "first");
	append_str(&r, 200, NK_LOG_INFO, "");
	append_str(&r, 300, NK_LOG_DEBUG, "third one");
	NK_EXPECT_EQ(nk_logring_count(&r), 3);
	nk_logring_for_each(&r, 0, collect, &s);
	NK_ASSERT_EQ(s.n, 3);
	for (int i = 0; i < 3; i++) {
		NK_EXPECT_EQ(s.seq[i], i);
		NK_EXPECT_EQ(s.ts[i], 100 * (i + 1));
	}
	NK_EXPECT_EQ(s.level[0], NK_LOG_ERR);
	NK_EXPECT_EQ(s.level[2], NK_LOG_DEBUG);
	NK_EXPECT_STREQ(s.text[0], "first");
	NK_EXPECT_EQ(s.len[1], 0);
	NK_EXPECT_STREQ(s.text[2], "third one");
	NK_EXPECT_EQ(nk_logring_dropped(&r), 0);
}

/* 40 records of 32 bytes through a 256-byte ring: the newest 8 survive, in order. */
NK_TEST(format, logring_wrap_drops_oldest)
{
	static uint64_t mem[32];
	struct nk_logring r;
	struct seen s = { 0 };
	char text[8];

	NK_ASSERT_EQ(nk_logring_init(&r, mem, sizeof(mem)), 0);
	for (int i = 0; i < 40; i++) {
		nk_snprintf(text, sizeof(text), "msg %02d", i);
		NK_EXPECT_EQ(nk_logring_append(&r, i, NK_LOG_INFO, text, 6), i);
	}
	nk_logring_for_each(&r, 0, collect, &s);
	NK_EXPECT_EQ(s.n, nk_logring_count(&r));
	NK_EXPECT_EQ(nk_logring_count(&r) + nk_logring_dropped(&r), 40);
	NK_ASSERT_EQ(s.n, 8); /* 8 fit exactly, and a record is dropped only when needed */
	NK_EXPECT_EQ(s.seq[0], nk_logring_dropped(&r));
	for (int i = 0; i < s.n && i < 16; i++) {
		nk_snprintf(text, sizeof(text), "msg %02d", (int)s.seq[i]);
		NK_EXPECT_EQ(s.seq[i], 40 - s.n + i);
		NK_EXPECT_STREQ(s.text[i], text);
	}
	NK_EXPECT_EQ(nk_logring_next_seq(&r), 40);
}

/* A record larger than the ring is cut to fit and flagged; it then ages out normally. */
NK_TEST(format, logring_truncate)
{
	static uint64_t mem[16];
	static char big[300];
	struct nk_logring r;
	struct seen s = { 0 };

	NK_ASSERT_EQ(nk_logring_init(&r, mem, sizeof(mem)), 0);
	memset(big, 'b', sizeof(big));
	append_str(&r, 1, NK_LOG_WARN, "small");
	nk_logring_append(&r, 2, NK_LOG_WARN, big, sizeof(big));
	nk_logring_for_each(&r, 0, collect, &s);
	NK_ASSERT_EQ(s.n, 1);
	NK_EXPECT_EQ(s.seq[0], 1);
	NK_EXPECT(s.truncated[0]);
	NK_EXPECT_EQ(s.len[0], sizeof(mem) - 24);
	NK_EXPECT_STREQ(s.text[0], "bbbbbbbbbbbbbbbbbbbbbbb");
	append_str(&r, 3, NK_LOG_WARN, "after");
	s.n = 0;
	nk_logring_for_each(&r, 0, collect, &s);
	NK_ASSERT_EQ(s.n, 1);
	NK_EXPECT_STREQ(s.text[0], "after");
	NK_EXPECT(!s.truncated[0]);
	NK_EXPECT_EQ(nk_logring_dropped(&r), 2);
}

static int stop_at_seq2(const struct nk_logring_entry *e, void *arg)
{
	(*(int *)arg)++;
	return e->seq == 2 ? 7 : 0;
}

NK_TEST(format, logring_from_seq_and_stop)
{
	static uint64_t mem[64];
	struct nk_logring r;
	struct seen s = { 0 };
	int calls = 0;
	char small[8];

	NK_EXPECT_EQ(nk_logring_init(&r, small, sizeof(small)), -EINVAL);
	NK_ASSERT_EQ(nk_logring_init(&r, (char *)mem + 3, sizeof(mem) - 3), 0);
	for (int i = 0; i < 5; i++)
		append_str(&r, i, NK_LOG_INFO, "x");
	nk_logring_for_each(&r, 3, collect, &s);
	NK_ASSERT_EQ(s.n, 2);
	NK_EXPECT_EQ(s.seq[0], 3);
	NK_EXPECT_EQ(s.seq[1], 4);
	NK_EXPECT_EQ(nk_logring_for_each(&r, 0, stop_at_seq2, &calls), 7);
	NK_EXPECT_EQ(calls, 3);
}
