/*
 * util.h - small helpers shared by the runner's files: the monotonic clock,
 * bounded string copies, "mkdir -p", writing everything to a descriptor and
 * making guest text safe to print. Kept here so each other file can stay
 * about one idea.
 */
#ifndef PINPRICK_RUNNER_UTIL_H
#define PINPRICK_RUNNER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Milliseconds on CLOCK_MONOTONIC; never goes backwards. */
uint64_t util_now_ms(void);

/* Copies at most dst_size - 1 bytes and always terminates; returns false if
 * cut. */
bool util_strlcpy(char *dst, const char *src, size_t dst_size);

/* snprintf that appends to dst; never overflows, silently cuts. */
void util_appendf(char *dst, size_t dst_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Creates dir and its parents (mode 0755); 0 or -1 with errno set. */
int util_mkdir_p(const char *dir);

/* Creates the directory that will contain path ("a/b/c.log" -> "a/b"). */
int util_mkdir_parent(const char *path);

/* write() until done, retrying EINTR; 0 or -1 with errno set. */
int util_write_all(int fd, const void *buf, size_t len);

/*
 * Copies guest bytes into dst (size dst_size, always terminated), replacing
 * control characters other than tab and bytes 0x7f by '?', so that neither
 * the terminal nor string handling can be confused by what a guest sends.
 * Returns the number of bytes stored.
 */
size_t util_sanitize(char *dst, size_t dst_size, const char *src, size_t len);

/* Parses a whole decimal unsigned number in [min, max]; false otherwise. */
bool util_parse_uint(const char *s, unsigned long min, unsigned long max,
		     unsigned long *out);

/* Prints "# pinprick-run: <msg>" on stdout and flushes. */
void util_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
