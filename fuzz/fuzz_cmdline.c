/*
 * fuzz_cmdline.c - the kernel command line parser on arbitrary bytes.
 *
 * What it attacks: kernel/cmdline.c, which reads the command line the
 * loader (PVH start info, UEFI LoadOptions or pinprick.cfg) hands the
 * kernel: splitting into tokens in place, lists, numbers with suffixes,
 * the error list and its overflow counter. The input becomes one C
 * string (it ends at the first NUL byte, as a real command line would).
 *
 * Invariants, each an abort():
 *  - every token is accounted for once: well-formed options + errors
 *    kept + errors dropped = tokens in the (cut) line, plus one error
 *    for a line longer than the buffer;
 *  - every pointer the result holds (suites, scenarios, virtio_mmio)
 *    is a non-empty string inside o->buf without blanks; list items
 *    have no comma; error texts are terminated within their slots;
 *  - every value is in its documented range (budget, tap, exit, run,
 *    boot, vbal.batch, vbal.bufs, list lengths);
 *  - round trip: the options printed back in canonical form parse again
 *    without error to the same values.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/cmdline.h"
#include "kernel/printf.h"

#include "fuzz/fuzz_check.h"

static struct cmdline_opts o, again;
static char canon[4 * CMD_BUF];

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Tokens in the first len bytes of s, counted independently. */
static unsigned count_tokens(const char *s, size_t len)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		if (!blank(s[i]) && (i == 0 || blank(s[i - 1])))
			n++;
	return n;
}

static void check_str(const struct cmdline_opts *p, const char *s, bool list)
{
	const char *end = p->buf + sizeof(p->buf);
	const char *nul;

	CHECK(s >= p->buf && s < end);
	nul = memchr(s, 0, (size_t)(end - s));
	CHECK(nul != NULL && nul > s);
	CHECK(!strchr(s, ' ') && !strchr(s, '\t'));
	if (list)
		CHECK(!strchr(s, ','));
}

static void check_opts(const struct cmdline_opts *p)
{
	unsigned i;

	CHECK(p->nr_suites <= CMD_MAX_NAMES &&
	      p->nr_scenarios <= CMD_MAX_NAMES);
	CHECK(p->nr_virtio_mmio <= CMD_MAX_MMIO);
	CHECK(p->nr_errors <= CMD_MAX_ERRORS);
	for (i = 0; i < p->nr_suites; i++)
		check_str(p, p->suites[i], true);
	for (i = 0; i < p->nr_scenarios; i++)
		check_str(p, p->scenarios[i], true);
	for (i = 0; i < p->nr_virtio_mmio; i++) {
		check_str(p, p->virtio_mmio[i], false);
		CHECK(strchr(p->virtio_mmio[i], '@'));
	}
	for (i = 0; i < p->nr_errors; i++)
		CHECK(p->errors[i][0] &&
		      memchr(p->errors[i], 0, sizeof(p->errors[i])));
	CHECK(p->budget_ms >= 1 && p->budget_ms <= 3600000);
	CHECK(p->tap_version == 13 || p->tap_version == 14);
	CHECK((unsigned)p->exit < 4);
	CHECK(p->run == RUN_TESTS || p->run == RUN_FOLLOW);
	CHECK(p->expect_boot == BOOT_UNKNOWN || p->expect_boot == BOOT_PVH ||
	      p->expect_boot == BOOT_UEFI);
	CHECK(p->vbal_batch <= 1024 && p->vbal_bufs <= 16);
	CHECK(p->seed_set || p->seed == CMD_DEFAULT_SEED);
	CHECK(p->reserve_set || p->reserve_pages == 0);
}

static size_t put(size_t len, const char *fmt, const char *s,
		  unsigned long long v)
{
	int n;

	if (s)
		n = ksnprintf(canon + len, sizeof(canon) - len, fmt, s);
	else
		n = ksnprintf(canon + len, sizeof(canon) - len, fmt, v);
	CHECK(n >= 0 && len + (size_t)n < sizeof(canon));
	return len + (size_t)n;
}

