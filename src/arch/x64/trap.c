/*
 * CPU exceptions: report the exception by name with its error code, CR2 for page faults, every
 * register, RIP as symbol+offset and a backtrace, then panic. A fault in a guard page is named
 * as a stack overflow. A test can arm a one-shot recovery per CPU (nk_arch_trap_catch) to check
 * that a fault is caught and reported and go on.
 */
#include <arch/x64/arch.h>
#include <arch/x64/cpu.h>
#include <arch/x64/regs.h>
#include <arch/x64/setjmp.h>
#include <nautilus/arch.h>
#include <nautilus/cpu.h>
#include <nautilus/panic.h>
#include <nautilus/printk.h>
#include <nautilus/symbols.h>

void nk_trap(struct nk_regs *r);

/* Vectors handled apart (SDM vol. 3A table 6-1). */
#define VEC_NMI		  2
#define VEC_NO_FPU	  7
#define VEC_DOUBLE_FAULT  8
#define VEC_PAGE_FAULT	  14
#define VEC_MACHINE_CHECK 18

static const char *const names[32] = {
	"divide error (#DE)",
	"debug (#DB)",
	"NMI",
	"breakpoint (#BP)",
	"overflow (#OF)",
	"bound range exceeded (#BR)",
	"invalid opcode (#UD)",
	"device not available (#NM)",
	"double fault (#DF)",
	"coprocessor segment overrun",
	"invalid TSS (#TS)",
	"segment not present (#NP)",
	"stack-segment fault (#SS)",
	"general protection (#GP)",
	"page fault (#PF)",
	"reserved 15",
	"x87 floating-point error (#MF)",
	"alignment check (#AC)",
	"machine check (#MC)",
	"SIMD floating-point (#XM)",
	"virtualization (#VE)",
	"control protection (#CP)",
	"reserved 22",
	"reserved 23",
	"reserved 24",
	"reserved 25",
	"reserved 26",
	"reserved 27",
	"hypervisor injection (#HV)",
	"VMM communication (#VC)",
	"security (#SX)",
	"reserved 31",
};

/* Per CPU: a catch on one CPU (a test's probe run by a cross-call) leaves the others' alone. */
static struct catcher {
	bool armed;
	struct nk_jmpbuf jb;
	struct nk_trap_info info;
} catchers[NK_MAX_CPUS];

static const char *(*guard_namer)(void);

static struct catcher *this_catcher(void)
{
	return &catchers[nk_cpu_id()];
}

int nk_arch_trap_catch(void (*fn)(void *), void *arg, struct nk_trap_info *info)
{
	struct catcher *c = this_catcher();

	if (nk_setjmp(&c->jb)) {
		*info = c->info;
		return 1;
	}
	c->armed = true;
	fn(arg);
	c->armed = false;
	return 0;
}

void nk_arch_trap_set_guard_namer(const char *(*name)(void))
{
	__atomic_store_n(&guard_namer, name, __ATOMIC_RELEASE);
}

/* What ran into the guard page, as the namer says; NULL when it cannot say. */
static const char *guard_who(void)
{
	const char *(*name)(void) = __atomic_load_n(&guard_namer, __ATOMIC_ACQUIRE);

	return name ? name() : NULL;
}

/*
 * CR2 for a page fault, and for a double fault, which is how a stack overflow usually shows:
 * with RSP in the guard page the page fault cannot push its frame, and that second page fault
 * (its address in CR2) becomes a double fault, taken on its own IST stack.
 */
static uint64_t fault_address(uint64_t vector)
{
	return vector == VEC_PAGE_FAULT || vector == VEC_DOUBLE_FAULT ? read_cr2() : 0;
}

/* NMIs and machine checks are never recovered; a double fault only as a stack overflow. */
static bool catchable(uint64_t vector, bool guard)
{
	if (vector == VEC_NMI || vector == VEC_MACHINE_CHECK)
		return false;
	return vector != VEC_DOUBLE_FAULT || guard;
}

/* Print what happened; the caught case reports at info level so tests show it in the log. */
static void report(int lvl, struct nk_regs *r, uint64_t cr2, bool guard)
{
	char where[128];
	const char *who = guard ? guard_who() : NULL;

	nk_symbol_format(r->rip, where, sizeof(where));
	nk_printk(lvl, NK_MODNAME, "exception %llu: %s, error code 0x%llx, at %s",
		  (unsigned long long)r->vector, names[r->vector & 31],
		  (unsigned long long)r->error_code, where);
	if (r->vector == VEC_PAGE_FAULT)
		nk_printk(lvl, NK_MODNAME, "page fault address (CR2) 0x%016llx: %s %s",
			  (unsigned long long)cr2, r->error_code & 1 ? "protection" : "not present",
			  r->error_code & 2 ? "write" : "read");
	if (guard)
		nk_printk(lvl, NK_MODNAME, "guard page hit (stack overflow?) at 0x%016llx%s%s",
			  (unsigned long long)cr2, who ? " by " : "", who ? who : "");
	nk_regs_dump(lvl, r);
	nk_backtrace_from(lvl, r->rbp);
}

static void __nk_noreturn unhandled(struct nk_regs *r, uint64_t cr2, bool guard)
{
	const char *who = guard ? guard_who() : NULL;

	report(NK_LOG_EMERG, r, cr2, guard);
	if (guard)
		panic("guard page hit (stack overflow?) at 0x%llx%s%s: exception %llu (%s)",
		      (unsigned long long)cr2, who ? " by " : "", who ? who : "",
		      (unsigned long long)r->vector, names[r->vector & 31]);
	panic("unhandled exception %llu (%s)", (unsigned long long)r->vector,
	      names[r->vector & 31]);
}

void nk_trap(struct nk_regs *r)
{
	struct catcher *c;
	uint64_t cr2;
	bool guard;

	if (r->vector >= 32) {
		nk_irq_dispatch(r);
		return;
	}
	if (r->vector == VEC_NO_FPU && nk_this_cpu()->fpu_trapping && nk_sched_fpu_first_use())
		return; /* a thread's first FPU instruction: it has its state now, retry */
	if (r->vector == VEC_NMI && nk_panic_in_progress())
		nk_arch_halt_forever(); /* another CPU panicked and stopped this one */
	cr2 = fault_address(r->vector);
	guard = nk_arch_page_is_guarded((void *)cr2);
	c = this_catcher();
	if (c->armed && catchable(r->vector, guard)) {
		c->armed = false;
		c->info = (struct nk_trap_info){ r->vector, r->error_code, r->rip, cr2, guard };
		report(NK_LOG_INFO, r, cr2, guard);
		nk_longjmp(&c->jb, 1);
	}
	unhandled(r, cr2, guard);
}
