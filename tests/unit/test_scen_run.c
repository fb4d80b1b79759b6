/*
 * test_scen_run.c - the scenario interpreter against a model balloon on
 * a real page allocator: the built-in shapes pass on a well-behaved host,
 * and each way a host or a driver can go wrong (discarding an owned page,
 * not moving, leaking a page, refusing targets) fails the right check.
 */
#include "kernel/scen.h"
#include "tests/unit/ut.h"

#define BASE  256
#define PAGES 4096 /* 16 MiB */
#define CAP   PAGES

static uint8_t *mem;
static struct pa_page *meta;
static struct pa_zone zone;
static uint64_t clock_ns, wl_pfns[CAP], pin_pfns[CAP];

/* The model: the host's target, the balloon's pages, and its faults. */
static struct fake {
	struct balloon b;
	uint64_t host_target;
	uint64_t pfns[PAGES];
	uint64_t steps, discard_at, rss;
	bool stuck, leak, refuse, no_reclaim;
} f;

static struct {
	unsigned checks, failed;
	char last_fail[160], diags[1024];
} rep;

static uint8_t *map(uint64_t pfn)
{
	return mem + (pfn - BASE) * PA_PAGE_SIZE;
}

static int get_target(struct balloon *b)
{
	b->target = f.host_target;
	return 0;
}

static int64_t inflate(struct balloon *b, uint64_t n)
{
	int64_t done = 0;

	if (f.stuck)
		return 0;
	while ((uint64_t)done < n) {
		int64_t pfn = pa_alloc(&zone, 0, PA_BALLOONED);

		if (pfn < 0) {
			b->shortfall = (struct balloon_shortfall){
				b->target,    b->size, zone.count[PA_PINNED],
				zone.reserve, 0,       true};
			break;
		}
		f.pfns[b->size++] = (uint64_t)pfn;
		done++;
	}
	if (b->size >= b->target)
		b->shortfall.active = false;
	return done;
}

static int64_t deflate(struct balloon *b, uint64_t n)
{
	int64_t done = 0;

	while ((uint64_t)done < n && b->size) {
		pa_free(&zone, f.pfns[--b->size], 0, PA_BALLOONED);
		done++;
	}
	b->shortfall.active = false;
	return done;
}

static int reset(struct balloon *b)
{
	deflate(b, b->size);
	return 0;
}

static const struct balloon_ops fake_ops = {get_target, inflate, deflate,
					    reset};

static bool set_target(void *ctx, uint64_t pages, char *why, size_t len)
{
	(void)ctx;
	if (f.refuse) {
		snprintf(why, len, "refused");
		return false;
	}
	f.host_target = pages;
	f.rss = (uint64_t)(PAGES - pages) * PA_PAGE_SIZE;
	return true;
}

static void step(void *ctx)
{
	(void)ctx;
	balloon_step(&f.b, 256);
	if (++f.steps == f.discard_at) {
		/* A host that drops a page the guest still owns. */
		for (uint64_t p = BASE; p < BASE + PAGES; p++)
			if (pa_state_of(&zone, p) == PA_WORKLOAD) {
				memset(map(p), 0, PA_PAGE_SIZE);
				break;
			}
	}
	if (f.leak && f.steps == 1) {
		/* A driver bug: a balloon page it forgot to track. */
		pa_alloc(&zone, 0, PA_BALLOONED);
	}
}

static int64_t reclaim(void *ctx, uint64_t n)
{
	(void)ctx;
	return f.no_reclaim ? 0 : deflate(&f.b, n);
}

static int check(void *ctx, char *why, size_t len)
{
	(void)ctx;
	if (zone.count[PA_BALLOONED] != f.b.size) {
		snprintf(why, len, "tracked %llu, allocator %llu",
			 (unsigned long long)f.b.size,
			 (unsigned long long)zone.count[PA_BALLOONED]);
		return -1;
	}
	return 0;
}

static bool host_rss(void *ctx, uint64_t *bytes)
{
	(void)ctx;
	*bytes = f.rss;
	return true;
}

static uint64_t now_ns(void)
{
	return clock_ns += 1000;
}

static void delay_ns(uint64_t ns)
{
	clock_ns += ns;
}

static bool report(void *rctx, bool ok, const char *clause, const char *desc)
{
	(void)rctx;
	(void)clause;
	rep.checks++;
	if (!ok) {
		rep.failed++;
		snprintf(rep.last_fail, sizeof(rep.last_fail), "%s", desc);
		printf("    # not ok: %s [%s]\n", desc, rep.diags);
	}
	rep.diags[0] = '\0';
	return ok;
}

static void diag(void *rctx, const char *key, const char *val)
{
	size_t n = strlen(rep.diags);

	(void)rctx;
	snprintf(rep.diags + n, sizeof(rep.diags) - n, "%s=%s; ", key, val);
}

static void info(void *rctx, const char *line)
{
	(void)rctx;
	(void)line;
}

static void skip(void *rctx, const char *why, const char *desc)
{
	(void)rctx;
	printf("    # skip: %s (%s)\n", desc, why);
}

static const struct scen_env env = {
	.b = &f.b,
	.proto = "model",
	.clause = "model",
	.set_target = set_target,
	.step = step,
	.reclaim = reclaim,
	.check = check,
	.host_rss = host_rss,
	.zone = &zone,
	.ram_pages = PAGES,
	.map = map,
	.now_ns = now_ns,
	.delay_ns = delay_ns,
	.report = report,
	.diag = diag,
	.info = info,
	.skip = skip,
	.wl_pfns = wl_pfns,
	.pin_pfns = pin_pfns,
	.track_len = CAP,
	.sample_ms = 10,
};

