/*
 * tap_parse.c - the TAP state machine (see tap_parse.h): indentation gives
 * the subtest level, a test point right after a subtest ends is its summary
 * (not a check), plans must match, numbers must run 1, 2, 3... Anything it
 * cannot make sense of is either ignored chatter or a finding.
 */
#include "host/runner/tap_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "host/runner/tap_line.h"
#include "host/runner/util.h"

static void tapp_finding(struct tapp *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tapp_finding(struct tapp *t, const char *fmt, ...)
{
	va_list ap;

	if (t->nfindings >= TAPP_MAX_FINDINGS) {
		t->findings_dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(t->findings[t->nfindings++], TAPP_FINDING_LEN, fmt, ap);
	va_end(ap);
}

void tapp_init(struct tapp *t)
{
	memset(t, 0, sizeof(*t));
	t->pending_level = -1;
	t->last_test_indent = -1;
	util_strlcpy(t->lv[0].name, "top level", sizeof(t->lv[0].name));
}

unsigned long tapp_problems(const struct tapp *t)
{
	return t->nfindings + t->findings_dropped;
}

bool tapp_all_ok(const struct tapp *t)
{
	return t->finished && !t->bailed && !t->failed && !tapp_problems(t);
}

/* Remembers a failed check as "subtest / subtest / #N description". */
static void tapp_failure(struct tapp *t, const struct tapl_tok *tok,
			 unsigned long num)
{
	char *f;

	if (t->nfailures >= TAPP_MAX_FAILURES) {
		t->failures_dropped++;
		return;
	}
	f = t->failures[t->nfailures++];
	f[0] = '\0';
	for (int i = 1; i <= t->depth; i++)
		util_appendf(f, TAPP_FAILURE_LEN, "%s / ", t->lv[i].name);
	util_appendf(f, TAPP_FAILURE_LEN, "#%lu %.*s", num,
		     (int)(tok->text_len > 100 ? 100 : tok->text_len),
		     tok->text);
}

static void tapp_no_summary(struct tapp *t)
{
	if (!t->just_closed)
		return;
	tapp_finding(
		t, "line %u: subtest '%s' (line %u) has no summary test point",
		t->lines, t->closed.name, t->closed.open_line);
	t->just_closed = false;
}

static void tapp_open(struct tapp *t, int level)
{
	struct tapp_level *l = &t->lv[level];

	tapp_no_summary(t);
	memset(l, 0, sizeof(*l));
	if (t->pending_level == level || t->pending_level == level - 1)
		util_strlcpy(l->name, t->pending_name, sizeof(l->name));
	else
		util_strlcpy(l->name, "(unnamed)", sizeof(l->name));
	t->pending_level = -1;
	l->open_line = t->lines;
	t->depth = level;
}

static void tapp_check_plan(struct tapp *t, const struct tapp_level *l)
{
	if (!l->has_plan)
		tapp_finding(t, "line %u: %s%s%s has no plan (1..N)", t->lines,
			     t->depth ? "subtest '" : "", l->name,
			     t->depth ? "'" : "");
	else if (l->count != l->planned)
		tapp_finding(t,
			     "line %u: %s%s%s planned %lu test(s) but ran %lu",
			     t->lines, t->depth ? "subtest '" : "", l->name,
			     t->depth ? "'" : "", l->planned, l->count);
}

/* Ends the innermost subtest; its summary may follow. */
static void tapp_close(struct tapp *t)
{
	tapp_no_summary(t);
	tapp_check_plan(t, &t->lv[t->depth]);
	t->closed = t->lv[t->depth];
	t->just_closed = true;
	t->depth--;
	t->lv[t->depth].failed += t->closed.failed;
}

static void tapp_plan(struct tapp *t, const struct tapl_tok *tok)
{
	struct tapp_level *l = &t->lv[t->depth];

	tapp_no_summary(t);
	if (tok->bad_num) {
		tapp_finding(t, "line %u: bad plan (must be 1..N, N < 10^9)",
			     t->lines);
		return;
	}
	if (l->has_plan) {
		tapp_finding(t, "line %u: second plan (first on line %u)",
			     t->lines, l->plan_line);
		return;
	}
	l->has_plan = true;
	l->planned = tok->num;
	l->plan_line = t->lines;
	l->plan_late = l->count > 0;
}

static void tapp_count(struct tapp *t, const struct tapl_tok *tok,
		       unsigned long num)
{
	if (tok->directive == TAPL_DIR_TODO) {
		t->todo++;
	} else if (tok->directive == TAPL_DIR_SKIP) {
		t->skipped++;
	} else if (tok->ok) {
		t->passed++;
	} else {
		t->failed++;
		t->lv[t->depth].failed++;
		tapp_failure(t, tok, num);
	}
}

static void tapp_test(struct tapp *t, const struct tapl_tok *tok, int indent)
{
	struct tapp_level *l = &t->lv[t->depth];
	bool summary = t->just_closed;
	unsigned long num = l->count + 1;

	t->just_closed = false;
	if (l->has_plan && l->plan_late)
		tapp_finding(t, "line %u: test point after the plan (line %u)",
			     t->lines, l->plan_line);
	l->count++;
	if (tok->has_num && (tok->bad_num || tok->num != num))
		tapp_finding(t,
			     "line %u: test number %lu out of sequence "
			     "(expected %lu)",
			     t->lines, tok->num, num);
	if (!summary) {
		tapp_count(t, tok, num);
	} else if (!tok->ok && !t->closed.failed) {
		/* the subtest failed for a reason no leaf shows: count it */
		tapp_count(t, tok, num);
	} else if (tok->ok && t->closed.failed &&
		   tok->directive == TAPL_DIR_NONE) {
		tapp_finding(t,
			     "line %u: subtest '%s' summarised ok but %lu "
			     "check(s) in it failed",
			     t->lines, t->closed.name, t->closed.failed);
	}
	t->last_test_indent = indent;
}

static void tapp_version(struct tapp *t, const struct tapl_tok *tok, int level)
{
	if (level) {
		/* a TAP 14 subtest may open with its own version line */
		if (level == t->depth + 1)
			tapp_open(t, level);
		return;
	}
	if (t->version)
		tapp_finding(t, "line %u: second 'TAP version' line", t->lines);
	else if (t->tap_seen)
		tapp_finding(t,
			     "line %u: 'TAP version' is not the first TAP line",
			     t->lines);
	if (!t->version)
		t->version = (int)(tok->num > 1000 ? 1000 : tok->num);
	if (tok->num != 13 && tok->num != 14)
		tapp_finding(
			t,
			"line %u: unsupported TAP version %lu (want 13 or 14)",
			t->lines, tok->num);
	t->tap_seen = true;
}

/* Returns true if the line belonged to a YAML block. */
static bool tapp_yaml(struct tapp *t, const struct tapl_tok *tok, int indent)
{
	if (t->in_yaml) {
		if (tok->kind == TAPL_YAML_END &&
		    indent == (int)t->yaml_indent) {
			t->in_yaml = false;
			return true;
		}
		if (tok->kind == TAPL_BLANK || indent >= (int)t->yaml_indent)
			return true;
		tapp_finding(t,
			     "line %u: YAML block from line %u not closed with "
			     "'...'",
			     t->lines, t->yaml_line);
		t->in_yaml = false;
		return false;
	}
	if (tok->kind == TAPL_YAML_START && t->last_test_indent >= 0 &&
	    indent == t->last_test_indent + 2) {
		t->in_yaml = true;
		t->yaml_indent = (unsigned)indent;
		t->yaml_line = t->lines;
		return true;
	}
	return false;
}

void tapp_line(struct tapp *t, const char *line, size_t len)
{
	char buf[TAPP_MAX_LINE + 1];
	struct tapl_tok tok;
	int indent = 0, level;

	t->lines++;
	if (t->finished || t->bailed) {
		t->ignored++;
		return;
	}
	if (len > TAPP_MAX_LINE)
		len = TAPP_MAX_LINE;
	memcpy(buf, line, len);
	buf[len] = '\0';
	while (len && (buf[len - 1] == '\r' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	while (buf[indent] == ' ')
		indent++;
	tapl_lex(buf + indent, &tok);
	if (tapp_yaml(t, &tok, indent))
		return;
	if (tok.kind != TAPL_BLANK)
		t->last_test_indent = -1;

	switch (tok.kind) {
	case TAPL_BLANK:
	case TAPL_PRAGMA:
		return;
	case TAPL_BAIL:
		t->bailed = true;
		t->tap_seen = true;
		snprintf(t->bail_reason, sizeof(t->bail_reason), "%.*s",
			 (int)(tok.text_len > 120 ? 120 : tok.text_len),
			 tok.text);
		return;
	case TAPL_SUBTEST:
		if (indent % 4 == 0) {
			snprintf(t->pending_name, sizeof(t->pending_name),
				 "%.*s",
				 (int)(tok.text_len > 63 ? 63 : tok.text_len),
				 tok.text);
			t->pending_level = indent / 4;
		}
		t->comments++;
		return;
	case TAPL_COMMENT:
		t->comments++;
		return;
	case TAPL_VERSION:
	case TAPL_PLAN:
	case TAPL_TEST:
		break;
	default:
		t->ignored++;
		return;
	}

	level = indent / 4;
	if (indent % 4 || level > t->depth + 1) {
		t->ignored++;
		return;
	}
	if (level > TAPP_MAX_DEPTH) {
		if (!t->deep_noted)
			tapp_finding(t,
				     "line %u: subtests nested deeper than %d "
				     "levels",
				     t->lines, TAPP_MAX_DEPTH);
		t->deep_noted = true;
		t->ignored++;
		return;
	}
	if (tok.kind == TAPL_VERSION) {
		tapp_version(t, &tok, level);
		return;
	}
	if (!level && !t->version && !t->version_missing_noted) {
		tapp_finding(
			t,
			"line %u: no 'TAP version' line before the first test",
			t->lines);
		t->version_missing_noted = true;
	}
	t->tap_seen = true;
	if (level == t->depth + 1)
		tapp_open(t, level);
	while (t->depth > level)
		tapp_close(t);
	if (tok.kind == TAPL_PLAN)
		tapp_plan(t, &tok);
	else
		tapp_test(t, &tok, indent);
}

void tapp_finish(struct tapp *t)
{
	if (t->finished)
		return;
	t->finished = true;
	if (t->bailed)
		return;
	if (t->in_yaml)
		tapp_finding(
			t, "end: YAML block from line %u not closed with '...'",
			t->yaml_line);
	if (t->depth > 0)
		tapp_finding(
			t, "end: output stopped inside subtest '%s' (line %u)",
			t->lv[t->depth].name, t->lv[t->depth].open_line);
	while (t->depth > 0) {
		t->lv[t->depth - 1].failed += t->lv[t->depth].failed;
		t->depth--;
	}
	t->just_closed = false;
	if (!t->tap_seen)
		tapp_finding(t, "end: no TAP output at all");
	else if (!t->lv[0].has_plan)
		tapp_finding(t, "end: no plan (1..N) at the top level");
	else if (t->lv[0].count != t->lv[0].planned)
		tapp_finding(t, "end: planned %lu test(s) but ran %lu",
			     t->lv[0].planned, t->lv[0].count);
}
