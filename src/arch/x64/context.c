/*
 * Initial stacks for new and forked threads, in the layout nk_arch_context_switch pops
 * (switch.S): r15, r14, r13, r12, rbx, rbp, then the address to return to.
 */
#include <nautilus/arch.h>
#include <nautilus/string.h>

void nk_arch_thread_start(void);
void nk_arch_fork_child_start(void);
void nk_arch_fork_child_exit(void);

struct switch_frame {
	uint64_t r15, r14, r13, r12, rbx, rbp, ret;
};

void *nk_arch_context_init(void *stack_top)
{
	/* One zero word above the frame: the end of the backtrace chain. */
	uint64_t *top = (uint64_t *)((uintptr_t)stack_top & ~15ull) - 1;
	struct switch_frame *f = (struct switch_frame *)top - 1;

	*top = 0;
	memset(f, 0, sizeof(*f));
	f->ret = (uint64_t)nk_arch_thread_start;
	return f;
}

/*
 * The forking function's frame runs from the caller's stack pointer (just above nk_thread_fork's
 * return address) to its saved frame pointer and return address, 16-byte aligned at both ends
 * by the ABI. In the copy, the return address leads to the child's exit and the saved frame
 * pointer ends the backtrace chain; rbp moves by the distance between the two stacks.
 */
void *nk_arch_fork_stack(const struct nk_fork_frame *f, void *stack_top, size_t max_len)
{
	uint64_t src = (uint64_t)(&f->ret + 1);
	uint64_t end = f->rbp + 16;
	uint64_t len = end - src;
	uint64_t dst = ((uint64_t)stack_top & ~15ull) - len;
	uint64_t *child_frame;
	struct switch_frame *sf;

	if (end <= src || len + sizeof(*sf) + 8 > max_len)
		return NULL;
	memcpy((void *)dst, (const void *)src, len);
	child_frame = (uint64_t *)(dst + len - 16);
	child_frame[0] = 0;					/* the caller's rbp */
	child_frame[1] = (uint64_t)nk_arch_fork_child_exit; /* its return address */
	((uint64_t *)dst)[-1] = f->ret; /* nk_thread_fork returns into the copy */
	sf = (struct switch_frame *)(dst - 8) - 1;
	*sf = (struct switch_frame){ f->r15, f->r14, f->r13, f->r12, f->rbx, f->rbp - (src - dst),
				     (uint64_t)nk_arch_fork_child_start };
	return sf;
}
