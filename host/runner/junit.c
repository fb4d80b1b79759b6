/*
 * junit.c - the guest's TAP log as JUnit XML, for CI systems that show
 * test results from JUnit files (GitLab, Jenkins, GitHub actions).
 *
 * Mapping: each "# Subtest: NAME" is a <testsuite>, each check inside it
 * a <testcase> named "N - description". `not ok` is a <failure> whose
 * text is the check's YAML diagnostics (expected, got, clause); `# SKIP`
 * is <skipped>; a `not ok # TODO` (a documented deviation) is <skipped>
 * with the reason, since it is not a failure. Top-level checks that are
 * not subtest summaries go into a suite named "pinprick"; a Bail out! or
 * a run that did not end well (crash, timeout) becomes an <error>.
 *
 * The log comes from the guest and is not trusted: lines are cut at
 * JUNIT_LINE, diagnostics at JUNIT_TEXT, the number of cases is capped,
 * and everything is escaped so that control characters or broken UTF-8
 * cannot make the XML invalid.
 */
#include "host/runner/junit.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct jcase {
	char suite[64];
	char name[JUNIT_NAME];
	enum { J_PASS, J_FAIL, J_SKIP, J_ERROR } kind;
	char message[JUNIT_NAME];
	char *text; /* YAML diagnostics of a failure, or NULL */
	size_t text_len;
};

struct jstate {
	struct jcase *c;
	size_t n, cap;
	unsigned long dropped;
	char suite[64];		  /* the open subtest, "" at top level */
	struct jcase *yaml_owner; /* the failure collecting YAML */
	bool in_yaml;
};

