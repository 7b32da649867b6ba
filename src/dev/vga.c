/*
 * VGA text mode mirror of the console (80x25 at 0xb8000): the log and shell output also show
 * on a screen. ANSI escape sequences (the line editor's cursor moves) are skipped, not drawn.
 */
#include <nautilus/console.h>
#include <nautilus/init.h>
#include <nautilus/string.h>

#define VGA_TEXT ((volatile uint16_t *)0xb8000)
#define COLS	 80
#define ROWS	 25
#define ATTR	 0x0700 /* light grey on black */

static int row, col;
static bool in_escape;

static void scroll(void)
{
	for (int i = 0; i < (ROWS - 1) * COLS; i++)
		VGA_TEXT[i] = VGA_TEXT[i + COLS];
	for (int i = (ROWS - 1) * COLS; i < ROWS * COLS; i++)
		VGA_TEXT[i] = ATTR | ' ';
	row = ROWS - 1;
}

static void newline(void)
{
	col = 0;
	if (++row == ROWS)
		scroll();
}

static void put(char c)
{
	if (in_escape) {
		in_escape = !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '~');
		return;
	}
	if (c == '\033') {
		in_escape = true;
	} else if (c == '\n') {
		newline();
	} else if (c == '\r') {
		col = 0;
	} else if (c == '\b') {
		col = col ? col - 1 : 0;
	} else if (c >= ' ' && c < 0x7f) {
		VGA_TEXT[row * COLS + col] = ATTR | (uint8_t)c;
		if (++col == COLS)
			newline();
	}
}

static void vga_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		put(buf[i]);
}

static struct nk_console vga_console = {
	.name = "vga",
	.write = vga_write,
};

static int vga_init(void)
{
	for (int i = 0; i < ROWS * COLS; i++)
		VGA_TEXT[i] = ATTR | ' ';
	nk_console_register(&vga_console);
	return 0;
}
NK_INITCALL(NK_INIT_DEVICE, vga_init);
