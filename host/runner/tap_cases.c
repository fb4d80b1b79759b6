/*
 * tap_cases.c - TAP log to a list of checks (see tap_cases.h).
 */
#include "host/runner/tap_cases.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct tcase *tcases_add(struct tcases *s, const char *suite)
{
	struct tcase *c;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		if (cap > TCASE_MAX)
			cap = TCASE_MAX;
		if (cap <= s->n || !(c = realloc(s->c, cap * sizeof(*c)))) {
			s->dropped++;
			return NULL;
		}
		s->c = c;
		s->cap = cap;
	}
	c = &s->c[s->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->suite, sizeof(c->suite), "%s",
		 suite[0] ? suite : "pinprick");
	return c;
}

static void append_text(struct tcases *s, struct tcase *c, const char *line,
			size_t len)
{
	char *t;

	if (c->text_len + len + 2 > TCASE_TEXT ||
	    s->text_total + len + 2 > TCASE_TEXT_TOTAL)
		return;
	s->text_total += len + 1 + !c->text_len;
	t = realloc(c->text, c->text_len + len + 2);
	if (!t)
		return;
	memcpy(t + c->text_len, line, len);
	c->text_len += len;
	t[c->text_len++] = '\n';
	t[c->text_len] = '\0';
	c->text = t;
}

/* "ok 3 - name # SKIP why" at any indent: fills c; false if not one. */
static bool test_point(const char *p, bool *ok, const char **desc,
		       const char **directive)
{
	if (!strncmp(p, "ok", 2) && (p[2] == ' ' || !p[2])) {
		*ok = true;
		p += 2;
	} else if (!strncmp(p, "not ok", 6) && (p[6] == ' ' || !p[6])) {
		*ok = false;
		p += 6;
	} else {
		return false;
	}
	while (*p == ' ')
		p++;
	*desc = p;
	*directive = strstr(p, " # ");
	return true;
}

static void on_test_point(struct tcases *s, int indent, bool ok,
			  const char *desc, const char *dir)
{
	struct tcase *c;
	size_t dlen = dir ? (size_t)(dir - desc) : strlen(desc);

	s->yaml_owner = NULL;
	if (indent == 0 && s->suite[0]) {
		s->suite[0] = '\0'; /* the subtest's summary line */
		return;
	}
	c = tcases_add(s, s->suite);
	if (!c)
		return;
	c->ok = ok;
	snprintf(c->name, sizeof(c->name), "%.*s", (int)dlen, desc);
	s->yaml_owner = c;
	if (dir && !strncasecmp(dir + 3, "SKIP", 4)) {
		c->kind = TC_SKIP;
		snprintf(c->message, sizeof(c->message), "%s", dir + 3);
	} else if (dir && !strncasecmp(dir + 3, "TODO", 4)) {
		c->kind = TC_TODO;
		snprintf(c->message, sizeof(c->message), "%s", dir + 3);
	} else if (!ok) {
		c->kind = TC_FAIL;
		snprintf(c->message, sizeof(c->message), "%.*s", (int)dlen,
			 desc);
	}
}

/* 'clause: "text"' (as the guest writes it) into c->clause. */
static void take_clause(struct tcase *c, const char *p)
{
	size_t n;

	if (strncmp(p, "clause: ", 8))
		return;
	p += 8;
	if (*p == '"')
		p++;
	n = strlen(p);
	if (n && p[n - 1] == '"')
		n--;
	snprintf(c->clause, sizeof(c->clause), "%.*s", (int)n, p);
}

void tcases_line(struct tcases *s, const char *line)
{
	int indent = 0;
	const char *p = line, *desc, *dir;
	bool ok;

	while (*p == ' ')
		p++;
	indent = (int)(p - line);
	if (s->in_yaml) {
		if (!strcmp(p, "..."))
			s->in_yaml = false;
		else if (s->yaml_owner) {
			append_text(s, s->yaml_owner, p, strlen(p));
			take_clause(s->yaml_owner, p);
		}
		return;
	}
	if (!strcmp(p, "---") && s->yaml_owner) {
		s->in_yaml = true;
		return;
	}
	if (!strncmp(p, "# Subtest: ", 11)) {
		snprintf(s->suite, sizeof(s->suite), "%s", p + 11);
		return;
	}
	if (!strncmp(p, "Bail out!", 9)) {
		struct tcase *c = tcases_add(s, s->suite);

		if (c) {
			c->kind = TC_ERROR;
			snprintf(c->name, sizeof(c->name), "Bail out!");
			snprintf(c->message, sizeof(c->message), "%s",
				 p[9] == ' ' ? p + 10 : p + 9);
		}
		return;
	}
	if (test_point(p, &ok, &desc, &dir))
		on_test_point(s, indent, ok, desc, dir);
}

void tcases_read(struct tcases *s, FILE *in)
{
	char line[TCASE_LINE];

	while (fgets(line, sizeof(line), in)) {
		size_t len = strlen(line);
		bool cut = len && line[len - 1] != '\n';

		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		tcases_line(s, line);
		if (cut) { /* skip the rest of an overlong line */
			int ch;

			while ((ch = fgetc(in)) != EOF && ch != '\n')
				;
		}
	}
}

void tcases_free(struct tcases *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->c[i].text);
	free(s->c);
	memset(s, 0, sizeof(*s));
}

/* XML 1.0 text: escapes, no control characters, only valid UTF-8. */
void tcases_put_text(FILE *f, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		unsigned n = *u < 0x80		   ? 0
			     : (*u & 0xe0) == 0xc0 ? 1
			     : (*u & 0xf0) == 0xe0 ? 2
			     : (*u & 0xf8) == 0xf0 ? 3
						   : 9;
		bool good = n <= 3;

		for (unsigned k = 1; good && k <= n; k++)
			good = (u[k] & 0xc0) == 0x80;
		if (n && good) {
			fwrite(u, 1, n + 1, f);
			u += n + 1;
			continue;
		}
		switch (*u) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		case '\n':
		case '\t':
			fputc(*u, f);
			break;
		default:
			fputc(*u < 0x20 || *u >= 0x7f ? '?' : *u, f);
		}
		u++;
	}
}
