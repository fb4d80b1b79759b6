/*
 * report_html.c - the HTML report: verdict and counts, the balloon
 * timeline (series_svg.c), one table row per check with its clause, and
 * the raw serial log. One file with inline CSS and SVG and no script, so
 * it can be attached to a CI job and opened anywhere offline.
 *
 * Everything that came from the guest is escaped (tcases_put_text); the
 * log shown is cut at HTML_LOG_MAX bytes, with a note.
 */
#include "host/runner/report_html.h"

#include <stdio.h>
#include <string.h>

#include "host/runner/outfile.h"
#include "host/runner/tap_cases.h"

static const char style[] =
	"body{font-family:sans-serif;margin:1.5em;color:#222}"
	"table{border-collapse:collapse;font-size:13px;width:100%}"
	"td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top;"
	"text-align:left}th{background:#eee}"
	"tr.fail{background:#fdd}tr.skip{background:#f4f4f4;color:#666}"
	"tr.todo{background:#ffe}tr.error{background:#fbb}"
	"pre{background:#f6f6f6;padding:8px;font-size:12px;overflow:auto;"
	"max-height:40em}.pass{color:#080}.failv{color:#c00}"
	".note{color:#666}details pre{max-height:none}";

static const char *kind_name(const struct tcase *c)
{
	switch (c->kind) {
	case TC_FAIL:
		return "not ok";
	case TC_SKIP:
		return "skip";
	case TC_TODO:
		return c->ok ? "ok (todo)" : "todo";
	case TC_ERROR:
		return "error";
	default:
		return "ok";
	}
}

static const char *row_class(const struct tcase *c)
{
	switch (c->kind) {
	case TC_FAIL:
		return "fail";
	case TC_SKIP:
		return "skip";
	case TC_TODO:
		return "todo";
	case TC_ERROR:
		return "error";
	default:
		return "ok";
	}
}

static void table(FILE *out, const struct tcases *tc)
{
	fputs("<table>\n<tr><th>suite</th><th>check</th><th>result</th>"
	      "<th>clause</th><th>details</th></tr>\n",
	      out);
	for (size_t i = 0; i < tc->n; i++) {
		const struct tcase *c = &tc->c[i];

		fprintf(out, "<tr class=\"%s\"><td>", row_class(c));
		tcases_put_text(out, c->suite);
		fputs("</td><td>", out);
		tcases_put_text(out, c->name);
		fprintf(out, "</td><td>%s</td><td>", kind_name(c));
		tcases_put_text(out, c->clause);
		fputs("</td><td>", out);
		if (c->kind == TC_SKIP || c->kind == TC_TODO ||
		    c->kind == TC_ERROR)
			tcases_put_text(out, c->message);
		if (c->text && c->kind != TC_PASS) {
			fputs("<pre>", out);
			tcases_put_text(out, c->text);
			fputs("</pre>", out);
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
	if (tc->dropped)
		fprintf(out,
			"<p class=\"note\">%lu further checks not "
			"listed.</p>\n",
			tc->dropped);
}

/*
 * How many bytes at the end of b[0..n) begin a UTF-8 character that is
 * not complete yet: they wait for the next read instead of being shown
 * as broken ('?') because a read ended in the middle of the character.
 */
static size_t utf8_tail(const unsigned char *b, size_t n)
{
	for (size_t k = 1; k <= 3 && k <= n; k++) {
		unsigned char c = b[n - k];
		size_t need;

		if ((c & 0xc0) == 0x80)
			continue; /* a continuation byte: look further back */
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return need > k ? k : 0;
	}
	return 0;
}

static void raw_log(FILE *log, FILE *out)
{
	char buf[4096], tail[4];
	size_t n, have = 0, keep, total = 0;
	bool cut = false, last;

	fputs("<details><summary>Raw serial log (COM1)</summary><pre>", out);
	for (;;) {
		n = have + fread(buf + have, 1, sizeof(buf) - 1 - have, log);
		last = n == have; /* the end, or a read error */
		if (!n)
			break;
		if (total + n > HTML_LOG_MAX) {
			n = HTML_LOG_MAX - total;
			cut = true;
		}
		keep = cut || last ? 0 : utf8_tail((unsigned char *)buf, n);
		n -= keep;
		memcpy(tail, buf + n, keep);
		buf[n] = '\0';
		/* A NUL inside the log ends put_text early: replace it. */
		for (size_t i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = '?';
		tcases_put_text(out, buf);
		total += n;
		memcpy(buf, tail, keep);
		have = keep;
		if (cut || last)
			break;
	}
	fputs("</pre></details>\n", out);
	if (cut)
		fprintf(out,
			"<p class=\"note\">The log is cut at %u bytes here; "
			"the whole log is in the file given to --log.</p>\n",
			HTML_LOG_MAX);
}

int html_convert(FILE *log, FILE *out, const struct html_run *run)
{
	struct tcases tc = {0};
	bool good = run->status && !strcmp(run->status, "pass");

	tcases_read(&tc, log);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	      "charset=\"utf-8\"><title>pinprick: ",
	      out);
	tcases_put_text(out, run->profile);
	fputs(" - ", out);
	tcases_put_text(out, run->status ? run->status : "unknown");
	fprintf(out, "</title><style>%s</style></head><body>\n<h1>pinprick: ",
		style);
	tcases_put_text(out, run->profile);
	fprintf(out, " <span class=\"%s\">", good ? "pass" : "failv");
	tcases_put_text(out, run->status ? run->status : "unknown");
	fputs("</span></h1>\n<p>", out);
	tcases_put_text(out, run->description ? run->description : "");
	fprintf(out,
		"</p>\n<p>%lu passed, %lu failed, %lu skipped, %lu todo.</p>\n"
		"<h2>Balloon timeline</h2>\n",
		run->passed, run->failed, run->skipped, run->todo);
	if (run->series)
		ser_write_svg(run->series, out);
	else
		fputs("<p class=\"note\">No samples were collected.</p>\n",
		      out);
	fputs("<h2>Checks</h2>\n", out);
	table(out, &tc);
	tcases_free(&tc);
	fputs("<h2>Log</h2>\n", out);
	rewind(log);
	raw_log(log, out);
	fputs("</body></html>\n", out);
	return ferror(out) ? -1 : 0;
}

int html_write(const char *log_path, const char *out_path,
	       const struct html_run *run)
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
	rc = html_convert(in, o.f, run);
	fclose(in);
	return outf_commit(&o, rc == 0);
}
