/*
 * tap.c - format TAP lines; see tap.h for the shape of the output.
 *
 * Each line is built in a bounded buffer and written in one call. Anything
 * that could break the line structure (newlines in descriptions, '#'
 * starting a fake directive, quotes in YAML) is escaped here, once.
 */
#include <stdarg.h>

#include "kernel/printf.h"
#include "kernel/string.h"
#include "kernel/tap.h"

struct line {
	char buf[TAP_LINE_MAX];
	size_t len;
};

static void add_c(struct line *l, char c)
{
	if (l->len < TAP_LINE_MAX - 5)
		l->buf[l->len++] = c;
	else if (l->len == TAP_LINE_MAX - 5) /* mark the cut once */
		l->buf[l->len++] = '~';
}

static void add_s(struct line *l, const char *s)
{
	while (*s)
		add_c(l, *s++);
}

/* Text in a description or directive reason: one line, no bare '#'. */
static void add_text(struct line *l, const char *s, bool escape_hash)
{
	for (; s && *s; s++) {
		char c = *s;

		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		else if ((unsigned char)c < 0x20 || c == 0x7f)
			c = '?';
		if ((c == '#' || c == '\\') && escape_hash)
			add_c(l, '\\');
		add_c(l, c);
	}
}

static void indent(struct line *l, unsigned spaces)
{
	while (spaces--)
		add_c(l, ' ');
}

static void emit(struct tap *t, struct line *l)
{
	l->buf[l->len++] = '\n';
	t->write(t->ctx, l->buf, l->len);
	l->len = 0;
}

void tap_init(struct tap *t, tap_write_fn write, void *ctx, unsigned version)
{
	memset(t, 0, sizeof(*t));
	t->write = write;
	t->ctx = ctx;
	t->version = version;
}

void tap_header(struct tap *t)
{
	struct line l = { .len = 0 };
	char v[16];

	ksnprintf(v, sizeof(v), "%u", t->version);
	add_s(&l, "TAP version ");
	add_s(&l, v);
	emit(t, &l);
}

void tap_plan(struct tap *t, unsigned n)
{
	struct line l = { .len = 0 };
	char p[32];

	ksnprintf(p, sizeof(p), "1..%u", n);
	indent(&l, 4 * t->depth);
	add_s(&l, p);
	emit(t, &l);
}

void tap_subtest(struct tap *t, const char *name)
{
	struct line l = { .len = 0 };

	indent(&l, 4 * t->depth);
	add_s(&l, "# Subtest: ");
	add_text(&l, name, false);
	emit(t, &l);
	if (t->depth < TAP_MAX_DEPTH)
		t->depth++;
	t->count[t->depth] = 0;
}

unsigned tap_subtest_end(struct tap *t)
{
	unsigned n = t->count[t->depth];

	tap_plan(t, n);
	if (t->depth)
		t->depth--;
	return n;
}

unsigned tap_point(struct tap *t, bool ok, const char *desc,
		   enum tap_directive dir, const char *reason)
{
	struct line l = { .len = 0 };
	char num[16];
	unsigned n = ++t->count[t->depth];

	ksnprintf(num, sizeof(num), "%u", n);
	indent(&l, 4 * t->depth);
	add_s(&l, ok ? "ok " : "not ok ");
	add_s(&l, num);
	if (desc && *desc) {
		add_s(&l, " - ");
		add_text(&l, desc, true);
	}
	if (dir != TAP_NONE) {
		add_s(&l, dir == TAP_SKIP ? " # SKIP" : " # TODO");
		if (reason && *reason) {
			add_c(&l, ' ');
			add_text(&l, reason, false);
		}
	}
	emit(t, &l);
	return n;
}

void tap_yaml_begin(struct tap *t)
{
	struct line l = { .len = 0 };

	indent(&l, 4 * t->depth + 2);
	add_s(&l, "---");
	emit(t, &l);
	t->in_yaml = true;
}

void tap_yaml_kv(struct tap *t, const char *key, const char *value)
{
	struct line l = { .len = 0 };

	indent(&l, 4 * t->depth + 2);
	add_s(&l, key);
	add_s(&l, ": \"");
	for (const char *s = value ? value : ""; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			add_c(&l, '\\');
			add_c(&l, (char)c);
		} else if (c == '\n') {
			add_s(&l, "\\n");
		} else if (c < 0x20 || c == 0x7f) {
			char esc[8];

			ksnprintf(esc, sizeof(esc), "\\x%02x", c);
			add_s(&l, esc);
		} else {
			add_c(&l, (char)c);
		}
	}
	add_c(&l, '"');
	emit(t, &l);
}

void tap_yaml_end(struct tap *t)
{
	struct line l = { .len = 0 };

	indent(&l, 4 * t->depth + 2);
	add_s(&l, "...");
	emit(t, &l);
	t->in_yaml = false;
}

void tap_comment(struct tap *t, const char *fmt, ...)
{
	struct line l = { .len = 0 };
	char body[TAP_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	indent(&l, 4 * t->depth);
	add_s(&l, "# ");
	add_text(&l, body, false);
	emit(t, &l);
}

void tap_bail(struct tap *t, const char *reason)
{
	struct line l = { .len = 0 };

	add_s(&l, "Bail out! ");
	add_text(&l, reason, false);
	emit(t, &l);
}
