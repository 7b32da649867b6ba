/* AP start-up: the trampoline's place and the data the boot CPU leaves it (trampoline.S). */
#ifndef NK_ARCH_X64_SMP_H
#define NK_ARCH_X64_SMP_H

/* Page 8: the STARTUP IPI vector is the page number (SDM vol. 3A 9.4.4). */
#define NK_TRAMPOLINE_BASE 0x8000

#define TRAMP_CR3	0
#define TRAMP_CR4	8
#define TRAMP_EFER	16
#define TRAMP_STACK	24
#define TRAMP_CPU	32
#define TRAMP_ENTRY	40
#define TRAMP_DATA_SIZE 48

#ifndef __ASSEMBLER__
#include <nautilus/types.h>

struct nk_trampoline_data {
	uint64_t cr3, cr4, efer, stack, cpu, entry;
};

extern const char nk_trampoline_start[], nk_trampoline_data[], nk_trampoline_end[];
#endif

#endif
