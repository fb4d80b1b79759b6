/*
 * console.c - kprintf onto COM1.
 *
 * Formats into a bounded buffer; a line longer than the buffer is cut and
 * marked, never overflows. Output is plain "\n": the serial log is read by
 * programs (prove, the runner), not by a terminal.
 */
#include "kernel/console.h"
#include "kernel/printf.h"
#include "kernel/serial.h"

#define CONSOLE_BUF 1024

void console_init(void)
{
	uart_init(&com1, COM1_BASE);
	uart_init(&com2, COM2_BASE);
}

void console_write(const char *s, size_t n)
{
	uart_write(&com1, s, n);
}

int kvprintf(const char *fmt, va_list ap)
{
	char buf[CONSOLE_BUF];
	int n = kvsnprintf(buf, sizeof(buf), fmt, ap);

	if (n >= (int)sizeof(buf)) {
		console_write(buf, sizeof(buf) - 1);
		console_write(" [cut]\n", 7);
	} else {
		console_write(buf, (size_t)n);
	}
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}
