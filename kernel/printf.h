/*
 * printf.h - formatted output without libc.
 *
 * kvsnprintf is the one formatter; the console, the TAP writer and the
 * control channel all format through it. Supported: %d %i %u %x %X %o %c
 * %s %p %%, flags - 0 # +, space, width and precision (also *), and the
 * length modifiers hh h l ll z j t. Returns the length the full output
 * would have had, like C's snprintf, and always terminates when size > 0.
 */
#ifndef PINPRICK_PRINTF_H
#define PINPRICK_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
