/*
 * test_tap.c - the TAP writer produces exactly the lines TAP 14 expects.
 */
#include "kernel/tap.h"
#include "tests/unit/ut.h"

static char out[8192];
static size_t out_len;

static void sink(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	if (out_len + n < sizeof(out)) {
		memcpy(out + out_len, s, n);
		out_len += n;
		out[out_len] = '\0';
	}
}

static struct tap fresh(unsigned version)
{
	struct tap t;

	out_len = 0;
	out[0] = '\0';
	tap_init(&t, sink, NULL, version);
	return t;
}

static void test_header_and_plan(void)
{
	struct tap t = fresh(14);

	tap_header(&t);
	tap_plan(&t, 3);
	UT_CHECK_STR(out, "TAP version 14\n1..3\n");
	t = fresh(13);
	tap_header(&t);
	UT_CHECK_STR(out, "TAP version 13\n");
}

static void test_points_and_directives(void)
{
	struct tap t = fresh(14);

	UT_CHECK_EQ(tap_point(&t, true, "first", TAP_NONE, NULL), 1);
	UT_CHECK_EQ(tap_point(&t, false, "second", TAP_NONE, NULL), 2);
	tap_point(&t, true, "third", TAP_SKIP, "no device");
	tap_point(&t, false, "fourth", TAP_TODO, "spec deviation");
	tap_point(&t, true, "", TAP_NONE, NULL);
	UT_CHECK_STR(out, "ok 1 - first\n"
			  "not ok 2 - second\n"
			  "ok 3 - third # SKIP no device\n"
			  "not ok 4 - fourth # TODO spec deviation\n"
			  "ok 5\n");
}

static void test_escaping(void)
{
	struct tap t = fresh(14);

	tap_point(&t, true, "a # b \\ c\nd", TAP_NONE, NULL);
	UT_CHECK_STR(out, "ok 1 - a \\# b \\\\ c d\n");
	t = fresh(14);
	tap_point(&t, true, "x", TAP_SKIP, "why\nnot");
	UT_CHECK_STR(out, "ok 1 - x # SKIP why not\n");
}

static void test_subtests(void)
{
	struct tap t = fresh(14);

	tap_plan(&t, 1);
	tap_subtest(&t, "suite");
	tap_point(&t, true, "a", TAP_NONE, NULL);
	tap_point(&t, true, "b", TAP_NONE, NULL);
	UT_CHECK_EQ(tap_subtest_end(&t), 2);
	tap_point(&t, true, "suite", TAP_NONE, NULL);
	UT_CHECK_STR(out, "1..1\n"
			  "# Subtest: suite\n"
			  "    ok 1 - a\n"
			  "    ok 2 - b\n"
			  "    1..2\n"
			  "ok 1 - suite\n");
}

static void test_yaml(void)
{
	struct tap t = fresh(14);

	tap_subtest(&t, "s");
	tap_point(&t, false, "x", TAP_NONE, NULL);
	tap_yaml_begin(&t);
	tap_yaml_kv(&t, "got", "say \"hi\"\\\n\x01");
	tap_yaml_end(&t);
	UT_CHECK_STR(out, "# Subtest: s\n"
			  "    not ok 1 - x\n"
			  "      ---\n"
			  "      got: \"say \\\"hi\\\"\\\\\\n\\x01\"\n"
			  "      ...\n");
}

static void test_comment_and_bail(void)
{
	struct tap t = fresh(14);

	tap_subtest(&t, "s");
	tap_comment(&t, "n=%d", 5);
	tap_bail(&t, "crash\nhere");
	UT_CHECK_STR(out, "# Subtest: s\n    # n=5\nBail out! crash here\n");
}

static void test_long_line_is_cut(void)
{
	struct tap t = fresh(14);
	char desc[2000];

	memset(desc, 'a', sizeof(desc) - 1);
	desc[sizeof(desc) - 1] = '\0';
	tap_point(&t, true, desc, TAP_NONE, NULL);
	UT_CHECK(out_len <= TAP_LINE_MAX);
	UT_CHECK_EQ(out[out_len - 1], '\n');
	UT_CHECK(strchr(out, '~') != NULL);
}

static void test_depth_is_bounded(void)
{
	struct tap t = fresh(14);

	for (int i = 0; i < TAP_MAX_DEPTH + 3; i++)
		tap_subtest(&t, "deep");
	UT_CHECK_EQ(t.depth, TAP_MAX_DEPTH);
	for (int i = 0; i < TAP_MAX_DEPTH + 3; i++)
		tap_subtest_end(&t);
	UT_CHECK_EQ(t.depth, 0);
}

UT_MAIN(UT_TEST(test_header_and_plan), UT_TEST(test_points_and_directives),
	UT_TEST(test_escaping), UT_TEST(test_subtests), UT_TEST(test_yaml),
	UT_TEST(test_comment_and_bail), UT_TEST(test_long_line_is_cut),
	UT_TEST(test_depth_is_bounded))
