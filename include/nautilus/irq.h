/*
 * Interrupts: a vector allocator over the IDT's vectors 32-255, per-vector handlers, IRQ lines
 * routed through the IOAPIC, IPIs and cross-calls.
 */
#ifndef NK_NAUTILUS_IRQ_H
#define NK_NAUTILUS_IRQ_H

#include <nautilus/types.h>

struct nk_regs;

/* Runs with interrupts off on the CPU that took the vector; EOI is sent after it returns. */
typedef void (*nk_irq_handler_t)(int vector, void *arg);

/* Vectors with fixed uses (the allocator never hands these out). */
#define NK_VEC_FIRST_DYNAMIC 0x30
#define NK_VEC_LAST_DYNAMIC  0xef
#define NK_VEC_TIMER	     0xf0 /* local APIC timer */
#define NK_VEC_XCALL	     0xf1 /* cross-call queue kick */
#define NK_VEC_RESCHED	     0xf2 /* scheduler: look at the run queue and timers again */
#define NK_VEC_ERROR	     0xfe /* local APIC error */
#define NK_VEC_SPURIOUS	     0xff /* local APIC spurious */

/* Allocate a free vector and install handler on it: the vector, or -ENOSPC. */
int nk_vector_alloc(nk_irq_handler_t handler, void *arg);
void nk_vector_free(int vector);
/* The handler on a vector (NULL: none) and its argument. */
nk_irq_handler_t nk_vector_handler(int vector, void **arg);
/* Install handler on a fixed vector (-EBUSY if one is there). */
int nk_vector_set(int vector, nk_irq_handler_t handler, void *arg);

/*
 * ISA/GSI line irq (ISA numbers go through the MADT's source overrides) to a new vector on
 * CPU `cpu`, unmasked: the vector, or -errno. nk_irq_register routes to the boot CPU.
 */
int nk_irq_register_on(int irq, int cpu, nk_irq_handler_t handler, void *arg);
int nk_irq_register(int irq, nk_irq_handler_t handler, void *arg);
/*
 * The same for a PCI INTx line (the PCI core's): level-triggered even on an ISA number that has
 * no override (active high there, as PCI interrupt routers drive the ISA inputs).
 */
int nk_irq_register_pci(int irq, int cpu, nk_irq_handler_t handler, void *arg);
/* Mask the line and free its vector. */
int nk_irq_unregister(int irq);
int nk_irq_mask(int irq);
int nk_irq_unmask(int irq);

/* Interprocessor interrupts (fixed delivery). cpu is a dense CPU id. */
int nk_ipi_send(int cpu, int vector);
void nk_ipi_broadcast(int vector); /* all but self */
void nk_ipi_self(int vector);

/*
 * Cross-calls: run fn(arg) on CPU `cpu` in interrupt context. wait: return after it ran.
 * -ETIMEDOUT (reported) if a waited call did not run within NK_XCALL_TIMEOUT_MS; -ENODEV if the
 * CPU is not online. Calling for oneself runs fn directly.
 */
#define NK_XCALL_TIMEOUT_MS 1000
int nk_xcall(int cpu, void (*fn)(void *arg), void *arg, bool wait);
/*
 * On every online CPU, this one included: the number of CPUs that did not run it (not queued,
 * or, when waiting, not answered in time), 0 if all did.
 */
int nk_xcall_all(void (*fn)(void *arg), void *arg, bool wait);

#endif
