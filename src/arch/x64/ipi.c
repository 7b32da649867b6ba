/* Interprocessor interrupts through the local APIC's ICR (Intel SDM vol. 3A 11.6). */
#include <arch/x64/apic.h>
#include <nautilus/arch.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/irq.h>

static bool valid_vector(int vector)
{
	return vector >= 32 && vector <= 255;
}

int nk_ipi_send(int cpu, int vector)
{
	struct nk_cpu *c = nk_cpu_get(cpu);

	if (!c || !valid_vector(vector))
		return -EINVAL;
	if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != NK_CPU_ONLINE)
		return -ENODEV;
	nk_lapic_send_ipi(c->apic_id, ICR_FIXED | vector);
	return 0;
}

void nk_ipi_broadcast(int vector)
{
	if (valid_vector(vector))
		nk_lapic_send_ipi(0, ICR_FIXED | ICR_ALL_BUT_SELF | vector);
}

/* NMI to all but self (SDM 11.6.1: delivery mode 100b); nk_trap halts a CPU that takes it. */
void nk_arch_stop_other_cpus(void)
{
	if (nk_cpu_online_count() > 1)
		nk_lapic_send_ipi(0, ICR_NMI | ICR_ALL_BUT_SELF);
}

void nk_ipi_self(int vector)
{
	if (valid_vector(vector))
		nk_lapic_send_ipi(0, ICR_FIXED | ICR_SELF | vector);
}
