/*
 * test_runner_tap.c - unit tests for the runner's TAP 14 parser
 * (host/runner/tap_parse.c): counts of passes, failures, skips and
 * todos, subtests, summary rules, YAML blocks, bail-outs, plans, test
 * numbers and the version line, structural errors, garbage, over-long
 * lines and the bounds on what the parser keeps. The parser decides
 * whether a run passed, so each rule has a case here.
 */
#include "tests/unit/runner_rig.h"

/* ---- TAP: the parser ---------------------------------------------------- */

static void test_tap_simple(void)
{
	const struct tapp *t = tap_run("booting...\n"
				       "TAP version 14\n"
				       "1..3\n"
				       "ok 1 - one\n"
				       "# a comment\n"
				       "ok 2 - two\n"
				       "ok 3\n"
				       "# pinprick: exit 0\n");

	CHECK_COUNTS(t, 3, 0, 0, 0);
	UT_CHECK(tapp_all_ok(t));
	UT_CHECK_EQ(t->nfindings, 0);
	UT_CHECK_EQ(t->ignored, 1);
	UT_CHECK_EQ(t->version, 14);
	dump_findings(t);

	t = tap_run("TAP version 13\r\nok 1\r\nok 2\r\n1..2\r\n");
	CHECK_COUNTS(t, 2, 0, 0, 0);
	UT_CHECK(tapp_all_ok(t));
	dump_findings(t);

	t = tap_run("TAP version 14\n1..0 # SKIP nothing to do here\n");
	CHECK_COUNTS(t, 0, 0, 0, 0);
	UT_CHECK(tapp_all_ok(t));
}

static void test_tap_fail_skip_todo(void)
{
	const struct tapp *t = tap_run("TAP version 14\n"
				       "1..7\n"
				       "ok 1 - a\n"
				       "not ok 2 - b broke\n"
				       "ok 3 - c # SKIP no disk\n"
				       "not ok 4 - d # TODO not written\n"
				       "ok 5 - e # todo passes unexpectedly\n"
				       "ok 6 - f # skipped: why not\n"
				       "not ok 7 - g\n");

	CHECK_COUNTS(t, 1, 2, 2, 2);
	UT_CHECK(!tapp_all_ok(t));
	UT_CHECK_EQ(t->nfindings, 0);
	UT_CHECK_EQ(t->nfailures, 2);
	UT_CHECK_STR(t->failures[0], "#2 b broke");
	UT_CHECK_STR(t->failures[1], "#7 g");
	dump_findings(t);
}

static void test_tap_subtests(void)
{
	/* TAP 14 layout: "# Subtest" at the parent's indentation */
	const struct tapp *t = tap_run("TAP version 14\n"
				       "1..3\n"
				       "ok 1 - plain\n"
				       "# Subtest: mm\n"
				       "    1..2\n"
				       "    ok 1 - alloc\n"
				       "    # Subtest: deep\n"
				       "        ok 1 - x\n"
				       "        not ok 2 - y\n"
				       "        1..2\n"
				       "    not ok 2 - deep\n"
				       "not ok 2 - mm\n"
				       "    # Subtest: time\n"
				       "    ok 1 - tsc # SKIP none\n"
				       "    1..1\n"
				       "ok 3 - time\n");

	CHECK_COUNTS(t, 3, 1, 1, 0);
	UT_CHECK_EQ(t->nfindings, 0);
	UT_CHECK_EQ(t->nfailures, 1);
	UT_CHECK_STR(t->failures[0], "mm / deep / #2 y");
	dump_findings(t);
}

static void test_tap_summary_rules(void)
{
	/* a failing summary with no failing leaf is itself a failed check */
	const struct tapp *t = tap_run("TAP version 14\n"
				       "1..2\n"
				       "# Subtest: a\n"
				       "    1..1\n"
				       "    ok 1\n"
				       "not ok 1 - a\n"
				       "# Subtest: b\n"
				       "    1..1\n"
				       "    ok 1\n"
				       "not ok 2 - b # TODO known\n");

	CHECK_COUNTS(t, 2, 1, 0, 1);
	UT_CHECK_EQ(t->nfindings, 0);
	UT_CHECK_STR(t->failures[0], "#1 a");

	/* an "ok" summary over a failed leaf is inconsistent */
	t = tap_run(
		"TAP version 14\n1..1\n    1..1\n    not ok 1 - x\nok 1 - s\n");
	CHECK_COUNTS(t, 0, 1, 0, 0);
	UT_CHECK(has_finding(t, "line 5: subtest '(unnamed)' summarised ok but "
				"1 check(s) in it failed"));
}

