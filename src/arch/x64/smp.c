/*
 * SMP bring-up: each application processor listed in the MADT is started in turn with
 * INIT-SIPI-SIPI (Intel SDM vol. 3A 9.4.4.1, MP spec B.4) through the real-mode trampoline,
 * gets its own stack and exception stacks on its NUMA node, its GDT/TSS, the IDT, GS base,
 * local APIC and timer, syncs its TSC with the boot CPU, then idles (HLT) taking interrupts.
 * A CPU that does not answer in time is reported and marked failed; the others still start.
 */
#include <arch/x64/apic.h>
#include <arch/x64/arch.h>
#include <arch/x64/cpu.h>
#include <arch/x64/smp.h>
#include <nautilus/arch.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/mm.h>
#include <nautilus/numa.h>
#include <nautilus/printk.h>
#include <nautilus/sched.h>
#include <nautilus/string.h>
#include <nautilus/time.h>

#define MSR_EFER	 0xc0000080
#define AP_STACK_ORDER	 3	       /* 32 KiB */
#define IST_ORDER	 3	       /* 3 * 8 KiB rounded up to 32 KiB */
#define INIT_DELAY_NS	 10000000ULL   /* 10 ms after INIT (SDM 9.4.4.1) */
#define SIPI_WAIT_NS	 1000000ULL    /* 1 ms before a second STARTUP IPI */
#define ALIVE_TIMEOUT_NS 2000000000ULL /* TCG may take long to schedule a new vCPU */

/* Set by an AP on its first C line: the trampoline and its data are no longer in use. */
static volatile int ap_alive;

void nk_smp_ap_entry(struct nk_cpu *c) __nk_noreturn;

void nk_smp_ap_entry(struct nk_cpu *c)
{
	nk_percpu_load(c);
	nk_gdt_init_cpu(c->id, c->ist_stacks);
	nk_idt_load();
	nk_lapic_percpu_init();
	if (nk_lapic_id() != c->apic_id) /* a late AP running another CPU's trampoline data */
		nk_arch_halt_forever();
	__atomic_store_n(&ap_alive, 1, __ATOMIC_RELEASE);
	nk_apic_timer_percpu_init();
	nk_tsc_sync_ap(c);
	c->tsc_khz = nk_tsc_khz();
	nk_arch_fpu_init_cpu();
	nk_sched_ap_init();
	__atomic_store_n(&c->state, NK_CPU_ONLINE, __ATOMIC_RELEASE);
	nk_sched_ap_idle();
}

/* Wait for *p == value, at most timeout_ns. */
static bool wait_for(volatile int *p, int value, uint64_t timeout_ns)
{
	uint64_t end = nk_time_ns() + timeout_ns;

	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != value) {
		if (nk_time_ns() > end)
			return false;
		cpu_relax();
	}
	return true;
}

static void fill_trampoline(struct nk_cpu *c)
{
	struct nk_trampoline_data *d =
		(void *)(NK_TRAMPOLINE_BASE + (nk_trampoline_data - nk_trampoline_start));

	d->cr3 = read_cr3();
	d->cr4 = read_cr4();
	d->efer = rdmsr(MSR_EFER);
	d->stack = (uint64_t)c->stack_top;
	d->cpu = (uint64_t)c;
	d->entry = (uint64_t)nk_smp_ap_entry;
	asm volatile("mfence" : : : "memory");
}

/* INIT, then STARTUP (twice if the first one was not answered). */
static bool kick(struct nk_cpu *c)
{
	uint32_t sipi = ICR_STARTUP | (NK_TRAMPOLINE_BASE >> 12);

	ap_alive = 0;
	nk_lapic_send_ipi(c->apic_id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	nk_delay(INIT_DELAY_NS);
	nk_lapic_send_ipi(c->apic_id, sipi);
	if (wait_for(&ap_alive, 1, SIPI_WAIT_NS))
		return true;
	nk_lapic_send_ipi(c->apic_id, sipi);
	return wait_for(&ap_alive, 1, ALIVE_TIMEOUT_NS);
}

static int alloc_stacks(struct nk_cpu *c)
{
	void *stack = nk_page_alloc_node(AP_STACK_ORDER, c->node);
	void *ist = nk_page_alloc_node(IST_ORDER, c->node);

	if (!stack || !ist) {
		nk_page_free(stack);
		nk_page_free(ist);
		return -ENOMEM;
	}
	c->stack_top = (char *)stack + (NK_PAGE_SIZE << AP_STACK_ORDER);
	c->ist_stacks = ist;
	return 0;
}

static void start_cpu(struct nk_cpu *c)
{
	if (alloc_stacks(c)) {
		nk_err("cpu %d (APIC id %u): no memory for its stacks", c->id, c->apic_id);
		c->state = NK_CPU_FAILED;
		return;
	}
	c->state = NK_CPU_BOOTING;
	fill_trampoline(c);
	if (!kick(c)) {
		nk_err("cpu %d (APIC id %u) did not start: left out", c->id, c->apic_id);
		c->state = NK_CPU_FAILED;
		return;
	}
	nk_tsc_sync_bsp(c);
	if (!wait_for((volatile int *)&c->state, NK_CPU_ONLINE, ALIVE_TIMEOUT_NS)) {
		nk_err("cpu %d (APIC id %u) started but did not come online", c->id, c->apic_id);
		c->state = NK_CPU_FAILED;
	}
}

void nk_smp_init(void)
{
	int n = nk_cpu_count();

	memcpy((void *)NK_TRAMPOLINE_BASE, nk_trampoline_start,
	       nk_trampoline_end - nk_trampoline_start);
	for (int i = 1; i < n; i++)
		start_cpu(nk_cpu_get(i));
	nk_info("%d of %d CPUs online", nk_cpu_online_count(), n);
}
