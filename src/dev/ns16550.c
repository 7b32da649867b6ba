/*
 * 16550 UART on COM1, polled: output from the first instructions of C, input for the shell.
 * Registers from the PC16550D datasheet, table 2. Becomes interrupt-driven with the device issue.
 */
#include <arch/x64/cpu.h>
#include <nautilus/console.h>

#define COM1_BASE 0x3f8
#define UART_RBR  0 /* receive buffer (read) */
#define UART_THR  0 /* transmit holding (write) */
#define UART_DLL  0 /* divisor latch low (DLAB=1) */
#define UART_IER  1 /* interrupt enable */
#define UART_DLM  1 /* divisor latch high (DLAB=1) */
#define UART_FCR  2 /* FIFO control */
#define UART_LCR  3 /* line control */
#define UART_MCR  4 /* modem control */
#define UART_LSR  5 /* line status */

#define LCR_8N1		 0x03
#define LCR_DLAB	 0x80
#define FCR_ENABLE_CLEAR 0xc7 /* enable FIFOs, clear both, 14-byte trigger */
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_DATA_READY	 0x01
#define LSR_THR_EMPTY	 0x20
#define DIVISOR_115200	 1 /* 1.8432 MHz / 16 / 115200 */

static void uart_putc(char c)
{
	while (!(inb(COM1_BASE + UART_LSR) & LSR_THR_EMPTY))
		cpu_relax();
	outb(COM1_BASE + UART_THR, c);
}

/* Terminals want CR LF; the kernel writes LF. */
static void uart_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			uart_putc('\r');
		uart_putc(buf[i]);
	}
}

static int uart_getc(void)
{
	if (!(inb(COM1_BASE + UART_LSR) & LSR_DATA_READY))
		return -1;
	return inb(COM1_BASE + UART_RBR);
}

static struct nk_console uart_console = {
	.name = "serial0",
	.write = uart_write,
	.getc = uart_getc,
};

void nk_early_console_init(void)
{
	outb(COM1_BASE + UART_IER, 0);
	outb(COM1_BASE + UART_LCR, LCR_DLAB);
	outb(COM1_BASE + UART_DLL, DIVISOR_115200);
	outb(COM1_BASE + UART_DLM, 0);
	outb(COM1_BASE + UART_LCR, LCR_8N1);
	outb(COM1_BASE + UART_FCR, FCR_ENABLE_CLEAR);
	outb(COM1_BASE + UART_MCR, MCR_DTR_RTS_OUT2);
	nk_console_register(&uart_console);
}
