/*
 * console.h - the report console (COM1) and kprintf.
 *
 * Everything the kernel prints goes through here, so it is always either a
 * TAP line or a TAP comment ("# ..."); the raw serial log stays valid TAP.
 */
#ifndef PINPRICK_CONSOLE_H
#define PINPRICK_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

void console_init(void);
void console_write(const char *s, size_t n);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);

#endif
