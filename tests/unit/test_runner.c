/*
 * test_runner.c - unit tests for whole runner sessions
 * (host/runner/session.c), with a shell script standing in for QEMU:
 * the log as sent and its size cap, QEMU refusing to start, a hung
 * guest stopped at the deadline, over-long lines, the --gcov dump seen
 * line by line, and the verdict of each. The runner's parts are
 * tested one by one in test_runner_*.c (profiles and options, lines,
 * TAP, verdicts, control channel, QEMU, QMP); this file checks that
 * they work together. Shared helpers: runner_rig.h.
 */
#include "tests/unit/runner_rig.h"

#include <signal.h>
#include <sys/stat.h>

#include "host/runner/session.h"

/* ---- whole sessions, with a shell script as "QEMU" ----------------------- */

static int session(const char *script, unsigned timeout, uint64_t log_max,
		   struct sess_out *out, struct verd_out *v, char *log_path)
{
	struct qemu_cmd cmd = {.argc = 3,
			       .argv = {"sh", "-c", (char *)script, NULL}};
	struct sess_cfg cfg = {.log_path = log_path,
			       .log_max = log_max,
			       .timeout_s = timeout,
			       .quiet = true,
			       .qmp_sock = "/nonexistent/qmp.sock"};
	int rc;

	tapp_init(&tap);
	rc = sess_run(&cfg, &cmd, &tap, out);
	verd_decide(&out->vin, v);
	return rc;
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long)st.st_size;
}

/* Does the file end with text? (the runner's trailer notes in the log) */
static bool file_ends_with(const char *path, const char *text)
{
	char buf[512];
	size_t len = strlen(text);
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = len < sizeof(buf) && !fseek(f, -(long)len, SEEK_END) &&
	     fread(buf, 1, len, f) == len && !memcmp(buf, text, len);
	fclose(f);
	return ok;
}

static void test_session_end_to_end(void)
{
	static struct sess_out out;
	struct verd_out v;
	const char *dir = tmp_dir();
	char log[PATH_MAX];
	uint64_t t0;
	sigset_t old;

	UT_CHECK(dir != NULL);
	if (!dir)
		return;
	sigprocmask(SIG_BLOCK, NULL, &old);
	snprintf(log, sizeof(log), "%s/logs/deeper/run.log", dir);

	/* pass: debug-exit 0x10, the log holds the bytes as sent */
	UT_CHECK_EQ(session("printf 'TAP version 14\\r\\n1..1\\nok 1 - a\\n"
			    "# pinprick: exit 0\\n'; exit 33",
			    10, 1 << 20, &out, &v, log),
		    0);
	UT_CHECK_EQ(v.exit, 0);
	UT_CHECK_EQ(out.vin.exit_line, 0);
	UT_CHECK_EQ(tap.passed, 1);
	UT_CHECK_EQ(file_size(log), 49);

	/* the last line needs no newline */
	session("printf 'TAP version 14\\n1..1\\nnot ok 1'; exit 35", 10,
		1 << 20, &out, &v, log);
	UT_CHECK_EQ(v.exit, 1);
	UT_CHECK_EQ(tap.failed, 1);

	/* QEMU refuses to start: stderr is kept */
	session("echo 'qemu-system-x86_64: -M nope: unsupported machine' >&2; "
		"exit 1",
		10, 1 << 20, &out, &v, log);
	UT_CHECK_EQ(v.exit, 5);
	UT_CHECK(strstr(out.qemu_stderr, "unsupported machine\n") != NULL);

	/* a hung guest: stopped at the deadline (no QMP here: SIGTERM) */
	t0 = util_now_ms();
	session("printf 'TAP version 14\\n1..1\\n'; exec sleep 30", 1, 1 << 20,
		&out, &v, log);
	UT_CHECK_EQ(v.exit, 3);
	UT_CHECK(out.vin.timed_out);
	UT_CHECK(util_now_ms() - t0 < 4000);
	/* the log is kept, and says why it ends there */
	UT_CHECK(file_ends_with(log, "1..1\n# pinprick-run: timeout after 1 s; "
				     "QEMU stopped; the log holds all the "
				     "guest sent until then\n"));

	/* a flood: the log is capped, QEMU stopped, the run is an error */
	t0 = util_now_ms();
	session("while :; do echo yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy; done",
		20, 100000, &out, &v, log);
	UT_CHECK_EQ(v.exit, 5);
	UT_CHECK(out.vin.log_overflow);
	/* the cap, then the runner's note on a line of its own */
	UT_CHECK(file_size(log) > 100000 && file_size(log) < 100000 + 200);
	UT_CHECK(file_ends_with(log, "\n# pinprick-run: log cap of 100000 "
				     "bytes reached; QEMU stopped\n"));
	UT_CHECK(util_now_ms() - t0 < 10000);

	/* an over-long line is cut for TAP but logged whole */
	session("printf 'TAP version 14\\n1..1\\n'; head -c 10000 /dev/zero | "
		"tr '\\0' x;"
		"printf '\\nok 1\\n'; exit 33",
		10, 1 << 20, &out, &v, log);
	UT_CHECK_EQ(v.exit, 0);
	{
		const char *note =
			"# pinprick-run: 1 guest line(s) longer than "
			"4096 bytes were cut; the longest had "
			"10000 bytes\n";

		UT_CHECK_EQ(file_size(log), 20 + 10000 + 6 + strlen(note));
		UT_CHECK(file_ends_with(log, note));
	}

	/* --gcov: the dump sees every COM1 line, numbered as in the log */
	{
		struct qemu_cmd cmd = {
			.argc = 3,
			.argv = {"sh", "-c",
				 "printf 'TAP version 14\\r\\n"
				 "# gcov: begin objects=1\\r\\n"
				 "# gcov: data 0 0 00\\n'; exit 33",
				 NULL}};
		static struct gcovr g;
		struct sess_cfg cfg = {.log_path = log,
				       .log_max = 1000,
				       .timeout_s = 5,
				       .quiet = true,
				       .gcov = &g,
				       .qmp_sock = "/nonexistent/q"};

		UT_CHECK_EQ(gcovr_init(&g, dir), 0);
		tapp_init(&tap);
		UT_CHECK_EQ(sess_run(&cfg, &cmd, &tap, &out), 0);
		UT_CHECK_EQ(gcovr_finish(&g), -1);
		UT_CHECK_STR(g.reason, "a data line before any file line "
				       "(serial line 3)");
		gcovr_free(&g);
	}

	/* the binary does not exist */
	{
		struct qemu_cmd cmd = {.argc = 1,
				       .argv = {"/nonexistent/qemu", NULL}};
		struct sess_cfg cfg = {.log_path = log,
				       .log_max = 1000,
				       .timeout_s = 5,
				       .quiet = true,
				       .qmp_sock = "/nonexistent/q"};

		tapp_init(&tap);
		UT_CHECK_EQ(sess_run(&cfg, &cmd, &tap, &out), -1);
		UT_CHECK(strstr(out.error, "cannot run '/nonexistent/qemu'") !=
			 NULL);
		verd_decide(&out.vin, &v);
		UT_CHECK_EQ(v.exit, 5);
	}
	/* the log cannot be created */
	tapp_init(&tap);
	UT_CHECK_EQ(session("exit 33", 5, 1000, &out, &v, "/proc/nope/x.log"),
		    -1);
	UT_CHECK(strstr(out.error, "cannot create log") != NULL);

	sigprocmask(SIG_SETMASK, &old, NULL);
	rm_rf(dir);
}

UT_MAIN(UT_TEST(test_session_end_to_end))
