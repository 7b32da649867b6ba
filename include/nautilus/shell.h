/*
 * Root shell: commands register with NK_SHELL_CMD in a linker table.
 * help is "<arguments>: <description>" (arguments may be empty: ": show the version");
 * the part before ": " is the usage line printed when a command returns -EINVAL.
 */
#ifndef NK_NAUTILUS_SHELL_H
#define NK_NAUTILUS_SHELL_H

#include <nautilus/compiler.h>
#include <nautilus/types.h>

#define NK_SHELL_MAX_LINE 256
#define NK_SHELL_MAX_ARGS 16
#define NK_SHELL_HISTORY  16
#define NK_SHELL_PROMPT	  "root-shell> "

typedef int (*nk_shell_fn)(int argc, char **argv);

struct nk_shell_cmd {
	const char *name;
	const char *help;
	nk_shell_fn fn;
};

#define NK_SHELL_CMD(cname, chelp, cfn)                                                 \
	static const struct nk_shell_cmd __nk_shell_cmd_##cname __nk_used __nk_section( \
		".nk_shell_cmds") __nk_aligned(8) = { #cname, chelp, cfn }

/* The command table, sorted by name on first use; lookup by exact name or NULL. */
const struct nk_shell_cmd *nk_shell_cmd_find(const char *name);
size_t nk_shell_cmd_count(void);
const struct nk_shell_cmd *nk_shell_cmd_at(size_t i);

/*
 * Split a line into argv (spaces separate, "double quotes" group); returns argc, -E2BIG for too
 * many words or -EINVAL for an unterminated quote.
 */
int nk_shell_tokenize(char *line, char **argv, int max_args);

/*
 * Tokenize and run one command line; returns the command's result, -ENOENT if unknown, -E2BIG
 * or -EINVAL for a line that is too long or cannot be split.
 */
int nk_shell_execute(const char *line);

/* Print "usage: <name> <arguments>" for a command. */
void nk_shell_usage(const struct nk_shell_cmd *cmd);

/* The interactive loop on the console; never returns (shutdown and reboot leave the machine). */
void nk_shell_run(void) __attribute__((noreturn));

#endif
