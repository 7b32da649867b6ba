/*
 * TSC skew check at AP bring-up. The boot CPU and the AP take turns reading their TSCs through
 * one shared cache line, each waiting for its turn with PAUSE. Every AP reading happens, in real
 * time, after the boot CPU's reading before it and before the one after it, so
 *     boot[k-1] <= ap[k] - skew <= boot[k+1]
 *     ap[k] - boot[k+1] <= skew <= ap[k] - boot[k-1]
 * and the intersection over all rounds gives the skew with an error bound (half its width).
 * Rounds go on until the bound is tight or a time budget is spent: under QEMU TCG the two vCPUs
 * are host threads, and on a busy host most round trips wait for the host's scheduler; the
 * intersection keeps the best ones. Every wait has a deadline, so bring-up never hangs here.
 * Nothing writes the TSC.
 */
#include <arch/x64/apic.h>
#include <arch/x64/cpu.h>
#include <nautilus/arch.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/init.h>
#include <nautilus/printk.h>

#include "tsc.h"

#define SYNC_MIN_ROUNDS 32
#define SYNC_MAX_ROUNDS 1000000
#define SYNC_GOOD_NS	100	      /* stop once the skew is known this well */
#define SYNC_BUDGET_NS	50000000ULL   /* else start no round after 50 ms */
#define SYNC_TIMEOUT_NS 1000000000ULL /* boot CPU: the AP went silent */
#define AP_TIMEOUT_NS	1500000000ULL /* AP: the boot CPU went silent (it gives up first) */
#define WARN_SKEW_NS	1000	      /* a skew beyond its bound and this is reported */

/*
 * The shared line. state packs the session (the AP's id + 1, 0: none) above the turn: turn 1
 * says the AP is ready, then each reading k (the boot CPU's when k is even) moves it to k + 2.
 * The boot CPU opens and closes sessions; a turn is posted with a compare-and-swap on state, so
 * a late AP whose session was closed cannot advance another AP's. (It could still overwrite
 * ap_tsc, were it stalled between its last check and its store for the whole bring-up timeout.)
 */
struct sync_line {
	volatile uint64_t state;
	volatile uint64_t ap_tsc; /* the AP's last reading */
} __nk_aligned(64);

static struct sync_line line;

struct skew_result {
	bool measured;
	int err; /* 0, -ETIMEDOUT or -EIO */
	uint64_t bound;
};
static struct skew_result results[NK_MAX_CPUS];

/* The boot CPU's side of one session. */
struct exchange {
	int cpu;
	uint64_t good;	   /* cycles: a bound this tight ends the exchange */
	uint64_t budget;   /* TSC after which no round starts */
	uint64_t deadline; /* TSC after which no wait goes on */
	int64_t lo, hi;	   /* the skew lies in [lo, hi] */
	uint32_t rounds;
};

