/*
 * The cpuid shell command: vendor, brand string, family/model/stepping and the main feature
 * flags of the boot CPU, or the raw registers of one leaf.
 */
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/shell.h>
#include <nautilus/string.h>

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline void cpuid(uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r)
{
	asm volatile("cpuid"
		     : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
		     : "a"(leaf), "c"(subleaf));
}

enum cpuid_reg { REG_EBX, REG_ECX, REG_EDX };

struct cpuid_feature {
	uint32_t leaf; /* subleaf 0 */
	enum cpuid_reg reg;
	uint8_t bit;
	const char *name;
};

/*
 * Intel SDM vol. 2A, CPUID: leaf 1 ECX and EDX (tables 3-10, 3-11), leaf 7 EBX and leaf
 * 0x80000001 ECX/EDX. Bit 31 of leaf 1 ECX is set by hypervisors. Names as in Linux's cpuinfo.
 */
static const struct cpuid_feature features[] = {
	{ 1, REG_EDX, 0, "fpu" },
	{ 1, REG_EDX, 4, "tsc" },
	{ 1, REG_EDX, 5, "msr" },
	{ 1, REG_EDX, 6, "pae" },
	{ 1, REG_EDX, 8, "cx8" },
	{ 1, REG_EDX, 9, "apic" },
	{ 1, REG_EDX, 13, "pge" },
	{ 1, REG_EDX, 15, "cmov" },
	{ 1, REG_EDX, 16, "pat" },
	{ 1, REG_EDX, 19, "clflush" },
	{ 1, REG_EDX, 23, "mmx" },
	{ 1, REG_EDX, 24, "fxsr" },
	{ 1, REG_EDX, 25, "sse" },
	{ 1, REG_EDX, 26, "sse2" },
	{ 1, REG_EDX, 28, "ht" },
	{ 1, REG_ECX, 0, "sse3" },
	{ 1, REG_ECX, 1, "pclmulqdq" },
	{ 1, REG_ECX, 3, "monitor" },
	{ 1, REG_ECX, 5, "vmx" },
	{ 1, REG_ECX, 9, "ssse3" },
	{ 1, REG_ECX, 12, "fma" },
	{ 1, REG_ECX, 13, "cx16" },
	{ 1, REG_ECX, 17, "pcid" },
	{ 1, REG_ECX, 19, "sse4_1" },
	{ 1, REG_ECX, 20, "sse4_2" },
	{ 1, REG_ECX, 21, "x2apic" },
	{ 1, REG_ECX, 22, "movbe" },
	{ 1, REG_ECX, 23, "popcnt" },
	{ 1, REG_ECX, 24, "tsc_deadline_timer" },
	{ 1, REG_ECX, 25, "aes" },
	{ 1, REG_ECX, 26, "xsave" },
	{ 1, REG_ECX, 28, "avx" },
	{ 1, REG_ECX, 29, "f16c" },
	{ 1, REG_ECX, 30, "rdrand" },
	{ 1, REG_ECX, 31, "hypervisor" },
	{ 7, REG_EBX, 0, "fsgsbase" },
	{ 7, REG_EBX, 3, "bmi1" },
	{ 7, REG_EBX, 5, "avx2" },
	{ 7, REG_EBX, 7, "smep" },
	{ 7, REG_EBX, 8, "bmi2" },
	{ 7, REG_EBX, 9, "erms" },
	{ 7, REG_EBX, 10, "invpcid" },
	{ 7, REG_EBX, 16, "avx512f" },
	{ 7, REG_EBX, 18, "rdseed" },
	{ 7, REG_EBX, 20, "smap" },
	{ 0x80000001, REG_ECX, 0, "lahf_lm" },
	{ 0x80000001, REG_EDX, 11, "syscall" },
	{ 0x80000001, REG_EDX, 20, "nx" },
	{ 0x80000001, REG_EDX, 26, "pdpe1gb" },
	{ 0x80000001, REG_EDX, 27, "rdtscp" },
	{ 0x80000001, REG_EDX, 29, "lm" },
};

