/* Register dumps and frame-pointer backtraces, symbolized (the kernel builds with frame pointers). */
#include <arch/x64/cpu.h>
#include <arch/x64/regs.h>
#include <nautilus/arch.h>
#include <nautilus/printk.h>
#include <nautilus/symbols.h>

#define MAX_FRAMES 32

void nk_regs_dump(int lvl, const struct nk_regs *r)
{
	char rip[128];

	nk_symbol_format(r->rip, rip, sizeof(rip));
	nk_printk(lvl, NK_MODNAME, "RIP %016llx %s", (unsigned long long)r->rip, rip);
	nk_printk(lvl, NK_MODNAME, "RSP %016llx RFLAGS %016llx CS %04llx SS %04llx",
		  (unsigned long long)r->rsp, (unsigned long long)r->rflags,
		  (unsigned long long)r->cs, (unsigned long long)r->ss);
	nk_printk(lvl, NK_MODNAME, "RAX %016llx RBX %016llx RCX %016llx RDX %016llx",
		  (unsigned long long)r->rax, (unsigned long long)r->rbx,
		  (unsigned long long)r->rcx, (unsigned long long)r->rdx);
	nk_printk(lvl, NK_MODNAME, "RSI %016llx RDI %016llx RBP %016llx R8  %016llx",
		  (unsigned long long)r->rsi, (unsigned long long)r->rdi,
		  (unsigned long long)r->rbp, (unsigned long long)r->r8);
	nk_printk(lvl, NK_MODNAME, "R9  %016llx R10 %016llx R11 %016llx R12 %016llx",
		  (unsigned long long)r->r9, (unsigned long long)r->r10, (unsigned long long)r->r11,
		  (unsigned long long)r->r12);
	nk_printk(lvl, NK_MODNAME, "R13 %016llx R14 %016llx R15 %016llx CR3 %016llx",
		  (unsigned long long)r->r13, (unsigned long long)r->r14,
		  (unsigned long long)r->r15, (unsigned long long)read_cr3());
}

/* Follow saved rbp links while they point at mapped, aligned, ascending stack slots. */
void nk_backtrace_from(int lvl, uint64_t rbp)
{
	char sym[128];

	nk_printk(lvl, NK_MODNAME, "call trace:");
	for (int i = 0; i < MAX_FRAMES; i++) {
		const uint64_t *frame = (const uint64_t *)rbp;
		uint64_t next;

		if (!rbp || rbp & 7 || !nk_arch_range_is_mapped(rbp, 16))
			return;
		nk_symbol_format(frame[1], sym, sizeof(sym));
		nk_printk(lvl, NK_MODNAME, "  #%d %016llx %s", i, (unsigned long long)frame[1],
			  sym);
		next = frame[0];
		if (next <= rbp)
			return;
		rbp = next;
	}
}

void nk_arch_backtrace(int lvl)
{
	nk_backtrace_from(lvl, (uint64_t)__builtin_frame_address(0));
}

/* Registers as they are in the caller of panic (caller-saved ones are whatever they held). */
__nk_noinline void nk_arch_panic_report(int lvl)
{
	struct nk_regs r = { 0 };

	asm volatile("movq %%rbx, %0\n\t"
		     "movq %%r12, %1\n\t"
		     "movq %%r13, %2\n\t"
		     "movq %%r14, %3\n\t"
		     "movq %%r15, %4\n\t"
		     "pushfq\n\t"
		     "popq %5"
		     : "=m"(r.rbx), "=m"(r.r12), "=m"(r.r13), "=m"(r.r14), "=m"(r.r15),
		       "=m"(r.rflags));
	r.rbp = (uint64_t)__builtin_frame_address(0);
	r.rsp = r.rbp + 16;
	r.rip = (uint64_t)__builtin_return_address(0);
	asm volatile("movw %%cs, %w0; movw %%ss, %w1" : "=r"(r.cs), "=r"(r.ss));
	nk_regs_dump(lvl, &r);
	nk_backtrace_from(lvl, r.rbp);
}
