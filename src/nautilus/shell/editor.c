/*
 * Line editor of the root shell: insertion at the cursor, backspace and delete, arrows, Home/End,
 * history, Ctrl-C, Ctrl-U and tab completion of command names, drawn with ANSI escapes.
 */
#include <nautilus/string.h>

#include "editor.h"

/* Input bytes (ASCII control codes). */
#define KEY_CTRL_C 0x03
#define KEY_BS	   0x08
#define KEY_TAB	   0x09
#define KEY_LF	   0x0a
#define KEY_CR	   0x0d
#define KEY_CTRL_U 0x15
#define KEY_ESC	   0x1b
#define KEY_DEL	   0x7f /* what most terminals send for Backspace */

/* CSI parameters saturate here: only small values (1..8) name keys. */
#define ESC_PARAM_MAX 1000

static void out(struct nk_editor *ed, const char *s, size_t n)
{
	if (n)
		ed->out(ed->ctx, s, n);
}

static void out_str(struct nk_editor *ed, const char *s)
{
	out(ed, s, strlen(s));
}

static void bell(struct nk_editor *ed)
{
	out_str(ed, "\a");
}

/* Move the terminal cursor n columns: ESC [ n D (left) or ESC [ n C (right), ECMA-48 8.3. */
static void move_cursor(struct nk_editor *ed, size_t n, char dir)
{
	char buf[24];
	size_t i = sizeof(buf);

	if (!n)
		return;
	buf[--i] = dir;
	do {
		buf[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	buf[--i] = '[';
	buf[--i] = KEY_ESC;
	out(ed, buf + i, sizeof(buf) - i);
}

/* Rewrite the row: prompt, text, erase what is left of an older text, cursor back in place. */
static void redraw(struct nk_editor *ed)
{
	out_str(ed, "\r");
	out_str(ed, ed->prompt);
	out(ed, ed->line, ed->len);
	out_str(ed, "\x1b[K");
	move_cursor(ed, ed->len - ed->cursor, 'D');
}

/* Insert n bytes at the cursor and echo them; false, changing nothing, if they do not fit. */
static bool insert(struct nk_editor *ed, const char *s, size_t n)
{
	size_t tail = ed->len - ed->cursor;

	if (ed->len + n > NK_SHELL_MAX_LINE - 1)
		return false;
	memmove(ed->line + ed->cursor + n, ed->line + ed->cursor, tail + 1);
	memcpy(ed->line + ed->cursor, s, n);
	ed->len += n;
	ed->cursor += n;
	out(ed, s, n);
	out(ed, ed->line + ed->cursor, tail);
	move_cursor(ed, tail, 'D');
	return true;
}

/* Remove n bytes at the cursor and redraw the rest of the line. */
static void erase_at_cursor(struct nk_editor *ed, size_t n)
{
	size_t tail = ed->len - ed->cursor - n;

	memmove(ed->line + ed->cursor, ed->line + ed->cursor + n, tail + 1);
	ed->len -= n;
	out(ed, ed->line + ed->cursor, tail);
	out_str(ed, "\x1b[K");
	move_cursor(ed, tail, 'D');
}

static void move_left(struct nk_editor *ed, size_t n)
{
	n = NK_MIN(n, ed->cursor);
	ed->cursor -= n;
	move_cursor(ed, n, 'D');
}

static void move_right(struct nk_editor *ed, size_t n)
{
	n = NK_MIN(n, ed->len - ed->cursor);
	ed->cursor += n;
	move_cursor(ed, n, 'C');
}

static void backspace(struct nk_editor *ed)
{
	if (!ed->cursor)
		return;
	move_left(ed, 1);
	erase_at_cursor(ed, 1);
}

static void delete_forward(struct nk_editor *ed)
{
	if (ed->cursor < ed->len)
		erase_at_cursor(ed, 1);
}

/* Ctrl-U: drop everything before the cursor. */
static void kill_to_start(struct nk_editor *ed)
{
	size_t n = ed->cursor;

	move_left(ed, n);
	erase_at_cursor(ed, n);
}

static bool blank(const char *s)
{
	while (*s == ' ')
		s++;
	return !*s;
}

/* A past line by age: 0 is the newest. */
static char *hist_entry(struct nk_editor *ed, int age)
{
	return ed->hist[(ed->hist_next - 1 - age + NK_SHELL_HISTORY) % NK_SHELL_HISTORY];
}

/* Remember a completed line, unless it is blank or repeats the newest entry. */
static void hist_add(struct nk_editor *ed)
{
	if (blank(ed->line))
		return;
	if (ed->hist_count && !strcmp(hist_entry(ed, 0), ed->line))
		return;
	memcpy(ed->hist[ed->hist_next], ed->line, ed->len + 1);
	ed->hist_next = (ed->hist_next + 1) % NK_SHELL_HISTORY;
	if (ed->hist_count < NK_SHELL_HISTORY)
		ed->hist_count++;
}

static void set_line(struct nk_editor *ed, const char *s)
{
	ed->len = strlen(s);
	ed->cursor = ed->len;
	memcpy(ed->line, s, ed->len + 1);
	redraw(ed);
}

/*
 * Up (dir 1, older) or down (dir -1, newer) through the history. Going below the newest entry
 * brings back the line that was being typed; edits to a recalled line do not change the history.
 */
static void hist_move(struct nk_editor *ed, int dir)
{
	int to = ed->browsing + dir;

	if (to < -1 || to >= ed->hist_count)
		return;
	if (ed->browsing == -1)
		memcpy(ed->saved, ed->line, ed->len + 1);
	ed->browsing = to;
	set_line(ed, to == -1 ? ed->saved : hist_entry(ed, to));
}

static bool has_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == ' ')
			return true;
	return false;
}

