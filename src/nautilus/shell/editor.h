/*
 * Line editor of the root shell: a state machine fed one input byte at a time. It has no I/O of
 * its own (terminal output goes through a callback), so it runs unchanged in host unit tests.
 */
#ifndef NK_SHELL_EDITOR_H
#define NK_SHELL_EDITOR_H

#include <nautilus/shell.h>
#include <nautilus/types.h>

/*
 * A line that does not fit in NK_SHELL_MAX_LINE - 1 characters is dropped with this message,
 * never truncated: a truncated command could do something other than what was typed.
 */
#define NK_SHELL_TOO_LONG_MSG "line too long (max 255 characters), discarded"
_Static_assert(NK_SHELL_MAX_LINE == 256, "NK_SHELL_TOO_LONG_MSG states the limit");

/* What a byte did. Any event other than MORE ends the line: call nk_editor_begin next. */
enum nk_editor_event {
	NK_EDITOR_MORE,	     /* the line is still being edited */
	NK_EDITOR_LINE,	     /* Enter: nk_editor_line() holds the line */
	NK_EDITOR_CANCELLED, /* Ctrl-C: the line was dropped */
	NK_EDITOR_REJECTED,  /* Enter after the line overflowed: dropped with a message */
};

/* Terminal output of the editor (echo, cursor movement, messages). */
typedef void (*nk_editor_out_fn)(void *ctx, const char *buf, size_t len);
/* The i-th name offered by tab completion, or NULL past the last one. */
typedef const char *(*nk_editor_name_fn)(void *ctx, size_t i);

enum nk_editor_esc { NK_ESC_NONE, NK_ESC_START, NK_ESC_CSI, NK_ESC_SS3 };

struct nk_editor {
	const char *prompt;
	nk_editor_out_fn out;
	nk_editor_name_fn names;
	void *ctx;

	char line[NK_SHELL_MAX_LINE]; /* always NUL-terminated */
	size_t len, cursor;
	bool overflow; /* a byte did not fit: the line will be rejected at Enter */
	bool after_cr; /* the previous byte was CR, so an LF right after it is not a new Enter */
	enum nk_editor_esc esc;
	unsigned esc_param;  /* first numeric parameter of a CSI sequence (saturates) */
	bool esc_param_done; /* a separator ended the first parameter */

	/* Ring of past lines, newest at hist_next - 1; browsing -1 means the line being typed. */
	char hist[NK_SHELL_HISTORY][NK_SHELL_MAX_LINE];
	int hist_count, hist_next, browsing;
	char saved[NK_SHELL_MAX_LINE]; /* the line being typed while history is browsed */
};

/* Set up an editor with an empty history; names may be NULL (no completion). */
void nk_editor_init(struct nk_editor *ed, const char *prompt, nk_editor_out_fn out,
		    nk_editor_name_fn names, void *ctx);
/* Start a new, empty line: prints the prompt. */
void nk_editor_begin(struct nk_editor *ed);
/* Handle one input byte. */
enum nk_editor_event nk_editor_feed(struct nk_editor *ed, uint8_t byte);
/* The completed line, valid after NK_EDITOR_LINE until the next nk_editor_begin. */
const char *nk_editor_line(const struct nk_editor *ed);

#endif