static void setup(void)
{
	if (!mem) {
		mem = calloc(PAGES, PA_PAGE_SIZE);
		meta = calloc(1, pa_meta_bytes(PAGES));
	}
	pa_init(&zone, BASE, PAGES, meta);
	pa_add_free_range(&zone, BASE, BASE + PAGES);
	pa_set_reserve(&zone, 128);
	memset(&f, 0, sizeof(f));
	f.b.name = "model";
	f.b.ops = &fake_ops;
	f.rss = (uint64_t)PAGES * PA_PAGE_SIZE;
	memset(&rep, 0, sizeof(rep));
}

/* Parse and run text; returns failed checks. */
static unsigned run(const char *text, struct scen_state *st)
{
	static struct scen_prog p;
	struct scen_error e;
	struct scen_result res;
	struct scen_state local;

	if (!st)
		st = &local;
	if (scen_parse(text, strlen(text), &p, &e)) {
		printf("    # parse: %u:%u %s\n", e.line, e.col, e.msg);
		return 1000;
	}
	scen_start(st, &p, "t", &env, &res);
	scen_exec(st);
	scen_finish(st);
	UT_CHECK_EQ(res.checks, rep.checks);
	UT_CHECK_EQ(res.failed, rep.failed);
	return res.failed;
}

static void test_cycle_passes(void)
{
	setup();
	UT_CHECK_EQ(run("target 50%\nwait size 50% within 5s\n"
			"expect size 2048\ntouch 10%\nexpect intact\n"
			"target 0\nwait size 0 within 5s\nexpect size 0\n",
			NULL),
		    0);
	/* 8 statements that check, then accounting, intact, empty. */
	UT_CHECK_EQ(rep.checks, 9 + 3 - 1);
	UT_CHECK_EQ(zone.count[PA_BALLOONED], 0);
	UT_CHECK_EQ(zone.count[PA_WORKLOAD], 0);
	UT_CHECK_EQ(zone.count[PA_FREE], PAGES);
}

static void test_pinned_shortfall(void)
{
	setup();
	UT_CHECK_EQ(run("pin 60%\ntarget 65%\nwait settled within 5s\n"
			"expect shortfall\nexpect alive\nexpect reserve\n"
			"expect size <= 40%\nunpin all\n"
			"wait size 65% within 5s\nexpect target 65%\n",
			NULL),
		    0);
	/* Without pins there is no shortfall to report. */
	setup();
	UT_CHECK_EQ(
		run("target 10%\nwait settled within 1s\nexpect shortfall\n",
		    NULL),
		1);
	UT_CHECK(strstr(rep.last_fail, "expect shortfall") != NULL);
}

static void test_discarded_page_caught(void)
{
	setup();
	f.discard_at = 150;
	UT_CHECK_EQ(run("churn seed=3 steps=400\n", NULL), 2);
	UT_CHECK(strstr(rep.last_fail, "intact") != NULL);
	/* Same seed, honest host: clean. */
	setup();
	UT_CHECK_EQ(run("churn seed=3 steps=400\n", NULL), 0);
}

static void test_stuck_host_times_out(void)
{
	setup();
	f.stuck = true;
	UT_CHECK_EQ(run("target 25%\nwait size 25% within 2s\n", NULL), 1);
	UT_CHECK(strstr(rep.last_fail, "timed out") != NULL);
}

static void test_leak_fails_accounting(void)
{
	setup();
	f.leak = true;
	UT_CHECK(run("target 5%\nwait size 5% within 1s\n", NULL) >= 1);
	UT_CHECK(strstr(rep.last_fail, "empties") != NULL ||
		 strstr(rep.last_fail, "managed") != NULL);
}

static void test_pressure(void)
{
	setup();
	UT_CHECK_EQ(run("target 90%\nwait settled within 2s\n"
			"pressure 20%\nexpect intact\n",
			NULL),
		    0);
	setup();
	f.no_reclaim = true;
	UT_CHECK_EQ(
		run("target 90%\nwait settled within 2s\npressure 20%\n", NULL),
		1);
	UT_CHECK(strstr(rep.last_fail, "gives memory back") != NULL);
}

static void test_repeat_counts(void)
{
	struct scen_state st;

	setup();
	UT_CHECK_EQ(run("repeat 3 {\n repeat 2 {\n  touch 1\n }\n}\n"
			"repeat 4 {\n pin 2\n}\n",
			&st),
		    0);
	/* 6 + 4 checks, accounting, intact, empty. */
	UT_CHECK_EQ(rep.checks, 13);
}

static void test_await_target(void)
{
	setup();
	/* The host (not the script) sets the target; the driver sees it. */
	f.host_target = 1024;
	UT_CHECK_EQ(run("await target 1024 within 1s\nwait size 4M within 1s\n"
			"await target 30% within 1s\n",
			NULL),
		    1);
	UT_CHECK(strstr(rep.last_fail, "await target 30%") != NULL);
}

static void test_refused_and_rss(void)
{
	setup();
	f.refuse = true;
	UT_CHECK_EQ(run("target 10%\n", NULL), 1);
	setup();
	UT_CHECK_EQ(run("target 50%\nwait size 50% within 2s\n"
			"expect rss-drop 40%\nexpect rss-drop 60%\n",
			NULL),
		    1);
	UT_CHECK(strstr(rep.last_fail, "rss-drop 60%") != NULL);
}

UT_MAIN(UT_TEST(test_cycle_passes), UT_TEST(test_pinned_shortfall),
	UT_TEST(test_discarded_page_caught), UT_TEST(test_stuck_host_times_out),
	UT_TEST(test_leak_fails_accounting), UT_TEST(test_pressure),
	UT_TEST(test_repeat_counts), UT_TEST(test_await_target),
	UT_TEST(test_refused_and_rss))
