/*
 * Host test of the serial driver's byte ring (src/dev/byte_ring.h): random puts and gets of
 * random lengths, byte and block forms mixed, on rings of several sizes, checked against a model
 * FIFO through many wrap-arounds (including the 32-bit wrap of the free-running indices); the
 * ring never writes outside its array (ASan, and guard bytes on both sides).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nautilus/compiler.h>
#include <nautilus/random.h>

#include "../../src/dev/byte_ring.h"

#define GUARD 0x6b
#define OPS   20000

struct model {
	uint8_t *bytes;
	size_t head, tail; /* bytes[tail..head) are held */
	uint8_t next;
};

/* Put up to want bytes (next values of the sequence) through the byte or the block form. */
static void put_some(struct byte_ring *r, struct model *m, size_t want, bool bytewise)
{
	uint8_t src[600];
	size_t fits = NK_MIN(want, (size_t)byte_ring_space(r)), done;

	for (size_t i = 0; i < want; i++)
		src[i] = (uint8_t)(m->next + i);
	if (bytewise) {
		for (done = 0; done < want && byte_ring_putc(r, src[done]); done++)
			;
	} else {
		done = byte_ring_put(r, src, want);
	}
	assert_int_equal(done, fits);
	memcpy(m->bytes + m->head, src, done);
	m->head += done;
	m->next = (uint8_t)(m->next + done);
}

static void get_some(struct byte_ring *r, struct model *m, size_t want, bool bytewise)
{
	uint8_t dst[600];
	size_t held = m->head - m->tail, done = 0;
	int c;

	if (bytewise) {
		while (done < want && (c = byte_ring_getc(r)) >= 0)
			dst[done++] = (uint8_t)c;
	} else {
		done = byte_ring_get(r, dst, want);
	}
	assert_int_equal(done, NK_MIN(want, held));
	assert_memory_equal(dst, m->bytes + m->tail, done);
	m->tail += done;
}

static void run(uint32_t size, uint32_t start, uint64_t seed)
{
	uint8_t *mem = malloc(size + 2);
	struct model m = { .bytes = malloc((size_t)OPS * 600) };
	struct byte_ring r;

	assert_non_null(mem);
	assert_non_null(m.bytes);
	mem[0] = mem[size + 1] = GUARD;
	assert_int_equal(byte_ring_init(&r, mem + 1, size), 0);
	r.head = r.tail = start; /* free-running indices may start anywhere, e.g. near 2^32 */
	for (int op = 0; op < OPS; op++) {
		size_t held = m.head - m.tail;
		size_t want = nk_xorshift64(&seed) % (NK_MIN(size, 512) + 1);
		bool bytewise = nk_xorshift64(&seed) % 4 == 0;

		assert_int_equal(byte_ring_count(&r), held);
		assert_int_equal(byte_ring_space(&r), size - held);
		assert_int_equal(byte_ring_empty(&r), held == 0);
		/* Biased towards whichever end keeps the ring moving between empty and full. */
		if (held < size && (held == 0 || nk_xorshift64(&seed) % 2))
			put_some(&r, &m, want, bytewise);
		else
			get_some(&r, &m, want, bytewise);
	}
	assert_int_equal(mem[0], GUARD);
	assert_int_equal(mem[size + 1], GUARD);
	free(m.bytes);
	free(mem);
}

static void test_random_ops(void **state __nk_unused)
{
	static const uint32_t sizes[] = { 1, 2, 8, 64, 4096 };

	for (size_t i = 0; i < NK_ARRAY_SIZE(sizes); i++) {
		run(sizes[i], 0, 0x1234567 + i);
		run(sizes[i], UINT32_MAX - 100, 0x7654321 + i);
	}
}

/* Fill then drain with one block copy from every start offset: order kept across the end. */
static void test_wrap_every_offset(void **state __nk_unused)
{
	enum { SIZE = 8 };
	uint8_t mem[SIZE], in[SIZE], out[SIZE];
	struct byte_ring r;

	assert_int_equal(byte_ring_init(&r, mem, SIZE), 0);
	for (int start = 0; start < 2 * SIZE; start++) {
		for (int i = 0; i < SIZE; i++)
			in[i] = (uint8_t)(start * 16 + i);
		assert_int_equal(byte_ring_put(&r, in, SIZE + 3), SIZE);
		assert_false(byte_ring_putc(&r, 0xff));
		assert_int_equal(byte_ring_put(&r, in, 1), 0);
		assert_int_equal(byte_ring_get(&r, out, SIZE + 3), SIZE);
		assert_memory_equal(in, out, SIZE);
		assert_int_equal(byte_ring_getc(&r), -1);
		assert_int_equal(byte_ring_get(&r, out, 1), 0);
		assert_true(byte_ring_putc(&r, 0)); /* shift the start by one for the next round */
		assert_int_equal(byte_ring_getc(&r), 0);
	}
}

static void test_init_refuses_bad_sizes(void **state __nk_unused)
{
	static const uint32_t bad[] = { 0, 3, 6, 100, 4095, (1U << 31) + 1, UINT32_MAX };
	uint8_t mem[4];
	struct byte_ring r;

	for (size_t i = 0; i < NK_ARRAY_SIZE(bad); i++)
		assert_int_equal(byte_ring_init(&r, mem, bad[i]), -EINVAL);
	assert_int_equal(byte_ring_init(&r, mem, 4), 0);
	assert_int_equal(byte_ring_init(&r, mem, 1U << 31), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_ops),
		cmocka_unit_test(test_wrap_every_offset),
		cmocka_unit_test(test_init_refuses_bad_sizes),
	};

	return cmocka_run_group_tests_name("byte_ring", tests, NULL, NULL);
}
