/* The cpus and interrupts shell commands: the processors and what each has taken. */
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/irq.h>
#include <nautilus/printk.h>
#include <nautilus/shell.h>
#include <nautilus/symbols.h>

static const char *state_name(enum nk_cpu_state s)
{
	static const char *const names[] = { "absent", "booting", "online", "failed" };

	return (unsigned)s < 4 ? names[s] : "?";
}

static int cmd_cpus(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return -EINVAL;
	nk_printf("cpu apic node  tsc-kHz  state   tsc-skew  interrupts\n");
	for (int i = 0; i < nk_cpu_count(); i++) {
		const struct nk_cpu *c = nk_cpu_get(i);

		nk_printf("%3d %4u %4d %8llu  %-7s %9lld  %llu\n", c->id, c->apic_id, c->node,
			  (unsigned long long)c->tsc_khz, state_name(c->state),
			  (long long)c->tsc_skew, (unsigned long long)c->irqs);
	}
	nk_printf("%d of %d online\n", nk_cpu_online_count(), nk_cpu_count());
	return 0;
}
NK_SHELL_CMD(cpus, ": list the CPUs: APIC id, NUMA node, TSC, state, interrupts taken", cmd_cpus);

static bool vector_used(int v)
{
	if (nk_vector_handler(v, NULL))
		return true;
	for (int i = 0; i < nk_cpu_count(); i++)
		if (nk_cpu_get(i)->irq_count[v])
			return true;
	return false;
}

static void show_vector(int v)
{
	void *arg;
	nk_irq_handler_t fn = nk_vector_handler(v, &arg);
	char name[64] = "-";

	nk_printf(" 0x%02x", v);
	for (int i = 0; i < nk_cpu_count(); i++)
		nk_printf(" %10llu", (unsigned long long)nk_cpu_get(i)->irq_count[v]);
	if (fn)
		nk_symbol_format((uintptr_t)fn, name, sizeof(name));
	nk_printf("  %s\n", name);
}

static int cmd_interrupts(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return -EINVAL;
	nk_printf("  vec");
	for (int i = 0; i < nk_cpu_count(); i++)
		nk_printf("      cpu%-2d", i);
	nk_printf("  handler\n");
	for (int v = 32; v < 256; v++)
		if (vector_used(v))
			show_vector(v);
	return 0;
}
NK_SHELL_CMD(interrupts, ": per vector: the handler and the interrupts each CPU took",
	     cmd_interrupts);
