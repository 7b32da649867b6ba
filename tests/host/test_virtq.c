/*
 * Host test of the split virtqueue (src/dev/virtio/virtq.c) against a fake device that consumes
 * the available ring and fills the used ring as a virtio device would (virtio 1.1 section
 * 2.6): chains of every shape, out-of-order completion, exhaustion, 16-bit index wrap-around,
 * notification suppression, and a device writing impossible used entries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nautilus/errno.h>
#include <nautilus/random.h>
#include <nautilus/virtio.h>

#include "host_stubs.h"

/* What virtq.c needs from the kernel, over libc. */
void *nk_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

void nk_free(void *p)
{
	free(p);
}

int nk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	return vsnprintf(buf, size, fmt, ap);
}

/* A queue with its ring memory, and the fake device's view of it. */
struct fake {
	struct nk_virtq vq;
	void *mem;
	uint16_t last_avail; /* device: next avail entry to consume */
	uint16_t used_idx;   /* device: next used->idx to publish */
	uint16_t taken[65536];
	unsigned ntaken; /* heads consumed but not yet returned */
	int notified;
};

static void fake_notify(struct nk_virtq *vq)
{
	struct fake *f = (struct fake *)vq; /* vq is first */

	f->notified++;
}

static struct fake *fake_new(uint16_t size)
{
	struct fake *f = calloc(1, sizeof(*f));
	size_t desc = 16UL * size, avail = 6 + 2UL * size, used = 6 + 8UL * size;

	assert_non_null(f);
	f->mem = aligned_alloc(16, NK_ALIGN_UP(desc + avail + used + 8, 16));
	assert_non_null(f->mem);
	memset(f->mem, 0xa5, desc + avail + used + 8);
	snprintf(f->vq.name, sizeof(f->vq.name), "fake.q%u", size);
	f->vq.notify = fake_notify;
	assert_int_equal(nk_virtq_init(&f->vq, size, f->mem, (char *)f->mem + desc,
				       (char *)f->mem + NK_ALIGN_UP(desc + avail, 4)),
			 0);
	return f;
}

static void fake_free(struct fake *f)
{
	nk_virtq_fini(&f->vq);
	free(f->mem);
	free(f);
}

/*
 * Device side: take every published chain (only up to avail->idx), checking its shape, and
 * remember its head. The device only sees what the driver kicked.
 */
static void dev_consume(struct fake *f)
{
	struct nk_virtq *vq = &f->vq;

	while (f->last_avail != vq->avail->idx) {
		uint16_t head = vq->avail->ring[f->last_avail & (vq->size - 1)];

		assert_true(head < vq->size);
		f->taken[f->ntaken++] = head;
		f->last_avail++;
	}
}

/* Device side: walk chain `head`, fill its writable buffers with `fill`; bytes written. */
static uint32_t dev_process(struct fake *f, uint16_t head, uint8_t fill)
{
	struct nk_virtq *vq = &f->vq;
	uint32_t written = 0;
	unsigned steps = 0;
	uint16_t i = head;
	bool seen_write = false;

	for (;;) {
		struct nk_virtq_desc *d = &vq->desc[i];

		assert_true(++steps <= vq->size);
		if (d->flags & NK_VIRTQ_DESC_F_WRITE) {
			memset((void *)(uintptr_t)d->addr, fill, d->len);
			written += d->len;
			seen_write = true;
		} else {
			assert_false(seen_write); /* out buffers come first */
		}
		if (!(d->flags & NK_VIRTQ_DESC_F_NEXT))
			break;
		i = d->next;
		assert_true(i < vq->size);
	}
	return written;
}

/* Device side: return the consumed chain at position k of taken[] (out of order if k > 0). */
static void dev_return(struct fake *f, unsigned k, uint8_t fill)
{
	struct nk_virtq *vq = &f->vq;
	uint16_t head = f->taken[k];
	struct nk_virtq_used_elem *e = &vq->used->ring[f->used_idx & (vq->size - 1)];

	e->id = head;
	e->len = dev_process(f, head, fill);
	f->taken[k] = f->taken[--f->ntaken];
	f->used_idx++;
	vq->used->idx = f->used_idx;
}

