/* Basic integer types for kernel and host builds (from the compiler's freestanding headers). */
#ifndef NK_NAUTILUS_TYPES_H
#define NK_NAUTILUS_TYPES_H

#include <nautilus/compiler.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A physical address; kept distinct in name so physical and virtual addresses do not mix. */
typedef uint64_t nk_paddr_t;

#endif
