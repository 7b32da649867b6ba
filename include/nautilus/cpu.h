/*
 * CPUs: one struct nk_cpu per processor the firmware lists, reached on the running CPU through
 * the GS base (nk_this_cpu). The boot CPU is id 0 from the first line of nk_main; application
 * processors are brought up by nk_smp_init and get ids 1..n-1 in MADT order.
 */
#ifndef NK_NAUTILUS_CPU_H
#define NK_NAUTILUS_CPU_H

#include <nautilus/compiler.h>
#include <nautilus/types.h>

#define NK_MAX_CPUS 64

enum nk_cpu_state {
	NK_CPU_ABSENT = 0, /* listed, not started (or disabled in the MADT) */
	NK_CPU_BOOTING,	   /* INIT-SIPI-SIPI sent, not yet answered */
	NK_CPU_ONLINE,	   /* running its idle loop, takes interrupts */
	NK_CPU_FAILED,	   /* did not answer within the bring-up timeout */
};

struct nk_cpu {
	struct nk_cpu *self; /* first: %gs:0 holds the struct's own address */
	int id;		     /* dense, 0 = boot CPU */
	uint32_t apic_id;
	int node; /* NUMA node (0 without SRAT) */
	volatile enum nk_cpu_state state;
	void *current_thread;	 /* the running struct nk_thread */
	void *sched;		 /* the scheduler's per-CPU state (its run queue) */
	int irq_nesting;	 /* interrupt handlers running on this CPU */
	int preempt_disable;	 /* > 0: the scheduler must not switch away */
	volatile int need_resched; /* switch at the next preemption point */
	bool fpu_trapping;	 /* CR0.TS set: an FPU instruction raises #NM */
	uint64_t tsc_khz;
	int64_t tsc_skew;	 /* this CPU's TSC minus the boot CPU's, in cycles, at bring-up */
	uint64_t irqs;		 /* interrupts taken (all vectors) */
	uint64_t irq_count[256]; /* per vector */
	void *stack_top;	 /* bring-up stack */
	void *ist_stacks;	 /* NMI, #DF, #MC stacks */
};

/*
 * This CPU's structure, read through %gs:0 (valid from the first line of nk_main). Not volatile:
 * reads between two calls or memory clobbers may be merged (the fake memory input orders it
 * against them, so a read after a possible switch is a new read).
 */
extern char nk_percpu_order;
static inline struct nk_cpu *nk_this_cpu(void)
{
	struct nk_cpu *c;

	asm("movq %%gs:0, %0" : "=r"(c) : "m"(nk_percpu_order));
	return c;
}

/* A field of this CPU's structure. The caller keeps the thread on this CPU if it matters. */
#define NK_PER_CPU(field) (nk_this_cpu()->field)

static inline int nk_cpu_id(void)
{
	return nk_this_cpu()->id;
}

/* CPUs known (enabled in the MADT, at most NK_MAX_CPUS; 1 before ACPI is read). */
int nk_cpu_count(void);
/* CPUs that reached NK_CPU_ONLINE. */
int nk_cpu_online_count(void);
/* CPU by dense id, NULL if out of range. */
struct nk_cpu *nk_cpu_get(int id);

#endif
