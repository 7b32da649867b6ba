/*
 * Host test of nk_snprintf: every supported conversion, flag, width, precision and length
 * compared with glibc's snprintf (output, return value, truncation, bytes past the size), on a
 * combinatorial table and on random formats; then the in-kernel "format" suite.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nautilus/printk.h>
#include <nautilus/random.h>
#include <nautilus/test.h>

#include "host_stubs.h"

#include "../../src/test/test_format.c"

#define BUF 256
static char ours[BUF], ref[BUF];
static unsigned long compared, mismatches;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

/* Both buffers are compared whole: bytes past size must stay at the fill pattern. */
static void check(const char *fmt, size_t size, int n_ours, int n_ref, const char *what)
{
	compared++;
	if (n_ours == n_ref && !memcmp(ours, ref, BUF))
		return;
	if (mismatches++ < 20)
		fprintf(stderr,
			"MISMATCH fmt \"%s\" size %zu arg %s: ours %d \"%.*s\", glibc %d "
			"\"%.*s\"\n",
			fmt, size, what, n_ours, (int)strnlen(ours, BUF), ours, n_ref,
			(int)strnlen(ref, BUF), ref);
}

#define COMPARE(size, what, fmt, ...)                           \
	do {                                                    \
		int a_, b_;                                     \
		memset(ours, 0xa5, BUF);                        \
		memset(ref, 0xa5, BUF);                         \
		a_ = nk_snprintf(ours, size, fmt, __VA_ARGS__); \
		b_ = snprintf(ref, size, fmt, __VA_ARGS__);     \
		check(fmt, size, a_, b_, what);                 \
	} while (0)

/* stars: bit 0 the width is '*', bit 1 the precision is '*'. */
#define COMPARE_STARS(size, what, fmt, stars, w, p, v)     \
	do {                                               \
		switch (stars) {                           \
		case 0:                                    \
			COMPARE(size, what, fmt, v);       \
			break;                             \
		case 1:                                    \
			COMPARE(size, what, fmt, w, v);    \
			break;                             \
		case 2:                                    \
			COMPARE(size, what, fmt, p, v);    \
			break;                             \
		default:                                   \
			COMPARE(size, what, fmt, w, p, v); \
			break;                             \
		}                                          \
	} while (0)

/* Full size, then a random size from 0 to one past the output, to check truncation. */
#define COMPARE_SIZES(what, fmt, stars, w, p, v)                      \
	do {                                                          \
		COMPARE_STARS(BUF, what, fmt, stars, w, p, v);        \
		size_t sz_ = nk_xorshift64(&rng) % (strlen(ref) + 2); \
		COMPARE_STARS(sz_, what, fmt, stars, w, p, v);        \
	} while (0)

/* Pass v with the type the length modifier (after '%...') calls for. */
static void compare_int(const char *fmt, const char *len, int stars, int w, int p, int64_t v)
{
	char what[64];

	snprintf(what, sizeof(what), "%lld w %d p %d", (long long)v, w, p);
	if (!strcmp(len, "l"))
		COMPARE_SIZES(what, fmt, stars, w, p, (long)v);
	else if (!strcmp(len, "ll"))
		COMPARE_SIZES(what, fmt, stars, w, p, (long long)v);
	else if (!strcmp(len, "z"))
		COMPARE_SIZES(what, fmt, stars, w, p, (size_t)v);
	else if (!strcmp(len, "t"))
		COMPARE_SIZES(what, fmt, stars, w, p, (ptrdiff_t)v);
	else if (!strcmp(len, "j"))
		COMPARE_SIZES(what, fmt, stars, w, p, (intmax_t)v);
	else
		COMPARE_SIZES(what, fmt, stars, w, p, (int)v);
}

static void compare_ptr(const char *fmt, int stars, int w, int p, const void *v)
{
	char what[64];

	snprintf(what, sizeof(what), "ptr %#lx w %d p %d", (unsigned long)v, w, p);
	COMPARE_SIZES(what, fmt, stars, w, p, v);
}

