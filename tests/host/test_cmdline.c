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
/*
 * A good flag and what it sets: 'l' loglevel, 's' shell, 'q' quiet, 't' tests, 'b' bench (its
 * glob in tests), 'c' expect_cpus, 'n' expect_nodes, 'd' expect_dist (tests holds the distances
 * as one string), 'i' nothing.
 */
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
	{ "bench=*", 'b', 0, "*" },
	{ "bench=barrier_[24]", 'b', 0, "barrier_[24]" },
	{ "BOOT_IMAGE=/boot/k", 'i', 0, NULL },
	{ "expect_cpus=1", 'c', 1, NULL },
	{ "expect_cpus=1024", 'c', 1024, NULL },
	{ "expect_nodes=2", 'n', 2, NULL },
	{ "expect_nodes=64", 'n', 64, NULL },
	{ "expect_dist=10", 'd', 1, "\x0a" },
	{ "expect_dist=10,21,21,10", 'd', 4, "\x0a\x15\x15\x0a" },
	{ "expect_dist=0,1,2,3,4,5,6,7,255", 'd', 9, "\x00\x01\x02\x03\x04\x05\x06\x07\xff" },
};

static const char *const bad[] = {
	"loglevel=8",
	"loglevel=",
	"loglevel",
	"shell=yes",
	"quiet=0",
	"test=",
	"test=a,,b",
	"bench=",
	"bench",
	"bench=yield*,malloc*",
	"foo",
	"foo=bar",
	"=",
	"=1",
	"Quiet",
	"loglevel==1",
	"shell=1=1",
	"-",
	"---",
	"expect_cpus=0",
	"expect_cpus=1025",
	"expect_cpus=",
	"expect_nodes=65",
	"expect_nodes=2,2",
	"expect_dist=10,20",
	"expect_dist=256",
	"expect_dist=1,,2,3",
	"expect_dist=10,",
	"expect_cpus=4294967297",
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
				case 'b':
					want.run_bench = true;
					strcpy(want.bench, good[g].tests);
					break;
				case 'c':
					want.expect_cpus = good[g].value;
					break;
				case 'n':
					want.expect_nodes = good[g].value;
					break;
				case 'd':
					want.nr_expect_dist = good[g].value;
					memcpy(want.expect_dist, good[g].tests, good[g].value);
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
		assert_int_equal(got.run_bench, want.run_bench);
		assert_string_equal(got.bench, want.bench);
		assert_int_equal(got.expect_cpus, want.expect_cpus);
		assert_int_equal(got.expect_nodes, want.expect_nodes);
		assert_int_equal(got.nr_expect_dist, want.nr_expect_dist);
		assert_memory_equal(got.expect_dist, want.expect_dist, want.nr_expect_dist);
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
			line[i] = nk_xorshift64(&rng) % 8 ? "lqsbt=e,0 7*"[nk_xorshift64(&rng) % 12]
							  : (char)(1 + nk_xorshift64(&rng) % 255);
		line[n] = '\0';
		warned = 0;
		r = nk_cmdline_parse(line, &got, count_warning);
		assert_int_equal(r, warned);
		assert_true(got.loglevel >= 0 && got.loglevel <= 7);
		assert_true(strlen(got.tests) < NK_CMDLINE_TEST_MAX);
		assert_true(strlen(got.bench) < NK_CMDLINE_BENCH_MAX);
		assert_true(got.run_bench == (got.bench[0] != '\0'));
		assert_true(got.expect_cpus >= 0 && got.expect_cpus <= NK_CMDLINE_MAX_CPUS);
		assert_true(got.expect_nodes >= 0 && got.expect_nodes <= NK_CMDLINE_MAX_NODES);
		assert_true(got.nr_expect_dist >= 0 && got.nr_expect_dist <= NK_CMDLINE_DIST_MAX);
		free(line);
	}
}

/* The reference for expect_dist=: split at commas, each 1-3 digits 0..255, N*N values, N <= 8. */
static int reference_dist(const char *val, uint8_t *out)
{
	int n = 0, k = 1;
	const char *p = val;

	for (;;) {
		char *end;
		unsigned long d;

		if (*p < '0' || *p > '9')
			return -1;
		d = strtoul(p, &end, 10);
		if (d > 255 || n == 64)
			return -1;
		out[n++] = (uint8_t)d;
		if (*end == '\0')
			break;
		if (*end != ',')
			return -1;
		p = end + 1;
	}
	while (k * k < n)
		k++;
	return k * k == n ? n : -1;
}

/* count numbers 0..299; with odds of 1 in 3, one byte then replaced by a digit or comma. */
static void random_list(char *buf, size_t size)
{
	size_t count = 1 + nk_xorshift64(&rng) % 70, len = 0;

	for (size_t i = 0; i < count; i++)
		len += snprintf(buf + len, size - len, "%s%u", i ? "," : "",
				(unsigned)(nk_xorshift64(&rng) % 300));
	if (nk_xorshift64(&rng) % 3 == 0)
		buf[nk_xorshift64(&rng) % len] = "0123456789,"[nk_xorshift64(&rng) % 11];
}

/* Random values for expect_dist= against the reference above. */
static void test_random_dist(void **state)
{
	int matrices = 0;

	(void)state;
	for (int iter = 0; iter < 50000; iter++) {
		char line[512] = "expect_dist=";
		size_t pre = strlen(line);
		uint8_t want[64];
		struct nk_cmdline got;
		int nr;

		random_list(line + pre, sizeof(line) - pre);
		nr = reference_dist(line + pre, want);
		warned = 0;
		assert_int_equal(nk_cmdline_parse(line, &got, count_warning), nr < 0);
		assert_int_equal(got.nr_expect_dist, nr < 0 ? 0 : nr);
		if (nr > 0)
			assert_memory_equal(got.expect_dist, want, nr);
		matrices += nr >= 4;
	}
	assert_true(matrices > 100); /* the valid side was exercised too */
}

/* The global holds the defaults before any parse. */
static void test_global_defaults(void **state)
{
	(void)state;
	assert_int_equal(nk_cmdline.loglevel, 6);
	assert_true(nk_cmdline.shell);
	assert_false(nk_cmdline.quiet);
	assert_false(nk_cmdline.run_tests);
	assert_false(nk_cmdline.run_bench);
	assert_int_equal(nk_cmdline.expect_cpus, 0);
	assert_int_equal(nk_cmdline.expect_nodes, 0);
	assert_int_equal(nk_cmdline.nr_expect_dist, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_global_defaults),
		cmocka_unit_test(test_random_lines),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_random_dist),
	};
	int failed = cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);

	return failed | nk_host_run_kcases("cmdline (in-kernel suite)");
}
