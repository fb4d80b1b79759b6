/*
 * scenarios.c - the built-in scenarios as TAP suites.
 *
 * scenario=a,b (or all) selects them; each selected scenario runs once
 * per protocol, as its own subtest "scenario NAME (PROTO)", so a plan
 * can be written before anything runs. A scenario that does not parse is
 * one failed check naming file:line:col and is not run at all. Names
 * starting "selftest-" (scenarios that must fail, to test the harness)
 * run only when named. The glue here gives the interpreter its report
 * (tf_*), its clock and memory, and guards each part with the watchdog:
 * the statements under the scenario's budget, then, whatever happened,
 * the fixed ending (accounting, integrity, an emptied balloon).
 */
#include "kernel/console.h"
#include "kernel/ctl.h"
#include "kernel/mm.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "kernel/tf.h"
#include "kernel/time.h"
#include "tests/guest/scen_backend.h"
#include "tests/guest/scen_builtin.h"
#include "tests/guest/vbal_common.h"

#define DEFAULT_BUDGET_MS 120000
#define FINISH_BUDGET_MS  90000
#define SAMPLE_MS	  100

static const struct scen_backend *const backends[] = {&scen_virtio,
						      &scen_vmware};
#define NR_BACKENDS (sizeof(backends) / sizeof(backends[0]))

struct job {
	const struct scen_builtin *sb;
	const struct scen_backend *be;
};

static struct scen_prog prog;
static struct scen_state state;
static struct scen_env env;
static struct scen_result result;
static const struct job *cur;
static bool up_ok;

bool scen_needs_host(const struct scen_prog *p)
{
	return scen_uses(p, SO_TARGET, -1) || scen_uses(p, SO_CHURN, -1) ||
	       scen_uses(p, SO_EXPECT, SE_RSS_DROP);
}

bool scen_host_rss(void *ctx, uint64_t *bytes)
{
	return ctl_connected() && vbt_rss(bytes);
}

static bool report(void *rctx, bool ok, const char *clause, const char *desc)
{
	return tf_check(ok, clause, "%s", desc);
}

static void diag(void *rctx, const char *key, const char *val)
{
	tf_diag(key, "%s", val);
}

static void info(void *rctx, const char *line)
{
	tf_info("%s", line);
}

static void skip(void *rctx, const char *why, const char *desc)
{
	tf_skip(why, "%s", desc);
}

static uint8_t *map(uint64_t pfn)
{
	return (uint8_t *)(uintptr_t)(pfn << PA_PAGE_SHIFT);
}

static bool selftest(const char *name)
{
	return !strncmp(name, "selftest-", 9);
}

static bool wanted(const struct cmdline_opts *o, const char *name)
{
	for (unsigned i = 0; i < o->nr_scenarios; i++)
		if (!strcmp(o->scenarios[i], name) ||
		    (!strcmp(o->scenarios[i], "all") && !selftest(name)))
			return true;
	return false;
}

static unsigned count(const struct cmdline_opts *o)
{
	unsigned n = 0;

	for (unsigned i = 0; i < scen_nr_builtins; i++)
		n += wanted(o, scen_builtins[i].name) ? NR_BACKENDS : 0;
	return n;
}

static bool known(const char *name)
{
	if (!strcmp(name, "all"))
		return true;
	for (unsigned i = 0; i < scen_nr_builtins; i++)
		if (!strcmp(name, scen_builtins[i].name))
			return true;
	return false;
}

static void up_part(void)
{
	up_ok = cur->be->up(&env, &prog);
}

static void exec_part(void)
{
	scen_exec(&state);
}

static void finish_part(void)
{
	scen_finish(&state);
	cur->be->down();
}

/* Storage for the workload and pinned PFN lists: one entry per page. */
static int64_t track_alloc(unsigned *order)
{
	uint64_t need = (mm_zone.managed * sizeof(uint64_t) + 4095) >> 12;

	for (*order = 0; *order < PA_MAX_ORDER && (1ull << *order) < need;)
		(*order)++;
	return mm_alloc_kernel_pages(*order);
}

