/* What thread.c, sched.c, timer.c and waitqueue.c share. */
#ifndef NK_SCHED_INTERNAL_H
#define NK_SCHED_INTERNAL_H

#include <nautilus/cpu.h>
#include <nautilus/spinlock.h>
#include <nautilus/thread.h>
#include <nautilus/timer.h>
#include <nautilus/waitqueue.h>

#define THREAD_MAGIC 0x6e6b746872656164ull /* "nkthread" */

struct nk_thread {
	void *sp; /* saved stack pointer while switched out */
	uint64_t magic;
	uint64_t number;
	char name[NK_THREAD_NAME_LEN];
	volatile enum nk_thread_state state;
	int prio;
	volatile int cpu; /* the run queue it belongs to (changed under that queue's lock) */
	bool bound;
	bool detached;
	bool idle;
	bool fpu_used;
	bool tls_set;
	bool placed;	  /* put on its CPU on purpose, not run there yet: kept there */	  /* nk_tls_set was called: destructors may have work at exit */
	bool joining;	  /* a joiner is waiting or has claimed it */
	volatile bool off_cpu; /* exited and switched out for good: its stack is free to reuse */

	nk_thread_fun_t fn;
	void *input;
	void **output;
	void *retval;

	void *stack;	   /* lowest address: the guard page (NULL for boot/AP contexts) */
	unsigned stack_order;
	int stack_node;

	struct nk_thread *rq_next; /* run queue (singly linked FIFO per priority) */
	struct nk_thread *all_next, *all_prev; /* every live thread */
	struct nk_thread *parent;
	struct nk_thread *sib_next, *sib_prev; /* parent's children */
	struct nk_thread *children;
	struct nk_thread *free_next; /* a CPU's free list */

	struct nk_waitqueue join_wq;
	struct nk_timer timer; /* wait queue deadlines and nk_sleep */

	uint64_t run_ns;
	uint64_t switches_in;
	uint64_t switched_in_at;

	void *fpu_area; /* 64-byte aligned, inside this allocation */
	void *tls[NK_TLS_KEYS]; /* last: a reused thread clears it only if it was set */
};

/* The state one CPU's scheduler keeps (nk_cpu.sched points here). */
struct nk_rq {
	struct nk_spinlock lock;
	struct nk_thread *head[NK_PRIO_LEVELS];
	struct nk_thread *tail[NK_PRIO_LEVELS];
	unsigned bitmap; /* priorities with queued threads */
	volatile int nr; /* queued threads (not the running one) */
	int cpu;
	struct nk_thread *current;
	struct nk_thread *idle;
	struct nk_thread *prev; /* the thread being switched away from */
	uint64_t quantum_end;	/* ns; 0: no quantum running */
	bool quantum_expired;	/* the timer ended it: an equal priority gets the CPU */
	uint64_t armed_at;	/* ns of the one-shot armed now; 0: none */

	struct nk_thread *free_list; /* recycled threads whose stacks are on this CPU's node */
	int nr_free;

	uint64_t switches, preemptions, steals, timer_arms, wakeup_ipis;
	uint64_t idle_ns, busy_ns;
};

static inline struct nk_rq *this_rq(void)
{
	return nk_this_cpu()->sched;
}

bool nk_sched_cpu_ready(int cpu); /* its run queue and idle thread exist */

/* Scheduler entry points for the rest of the core (sched.c). */
void nk_sched_make_runnable(struct nk_thread *t); /* CREATED -> RUNNABLE on t->cpu */
void nk_sched_wake(struct nk_thread *t);	  /* BLOCKED -> RUNNABLE; else nothing */
void nk_sched_wake_timer(void *thread);		  /* nk_sched_wake as a timer callback */
/* The caller set its state (BLOCKED or EXITED) and holds no spinlock; interrupts off. */
void nk_sched_switch_away(void);
int nk_sched_place(int creator_cpu);
int nk_sched_move(struct nk_thread *t, int cpu);
int nk_sched_set_priority(struct nk_thread *t, int prio);
void nk_sched_program_timer(struct nk_rq *rq);

/* Thread life cycle (thread.c). */
void nk_thread_exited_switched_out(struct nk_thread *t);
struct nk_thread *nk_thread_boot_context(const char *name, int cpu, bool idle);
int nk_thread_count_on(int cpu); /* live threads whose CPU is cpu, idle excluded */

/* Timers (timer.c), this CPU: run the expired ones; the nearest deadline, 0 if none. */
void nk_timer_run_expired(uint64_t now);
uint64_t nk_timer_next_deadline(void);
void nk_timer_cpu_init(int cpu);

#endif
