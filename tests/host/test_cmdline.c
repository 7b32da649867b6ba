/*
 * Host test of nk_cmdline_parse: random lines built from known good and bad flags with random
 * whitespace must give the state of the last good flag of each kind and one warning per bad
 * flag; random bytes must never crash it. Then the in-kernel "cmdline" suite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nautilus/cmdline.h>
#include <nautilus/random.h>
#include <nautilus/test.h>

#include "host_stubs.h"

#include "../../src/test/test_cmdline.c"

static uint64_t rng = 0xa4093822299f31d0ull;
/* A good flag and what it sets: 'l' loglevel, 's' shell, 'q' quiet, 't' tests, 'i' nothing. */
static const struct {
	const char *text;
	char what;
	int value;
	const char *tests;
} good[] = {
	{ "loglevel=0", 'l', 0, NULL },
	{ "loglevel=4", 'l', 4, NULL },
	{ "loglevel=7", 'l', 7, NULL },
	{ "shell=0", 's', 0, NULL },
	{ "shell=1", 's', 1, NULL },
	{ "quiet", 'q', 1, NULL },
	{ "test=*", 't', 0, "*" },
	{ "test=kmem.*,buddy.*", 't', 0, "kmem.*,buddy.*" },
	{ "BOOT_IMAGE=/boot/k", 'i', 0, NULL },
};

static const char *const bad[] = {
	"loglevel=8",  "loglevel=", "loglevel", "shell=yes", "quiet=0", "test=",
	"test=a,,b",   "foo",	    "foo=bar",	"=",	     "=1",	"Quiet",
	"loglevel==1", "shell=1=1", "-",	"---",
};

static int warned;
static void count_warning(const char *msg)
{
	assert_true(strncmp(msg, "cmdline: ", 9) == 0);
	assert_true(strlen(msg) < 255);
	warned++;
}

static const char *rnd_space(void)
{
	static const char *const spaces[] = { " ", "  ", "\t", " \t ", "\n", "\r\n" };

	return spaces[nk_xorshift64(&rng) % NK_ARRAY_SIZE(spaces)];
}

static void test_random_lines(void **state)
{
	(void)state;
	for (int iter = 0; iter < 50000; iter++) {
		char line[1024] = "";
		struct nk_cmdline want = { .loglevel = 6, .shell = true }, got;
		int nbad = 0;

		if (nk_xorshift64(&rng) % 2)
			strcat(line, rnd_space());
		for (int n = nk_xorshift64(&rng) % 10; n > 0; n--) {
			if (nk_xorshift64(&rng) % 3 == 0) {
				strcat(line, bad[nk_xorshift64(&rng) % NK_ARRAY_SIZE(bad)]);
				nbad++;
			} else {
				size_t g = nk_xorshift64(&rng) % NK_ARRAY_SIZE(good);

				strcat(line, good[g].text);
				switch (good[g].what) {
				case 'l':
					want.loglevel = good[g].value;
					break;
				case 's':
					want.shell = good[g].value;
					break;
				case 'q':
					want.quiet = true;
					break;
				case 't':
					want.run_tests = true;
					strcpy(want.tests, good[g].tests);
					break;
				}
			}
			strcat(line, rnd_space());
		}
		warned = 0;
		assert_int_equal(nk_cmdline_parse(line, &got, count_warning), nbad);
		assert_int_equal(warned, nbad);
		assert_int_equal(got.nr_warnings, nbad);
		assert_int_equal(got.loglevel, want.loglevel);
		assert_int_equal(got.shell, want.shell);
		assert_int_equal(got.quiet, want.quiet);
		assert_int_equal(got.run_tests, want.run_tests);
		assert_string_equal(got.tests, want.tests);
	}
}

/* Arbitrary bytes: no crash, no overrun (ASan), warnings counted, values in range. */
static void test_random_bytes(void **state)
{
	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = nk_xorshift64(&rng) % 600;
		char *line = malloc(n + 1);
		struct nk_cmdline got;
		int r;

		assert_non_null(line);
		for (size_t i = 0; i < n; i++)
			line[i] = nk_xorshift64(&rng) % 8 ? "lqst=e,0 7*"[nk_xorshift64(&rng) % 11]
							  : (char)(1 + nk_xorshift64(&rng) % 255);
		line[n] = '\0';
		warned = 0;
		r = nk_cmdline_parse(line, &got, count_warning);
		assert_int_equal(r, warned);
		assert_true(got.loglevel >= 0 && got.loglevel <= 7);
		assert_true(strlen(got.tests) < NK_CMDLINE_TEST_MAX);
		free(line);
	}
}

/* The global holds the defaults before any parse. */
static void test_global_defaults(void **state)
{
	(void)state;
	assert_int_equal(nk_cmdline.loglevel, 6);
	assert_true(nk_cmdline.shell);
	assert_false(nk_cmdline.quiet);
	assert_false(nk_cmdline.run_tests);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_global_defaults),
		cmocka_unit_test(test_random_lines),
		cmocka_unit_test(test_random_bytes),
	};
	int failed = cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);

	return failed | nk_host_run_kcases("cmdline (in-kernel suite)");
}
