/*
 * util.c - the runner's small shared helpers (see util.h): clock, bounded
 * strings, directories, full writes, sanitising guest text and the
 * "# pinprick-run:" note printer. Nothing here knows about QEMU or TAP.
 */
#include "host/runner/util.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

uint64_t util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool util_strlcpy(char *dst, const char *src, size_t dst_size)
{
	size_t n = strlen(src);
	bool fits = n < dst_size;

	if (!dst_size)
		return false;
	if (!fits)
		n = dst_size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return fits;
}

void util_appendf(char *dst, size_t dst_size, const char *fmt, ...)
{
	size_t used = strnlen(dst, dst_size);
	va_list ap;

	if (used + 1 >= dst_size)
		return;
	va_start(ap, fmt);
	vsnprintf(dst + used, dst_size - used, fmt, ap);
	va_end(ap);
}

int util_mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	size_t len;

	if (!util_strlcpy(tmp, dir, sizeof(tmp))) {
		errno = ENAMETOOLONG;
		return -1;
	}
	len = strlen(tmp);
	while (len > 1 && tmp[len - 1] == '/')
		tmp[--len] = '\0';
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		return -1;
	return 0;
}

int util_mkdir_parent(const char *path)
{
	char tmp[PATH_MAX];
	char *slash;

	if (!util_strlcpy(tmp, path, sizeof(tmp))) {
		errno = ENAMETOOLONG;
		return -1;
	}
	slash = strrchr(tmp, '/');
	if (!slash || slash == tmp)
		return 0;
	*slash = '\0';
	return util_mkdir_p(tmp);
}

int util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

size_t util_sanitize(char *dst, size_t dst_size, const char *src, size_t len)
{
	size_t n = 0;

	if (!dst_size)
		return 0;
	for (size_t i = 0; i < len && n + 1 < dst_size; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[n++] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
	}
	dst[n] = '\0';
	return n;
}

bool util_parse_uint(const char *s, unsigned long min, unsigned long max,
		     unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (ULONG_MAX - 9) / 10)
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

void util_note(const char *fmt, ...)
{
	va_list ap;

	fputs("# pinprick-run: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}
