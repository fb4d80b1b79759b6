/*
 * test_runner_lines.c - unit tests for the runner's line level: the
 * bounded line splitter that cuts serial output into lines
 * (host/runner/linebuf.c) and the TAP line grammar that says what one
 * line is (tap_line.c). Everything the TAP parser and the control
 * channel see has passed through these two first.
 */
#include "tests/unit/runner_rig.h"

#include "host/runner/linebuf.h"
#include "host/runner/tap_line.h"

/* ---- TAP: the line grammar ---------------------------------------------- */

static void test_tapl_lex(void)
{
	struct tapl_tok t;

	tapl_lex("ok 1 - fine", &t);
	UT_CHECK_EQ(t.kind, TAPL_TEST);
	UT_CHECK(t.ok && t.has_num);
	UT_CHECK_EQ(t.num, 1);
	UT_CHECK_EQ(t.text_len, 4);
	UT_CHECK(!strncmp(t.text, "fine", 4));

	tapl_lex("not ok 23 broken thing # TODO: later ", &t);
	UT_CHECK_EQ(t.kind, TAPL_TEST);
	UT_CHECK(!t.ok);
	UT_CHECK_EQ(t.num, 23);
	UT_CHECK_EQ(t.directive, TAPL_DIR_TODO);
	UT_CHECK_EQ(t.text_len, strlen("broken thing"));
	UT_CHECK_EQ(t.reason_len, 5);

	tapl_lex("ok", &t);
	UT_CHECK(t.kind == TAPL_TEST && !t.has_num && t.text_len == 0);
	tapl_lex("ok - no number # skipped: not here", &t);
	UT_CHECK(t.kind == TAPL_TEST && !t.has_num);
	UT_CHECK_EQ(t.directive, TAPL_DIR_SKIP);
	tapl_lex("ok 2 # sKiP", &t);
	UT_CHECK_EQ(t.directive, TAPL_DIR_SKIP);
	tapl_lex("ok 3 - issue \\# 5 # todos are fine", &t);
	UT_CHECK_EQ(t.directive, TAPL_DIR_NONE);
	tapl_lex("ok 3 - see #12 # TODO x", &t);
	UT_CHECK_EQ(t.directive, TAPL_DIR_TODO);
	UT_CHECK(!strncmp(t.text, "see #12", t.text_len));
	tapl_lex("ok 4 - a # comment, not a directive", &t);
	UT_CHECK_EQ(t.directive, TAPL_DIR_NONE);
	tapl_lex("ok 12345678901 - huge", &t);
	UT_CHECK(t.kind == TAPL_TEST && t.bad_num);

	tapl_lex("okay", &t);
	UT_CHECK_EQ(t.kind, TAPL_OTHER);
	tapl_lex("ok1", &t);
	UT_CHECK_EQ(t.kind, TAPL_OTHER);
	tapl_lex("not okay", &t);
	UT_CHECK_EQ(t.kind, TAPL_OTHER);

	tapl_lex("1..5", &t);
	UT_CHECK(t.kind == TAPL_PLAN && t.num == 5 && !t.bad_num);
	tapl_lex("1..0 # SKIP no hardware", &t);
	UT_CHECK(t.kind == TAPL_PLAN && t.num == 0 &&
		 t.directive == TAPL_DIR_SKIP);
	tapl_lex("2..5", &t);
	UT_CHECK(t.kind == TAPL_PLAN && t.bad_num);
	tapl_lex("1..3 apples", &t);
	UT_CHECK_EQ(t.kind, TAPL_OTHER);
	tapl_lex("1..", &t);
	UT_CHECK_EQ(t.kind, TAPL_OTHER);
	tapl_lex("12 monkeys", &t);
	UT_CHECK_EQ(t.kind, TAPL_OTHER);

	tapl_lex("TAP version 14", &t);
	UT_CHECK(t.kind == TAPL_VERSION && t.num == 14);
	tapl_lex("TAP version 14 extra", &t);
	UT_CHECK_EQ(t.kind, TAPL_OTHER);
	tapl_lex("Bail out! disk on fire", &t);
	UT_CHECK(t.kind == TAPL_BAIL &&
		 !strncmp(t.text, "disk on fire", t.text_len));
	tapl_lex("BAIL OUT!", &t);
	UT_CHECK_EQ(t.kind, TAPL_BAIL);
	tapl_lex("# Subtest: mm", &t);
	UT_CHECK(t.kind == TAPL_SUBTEST && t.text_len == 2);
	tapl_lex("# Subtest", &t);
	UT_CHECK(t.kind == TAPL_SUBTEST && t.text_len == 0);
	tapl_lex("# Subtests are fun", &t);
	UT_CHECK_EQ(t.kind, TAPL_COMMENT);
	tapl_lex("#", &t);
	UT_CHECK_EQ(t.kind, TAPL_COMMENT);
	tapl_lex("pragma +strict", &t);
	UT_CHECK_EQ(t.kind, TAPL_PRAGMA);
	tapl_lex("---", &t);
	UT_CHECK_EQ(t.kind, TAPL_YAML_START);
	tapl_lex("...  ", &t);
	UT_CHECK_EQ(t.kind, TAPL_YAML_END);
	tapl_lex("   ", &t);
	UT_CHECK_EQ(t.kind, TAPL_BLANK);
	tapl_lex("", &t);
	UT_CHECK_EQ(t.kind, TAPL_BLANK);
}

