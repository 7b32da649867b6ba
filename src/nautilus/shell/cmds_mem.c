/*
 * peek and poke: read and write memory at an address the user types (identity-mapped, so a
 * physical address), after checks that keep a mistyped address from faulting or hanging.
 */
#include <nautilus/arch.h>
#include <nautilus/errno.h>
#include <nautilus/kernel.h>
#include <nautilus/mm.h>
#include <nautilus/shell.h>
#include <nautilus/string.h>

#include "shell_internal.h"

#define PEEK_DEFAULT 64
#define PEEK_MAX     4096
#define DUMP_ROW     16

static int parse_num(const char *cmd, const char *what, const char *s, uint64_t *out)
{
	if (nk_parse_u64(s, 0, out) == 0)
		return 0;
	nk_shell_printf("%s: bad %s \"%s\": expected a 64-bit number (decimal, 0x hex, 0 octal)\n",
			cmd, what, s);
	return -EINVAL;
}

static int refuse(const char *cmd, uint64_t addr, uint64_t end, const char *why)
{
	nk_shell_printf("%s: refused: [0x%llx, 0x%llx) %s\n", cmd, (unsigned long long)addr,
			(unsigned long long)end, why);
	return -EFAULT;
}

/*
 * [addr, addr+len) may be touched: not page 0 (a null pointer), mapped in the page tables, and
 * RAM in the boot memory map. Mapped device memory (MMIO) is refused too: reading or writing a
 * device register has side effects and can hang the machine.
 */
static int check_range(const char *cmd, uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;

	if (end < addr)
		return refuse(cmd, addr, end, "wraps around the address space");
	if (addr < NK_PAGE_SIZE)
		return refuse(cmd, addr, end, "is in page 0, which is never mapped");
	if (!nk_arch_range_is_mapped(addr, len))
		return refuse(cmd, addr, end, "is not mapped");
	if (!nk_mm_range_is_ram(addr, len))
		return refuse(cmd, addr, end, "is not RAM (device memory could hang the machine)");
	return 0;
}

/* One row of the dump: address, up to 16 bytes in hex, the same bytes as ASCII. */
static void dump_row(uint64_t addr, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)addr;
	char hex[DUMP_ROW * 3 + 1], ascii[DUMP_ROW + 1];
	uint8_t b;

	for (size_t i = 0; i < DUMP_ROW; i++) {
		b = i < n ? p[i] : 0;
		hex[3 * i] = i < n ? digits[b >> 4] : ' ';
		hex[3 * i + 1] = i < n ? digits[b & 0xf] : ' ';
		hex[3 * i + 2] = ' ';
		ascii[i] = i >= n ? ' ' : b >= 0x20 && b < 0x7f ? (char)b : '.';
	}
	hex[DUMP_ROW * 3] = '\0';
	ascii[DUMP_ROW] = '\0';
	nk_shell_printf("%016llx: %s |%s|\n", (unsigned long long)addr, hex, ascii);
}

static int cmd_peek(int argc, char **argv)
{
	uint64_t addr, count = PEEK_DEFAULT;
	int ret;

	if (argc < 2 || argc > 3)
		return -EINVAL;
	if (parse_num("peek", "address", argv[1], &addr) ||
	    (argc == 3 && parse_num("peek", "count", argv[2], &count)))
		return -EINVAL;
	if (count == 0 || count > PEEK_MAX) {
		nk_shell_printf("peek: count must be 1..%d\n", PEEK_MAX);
		return -EINVAL;
	}
	ret = check_range("peek", addr, count);
	if (ret)
		return ret;
	for (uint64_t off = 0; off < count; off += DUMP_ROW)
		dump_row(addr + off, (size_t)NK_MIN(count - off, DUMP_ROW));
	return 0;
}
NK_SHELL_CMD(peek, "<addr> [count]: hex dump of count bytes of RAM (default 64, max 4096)",
	     cmd_peek);

struct poke {
	uint64_t addr, value, width;
};

/* The arguments of poke, each checked on its own, with a message naming what is wrong. */
static int poke_args(int argc, char **argv, struct poke *p)
{
	p->width = 1;
	if (argc < 3 || argc > 4)
		return -EINVAL;
	if (parse_num("poke", "address", argv[1], &p->addr) ||
	    parse_num("poke", "value", argv[2], &p->value) ||
	    (argc == 4 && parse_num("poke", "width", argv[3], &p->width)))
		return -EINVAL;
	if (p->width != 1 && p->width != 2 && p->width != 4 && p->width != 8) {
		nk_shell_printf("poke: width must be 1, 2, 4 or 8 (bytes)\n");
		return -EINVAL;
	}
	if (p->width < 8 && p->value >> (p->width * 8)) {
		nk_shell_printf("poke: value 0x%llx does not fit in %llu byte(s)\n",
				(unsigned long long)p->value, (unsigned long long)p->width);
		return -EINVAL;
	}
	if (!NK_IS_ALIGNED(p->addr, p->width)) {
		nk_shell_printf("poke: address 0x%llx is not aligned to its width (%llu)\n",
				(unsigned long long)p->addr, (unsigned long long)p->width);
		return -EINVAL;
	}
	return 0;
}

/* Writing into the kernel image (its code, data and bss) would crash the kernel. */
static bool in_kernel_image(uint64_t addr, uint64_t len)
{
	return addr < (uintptr_t)_kernel_end && addr + len > (uintptr_t)_kernel_start;
}

/*
 * The width defaults to one byte: a write touches the least memory unless asked for more.
 * Not refused: RAM outside the image that the kernel still uses (page tables and allocator
 * metadata from the boot allocator, the free-list links inside free pages, thread stacks).
 * Telling those apart needs the memory manager to say which ranges are handed out to whom.
 */
static int cmd_poke(int argc, char **argv)
{
	struct poke p;
	int ret;

	ret = poke_args(argc, argv, &p);
	if (!ret)
		ret = check_range("poke", p.addr, p.width);
	if (ret)
		return ret;
	if (in_kernel_image(p.addr, p.width)) {
		nk_shell_printf(
			"poke: refused: 0x%llx is inside the kernel image [0x%llx, 0x%llx)\n",
			(unsigned long long)p.addr, (unsigned long long)(uintptr_t)_kernel_start,
			(unsigned long long)(uintptr_t)_kernel_end);
		return -EFAULT;
	}
	switch (p.width) {
	case 1:
		*(volatile uint8_t *)(uintptr_t)p.addr = (uint8_t)p.value;
		break;
	case 2:
		*(volatile uint16_t *)(uintptr_t)p.addr = (uint16_t)p.value;
		break;
	case 4:
		*(volatile uint32_t *)(uintptr_t)p.addr = (uint32_t)p.value;
		break;
	default:
		*(volatile uint64_t *)(uintptr_t)p.addr = p.value;
	}
	return 0;
}
NK_SHELL_CMD(poke,
	     "<addr> <value> [width]: write value to RAM at addr as 1, 2, 4 or 8 bytes (default 1)",
	     cmd_poke);
