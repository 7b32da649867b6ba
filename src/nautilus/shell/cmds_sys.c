/*
 * System commands of the root shell: help, version, dmesg, uptime, cmdline, test, reboot and
 * shutdown.
 */
#include <nautilus/arch.h>
#include <nautilus/boot_info.h>
#include <nautilus/cmdline.h>
#include <nautilus/errno.h>
#include <nautilus/kernel.h>
#include <nautilus/printk.h>
#include <nautilus/shell.h>
#include <nautilus/string.h>
#include <nautilus/test.h>
#include <nautilus/time.h>

#include "shell_internal.h"

/* Width of "<name> <args>" in the help list: the longest visible one. */
static int help_column(void)
{
	const struct nk_shell_cmd *cmd;
	size_t args_len, w = 0;

	for (size_t i = 0; (cmd = nk_shell_cmd_at(i)); i++) {
		if (nk_shell_cmd_hidden(cmd))
			continue;
		nk_shell_help_split(cmd->help, &args_len);
		w = NK_MAX(w, strlen(cmd->name) + 1 + args_len);
	}
	return (int)w;
}

static void help_list(void)
{
	const struct nk_shell_cmd *cmd;
	int width = help_column();
	size_t args_len;
	const char *desc;

	for (size_t i = 0; (cmd = nk_shell_cmd_at(i)); i++) {
		if (nk_shell_cmd_hidden(cmd))
			continue;
		desc = nk_shell_help_split(cmd->help, &args_len);
		nk_shell_printf("  %s %-*.*s  %s\n", cmd->name, width - (int)strlen(cmd->name) - 1,
				(int)args_len, cmd->help, desc);
	}
}

/* help: every command with its arguments and what it does, or one command in detail. */
static int cmd_help(int argc, char **argv)
{
	const struct nk_shell_cmd *cmd;
	size_t args_len;

	if (argc > 2)
		return -EINVAL;
	if (argc == 1) {
		help_list();
		return 0;
	}
	cmd = nk_shell_cmd_find(argv[1]);
	if (!cmd) {
		nk_shell_printf("help: no command named %s\n", argv[1]);
		return -ENOENT;
	}
	nk_shell_usage(cmd);
	nk_shell_printf("  %s\n", nk_shell_help_split(cmd->help, &args_len));
	return 0;
}
NK_SHELL_CMD(help, "[command]: list the commands, or show how to use one", cmd_help);

static int cmd_version(int argc, char **argv __nk_unused)
{
	if (argc != 1)
		return -EINVAL;
	nk_shell_printf("%s\n", nk_version_string);
	return 0;
}
NK_SHELL_CMD(version, ": show the kernel version and build", cmd_version);

static int cmd_dmesg(int argc, char **argv __nk_unused)
{
	if (argc != 1)
		return -EINVAL;
	nk_printk_dump();
	return 0;
}
NK_SHELL_CMD(dmesg, ": print the kernel log", cmd_dmesg);

static int cmd_uptime(int argc, char **argv __nk_unused)
{
	uint64_t ns = nk_time_ns();

	if (argc != 1)
		return -EINVAL;
	if (!nk_tsc_khz()) {
		nk_shell_printf("uptime unknown: the TSC is not calibrated\n");
		return 0;
	}
	nk_shell_printf("up %llu.%03llu s\n", (unsigned long long)(ns / 1000000000),
			(unsigned long long)(ns / 1000000 % 1000));
	return 0;
}
NK_SHELL_CMD(uptime, ": time since boot (seconds.milliseconds)", cmd_uptime);

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

/* The machine the test runner said QEMU was built as (expect_*), when it said so. */
static void show_expectations(const struct nk_cmdline *c)
{
	if (c->expect_cpus)
		nk_shell_printf("  expect_cpus  %d\n", c->expect_cpus);
	if (c->expect_nodes)
		nk_shell_printf("  expect_nodes %d\n", c->expect_nodes);
	if (!c->nr_expect_dist)
		return;
	nk_shell_printf("  expect_dist ");
	for (int i = 0; i < c->nr_expect_dist; i++)
		nk_shell_printf(" %u", c->expect_dist[i]);
	nk_shell_printf("\n");
}

static int cmd_cmdline(int argc, char **argv __nk_unused)
{
	const struct nk_cmdline *c = &nk_cmdline;

	if (argc != 1)
		return -EINVAL;
	nk_shell_printf("command line: \"%s\"\n", nk_boot_info.cmdline);
	nk_shell_printf("  loglevel  %d\n", c->loglevel);
	nk_shell_printf("  quiet     %s\n", yes_no(c->quiet));
	nk_shell_printf("  shell     %s\n", yes_no(c->shell));
	nk_shell_printf("  test      %s\n", c->run_tests ? c->tests : "(none)");
	show_expectations(c);
	nk_shell_printf("  rejected  %d flag(s)\n", c->nr_warnings);
	return 0;
}
NK_SHELL_CMD(cmdline, ": show the kernel command line and the options parsed from it", cmd_cmdline);

static int test_run(const char *globs)
{
	struct nk_test_result res = { 0, 0, 0 };
	int ret = nk_test_run(globs, &res);

	if (ret < 0)
		return ret;
	nk_shell_printf("%d passed, %d failed, %d skipped\n", res.passed, res.failed, res.skipped);
	return 0;
}

/* test list [glob] / test run <glob>: the in-kernel tests, when they are compiled in. */
static int cmd_test(int argc, char **argv)
{
	if (!IS_ENABLED(CONFIG_TEST)) {
		nk_shell_printf("test: the tests are not compiled in (CONFIG_TEST is off)\n");
		return -ENOTSUP;
	}
	if (argc == 2 && !strcmp(argv[1], "list")) {
		nk_test_list("*");
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "list")) {
		nk_test_list(argv[2]);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "run"))
		return test_run(argv[2]);
	return -EINVAL;
}
NK_SHELL_CMD(test, "list [glob] | run <glob>: list or run in-kernel tests (globs on suite.case)",
	     cmd_test);

static int cmd_reboot(int argc, char **argv __nk_unused)
{
	if (argc != 1)
		return -EINVAL;
	nk_shell_printf("rebooting\n");
	nk_arch_reboot();
}
NK_SHELL_CMD(reboot, ": restart the machine", cmd_reboot);

static int cmd_shutdown(int argc, char **argv __nk_unused)
{
	if (argc != 1)
		return -EINVAL;
	nk_shell_printf("powering off\n");
	nk_arch_poweroff();
}
NK_SHELL_CMD(shutdown, ": power off (QEMU exits)", cmd_shutdown);
