/*
 * test_report.c - the runner's --csv and --html outputs: parsing the
 * guest's sample and scenario lines (good, malformed, overlong, hostile),
 * the caps, CSV quoting, HTML escaping of whatever the guest printed, the
 * plot with no, one and many samples, QEMU's balloon size over QMP (a
 * scripted fake QEMU), progress lines, and report files (checked before
 * the run, replaced whole or not at all).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "host/runner/chan.h"
#include "host/runner/outfile.h"
#include "host/runner/report_html.h"
#include "host/runner/series.h"
#include "host/runner/session.h"
#include "host/runner/util.h"
#include "tests/unit/fake_qmp.h"
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

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
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
	UT_CHECK_EQ(ser_guest_line(&s,
				   "  # scenario cycle (vmware): FAILED in "
				   "12 ms",
				   10),
		    1);
	UT_CHECK_EQ(ser_guest_line(&s, "# scenario nonsense", 9), -1);
	/* Only the endings the guest prints. */
	UT_CHECK_EQ(ser_guest_line(&s, "# scenario a (b): maybe", 9), -1);
	UT_CHECK_EQ(ser_guest_line(&s, "# scenario a (b): passed in x ms", 9),
		    -1);
	UT_CHECK_EQ(ser_guest_line(&s, "# scenario a (b): passed in 3", 9), -1);
	UT_CHECK_EQ(ser_guest_line(&s, "# scenario ): start", 9), -1);
	UT_CHECK_EQ(s.nm, 3);
	UT_CHECK_STR(s.m[0].text, "cycle (virtio)");
	UT_CHECK(s.m[0].start && !s.m[1].start && !s.m[1].failed);
	UT_CHECK(!s.m[2].start && s.m[2].failed);
	ser_free(&s);
}

/* Lines as long as the session passes on (SESS_LINE_MAX), and longer. */
static void test_overlong(void)
{
	struct series s = {0};
	char line[SESS_LINE_MAX * 2];
	int n;

	/* a valid sample padded with unknown keys is still a sample */
	n = snprintf(line, sizeof(line),
		     "# sample t=1 proto=virtio target=2 balloon=3 free=4");
	while (n < SESS_LINE_MAX - 8)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " pad=%d", n);
	UT_CHECK_EQ(ser_guest_line(&s, line, 1), 1);
	/* one huge number or name: refused, nothing overruns */
	memset(line, '9', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "# sample t=", 11);
	UT_CHECK_EQ(ser_guest_line(&s, line, 2), -1);
	memcpy(line, "# scenario ", 11);
	memcpy(line + sizeof(line) - 12, " (v): maybe", 11);
	UT_CHECK_EQ(ser_guest_line(&s, line, 3), -1);
	memcpy(line + sizeof(line) - 12, " (v): start", 11);
	UT_CHECK_EQ(ser_guest_line(&s, line, 4), 1); /* name cut */
	UT_CHECK_EQ(s.n, 1);
	UT_CHECK_EQ(s.nm, 1);
	UT_CHECK(strlen(s.m[0].text) < sizeof(s.m[0].text));
	/* the largest uint64 fits; one more does not */
	UT_CHECK_EQ(ser_guest_line(&s,
				   "# sample t=18446744073709551615 proto=v "
				   "target=0 balloon=0 free=0",
				   5),
		    1);
	UT_CHECK(s.p[1].guest_t_ms == UINT64_MAX);
	UT_CHECK_EQ(ser_guest_line(&s,
				   "# sample t=18446744073709551616 proto=v "
				   "target=0 balloon=0 free=0",
				   5),
		    -1);
	ser_free(&s);
}

static void test_caps(void)
{
	struct series s = {0};

	for (unsigned i = 0; i < SER_MAX_POINTS + 10; i++)
		ser_runner(&s, i, i, SER_NONE);
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

	ser_runner(&s, 10, 2048, SER_NONE);
	ser_guest_line(&s, "# scenario a,\"b\" (virtio): start", 20);
	ser_guest_line(
		&s, "# sample t=7 proto=vmware target=1 balloon=2 free=3", 30);
	ser_runner(&s, 35, SER_NONE, SER_NONE); /* nothing known: no row */
	ser_runner(&s, 40, 4096, 512);
	ser_guest_line(&s, "# scenario a,\"b\" (virtio): passed in 1 ms", 50);
	ser_guest_line(&s, "# scenario x\r\ny (virtio): start", 60);
	out = to_string(csv, &s);
	UT_CHECK_STR(out, "source,t_ms,guest_t_ms,target_pages,balloon_pages,"
			  "guest_free_pages,host_rss_kib\r\n"
			  "runner,10,,,,,2048\r\n"
			  "\"mark:a,\"\"b\"\" (virtio) start\",20,,,,,\r\n"
			  "guest:vmware,30,7,1,2,3,\r\n"
			  "runner,40,,,512,,4096\r\n"
			  "\"mark:a,\"\"b\"\" (virtio) end\",50,,,,,\r\n"
			  "\"mark:x\r\ny (virtio) start\",60,,,,,\r\n");
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
		ser_runner(&s, 50 + i, i, i % 7 ? i : SER_NONE);
	out = to_string(ser_write_svg, &s);
	UT_CHECK(strstr(out, "&lt;b&gt;&amp;x") && !strstr(out, "<b>"));
	/* Five lines, a legend entry each. */
	UT_CHECK(count(out, "<polyline") == 5);
	UT_CHECK(strstr(out, "balloon (QEMU)") && strstr(out, "guest free"));
	/* Thinned: no line has more than about 2000 points. */
	UT_CHECK(strlen(out) < 200000);
	UT_CHECK(!strstr(out, "nan") && !strstr(out, "inf"));
	free(out);
	ser_free(&s);
	/* Only runner samples: no guest lines, no empty polylines. */
	ser_runner(&s, 1, 100, SER_NONE);
	ser_runner(&s, 2, 200, SER_NONE);
	out = to_string(ser_write_svg, &s);
	UT_CHECK(count(out, "<polyline") == 1);
	UT_CHECK(!strstr(out, "points=\"\""));
	free(out);
	ser_free(&s);
}