/* Leaf 0 and 0x80000000 give the highest basic and extended leaves; higher ones are not asked. */
static bool leaf_exists(uint32_t leaf)
{
	struct cpuid_regs r;

	cpuid(leaf & 0x80000000, 0, &r);
	return leaf <= r.eax;
}

static bool has_feature(const struct cpuid_feature *f)
{
	struct cpuid_regs r;
	uint32_t v;

	if (!leaf_exists(f->leaf))
		return false;
	cpuid(f->leaf, 0, &r);
	v = f->reg == REG_EBX ? r.ebx : f->reg == REG_ECX ? r.ecx : r.edx;
	return v & (1U << f->bit);
}

static void print_features(void)
{
	size_t col = 9;

	nk_printf("features:");
	for (size_t i = 0; i < NK_ARRAY_SIZE(features); i++) {
		if (!has_feature(&features[i]))
			continue;
		if (col + 1 + strlen(features[i].name) > 78) {
			nk_printf("\n         ");
			col = 9;
		}
		nk_printf(" %s", features[i].name);
		col += 1 + strlen(features[i].name);
	}
	nk_printf("\n");
}

/* Vendor (leaf 0: EBX, EDX, ECX) and brand string (leaves 0x80000002..4: EAX..EDX each). */
static void print_names(void)
{
	struct cpuid_regs r;
	char vendor[13], brand[49];
	const char *b = brand;

	cpuid(0, 0, &r);
	memcpy(vendor, &r.ebx, 4);
	memcpy(vendor + 4, &r.edx, 4);
	memcpy(vendor + 8, &r.ecx, 4);
	vendor[12] = '\0';
	nk_printf("vendor:   %s (max leaf 0x%x)\n", vendor, r.eax);
	if (!leaf_exists(0x80000004)) {
		nk_printf("brand:    (not reported)\n");
		return;
	}
	for (uint32_t i = 0; i < 3; i++) {
		cpuid(0x80000002 + i, 0, &r);
		memcpy(brand + 16 * i, &r, 16);
	}
	brand[48] = '\0';
	while (*b == ' ')
		b++; /* Intel right-aligns the brand string */
	nk_printf("brand:    %s\n", b);
}

/* Family, model and stepping from leaf 1 EAX (SDM vol. 2A, CPUID, "Version Information"). */
static void print_signature(void)
{
	struct cpuid_regs r;
	uint32_t base_family, family, model;

	cpuid(1, 0, &r);
	base_family = (r.eax >> 8) & 0xf;
	family = base_family;
	model = (r.eax >> 4) & 0xf;
	if (base_family == 0xf)
		family += (r.eax >> 20) & 0xff;
	if (base_family == 0x6 || base_family == 0xf)
		model += ((r.eax >> 16) & 0xf) << 4;
	nk_printf("family %u, model %u, stepping %u (signature 0x%x)\n", family, model, r.eax & 0xf,
		  r.eax);
}

static int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (nk_parse_u64(s, 0, &v) || v > 0xffffffffULL) {
		nk_printf("cpuid: bad leaf or subleaf \"%s\": expected a 32-bit number\n", s);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int cmd_cpuid(int argc, char **argv)
{
	uint32_t leaf, subleaf = 0;
	struct cpuid_regs r;

	if (argc > 3)
		return -EINVAL;
	if (argc == 1) {
		print_names();
		print_signature();
		print_features();
		return 0;
	}
	if (parse_u32(argv[1], &leaf) || (argc == 3 && parse_u32(argv[2], &subleaf)))
		return -EINVAL;
	cpuid(leaf, subleaf, &r);
	nk_printf("leaf 0x%08x subleaf 0x%x: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n", leaf,
		  subleaf, r.eax, r.ebx, r.ecx, r.edx);
	return 0;
}
NK_SHELL_CMD(cpuid, "[leaf [subleaf]]: describe the CPU, or print the registers of one leaf",
	     cmd_cpuid);
