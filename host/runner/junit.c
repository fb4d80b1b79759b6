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
#include "host/runner/outfile.h"
#include "host/runner/tap_cases.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void write_suite(FILE *f, const struct tcases *s, size_t from, size_t to,
			const char *profile)
{
	unsigned long fail = 0, err = 0, skip = 0;

	for (size_t i = from; i < to; i++) {
		fail += s->c[i].kind == TC_FAIL;
		err += s->c[i].kind == TC_ERROR;
		skip += s->c[i].kind == TC_SKIP ||
			(s->c[i].kind == TC_TODO && !s->c[i].ok);
	}
	fputs("  <testsuite name=\"", f);
	tcases_put_text(f, s->c[from].suite);
	fprintf(f,
		"\" tests=\"%zu\" failures=\"%lu\" errors=\"%lu\" "
		"skipped=\"%lu\">\n",
		to - from, fail, err, skip);
	for (size_t i = from; i < to; i++) {
		const struct tcase *c = &s->c[i];

		fputs("    <testcase classname=\"pinprick.", f);
		tcases_put_text(f, profile);
		fputc('.', f);
		tcases_put_text(f, c->suite);
		fputs("\" name=\"", f);
		tcases_put_text(f, c->name);
		if (c->kind == TC_PASS || (c->kind == TC_TODO && c->ok)) {
			fputs("\"/>\n", f);
			continue;
		}
		fprintf(f, "\">\n      <%s message=\"",
			c->kind == TC_FAIL    ? "failure"
			: c->kind == TC_ERROR ? "error"
					      : "skipped");
		tcases_put_text(f, c->message);
		if (c->kind == TC_FAIL && c->text) {
			fputs("\">", f);
			tcases_put_text(f, c->text);
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
	struct tcases s = {0};
	unsigned long fail = 0, err = 0, skip = 0;

	tcases_read(&s, in);
	if (status && strcmp(status, "pass") && strcmp(status, "fail")) {
		struct tcase *c = tcases_add(&s, "");

		if (c) {
			c->kind = TC_ERROR;
			snprintf(c->name, sizeof(c->name), "the run");
			snprintf(c->message, sizeof(c->message),
				 "the run ended with status %s", status);
		}
	}
	for (size_t i = 0; i < s.n; i++) {
		fail += s.c[i].kind == TC_FAIL;
		err += s.c[i].kind == TC_ERROR;
		skip += s.c[i].kind == TC_SKIP ||
			(s.c[i].kind == TC_TODO && !s.c[i].ok);
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "
	      "name=\"pinprick ",
	      out);
	tcases_put_text(out, profile);
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
			s.dropped, TCASE_MAX);
	fputs("</testsuites>\n", out);
	tcases_free(&s);
	return ferror(out) ? -1 : 0;
}

int junit_write(const char *log_path, const char *out_path, const char *profile,
		const char *status)
{
	FILE *in = fopen(log_path, "r");
	struct outf o;
	int rc;

	if (!in)
		return -1;
	if (outf_open(&o, out_path)) {
		fclose(in);
		return -1;
	}
	rc = junit_convert(in, o.f, profile, status);
	fclose(in);
	return outf_commit(&o, rc == 0);
}
