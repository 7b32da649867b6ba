/*
 * nk_main: the boot CPU's path from the boot loader to the shell, one step per line.
 * Subsystems and drivers that need no fixed place here register NK_INITCALLs instead.
 */
#include <nautilus/arch.h>
#include <nautilus/bench.h>
#include <nautilus/boot_info.h>
#include <nautilus/cmdline.h>
#include <nautilus/errno.h>
#include <nautilus/init.h>
#include <nautilus/kernel.h>
#include <nautilus/mm.h>
#include <nautilus/panic.h>
#include <nautilus/printk.h>
#include <nautilus/sched.h>
#include <nautilus/shell.h>
#include <nautilus/test.h>

void nk_main(struct nk_boot_info *bi);

static void cmdline_warning(const char *msg)
{
	nk_warn("%s", msg);
}

/* Parse the command line and set the console log level from it. */
static void setup_cmdline(const char *line)
{
	nk_cmdline_parse(line, &nk_cmdline, cmdline_warning);
	nk_printk_set_console_level(nk_cmdline.quiet ? NK_LOG_WARN : nk_cmdline.loglevel);
}

static void print_banner(const struct nk_boot_info *bi)
{
	nk_info("%s", nk_version_string);
	nk_info("booted by %s, command line \"%s\"", bi->loader[0] ? bi->loader : "unknown",
		bi->cmdline);
	for (size_t i = 0; i < bi->nr_mmap; i++)
		nk_info("memory 0x%016llx-0x%016llx %s", (unsigned long long)bi->mmap[i].base,
			(unsigned long long)(bi->mmap[i].base + bi->mmap[i].len),
			nk_mem_type_name(bi->mmap[i].type));
}

/* Without a page allocator nothing can run: a failure here is fatal. */
static void setup_memory(const struct nk_boot_info *bi)
{
	int err = nk_bootmem_init(bi, (nk_paddr_t)_kernel_start, (nk_paddr_t)_kernel_end);

	if (err)
		panic("boot allocator: %s", nk_strerror(err));
	err = nk_mm_init();
	if (err)
		panic("page allocator: %s", nk_strerror(err));
}

/*
 * After bring-up: run the tests the command line asked for, else the benchmarks, else the
 * shell, else idle.
 */
static void run_user_interface(void)
{
	if (IS_ENABLED(CONFIG_TEST) && nk_cmdline.run_tests)
		nk_test_run_boot(nk_cmdline.tests);
	if (nk_cmdline.run_tests)
		nk_err("test= given but this kernel has no tests (CONFIG_TEST)");
	if (IS_ENABLED(CONFIG_BENCH) && nk_cmdline.run_bench)
		nk_bench_run_boot(nk_cmdline.bench);
	if (nk_cmdline.run_bench)
		nk_err("bench= given but this kernel has no benchmarks (CONFIG_BENCH)");
	if (IS_ENABLED(CONFIG_SHELL) && nk_cmdline.shell)
		nk_shell_run();
	nk_info("no shell; halting the boot CPU");
	nk_arch_halt_forever();
}

void nk_main(struct nk_boot_info *bi)
{
	nk_arch_time_init();	    /* TSC frequency: log timestamps */
	setup_cmdline(bi->cmdline); /* loglevel=, quiet, test=, bench=, shell= */
	nk_arch_early_init();	    /* GDT, TSS, IDT, GS: exceptions reported */
	print_banner(bi);	    /* version, loader, memory map */
	nk_arch_mem_init();	    /* identity map of RAM, page 0 unmapped */
	nk_arch_firmware_init();    /* ACPI tables: CPUs, IOAPICs, NUMA nodes */
	setup_memory(bi);	    /* boot allocator, then buddy zones and kmem */
	nk_arch_irq_init();	    /* local APIC, IOAPIC, timer: interrupts on */
	nk_sched_init();      /* this context becomes thread "main", CPU 0 gets an idle thread */
	nk_arch_smp_init();   /* other CPUs online, idle */
	nk_initcalls_run();   /* subsystems and drivers */
	run_user_interface(); /* tests, benchmarks, shell */
}
