/*
 * serial.c - polled 16550 UART driver.
 *
 * Polling keeps the report path independent of interrupts, so a crash
 * report still gets out when nothing else works. Every wait is bounded:
 * a missing or wedged UART loses bytes (counted) instead of hanging.
 */
#include "kernel/serial.h"
#include "kernel/x86.h"

enum {
	UART_DATA = 0, /* THR / RBR; DLL when DLAB is set */
	UART_IER = 1,  /* DLM when DLAB is set */
	UART_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_SCR = 7,
};

#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define TX_SPIN_LIMIT 1000000

struct uart com1, com2;

bool uart_init(struct uart *u, uint16_t base)
{
	u->base = base;
	u->tx_timeouts = 0;
	/* No UART: the port floats and the scratch byte does not stick. */
	outb(base + UART_SCR, 0x5a);
	if (inb(base + UART_SCR) != 0x5a) {
		u->present = false;
		return false;
	}
	outb(base + UART_SCR, 0xa5);
	if (inb(base + UART_SCR) != 0xa5) {
		u->present = false;
		return false;
	}
	outb(base + UART_IER, 0x00);  /* polled: no interrupts */
	outb(base + UART_LCR, 0x80);  /* DLAB: set the divisor */
	outb(base + UART_DATA, 0x01); /* 115200 baud */
	outb(base + UART_IER, 0x00);
	outb(base + UART_LCR, 0x03);  /* 8N1 */
	outb(base + UART_FCR, 0xc7);  /* FIFO on, cleared, 14-byte trigger */
	outb(base + UART_MCR, 0x03);  /* DTR, RTS */
	u->present = true;
	return true;
}

void uart_putc(struct uart *u, char c)
{
	int spin = 0;

	if (!u->present)
		return;
	while (!(inb(u->base + UART_LSR) & LSR_THR_EMPTY)) {
		if (++spin == TX_SPIN_LIMIT) {
			u->tx_timeouts++;
			return;
		}
		cpu_relax();
	}
	outb(u->base + UART_DATA, (uint8_t)c);
}

void uart_write(struct uart *u, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		uart_putc(u, s[i]);
}

int uart_getc(struct uart *u)
{
	if (!u->present || !(inb(u->base + UART_LSR) & LSR_DATA_READY))
		return -1;
	return inb(u->base + UART_DATA);
}