static uint64_t abs64(int64_t v)
{
	return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

static uint64_t session_state(int cpu, uint32_t turn)
{
	return ((uint64_t)(cpu + 1) << 32) | turn;
}

/* Wait until the session is at turn: -ENOENT if it closed, -ETIMEDOUT past the deadline. */
static int wait_turn(int cpu, uint32_t turn, uint64_t deadline)
{
	uint64_t want = session_state(cpu, turn), s;

	while ((s = __atomic_load_n(&line.state, __ATOMIC_ACQUIRE)) != want) {
		if (s >> 32 != (uint64_t)(cpu + 1))
			return -ENOENT;
		if (rdtsc() > deadline)
			return -ETIMEDOUT;
		cpu_relax();
	}
	return 0;
}

static int post_turn(int cpu, uint32_t turn)
{
	uint64_t expect = session_state(cpu, turn - 1);

	if (__atomic_compare_exchange_n(&line.state, &expect, session_state(cpu, turn), false,
					__ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return 0;
	return -ENOENT;
}

/* Enough rounds and a tight bound, or out of rounds, or out of time with at least one round. */
static bool exchange_done(const struct exchange *x)
{
	if (x->rounds >= SYNC_MIN_ROUNDS && (uint64_t)(x->hi - x->lo) / 2 <= x->good)
		return true;
	return x->rounds == SYNC_MAX_ROUNDS || (x->rounds && rdtsc() > x->budget);
}

/*
 * Readings 0, 2, 4, ... on the boot CPU, the AP's in between. A round that does not finish in
 * time ends the exchange; the rounds before it still count.
 */
static void bsp_exchange(struct exchange *x)
{
	uint64_t prev, now, ap;

	if (wait_turn(x->cpu, 1, x->deadline))
		return;
	prev = nk_rdtsc_ordered();
	post_turn(x->cpu, 2);
	while (!exchange_done(x)) {
		uint32_t turn = 2 * x->rounds + 3;

		if (wait_turn(x->cpu, turn, x->deadline))
			return;
		now = nk_rdtsc_ordered();
		ap = line.ap_tsc;
		post_turn(x->cpu, turn + 1);
		x->lo = NK_MAX(x->lo, (int64_t)(ap - now));
		x->hi = NK_MIN(x->hi, (int64_t)(ap - prev));
		x->rounds++;
		prev = now;
	}
}

static void report(struct nk_cpu *ap, const struct exchange *x, uint64_t took)
{
	struct skew_result *r = &results[ap->id];
	uint64_t us = nk_tsc_cycles_to_ns(took) / 1000;

	r->measured = true;
	r->err = !x->rounds ? -ETIMEDOUT : x->lo > x->hi ? -EIO : 0;
	if (r->err == -ETIMEDOUT) {
		nk_warn("cpu %d: TSC sync: no answer from the AP in %llu us: skew unknown", ap->id,
			(unsigned long long)us);
		return;
	}
	ap->tsc_skew = x->lo + (x->hi - x->lo) / 2;
	if (r->err == -EIO) {
		nk_warn("cpu %d: TSC readings inconsistent by %lld cycles: rates differ", ap->id,
			(long long)(x->lo - x->hi));
		return;
	}
	r->bound = (uint64_t)(x->hi - x->lo + 1) / 2;
	nk_info("cpu %d: TSC skew %lld cycles +- %llu (%s%llu ns), %u rounds in %llu us", ap->id,
		(long long)ap->tsc_skew, (unsigned long long)r->bound, ap->tsc_skew < 0 ? "-" : "",
		(unsigned long long)nk_tsc_cycles_to_ns(abs64(ap->tsc_skew)), x->rounds,
		(unsigned long long)us);
}

/* Boot CPU, while ap runs nk_tsc_sync_ap; interrupts off so none lands inside a round. */
void nk_tsc_sync_bsp(struct nk_cpu *ap)
{
	uint64_t start = rdtsc();
	struct exchange x = {
		.cpu = ap->id,
		.good = nk_tsc_ns_to_cycles(SYNC_GOOD_NS),
		.budget = start + nk_tsc_ns_to_cycles(SYNC_BUDGET_NS),
		.deadline = start + nk_tsc_ns_to_cycles(SYNC_TIMEOUT_NS),
		.lo = INT64_MIN,
		.hi = INT64_MAX,
	};
	unsigned long flags = nk_arch_irq_save();

	line.ap_tsc = 0;
	__atomic_store_n(&line.state, session_state(ap->id, 0), __ATOMIC_RELEASE);
	bsp_exchange(&x);
	__atomic_store_n(&line.state, 0, __ATOMIC_RELEASE);
	nk_arch_irq_restore(flags);
	report(ap, &x, rdtsc() - start);
}

/* Readings 1, 3, 5, ... until the boot CPU closes the session (-ENOENT: the normal end). */
static int ap_exchange(int cpu, uint64_t deadline)
{
	int err;

	while (__atomic_load_n(&line.state, __ATOMIC_ACQUIRE) != session_state(cpu, 0)) {
		if (rdtsc() > deadline)
			return -ETIMEDOUT;
		cpu_relax();
	}
	err = post_turn(cpu, 1);
	for (uint32_t turn = 2; !err; turn += 2) {
		err = wait_turn(cpu, turn, deadline);
		if (err)
			break;
		line.ap_tsc = nk_rdtsc_ordered();
		err = post_turn(cpu, turn + 1);
	}
	return err == -ENOENT ? 0 : err;
}

/* The AP's side, interrupts still off. The boot CPU reports the outcome. */
void nk_tsc_sync_ap(struct nk_cpu *self)
{
	if (ap_exchange(self->id, rdtsc() + nk_tsc_ns_to_cycles(AP_TIMEOUT_NS)))
		nk_warn("cpu %d: TSC sync: the boot CPU did not answer in time", self->id);
}

int nk_tsc_skew_bound(int cpu, uint64_t *bound)
{
	const struct skew_result *r;

	if (cpu <= 0 || cpu >= nk_cpu_count() || !results[cpu].measured)
		return -ENOENT;
	r = &results[cpu];
	if (!r->err)
		*bound = r->bound;
	return r->err;
}

/*
 * After SMP bring-up, one line: the largest skew, the widest error, and the largest skew beyond
 * its error (what is certain), which is warned about past WARN_SKEW_NS.
 */
static int tsc_sync_summary(void)
{
	uint64_t worst = 0, widest = 0, sure = 0;
	int n = 0;

	for (int i = 1; i < nk_cpu_count(); i++) {
		uint64_t b, s = abs64(nk_cpu_get(i)->tsc_skew);

		if (nk_tsc_skew_bound(i, &b))
			continue;
		worst = NK_MAX(worst, s);
		widest = NK_MAX(widest, b);
		sure = NK_MAX(sure, s > b ? s - b : 0);
		n++;
	}
	if (!n) {
		nk_info("TSC skew: nothing measured on %d CPU(s)", nk_cpu_count());
		return 0;
	}
	nk_info("TSC skew across %d CPUs: max |skew| %llu cycles (%llu ns), error <= %llu cycles",
		n + 1, (unsigned long long)worst, (unsigned long long)nk_tsc_cycles_to_ns(worst),
		(unsigned long long)widest);
	if (nk_tsc_cycles_to_ns(sure) > WARN_SKEW_NS)
		nk_warn("TSCs differ across CPUs by at least %llu ns: so does nk_time_ns()",
			(unsigned long long)nk_tsc_cycles_to_ns(sure));
	return 0;
}
NK_INITCALL(NK_INIT_ARCH, tsc_sync_summary);