static void test_tap_yaml(void)
{
	const struct tapp *t = tap_run("TAP version 14\n"
				       "1..3\n"
				       "not ok 1 - first\n"
				       "  ---\n"
				       "  message: 'not ok 9 - inside yaml'\n"
				       "  data:\n"
				       "    - ok 1\n"
				       "\n"
				       "  ...\n"
				       "# Subtest: s\n"
				       "    1..1\n"
				       "    ok 1 - x\n"
				       "      ---\n"
				       "      Bail out! in yaml\n"
				       "      ...\n"
				       "ok 2 - s\n"
				       "ok 3\n");

	CHECK_COUNTS(t, 2, 1, 0, 0);
	UT_CHECK(!t->bailed);
	UT_CHECK_EQ(t->nfindings, 0);
	dump_findings(t);

	/* not closed: noticed when the indentation drops */
	t = tap_run("TAP version 14\n1..2\nok 1\n  ---\n  a: b\nok 2\n");
	CHECK_COUNTS(t, 2, 0, 0, 0);
	UT_CHECK(has_finding(t, "line 6: YAML block from line 4 not closed"));
	t = tap_run("TAP version 14\n1..1\nok 1\n  ---\n  a: b\n");
	UT_CHECK(has_finding(t, "end: YAML block from line 4 not closed"));
	/* "---" not right after a test point is just chatter */
	t = tap_run("TAP version 14\n1..1\n# c\n  ---\nok 1\n");
	CHECK_COUNTS(t, 1, 0, 0, 0);
	UT_CHECK_EQ(t->nfindings, 0);
	UT_CHECK_EQ(t->ignored, 1);
}

static void test_tap_bail(void)
{
	const struct tapp *t = tap_run("TAP version 14\n1..3\nok 1\n"
				       "Bail out! page fault at 0xdead\n"
				       "ok 2\nok 3\n");

	UT_CHECK(t->bailed);
	UT_CHECK_STR(t->bail_reason, "page fault at 0xdead");
	CHECK_COUNTS(t, 1, 0, 0, 0);
	UT_CHECK_EQ(t->nfindings, 0); /* no plan complaint after a bail out */
	UT_CHECK(!tapp_all_ok(t));

	t = tap_run("TAP version 14\n1..1\n# Subtest: x\n    ok 1\n"
		    "    Bail out! nested\n");
	UT_CHECK(t->bailed);
	UT_CHECK_STR(t->bail_reason, "nested");
}

static void test_tap_plans(void)
{
	const struct tapp *t = tap_run("TAP version 14\n1..3\nok 1\nok 2\n");

	UT_CHECK(has_finding(t, "end: planned 3 test(s) but ran 2"));
	UT_CHECK(!tapp_all_ok(t));

	t = tap_run("TAP version 14\nok 1\nok 2\n");
	UT_CHECK(has_finding(t, "end: no plan (1..N) at the top level"));

	t = tap_run("TAP version 14\n1..2\nok 1\nok 2\nok 3\n");
	UT_CHECK(has_finding(t, "planned 2 test(s) but ran 3"));

	t = tap_run("TAP version 14\nok 1\n1..2\nok 2\n");
	UT_CHECK(has_finding(t, "line 4: test point after the plan (line 3)"));

	t = tap_run("TAP version 14\n1..1\n1..1\nok 1\n");
	UT_CHECK(has_finding(t, "line 3: second plan (first on line 2)"));

	t = tap_run("TAP version 14\n2..3\nok 1\n");
	UT_CHECK(has_finding(t, "line 2: bad plan"));

	t = tap_run("TAP version 14\n1..1\n# Subtest: s\n    ok 1\nok 1 - s\n");
	UT_CHECK(has_finding(t, "line 5: subtest 's' has no plan"));

	t = tap_run("TAP version 14\n1..1\n# Subtest: s\n    1..2\n    ok "
		    "1\nok 1 - s\n");
	UT_CHECK(has_finding(
		t, "line 6: subtest 's' planned 2 test(s) but ran 1"));

	t = tap_run("Linux version 6.1\nsome chatter\n");
	UT_CHECK(has_finding(t, "end: no TAP output at all"));
	UT_CHECK_EQ(t->ignored, 2);
}

