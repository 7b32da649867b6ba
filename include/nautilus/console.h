/*
 * Consoles: byte sinks for the log and shell output (serial, VGA), and the input source
 * of the shell. Drivers register a console; output goes to all of them.
 */
#ifndef NK_NAUTILUS_CONSOLE_H
#define NK_NAUTILUS_CONSOLE_H

#include <nautilus/types.h>

struct nk_console {
	const char *name;
	void (*write)(const char *buf, size_t len);
	/* Non-blocking read of one byte: -1 when none is waiting; NULL if output only. */
	int (*getc)(void);
	struct nk_console *next;
};

/* The polled serial console, usable from the first instructions of C (src/dev/ns16550.c). */
void nk_early_console_init(void);

void nk_console_register(struct nk_console *con);
void nk_console_write(const char *buf, size_t len);
/* Block until a byte arrives on any input console. */
int nk_console_getc(void);
/* A byte if one is waiting, else -1. */
int nk_console_trygetc(void);

#endif
