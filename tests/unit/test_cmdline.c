/*
 * test_cmdline.c - the kernel command line parser, good and bad input.
 */
#include "kernel/cmdline.h"
#include "tests/unit/ut.h"

static struct cmdline_opts o;

static void test_defaults(void)
{
	UT_CHECK_EQ(cmdline_parse("", &o), 0);
	UT_CHECK_EQ(o.seed, CMD_DEFAULT_SEED);
	UT_CHECK_EQ(o.tap_version, 14);
	UT_CHECK_EQ(o.budget_ms, CMD_DEFAULT_BUDGET_MS);
	UT_CHECK_EQ(o.nr_suites, 0);
	UT_CHECK(cmdline_wants_suite(&o, "anything", false));
	UT_CHECK(!cmdline_wants_suite(&o, "selftest-crash", true));
	UT_CHECK_EQ(cmdline_parse(NULL, &o), 0);
}

static void test_all_options(void)
{
	UT_CHECK_EQ(cmdline_parse("  suite=platform,allocator seed=0x10 "
				  "verbose\tbudget=500 tap=13 reserve=4M "
				  "exit=halt scenario=cycle run=follow "
				  "virtio_mmio.device=512@0xfeb00e00:12 boot=uefi",
				  &o),
		    0);
	UT_CHECK_EQ(o.nr_suites, 2);
	UT_CHECK_STR(o.suites[0], "platform");
	UT_CHECK_STR(o.suites[1], "allocator");
	UT_CHECK(cmdline_wants_suite(&o, "allocator", false));
	UT_CHECK(!cmdline_wants_suite(&o, "virtio", false));
	UT_CHECK_EQ(o.seed, 16);
	UT_CHECK(o.verbose);
	UT_CHECK_EQ(o.budget_ms, 500);
	UT_CHECK_EQ(o.tap_version, 13);
	UT_CHECK_EQ(o.reserve_pages, 1024);
	UT_CHECK(o.reserve_set);
	UT_CHECK_EQ(o.exit, EXIT_HALT);
	UT_CHECK_EQ(o.run, RUN_FOLLOW);
	UT_CHECK_EQ(o.nr_scenarios, 1);
	UT_CHECK_EQ(o.nr_virtio_mmio, 1);
	UT_CHECK_STR(o.virtio_mmio[0], "512@0xfeb00e00:12");
	UT_CHECK_EQ(o.expect_boot, BOOT_UEFI);
	UT_CHECK(!o.efi_stale_key);
	UT_CHECK_EQ(o.nr_options, 11);
}

/* The UEFI loader's own option is a known kernel option too. */
static void test_loader_option(void)
{
	UT_CHECK_EQ(cmdline_parse("efi.stale_key boot=uefi", &o), 0);
	UT_CHECK(o.efi_stale_key);
	UT_CHECK_EQ(cmdline_parse("efi.stale_key=1", &o), 1);
}

/* make bench's knobs for run=follow (docs/performance.md). */
static void test_follow_tuning(void)
{
	UT_CHECK_EQ(cmdline_parse("run=follow", &o), 0);
	UT_CHECK_EQ(o.vbal_batch, 0);
	UT_CHECK_EQ(o.vbal_bufs, 0);
	UT_CHECK_EQ(cmdline_parse("vbal.batch=1024 vbal.bufs=1 follow_dirty",
				  &o),
		    0);
	UT_CHECK_EQ(o.vbal_batch, 1024);
	UT_CHECK_EQ(o.vbal_bufs, 1);
	UT_CHECK(o.follow_dirty);
}

static void test_suite_selection(void)
{
	cmdline_parse("suite=all", &o);
	UT_CHECK(cmdline_wants_suite(&o, "platform", false));
	UT_CHECK(!cmdline_wants_suite(&o, "selftest-fail", true));
	cmdline_parse("suite=selftest-fail", &o);
	UT_CHECK(cmdline_wants_suite(&o, "selftest-fail", true));
	UT_CHECK(!cmdline_wants_suite(&o, "platform", false));
}

static void test_sizes(void)
{
	cmdline_parse("reserve=300", &o);
	UT_CHECK_EQ(o.reserve_pages, 300);
	cmdline_parse("reserve=8k", &o);
	UT_CHECK_EQ(o.reserve_pages, 2);
	cmdline_parse("reserve=1G", &o);
	UT_CHECK_EQ(o.reserve_pages, 262144);
	UT_CHECK_EQ(cmdline_parse("reserve=99999999999999G", &o), 1);
	UT_CHECK_EQ(cmdline_parse("reserve=M", &o), 1);
}

static void test_errors_name_the_text(void)
{
	UT_CHECK_EQ(cmdline_parse("bogus=1 seed=abc verbose=yes seed=5", &o),
		    3);
	UT_CHECK_STR(o.errors[0], "unknown option \"bogus=1\"");
	UT_CHECK(strstr(o.errors[1], "\"seed=abc\"") != NULL);
	UT_CHECK(strstr(o.errors[1], "expected a number") != NULL);
	UT_CHECK(strstr(o.errors[2], "\"verbose=yes\"") != NULL);
	/* the run goes on: later good options still apply */
	UT_CHECK_EQ(o.seed, 5);
}

static void test_malformed_values(void)
{
	const char *bad[] = {
		"seed=", "seed=18446744073709551616", "seed=0x", "budget=0",
		"budget=3600001", "tap=12", "exit=reboot", "suite=", "run=x",
		"boot=bios",
		"suite=a,,b", "suite=a,", "virtio_mmio.device=nonsense",
		"seed", "=x", "vbal.batch=0", "vbal.batch=1025",
		"vbal.bufs=17", "vbal.bufs=", "vbal.batch",
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned n = cmdline_parse(bad[i], &o);

		if (n != 1)
			printf("    # input \"%s\" gave %u errors\n", bad[i], n);
		UT_CHECK_EQ(n, 1);
	}
}

static void test_error_count_is_bounded(void)
{
	char line[2048] = "";

	for (int i = 0; i < 20; i++)
		strcat(line, "x=1 ");
	UT_CHECK_EQ(cmdline_parse(line, &o), CMD_MAX_ERRORS);
	UT_CHECK_EQ(o.errors_dropped, 20 - CMD_MAX_ERRORS);
}

static void test_too_many_names(void)
{
	UT_CHECK_EQ(cmdline_parse("suite=a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q",
				  &o),
		    1);
}

static void test_overlong_line(void)
{
	static char line[CMD_BUF + 100];

	memset(line, 'a', sizeof(line) - 1);
	line[0] = 'x';
	line[1] = '=';
	UT_CHECK(cmdline_parse(line, &o) >= 1);
	UT_CHECK(strstr(o.errors[0], "longer than") != NULL);
}

UT_MAIN(UT_TEST(test_defaults), UT_TEST(test_all_options),
	UT_TEST(test_loader_option), UT_TEST(test_follow_tuning),
	UT_TEST(test_suite_selection),
	UT_TEST(test_sizes), UT_TEST(test_errors_name_the_text),
	UT_TEST(test_malformed_values), UT_TEST(test_error_count_is_bounded),
	UT_TEST(test_too_many_names), UT_TEST(test_overlong_line))
