/*
 * The small interface generic code uses to reach the architecture (src/arch/<arch>/).
 */
#ifndef NK_NAUTILUS_ARCH_H
#define NK_NAUTILUS_ARCH_H

#include <nautilus/compiler.h>
#include <nautilus/types.h>

/* Bring-up, in the order nk_main calls them. */
void nk_arch_early_init(void);	  /* descriptor tables, exception handlers */
void nk_arch_mem_init(void);	  /* final page tables: all RAM identity-mapped, page 0 not */
void nk_arch_time_init(void);	  /* TSC frequency */
void nk_arch_firmware_init(void); /* ACPI: CPUs, interrupt routing, NUMA topology */
void nk_arch_irq_init(void);	  /* interrupt controllers, timer; interrupts on */
void nk_arch_smp_init(void);	  /* start the other CPUs */

/* Cycle counter (TSC on x86); monotonic on one CPU. */
uint64_t nk_arch_cycles(void);
/* Stop this CPU for good (interrupts off). */
void nk_arch_halt_forever(void) __nk_noreturn;
/* Leave QEMU with a status through isa-debug-exit (pass/fail codes), else power off. */
void nk_arch_debug_exit(int code) __nk_noreturn;
/* Power off through ACPI/QEMU's exit device; reboot through the keyboard controller/triple fault. */
void nk_arch_poweroff(void) __nk_noreturn;
void nk_arch_reboot(void) __nk_noreturn;

/*
 * This CPU's one-shot timer: fire once after ns nanoseconds, never before (TSC-deadline mode
 * when the CPU has it, else the APIC timer's one-shot mode); 0 disarms (an interrupt already
 * pending is not taken back). Arming again replaces a pending shot. Returns 0, -ERANGE (longer
 * than the timer can count; an armed shot is left alone) or -ENODEV (no calibrated timer).
 * Handlers are per CPU and run in interrupt context on that CPU.
 */
int nk_arch_timer_oneshot(uint64_t ns);
void nk_arch_timer_set_handler(void (*fn)(void *arg), void *arg);
/* This CPU's handler now (the scheduler's, once threads run). */
void nk_arch_timer_get_handler(void (**fn)(void *arg), void **arg);

/* Stop every other CPU (NMI) for a panic; they halt. Does nothing before SMP bring-up. */
void nk_arch_stop_other_cpus(void);

/* Interrupt flag. */
bool nk_arch_irqs_enabled(void);
unsigned long nk_arch_irq_save(void);
void nk_arch_irq_restore(unsigned long flags);
void nk_arch_irq_enable(void);
/* Turn interrupts on and halt until one comes, with no gap where one could be missed. */
void nk_arch_irq_enable_and_halt(void);

/*
 * [addr, addr+len) is mapped in the kernel's page tables (page 0 is not, nor a guard page).
 * One load more than a bounds check while no page is guarded; else a walk of the range's tables.
 */
bool nk_arch_range_is_mapped(uint64_t addr, uint64_t len);

/*
 * Guard pages (a stack's lowest page): nk_arch_page_guard makes the 4 KiB page at `page` not
 * present, splitting the 1 GiB / 2 MiB page that maps it, and returns once every online CPU has
 * flushed its TLB, so any access from then on faults; the page's contents are kept.
 * nk_arch_page_unguard maps it again (present, writable). `page`: page-aligned usable RAM the
 * caller owns, not page 0 nor the kernel image. Both may run on several CPUs at once and with
 * interrupts off, but guarding waits for the other CPUs: never while holding a lock that another
 * CPU may spin on with interrupts off.
 * 0, or -EINVAL (a bad page; unguard: the page is not guarded), -EEXIST (already guarded),
 * -ENOMEM (no page for a new page table), -ETIMEDOUT (a CPU did not flush within
 * NK_XCALL_TIMEOUT_MS, reported: the page is guarded, that CPU may reach it until it answers).
 */
int nk_arch_page_guard(void *page);
int nk_arch_page_unguard(void *page);
/* addr lies in a guarded page. Lock-free, so fault handlers may ask; one load if none is. */
bool nk_arch_page_is_guarded(const void *addr);
/* The size of the page mapping addr (4 KiB, 2 MiB or 1 GiB); 0 if it is not mapped. */
uint64_t nk_arch_page_size(const void *addr);
/* Page-table pages that splits took from the page allocator since boot; they are never freed. */
uint64_t nk_arch_page_table_pages(void);

/*
 * Device memory: identity-map [paddr, paddr+len) present, writable and uncached (PCD|PWT, UC
 * with the power-up PAT), splitting the large pages around it so that RAM next to it stays
 * cacheable, and adding tables where nothing was mapped (above the end of RAM, where 64-bit
 * BARs may lie). Returns (void *)paddr, or NULL: len 0, a range that overlaps RAM or lies
 * beyond the CPU's physical address width, or no page for a table. Thread context: it waits
 * for every CPU to flush its TLB when an existing mapping changed. Mapping twice is harmless.
 */
