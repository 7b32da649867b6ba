/*
 * Runs in-kernel test cases (src/test/test_<suite>.c) on the host under cmocka: the host test
 * redefines NK_TEST to register each case here, then #includes the suite's source.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nautilus/test.h>

struct kcase {
	char name[96];
	void (*fn)(struct nk_test_ctx *nk_t);
};

#define MAX_KCASES 128
static struct kcase kcases[MAX_KCASES];
static int nr_kcases;

/* Called from constructors, before main. */
void nk_host_kcase_register(const char *suite, const char *name,
			    void (*fn)(struct nk_test_ctx *nk_t))
{
	if (nr_kcases == MAX_KCASES) {
		fprintf(stderr, "test_kcases: more than %d cases, raise MAX_KCASES\n", MAX_KCASES);
		abort();
	}
	snprintf(kcases[nr_kcases].name, sizeof(kcases[0].name), "%s.%s", suite, name);
	kcases[nr_kcases].fn = fn;
	nr_kcases++;
}

void nk_test_fail(struct nk_test_ctx *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "# %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	t->failures++;
}

void nk_test_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool nk_test_streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static void run_kcase(void **state)
{
	const struct kcase *k = *state;
	struct nk_test_ctx ctx = { 0, NULL };

	k->fn(&ctx);
	if (ctx.skip_reason) {
		fprintf(stderr, "# %s skipped: %s\n", k->name, ctx.skip_reason);
		skip();
	}
	assert_int_equal(ctx.failures, 0);
}

/* Run every registered case as one cmocka group; returns the number of failed cases. */
int nk_host_run_kcases(const char *group)
{
	struct CMUnitTest tests[MAX_KCASES];

	if (nr_kcases == 0) {
		fprintf(stderr, "%s: no in-kernel cases were registered\n", group);
		return 1;
	}
	for (int i = 0; i < nr_kcases; i++)
		tests[i] = (struct CMUnitTest){ kcases[i].name, run_kcase, NULL, NULL, &kcases[i] };
	return _cmocka_run_group_tests(group, tests, nr_kcases, NULL, NULL);
}
