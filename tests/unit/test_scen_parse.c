/*
 * test_scen_parse.c - the scenario parser: every statement, every error
 * with its line and column, the limits, and hostile input (binary bytes,
 * huge numbers, endless lines, unbalanced blocks).
 */
#include "kernel/scen.h"
#include "tests/unit/ut.h"

static struct scen_prog prog;
static struct scen_error err;

static int parse(const char *s)
{
	return scen_parse(s, strlen(s), &prog, &err);
}

/* The error is at line:col and its message contains what. */
static int err_at(const char *s, unsigned line, unsigned col, const char *what)
{
	if (parse(s) == 0) {
		printf("    # parsed, expected an error: %s\n", s);
		return 0;
	}
	if (err.line != line || err.col != col || !strstr(err.msg, what)) {
		printf("    # %u:%u %s (expected %u:%u ~ %s)\n", err.line,
		       err.col, err.msg, line, col, what);
		return 0;
	}
	return 1;
}

static void test_every_statement(void)
{
	static const char text[] =
		"# cycle: up and down\n"
		"budget 90s\n"
		"target 50%\n"
		"await target 50% within 5s\n"
		"wait size 64M within 20s   # a comment\n"
		"wait settled within 2500ms\n"
		"pin 1000\n"
		"unpin all\n"
		"touch 1G\n"
		"release 12MiB\n"
		"pressure 16M\n"
		"sleep 1s\n"
		"expect size >= 40%\n"
		"expect size <= 1GiB\n"
		"expect target = 7\n"
		"expect alive\n\texpect reserve\n  expect intact\n"
		"expect shortfall\n"
		"expect rss-drop 30M\n"
		"repeat 3 {\n"
		"  churn seed=7 steps=500\n"
		"}\n";
	char t[80];

	UT_CHECK_EQ(parse(text), 0);
	UT_CHECK_STR(prog.about, "cycle: up and down");
	UT_CHECK_EQ(prog.budget_ms, 90000);
	UT_CHECK_EQ(prog.n, 21);
	UT_CHECK_EQ(prog.ops[0].kind, SO_TARGET);
	UT_CHECK_EQ(prog.ops[0].amount.unit, SU_PERCENT);
	UT_CHECK_EQ(prog.ops[0].line, 3);
	UT_CHECK_EQ(prog.ops[2].amount.unit, SU_MIB);
	UT_CHECK_EQ(prog.ops[2].amount.value, 64);
	UT_CHECK_EQ(prog.ops[2].ms, 20000);
	UT_CHECK_EQ(prog.ops[3].kind, SO_WAIT_SETTLED);
	UT_CHECK_EQ(prog.ops[3].ms, 2500);
	UT_CHECK_EQ(prog.ops[5].amount.unit, SU_ALL);
	UT_CHECK_EQ(prog.ops[6].amount.value, 1024); /* 1G in MiB */
	UT_CHECK_EQ(prog.ops[10].cmp, SC_GE);
	UT_CHECK_EQ(prog.ops[11].cmp, SC_LE);
	UT_CHECK_EQ(prog.ops[14].what, SE_RESERVE);
	UT_CHECK_EQ(prog.ops[14].col, 2); /* after the tab */
	UT_CHECK_EQ(prog.ops[18].kind, SO_REPEAT);
	UT_CHECK_EQ(prog.ops[18].count, 3);
	UT_CHECK_EQ(prog.ops[18].jump, 20);
	UT_CHECK_EQ(prog.ops[20].kind, SO_END);
	UT_CHECK_EQ(prog.ops[20].jump, 18);
	UT_CHECK_EQ(prog.ops[19].seed, 7);
	UT_CHECK_EQ(prog.ops[19].steps, 500);
	scen_op_text(&prog.ops[1], t, sizeof(t));
	UT_CHECK_STR(t, "await target 50% within 5s");
	scen_op_text(&prog.ops[3], t, sizeof(t));
	UT_CHECK_STR(t, "wait settled within 2500ms");
	scen_op_text(&prog.ops[10], t, sizeof(t));
	UT_CHECK_STR(t, "expect size >= 40%");
	scen_op_text(&prog.ops[17], t, sizeof(t));
	UT_CHECK_STR(t, "expect rss-drop 30M");
	scen_op_text(&prog.ops[19], t, sizeof(t));
	UT_CHECK_STR(t, "churn seed=7 steps=500");
	UT_CHECK(scen_uses(&prog, SO_EXPECT, SE_RSS_DROP));
	UT_CHECK(!scen_uses(&prog, SO_UNPIN, SE_RSS_DROP));
	UT_CHECK(scen_uses(&prog, SO_PRESSURE, -1));
}

static void test_nested_blocks(void)
{
	UT_CHECK_EQ(parse("repeat 2 {\n repeat 3 {\n touch 1\n }\n release "
			  "all\n}\n"),
		    0);
	UT_CHECK_EQ(prog.n, 6);
	UT_CHECK_EQ(prog.ops[0].jump, 5);
	UT_CHECK_EQ(prog.ops[1].jump, 3);
	UT_CHECK_EQ(prog.ops[3].jump, 1);
	UT_CHECK(err_at("repeat 1 {\nrepeat 1 {\nrepeat 1 {\nrepeat 1 {\n"
			"repeat 1 {\n",
			5, 1, "deeper than 4"));
}