static size_t put_list(size_t len, const char *key, const char *const *v,
		       unsigned n)
{
	unsigned i;

	if (!n)
		return len;
	len = put(len, " %s=", key, 0);
	for (i = 0; i < n; i++)
		len = put(len, i ? ",%s" : "%s", v[i], 0);
	return len;
}

/* Print o back as options, parse it again, compare every value. */
static void check_round_trip(void)
{
	static const char *const exits[] = {"auto", "debugexit", "acpi",
					    "halt"};
	size_t len = 0;
	unsigned i;

	len = put_list(len, "suite", o.suites, o.nr_suites);
	len = put_list(len, "scenario", o.scenarios, o.nr_scenarios);
	if (o.seed_set)
		len = put(len, " seed=%llu", NULL, o.seed);
	if (o.verbose)
		len = put(len, " verbose", NULL, 0);
	len = put(len, " budget=%llu", NULL, o.budget_ms);
	len = put(len, " tap=%llu", NULL, o.tap_version);
	if (o.reserve_set)
		len = put(len, " reserve=%llu", NULL, o.reserve_pages);
	len = put(len, " exit=%s", exits[o.exit], 0);
	len = put(len, " run=%s", o.run == RUN_FOLLOW ? "follow" : "tests", 0);
	if (o.expect_boot != BOOT_UNKNOWN)
		len = put(len, " boot=%s",
			  o.expect_boot == BOOT_UEFI ? "uefi" : "pvh", 0);
	if (o.efi_stale_key)
		len = put(len, " efi.stale_key", NULL, 0);
	if (o.follow_dirty)
		len = put(len, " follow_dirty", NULL, 0);
	if (o.vbal_batch)
		len = put(len, " vbal.batch=%llu", NULL, o.vbal_batch);
	if (o.vbal_bufs)
		len = put(len, " vbal.bufs=%llu", NULL, o.vbal_bufs);
	for (i = 0; i < o.nr_virtio_mmio; i++)
		len = put(len, " virtio_mmio.device=%s", o.virtio_mmio[i], 0);
	if (len >= CMD_BUF)
		return; /* printed longer than a command line may be */

	CHECK(cmdline_parse(canon, &again) == 0);
	check_opts(&again);
	CHECK(again.nr_suites == o.nr_suites &&
	      again.nr_scenarios == o.nr_scenarios &&
	      again.nr_virtio_mmio == o.nr_virtio_mmio);
	for (i = 0; i < o.nr_suites; i++)
		CHECK(!strcmp(again.suites[i], o.suites[i]));
	for (i = 0; i < o.nr_scenarios; i++)
		CHECK(!strcmp(again.scenarios[i], o.scenarios[i]));
	for (i = 0; i < o.nr_virtio_mmio; i++)
		CHECK(!strcmp(again.virtio_mmio[i], o.virtio_mmio[i]));
	CHECK(again.seed == o.seed && again.seed_set == o.seed_set);
	CHECK(again.verbose == o.verbose && again.budget_ms == o.budget_ms);
	CHECK(again.tap_version == o.tap_version && again.exit == o.exit);
	CHECK(again.reserve_set == o.reserve_set &&
	      again.reserve_pages == o.reserve_pages);
	CHECK(again.run == o.run && again.expect_boot == o.expect_boot);
	CHECK(again.efi_stale_key == o.efi_stale_key &&
	      again.follow_dirty == o.follow_dirty);
	CHECK(again.vbal_batch == o.vbal_batch &&
	      again.vbal_bufs == o.vbal_bufs);
	/* Both calls with the same text must agree on the suite choice. */
	CHECK(cmdline_wants_suite(&again, "virtio", false) ==
	      cmdline_wants_suite(&o, "virtio", false));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	size_t len, kept;
	unsigned errors, tokens;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	len = strlen(s);
	errors = cmdline_parse(s, &o);
	CHECK(errors == o.nr_errors);
	kept = len < CMD_BUF ? len : CMD_BUF - 1;
	tokens = count_tokens(s, kept) + (len >= CMD_BUF);
	CHECK(o.nr_options + o.nr_errors + o.errors_dropped == tokens);
	CHECK(o.errors_dropped == 0 || o.nr_errors == CMD_MAX_ERRORS);
	check_opts(&o);
	check_round_trip();
	free(s);
	return 0;
}
