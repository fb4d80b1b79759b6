/*
 * tf.c - run suites, keep score, write TAP.
 *
 * Layout of a run: TAP header, top-level plan (the command-line check plus
 * one point per suite), then each suite as a subtest whose last check is
 * always the page accounting (nothing leaked, every page in one state).
 * Totals count leaf checks, which is what `make check` adds up.
 */
#include <stdarg.h>

#include "kernel/apic.h"
#include "kernel/boot_info.h"
#include "kernel/console.h"
#include "kernel/exit.h"
#include "kernel/mm.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "kernel/tap.h"
#include "kernel/tf.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

#define MAX_DIAGS 8
#define DIAG_LEN 160

const struct cmdline_opts *tf_opts;
static struct tap tap;
static struct {
	unsigned passed, failed, skipped, todo;
} total;
static unsigned suite_failed, case_points;
static char diag_key[MAX_DIAGS][24], diag_val[MAX_DIAGS][DIAG_LEN];
static unsigned nr_diags;

static void tap_to_console(void *ctx, const char *s, size_t n)
{
	console_write(s, n);
}

void tf_diag(const char *key, const char *fmt, ...)
{
	va_list ap;

	if (nr_diags == MAX_DIAGS)
		return;
	strlcpy(diag_key[nr_diags], key, sizeof(diag_key[0]));
	va_start(ap, fmt);
	kvsnprintf(diag_val[nr_diags], DIAG_LEN, fmt, ap);
	va_end(ap);
	nr_diags++;
}

static void point(bool ok, enum tap_directive dir, const char *reason,
		  const char *clause, const char *fmt, va_list ap)
{
	char desc[TAP_LINE_MAX - 64];
	/* verbose: every check's clause too, for the HTML report. */
	bool show_yaml =
		!ok || (tf_opts && tf_opts->verbose && (nr_diags || clause));

	kvsnprintf(desc, sizeof(desc), fmt, ap);
	tap_point(&tap, ok, desc, dir, reason);
	case_points++;
	if (dir == TAP_SKIP)
		total.skipped++;
	else if (dir == TAP_TODO)
		total.todo++;
	else if (ok)
		total.passed++;
	else {
		total.failed++;
		suite_failed++;
	}
	if (show_yaml && dir != TAP_SKIP) {
		tap_yaml_begin(&tap);
		if (clause)
			tap_yaml_kv(&tap, "clause", clause);
		for (unsigned i = 0; i < nr_diags; i++)
			tap_yaml_kv(&tap, diag_key[i], diag_val[i]);
		if (!clause && !nr_diags)
			tap_yaml_kv(&tap, "message", "check failed");
		tap_yaml_end(&tap);
	}
	nr_diags = 0;
}

bool tf_check(bool ok, const char *clause, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	point(ok, TAP_NONE, NULL, clause, fmt, ap);
	va_end(ap);
	return ok;
}

bool tf_check_u64(uint64_t got, uint64_t expected, const char *clause,
		  const char *fmt, ...)
{
	va_list ap;
	bool ok = got == expected;

	tf_diag("expected", "%llu (%#llx)", (unsigned long long)expected,
		(unsigned long long)expected);
	tf_diag("got", "%llu (%#llx)", (unsigned long long)got,
		(unsigned long long)got);
	va_start(ap, fmt);
	point(ok, TAP_NONE, NULL, clause, fmt, ap);
	va_end(ap);
	return ok;
}

bool tf_check_range(uint64_t got, uint64_t lo, uint64_t hi,
		    const char *clause, const char *fmt, ...)
{
	va_list ap;
	bool ok = got >= lo && got <= hi;

	tf_diag("expected", "%llu to %llu", (unsigned long long)lo,
		(unsigned long long)hi);
	tf_diag("got", "%llu", (unsigned long long)got);
	va_start(ap, fmt);
	point(ok, TAP_NONE, NULL, clause, fmt, ap);
	va_end(ap);
	return ok;
}

void tf_skip(const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	point(true, TAP_SKIP, reason, NULL, fmt, ap);
	va_end(ap);
}

void tf_todo(bool ok, const char *reason, const char *clause,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	point(ok, TAP_TODO, reason, clause, fmt, ap);
	va_end(ap);
}

