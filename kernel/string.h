/*
 * string.h - the few libc string and memory functions the kernel needs.
 *
 * Freestanding: the compiler may also emit calls to memcpy/memset/memmove/
 * memcmp on its own, so these keep their standard names and semantics.
 */
#ifndef PINPRICK_STRING_H
#define PINPRICK_STRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/* Copy at most size-1 bytes and always terminate; returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);

/*
 * Parse an unsigned number from s[0..len): decimal, or hex with 0x.
 * Whole string must be consumed; false on overflow or junk.
 */
bool str_to_u64(const char *s, size_t len, uint64_t *out);

#endif
