/*
 * 16550 UART registers and bits: PC16550D datasheet (National Semiconductor, 1995), table 2
 * (register summary) and table 4 (interrupt identification); PC port assignments from the IBM
 * PC/AT technical reference (COM1-COM4 I/O bases and ISA IRQs).
 */
#ifndef NK_DEV_NS16550_REGS_H
#define NK_DEV_NS16550_REGS_H

/* Register offsets from the port's I/O base (table 2). */
#define UART_RBR 0 /* receiver buffer (read, DLAB=0) */
#define UART_THR 0 /* transmitter holding (write, DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_IIR 2 /* interrupt identification (read) */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_MSR 6 /* modem status */
#define UART_SCR 7 /* scratch: no function, holds what was written (absent in the 8250) */

/* IER: interrupt enable. */
#define IER_RDA	 0x01 /* received data available (and the FIFO character timeout) */
#define IER_THRE 0x02 /* transmitter holding register empty (TX FIFO empty) */
#define IER_RLS	 0x04 /* receiver line status: overrun, parity, framing, break */
#define IER_MS	 0x08 /* modem status change */

/* IIR: bit 0 clear while an interrupt is pending, bits 1-3 its source (table 4). */
#define IIR_NO_INT  0x01 /* nothing pending */
#define IIR_ID_MASK 0x0e /* the source of the highest-priority pending interrupt: */
#define IIR_ID_RLS  0x06 /*   line status (1st priority): cleared by reading LSR */
#define IIR_ID_RDA  0x04 /*   data at the trigger level (2nd): cleared by reading RBR */
#define IIR_ID_CTI  0x0c /*   character timeout (2nd, FIFO mode): cleared by reading RBR */
#define IIR_ID_THRE 0x02 /*   THR empty (3rd): cleared by reading IIR or writing THR */
#define IIR_ID_MS   0x00 /*   modem status (4th): cleared by reading MSR */
#define IIR_FIFO    0xc0 /* both set: FIFOs enabled and working (a 16550A or later) */

/* FCR: FIFO control (write only). */
#define FCR_ENABLE   0x01 /* enable both FIFOs */
#define FCR_CLEAR_RX 0x02 /* empty the receiver FIFO */
#define FCR_CLEAR_TX 0x04 /* empty the transmitter FIFO */
#define FCR_TRIG_8   0x80 /* receiver trigger level: 8 of 16 bytes (bits 6-7 = 10) */
#define FCR_TRIG_14  0xc0 /* receiver trigger level: 14 of 16 bytes (bits 6-7 = 11) */
#define FIFO_DEPTH   16	  /* bytes in each FIFO of a 16550A */

/* LCR: line control. */
#define LCR_8N1	  0x03 /* 8 data bits, no parity, 1 stop bit */
#define LCR_BREAK 0x40 /* hold the line in the spacing state */
#define LCR_DLAB  0x80 /* divisor latch access: offsets 0 and 1 are the divisor */

/* MCR: modem control. */
#define MCR_DTR	 0x01 /* data terminal ready */
#define MCR_RTS	 0x02 /* request to send */
#define MCR_OUT1 0x04 /* user output 1 */
#define MCR_OUT2 0x08 /* user output 2: on a PC, gates the UART's interrupt onto the ISA line */
#define MCR_LOOP 0x10 /* loopback: TX feeds RX inside the chip, outputs feed the MSR inputs */

/* LSR: line status; bits 1-4 clear when read. */
#define LSR_DR	 0x01 /* data ready: a byte waits in RBR / the RX FIFO */
#define LSR_OE	 0x02 /* overrun: a byte arrived with the RX FIFO full and was lost */
#define LSR_PE	 0x04 /* parity error on the byte at the head of the RX FIFO */
#define LSR_FE	 0x08 /* framing error (no stop bit) on that byte */
#define LSR_BI	 0x10 /* break: the line was spacing a whole frame; a 0 byte was queued */
#define LSR_THRE 0x20 /* THR (TX FIFO) empty: room for FIFO_DEPTH bytes */
#define LSR_TEMT 0x40 /* THR and the shift register both empty */

/* MSR: modem status; in loopback mode the high nibble mirrors MCR bits 0-3. */
#define MSR_CTS	  0x10 /* clear to send (RTS in loopback) */
#define MSR_DSR	  0x20 /* data set ready (DTR in loopback) */
#define MSR_RI	  0x40 /* ring indicator (OUT1 in loopback) */
#define MSR_DCD	  0x80 /* data carrier detect (OUT2 in loopback) */
#define MSR_LINES 0xf0 /* the four inputs */

/* Baud rate: the PC's 1.8432 MHz clock / 16 / divisor. */
#define DIVISOR_115200 1

/* The PC's COM ports: I/O base and ISA IRQ (COM1/COM3 share IRQ 4, COM2/COM4 IRQ 3). */
#define COM1_BASE 0x3f8
#define COM2_BASE 0x2f8
#define COM3_BASE 0x3e8
#define COM4_BASE 0x2e8
#define COM1_IRQ  4
#define COM2_IRQ  3

#endif
