/* The lock checker's held-lock stack and table of observed lock orders (lock_order.h). */
#include <nautilus/errno.h>

#include "lock_order.h"

int held_push(struct held_locks *s, const struct held_lock *h)
{
	if (s->depth == NK_LOCKDEP_DEPTH)
		return -ENOSPC;
	s->lock[s->depth++] = *h;
	return 0;
}

static int held_index(const struct held_locks *s, const void *lock)
{
	for (int i = s->depth - 1; i >= 0; i--)
		if (s->lock[i].lock == lock)
			return i;
	return -1;
}

int held_remove(struct held_locks *s, const void *lock)
{
	int i = held_index(s, lock);

	if (i < 0)
		return -ENOENT;
	for (s->depth--; i < s->depth; i++)
		s->lock[i] = s->lock[i + 1];
	return 0;
}

const struct held_lock *held_find(const struct held_locks *s, const void *lock)
{
	int i = held_index(s, lock);

	return i < 0 ? NULL : &s->lock[i];
}

/* Multiplicative hash of the ordered pair: (a, b) and (b, a) land in unrelated buckets. */
static unsigned bucket_of(uint32_t first, uint32_t second)
{
	uint64_t k = ((uint64_t)first << 32 | second) * 0x9e3779b97f4a7c15ull;

	return (unsigned)(k >> 32) % LOCK_ORDER_BUCKETS;
}

const struct lock_pair *lock_order_find(const struct lock_order *t, uint32_t first, uint32_t second)
{
	const struct lock_pair *b = t->slot[bucket_of(first, second)];

	for (int w = 0; w < LOCK_ORDER_WAYS; w++)
		if (b[w].first == first && b[w].second == second)
			return &b[w];
	return NULL;
}

/* The slot p goes to: an empty one, else the oldest (ages are compared modulo 2^32). */
static struct lock_pair *victim(struct lock_order *t, const struct lock_pair *p)
{
	struct lock_pair *b = t->slot[bucket_of(p->first, p->second)], *old = &b[0];

	for (int w = 0; w < LOCK_ORDER_WAYS; w++) {
		if (!b[w].first)
			return &b[w];
		if ((int32_t)(b[w].age - old->age) < 0)
			old = &b[w];
	}
	t->evicted++;
	return old;
}

bool lock_order_add(struct lock_order *t, const struct lock_pair *p)
{
	struct lock_pair *slot;

	if (lock_order_find(t, p->first, p->second))
		return false;
	slot = victim(t, p);
	*slot = *p;
	slot->age = t->inserted++;
	return true;
}

enum nk_lockdep_problem lock_order_check(const struct lock_order *t, const struct held_locks *s,
					 const struct held_lock *taking, struct lockdep_report *r)
{
	struct lockdep_report none;
	const struct lock_pair *seen;

	r = r ? r : &none;
	r->problem = NK_LOCKDEP_OK;
	for (int i = s->depth - 1; i >= 0; i--) {
		r->held = s->lock[i];
		if (s->lock[i].lock == taking->lock)
			return r->problem = NK_LOCKDEP_RECURSIVE;
		seen = lock_order_find(t, taking->key, s->lock[i].key);
		if (seen) {
			r->seen = *seen;
			return r->problem = NK_LOCKDEP_INVERSION;
		}
	}
	if (s->depth == NK_LOCKDEP_DEPTH)
		return r->problem = NK_LOCKDEP_TOO_DEEP;
	return NK_LOCKDEP_OK;
}

void lock_order_record(struct lock_order *t, const struct held_locks *s,
		       const struct held_lock *taking)
{
	for (int i = 0; i < s->depth; i++) {
		struct lock_pair p = {
			.first = s->lock[i].key,
			.second = taking->key,
			.first_lock = s->lock[i].lock,
			.second_lock = taking->lock,
			.first_site = s->lock[i].site,
			.second_site = taking->site,
		};

		lock_order_add(t, &p);
	}
}
