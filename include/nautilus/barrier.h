/*
 * Barriers for n threads. In each generation the first n-1 arrivals wait until the n-th
 * arrives; all n then leave, and exactly one of them (the last to arrive) gets
 * NK_BARRIER_LAST, the others 0. A thread that leaves may arrive again at once: it counts in
 * the next generation, never in the one it left.
 *
 * nk_barrier sleeps; a waiter is woken only by the last arrival. nk_spin_barrier spins with
 * PAUSE, for runtimes with one thread per CPU that cannot afford a sleep and a wake-up; with
 * more threads than CPUs, the spinners burn their quantum while the late ones wait for it.
 */
#ifndef NK_NAUTILUS_BARRIER_H
#define NK_NAUTILUS_BARRIER_H

#include <nautilus/types.h>
#include <nautilus/waitqueue.h>

#define NK_BARRIER_LAST 1

struct nk_barrier {
	struct nk_waitqueue wq; /* its lock also guards the counts */
	unsigned n;
	unsigned arrived;    /* in the current generation */
	uint64_t generation; /* generations completed */
};

/* n >= 1 threads per generation; -EINVAL for 0. */
int nk_barrier_init(struct nk_barrier *b, unsigned n);
/* Wait for the generation to fill: NK_BARRIER_LAST for its last arrival, 0 for the others. */
int nk_barrier_wait(struct nk_barrier *b);

struct nk_spin_barrier {
	unsigned n;
	unsigned arrived;    /* in the current generation */
	unsigned generation; /* bumped by each generation's last arrival: the release */
};

int nk_spin_barrier_init(struct nk_spin_barrier *b, unsigned n);
int nk_spin_barrier_wait(struct nk_spin_barrier *b);

#endif