static struct jcase *add_case(struct jstate *s, const char *suite)
{
	struct jcase *c;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		if (cap > JUNIT_MAX_CASES ||
		    !(c = realloc(s->c, cap * sizeof(*c)))) {
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

static void append_text(struct jcase *c, const char *line, size_t len)
{
	char *t;

	if (c->text_len + len + 2 > JUNIT_TEXT)
		return;
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

static void on_test_point(struct jstate *s, int indent, bool ok,
			  const char *desc, const char *dir)
{
	struct jcase *c;
	size_t dlen = dir ? (size_t)(dir - desc) : strlen(desc);

	s->yaml_owner = NULL;
	if (indent == 0 && s->suite[0]) {
		s->suite[0] = '\0'; /* the subtest's summary line */
		return;
	}
	c = add_case(s, s->suite);
	if (!c)
		return;
	snprintf(c->name, sizeof(c->name), "%.*s", (int)dlen, desc);
	if (dir && !strncasecmp(dir + 3, "SKIP", 4)) {
		c->kind = J_SKIP;
		snprintf(c->message, sizeof(c->message), "%s", dir + 3);
	} else if (dir && !strncasecmp(dir + 3, "TODO", 4)) {
		c->kind = ok ? J_PASS : J_SKIP;
		snprintf(c->message, sizeof(c->message), "%s", dir + 3);
	} else if (!ok) {
		c->kind = J_FAIL;
		snprintf(c->message, sizeof(c->message), "%.*s", (int)dlen,
			 desc);
		s->yaml_owner = c;
	}
}

static void on_line(struct jstate *s, const char *line, size_t len)
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
		else if (s->yaml_owner)
			append_text(s->yaml_owner, p, strlen(p));
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
		struct jcase *c = add_case(s, s->suite);

		if (c) {
			c->kind = J_ERROR;
			snprintf(c->name, sizeof(c->name), "Bail out!");
			snprintf(c->message, sizeof(c->message), "%s",
				 p[9] == ' ' ? p + 10 : p + 9);
		}
		return;
	}
	if (test_point(p, &ok, &desc, &dir))
		on_test_point(s, indent, ok, desc, dir);
	(void)len;
}

/* XML 1.0 text: escapes, no control characters, only valid UTF-8. */
static void put_text(FILE *f, const char *s)
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

static void write_suite(FILE *f, const struct jstate *s, size_t from, size_t to,
			const char *profile)
{
	unsigned long fail = 0, err = 0, skip = 0;

	for (size_t i = from; i < to; i++) {
		fail += s->c[i].kind == J_FAIL;
		err += s->c[i].kind == J_ERROR;
		skip += s->c[i].kind == J_SKIP;
	}
	fputs("  <testsuite name=\"", f);
	put_text(f, s->c[from].suite);
	fprintf(f,
		"\" tests=\"%zu\" failures=\"%lu\" errors=\"%lu\" "
		"skipped=\"%lu\">\n",
		to - from, fail, err, skip);
	for (size_t i = from; i < to; i++) {
		const struct jcase *c = &s->c[i];

		fputs("    <testcase classname=\"pinprick.", f);
		put_text(f, profile);
		fputc('.', f);
		put_text(f, c->suite);
		fputs("\" name=\"", f);
		put_text(f, c->name);
		if (c->kind == J_PASS) {
			fputs("\"/>\n", f);
			continue;
		}
		fprintf(f, "\">\n      <%s message=\"",
			c->kind == J_FAIL   ? "failure"
			: c->kind == J_SKIP ? "skipped"
					    : "error");
		put_text(f, c->message);
		if (c->kind == J_FAIL && c->text) {
			fputs("\">", f);
			put_text(f, c->text);
			fputs("</failure>\n", f);
		} else {
			fputs("\"/>\n", f);
		}
		fputs("    </testcase>\n", f);
	}
	fputs("  </testsuite>\n", f);
}

int junit_convert(FILE *in, FILE *out, const char *profile, const char *status)
{
	struct jstate s = {0};
	char line[JUNIT_LINE];
	unsigned long fail = 0, err = 0, skip = 0;

	while (fgets(line, sizeof(line), in)) {
		size_t len = strlen(line);
		bool cut = len && line[len - 1] != '\n';

		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		on_line(&s, line, len);
		if (cut) { /* skip the rest of an overlong line */
			int ch;

			while ((ch = fgetc(in)) != EOF && ch != '\n')
				;
		}
	}
	if (status && strcmp(status, "pass") && strcmp(status, "fail")) {
		struct jcase *c = add_case(&s, "");

		if (c) {
			c->kind = J_ERROR;
			snprintf(c->name, sizeof(c->name), "the run");
			snprintf(c->message, sizeof(c->message),
				 "the run ended with status %s", status);
		}
	}
	for (size_t i = 0; i < s.n; i++) {
		fail += s.c[i].kind == J_FAIL;
		err += s.c[i].kind == J_ERROR;
		skip += s.c[i].kind == J_SKIP;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "
	      "name=\"pinprick ",
	      out);
	put_text(out, profile);
	fprintf(out,
		"\" tests=\"%zu\" failures=\"%lu\" errors=\"%lu\" "
		"skipped=\"%lu\">\n",
		s.n, fail, err, skip);
	/* Cases of one suite are contiguous except "pinprick", which may
	 * be split around subtests: one <testsuite> per run of cases. */
	for (size_t i = 0, j; i < s.n; i = j) {
		for (j = i + 1; j < s.n && !strcmp(s.c[j].suite, s.c[i].suite);
		     j++)
			;
		write_suite(out, &s, i, j, profile);
	}
	if (s.dropped)
		fprintf(out, "  <!-- %lu checks beyond %d not listed -->\n",
			s.dropped, JUNIT_MAX_CASES);
	fputs("</testsuites>\n", out);
	for (size_t i = 0; i < s.n; i++)
		free(s.c[i].text);
	free(s.c);
	return ferror(out) ? -1 : 0;
}

int junit_write(const char *log_path, const char *out_path, const char *profile,
		const char *status)
{
	FILE *in = fopen(log_path, "r"), *out;
	int rc;

	if (!in)
		return -1;
	out = fopen(out_path, "w");
	if (!out) {
		fclose(in);
		return -1;
	}
	rc = junit_convert(in, out, profile, status);
	fclose(in);
	if (fclose(out))
		rc = -1;
	return rc;
}
