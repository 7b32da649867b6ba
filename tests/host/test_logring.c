/*
 * Host test of the log ring: random record sizes through rings of several sizes and
 * alignments; after every append the walk must show a gap-free run of the newest records,
 * intact, and the ring must not have dropped more than it had to.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nautilus/compiler.h>
#include <nautilus/logring.h>
#include <nautilus/random.h>

#define HDR 24 /* record header size in logring.c */
static size_t rec_size(size_t len)
{
	return NK_ALIGN_UP(HDR + len, 8);
}

static uint64_t rng = 0x243f6a8885a308d3ull;
/* Record seq's text is derived from seq, so a walk can check any record without a copy. */
static char text_byte(uint64_t seq, size_t i)
{
	return (char)('a' + (seq * 7 + i) % 26);
}

#define MAX_LEN 9000
static char text[MAX_LEN];
static size_t orig_len[20000];

struct walk_state {
	uint64_t expect_seq; /* the next seq the walk should see */
	size_t max_len;	     /* longest text the ring can keep */
	size_t seen, used;
	int errors;
};

static int check_entry(const struct nk_logring_entry *e, void *arg)
{
	struct walk_state *w = arg;
	size_t want = orig_len[e->seq] < w->max_len ? orig_len[e->seq] : w->max_len;

	if (e->seq != w->expect_seq || e->len != want || e->ts_ns != e->seq * 3 ||
	    e->level != (int)(e->seq % 8) || e->truncated != (orig_len[e->seq] > w->max_len))
		w->errors++;
	for (size_t i = 0; i < e->len; i++)
		if (e->text[i] != text_byte(e->seq, i))
			w->errors++;
	w->expect_seq++;
	w->seen++;
	w->used += rec_size(e->len);
	return 0;
}

/*
 * n appends of lengths up to max_len_gen into a ring of size bytes at offset off of a buffer
 * allocated to the exact size, so ASan sees any write outside it.
 */
static void run(size_t size, size_t off, size_t max_len_gen, int n)
{
	char *mem = malloc(size + off);
	struct nk_logring r;
	size_t usable = NK_ALIGN_DOWN(
		size - (NK_ALIGN_UP((uintptr_t)mem + off, 8) - ((uintptr_t)mem + off)), 8);
	size_t max_rec = rec_size(max_len_gen < usable - HDR ? max_len_gen : usable - HDR);

	assert_non_null(mem);
	if (usable < NK_LOGRING_MIN_SIZE) {
		assert_int_equal(nk_logring_init(&r, mem + off, size), -22);
		free(mem);
		return;
	}
	assert_int_equal(nk_logring_init(&r, mem + off, size), 0);
	for (int seq = 0; seq < n; seq++) {
		size_t len = nk_xorshift64(&rng) % (max_len_gen + 1);
		struct walk_state w = { 0, usable - HDR, 0, 0, 0 };

		for (size_t i = 0; i < len; i++)
			text[i] = text_byte(seq, i);
		orig_len[seq] = len;
		assert_int_equal(nk_logring_append(&r, seq * 3ull, seq % 8, text, len), seq);
		w.expect_seq = nk_logring_dropped(&r);
		assert_int_equal(nk_logring_for_each(&r, 0, check_entry, &w), 0);
		assert_int_equal(w.errors, 0);
		assert_int_equal(w.expect_seq, seq + 1); /* the newest is present, no gaps */
		assert_int_equal(w.seen, nk_logring_count(&r));
		assert_true(w.used <= usable);
		/* Drops stop as soon as the record fits; the skipped tail is below one record. */
		if (nk_logring_dropped(&r))
			assert_true(w.used + 2 * max_rec > usable);
	}
	free(mem);
}

static void test_small_records(void **state)
{
	static const size_t sizes[] = { 64, 72, 100, 256, 1000, 4096 };

	(void)state;
	for (size_t i = 0; i < NK_ARRAY_SIZE(sizes); i++)
		for (size_t off = 0; off < 8; off += 3)
			run(sizes[i], off, 40, 3000);
}

static void test_mixed_and_oversized_records(void **state)
{
	static const size_t sizes[] = { 64, 200, 1024, 4096 };

	(void)state;
	for (size_t i = 0; i < NK_ARRAY_SIZE(sizes); i++)
		for (size_t off = 0; off < 8; off += 5)
			run(sizes[i], off, 2 * sizes[i], 3000);
}

/* Equal records in a ring of exactly k of them: once full it always holds k, never fewer. */
static void test_exact_fit_keeps_all(void **state)
{
	static uint64_t mem[512];
	struct nk_logring r;

	(void)state;
	for (size_t len = 0; len <= 64; len++) {
		for (size_t k = 2; k <= 9; k++) {
			size_t size = k * rec_size(len);

			assert_int_equal(nk_logring_init(&r, mem, size < 64 ? 64 : size), 0);
			if (size < 64)
				continue;
			for (size_t i = 0; i < 5 * k; i++) {
				nk_logring_append(&r, 0, 0, text, len);
				assert_int_equal(nk_logring_count(&r), i < k ? i + 1 : k);
			}
		}
	}
}

static void test_init_rejects_small(void **state)
{
	char buf[NK_LOGRING_MIN_SIZE + 8];
	struct nk_logring r;

	(void)state;
	assert_int_equal(nk_logring_init(&r, buf, NK_LOGRING_MIN_SIZE - 1), -22);
	assert_int_equal(nk_logring_init(&r, buf, 3), -22);
	assert_int_equal(nk_logring_init(&r, buf, sizeof(buf)), 0);
	assert_int_equal(nk_logring_count(&r), 0);
	assert_int_equal(nk_logring_next_seq(&r), 0);
}

struct follower {
	uint64_t next;
	uint64_t missed;
};

static int follow(const struct nk_logring_entry *e, void *arg)
{
	struct follower *f = arg;

	f->missed += e->seq - f->next;
	f->next = e->seq + 1;
	return 0;
}

/* A reader that polls with from_seq sees every record once and counts the ones it missed. */
static void test_follower(void **state)
{
	static uint64_t mem[64];
	struct nk_logring r;
	struct follower f = { 0, 0 };
	uint64_t seen_before;

	(void)state;
	assert_int_equal(nk_logring_init(&r, mem, sizeof(mem)), 0);
	for (int i = 0; i < 1000; i++) {
		nk_logring_append(&r, 0, 6, "0123456789", nk_xorshift64(&rng) % 11);
		if (nk_xorshift64(&rng) % 4 == 0) {
			seen_before = f.next;
			nk_logring_for_each(&r, f.next, follow, &f);
			assert_int_equal(f.next, nk_logring_next_seq(&r));
			assert_true(f.next > seen_before);
		}
	}
	nk_logring_for_each(&r, f.next, follow, &f);
	assert_int_equal(f.next, 1000);
	assert_true(f.missed > 0);
	assert_true(f.missed <= nk_logring_dropped(&r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_records),
		cmocka_unit_test(test_mixed_and_oversized_records),
		cmocka_unit_test(test_exact_fit_keeps_all),
		cmocka_unit_test(test_init_rejects_small),
		cmocka_unit_test(test_follower),
	};

	return cmocka_run_group_tests_name("logring", tests, NULL, NULL);
}
