/*
 * selftest.c - suites that fail on purpose, to prove failures are seen.
 *
 * A test framework whose red path is never exercised may well be unable to
 * fail. These suites run only when named (suite=selftest-fail, ...), and
 * tests/check.sh runs each one and expects the matching verdict: a failed
 * check with its diagnostics, a budget overrun that does not stop the run,
 * a crash report with the crash exit code, and a hang the runner times out.
 */
#include "kernel/tf.h"
#include "kernel/x86.h"

static void failing_check(void)
{
	tf_diag("expected", "%d", 1);
	tf_diag("got", "%d", 2);
	tf_check(false, "pinprick: selftest", "a check that fails on purpose");
}

static void passing_check(void)
{
	tf_check(1 + 1 == 2, "pinprick: selftest",
		 "the run continues after a failure");
}

static void overrun(void)
{
	for (;;)
		cpu_relax();
}

static void null_write(void)
{
	*(volatile int *)16 = 1;
}

static void hang(void)
{
	irq_disable(); /* not even the watchdog can stop this */
	for (;;)
		cpu_relax();
}

static const struct tf_case fail_cases[] = {
	{ "failing check", failing_check, 0 },
	{ "after the failure", passing_check, 0 },
	{ "budget overrun", overrun, 100 },
	{ "after the overrun", passing_check, 0 },
};

static const struct tf_case crash_cases[] = {
	{ "unexpected page fault", null_write, 0 },
};

static const struct tf_case hang_cases[] = {
	{ "hang with interrupts off", hang, 0 },
};

const struct tf_suite suite_selftest_fail = TF_SUITE_EXPLICIT(
	"selftest-fail", "deliberate failures (expect not ok)", fail_cases);
const struct tf_suite suite_selftest_crash = TF_SUITE_EXPLICIT(
	"selftest-crash", "deliberate crash (expect Bail out!)", crash_cases);
const struct tf_suite suite_selftest_hang = TF_SUITE_EXPLICIT(
	"selftest-hang", "deliberate hang (expect a runner timeout)",
	hang_cases);
