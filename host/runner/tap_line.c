/*
 * tap_line.c - the TAP 13/14 line grammar (see tap_line.h). Follows the
 * TAP 14 text: "ok"/"not ok" must be followed by a blank or the end, '#'
 * starts a directive unless escaped as "\#", SKIP/TODO are case-blind.
 */
#include "host/runner/tap_line.h"

#include <string.h>
#include <strings.h>

#define TAPL_MAX_DIGITS 9

static bool tapl_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool tapl_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Reads digits; *bad if there are too many to hold. Returns the end. */
static const char *tapl_number(const char *s, unsigned long *v, bool *bad)
{
	int n = 0;

	*v = 0;
	for (; tapl_digit(*s); s++, n++) {
		if (n >= TAPL_MAX_DIGITS)
			*bad = true;
		else
			*v = *v * 10 + (unsigned long)(*s - '0');
	}
	return s;
}

static const char *tapl_skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static size_t tapl_trimmed_len(const char *s, const char *end)
{
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return (size_t)(end - s);
}

/* At s (just after '#'): a SKIP or TODO directive? Sets the reason. */
static enum tapl_directive tapl_directive(const char *s, struct tapl_tok *t)
{
	enum tapl_directive d;

	s = tapl_skip_blanks(s);
	if (!strncasecmp(s, "skip", 4)) {
		d = TAPL_DIR_SKIP;
		for (s += 4; tapl_alpha(*s); s++) /* "skipped" too */
			;
	} else if (!strncasecmp(s, "todo", 4) && !tapl_alpha(s[4])) {
		d = TAPL_DIR_TODO;
		s += 4;
	} else {
		return TAPL_DIR_NONE;
	}
	if (*s && *s != ' ' && *s != '\t' && *s != ':')
		return TAPL_DIR_NONE;
	if (*s == ':')
		s++;
	s = tapl_skip_blanks(s);
	t->reason = s;
	t->reason_len = tapl_trimmed_len(s, s + strlen(s));
	return d;
}

static void tapl_test(const char *s, struct tapl_tok *t)
{
	const char *desc, *end;

	t->kind = TAPL_TEST;
	s = tapl_skip_blanks(s);
	if (tapl_digit(*s)) {
		const char *e = tapl_number(s, &t->num, &t->bad_num);

		if (!*e || *e == ' ' || *e == '\t') {
			t->has_num = true;
			s = tapl_skip_blanks(e);
		} else {
			t->num = 0; /* "ok 1a": a description */
			t->bad_num = false;
		}
	}
	if (*s == '-' && (!s[1] || s[1] == ' ' || s[1] == '\t'))
		s = tapl_skip_blanks(s + 1);
	desc = s;
	end = s + strlen(s);
	for (const char *h = desc; (h = strchr(h, '#')); h++) {
		if (h > desc && h[-1] == '\\')
			continue;
		t->directive = tapl_directive(h + 1, t);
		if (t->directive != TAPL_DIR_NONE) {
			end = h;
			break;
		}
	}
	t->text = desc;
	t->text_len = tapl_trimmed_len(desc, end);
}

static void tapl_plan(const char *s, struct tapl_tok *t)
{
	unsigned long first;
	bool bad = false;
	const char *e = tapl_number(s, &first, &bad);

	if (e[0] != '.' || e[1] != '.' || !tapl_digit(e[2]))
		return;
	e = tapl_number(e + 2, &t->num, &bad);
	e = tapl_skip_blanks(e);
	if (*e == '#')
		t->directive = tapl_directive(e + 1, t);
	else if (*e)
		return; /* "1..3 apples": not a plan */
	t->kind = TAPL_PLAN;
	t->bad_num = bad || first != 1;
	if (t->directive == TAPL_DIR_TODO)
		t->directive = TAPL_DIR_NONE;
}

void tapl_lex(const char *s, struct tapl_tok *t)
{
	memset(t, 0, sizeof(*t));
	t->kind = TAPL_OTHER;
	t->text = "";
	t->reason = "";

	if (!*tapl_skip_blanks(s)) {
		t->kind = TAPL_BLANK;
	} else if (!strncmp(s, "ok", 2) &&
		   (!s[2] || s[2] == ' ' || s[2] == '\t')) {
		t->ok = true;
		tapl_test(s + 2, t);
	} else if (!strncmp(s, "not ok", 6) &&
		   (!s[6] || s[6] == ' ' || s[6] == '\t')) {
		tapl_test(s + 6, t);
	} else if (tapl_digit(*s)) {
		tapl_plan(s, t);
	} else if (!strncasecmp(s, "Bail out!", 9)) {
		t->kind = TAPL_BAIL;
		t->text = tapl_skip_blanks(s + 9);
		t->text_len =
			tapl_trimmed_len(t->text, t->text + strlen(t->text));
	} else if (!strncmp(s, "# Subtest", 9) &&
		   (!s[9] || s[9] == ':' || s[9] == ' ')) {
		t->kind = TAPL_SUBTEST;
		t->text = tapl_skip_blanks(s + 9 + (s[9] == ':'));
		t->text_len =
			tapl_trimmed_len(t->text, t->text + strlen(t->text));
	} else if (*s == '#') {
		t->kind = TAPL_COMMENT;
		t->text = s + 1;
		t->text_len = strlen(s + 1);
	} else if (!strncmp(s, "TAP version ", 12) && tapl_digit(s[12])) {
		const char *e = tapl_number(s + 12, &t->num, &t->bad_num);

		if (!*tapl_skip_blanks(e))
			t->kind = TAPL_VERSION;
	} else if (!strncmp(s, "pragma ", 7) && (s[7] == '+' || s[7] == '-')) {
		t->kind = TAPL_PRAGMA;
	} else if (!strncmp(s, "---", 3) && !*tapl_skip_blanks(s + 3)) {
		t->kind = TAPL_YAML_START;
	} else if (!strncmp(s, "...", 3) && !*tapl_skip_blanks(s + 3)) {
		t->kind = TAPL_YAML_END;
	}
}
