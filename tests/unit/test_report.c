/*
 * test_report.c - the runner's --csv and --html outputs: parsing the
 * guest's sample and scenario lines (good, malformed, hostile), the caps,
 * CSV quoting, HTML escaping of whatever the guest printed, the plot with
 * no, one and many samples, and progress lines.
 */
#include <stdlib.h>

#include "host/runner/report_html.h"
#include "host/runner/series.h"
#include "host/runner/session.h"
#include "tests/unit/ut.h"

static char *to_string(void (*fn)(const struct series *, FILE *),
		       const struct series *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(s, f);
	fclose(f);
	return buf;
}

static void csv(const struct series *s, FILE *f)
{
	ser_write_csv(s, f);
}

static void test_sample_lines(void)
{
	struct series s = {0};

	UT_CHECK_EQ(ser_guest_line(&s,
				   "    # sample t=12 proto=virtio target=5 "
				   "balloon=4 free=100 workload=1 pinned=2",
				   1000),
		    1);
	UT_CHECK_EQ(s.n, 1);
	UT_CHECK_EQ(s.p[0].t_ms, 1000);
	UT_CHECK_EQ(s.p[0].guest_t_ms, 12);
	UT_CHECK_EQ(s.p[0].target, 5);
	UT_CHECK_EQ(s.p[0].balloon, 4);
	UT_CHECK_EQ(s.p[0].free, 100);
	UT_CHECK_STR(s.p[0].proto, "virtio");
	/* Not a sample at all. */
	UT_CHECK_EQ(ser_guest_line(&s, "ok 1 - sample t=1", 1), 0);
	/* Malformed: missing key, bad number, overflow, hostile proto. */
	UT_CHECK_EQ(ser_guest_line(&s,
				   "# sample t=1 proto=virtio target=5 "
				   "balloon=4",
				   1),
		    -1);
	UT_CHECK_EQ(ser_guest_line(&s,
				   "# sample t=1x proto=v target=5 "
				   "balloon=4 free=1",
				   1),
		    -1);
	UT_CHECK_EQ(ser_guest_line(&s,
				   "# sample t=1 proto=v target="
				   "99999999999999999999 balloon=4 free=1",
				   1),
		    -1);
	UT_CHECK_EQ(ser_guest_line(&s,
				   "# sample t=1 proto=<script> target=5 "
				   "balloon=4 free=1",
				   1),
		    -1);
	UT_CHECK_EQ(ser_guest_line(&s,
				   "# sample t=1 proto=averylongname "
				   "target=5 balloon=4 free=1",
				   1),
		    -1);
	UT_CHECK_EQ(ser_guest_line(&s, "# sample junk", 1), -1);
	UT_CHECK_EQ(s.n, 1);
	/* Markers. */
	UT_CHECK_EQ(ser_guest_line(&s, "# scenario cycle (virtio): start", 5),
		    1);
	UT_CHECK_EQ(ser_guest_line(&s,
				   "# scenario cycle (virtio): passed in "
				   "3 ms",
				   9),
		    1);
	UT_CHECK_EQ(ser_guest_line(&s, "# scenario nonsense", 9), -1);
	UT_CHECK_EQ(s.nm, 2);
	UT_CHECK_STR(s.m[0].text, "cycle (virtio)");
	UT_CHECK(s.m[0].start && !s.m[1].start);
	ser_free(&s);
}

static void test_caps(void)
{
	struct series s = {0};

	for (unsigned i = 0; i < SER_MAX_POINTS + 10; i++)
		ser_runner_rss(&s, i, i);
	UT_CHECK_EQ(s.n, SER_MAX_POINTS);
	UT_CHECK_EQ(s.dropped, 10);
	for (unsigned i = 0; i < SER_MAX_MARKS + 3; i++)
		ser_guest_line(&s, "# scenario x (y): start", i);
	UT_CHECK_EQ(s.nm, SER_MAX_MARKS);
	UT_CHECK_EQ(s.dropped, 13);
	ser_free(&s);
}