static void test_errors_have_positions(void)
{
	UT_CHECK(err_at("target 50%\nbogus 3\n", 2, 1,
			"unknown statement \"bogus\""));
	UT_CHECK(err_at("target\n", 1, 7, "missing amount"));
	UT_CHECK(err_at("target 50x\n", 1, 10, "unknown unit \"x\""));
	UT_CHECK(err_at("target all\n", 1, 8, "not allowed"));
	UT_CHECK(err_at("target 5O%\n", 1, 9, "unknown unit"));
	UT_CHECK(err_at("touch 1001%\n", 1, 7, "more than 1000%"));
	UT_CHECK(err_at("wait size 5 in 3s\n", 1, 13, "within TIME"));
	UT_CHECK(err_at("wait size 5 within 3\n", 1, 21, "unit"));
	UT_CHECK(err_at("wait size 5 within 3h\n", 1, 21, "unit"));
	UT_CHECK(err_at("wait size 5 within 3601s\n", 1, 20,
			"more than an hour"));
	UT_CHECK(err_at("wait\n", 1, 5, "wait size"));
	UT_CHECK(err_at("await size 5 within 1s\n", 1, 7, "await target"));
	UT_CHECK(err_at("sleep 1s 2s\n", 1, 10, "unexpected \"2s\""));
	UT_CHECK(err_at("expect\n", 1, 7, "expect what?"));
	UT_CHECK(err_at("expect colour\n", 1, 8, "expect what?"));
	UT_CHECK(err_at("expect alive now\n", 1, 14, "unexpected"));
	UT_CHECK(err_at("expect size > 3\n", 1, 13, "bad amount"));
	UT_CHECK(err_at("churn steps=5 seed=1\n", 1, 7, "expected seed=N"));
	UT_CHECK(
		err_at("churn seed=1 steps=1000001\n", 1, 20, "steps must be"));
	UT_CHECK(err_at("churn seed=1 steps=\n", 1, 20, "steps must be"));
	UT_CHECK(err_at("}\n", 1, 1, "without a repeat"));
	UT_CHECK(err_at("repeat 0 {\n}\n", 1, 8, "count from 1"));
	UT_CHECK(err_at("repeat 10001 {\n}\n", 1, 8, "count from 1"));
	UT_CHECK(err_at("repeat 2\n}\n", 1, 9, "expected \"{\""));
	UT_CHECK(err_at("touch 1\n  repeat 2 {\ntouch 1\n", 2, 3,
			"never closed"));
	UT_CHECK(err_at("touch 1\nbudget 5s\n", 2, 1, "first statement"));
	UT_CHECK(err_at("budget 0s\n", 1, 8, "budget of 0"));
	UT_CHECK(err_at("# only a comment\n\n", 1, 1, "no statements"));
	UT_CHECK(err_at("", 1, 1, "no statements"));
}

static void test_hostile_input(void)
{
	static char big[SCEN_MAX_TEXT + 2];
	char line[SCEN_MAX_LINE + 16];
	char many[SCEN_MAX_OPS * 8 + 16];
	size_t n = 0;

	UT_CHECK(err_at("touch 99999999999999999999999\n", 1, 7, "bad amount"));
	UT_CHECK(err_at("touch 68719476737\n", 1, 7, "absurdly large"));
	UT_CHECK(err_at("touch 268435457M\n", 1, 7, "absurdly large"));
	UT_CHECK(err_at("touch 4294967296G\n", 1, 7, "absurdly large"));
	UT_CHECK(err_at("sleep 18446744073709551615s\n", 1, 7,
			"more than an hour"));
	UT_CHECK(err_at("touch 1\ntouch \x01\n", 2, 7, "unexpected byte 0x1"));
	UT_CHECK(err_at("touch 1\xff\n", 1, 8, "unexpected byte 0xff"));
	UT_CHECK(err_at("a b c d e f g h i\n", 1, 17, "too many words"));
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	UT_CHECK(err_at(line, 1, SCEN_MAX_LINE + 1, "longer than"));
	memset(big, '\n', sizeof(big) - 1);
	UT_CHECK(err_at(big, 1, 1, "longer than 65536 bytes"));
	while (n + 8 < sizeof(many)) {
		memcpy(many + n, "touch 1\n", 8);
		n += 8;
	}
	many[n] = '\0';
	UT_CHECK(err_at(many, SCEN_MAX_OPS + 1, 1, "more than 256 statements"));
	/* A NUL inside the given length is a byte like any other. */
	UT_CHECK(scen_parse("touch 1\0junk", 12, &prog, &err) == -1 &&
		 err.col == 8);
	/* Only len bytes are read: the rest of the buffer is not ours. */
	UT_CHECK_EQ(scen_parse("touch 1\nbogus", 8, &prog, &err), 0);
	UT_CHECK_EQ(prog.n, 1);
}

UT_MAIN(UT_TEST(test_every_statement), UT_TEST(test_nested_blocks),
	UT_TEST(test_errors_have_positions), UT_TEST(test_hostile_input))
