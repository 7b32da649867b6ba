/* A small deterministic generator (xorshift64*) for tests and randomized choices; not for secrets. */
#ifndef NK_NAUTILUS_RANDOM_H
#define NK_NAUTILUS_RANDOM_H

#include <nautilus/types.h>

/* Next value from *state, which must start nonzero; the same seed gives the same sequence. */
static inline uint64_t nk_xorshift64(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

#endif
