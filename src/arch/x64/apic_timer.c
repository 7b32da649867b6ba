/* APIC timer: placeholder until the calibrated one-shot timer lands. */
#include <arch/x64/apic.h>

void nk_apic_timer_init(void)
{
}

void nk_apic_timer_percpu_init(void)
{
}

void nk_tsc_sync_bsp(struct nk_cpu *ap)
{
	(void)ap;
}

void nk_tsc_sync_ap(struct nk_cpu *self)
{
	(void)self;
}