static void test_csv(void)
{
	struct series s = {0};
	char *out;

	ser_runner_rss(&s, 10, 2048);
	ser_guest_line(&s, "# scenario a,\"b\" (virtio): start", 20);
	ser_guest_line(
		&s, "# sample t=7 proto=vmware target=1 balloon=2 free=3", 30);
	out = to_string(csv, &s);
	UT_CHECK_STR(out, "source,t_ms,guest_t_ms,target_pages,balloon_pages,"
			  "guest_free_pages,host_rss_kib\r\n"
			  "runner,10,,,,,2048\r\n"
			  "\"mark:a,\"\"b\"\" (virtio) start\",20,,,,,\r\n"
			  "guest:vmware,30,7,1,2,3,\r\n");
	free(out);
	ser_free(&s);
}

static void test_svg(void)
{
	struct series s = {0};
	char *out;

	out = to_string(ser_write_svg, &s);
	UT_CHECK(strstr(out, "No samples") && !strstr(out, "<svg"));
	free(out);
	ser_guest_line(
		&s, "# sample t=7 proto=vmware target=1 balloon=2 free=3", 30);
	out = to_string(ser_write_svg, &s); /* one point: no division by 0 */
	UT_CHECK(strstr(out, "<svg") && strstr(out, "</svg>"));
	UT_CHECK(!strstr(out, "nan") && !strstr(out, "inf"));
	free(out);
	ser_guest_line(&s, "# scenario <b>&x (virtio): start", 40);
	for (unsigned i = 0; i < 10000; i++)
		ser_runner_rss(&s, 50 + i, i);
	out = to_string(ser_write_svg, &s);
	UT_CHECK(strstr(out, "&lt;b&gt;&amp;x") && !strstr(out, "<b>"));
	/* Thinned: no line has more than about 2000 points. */
	UT_CHECK(strlen(out) < 200000);
	free(out);
	ser_free(&s);
}

static void test_html_escapes(void)
{
	static const char log[] = "TAP version 14\n1..2\n"
				  "# Subtest: <script>alert(1)</script>\n"
				  "    not ok 1 - a & b <i>\n"
				  "      ---\n"
				  "      clause: \"virtio 1.2 §5.5.6 <x>\"\n"
				  "      got: \"'\\x01'\"\n"
				  "      ...\n"
				  "    ok 2 - fine\n"
				  "      ---\n"
				  "      clause: \"ref §8\"\n"
				  "      ...\n"
				  "    1..2\n"
				  "not ok 1 - <script>alert(1)</script>\n"
				  "ok 2 - x # SKIP \"why\" </pre>\n";
	struct html_run run = {
		.profile = "p<1>", .status = "fail", .failed = 1};
	FILE *in = fmemopen((void *)log, sizeof(log) - 1, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	UT_CHECK_EQ(html_convert(in, out, &run), 0);
	fclose(out);
	fclose(in);
	UT_CHECK(!strstr(buf, "<script>"));
	UT_CHECK(!strstr(buf, "<i>"));
	UT_CHECK(strstr(buf, "&lt;script&gt;") != NULL);
	UT_CHECK(strstr(buf, "p&lt;1&gt;") != NULL);
	UT_CHECK(strstr(buf, "virtio 1.2 §5.5.6 &lt;x&gt;") != NULL);
	UT_CHECK(strstr(buf, "<td>ref §8</td>") != NULL); /* clause, passing */
	UT_CHECK(strstr(buf, "&lt;/pre&gt;") != NULL);
	UT_CHECK(strstr(buf, "No samples were collected") != NULL);
	/* One row per check: 2 in the subtest, the top-level skip. */
	UT_CHECK(strstr(buf, "<tr class=\"fail\">") != NULL);
	UT_CHECK(strstr(buf, "<tr class=\"skip\">") != NULL);
	UT_CHECK(strstr(buf, "</html>") != NULL);
	free(buf);
}

static void test_progress(void)
{
	char out[128];

	UT_CHECK(sess_progress_line("# suite vmware: passed in 12 ms", 1234,
				    out, sizeof(out)));
	UT_CHECK_STR(out, "[   1.2 s] suite vmware: passed in 12 ms");
	UT_CHECK(!sess_progress_line("    # sample t=1", 1, out, sizeof(out)));
	UT_CHECK(!sess_progress_line("ok 1 - # suite x", 1, out, sizeof(out)));
}

UT_MAIN(UT_TEST(test_sample_lines), UT_TEST(test_caps), UT_TEST(test_csv),
	UT_TEST(test_svg), UT_TEST(test_html_escapes), UT_TEST(test_progress))