static void compare_str(const char *fmt, int stars, int w, int p, const char *v)
{
	char what[96];

	snprintf(what, sizeof(what), "\"%s\" w %d p %d", v ? v : "NULL", w, p);
	COMPARE_SIZES(what, fmt, stars, w, p, v);
}

static void compare_chr(const char *fmt, int stars, int w, int p, int v)
{
	char what[64];

	snprintf(what, sizeof(what), "char %d w %d p %d", v, w, p);
	COMPARE_SIZES(what, fmt, stars, w, p, v);
}

static const int64_t int_values[] = {
	0,	     1,	       -1,	  7,	     8,		10,
	16,	     -16,      127,	  128,	     255,	256,
	-129,	     32767,    -32768,	  65535,     65536,	INT_MAX,
	INT_MIN,     UINT_MAX, 1ll << 32, LLONG_MAX, LLONG_MIN, 0x0123456789abcdefll,
	-1000000007,
};
static const uintptr_t ptr_values[] = { 0, 1, 0x1234, 0xdeadbeef, UINTPTR_MAX, 0x7fff12345678 };
static const char *const str_values[] = { NULL, "", "a", "hello", "a string of 30 characters...." };
static const int chr_values[] = { 'a', 0, 255, ' ', '%' };
static const char *const widths[] = { "", "1", "6", "22", "*" };
static const char *const precs[] = { "", ".", ".0", ".1", ".3", ".21", ".*" };
static const char *const lengths[] = { "", "hh", "h", "l", "ll", "z", "t", "j" };
static const int star_values[] = { -9, 0, 4, 13, -1 };

static void flags_string(unsigned int mask, char *out)
{
	const char *all = "-0+ #";

	for (int i = 0; i < 5; i++)
		if (mask & (1u << i))
			*out++ = all[i];
	*out = '\0';
}

static void compare_conv(const char *spec, const char *len, char conv, int stars, int w, int p)
{
	char fmt[64];

	snprintf(fmt, sizeof(fmt), "<%s%s%c>", spec, len, conv);
	switch (conv) {
	case 's':
		for (size_t i = 0; i < NK_ARRAY_SIZE(str_values); i++)
			compare_str(fmt, stars, w, p, str_values[i]);
		break;
	case 'c':
		for (size_t i = 0; i < NK_ARRAY_SIZE(chr_values); i++)
			compare_chr(fmt, stars, w, p, chr_values[i]);
		break;
	case 'p':
		for (size_t i = 0; i < NK_ARRAY_SIZE(ptr_values); i++)
			compare_ptr(fmt, stars, w, p, (const void *)ptr_values[i]);
		break;
	case '%':
		compare_chr(fmt, stars, w, p, 0); /* no argument is read; one is passed anyway */
		break;
	default:
		for (size_t i = 0; i < NK_ARRAY_SIZE(int_values); i++)
			compare_int(fmt, len, stars, w, p, int_values[i]);
	}
}

/* Every flag set x width x precision x conversion x length x value. */
static void test_table(void **state)
{
	unsigned int k = 0;

	(void)state;
	for (unsigned int mask = 0; mask < 32; mask++) {
		char flags[8];

		flags_string(mask, flags);
		for (size_t wi = 0; wi < NK_ARRAY_SIZE(widths); wi++) {
			for (size_t pi = 0; pi < NK_ARRAY_SIZE(precs); pi++) {
				char spec[32];
				int stars = (strchr(widths[wi], '*') ? 1 : 0) |
					    (strchr(precs[pi], '*') ? 2 : 0);
				int w = star_values[k++ % NK_ARRAY_SIZE(star_values)];
				int p = star_values[k++ % NK_ARRAY_SIZE(star_values)];

				snprintf(spec, sizeof(spec), "%%%s%s%s", flags, widths[wi],
					 precs[pi]);
				for (const char *c = "diuxXo"; *c; c++)
					for (size_t li = 0; li < NK_ARRAY_SIZE(lengths); li++)
						compare_conv(spec, lengths[li], *c, stars, w, p);
				for (const char *c = "scp%"; *c; c++)
					compare_conv(spec, "", *c, stars, w, p);
			}
		}
	}
	fprintf(stderr, "table: %lu comparisons, %lu mismatches\n", compared, mismatches);
	assert_int_equal(mismatches, 0);
}