static void test_tap_numbers_and_version(void)
{
	const struct tapp *t =
		tap_run("TAP version 14\n1..4\nok 1\nok 3\nok\nok 2\n");

	UT_CHECK(has_finding(
		t, "line 4: test number 3 out of sequence (expected 2)"));
	UT_CHECK(has_finding(
		t, "line 6: test number 2 out of sequence (expected 4)"));
	UT_CHECK_EQ(t->nfindings, 2);
	CHECK_COUNTS(t, 4, 0, 0, 0);

	t = tap_run("1..1\nok 1\n");
	UT_CHECK(has_finding(
		t, "line 1: no 'TAP version' line before the first test"));
	t = tap_run("1..1\nTAP version 14\nok 1\n");
	UT_CHECK(has_finding(
		t, "line 2: 'TAP version' is not the first TAP line"));
	t = tap_run("TAP version 12\n1..1\nok 1\n");
	UT_CHECK(has_finding(t, "unsupported TAP version 12"));
	t = tap_run("TAP version 14\nTAP version 14\n1..1\nok 1\n");
	UT_CHECK(has_finding(t, "second 'TAP version' line"));

	/* a TAP 14 subtest may carry its own version line */
	t = tap_run("TAP version 14\n1..1\n# Subtest: s\n    TAP version 14\n"
		    "    1..1\n    ok 1\nok 1 - s\n");
	CHECK_COUNTS(t, 1, 0, 0, 0);
	UT_CHECK_EQ(t->nfindings, 0);
	dump_findings(t);
}

static void test_tap_structure_errors(void)
{
	const struct tapp *t;

	/* a subtest closed by a plan rather than its summary */
	t = tap_run("TAP version 14\n    1..1\n    ok 1\n1..0\n");
	UT_CHECK(has_finding(
		t, "subtest '(unnamed)' (line 2) has no summary test point"));
	/* output ends inside a subtest */
	t = tap_run(
		"TAP version 14\n1..1\n# Subtest: open\n    1..2\n    ok 1\n");
	UT_CHECK(has_finding(
		t, "end: output stopped inside subtest 'open' (line 4)"));
	UT_CHECK(has_finding(t, "planned 1 test(s) but ran 0"));
	/* a failing leaf in an unfinished subtest still counts */
	t = tap_run("TAP version 14\n1..1\n    1..2\n    not ok 1\n");
	CHECK_COUNTS(t, 0, 1, 0, 0);
	/* two levels closed at once: the inner one has no summary */
	t = tap_run("TAP version 14\n1..1\n    1..1\n        1..1\n        ok "
		    "1\nok 1\n");
	UT_CHECK(has_finding(t, "has no summary test point"));
}

static void test_tap_garbage(void)
{
	static const char junk[] = "\x01\x02\xff\xfe garbage \x1b[31m red";
	const struct tapp *t;
	char line[64];

	tapp_init(&tap);
	tapp_line(&tap, "TAP version 14", 14);
	tapp_line(&tap, "1..2", 4);
	tapp_line(&tap, junk, sizeof(junk) - 1);
	tapp_line(&tap, "ok 1 - fine", 11);
	tapp_line(&tap, "okay then", 9);
	tapp_line(&tap, "\tok 5 - tab-indented", 20);
	tapp_line(&tap, "  ok 5 - two spaces", 19);
	tapp_line(&tap, "            ok 5 - three levels too deep", 40);
	tapp_line(&tap, "1..3 apples", 11);
	tapp_line(&tap, "ok 2", 4);
	memcpy(line, "ok\0 3 nul", 9);
	tapp_line(&tap, line, 9); /* NUL ends the line */
	tapp_line(&tap, "", 0);
	tapp_line(&tap, "\r", 1);
	tapp_finish(&tap);
	t = &tap;
	UT_CHECK_EQ(t->ignored, 6);
	/* the NUL line is "ok" with no number: a third test point */
	CHECK_COUNTS(t, 3, 0, 0, 0);
	UT_CHECK(has_finding(t, "planned 2 test(s) but ran 3"));
	/* after the end, everything is ignored */
	tapp_line(&tap, "not ok 4", 8);
	UT_CHECK_EQ(t->failed, 0);
}

