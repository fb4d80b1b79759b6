/*
 * test_runner_verdict.c - unit tests for the runner's exit status
 * (host/runner/verdict.c): the table from QEMU's wait status, the
 * guest's exit line and the TAP result to the runner's exit code; the
 * states a run can end in (timeout, error, log overflow, QEMU not
 * reaped); the status names, the guest's exit line, the summary line
 * and the results file. Scripts and CI read only this code, so it is
 * checked case by case.
 */
#include "tests/unit/runner_rig.h"

#include <signal.h>

/* ---- exit-status mapping ------------------------------------------------ */

#define GOOD   "TAP version 14\n1..2\nok 1\nok 2\n"
#define FAILED "TAP version 14\n1..2\nok 1\nnot ok 2\n"
#define SHORT  "TAP version 14\n1..3\nok 1\n"
#define BAILED "TAP version 14\n1..2\nok 1\nBail out! oops\n"

static bool has_note(const struct verd_out *v, const char *what)
{
	for (int i = 0; i < v->nnotes; i++)
		if (strstr(v->notes[i], what))
			return true;
	return false;
}

static void test_verdict_table(void)
{
	static const struct {
		int wstatus, exit_line;
		const char *tap;
		int want;
		const char *note;
	} cases[] = {
		{EXITED(33), -1, GOOD, 0, NULL},
		{EXITED(33), 0, GOOD, 0, NULL},
		{EXITED(33), -1, FAILED, 1,
		 "says pass, but the TAP shows 1 failed"},
		{EXITED(33), -1, SHORT, 1, "TAP is incomplete or invalid"},
		{EXITED(33), -1, "", 1, "TAP is incomplete"},
		{EXITED(35), -1, FAILED, 1, NULL},
		{EXITED(35), -1, GOOD, 1,
		 "says a check failed, but the TAP shows none"},
		{EXITED(37), -1, BAILED, 2, "bailed out: oops"},
		{EXITED(37), -1, GOOD, 2, "reported a crash"},
		{EXITED(33), -1, BAILED, 2, "bailed out"},
		{EXITED(0), 0, GOOD, 0, NULL},
		{EXITED(0), 1, FAILED, 1, NULL},
		{EXITED(0), 0, FAILED, 1, "TAP shows 1 failed"},
		{EXITED(0), 2, SHORT, 2, NULL},
		{EXITED(0), 7, GOOD, 2, "unknown '# pinprick: exit 7'"},
		{EXITED(0), -1, GOOD, 2, "without a '# pinprick: exit N' line"},
		{EXITED(1), -1, GOOD, 5, "QEMU failed"},
		{EXITED(3), -1, GOOD, 2, "unknown value 0x1"},
		{EXITED(2), -1, GOOD, 5, "unexpected status 2"},
		{EXITED(33), 1, GOOD, 1, "printed '# pinprick: exit 1'"},
		{EXITED(33), 2, GOOD, 2, "printed '# pinprick: exit 2'"},
		{SIGKILL, -1, GOOD, 5, "killed by signal 9"},
	};
	struct verd_out v;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int got = decide(cases[i].wstatus, cases[i].exit_line,
				 cases[i].tap, &v);

		if (got != cases[i].want ||
		    (cases[i].note && !has_note(&v, cases[i].note)) ||
		    (!cases[i].note && cases[i].want == 0 && v.nnotes)) {
			printf("    # case %zu: exit %d (want %d), %d note(s): "
			       "%s\n",
			       i, got, cases[i].want, v.nnotes,
			       v.nnotes ? v.notes[0] : "");
			UT_CHECK(!"verdict");
		}
	}
}

static void test_verdict_run_states(void)
{
	struct verd_in in = {.reaped = true,
			     .wstatus = EXITED(33),
			     .exit_line = -1,
			     .tap = tap_run(GOOD)};
	struct verd_out v;

	in.timed_out = true;
	verd_decide(&in, &v);
	UT_CHECK_EQ(v.exit, 3);
	UT_CHECK_STR(v.status, "timeout");
	in.interrupted = true;
	verd_decide(&in, &v);
	UT_CHECK_EQ(v.exit, 130);
	UT_CHECK_STR(v.status, "error");
	in = (struct verd_in){
		.start_failed = true, .tap = &tap, .exit_line = -1};
	verd_decide(&in, &v);
	UT_CHECK_EQ(v.exit, 5);
	in = (struct verd_in){.log_overflow = true,
			      .reaped = true,
			      .tap = &tap,
			      .exit_line = -1};
	verd_decide(&in, &v);
	UT_CHECK_EQ(v.exit, 5);
	UT_CHECK(has_note(&v, "log cap"));
	in = (struct verd_in){.reaped = false, .tap = &tap, .exit_line = -1};
	verd_decide(&in, &v);
	UT_CHECK_EQ(v.exit, 5);
	in = (struct verd_in){.reaped = true,
			      .wstatus = 0,
			      .exit_line = -1,
			      .shutdown_reason = "guest-reset",
			      .tap = &tap};
	verd_decide(&in, &v);
	UT_CHECK_EQ(v.exit, 2);
	UT_CHECK(has_note(&v, "QMP SHUTDOWN reason: guest-reset"));

	UT_CHECK_STR(verd_status_name(0), "pass");
	UT_CHECK_STR(verd_status_name(1), "fail");
	UT_CHECK_STR(verd_status_name(2), "crash");
	UT_CHECK_STR(verd_status_name(3), "timeout");
	UT_CHECK_STR(verd_status_name(4), "error");
	UT_CHECK_STR(verd_status_name(5), "error");
}

static void test_verdict_text(void)
{
	const char *dir = tmp_dir();
	char path[PATH_MAX], buf[256], line[256];
	FILE *f;
	int n = -1;

	UT_CHECK(verd_exit_line("# pinprick: exit 0", &n) && n == 0);
	UT_CHECK(verd_exit_line("# pinprick: exit 2\r", &n) && n == 2);
	UT_CHECK(verd_exit_line("# pinprick: exit 42", &n) && n == 42);
	UT_CHECK(!verd_exit_line("# pinprick: exit 123", &n));
	UT_CHECK(!verd_exit_line("# pinprick: exit", &n));
	UT_CHECK(!verd_exit_line("# pinprick: exit x", &n));
	UT_CHECK(!verd_exit_line("    # pinprick: exit 0", &n));
	UT_CHECK(!verd_exit_line("# pinprick: exit 0 now", &n));

	tap_run("TAP version 14\n1..4\nok 1\nnot ok 2\nok 3 # SKIP\nok 4 # "
		"TODO\n");
	verd_summary(line, sizeof(line), "q35", &tap, 1);
	UT_CHECK_STR(line, "pinprick-run: q35: 1 passed, 1 failed, 1 skipped, "
			   "1 todo (fail)");

	UT_CHECK(dir != NULL);
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/results", dir);
	UT_CHECK_EQ(verd_write_results(path, &tap, 1), 0);
	f = fopen(path, "r");
	UT_CHECK(f && fgets(buf, sizeof(buf), f));
	if (f)
		fclose(f);
	UT_CHECK_STR(buf,
		     "passed=1 failed=1 skipped=1 todo=1 status=fail exit=1\n");
	snprintf(path, sizeof(path), "%s/no/such/dir/results", dir);
	UT_CHECK_EQ(verd_write_results(path, &tap, 0), -1);
	rm_rf(dir);
}

UT_MAIN(UT_TEST(test_verdict_table), UT_TEST(test_verdict_run_states),
	UT_TEST(test_verdict_text))
