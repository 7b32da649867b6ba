/*
 * Private to the shell and its tests: output that tests can capture, the split of a command's
 * help text, and which commands are hidden.
 */
#ifndef NK_SHELL_SHELL_INTERNAL_H
#define NK_SHELL_SHELL_INTERNAL_H

#include <nautilus/compiler.h>
#include <nautilus/shell.h>
#include <nautilus/types.h>

/* Output of the dispatcher and of the built-in commands: the console, or a capture buffer. */
int nk_shell_printf(const char *fmt, ...) __nk_printf(1, 2);

/*
 * Send nk_shell_printf output to buf (NUL-terminated, truncated to size - 1 bytes) until
 * nk_shell_capture_end, which returns the length kept. For tests; not nested.
 */
void nk_shell_capture_begin(char *buf, size_t size);
size_t nk_shell_capture_end(void);

/* The description in a help text "<args>: <description>"; *args_len gets the length of <args>. */
const char *nk_shell_help_split(const char *help, size_t *args_len);

/* Commands named "__..." are for tests: they run, but help and completion do not offer them. */
static inline bool nk_shell_cmd_hidden(const struct nk_shell_cmd *cmd)
{
	return cmd->name[0] == '_' && cmd->name[1] == '_';
}

#endif
