/*
 * Host test of src/nautilus/lib/string.c, built with its functions renamed nk_kstr_* (see
 * string.mk): every offset, length and overlap against byte-by-byte reference loops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <nautilus/string.h>

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

static void fill(unsigned char *b, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(seed * 131 + i * 29 + (i >> 3));
}

/* Every source and destination offset and length, overlapping both ways, within 160 bytes. */
static void test_memmove_overlaps(void **state)
{
	unsigned char buf[160], want[160], tmp[64];

	(void)state;
	for (size_t src = 0; src < 48; src++) {
		for (size_t dst = 0; dst < 48; dst++) {
			for (size_t n = 0; n <= 64; n++) {
				fill(buf, sizeof(buf), src + dst + n);
				fill(want, sizeof(want), src + dst + n);
				for (size_t i = 0; i < n; i++)
					tmp[i] = want[src + i];
				for (size_t i = 0; i < n; i++)
					want[dst + i] = tmp[i];
				assert_ptr_equal(memmove(buf + dst, buf + src, n), buf + dst);
				assert_memory_equal(buf, want, sizeof(buf));
			}
		}
	}
}

/* memcpy and memset touch exactly [dst, dst+n); the direction flag is left clear (a forward
 * copy right after a backward memmove still works). */
static void test_memcpy_memset(void **state)
{
	unsigned char a[128], b[128], want[128];

	(void)state;
	for (size_t off = 0; off < 16; off++) {
		for (size_t n = 0; n <= 100; n++) {
			fill(a, sizeof(a), n);
			fill(b, sizeof(b), n + 1);
			memmove(b + 2, b, 8);
			fill(b, sizeof(b), n + 1);
			for (size_t i = 0; i < sizeof(want); i++)
				want[i] = i >= off && i < off + n ? a[i - off + 3] : b[i];
			assert_ptr_equal(memcpy(b + off, a + 3, n), b + off);
			assert_memory_equal(b, want, sizeof(b));
			for (size_t i = off; i < off + n; i++)
				want[i] = 0xab;
			assert_ptr_equal(memset(b + off, 0x1ab, n),
					 b + off); /* only the low byte */
			assert_memory_equal(b, want, sizeof(b));
		}
	}
}

/* Bytes compare as unsigned char: 0x80 is greater than 0x7f. */
static void test_compare(void **state)
{
	(void)state;
	assert_int_equal(memcmp("abc", "abc", 3), 0);
	assert_true(memcmp("abd", "abc", 3) > 0);
	assert_true(memcmp("\x80", "\x7f", 1) > 0);
	assert_int_equal(memcmp("abc", "abd", 2), 0);
	assert_int_equal(memcmp(NULL, NULL, 0), 0);
	assert_int_equal(strcmp("", ""), 0);
	assert_true(strcmp("a", "") > 0);
	assert_true(strcmp("", "a") < 0);
	assert_true(strcmp("ab", "abc") < 0);
	assert_true(strcmp("\xff", "a") > 0);
	assert_int_equal(strncmp("abcX", "abcY", 3), 0);
	assert_true(strncmp("abcX", "abcY", 4) < 0);
	assert_int_equal(strncmp("ab", "ab", 10), 0);
	assert_true(strncmp("ab", "abc", 10) < 0);
	assert_int_equal(strncmp("x", "y", 0), 0);
	for (int x = 0; x < 256; x++) {
		for (int y = 0; y < 256; y += 7) {
			char sx[3] = { 'q', (char)x, 0 }, sy[3] = { 'q', (char)y, 0 };

			assert_int_equal(sign(strcmp(sx, sy)), sign(x - y));
			assert_int_equal(sign(memcmp(sx, sy, 2)), sign(x - y));
		}
	}
}

static void test_length_and_search(void **state)
{
	const char *s = "hello, world", *high = "a\xe9";

	(void)state;
	assert_int_equal(strlen(""), 0);
	assert_int_equal(strlen(s), 12);
	assert_int_equal(strnlen(s, 5), 5);
	assert_int_equal(strnlen(s, 100), 12);
	assert_int_equal(strnlen("", 0), 0);
	assert_ptr_equal(strchr(s, 'o'), s + 4);
	assert_ptr_equal(strrchr(s, 'o'), s + 8);
	assert_ptr_equal(strchr(s, '\0'), s + 12);
	assert_ptr_equal(strrchr(s, '\0'), s + 12);
	assert_null(strchr(s, 'z'));
	assert_null(strrchr(s, 'z'));
	assert_ptr_equal(strstr(s, "o"), s + 4);
	assert_ptr_equal(strstr(s, "world"), s + 7);
	assert_ptr_equal(strstr(s, ""), s);
	assert_null(strstr(s, "worlds"));
	assert_null(strstr("", "a"));
	assert_ptr_equal(strstr(s + 8, "rld"), s + 9);
	assert_ptr_equal(strstr(s, ", w"), s + 5);
	assert_ptr_equal(strchr(s, 'h' + 256), s);	/* c is converted to char */
	assert_ptr_equal(strchr(high, 0xe9), high + 1); /* 0xe9 and (char)0xe9 are one */
	assert_ptr_equal(strrchr(high, 0xe9), high + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memmove_overlaps),
		cmocka_unit_test(test_memcpy_memset),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_length_and_search),
	};

	return cmocka_run_group_tests_name("string (kernel versions)", tests, NULL, NULL);
}
