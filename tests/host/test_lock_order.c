/*
 * Host test of the lock checker's bookkeeping (src/nautilus/sync/lock_order.c): recursion and
 * AB-BA inversions are found, orders seen once are not reported, a re-initialised lock (new
 * key) has no history, and a full table forgets its oldest pairs without inventing any.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nautilus/compiler.h>
#include <nautilus/errno.h>
#include <nautilus/random.h>

#include "../../src/nautilus/sync/lock_order.h"

static char locks[8]; /* stand-ins: only their addresses matter */

static struct held_lock lk(int i, uint32_t key, uintptr_t site)
{
	return (struct held_lock){ .lock = &locks[i], .key = key, .site = site };
}

static struct lock_order *table(void)
{
	struct lock_order *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	return t;
}

static void test_held_stack(void **state __nk_unused)
{
	struct held_locks s = { 0 };

	for (int i = 0; i < 3; i++) {
		struct held_lock h = lk(i, i + 1, 0);

		assert_int_equal(held_push(&s, &h), 0);
	}
	assert_ptr_equal(held_find(&s, &locks[1])->lock, &locks[1]);
	assert_int_equal(held_remove(&s, &locks[1]), 0); /* out of order */
	assert_int_equal(s.depth, 2);
	assert_ptr_equal(s.lock[0].lock, &locks[0]);
	assert_ptr_equal(s.lock[1].lock, &locks[2]);
	assert_null(held_find(&s, &locks[1]));
	assert_int_equal(held_remove(&s, &locks[1]), -ENOENT);
	while (s.depth < NK_LOCKDEP_DEPTH) {
		struct held_lock h = lk(3, 4, 0);

		assert_int_equal(held_push(&s, &h), 0);
	}
	struct held_lock h = lk(4, 5, 0);
	assert_int_equal(held_push(&s, &h), -ENOSPC);
}

static void test_recursive(void **state __nk_unused)
{
	struct lock_order *t = table();
	struct held_locks s = { 0 };
	struct held_lock a = lk(0, 1, 0x100), a_again = lk(0, 1, 0x200), b = lk(1, 2, 0x300);
	struct lockdep_report r;

	assert_int_equal(held_push(&s, &a), 0);
	assert_int_equal(lock_order_check(t, &s, &b, &r), NK_LOCKDEP_OK);
	assert_int_equal(lock_order_check(t, &s, &a_again, &r), NK_LOCKDEP_RECURSIVE);
	assert_ptr_equal(r.held.lock, &locks[0]);
	assert_int_equal(r.held.site, 0x100);
	free(t);
}

static void test_inversion(void **state __nk_unused)
{
	struct lock_order *t = table();
	struct held_locks s = { 0 };
	struct held_lock a = lk(0, 1, 0x100), b = lk(1, 2, 0x200), c = lk(2, 3, 0x300);
	struct lockdep_report r;

	/* A then B, twice: one order, no report. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(held_push(&s, &a), 0);
		assert_int_equal(lock_order_check(t, &s, &b, &r), NK_LOCKDEP_OK);
		lock_order_record(t, &s, &b);
		assert_int_equal(held_remove(&s, a.lock), 0);
	}
	assert_int_equal(t->inserted, 1);
	/* B then C is unrelated to A. */
	assert_int_equal(held_push(&s, &b), 0);
	assert_int_equal(lock_order_check(t, &s, &c, &r), NK_LOCKDEP_OK);
	/* B then A: the opposite of what was seen. */
	assert_int_equal(lock_order_check(t, &s, &a, &r), NK_LOCKDEP_INVERSION);
	assert_ptr_equal(r.held.lock, b.lock);
	assert_int_equal(r.seen.first, 1);
	assert_int_equal(r.seen.second, 2);
	assert_int_equal(r.seen.first_site, 0x100);
	assert_int_equal(r.seen.second_site, 0x200);
	/* The check alone records nothing. */
	assert_null(lock_order_find(t, 2, 1));
	free(t);
}

