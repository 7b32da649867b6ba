/*
 * Kernel threads: the only unit of execution. One address space, no user mode; a thread is a
 * stack, saved registers and a place in a CPU's run queue. Bound threads (created with a CPU)
 * run only there; free ones (NK_CPU_ANY) are placed by the scheduler and may be stolen by idle
 * CPUs. Thread structures and default-size stacks are recycled through per-CPU free lists.
 *
 * Return values are 0 or -errno unless said otherwise. Creating, joining and exiting are for
 * thread context (not interrupt handlers): they may allocate, sleep or wait for other CPUs.
 */
#ifndef NK_NAUTILUS_THREAD_H
#define NK_NAUTILUS_THREAD_H

#include <nautilus/compiler.h>
#include <nautilus/types.h>

struct nk_thread;
/* A thread's handle. Valid until the thread is joined (or, detached, until it exits). */
typedef struct nk_thread *nk_thread_id_t;
/* What nk_thread_fork returns on failure. */
#define NK_BAD_THREAD_ID ((nk_thread_id_t)-1L)

/*
 * A thread's body: *output starts NULL; what the function leaves there when it returns is the
 * thread's return value (as if passed to nk_thread_exit).
 */
typedef void (*nk_thread_fun_t)(void *input, void **output);

/* The scheduler places the thread (least-loaded CPU of the creator's node first). */
#define NK_CPU_ANY (-1)

/* Flags for nk_thread_create. */
#define NK_THREAD_DETACHED 0x1 /* reaped at exit; cannot be joined */

#define NK_THREAD_NAME_LEN 32

/* Priorities: a higher number runs first; round-robin within one. */
#define NK_PRIO_LEVELS	8
#define NK_PRIO_MIN	0
#define NK_PRIO_DEFAULT 3
#define NK_PRIO_MAX	(NK_PRIO_LEVELS - 1)

/*
 * Create a thread, not yet runnable. stack_size: usable bytes at least (0: CONFIG_THREAD_STACK_SIZE);
 * the stack lies on cpu's NUMA node (the creator's node for NK_CPU_ANY) with an unmapped guard
 * page below it. output: if not NULL, receives the return value at exit. cpu: NK_CPU_ANY or
 * an online CPU to bind to. The thread is the caller's child and inherits its priority.
 * -EINVAL (bad cpu or flags), -ENOMEM.
 */
int nk_thread_create(nk_thread_fun_t fn, void *input, void **output, unsigned flags,
		     size_t stack_size, nk_thread_id_t *tid, int cpu);
/* Make a created thread runnable. -EINVAL if it was already run. */
int nk_thread_run(nk_thread_id_t tid);
/* Create and run. */
int nk_thread_start(nk_thread_fun_t fn, void *input, void **output, unsigned flags,
		    size_t stack_size, nk_thread_id_t *tid, int cpu);

/*
 * Wait for tid to exit and free it; *retval (if not NULL) gets its return value.
 * -EINVAL: tid is detached or not a live thread; -EDEADLK: tid is the caller;
 * -EBUSY: another thread is already joining it.
 */
int nk_thread_join(nk_thread_id_t tid, void **retval);
/* Join every non-detached child of the caller; returns how many were joined. */
int nk_thread_join_all_children(void);
/* End the calling thread with retval. TLS destructors run first. */
void nk_thread_exit(void *retval) __nk_noreturn;

/*
 * Duplicate the caller: the child starts on the same CPU as a copy of the calling function's
 * frame, sees 0 returned, and exits (with NULL) when that function returns. The parent gets the
 * child's handle (joinable), or NK_BAD_THREAD_ID. Locals whose address was taken still point
 * into the parent's frame in the child: only plain values are copied faithfully.
 */
nk_thread_id_t nk_thread_fork(void);

/* Let another runnable thread of the same or higher priority on this CPU run. */
void nk_yield(void);
/* The calling thread (each CPU's boot/idle context is a thread too). */
nk_thread_id_t nk_thread_self(void);

int nk_thread_set_name(nk_thread_id_t tid, const char *name);
/* The thread's name ("" if none was set). */
const char *nk_thread_name(nk_thread_id_t tid);
/* Unique number (1 = the boot CPU's main thread), for display. */
uint64_t nk_thread_number(nk_thread_id_t tid);
/* -EINVAL for a priority outside NK_PRIO_MIN..NK_PRIO_MAX. Takes effect at its next switch-in. */
int nk_thread_set_priority(nk_thread_id_t tid, int prio);
/* The CPU tid runs on, or last ran / will run on. */
int nk_thread_cpu(nk_thread_id_t tid);

/*
 * Move a free (unbound) thread to cpu; the caller itself may be moved (it continues there).
 * -EINVAL (bad cpu, dead thread), -EPERM (tid is bound: bound threads never move).
 */
int nk_thread_move(nk_thread_id_t tid, int cpu);

/* Thread-local storage: keys shared by all threads, one value per thread (initially NULL). */
typedef unsigned nk_tls_key_t;
#define NK_TLS_KEYS 64
/*
 * destructor (may be NULL) runs at thread exit for each non-NULL value, as in POSIX: the
 * value is cleared first, and rounds repeat (at most 4) while destructors set new values.
 * -EAGAIN when all NK_TLS_KEYS are in use.
 */
int nk_tls_key_create(nk_tls_key_t *key, void (*destructor)(void *));
/* -EINVAL for a key not created. Values are not destructed. */
int nk_tls_key_delete(nk_tls_key_t key);
void *nk_tls_get(nk_tls_key_t key);
int nk_tls_set(nk_tls_key_t key, const void *value);

/* What the shell's `threads` shows. */
enum nk_thread_state {
	NK_THREAD_CREATED,  /* not yet run */
	NK_THREAD_RUNNABLE, /* on a run queue */
	NK_THREAD_RUNNING,
	NK_THREAD_BLOCKED, /* in a wait queue, sleeping, joining */
	NK_THREAD_EXITED,  /* waiting to be joined */
};
const char *nk_thread_state_name(enum nk_thread_state s);

struct nk_thread_info {
	uint64_t number;
	char name[NK_THREAD_NAME_LEN];
	int cpu;
	enum nk_thread_state state;
	int prio;
	bool bound;
	bool detached;
	bool idle;	 /* a CPU's idle thread */
	uint64_t run_ns; /* time spent running */
	uint64_t switches_in;
};
/* Call fn for each live thread (a snapshot under the thread list's lock: fn must not block). */
void nk_thread_for_each(void (*fn)(const struct nk_thread_info *info, void *arg), void *arg);
/* Live threads (not yet freed), including idle ones. */
int nk_thread_count(void);
/* Give every CPU's recycled threads back to the page allocator (leak checks). Thread context. */
void nk_thread_cache_drain(void);

#endif