bool tf_check_known(bool ok, const char *deviation, const char *clause,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (ok)
		point(true, TAP_NONE, NULL, clause, fmt, ap);
	else
		point(false, TAP_TODO, deviation, clause, fmt, ap);
	va_end(ap);
	return ok;
}

void tf_info(const char *fmt, ...)
{
	char buf[TAP_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tap_comment(&tap, "%s", buf);
}

int tf_run_guarded(void (*fn)(void), uint64_t budget_ns, uint64_t *elapsed_ns)
{
	struct trap_catch w = { .watchdog = true };
	uint64_t start = time_ns();
	int stopped = 0;

	if (trap_try(&w) == 0) {
		apic_watchdog_arm(budget_ns);
		irq_enable();
		fn();
		irq_disable();
		apic_watchdog_disarm();
		trap_end(&w);
	} else {
		irq_disable();
		apic_watchdog_disarm();
		stopped = 1;
	}
	if (elapsed_ns)
		*elapsed_ns = time_ns() - start;
	return stopped;
}

static void run_case(const struct tf_case *c)
{
	uint64_t budget_ms = c->budget_ms ? c->budget_ms : tf_opts->budget_ms;
	uint64_t elapsed;
	int stopped;

	case_points = 0;
	nr_diags = 0;
	stopped = tf_run_guarded(c->fn, budget_ms * NSEC_PER_MSEC, &elapsed);
	if (tf_opts->verbose)
		tf_info("case %s: %llu ms", c->name,
			(unsigned long long)(elapsed / NSEC_PER_MSEC));
	if (stopped || elapsed > budget_ms * NSEC_PER_MSEC) {
		tf_diag("budget_ms", "%llu", (unsigned long long)budget_ms);
		tf_diag("elapsed_ms", "%llu",
			(unsigned long long)(elapsed / NSEC_PER_MSEC));
		tf_check(false, NULL, "%s: exceeded its time budget%s", c->name,
			 stopped ? " (stopped by the watchdog)" : "");
	} else if (case_points == 0) {
		tf_check(false, NULL, "%s: reported no result", c->name);
	}
}

static void check_accounting(const struct pa_stats *before)
{
	struct pa_stats now;
	char why[96] = "";
	uint64_t sum = pa_owned_total(&mm_zone);
	int rc = pa_check(&mm_zone, why, sizeof(why));

	pa_get_stats(&mm_zone, &now);
	tf_diag("free", "%llu", (unsigned long long)now.count[PA_FREE]);
	tf_diag("kernel", "%llu", (unsigned long long)now.count[PA_KERNEL]);
	tf_diag("workload", "%llu", (unsigned long long)now.count[PA_WORKLOAD]);
	tf_diag("pinned", "%llu", (unsigned long long)now.count[PA_PINNED]);
	tf_diag("ballooned", "%llu",
		(unsigned long long)now.count[PA_BALLOONED]);
	tf_diag("managed", "%llu", (unsigned long long)now.managed);
	if (rc != PA_OK)
		tf_diag("allocator", "%s", why);
	tf_check(rc == PA_OK && sum == now.managed &&
			 now.count[PA_WORKLOAD] == before->count[PA_WORKLOAD] &&
			 now.count[PA_PINNED] == before->count[PA_PINNED] &&
			 now.count[PA_BALLOONED] == before->count[PA_BALLOONED],
		 "pinprick: page accounting",
		 "every page accounted for; no workload, pinned or balloon "
		 "page left behind");
}

static void run_suite(const struct tf_suite *s)
{
	struct pa_stats before;
	uint64_t t0 = time_ns();

	pa_get_stats(&mm_zone, &before);
	suite_failed = 0;
	kprintf("# suite %s: %s (%u cases)\n", s->name, s->what, s->nr_cases);
	tap_subtest(&tap, s->name);
	for (unsigned i = 0; i < s->nr_cases; i++)
		run_case(&s->cases[i]);
	check_accounting(&before);
	tap_subtest_end(&tap);
	tap_point(&tap, suite_failed == 0, s->name, TAP_NONE, NULL);
	kprintf("# suite %s: %s in %llu ms\n", s->name,
		suite_failed ? "FAILED" : "passed",
		(unsigned long long)((time_ns() - t0) / NSEC_PER_MSEC));
}

bool tf_suite_failing(void)
{
	return suite_failed != 0;
}

void tf_run_dynamic(const char *name, const char *what, void (*fn)(void *),
		    void *arg)
{
	struct pa_stats before;
	uint64_t t0 = time_ns();

	pa_get_stats(&mm_zone, &before);
	suite_failed = 0;
	case_points = 0;
	nr_diags = 0;
	kprintf("# suite %s: %s (1 case)\n", name, what);
	tap_subtest(&tap, name);
	fn(arg);
	if (case_points == 0)
		tf_check(false, NULL, "%s: reported no result", name);
	check_accounting(&before);
	tap_subtest_end(&tap);
	tap_point(&tap, suite_failed == 0, name, TAP_NONE, NULL);
	kprintf("# suite %s: %s in %llu ms\n", name,
		suite_failed ? "FAILED" : "passed",
		(unsigned long long)((time_ns() - t0) / NSEC_PER_MSEC));
}

static void check_cmdline(struct cmdline_opts *o)
{
	for (unsigned i = 0; i < o->nr_scenarios; i++)
		if (!tf_dynamic.known(o->scenarios[i]) &&
		    o->nr_errors < CMD_MAX_ERRORS)
			ksnprintf(o->errors[o->nr_errors++], CMD_ERROR_LEN,
				  "unknown scenario \"%s\"", o->scenarios[i]);
	for (unsigned i = 0; i < o->nr_suites; i++) {
		bool known = !strcmp(o->suites[i], "all") ||
			     !strcmp(o->suites[i], "none");

		for (unsigned k = 0; k < tf_nr_suites; k++)
			known |= !strcmp(o->suites[i], tf_suites[k]->name);
		if (!known && o->nr_errors < CMD_MAX_ERRORS)
			ksnprintf(o->errors[o->nr_errors++], CMD_ERROR_LEN,
				  "unknown suite \"%s\"", o->suites[i]);
	}
	for (unsigned i = 0; i < o->nr_errors; i++)
		tf_diag("error", "%s", o->errors[i]);
	if (o->errors_dropped)
		tf_diag("more", "%u further errors", o->errors_dropped);
	tf_check(o->nr_errors == 0, "pinprick: command line",
		 "command line: every option recognised (%u)", o->nr_options);
}

void tf_begin(const struct cmdline_opts *opts)
{
	tf_opts = opts;
	tap_init(&tap, tap_to_console, NULL, opts->tap_version);
	tap_header(&tap);
}

/*
 * How long the boot took inside the guest, by the TSC: from the kernel's
 * first instruction (and, on UEFI, from the loader's) to the plan line.
 * make bench reads it; QEMU's start-up and the firmware are outside it.
 */
static void print_boot_timing(void)
{
	uint64_t now = rdtsc(), hz = time_info.tsc_hz;

	if (!hz || now < boot_info.entry_tsc)
		return;
	kprintf("# timing: kernel entry to plan %llu us",
		(unsigned long long)((now - boot_info.entry_tsc) * 1000000 /
				     hz));
	if (boot_info.loader_tsc && boot_info.loader_tsc < boot_info.entry_tsc)
		kprintf(", UEFI loader start to plan %llu us",
			(unsigned long long)((now - boot_info.loader_tsc) *
					     1000000 / hz));
	kprintf(" (TSC %llu kHz)\n", (unsigned long long)(hz / 1000));
}

int tf_main(struct cmdline_opts *opts)
{
	unsigned selected = 0;

	for (unsigned i = 0; i < tf_nr_suites; i++)
		selected += cmdline_wants_suite(opts, tf_suites[i]->name,
						 tf_suites[i]->explicit_only);
	tap_plan(&tap, 1 + selected + tf_dynamic.count(opts));
	print_boot_timing();
	check_cmdline(opts);
	for (unsigned i = 0; i < tf_nr_suites; i++)
		if (cmdline_wants_suite(opts, tf_suites[i]->name,
					tf_suites[i]->explicit_only))
			run_suite(tf_suites[i]);
	tf_dynamic.run(opts);
	kprintf("# pinprick: %u passed, %u failed, %u skipped, %u todo\n",
		total.passed, total.failed, total.skipped, total.todo);
	return total.failed ? EXIT_FAIL : EXIT_PASS;
}