/* A lock re-initialised at the same address gets a new key and starts without history. */
static void test_new_key_no_history(void **state __nk_unused)
{
	struct lock_order *t = table();
	struct held_locks s = { 0 };
	struct held_lock a = lk(0, 1, 0), b = lk(1, 2, 0), a_new = lk(0, 7, 0);

	assert_int_equal(held_push(&s, &a), 0);
	lock_order_record(t, &s, &b);
	assert_int_equal(held_remove(&s, a.lock), 0);
	assert_int_equal(held_push(&s, &b), 0);
	assert_int_equal(lock_order_check(t, &s, &a_new, NULL), NK_LOCKDEP_OK);
	assert_int_equal(lock_order_check(t, &s, &a, NULL), NK_LOCKDEP_INVERSION);
	free(t);
}

static void test_every_held_lock_ordered(void **state __nk_unused)
{
	struct lock_order *t = table();
	struct held_locks s = { 0 };
	struct held_lock h[3] = { lk(0, 1, 0), lk(1, 2, 0), lk(2, 3, 0) };

	for (int i = 0; i < 2; i++)
		assert_int_equal(held_push(&s, &h[i]), 0);
	lock_order_record(t, &s, &h[2]);
	assert_non_null(lock_order_find(t, 1, 3));
	assert_non_null(lock_order_find(t, 2, 3));
	assert_null(lock_order_find(t, 1, 2)); /* not recorded by this call */
	free(t);
}

static void test_too_deep(void **state __nk_unused)
{
	struct lock_order *t = table();
	struct held_locks s = { 0 };
	struct held_lock more = lk(1, 99, 0);

	while (s.depth < NK_LOCKDEP_DEPTH) {
		struct held_lock h = lk(0, (uint32_t)s.depth + 1, 0);

		h.lock = (char *)&s + s.depth; /* distinct addresses */
		assert_int_equal(held_push(&s, &h), 0);
	}
	assert_int_equal(lock_order_check(t, &s, &more, NULL), NK_LOCKDEP_TOO_DEEP);
	free(t);
}

static void test_existing_pair_kept(void **state __nk_unused)
{
	struct lock_order *t = table();
	struct lock_pair p = { .first = 5, .second = 6, .first_site = 1, .second_site = 2 };

	assert_true(lock_order_add(t, &p));
	p.first_site = 3;
	assert_false(lock_order_add(t, &p));
	assert_int_equal(lock_order_find(t, 5, 6)->first_site, 1);
	assert_null(lock_order_find(t, 6, 5));
	free(t);
}

/*
 * Four times the capacity of random pairs: each is found right after its insertion, the
 * newest pairs of the table all survive, and pairs never inserted are never found.
 */
#define RANDOM_PAIRS (4 * LOCK_ORDER_BUCKETS * LOCK_ORDER_WAYS)
static void test_eviction(void **state __nk_unused)
{
	struct lock_order *t = table();
	static struct lock_pair pairs[RANDOM_PAIRS];
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	int n;

	for (n = 0; n < RANDOM_PAIRS; n++) {
		uint64_t v = nk_xorshift64(&rng);

		/* First keys odd, second keys even: distinct from each other and never 0. */
		pairs[n] = (struct lock_pair){ .first = (uint32_t)v | 1,
					       .second = (uint32_t)(v >> 32) & ~1u };
		pairs[n].second += !pairs[n].second * 2;
		assert_true(lock_order_add(t, &pairs[n]));
		assert_non_null(lock_order_find(t, pairs[n].first, pairs[n].second));
	}
	assert_int_equal(t->inserted, RANDOM_PAIRS);
	assert_int_equal(t->evicted, RANDOM_PAIRS - LOCK_ORDER_BUCKETS * LOCK_ORDER_WAYS);
	/* The last LOCK_ORDER_WAYS pairs cannot have been pushed out by fewer newer ones. */
	for (n = RANDOM_PAIRS - LOCK_ORDER_WAYS; n < RANDOM_PAIRS; n++)
		assert_non_null(lock_order_find(t, pairs[n].first, pairs[n].second));
	for (n = 0; n < RANDOM_PAIRS; n++)
		assert_null(lock_order_find(t, pairs[n].second, pairs[n].first));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held_stack),
		cmocka_unit_test(test_recursive),
		cmocka_unit_test(test_inversion),
		cmocka_unit_test(test_new_key_no_history),
		cmocka_unit_test(test_every_held_lock_ordered),
		cmocka_unit_test(test_too_deep),
		cmocka_unit_test(test_existing_pair_kept),
		cmocka_unit_test(test_eviction),
	};

	return cmocka_run_group_tests_name("lock_order", tests, NULL, NULL);
}
