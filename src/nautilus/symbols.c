/* Lookups in the symbol table that scripts/gensyms generates and the second link embeds. */
#include <nautilus/kernel.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>
#include <nautilus/symbols.h>

struct symtab_entry {
	uint64_t addr;
	uint64_t name_off;
};

extern const uint64_t nk_symtab_count;
extern const struct symtab_entry nk_symtab_entries[];
extern const char nk_symtab_names[];

/* Binary search for the last symbol at or below addr, inside the kernel's code (boot and text). */
const char *nk_symbol_lookup(uint64_t addr, uint64_t *offset)
{
	size_t lo = 0, hi = nk_symtab_count;

	if (addr < (uint64_t)_kernel_start || addr >= (uint64_t)_text_end || !hi)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (nk_symtab_entries[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (nk_symtab_entries[lo].addr > addr)
		return NULL;
	*offset = addr - nk_symtab_entries[lo].addr;
	return nk_symtab_names + nk_symtab_entries[lo].name_off;
}

uint64_t nk_symbol_addr(const char *name)
{
	for (uint64_t i = 0; i < nk_symtab_count; i++)
		if (!strcmp(nk_symtab_names + nk_symtab_entries[i].name_off, name))
			return nk_symtab_entries[i].addr;
	return 0;
}

void nk_symbol_format(uint64_t addr, char *buf, size_t size)
{
	uint64_t off;
	const char *name = nk_symbol_lookup(addr, &off);

	if (name)
		nk_snprintf(buf, size, "%s+0x%llx", name, (unsigned long long)off);
	else
		nk_snprintf(buf, size, "0x%llx", (unsigned long long)addr);
}
