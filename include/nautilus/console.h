/*
 * Consoles: byte sinks for the log and shell output (serial, VGA), and the input source
 * of the shell. Drivers register a console; output goes to all of them.
 */
#ifndef NK_NAUTILUS_CONSOLE_H
#define NK_NAUTILUS_CONSOLE_H

#include <nautilus/types.h>

struct nk_char_dev;

struct nk_console {
	const char *name;
	/* May queue the bytes for an interrupt to send (serial0 once interrupt-driven). */
	void (*write)(const char *buf, size_t len);
	/* Non-blocking read of one byte: -1 when none is waiting; NULL if output only. */
	int (*getc)(void);
	/* Put every byte written so far on the line before returning; NULL: write never queues. */
	void (*flush)(void);
	struct nk_console *next;
};

/* The polled serial console, usable from the first instructions of C (src/dev/ns16550.c). */
void nk_early_console_init(void);

void nk_console_register(struct nk_console *con);
/* Take con off the list (tests); its write may still run once on another CPU meanwhile. */
void nk_console_unregister(struct nk_console *con);
/* Callers serialize whole lines (printk's lock). */
void nk_console_write(const char *buf, size_t len);
/*
 * Everything written so far is on the line when this returns, written polled if need be: for
 * output that cannot wait for an interrupt (printk with interrupts off, power-off, reset).
 * Any context; each console serializes its flush with its writes.
 */
void nk_console_flush(void);

/*
 * Input: once a char device is set (serial0 when it becomes interrupt-driven), nk_console_getc
 * sleeps in nk_char_read on it; before, it polls the consoles' getc.
 */
void nk_console_set_input(struct nk_char_dev *cdev);
/* Block until a byte arrives on the input device, or any input console. */
int nk_console_getc(void);
/* A byte if one is waiting, else -1. */
int nk_console_trygetc(void);

#endif