/* ---- line splitting ----------------------------------------------------- */

static char lines_seen[8][32];
static bool lines_cut[8];
static int nlines;

static int collect(void *ctx, char *line, size_t len, bool cut)
{
	(void)ctx;
	if (nlines < 8) {
		snprintf(lines_seen[nlines], sizeof(lines_seen[0]), "%.*s",
			 (int)len, line);
		lines_cut[nlines] = cut;
	}
	nlines++;
	return 0;
}

static void test_linebuf(void)
{
	struct lbuf lb;

	UT_CHECK_EQ(lbuf_init(&lb, 8), 0);
	nlines = 0;
	lbuf_feed(&lb, "ab", 2, collect, NULL);
	lbuf_feed(&lb, "c\nde", 4, collect, NULL);
	lbuf_feed(&lb, "\n12345678\n123456789abc", 22, collect, NULL);
	lbuf_feed(&lb, "def\nxy", 6, collect, NULL);
	UT_CHECK_EQ(nlines, 4);
	UT_CHECK_STR(lines_seen[0], "abc");
	UT_CHECK_STR(lines_seen[1], "de");
	UT_CHECK_STR(lines_seen[2], "12345678");
	UT_CHECK(!lines_cut[2]);
	UT_CHECK_STR(lines_seen[3], "12345678");
	UT_CHECK(lines_cut[3]);
	lbuf_flush(&lb, collect, NULL); /* the pending "xy" */
	UT_CHECK_EQ(nlines, 5);
	UT_CHECK_STR(lines_seen[4], "xy");
	UT_CHECK(!lines_cut[4]);
	lbuf_flush(&lb, collect, NULL);
	UT_CHECK_EQ(nlines, 5);
	/* exactly full, then the newline in the next chunk */
	nlines = 0;
	lbuf_feed(&lb, "ABCDEFGH", 8, collect, NULL);
	lbuf_feed(&lb, "\n", 1, collect, NULL);
	UT_CHECK_EQ(nlines, 1);
	UT_CHECK(!lines_cut[0]);
	lbuf_free(&lb);
}

static void test_linebuf_partial(void)
{
	struct lbuf lb;

	UT_CHECK_EQ(lbuf_init(&lb, 4), 0);
	nlines = 0;
	memset(lines_seen, 0, sizeof(lines_seen));
	lbuf_feed(&lb, "xy", 2, collect, NULL);
	UT_CHECK_EQ(nlines, 0);
	lbuf_flush(&lb, collect, NULL);
	UT_CHECK_EQ(nlines, 1);
	UT_CHECK_STR(lines_seen[0], "xy");
	lbuf_feed(&lb, "toolong", 7, collect, NULL);
	lbuf_feed(&lb, "er\nok\n", 6, collect, NULL);
	UT_CHECK_EQ(nlines, 3);
	UT_CHECK_STR(lines_seen[1], "tool");
	UT_CHECK(lines_cut[1]);
	UT_CHECK_STR(lines_seen[2], "ok");
	lbuf_free(&lb);
}

UT_MAIN(UT_TEST(test_tapl_lex), UT_TEST(test_linebuf),
	UT_TEST(test_linebuf_partial))
