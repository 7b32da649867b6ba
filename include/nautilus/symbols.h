/* Kernel symbol table generated at build time (scripts/gensyms) and linked into the image. */
#ifndef NK_NAUTILUS_SYMBOLS_H
#define NK_NAUTILUS_SYMBOLS_H

#include <nautilus/types.h>

/* The function containing addr and the offset into it; NULL when unknown. */
const char *nk_symbol_lookup(uint64_t addr, uint64_t *offset);
/* Address of a symbol by name, 0 if absent. */
uint64_t nk_symbol_addr(const char *name);
/* Format "name+0xoff" (or the bare address) into buf. */
void nk_symbol_format(uint64_t addr, char *buf, size_t size);

#endif