static bool guarded(void (*fn)(void), uint64_t budget_ms, const char *what)
{
	uint64_t el;

	if (!tf_run_guarded(fn, budget_ms * NSEC_PER_MSEC, &el))
		return true;
	tf_diag("budget_ms", "%llu", (unsigned long long)budget_ms);
	tf_check(false, NULL, "%s: stopped by the watchdog", what);
	return false;
}

static void run_job(const struct job *j, int64_t wl, int64_t pin,
		    unsigned order)
{
	env = (struct scen_env){
		.zone = &mm_zone,
		.ram_pages = mm_ram_bytes >> PA_PAGE_SHIFT,
		.map = map,
		.now_ns = time_ns,
		.delay_ns = delay_ns,
		.report = report,
		.diag = diag,
		.info = info,
		.skip = skip,
		.wl_pfns = (uint64_t *)(uintptr_t)((uint64_t)wl << 12),
		.pin_pfns = (uint64_t *)(uintptr_t)((uint64_t)pin << 12),
		.track_len = (4096ull << order) / sizeof(uint64_t),
		.sample_ms = SAMPLE_MS,
	};
	cur = j;
	up_ok = false;
	if (!guarded(up_part, 30000, "bring the balloon up") || !up_ok)
		return;
	scen_start(&state, &prog, j->sb->name, &env, &result);
	guarded(exec_part, prog.budget_ms ? prog.budget_ms : DEFAULT_BUDGET_MS,
		"the scenario's statements (budget)");
	if (!guarded(finish_part, FINISH_BUDGET_MS, "end of scenario"))
		cur->be->down();
}

static void run_one(void *arg)
{
	const struct job *j = arg;
	struct scen_error e;
	unsigned order;
	int64_t wl, pin;
	uint64_t t0 = time_ns();

	kprintf("# scenario %s (%s): start\n", j->sb->name, j->be->proto);
	if (scen_parse(j->sb->text, j->sb->len, &prog, &e)) {
		tf_diag("error", "%s", e.msg);
		tf_check(false, "docs/scenarios.md", "%s:%u:%u: %s",
			 j->sb->file, e.line, e.col, e.msg);
		tf_skip("it does not parse", "scenario %s: nothing run",
			j->sb->name);
	} else {
		tf_info("%s", prog.about);
		wl = track_alloc(&order);
		pin = track_alloc(&order);
		if (wl < 0 || pin < 0)
			tf_check(false, NULL, "allocate the workload lists");
		else
			run_job(j, wl, pin, order);
		if (wl >= 0)
			pa_free(&mm_zone, (uint64_t)wl, order, PA_KERNEL);
		if (pin >= 0)
			pa_free(&mm_zone, (uint64_t)pin, order, PA_KERNEL);
	}
	kprintf("# scenario %s (%s): %s in %llu ms\n", j->sb->name,
		j->be->proto, tf_suite_failing() ? "FAILED" : "passed",
		(unsigned long long)((time_ns() - t0) / NSEC_PER_MSEC));
}

static void run(const struct cmdline_opts *o)
{
	char name[96], what[160];

	for (unsigned i = 0; i < scen_nr_builtins; i++) {
		if (!wanted(o, scen_builtins[i].name))
			continue;
		for (unsigned k = 0; k < NR_BACKENDS; k++) {
			struct job j = {&scen_builtins[i], backends[k]};

			memset(&result, 0, sizeof(result));
			ksnprintf(name, sizeof(name), "scenario %s (%s)",
				  j.sb->name, j.be->proto);
			ksnprintf(what, sizeof(what), "%s on %s", j.sb->file,
				  j.be->proto);
			tf_run_dynamic(name, what, run_one, &j);
		}
	}
}

const struct tf_dynamic tf_dynamic = {count, known, run};
