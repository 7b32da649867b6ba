/*
 * exceptions: faults raised on purpose inside nk_arch_trap_catch are caught with the right
 * vector, error code and CR2, and their RIP symbolizes to the function that faulted; the kernel
 * goes on afterwards.
 */
#include <nautilus/arch.h>
#include <nautilus/string.h>
#include <nautilus/symbols.h>
#include <nautilus/test.h>

#define PF_WRITE 0x2 /* page fault error code bit 1 (SDM vol. 3A 4.7) */

static volatile int sink;
/* Addresses kept in variables so the compiler cannot see (and reject) the bad accesses. */
static volatile uintptr_t null_addr = 0, low_addr = 0x10, noncanonical = 0x8000000000000000ULL;

static __nk_noinline void fault_null_read(void *arg)
{
	sink = *(volatile int *)null_addr;
}

static __nk_noinline void fault_null_write(void *arg)
{
	*(volatile int *)low_addr = 42;
}

static __nk_noinline void fault_divide(void *arg)
{
	volatile int zero = 0, one = 1;

	sink = one / zero;
}

static __nk_noinline void fault_invalid_opcode(void *arg)
{
	asm volatile("ud2");
}

static __nk_noinline void fault_noncanonical(void *arg)
{
	sink = *(volatile int *)noncanonical;
}

static __nk_noinline void no_fault(void *arg)
{
	*(int *)arg = 7;
}

/* The faulting RIP must name fn, with an offset inside it. */
static bool rip_is_in(uint64_t rip, const char *fn)
{
	uint64_t off;
	const char *name = nk_symbol_lookup(rip, &off);

	return name && !strcmp(name, fn) && off < 256;
}

/* fn must fault under the catcher with vector vec, at an address inside fn itself. */
#define EXPECT_FAULT(fn, vec, info)                                  \
	do {                                                         \
		NK_ASSERT_EQ(nk_arch_trap_catch(fn, NULL, info), 1); \
		NK_EXPECT_EQ((info)->vector, vec);                   \
		NK_EXPECT(rip_is_in((info)->rip, #fn));              \
	} while (0)

NK_TEST(exceptions, null_read_page_fault)
{
	struct nk_trap_info info;

	EXPECT_FAULT(fault_null_read, 14, &info);
	NK_EXPECT_UEQ(info.cr2, 0);
	NK_EXPECT_EQ(info.error_code & PF_WRITE, 0);
}

NK_TEST(exceptions, null_write_page_fault)
{
	struct nk_trap_info info;

	EXPECT_FAULT(fault_null_write, 14, &info);
	NK_EXPECT_UEQ(info.cr2, 0x10);
	NK_EXPECT_EQ(info.error_code & PF_WRITE, PF_WRITE);
}

NK_TEST(exceptions, divide_error)
{
	struct nk_trap_info info;

	EXPECT_FAULT(fault_divide, 0, &info);
}

NK_TEST(exceptions, invalid_opcode)
{
	struct nk_trap_info info;

	EXPECT_FAULT(fault_invalid_opcode, 6, &info);
}

NK_TEST(exceptions, general_protection_noncanonical)
{
	struct nk_trap_info info;

	EXPECT_FAULT(fault_noncanonical, 13, &info);
}

NK_TEST(exceptions, no_fault_returns_zero)
{
	struct nk_trap_info info = { .vector = -1 };
	int out = 0;

	NK_EXPECT_EQ(nk_arch_trap_catch(no_fault, &out, &info), 0);
	NK_EXPECT_EQ(out, 7);
	NK_EXPECT_EQ(info.vector, -1);
}

/* After a caught fault the catcher is disarmed and works again: three in a row. */
NK_TEST(exceptions, repeated_catches)
{
	struct nk_trap_info info;

	for (int i = 0; i < 3; i++) {
		NK_ASSERT_EQ(nk_arch_trap_catch(fault_divide, NULL, &info), 1);
		NK_EXPECT_EQ(info.vector, 0);
	}
}

NK_TEST(exceptions, symbol_table)
{
	uint64_t off = 99;

	NK_EXPECT_UEQ(nk_symbol_addr("nk_arch_trap_catch"), (uint64_t)nk_arch_trap_catch);
	NK_EXPECT_STREQ(nk_symbol_lookup((uint64_t)nk_arch_trap_catch + 1, &off),
			"nk_arch_trap_catch");
	NK_EXPECT_UEQ(off, 1);
	NK_EXPECT_NULL(nk_symbol_lookup(0x10, &off));
}