static void test_init_sizes(void **state __nk_unused)
{
	static const unsigned bad[] = { 0, 3, 6, 100, 1000, 65535 };
	static const unsigned good[] = { 1, 2, 4, 256, 1024, 32768 };
	char mem[64];
	struct nk_virtq vq;

	for (size_t i = 0; i < NK_ARRAY_SIZE(bad); i++) {
		memset(&vq, 0, sizeof(vq));
		assert_int_equal(nk_virtq_init(&vq, (uint16_t)bad[i], mem, mem, mem), -EINVAL);
	}
	for (size_t i = 0; i < NK_ARRAY_SIZE(good); i++) {
		struct fake *f = fake_new((uint16_t)good[i]);

		assert_int_equal(f->vq.num_free, good[i]);
		assert_int_equal(f->vq.avail->idx, 0);
		assert_int_equal(f->vq.used->idx, 0);
		fake_free(f);
	}
}

/* One chain of 2 out and 2 in buffers: the device sees the right shape, the driver its data. */
static void test_one_chain(void **state __nk_unused)
{
	struct fake *f = fake_new(8);
	char hdr[16] = "header", body[100] = "body", in1[32], in2[1];
	struct nk_virtq_buf bufs[] = { { hdr, sizeof(hdr) },
				       { body, sizeof(body) },
				       { in1, sizeof(in1) },
				       { in2, sizeof(in2) } };
	void *cookie = NULL;
	uint32_t len = 0;

	assert_int_equal(nk_virtq_add(&f->vq, bufs, 2, 2, hdr), 0);
	assert_int_equal(f->vq.num_free, 4);
	dev_consume(f);
	assert_int_equal(f->ntaken, 0); /* not kicked: not visible */
	assert_int_equal(nk_virtq_get(&f->vq, &cookie, &len), 0);
	nk_virtq_kick(&f->vq);
	assert_int_equal(f->notified, 1);
	dev_consume(f);
	assert_int_equal(f->ntaken, 1);
	dev_return(f, 0, 0x5a);
	assert_int_equal(nk_virtq_get(&f->vq, &cookie, &len), 1);
	assert_ptr_equal(cookie, hdr);
	assert_int_equal(len, sizeof(in1) + sizeof(in2));
	assert_int_equal((uint8_t)in1[31], 0x5a);
	assert_int_equal((uint8_t)in2[0], 0x5a);
	assert_string_equal(hdr, "header");
	assert_int_equal(f->vq.num_free, 8);
	assert_int_equal(nk_virtq_get(&f->vq, &cookie, &len), 0);
	fake_free(f);
}

static void test_bad_args(void **state __nk_unused)
{
	struct fake *f = fake_new(4);
	char b[4];
	struct nk_virtq_buf bufs[] = { { b, 4 } };

	assert_int_equal(nk_virtq_add(&f->vq, bufs, 0, 0, b), -EINVAL);
	assert_int_equal(nk_virtq_add(&f->vq, bufs, 1, 0, NULL), -EINVAL);
	assert_int_equal(f->vq.num_free, 4);
	fake_free(f);
}

