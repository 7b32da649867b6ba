/* The per-CPU preemption counter that spinlocks hold (include/nautilus/sched.h). */
#include <nautilus/cpu.h>
#include <nautilus/sched.h>

void nk_preempt_disable(void)
{
	nk_this_cpu()->preempt_disable++;
	asm volatile("" : : : "memory");
}

void nk_preempt_enable(void)
{
	asm volatile("" : : : "memory");
	nk_this_cpu()->preempt_disable--;
}