static size_t common_prefix(const char *a, const char *b, size_t max)
{
	size_t n = 0;

	while (n < max && a[n] && a[n] == b[n])
		n++;
	return n;
}

/* Print every name starting with prefix on a row of its own, then the line again. */
static void list_matches(struct nk_editor *ed, const char *prefix, size_t plen)
{
	const char *name;

	out_str(ed, "\r\n");
	for (size_t i = 0; (name = ed->names(ed->ctx, i)); i++) {
		if (strncmp(name, prefix, plen))
			continue;
		out_str(ed, name);
		out_str(ed, "  ");
	}
	out_str(ed, "\r\n");
	redraw(ed);
}

/*
 * Tab: complete the command name (the first word) that ends at the cursor. One match is
 * completed and followed by a space; several are completed as far as they agree and listed.
 */
static void complete(struct nk_editor *ed)
{
	size_t start = 0, plen, common = 0, matches = 0;
	const char *first = NULL, *name, *prefix;

	while (start < ed->cursor && ed->line[start] == ' ')
		start++;
	prefix = ed->line + start;
	plen = ed->cursor - start;
	if (!ed->names || has_space(prefix, plen)) {
		bell(ed);
		return;
	}
	for (size_t i = 0; (name = ed->names(ed->ctx, i)); i++) {
		if (strncmp(name, prefix, plen))
			continue;
		if (matches++) {
			common = common_prefix(first, name, common);
		} else {
			first = name;
			common = strlen(name);
		}
	}
	if (!matches || !insert(ed, first + plen, common - plen)) {
		bell(ed);
		return;
	}
	if (matches > 1)
		list_matches(ed, prefix, common);
	else if (ed->cursor == ed->len || ed->line[ed->cursor] != ' ')
		insert(ed, " ", 1);
}

static void home(struct nk_editor *ed)
{
	move_left(ed, ed->cursor);
}

static void end(struct nk_editor *ed)
{
	move_right(ed, ed->len - ed->cursor);
}

/* ESC [ n ~: the VT220 editing keys (xterm ctlseqs, "PC-Style Function Keys"). */
static void vt_key(struct nk_editor *ed, unsigned param)
{
	switch (param) {
	case 1:
	case 7:
		home(ed);
		break;
	case 3:
		delete_forward(ed);
		break;
	case 4:
	case 8:
		end(ed);
		break;
	}
}

/* The final byte of a CSI or SS3 sequence: arrows, Home, End (xterm and VT100 encodings). */
static void escape_key(struct nk_editor *ed, uint8_t final, unsigned param)
{
	if (ed->overflow)
		return;
	switch (final) {
	case 'A':
		hist_move(ed, 1);
		break;
	case 'B':
		hist_move(ed, -1);
		break;
	case 'C':
		move_right(ed, 1);
		break;
	case 'D':
		move_left(ed, 1);
		break;
	case 'H':
		home(ed);
		break;
	case 'F':
		end(ed);
		break;
	case '~':
		vt_key(ed, param);
		break;
	}
}