/* Fill the queue until -ENOSPC; a completion frees exactly its chain's descriptors. */
static void test_exhaustion(void **state __nk_unused)
{
	struct fake *f = fake_new(16);
	char b[8][4];
	struct nk_virtq_buf bufs[3] = { { b[0], 4 }, { b[1], 4 }, { b[2], 4 } };
	void *cookie;
	uint32_t len;

	for (uintptr_t i = 0; i < 5; i++)
		assert_int_equal(nk_virtq_add(&f->vq, bufs, 1, 2, (void *)(i + 1)), 0);
	assert_int_equal(f->vq.num_free, 1);
	assert_int_equal(nk_virtq_add(&f->vq, bufs, 2, 1, (void *)99), -ENOSPC);
	assert_int_equal(nk_virtq_add(&f->vq, bufs, 1, 0, (void *)6), 0);
	assert_int_equal(nk_virtq_add(&f->vq, bufs, 1, 0, (void *)7), -ENOSPC);
	assert_int_equal(f->vq.num_free, 0);
	nk_virtq_kick(&f->vq);
	dev_consume(f);
	assert_int_equal(f->ntaken, 6);
	dev_return(f, 2, 1); /* the third chain first */
	assert_int_equal(nk_virtq_get(&f->vq, &cookie, &len), 1);
	assert_ptr_equal(cookie, (void *)3);
	assert_int_equal(f->vq.num_free, 3);
	assert_int_equal(nk_virtq_add(&f->vq, bufs, 3, 0, (void *)8), 0);
	assert_int_equal(nk_virtq_add(&f->vq, bufs, 1, 0, (void *)9), -ENOSPC);
	fake_free(f);
}

/*
 * Random chains (1..4 buffers), random batches, random out-of-order completion on small queues,
 * long enough for avail/used indices to wrap 16 bits several times. Every cookie comes back
 * exactly once, with the length the device wrote.
 */
static void run_random(uint16_t size, uint64_t seed, unsigned ops)
{
	struct fake *f = fake_new(size);
	static uint8_t bufmem[4][64];
	uint32_t *expect_len = calloc(ops + 1, sizeof(uint32_t));
	unsigned next = 1, returned = 0, outstanding = 0;

	assert_non_null(expect_len);
	while (returned < ops) {
		unsigned r = nk_xorshift64(&seed) % 4;

		if (r < 2 && next <= ops) {
			unsigned n = 1 + nk_xorshift64(&seed) % 4,
				 in = nk_xorshift64(&seed) % (n + 1);
			struct nk_virtq_buf bufs[4];
			uint32_t inlen = 0;
			int err;

			for (unsigned i = 0; i < n; i++) {
				bufs[i].addr = bufmem[i];
				bufs[i].len = 1 + nk_xorshift64(&seed) % 64;
				if (i >= n - in)
					inlen += bufs[i].len;
			}
			err = nk_virtq_add(&f->vq, bufs, n - in, in, (void *)(uintptr_t)next);
			if (err == -ENOSPC) {
				assert_true(f->vq.num_free < n);
			} else {
				assert_int_equal(err, 0);
				expect_len[next++] = inlen;
				outstanding++;
			}
		} else if (r == 2) {
			nk_virtq_kick(&f->vq);
			dev_consume(f);
			if (f->ntaken)
				dev_return(f, nk_xorshift64(&seed) % f->ntaken, 0x11);
		} else {
			void *cookie;
			uint32_t len;
			int got = nk_virtq_get(&f->vq, &cookie, &len);

			assert_true(got == 0 || got == 1);
			if (got) {
				uintptr_t c = (uintptr_t)cookie;

				assert_true(c >= 1 && c < next);
				assert_int_equal(len, expect_len[c]);
				expect_len[c] = UINT32_MAX; /* returned once only */
				returned++;
				outstanding--;
			}
		}
		if (next > ops && f->ntaken == 0 && outstanding) {
			nk_virtq_kick(&f->vq);
			dev_consume(f);
		}
	}
	assert_int_equal(f->vq.num_free, size);
	assert_false(f->vq.broken);
	free(expect_len);
	fake_free(f);
}

static void test_random_wraparound(void **state __nk_unused)
{
	run_random(1, 1, 70000);
	run_random(4, 2, 140000);
	run_random(8, 3, 140000);
	run_random(256, 4, 200000);
}

