/*
 * serial.h - 16550 UARTs: COM1 carries the TAP report, COM2 the control
 * channel to the host-side runner.
 */
#ifndef PINPRICK_SERIAL_H
#define PINPRICK_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COM1_BASE 0x3F8
#define COM2_BASE 0x2F8

struct uart {
	uint16_t base;
	bool present;
	uint32_t tx_timeouts; /* bytes dropped because THR never emptied */
};

extern struct uart com1, com2;

/* Program 115200 8N1 with FIFOs; detect the chip via its scratch register. */
bool uart_init(struct uart *u, uint16_t base);
void uart_putc(struct uart *u, char c);
void uart_write(struct uart *u, const char *s, size_t n);
/* Next received byte, or -1 if none is waiting. Never blocks. */
int uart_getc(struct uart *u);

#endif
