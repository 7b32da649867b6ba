/* APIC timer: placeholder until the calibrated one-shot timer lands. */
#include <arch/x64/apic.h>
#include <nautilus/cpu.h>

#include "tsc.h"

/* Boot CPU, interrupts off, after ACPI and the identity map (the HPET is read). */
void nk_apic_timer_init(void)
{
	nk_tsc_refine();
	nk_this_cpu()->tsc_khz = nk_tsc_khz();
	nk_tsc_report();
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