/* Indices start near 0xffff so the first chains already cross the 16-bit wrap. */
static void test_wrap_from_ffff(void **state __nk_unused)
{
	struct fake *f = fake_new(4);
	char b[4];
	struct nk_virtq_buf buf = { b, 4 };
	void *cookie;

	f->vq.avail_idx = f->vq.last_used = 0xfffe;
	f->vq.avail->idx = f->vq.used->idx = 0xfffe;
	f->last_avail = f->used_idx = 0xfffe;
	for (uintptr_t round = 0; round < 8; round++) {
		for (uintptr_t i = 0; i < 4; i++)
			assert_int_equal(
				nk_virtq_add(&f->vq, &buf, 0, 1, (void *)(round * 4 + i + 1)), 0);
		nk_virtq_kick(&f->vq);
		dev_consume(f);
		for (unsigned i = 0; i < 4; i++)
			dev_return(f, 0, 0);
		for (uintptr_t i = 0; i < 4; i++) {
			assert_int_equal(nk_virtq_get(&f->vq, &cookie, NULL), 1);
			assert_non_null(cookie);
		}
		assert_int_equal(nk_virtq_get(&f->vq, &cookie, NULL), 0);
	}
	assert_int_equal(f->vq.last_used, (uint16_t)(0xfffe + 32));
	fake_free(f);
}

/* Kicks notify unless the device set NO_NOTIFY; nothing pending, no kick. */
static void test_notify_suppression(void **state __nk_unused)
{
	struct fake *f = fake_new(4);
	char b[4];
	struct nk_virtq_buf buf = { b, 4 };

	nk_virtq_kick(&f->vq);
	assert_int_equal(f->notified, 0);
	assert_int_equal(nk_virtq_add(&f->vq, &buf, 1, 0, b), 0);
	f->vq.used->flags = NK_VIRTQ_USED_F_NO_NOTIFY;
	nk_virtq_kick(&f->vq);
	assert_int_equal(f->notified, 0);
	assert_int_equal(f->vq.avail->idx, 1); /* published all the same */
	f->vq.used->flags = 0;
	assert_int_equal(nk_virtq_add(&f->vq, &buf, 1, 0, b + 1), 0);
	nk_virtq_kick(&f->vq);
	assert_int_equal(f->notified, 1);
	fake_free(f);
}

