/*
 * In-kernel tests: NK_TEST(suite, case) registers a case in a linker table; the runner executes
 * the selected cases ordered by suite, file and line, and prints KTAP version 1.
 * NK_EXPECT_* records a failure and continues; NK_ASSERT_* records it and returns from the case.
 */
#ifndef NK_NAUTILUS_TEST_H
#define NK_NAUTILUS_TEST_H

#include <nautilus/compiler.h>
#include <nautilus/types.h>

struct nk_test_ctx {
	int failures;
	const char *skip_reason;
};

struct nk_test {
	const char *suite;
	const char *name;
	const char *file;
	int line;
	void (*fn)(struct nk_test_ctx *nk_t);
};

#ifdef NK_HOST_TEST
/* Host unit tests run the same cases under cmocka: registered at start-up (tests/host). */
void nk_host_kcase_register(const char *suite, const char *name,
			    void (*fn)(struct nk_test_ctx *nk_t));
#define NK_TEST(suite, tname)                                                      \
	static void nk_test_##suite##_##tname(struct nk_test_ctx *nk_t);           \
	__attribute__((constructor)) static void nk_reg_##suite##_##tname(void)    \
	{                                                                          \
		nk_host_kcase_register(#suite, #tname, nk_test_##suite##_##tname); \
	}                                                                          \
	static void nk_test_##suite##_##tname(struct nk_test_ctx *nk_t __nk_unused)
#else
#define NK_TEST(suite, tname)                                                                 \
	static void nk_test_##suite##_##tname(struct nk_test_ctx *nk_t);                      \
	static struct nk_test __nk_test_##suite##_##tname __nk_used __nk_section(".nk_tests") \
		__nk_aligned(8) = { #suite, #tname, __FILE__, __LINE__,                       \
				    nk_test_##suite##_##tname };                              \
	static void nk_test_##suite##_##tname(struct nk_test_ctx *nk_t __nk_unused)
#endif

/* Record a failure with a KTAP diagnostic "# file:line: <message>". */
void nk_test_fail(struct nk_test_ctx *t, const char *file, int line, const char *fmt, ...)
	__nk_printf(4, 5);
/* A diagnostic line for the current case ("# ..."). */
void nk_test_diag(const char *fmt, ...) __nk_printf(1, 2);

#define NK_CHECK_(ret, cond, fmt, ...)                                              \
	do {                                                                        \
		if (!(cond)) {                                                      \
			nk_test_fail(nk_t, __FILE__, __LINE__, fmt, ##__VA_ARGS__); \
			ret;                                                        \
		}                                                                   \
	} while (0)

#define NK_CMP_INT_(ret, a, op, b)                                                                \
	do {                                                                                      \
		long long nk_a_ = (long long)(a), nk_b_ = (long long)(b);                         \
		NK_CHECK_(ret, nk_a_ op nk_b_, "expected %s %s %s (%lld), got %lld", #a, #op, #b, \
			  nk_b_, nk_a_);                                                          \
	} while (0)
#define NK_CMP_UINT_(ret, a, op, b)                                                               \
	do {                                                                                      \
		unsigned long long nk_a_ = (unsigned long long)(a),                               \
				   nk_b_ = (unsigned long long)(b);                               \
		NK_CHECK_(ret, nk_a_ op nk_b_, "expected %s %s %s (0x%llx), got 0x%llx", #a, #op, \
			  #b, nk_b_, nk_a_);                                                      \
	} while (0)
#define NK_CMP_PTR_(ret, a, op, b)                                                            \
	do {                                                                                  \
		const void *nk_a_ = (const void *)(a), *nk_b_ = (const void *)(b);            \
		NK_CHECK_(ret, nk_a_ op nk_b_, "expected %s %s %s (%p), got %p", #a, #op, #b, \
			  nk_b_, nk_a_);                                                      \
	} while (0)
#define NK_CMP_STR_(ret, a, b)                                                               \
	do {                                                                                 \
		const char *nk_a_ = (a), *nk_b_ = (b);                                       \
		NK_CHECK_(ret, nk_a_ &&nk_b_ &&nk_test_streq(nk_a_, nk_b_),                  \
			  "expected %s == \"%s\", got \"%s\"", #a, nk_b_ ? nk_b_ : "(null)", \
			  nk_a_ ? nk_a_ : "(null)");                                         \
	} while (0)

bool nk_test_streq(const char *a, const char *b);

/*
 * Spin (with PAUSE, so other vCPUs run under QEMU) until *p >= value or nk_time_ns() passes
 * deadline_ns: whether *p got there. For counters another CPU or an interrupt raises.
 */
bool nk_test_wait_ge(const volatile int *p, int value, uint64_t deadline_ns);
/* Recurse with 256-byte frames until the stack runs into its guard page (never returns). */
void nk_test_overflow_stack(void *unused);

#define NK_EXPECT(cond)	       NK_CHECK_((void)0, cond, "expected %s", #cond)
#define NK_EXPECT_EQ(a, b)     NK_CMP_INT_((void)0, a, ==, b)
#define NK_EXPECT_NE(a, b)     NK_CMP_INT_((void)0, a, !=, b)
#define NK_EXPECT_LT(a, b)     NK_CMP_INT_((void)0, a, <, b)
#define NK_EXPECT_LE(a, b)     NK_CMP_INT_((void)0, a, <=, b)
#define NK_EXPECT_GT(a, b)     NK_CMP_INT_((void)0, a, >, b)
#define NK_EXPECT_GE(a, b)     NK_CMP_INT_((void)0, a, >=, b)
#define NK_EXPECT_UEQ(a, b)    NK_CMP_UINT_((void)0, a, ==, b)
#define NK_EXPECT_PTR_EQ(a, b) NK_CMP_PTR_((void)0, a, ==, b)
#define NK_EXPECT_NOT_NULL(a)  NK_CMP_PTR_((void)0, a, !=, NULL)
#define NK_EXPECT_NULL(a)      NK_CMP_PTR_((void)0, a, ==, NULL)
#define NK_EXPECT_STREQ(a, b)  NK_CMP_STR_((void)0, a, b)

#define NK_ASSERT(cond)	       NK_CHECK_(return, cond, "expected %s", #cond)
#define NK_ASSERT_EQ(a, b)     NK_CMP_INT_(return, a, ==, b)
#define NK_ASSERT_NE(a, b)     NK_CMP_INT_(return, a, !=, b)
#define NK_ASSERT_LT(a, b)     NK_CMP_INT_(return, a, <, b)
#define NK_ASSERT_LE(a, b)     NK_CMP_INT_(return, a, <=, b)
#define NK_ASSERT_GT(a, b)     NK_CMP_INT_(return, a, >, b)
#define NK_ASSERT_GE(a, b)     NK_CMP_INT_(return, a, >=, b)
#define NK_ASSERT_UEQ(a, b)    NK_CMP_UINT_(return, a, ==, b)
#define NK_ASSERT_PTR_EQ(a, b) NK_CMP_PTR_(return, a, ==, b)
#define NK_ASSERT_NOT_NULL(a)  NK_CMP_PTR_(return, a, !=, NULL)
#define NK_ASSERT_NULL(a)      NK_CMP_PTR_(return, a, ==, NULL)
#define NK_ASSERT_STREQ(a, b)  NK_CMP_STR_(return, a, b)

/* Mark the case skipped with a reason and return from it. */
#define NK_SKIP(reason)                       \
	do {                                  \
		nk_t->skip_reason = (reason); \
		return;                       \
	} while (0)

struct nk_test_result {
	int passed, failed, skipped;
};
/*
 * Run the cases whose "suite.case" matches any of the comma-separated globs (a glob without a
 * '.' names suites). Returns the number of failures, or -ENOENT when nothing matched.
 */
int nk_test_run(const char *globs, struct nk_test_result *res);
/* List matching cases ("suite.case") on the console. */
void nk_test_list(const char *globs);
/* Run the tests named on the kernel command line, print the verdict, exit QEMU. */
void nk_test_run_boot(const char *globs) __nk_noreturn;

#endif
