/*
 * test_junit.c - the runner's TAP-to-JUnit conversion (host/runner/junit.c)
 * on logs as the guest writes them, and on logs a broken or hostile guest
 * could write: the XML must stay well formed and bounded whatever comes.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/runner/junit.h"
#include "tests/unit/ut.h"

static char *convert(const char *tap, const char *status)
{
	FILE *in = fmemopen((void *)tap, strlen(tap), "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	UT_CHECK(in && out);
	UT_CHECK_EQ(junit_convert(in, out, "pc", status), 0);
	fclose(in);
	fclose(out);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static const char *sample =
	"TAP version 14\n"
	"# pinprick 0.1.0: a comment\n"
	"1..3\n"
	"ok 1 - command line: every option recognised (0)\n"
	"# Subtest: virtio-balloon\n"
	"    ok 1 - every balloon feature offered is negotiated\n"
	"    not ok 2 - actual reads back 5\n"
	"      ---\n"
	"      clause: \"§5.5.6.1 D14\"\n"
	"      expected: \"5\"\n"
	"      got: \"4\"\n"
	"      ...\n"
	"    ok 3 - follow by MSI-X # SKIP the device has no MSI-X\n"
	"    not ok 4 - reporting_vq is at index 3 # TODO compacted numbering\n"
	"      ---\n"
	"      clause: \"§5.5.2\"\n"
	"      ...\n"
	"    1..4\n"
	"not ok 2 - virtio-balloon\n"
	"# Subtest: allocator\n"
	"    ok 1 - a & b < c\n"
	"    1..1\n"
	"ok 3 - allocator\n";

static void test_sample(void)
{
	char *x = convert(sample, "fail");

	UT_CHECK(strstr(x, "<testsuites name=\"pinprick pc\" tests=\"6\" "
			   "failures=\"1\" errors=\"0\" skipped=\"2\">"));
	UT_CHECK(strstr(x, "<testsuite name=\"virtio-balloon\" tests=\"4\" "
			   "failures=\"1\" errors=\"0\" skipped=\"2\">"));
	UT_CHECK(strstr(x, "name=\"2 - actual reads back 5\">"));
	/* The YAML diagnostics are the failure's text. */
	UT_CHECK(strstr(x, "clause: &quot;§5.5.6.1 D14&quot;\nexpected: "
			   "&quot;5&quot;\ngot: &quot;4&quot;\n</failure>"));
	UT_CHECK(strstr(x,
			"<skipped message=\"SKIP the device has no MSI-X\"/>"));
	UT_CHECK(strstr(x, "<skipped message=\"TODO compacted numbering\"/>"));
	/* Subtest summaries are not cases; top-level checks are. */
	UT_CHECK_EQ(count(x, "name=\"2 - virtio-balloon\""), 0);
	UT_CHECK(strstr(x, "classname=\"pinprick.pc.pinprick\" name=\"1 - "
			   "command line"));
	UT_CHECK(strstr(x, "name=\"1 - a &amp; b &lt; c\"/>"));
	UT_CHECK_EQ(count(x, "<testcase "), 6);
	UT_CHECK_EQ(count(x, "</testsuites>"), 1);
	free(x);
}

static void test_crash_and_timeout(void)
{
	char *x = convert("TAP version 14\n1..2\n# Subtest: platform\n"
			  "    ok 1 - fine\n"
			  "Bail out! unexpected CPU exception #PF\n",
			  "crash");

	UT_CHECK(
		strstr(x, "<error message=\"unexpected CPU exception #PF\"/>"));
	UT_CHECK(strstr(x, "the run ended with status crash"));
	UT_CHECK(strstr(x, "errors=\"2\""));
	free(x);
	x = convert("", "timeout");
	UT_CHECK(strstr(x, "tests=\"1\" failures=\"0\" errors=\"1\""));
	free(x);
	x = convert("", "pass");
	UT_CHECK(strstr(x, "tests=\"0\""));
	free(x);
}

/* Control characters and broken UTF-8 never reach the XML. */
static void test_hostile_text(void)
{
	char *x = convert("# Subtest: s\x01\n"
			  "    ok 1 - bell\x07 nul-free \xff\xfe bad utf8 "
			  "\xc3\xa9 good\n"
			  "    not ok 2 - quote\" apos'\n"
			  "      ---\n"
			  "      got: \"\x1b[31mred\"\n"
			  "      ...\n"
			  "    1..2\n"
			  "ok 1 - s\n",
			  "fail");

	UT_CHECK(!strchr(x, '\x07') && !strchr(x, '\x1b') &&
		 !strchr(x, '\x01'));
	UT_CHECK(!strstr(x, "\xff") && !strstr(x, "\xfe"));
	UT_CHECK(strstr(x, "\xc3\xa9 good"));
	UT_CHECK(strstr(x, "quote&quot; apos&apos;"));
	UT_CHECK(strstr(x, "got: &quot;?[31mred&quot;"));
	free(x);
}

/* An endless line and endless YAML are cut, not buffered without end. */
static void test_bounds(void)
{
	size_t n = 200000;
	char *tap = malloc(n * 2 + 200), *x, *p;

	p = tap + sprintf(tap, "# Subtest: big\n    not ok 1 - ");
	memset(p, 'a', n);
	p += n;
	p += sprintf(p, "\n      ---\n");
	for (size_t i = 0; i < n / 20; i++)
		p += sprintf(p, "      k: v%06zu\n", i % 1000000);
	sprintf(p, "      ...\n    ok 2 - after\n");
	x = convert(tap, "fail");
	UT_CHECK(strlen(x) < 3 * JUNIT_TEXT + 4 * JUNIT_NAME);
	UT_CHECK(strstr(x, "name=\"2 - after\"/>"));
	UT_CHECK_EQ(count(x, "<testcase "), 2);
	free(x);
	free(tap);
}

static void test_files(void)
{
	char in[] = "/tmp/junit-in-XXXXXX", out[64];
	int fd = mkstemp(in);
	FILE *f;

	UT_CHECK(fd >= 0);
	f = fdopen(fd, "w");
	fputs(sample, f);
	fclose(f);
	snprintf(out, sizeof(out), "%s.xml", in);
	UT_CHECK_EQ(junit_write(in, out, "pc", "fail"), 0);
	UT_CHECK_EQ(junit_write("/nonexistent/log", out, "pc", "fail"), -1);
	UT_CHECK_EQ(junit_write(in, "/nonexistent/dir/x.xml", "pc", "fail"),
		    -1);
	unlink(in);
	unlink(out);
}

UT_MAIN(UT_TEST(test_sample), UT_TEST(test_crash_and_timeout),
	UT_TEST(test_hostile_text), UT_TEST(test_bounds), UT_TEST(test_files))