void *nk_arch_mmio_map(uint64_t paddr, uint64_t len);

/*
 * The MSI message (address, data) that delivers vector on CPU cpu: fixed delivery, edge,
 * physical destination mode, destination the CPU's APIC id (Intel SDM vol. 3A 11.11).
 * 0, or -EINVAL (no such CPU, vector outside 32-255), -ERANGE (APIC id above 255).
 */
int nk_arch_msi_message(int cpu, int vector, uint64_t *addr, uint32_t *data);

/* Frame-pointer backtrace of the caller, symbolized, on the console at level lvl. */
void nk_arch_backtrace(int lvl);
/* The caller's registers and backtrace (what panic prints). */
void nk_arch_panic_report(int lvl);

/*
 * Run fn(arg) and catch a CPU exception it raises (test-only recovery): returns 0 if fn
 * returned normally, 1 if it faulted, with what happened in *info. One catcher per CPU, so
 * CPUs may catch at the same time; not reentrant on one CPU, and the caller stays on its CPU.
 * NMIs and machine checks are never caught; a double fault only when CR2 lies in a guard page
 * (a stack overflow: the page fault could not push its frame onto the guard page).
 */
struct nk_trap_info {
	int vector;
	uint64_t error_code;
	uint64_t rip;
	uint64_t cr2;
	bool guard; /* CR2 lies in a guard page: reported as a stack overflow */
};
int nk_arch_trap_catch(void (*fn)(void *), void *arg, struct nk_trap_info *info);
/*
 * Who ran into a guard page, for the fault report and the panic (the scheduler: the current
 * thread's name). Called in the fault handler; may return NULL. NULL: no name.
 */
void nk_arch_trap_set_guard_namer(const char *(*name)(void));

/*
 * Threads (src/arch/x64/switch.S). nk_arch_context_switch saves the callee-saved registers on
 * the current stack, stores the stack pointer in *save_sp, and resumes the context saved at
 * next_sp; it returns when something switches back. Interrupts off.
 * nk_arch_context_init prepares a new stack (top: its highest address) so that switching to
 * the returned stack pointer calls nk_sched_thread_entry().
 */
void nk_arch_context_switch(void **save_sp, void *next_sp);
void *nk_arch_context_init(void *stack_top);

/*
 * nk_thread_fork's frame as its assembly part saved it, lowest address first: the caller's
 * callee-saved registers, its frame pointer and the return address into it.
 */
struct nk_fork_frame {
	uint64_t r15, r14, r13, r12, rbx, rbp, ret;
};
/*
 * Build the child's stack for nk_thread_fork: copy the forking function's frame (from the
 * caller's stack pointer up to its saved frame pointer and return address) below stack_top,
 * make the function return into nk_thread_exit(NULL), and return the stack pointer to switch
 * to (it resumes the copy with 0 from nk_thread_fork). NULL if the frame does not fit in
 * max_len bytes.
 */
void *nk_arch_fork_stack(const struct nk_fork_frame *f, void *stack_top, size_t max_len);

/*
 * FPU/SSE/AVX state (src/arch/x64/fpu.c). nk_arch_fpu_init_cpu on each CPU before its first
 * thread; an area is nk_arch_fpu_area_size() bytes, 64-byte aligned. While trapping is on,
 * the first FPU instruction calls nk_sched_fpu_first_use() from the #NM handler.
 */
void nk_arch_fpu_init_cpu(void);
size_t nk_arch_fpu_area_size(void);
void nk_arch_fpu_trap_first_use(bool on);
void nk_arch_fpu_save(void *area);
void nk_arch_fpu_restore(const void *area);
/* A fresh thread's state: x87 and MXCSR defaults, vector registers zero. */
void nk_arch_fpu_init_area(void *area);
/* The scheduler's side of #NM: give the running thread FPU state; false if it is not a thread's. */
bool nk_sched_fpu_first_use(void);
/* The scheduler's side of an interrupt's exit: switch threads if one is due (irq_nesting 0). */
void nk_sched_irq_exit(void);

/* Exit codes the kernel passes to nk_arch_debug_exit; QEMU exits with (code << 1) | 1. */
#define NK_EXIT_PASS	 0x10 /* QEMU status 33 */
#define NK_EXIT_FAIL	 0x11 /* QEMU status 35 */
#define NK_EXIT_PANIC	 0x12 /* QEMU status 37 */
#define NK_EXIT_SHUTDOWN 0x00 /* QEMU status 1: a user's shutdown */

#endif