static void test_enable_disable_cb(void **state __nk_unused)
{
	struct fake *f = fake_new(4);
	char b[4];
	struct nk_virtq_buf buf = { b, 4 };
	void *cookie;

	nk_virtq_disable_cb(&f->vq);
	assert_true(f->vq.avail->flags & NK_VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_false(nk_virtq_enable_cb(&f->vq));
	assert_false(f->vq.avail->flags & NK_VIRTQ_AVAIL_F_NO_INTERRUPT);
	nk_virtq_disable_cb(&f->vq);
	assert_int_equal(nk_virtq_add(&f->vq, &buf, 1, 0, b), 0);
	nk_virtq_kick(&f->vq);
	dev_consume(f);
	dev_return(f, 0, 0);
	assert_true(nk_virtq_enable_cb(&f->vq)); /* a buffer arrived while disabled */
	assert_int_equal(nk_virtq_get(&f->vq, &cookie, NULL), 1);
	assert_false(nk_virtq_enable_cb(&f->vq));
	fake_free(f);
}

/* A queue with two chains in flight, kicked and consumed by the device. */
static struct fake *two_in_flight(void)
{
	struct fake *f = fake_new(8);
	static char b[2][4];
	struct nk_virtq_buf bufs[2] = { { b[0], 4 }, { b[1], 4 } };

	assert_int_equal(nk_virtq_add(&f->vq, bufs, 1, 1, (void *)1), 0);
	assert_int_equal(nk_virtq_add(&f->vq, bufs, 2, 0, (void *)2), 0);
	nk_virtq_kick(&f->vq);
	dev_consume(f);
	nk_host_last_log[0] = '\0';
	return f;
}

/* After the device broke the queue: every call fails, the message names the queue. */
static void expect_broken(struct fake *f, const char *words)
{
	char b[4];
	struct nk_virtq_buf buf = { b, 4 };
	void *cookie = NULL;

	assert_true(f->vq.broken);
	assert_non_null(strstr(nk_host_last_log, "fake.q8"));
	assert_non_null(strstr(nk_host_last_log, words));
	assert_int_equal(nk_virtq_get(&f->vq, &cookie, NULL), -EIO);
	assert_int_equal(nk_virtq_add(&f->vq, &buf, 1, 0, b), -EIO);
	f->notified = 0;
	nk_virtq_kick(&f->vq);
	assert_int_equal(f->notified, 0);
	fake_free(f);
}

static void test_used_idx_jump(void **state __nk_unused)
{
	struct fake *f = two_in_flight();
	void *cookie;

	f->vq.used->ring[0].id = f->taken[0];
	f->vq.used->idx = 3; /* three used entries, two chains in flight */
	assert_int_equal(nk_virtq_get(&f->vq, &cookie, NULL), -EIO);
	expect_broken(f, "jumped");

	f = two_in_flight();
	f->vq.used->idx = 8 + 1; /* more than the queue size */
	assert_int_equal(nk_virtq_get(&f->vq, &cookie, NULL), -EIO);
	expect_broken(f, "jumped");

	f = two_in_flight();
	f->vq.used->idx = 0x8000; /* far ahead (or behind) */
	assert_int_equal(nk_virtq_get(&f->vq, &cookie, NULL), -EIO);
	expect_broken(f, "jumped");
}

static void test_used_id_out_of_range(void **state __nk_unused)
{
	struct fake *f = two_in_flight();
	void *cookie;

	f->vq.used->ring[0].id = 8;
	f->vq.used->idx = 1;
	assert_int_equal(nk_virtq_get(&f->vq, &cookie, NULL), -EIO);
	expect_broken(f, "out of range");

	f = two_in_flight();
	f->vq.used->ring[0].id = 0xffffffffu;
	f->vq.used->idx = 1;
	assert_int_equal(nk_virtq_get(&f->vq, &cookie, NULL), -EIO);
	expect_broken(f, "out of range");
}

static void test_used_id_not_in_flight(void **state __nk_unused)
{
	struct fake *f = two_in_flight();
	void *cookie;
	uint16_t second = f->vq.desc[f->taken[0]].next; /* inside a chain, not a head */

	f->vq.used->ring[0].id = second;
	f->vq.used->idx = 1;
	assert_int_equal(nk_virtq_get(&f->vq, &cookie, NULL), -EIO);
	expect_broken(f, "not a chain in flight");

	f = two_in_flight(); /* a head returned twice */
	f->vq.used->ring[0].id = f->taken[0];
	f->vq.used->ring[1].id = f->taken[0];
	f->vq.used->idx = 2;
	assert_int_equal(nk_virtq_get(&f->vq, &cookie, NULL), 1);
	assert_int_equal(nk_virtq_get(&f->vq, &cookie, NULL), -EIO);
	expect_broken(f, "not a chain in flight");

	f = two_in_flight(); /* a free descriptor */
	f->vq.used->ring[0].id = 7;
	f->vq.used->idx = 1;
	assert_int_equal(nk_virtq_get(&f->vq, &cookie, NULL), -EIO);
	expect_broken(f, "not a chain in flight");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_sizes),
		cmocka_unit_test(test_one_chain),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_random_wraparound),
		cmocka_unit_test(test_wrap_from_ffff),
		cmocka_unit_test(test_notify_suppression),
		cmocka_unit_test(test_enable_disable_cb),
		cmocka_unit_test(test_used_idx_jump),
		cmocka_unit_test(test_used_id_out_of_range),
		cmocka_unit_test(test_used_id_not_in_flight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
