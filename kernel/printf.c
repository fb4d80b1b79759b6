/*
 * printf.c - a small, complete-enough vsnprintf for the kernel.
 *
 * Written for clarity: one pass over the format, one helper that emits a
 * number with sign, prefix, precision and padding. Output past the buffer
 * is counted but not stored, so callers can detect truncation.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kernel/printf.h"
#include "kernel/string.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_repeat(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

struct spec {
	bool left, zero, alt, plus, space;
	int width, prec; /* prec < 0: none */
};

static void put_str(struct out *o, const struct spec *sp, const char *s)
{
	int n;

	if (!s)
		s = "(null)";
	n = (int)strnlen(s, sp->prec >= 0 ? (size_t)sp->prec : SIZE_MAX);
	if (!sp->left)
		put_repeat(o, ' ', sp->width - n);
	for (int i = 0; i < n; i++)
		put(o, s[i]);
	if (sp->left)
		put_repeat(o, ' ', sp->width - n);
}

static void put_num(struct out *o, const struct spec *sp, uint64_t v,
		    bool neg, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	const char *prefix = "";
	int nd = 0, zeros, pad, plen;

	while (v) {
		/* base is 8, 10 or 16, never 0 */
		// cppcheck-suppress zerodivcond
		tmp[nd++] = digits[v % base];
		v /= base;
	}
	if (neg)
		prefix = "-";
	else if (sp->plus)
		prefix = "+";
	else if (sp->space)
		prefix = " ";
	if (sp->alt && base == 16 && nd)
		prefix = upper ? "0X" : "0x";
	if (sp->alt && base == 8 && (sp->prec <= nd))
		prefix = "0";
	plen = (int)strlen(prefix);

	/* Precision 0 with value 0 prints no digits; otherwise at least one. */
	zeros = sp->prec >= 0 ? sp->prec - nd : (nd == 0 ? 1 : 0);
	if (sp->prec < 0 && sp->zero && !sp->left)
		zeros = sp->width - plen - nd;
	if (zeros < 0)
		zeros = 0;
	if (nd == 0 && base == 8 && sp->alt && !zeros)
		zeros = 1, prefix = "", plen = 0;
	pad = sp->width - plen - zeros - nd;

	if (!sp->left)
		put_repeat(o, ' ', pad);
	for (int i = 0; i < plen; i++)
		put(o, prefix[i]);
	put_repeat(o, '0', zeros);
	while (nd)
		put(o, tmp[--nd]);
	if (sp->left)
		put_repeat(o, ' ', pad);
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (const char *p = fmt; *p; p++) {
		struct spec sp = { .prec = -1 };
		int lng = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long */

		if (*p != '%') {
			put(&o, *p);
			continue;
		}
		for (;; p++) {
			if (p[1] == '-')
				sp.left = true;
			else if (p[1] == '0')
				sp.zero = true;
			else if (p[1] == '#')
				sp.alt = true;
			else if (p[1] == '+')
				sp.plus = true;
			else if (p[1] == ' ')
				sp.space = true;
			else
				break;
		}
		p++;
		if (*p == '*') {
			sp.width = va_arg(ap, int);
			if (sp.width < 0) {
				sp.left = true;
				sp.width = -sp.width;
			}
			p++;
		} else {
			while (*p >= '0' && *p <= '9')
				sp.width = sp.width * 10 + (*p++ - '0');
		}
		if (*p == '.') {
			p++;
			sp.prec = 0;
			if (*p == '*') {
				sp.prec = va_arg(ap, int);
				p++;
			} else {
				while (*p >= '0' && *p <= '9')
					sp.prec = sp.prec * 10 + (*p++ - '0');
			}
		}
		for (;; p++) {
			if (*p == 'h')
				lng--;
			else if (*p == 'l')
				lng++;
			else if (*p == 'z' || *p == 'j' || *p == 't')
				lng = 2;
			else
				break;
		}

		switch (*p) {
		case 'd':
		case 'i': {
			int64_t v;

			if (lng >= 1)
				v = lng == 1 ? va_arg(ap, long) : va_arg(ap, long long);
			else
				v = va_arg(ap, int);
			if (lng == -1)
				v = (short)v;
			else if (lng <= -2)
				v = (signed char)v;
			put_num(&o, &sp, v < 0 ? -(uint64_t)v : (uint64_t)v,
				v < 0, 10, false);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			uint64_t v;
			unsigned base = *p == 'u' ? 10 : *p == 'o' ? 8 : 16;

			if (lng >= 1)
				v = lng == 1 ? va_arg(ap, unsigned long)
					     : va_arg(ap, unsigned long long);
			else
				v = va_arg(ap, unsigned int);
			if (lng == -1)
				v = (unsigned short)v;
			else if (lng <= -2)
				v = (unsigned char)v;
			put_num(&o, &sp, v, false, base, *p == 'X');
			break;
		}
		case 'p':
			sp.alt = true;
			put_num(&o, &sp, (uintptr_t)va_arg(ap, void *), false,
				16, false);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);

			if (!sp.left)
				put_repeat(&o, ' ', sp.width - 1);
			put(&o, c);
			if (sp.left)
				put_repeat(&o, ' ', sp.width - 1);
			break;
		}
		case 's':
			put_str(&o, &sp, va_arg(ap, const char *));
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			p--; /* lone % at the end: stop */
			break;
		default: /* unknown: print it as is, visibly */
			put(&o, '%');
			put(&o, *p);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