static void test_tap_long_lines(void)
{
	size_t n = 3 * TAPP_MAX_LINE;
	char *big = malloc(n + 1);
	const struct tapp *t;

	memset(big, 'x', n);
	memcpy(big, "ok 2 - ", 7);
	big[n] = '\0';
	tapp_init(&tap);
	tapp_line(&tap, "TAP version 14", 14);
	tapp_line(&tap, "1..3", 4);
	tapp_line(&tap, "ok 1", 4);
	tapp_line(&tap, big, n);
	memcpy(big, "# Subtest: ", 11); /* an over-long name is cut */
	tapp_line(&tap, big, n);
	tapp_line(&tap, "    1..1", 8);
	memcpy(big, "    not ok 1 - ", 15);
	tapp_line(&tap, big, n);
	tapp_line(&tap, "not ok 3", 8);
	tapp_finish(&tap);
	t = &tap;
	CHECK_COUNTS(t, 2, 1, 0, 0);
	UT_CHECK_EQ(t->nfindings, 0);
	UT_CHECK_EQ(strlen(t->failures[0]), TAPP_FAILURE_LEN - 1);
	UT_CHECK_EQ(strlen(t->lv[1].name), 63);
	free(big);
	dump_findings(t);
}

static void test_tap_bounds(void)
{
	char line[64];
	const struct tapp *t;

	/* nesting: 10 levels deep; levels 9 and 10 are ignored */
	tapp_init(&tap);
	tapp_line(&tap, "TAP version 14", 14);
	for (int d = 1; d <= 10; d++) {
		snprintf(line, sizeof(line), "%*sok 1", 4 * d, "");
		tapp_line(&tap, line, strlen(line));
	}
	tapp_finish(&tap);
	t = &tap;
	UT_CHECK(has_finding(t, "subtests nested deeper than 8 levels"));
	UT_CHECK_EQ(t->passed, 8);
	UT_CHECK_EQ(t->ignored, 2);

	/* findings and failures are capped, the counts are not */
	tapp_init(&tap);
	tapp_line(&tap, "TAP version 14", 14);
	for (int i = 0; i < 1000; i++) {
		snprintf(line, sizeof(line), "not ok %d - f%d", 2 * i + 2, i);
		tapp_line(&tap, line, strlen(line));
	}
	tapp_finish(&tap);
	UT_CHECK_EQ(t->failed, 1000);
	UT_CHECK_EQ(t->nfindings, TAPP_MAX_FINDINGS);
	UT_CHECK_EQ(tapp_problems(t), 1001); /* 1000 out of order + no plan */
	UT_CHECK_EQ(t->nfailures, TAPP_MAX_FAILURES);
	UT_CHECK_EQ(t->failures_dropped, 1000 - TAPP_MAX_FAILURES);
}

UT_MAIN(UT_TEST(test_tap_simple), UT_TEST(test_tap_fail_skip_todo),
	UT_TEST(test_tap_subtests), UT_TEST(test_tap_summary_rules),
	UT_TEST(test_tap_yaml), UT_TEST(test_tap_bail), UT_TEST(test_tap_plans),
	UT_TEST(test_tap_numbers_and_version),
	UT_TEST(test_tap_structure_errors), UT_TEST(test_tap_garbage),
	UT_TEST(test_tap_long_lines), UT_TEST(test_tap_bounds))
