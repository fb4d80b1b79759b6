/*
 * tf.h - the guest test framework: suites of cases that report checks.
 *
 * A suite is a named list of cases; each case is a function that makes one
 * or more checks. Every check becomes a TAP test point inside the suite's
 * subtest and names the specification clause (or de-facto behaviour) it
 * probes. Each case runs under a time budget enforced by the local APIC
 * watchdog: a case that overruns is stopped and reported "not ok", and the
 * run goes on with the next case.
 *
 *	static void test_thing(void)
 *	{
 *		tf_diag("got", "%u", x);
 *		tf_check(x == 3, "virtio 1.2 §2.1", "status reads back");
 *	}
 */
#ifndef PINPRICK_TF_H
#define PINPRICK_TF_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/cmdline.h"

struct tf_case {
	const char *name;
	void (*fn)(void);
	uint32_t budget_ms; /* 0: the default (budget= on the command line) */
};

struct tf_suite {
	const char *name;
	const char *what;
	const struct tf_case *cases;
	unsigned nr_cases;
	bool explicit_only; /* runs only when suite= names it */
};

#define TF_SUITE(n, w, c) { n, w, c, sizeof(c) / sizeof((c)[0]), false }
#define TF_SUITE_EXPLICIT(n, w, c) { n, w, c, sizeof(c) / sizeof((c)[0]), true }

/* The registry: tests/guest/suites.c. */
extern const struct tf_suite *const tf_suites[];
extern const unsigned tf_nr_suites;

/*
 * Suites made at run time (the scenarios, tests/guest/scenarios.c): how
 * many the command line selects, whether a scenario= name exists, and
 * running them (each through tf_run_dynamic).
 */
struct tf_dynamic {
	unsigned (*count)(const struct cmdline_opts *o);
	bool (*known)(const char *name);
	void (*run)(const struct cmdline_opts *o);
};
extern const struct tf_dynamic tf_dynamic;

/*
 * One run-time suite: a subtest named name whose body is fn(arg), run
 * unguarded (fn guards its own parts with tf_run_guarded), then the page
 * accounting check as for every suite.
 */
void tf_run_dynamic(const char *name, const char *what, void (*fn)(void *),
		    void *arg);

/* Has a check of the suite now running failed? */
bool tf_suite_failing(void);

/* Options of this run (seed, verbose, ...). */
extern const struct cmdline_opts *tf_opts;

/* Attach a key/value to the next check's YAML diagnostics. */
void tf_diag(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One check. clause may be NULL for framework-level checks. */
bool tf_check(bool ok, const char *clause, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Equality with expected/got diagnostics. */
bool tf_check_u64(uint64_t got, uint64_t expected, const char *clause,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* lo <= got <= hi with diagnostics. */
bool tf_check_range(uint64_t got, uint64_t lo, uint64_t hi,
		    const char *clause, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Not run, with the reason. */
void tf_skip(const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A documented deviation: reported with # TODO, never a failure. */
void tf_todo(bool ok, const char *reason, const char *clause,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/*
 * A check whose failure is a known, documented deviation of the device
 * under test: "ok" when ok, else "not ok ... # TODO deviation".
 */
bool tf_check_known(bool ok, const char *deviation, const char *clause,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A "# " comment line at the current depth. */
void tf_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Run fn under a budget without reporting: for tests of the framework.
 * Returns 0 if fn returned, 1 if the watchdog stopped it.
 */
int tf_run_guarded(void (*fn)(void), uint64_t budget_ns, uint64_t *elapsed_ns);

/* Write the TAP version line: the first line of every run. */
void tf_begin(const struct cmdline_opts *opts);
/* Run everything selected; returns the exit code (enum exit_code). */
int tf_main(struct cmdline_opts *opts);

#endif