/* query-balloon as QEMU 7.2 answers it, and what it answers without a
 * balloon device. */
static void test_qmp_balloon(void)
{
	static const struct fake_step steps[] = {
		FAKE_STEP("\"query-balloon\"", NULL,
			  "{\"return\": {\"actual\": 100663296}, "
			  "\"id\": %ld}\r\n"),
		FAKE_STEP("\"query-balloon\"", NULL,
			  "{\"return\": {\"actual\": 134217728}, "
			  "\"id\": %ld}\r\n"),
		/* more than the RAM, or no number: not believed */
		FAKE_STEP("\"query-balloon\"", NULL,
			  "{\"return\": {\"actual\": 18446744073709551615}, "
			  "\"id\": %ld}\r\n"),
		FAKE_STEP("\"query-balloon\"", NULL,
			  "{\"return\": {\"actual\": \"1\"}, "
			  "\"id\": %ld}\r\n"),
		FAKE_STEP("\"query-balloon\"", NULL,
			  "{\"id\": %ld, \"error\": {\"class\": "
			  "\"DeviceNotActive\", \"desc\": \"No balloon "
			  "device has been activated\"}}\r\n"),
	};
	const uint64_t ram = 128ull << 20;
	uint64_t pages = 7;
	struct qmp *q;
	pid_t pid = fake_qmp_start(steps, ARRAY_SIZE(steps), &q);

	UT_CHECK(pid > 0);
	if (pid <= 0)
		return;
	UT_CHECK_EQ(chan_qmp_balloon(q, ram, 1000, &pages), QMP_OK);
	UT_CHECK_EQ(pages, 8192); /* 32 MiB ballooned */
	UT_CHECK_EQ(chan_qmp_balloon(q, ram, 1000, &pages), QMP_OK);
	UT_CHECK_EQ(pages, 0);
	pages = 7;
	UT_CHECK_EQ(chan_qmp_balloon(q, ram, 1000, &pages), QMP_ERR_PROTO);
	UT_CHECK_EQ(chan_qmp_balloon(q, ram, 1000, &pages), QMP_ERR_PROTO);
	UT_CHECK_EQ(chan_qmp_balloon(q, ram, 1000, &pages), QMP_ERR_REMOTE);
	UT_CHECK_EQ(pages, 7);
	UT_CHECK(fake_qmp_end(pid, q));
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

static char *html_of(const char *log, size_t len, const struct html_run *run)
{
	FILE *in = fmemopen((void *)log, len, "r");
	char *buf = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&buf, &n);

	UT_CHECK_EQ(html_convert(in, out, run), 0);
	fclose(out);
	fclose(in);
	return buf;
}

/* The raw log: whole characters across reads, a note when it is cut. */
static void test_html_log(void)
{
	struct html_run run = {.profile = "pc", .status = "pass"};
	size_t big = HTML_LOG_MAX + 100000;
	char *log = malloc(big), *out;

	/* a "§" (2 bytes) and a "€" (3) wherever the reads may end */
	for (size_t at = 4090; at < 4100; at++) {
		memset(log, 'a', at);
		strcpy(log + at, "§€§\n");
		out = html_of(log, strlen(log), &run);
		UT_CHECK(strstr(out, "§€§\n</pre>") != NULL);
		UT_CHECK(!strstr(out, "a?"));
		free(out);
	}
	/* a character cut by the end of the log is still replaced */
	memcpy(log, "ok\xe2\x82", 4);
	out = html_of(log, 4, &run);
	UT_CHECK(strstr(out, "<pre>ok?\?</pre>") != NULL);
	free(out);
	/* the title says the verdict */
	out = html_of("", 0, &run);
	UT_CHECK(strstr(out, "<title>pinprick: pc - pass</title>") != NULL);
	free(out);
	/* cut at HTML_LOG_MAX */
	for (size_t i = 0; i < big; i += 2)
		memcpy(log + i, "x\n", 2);
	out = html_of(log, big, &run);
	UT_CHECK(strstr(out, "The log is cut at") != NULL);
	UT_CHECK(strlen(out) < HTML_LOG_MAX + 10000);
	free(out);
	free(log);
}

