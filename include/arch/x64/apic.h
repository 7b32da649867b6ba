/*
 * Local APIC (Intel SDM vol. 3A chapter 11) in xAPIC (MMIO) or x2APIC (MSR) mode behind one
 * register interface, and the IOAPIC. Register offsets are the xAPIC MMIO offsets (table 11-1);
 * in x2APIC mode register r is MSR 0x800 + (r >> 4) (table 11-6).
 */
#ifndef NK_ARCH_X64_APIC_H
#define NK_ARCH_X64_APIC_H

#include <nautilus/types.h>

struct nk_cpu;

#define LAPIC_ID	 0x020
#define LAPIC_VERSION	 0x030
#define LAPIC_TPR	 0x080 /* task priority */
#define LAPIC_EOI	 0x0b0
#define LAPIC_LDR	 0x0d0
#define LAPIC_DFR	 0x0e0 /* xAPIC only */
#define LAPIC_SVR	 0x0f0 /* spurious vector, bit 8: software enable */
#define LAPIC_ISR	 0x100 /* in service, 8 x 32 bits, 0x10 apart */
#define LAPIC_ESR	 0x280 /* error status */
#define LAPIC_ICR_LO	 0x300
#define LAPIC_ICR_HI	 0x310 /* xAPIC: destination in bits 31:24 */
#define LAPIC_LVT_TIMER	 0x320
#define LAPIC_LVT_THERM	 0x330
#define LAPIC_LVT_PERF	 0x340
#define LAPIC_LVT_LINT0	 0x350
#define LAPIC_LVT_LINT1	 0x360
#define LAPIC_LVT_ERROR	 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR	 0x390
#define LAPIC_TIMER_DIV	 0x3e0

#define LAPIC_SVR_ENABLE     (1u << 8)
#define LAPIC_LVT_MASKED     (1u << 16)
#define LAPIC_LVT_NMI	     (4u << 8) /* delivery mode NMI */
#define LAPIC_LVT_EXTINT     (7u << 8) /* delivery mode ExtINT */
#define LAPIC_TIMER_ONESHOT  (0u << 17)
#define LAPIC_TIMER_PERIODIC (1u << 17)
#define LAPIC_TIMER_DEADLINE (2u << 17) /* TSC-deadline, CPUID.01H:ECX[24] */
#define LAPIC_TIMER_DIV_16   0x3

/* ICR (SDM 11.6.1) */
#define ICR_FIXED	 (0u << 8)
#define ICR_INIT	 (5u << 8)
#define ICR_NMI		 (4u << 8)
#define ICR_STARTUP	 (6u << 8)
#define ICR_PENDING	 (1u << 12) /* xAPIC only: delivery status */
#define ICR_ASSERT	 (1u << 14)
#define ICR_LEVEL	 (1u << 15)
#define ICR_SELF	 (1u << 18)
#define ICR_ALL_BUT_SELF (3u << 18)

#define MSR_TSC_DEADLINE 0x6e0

uint32_t nk_lapic_read(unsigned reg);
void nk_lapic_write(unsigned reg, uint32_t v);
void nk_lapic_eoi(void);
/* This CPU's APIC id (full 32 bits in x2APIC mode). */
uint32_t nk_lapic_id(void);
bool nk_lapic_is_x2apic(void);
/* Boot CPU: mask the PIC, pick x2APIC if the CPU has it, enable the local APIC. */
void nk_lapic_init(void);
/* Every CPU (the boot CPU included): enable, spurious and error vectors, LVTs, TPR 0. */
void nk_lapic_percpu_init(void);
/* Send an IPI: icr_lo holds vector, delivery mode and shorthand; waits for delivery (xAPIC). */
void nk_lapic_send_ipi(uint32_t apic_id, uint32_t icr_lo);

/*
 * APIC timer (src/arch/x64/apic_timer.c). nk_apic_timer_init calibrates on the boot CPU;
 * nk_apic_timer_percpu_init programs each CPU's LVT. The TSC sync pair (src/arch/x64/tsc_sync.c)
 * is run by smp.c during an AP's bring-up: the boot CPU in nk_tsc_sync_bsp, the AP in
 * nk_tsc_sync_ap; the AP's skew lands in its struct nk_cpu.
 */
void nk_apic_timer_init(void);
void nk_apic_timer_percpu_init(void);
void nk_tsc_sync_bsp(struct nk_cpu *ap);
void nk_tsc_sync_ap(struct nk_cpu *self);

#endif