/*
 * One byte inside an escape sequence (ESC [ params final, or ESC O final; ECMA-48 5.4).
 * Returns false when the byte is not part of the sequence: the sequence is dropped and the byte
 * is handled as ordinary input, so that Enter or Ctrl-C after a stray ESC still work.
 */
static bool escape(struct nk_editor *ed, uint8_t c)
{
	enum nk_editor_esc state = ed->esc;

	ed->esc = NK_ESC_NONE;
	if (state == NK_ESC_START && (c == '[' || c == 'O')) {
		ed->esc = c == '[' ? NK_ESC_CSI : NK_ESC_SS3;
		ed->esc_param = 0;
		ed->esc_param_done = false;
		return true;
	}
	if (state == NK_ESC_START)
		return c >= 0x20 && c < 0x7f; /* Alt-<key>: swallowed */
	if (state == NK_ESC_CSI && c >= 0x20 && c <= 0x3f) {
		ed->esc = NK_ESC_CSI;
		if (c < '0' || c > '9')
			ed->esc_param_done = true;
		else if (!ed->esc_param_done)
			ed->esc_param = NK_MIN(ed->esc_param * 10 + (c - '0'), ESC_PARAM_MAX);
		return true;
	}
	if (c < 0x40 || c > 0x7e)
		return false;
	escape_key(ed, c, ed->esc_param);
	return true;
}

/* Enter: the line is complete, unless it overflowed. */
static enum nk_editor_event enter(struct nk_editor *ed)
{
	out_str(ed, "\r\n");
	if (ed->overflow) {
		out_str(ed, NK_SHELL_TOO_LONG_MSG "\r\n");
		return NK_EDITOR_REJECTED;
	}
	hist_add(ed);
	return NK_EDITOR_LINE;
}

/* A byte that edits the line. A printable byte that does not fit marks the line overflowed. */
static void edit(struct nk_editor *ed, uint8_t c)
{
	char ch = (char)c;

	switch (c) {
	case KEY_BS:
	case KEY_DEL:
		backspace(ed);
		break;
	case KEY_TAB:
		complete(ed);
		break;
	case KEY_CTRL_U:
		kill_to_start(ed);
		break;
	default:
		if (c < 0x20 || c >= 0x7f)
			break; /* other control bytes and non-ASCII bytes are ignored */
		if (!insert(ed, &ch, 1)) {
			ed->overflow = true;
			bell(ed);
		}
	}
}

void nk_editor_init(struct nk_editor *ed, const char *prompt, nk_editor_out_fn out_fn,
		    nk_editor_name_fn names, void *ctx)
{
	memset(ed, 0, sizeof(*ed));
	ed->prompt = prompt;
	ed->out = out_fn;
	ed->names = names;
	ed->ctx = ctx;
	ed->browsing = -1;
}

void nk_editor_begin(struct nk_editor *ed)
{
	ed->line[0] = '\0';
	ed->len = 0;
	ed->cursor = 0;
	ed->overflow = false;
	ed->esc = NK_ESC_NONE;
	ed->browsing = -1;
	out_str(ed, ed->prompt);
}

/*
 * Once a line has overflowed, the rest of it up to Enter is swallowed (not echoed, editing keys
 * ignored): the text kept is no longer what was typed, and a pasted line's tail must not run
 * as a command of its own. Enter then rejects the line with NK_SHELL_TOO_LONG_MSG.
 */
enum nk_editor_event nk_editor_feed(struct nk_editor *ed, uint8_t c)
{
	bool after_cr = ed->after_cr;

	ed->after_cr = c == KEY_CR;
	if (c == KEY_LF && after_cr)
		return NK_EDITOR_MORE; /* CR LF is one Enter */
	if (ed->esc != NK_ESC_NONE && escape(ed, c))
		return NK_EDITOR_MORE;
	switch (c) {
	case KEY_CR:
	case KEY_LF:
		return enter(ed);
	case KEY_CTRL_C:
		out_str(ed, "^C\r\n");
		return NK_EDITOR_CANCELLED;
	case KEY_ESC:
		ed->esc = NK_ESC_START;
		return NK_EDITOR_MORE;
	}
	if (!ed->overflow)
		edit(ed, c);
	return NK_EDITOR_MORE;
}

const char *nk_editor_line(const struct nk_editor *ed)
{
	return ed->line;
}