/*
 * A whole session with a shell script as "QEMU": guest lines are stamped
 * with the runner's clock as they arrive, whatever the guest's t says.
 */
static void test_session_stamps(void)
{
	static const char script[] =
		"printf '# scenario s (virtio): start\\n"
		"    # sample t=5 proto=virtio target=1 balloon=0 free=9\\n'; "
		"sleep 0.4; "
		"printf '    # sample t=6 proto=virtio target=1 balloon=1 "
		"free=8\\n# scenario s (virtio): passed in 1 ms\\n'; exit 33";
	char dir[] = "/tmp/pp-sess-XXXXXX", log[64];
	struct qemu_cmd cmd = {.argc = 3,
			       .argv = {"sh", "-c", (char *)script, NULL}};
	struct series ser = {0};
	struct sess_cfg cfg = {.log_path = log,
			       .log_max = 1 << 20,
			       .timeout_s = 10,
			       .qmp_sock = "/nonexistent/qmp.sock",
			       .ram_bytes = 128ull << 20,
			       .series = &ser,
			       .sample_ms = 20,
			       .quiet = true};
	static struct sess_out out;
	struct tapp tap;

	UT_CHECK(mkdtemp(dir) != NULL);
	snprintf(log, sizeof(log), "%s/run.log", dir);
	tapp_init(&tap);
	UT_CHECK_EQ(sess_run(&cfg, &cmd, &tap, &out), 0);
	UT_CHECK_EQ(ser.n, 2); /* no runner rows: sh has no guest RAM */
	UT_CHECK_EQ(ser.nm, 2);
	if (ser.n == 2 && ser.nm == 2) {
		UT_CHECK(ser.p[0].guest_t_ms == 5 && ser.p[1].guest_t_ms == 6);
		UT_CHECK(ser.p[1].t_ms >= ser.p[0].t_ms + 350);
		UT_CHECK(ser.p[0].t_ms < 5000);
		UT_CHECK(ser.m[0].t_ms <= ser.p[0].t_ms);
		UT_CHECK(ser.m[1].t_ms >= ser.p[1].t_ms);
	}
	ser_free(&ser);
	unlink(log);
	rmdir(dir);
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

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return f ? buf : NULL;
}

static void test_outfile(void)
{
	char dir[] = "/tmp/pp-outf-XXXXXX", path[64], sub[64], err[512];
	struct outf o;

	UT_CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/r.csv", dir);
	snprintf(sub, sizeof(sub), "%s/no/r.csv", dir);
	UT_CHECK_EQ(outf_check("--csv", path, err, sizeof(err)), 0);
	UT_CHECK_EQ(outf_check("--csv", "r.csv", err, sizeof(err)), 0);
	UT_CHECK_EQ(outf_check("--csv", sub, err, sizeof(err)), -1);
	UT_CHECK(strstr(err, "--csv") && strstr(err, "/no") &&
		 strstr(err, "No such file"));
	UT_CHECK_EQ(outf_check("--html", dir, err, sizeof(err)), -1);
	UT_CHECK(strstr(err, "is a directory") != NULL);
	/* written whole */
	UT_CHECK_EQ(outf_open(&o, path), 0);
	fputs("one\n", o.f);
	UT_CHECK(slurp(path) == NULL); /* nothing there until the rename */
	UT_CHECK_EQ(outf_commit(&o, true), 0);
	UT_CHECK_STR(slurp(path), "one\n");
	UT_CHECK(slurp(o.tmp) == NULL);
	/* a writer that failed leaves the previous file and no .tmp */
	UT_CHECK_EQ(outf_open(&o, path), 0);
	fputs("half", o.f);
	UT_CHECK_EQ(outf_commit(&o, false), -1);
	UT_CHECK_EQ(errno, EIO);
	UT_CHECK_STR(slurp(path), "one\n");
	UT_CHECK(slurp(o.tmp) == NULL);
	/* a directory that is not there */
	UT_CHECK_EQ(outf_open(&o, sub), -1);
	UT_CHECK_EQ(errno, ENOENT);
	unlink(path);
	rmdir(dir);
}

UT_MAIN(UT_TEST(test_sample_lines), UT_TEST(test_overlong), UT_TEST(test_caps),
	UT_TEST(test_csv), UT_TEST(test_svg), UT_TEST(test_qmp_balloon),
	UT_TEST(test_html_escapes), UT_TEST(test_html_log),
	UT_TEST(test_session_stamps), UT_TEST(test_progress),
	UT_TEST(test_outfile))
