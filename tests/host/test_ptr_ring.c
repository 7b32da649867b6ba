/*
 * Host test of the message queue's ring (src/nautilus/sync/ptr_ring.h): random pushes and pops
 * on rings of several capacities, checked against a model FIFO, through many wrap-arounds;
 * the ring never writes outside its array (ASan, and guard slots on both sides).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <nautilus/compiler.h>
#include <nautilus/random.h>

#include "../../src/nautilus/sync/ptr_ring.h"

#define GUARD ((void *)0x6b6b6b6b)
#define OPS   20000

static void run(unsigned capacity, uint64_t seed)
{
	void **mem = calloc(capacity + 2, sizeof(void *));
	uintptr_t *model = calloc(OPS, sizeof(uintptr_t));
	size_t model_head = 0, model_tail = 0;
	uintptr_t next = 1;
	struct ptr_ring r;

	assert_non_null(mem);
	assert_non_null(model);
	mem[0] = mem[capacity + 1] = GUARD;
	ptr_ring_init(&r, mem + 1, capacity);
	for (int op = 0; op < OPS; op++) {
		size_t held = model_tail - model_head;

		assert_int_equal(r.count, held);
		assert_int_equal(ptr_ring_empty(&r), held == 0);
		assert_int_equal(ptr_ring_full(&r), held == capacity);
		/* Biased towards whichever end keeps the ring moving between empty and full. */
		if (!ptr_ring_full(&r) && (ptr_ring_empty(&r) || nk_xorshift64(&seed) % 2)) {
			ptr_ring_push(&r, (void *)next);
			model[model_tail++] = next++;
		} else {
			assert_ptr_equal(ptr_ring_pop(&r), (void *)model[model_head++]);
		}
		assert_true(r.head < capacity);
	}
	assert_ptr_equal(mem[0], GUARD);
	assert_ptr_equal(mem[capacity + 1], GUARD);
	free(model);
	free(mem);
}

static void test_random_ops(void **state __nk_unused)
{
	static const unsigned capacities[] = { 1, 2, 3, 7, 64, 1000 };

	for (size_t i = 0; i < NK_ARRAY_SIZE(capacities); i++)
		run(capacities[i], 0x1234567 + i);
}

/* Fill, drain, refill across the end of the array: order is kept at every offset. */
static void test_wrap_every_offset(void **state __nk_unused)
{
	enum { CAP = 5 };
	void *mem[CAP];
	struct ptr_ring r;

	ptr_ring_init(&r, mem, CAP);
	for (uintptr_t start = 0; start < 2 * CAP; start++) {
		for (uintptr_t i = 0; i < CAP; i++)
			ptr_ring_push(&r, (void *)(start * 100 + i));
		assert_true(ptr_ring_full(&r));
		for (uintptr_t i = 0; i < CAP; i++)
			assert_ptr_equal(ptr_ring_pop(&r), (void *)(start * 100 + i));
		assert_true(ptr_ring_empty(&r));
		ptr_ring_push(&r, NULL); /* shift the start by one for the next round */
		assert_null(ptr_ring_pop(&r));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_ops),
		cmocka_unit_test(test_wrap_every_offset),
	};

	return cmocka_run_group_tests_name("ptr_ring", tests, NULL, NULL);
}
