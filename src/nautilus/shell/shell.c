/*
 * Root shell: the command table (a linker section, sorted by name on first use), the dispatcher
 * with its error messages, and the interactive loop on the console.
 */
#include <nautilus/console.h>
#include <nautilus/errno.h>
#include <nautilus/panic.h>
#include <nautilus/printk.h>
#include <nautilus/shell.h>
#include <nautilus/string.h>

#include "editor.h"
#include "shell_internal.h"

/* Room for the sorted table; sort_table stops the boot with this name if it is too small. */
#define NK_SHELL_MAX_CMDS 128

extern const struct nk_shell_cmd __nk_shell_cmds_start[], __nk_shell_cmds_end[];

/*
 * The table as the linker laid it out is in link order; help and completion want it by name.
 * It cannot be sorted in place (it is const), so it is sorted as pointers, once: the table never
 * changes after link time and the shell runs on one CPU.
 */
static const struct nk_shell_cmd *cmds[NK_SHELL_MAX_CMDS];
static size_t nr_cmds;
static bool cmds_sorted;

static void sort_table(void)
{
	size_t n = (size_t)(__nk_shell_cmds_end - __nk_shell_cmds_start);

	if (n > NK_SHELL_MAX_CMDS)
		panic("shell: %lu commands registered, raise NK_SHELL_MAX_CMDS (%d)",
		      (unsigned long)n, NK_SHELL_MAX_CMDS);
	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		for (; j > 0 && strcmp(cmds[j - 1]->name, __nk_shell_cmds_start[i].name) > 0; j--)
			cmds[j] = cmds[j - 1];
		cmds[j] = &__nk_shell_cmds_start[i];
	}
	for (size_t i = 1; i < n; i++)
		if (!strcmp(cmds[i - 1]->name, cmds[i]->name))
			nk_warn("command %s is registered twice; only one of them can run",
				cmds[i]->name);
	nr_cmds = n;
	cmds_sorted = true;
}

size_t nk_shell_cmd_count(void)
{
	if (!cmds_sorted)
		sort_table();
	return nr_cmds;
}

const struct nk_shell_cmd *nk_shell_cmd_at(size_t i)
{
	return i < nk_shell_cmd_count() ? cmds[i] : NULL;
}

const struct nk_shell_cmd *nk_shell_cmd_find(const char *name)
{
	for (size_t i = 0; i < nk_shell_cmd_count(); i++)
		if (!strcmp(cmds[i]->name, name))
			return cmds[i];
	return NULL;
}

const char *nk_shell_help_split(const char *help, size_t *args_len)
{
	for (const char *p = help; *p; p++) {
		if (p[0] == ':' && p[1] == ' ') {
			*args_len = (size_t)(p - help);
			return p + 2;
		}
	}
	*args_len = 0;
	return help;
}

void nk_shell_usage(const struct nk_shell_cmd *cmd)
{
	size_t args_len;

	nk_shell_help_split(cmd->help, &args_len);
	nk_shell_printf("usage: %s%s%.*s\n", cmd->name, args_len ? " " : "", (int)args_len,
			cmd->help);
}

static char *capture_buf;
static size_t capture_size, capture_len;

void nk_shell_capture_begin(char *buf, size_t size)
{
	capture_buf = buf;
	capture_size = size;
	capture_len = 0;
	buf[0] = '\0';
}

size_t nk_shell_capture_end(void)
{
	capture_buf = NULL;
	return capture_len;
}

int nk_shell_printf(const char *fmt, ...)
{
	size_t room = capture_size - capture_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (capture_buf) {
		n = nk_vsnprintf(capture_buf + capture_len, room, fmt, ap);
		if (n > 0)
			capture_len += NK_MIN((size_t)n, room - 1);
	} else {
		n = nk_vprintf(fmt, ap);
	}
	va_end(ap);
	return n;
}

/* Tokenize a copy of line into argv (NULL-terminated); a message for each kind of bad line. */
static int split_line(const char *line, char *buf, char **argv)
{
	int argc;

	if (strnlen(line, NK_SHELL_MAX_LINE) == NK_SHELL_MAX_LINE) {
		nk_shell_printf("%s\n", NK_SHELL_TOO_LONG_MSG);
		return -E2BIG;
	}
	memcpy(buf, line, strlen(line) + 1);
	argc = nk_shell_tokenize(buf, argv, NK_SHELL_MAX_ARGS);
	if (argc == -E2BIG)
		nk_shell_printf("too many arguments: at most %d words, the command included\n",
				NK_SHELL_MAX_ARGS);
	else if (argc == -EINVAL)
		nk_shell_printf("unterminated quote\n");
	else
		argv[argc] = NULL;
	return argc;
}

/*
 * A command reports its own specific problems; the dispatcher adds the usage line for -EINVAL
 * (the arguments were wrong) and "<name>: <error>" for any other failure.
 */
int nk_shell_execute(const char *line)
{
	char buf[NK_SHELL_MAX_LINE];
	char *argv[NK_SHELL_MAX_ARGS + 1];
	const struct nk_shell_cmd *cmd;
	int argc, ret;

	argc = split_line(line, buf, argv);
	if (argc <= 0)
		return argc;
	cmd = nk_shell_cmd_find(argv[0]);
	if (!cmd) {
		nk_shell_printf("unknown command: %s (try help)\n", argv[0]);
		return -ENOENT;
	}
	ret = cmd->fn(argc, argv);
	if (ret == -EINVAL)
		nk_shell_usage(cmd);
	else if (ret < 0)
		nk_shell_printf("%s: %s\n", cmd->name, nk_strerror(ret));
	return ret;
}

static void console_out(void *ctx __nk_unused, const char *buf, size_t len)
{
	nk_puts_raw(buf, len);
}

/* Completion offers the i-th command that is not hidden. */
static const char *visible_name(void *ctx __nk_unused, size_t i)
{
	for (size_t k = 0; k < nk_shell_cmd_count(); k++)
		if (!nk_shell_cmd_hidden(cmds[k]) && i-- == 0)
			return cmds[k]->name;
	return NULL;
}

/* Loops for ever: the shell is the last thing the boot CPU runs (shutdown leaves QEMU). */
void nk_shell_run(void)
{
	static struct nk_editor ed; /* over 4 KiB with its history: kept off the stack */
	enum nk_editor_event ev;
	int c;

	nk_editor_init(&ed, NK_SHELL_PROMPT, console_out, visible_name, NULL);
	nk_editor_begin(&ed);
	for (;;) {
		c = nk_console_getc();
		if (c < 0)
			continue;
		ev = nk_editor_feed(&ed, (uint8_t)c);
		if (ev == NK_EDITOR_MORE)
			continue;
		if (ev == NK_EDITOR_LINE)
			nk_shell_execute(nk_editor_line(&ed));
		nk_editor_begin(&ed);
	}
}