/* A random value: random magnitude, either sign. */
static int64_t rnd_value(void)
{
	uint64_t v = nk_xorshift64(&rng) >> (nk_xorshift64(&rng) % 64);

	return (int64_t)((nk_xorshift64(&rng) & 1) ? -v : v);
}

/* A random spec: flags (repeats allowed), width and precision up to 40 or '*'. */
static int rnd_spec(char *out)
{
	int stars = 0;

	*out++ = '%';
	for (int n = nk_xorshift64(&rng) % 5; n > 0; n--)
		*out++ = "-0+ #"[nk_xorshift64(&rng) % 5];
	switch (nk_xorshift64(&rng) % 3) {
	case 0:
		out += sprintf(out, "%d", (int)(nk_xorshift64(&rng) % 41));
		break;
	case 1:
		*out++ = '*';
		stars |= 1;
		break;
	}
	switch (nk_xorshift64(&rng) % 4) {
	case 0:
		out += sprintf(out, ".%d", (int)(nk_xorshift64(&rng) % 41));
		break;
	case 1:
		*out++ = '.';
		break;
	case 2:
		*out++ = '.';
		*out++ = '*';
		stars |= 2;
		break;
	}
	*out = '\0';
	return stars;
}

static void test_random(void **state)
{
	const unsigned long before = compared;
	const char *env = getenv("NK_SEED");

	(void)state;
	if (env)
		rng = strtoull(env, NULL, 0) | 1;
	fprintf(stderr, "random: seed %#llx (set NK_SEED to repeat)\n", (unsigned long long)rng);
	for (int i = 0; i < 200000; i++) {
		char spec[64], fmt[96];
		int stars = rnd_spec(spec);
		int w = (int)(nk_xorshift64(&rng) % 101) - 50,
		    p = (int)(nk_xorshift64(&rng) % 101) - 50;
		const char *len = lengths[nk_xorshift64(&rng) % NK_ARRAY_SIZE(lengths)];
		char conv = "diuxXoscp"[nk_xorshift64(&rng) % 9];

		if (strchr("scp", conv))
			len = "";
		snprintf(fmt, sizeof(fmt), "ab%s%s%c.z", spec, len, conv);
		if (conv == 's')
			compare_str(fmt, stars, w, p,
				    str_values[nk_xorshift64(&rng) % NK_ARRAY_SIZE(str_values)]);
		else if (conv == 'c')
			compare_chr(fmt, stars, w, p, (int)(nk_xorshift64(&rng) % 256));
		else if (conv == 'p')
			compare_ptr(fmt, stars, w, p, (const void *)(uintptr_t)rnd_value());
		else
			compare_int(fmt, len, stars, w, p, rnd_value());
	}
	fprintf(stderr, "random: %lu comparisons, %lu mismatches\n", compared - before, mismatches);
	assert_int_equal(mismatches, 0);
}

/* Several conversions in one format, and plain text around them. */
static void test_mixed(void **state)
{
	const char *fmts[] = { "%s=%lld %p %c|%5.2s|%-#8x|%%|%+.3d", "no conversions at all",
			       "%%%%%s%%", "" };

	(void)state;
	for (size_t i = 0; i < NK_ARRAY_SIZE(fmts); i++)
		for (size_t size = 0; size < 60; size++)
			COMPARE(size, "mixed", fmts[i], "key", -42ll, (void *)0xabc, 'q', "xyz",
				0xbeefu, 7);
	assert_int_equal(mismatches, 0);
}

/* size 0 may come with a NULL buffer; nothing is written. */
static void test_null_buffer(void **state)
{
	(void)state;
	assert_int_equal(nk_snprintf(NULL, 0, "%s-%d", "abc", 12), 6);
	assert_int_equal(nk_snprintf(NULL, 0, "%s", ""), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_null_buffer),
	};
	int failed = cmocka_run_group_tests_name("format vs glibc", tests, NULL, NULL);

	return failed | nk_host_run_kcases("format (in-kernel suite)");
}
