/*
 * Split virtqueues (virtio 1.1 section 2.6): descriptor table, available ring, used ring.
 * Free descriptors are chained through their next fields. Nothing here touches the transport
 * except vq->notify, so the ring logic is tested on the host (tests/host/virtq.mk).
 * Everything the device writes (used->idx, used elements) is checked before it is believed.
 */
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>
#include <nautilus/virtio.h>

/* The rings sit in memory shared with the device: order our stores and loads around it. */
#define store_release_u16(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define load_acquire_u16(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define full_barrier()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

static bool is_pow2(unsigned v)
{
	return v && !(v & (v - 1));
}

int nk_virtq_init(struct nk_virtq *vq, uint16_t size, void *desc_mem, void *avail_mem,
		  void *used_mem)
{
	if (!is_pow2(size) || !desc_mem || !avail_mem || !used_mem)
		return -EINVAL;
	vq->cookies = nk_calloc(size, sizeof(*vq->cookies));
	vq->chain_len = nk_calloc(size, sizeof(*vq->chain_len));
	if (!vq->cookies || !vq->chain_len) {
		nk_free(vq->cookies);
		nk_free(vq->chain_len);
		vq->cookies = NULL;
		vq->chain_len = NULL;
		return -ENOMEM;
	}
	vq->size = size;
	vq->desc = desc_mem;
	vq->avail = avail_mem;
	vq->used = used_mem;
	memset(desc_mem, 0, 16UL * size);
	memset(avail_mem, 0, 6 + 2UL * size);
	memset(used_mem, 0, 6 + 8UL * size);
	for (unsigned i = 0; i < size; i++)
		vq->desc[i].next = (uint16_t)(i + 1);
	vq->free_head = 0;
	vq->num_free = size;
	vq->avail_idx = 0;
	vq->last_used = 0;
	vq->pending = 0;
	vq->broken = false;
	nk_spin_init(&vq->lock);
	return 0;
}

void nk_virtq_fini(struct nk_virtq *vq)
{
	nk_free(vq->cookies);
	nk_free(vq->chain_len);
	vq->cookies = NULL;
	vq->chain_len = NULL;
	vq->size = 0;
	vq->num_free = 0;
}

int nk_virtq_add(struct nk_virtq *vq, const struct nk_virtq_buf *bufs, unsigned out, unsigned in,
		 void *cookie)
{
	unsigned n = out + in;
	uint16_t head = vq->free_head, idx = head, last = head;

	if (vq->broken)
		return -EIO;
	if (!n || !cookie || !bufs)
		return -EINVAL;
	if (n > vq->num_free)
		return -ENOSPC;
	for (unsigned i = 0; i < n; i++) {
		struct nk_virtq_desc *d = &vq->desc[idx];

		d->addr = (uint64_t)(uintptr_t)bufs[i]
				  .addr; /* identity-mapped: the physical address */
		d->len = bufs[i].len;
		d->flags = (i >= out ? NK_VIRTQ_DESC_F_WRITE : 0) |
			   (i + 1 < n ? NK_VIRTQ_DESC_F_NEXT : 0);
		last = idx;
		idx = d->next;
	}
	vq->free_head = vq->desc[last].next;
	vq->num_free -= n;
	vq->cookies[head] = cookie;
	vq->chain_len[head] = (uint16_t)n;
	vq->avail->ring[vq->avail_idx & (vq->size - 1)] = head;
	vq->avail_idx++;
	vq->pending++;
	return 0;
}

void nk_virtq_kick(struct nk_virtq *vq)
{
	if (vq->broken || !vq->pending)
		return;
	/* Descriptors and ring entries before the index that publishes them (2.6.13). */
	store_release_u16(&vq->avail->idx, vq->avail_idx);
	vq->pending = 0;
	/* The index store before the flag load, or a device going idle misses the kick. */
	full_barrier();
	if (!(load_acquire_u16(&vq->used->flags) & NK_VIRTQ_USED_F_NO_NOTIFY) && vq->notify)
		vq->notify(vq);
}

/* The device wrote something impossible: say what, and refuse every later call. */
static int __nk_printf(2, 3) vq_broken(struct nk_virtq *vq, const char *fmt, ...)
{
	char msg[96];
	va_list ap;

	va_start(ap, fmt);
	nk_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vq->broken = true;
	nk_err("%s: %s; queue disabled", vq->name, msg);
	return -EIO;
}

/* Put the chain starting at head back on the free list. */
static void free_chain(struct nk_virtq *vq, uint16_t head)
{
	uint16_t last = head;

	for (unsigned i = 1; i < vq->chain_len[head]; i++)
		last = vq->desc[last].next;
	vq->desc[last].next = vq->free_head;
	vq->free_head = head;
	vq->num_free += vq->chain_len[head];
	vq->cookies[head] = NULL;
	vq->chain_len[head] = 0;
}

int nk_virtq_get(struct nk_virtq *vq, void **cookie, uint32_t *len)
{
	uint16_t used_idx, ready, in_flight;
	volatile struct nk_virtq_used_elem *e;
	uint32_t id;

	if (vq->broken)
		return -EIO;
	used_idx = load_acquire_u16(&vq->used->idx);
	ready = (uint16_t)(used_idx - vq->last_used);
	if (!ready)
		return 0;
	/* Published chains the device has not returned yet: it cannot return more. */
	in_flight = (uint16_t)(vq->avail->idx - vq->last_used);
	if (ready > in_flight)
		return vq_broken(vq, "used index jumped from %u to %u with %u buffers in flight",
				 vq->last_used, used_idx, in_flight);
	e = &vq->used->ring[vq->last_used & (vq->size - 1)];
	id = e->id;
	if (id >= vq->size)
		return vq_broken(vq, "used descriptor id %u out of range (queue size %u)", id,
				 vq->size);
	if (!vq->cookies[id])
		return vq_broken(vq, "used descriptor id %u is not a chain in flight", id);
	*cookie = vq->cookies[id];
	if (len)
		*len = e->len;
	free_chain(vq, (uint16_t)id);
	vq->last_used++;
	return 1;
}

void nk_virtq_disable_cb(struct nk_virtq *vq)
{
	vq->avail->flags |= NK_VIRTQ_AVAIL_F_NO_INTERRUPT;
}

bool nk_virtq_enable_cb(struct nk_virtq *vq)
{
	vq->avail->flags &= (uint16_t)~NK_VIRTQ_AVAIL_F_NO_INTERRUPT;
	/* The flag store before the index load: a chain used in between is seen here. */
	full_barrier();
	return load_acquire_u16(&vq->used->idx) != vq->last_used;
}
