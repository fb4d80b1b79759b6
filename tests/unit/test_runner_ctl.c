/*
 * test_runner_ctl.c - unit tests for the control verbs the virtio-balloon
 * suites need (host/runner/ctl_vbal.c, ctl_migrate.c) and for the
 * answer-length rule in ctl.c: host-rss on this very process, every verb
 * without QMP and with bad arguments, event accounting, the guest-stats
 * payload and QEMU's oversized integers. Kept apart from test_runner.c,
 * which is long enough; the verbs' QMP conversations (against a scripted
 * fake QEMU) are in test_runner_ctl_qmp.c, the smaps parser's fixtures in
 * test_runner_smaps.c.
 */
#include "tests/unit/ut.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/runner/ctl.h"
#include "host/runner/ctl_verbs.h"
#include "host/runner/qmp.h"
#include "host/runner/smaps.h"
#include "host/runner/util.h"

#define MIB (1024ull * 1024)

/* ---- host-rss on this process ------------------------------------------- */

static const char *ask(struct ctl *c, const char *line)
{
	static char answer[CTL_ANSWER_SIZE];
	char note[CTL_NOTE_SIZE];
	size_t n = ctl_handle(c, line, strlen(line), false, 1000, answer,
			      sizeof(answer), note, sizeof(note));

	UT_CHECK(n > 0 && n <= CTL_MAX_LINE && answer[n - 1] == '\n');
	UT_CHECK_EQ(n, strlen(answer));
	if (n)
		answer[n - 1] = '\0';
	return answer;
}

static void test_host_rss(void)
{
	const size_t size = 3 * MIB + 5 * 4096, page = 4096;
	unsigned long long rss = 0, vsize = 0, anon = 0;
	char *base, *ram;
	struct smaps_ram m;
	struct ctl c;

	/* PROT_NONE on both sides, so no neighbour merges with it */
	base = mmap(NULL, size + 2 * page, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	UT_CHECK(base != MAP_FAILED);
	if (base == MAP_FAILED)
		return;
	ram = base + page;
	UT_CHECK_EQ(mprotect(ram, size, PROT_READ | PROT_WRITE), 0);
	for (size_t i = 0; i < 100; i++)
		ram[i * page] = 1;
	UT_CHECK_EQ(smaps_read(getpid(), size, &m), SMAPS_OK);
	UT_CHECK_EQ(m.start, (uintptr_t)ram);
	UT_CHECK_EQ(m.size, size);
	UT_CHECK(m.rss >= 100 * page && m.anon >= 100 * page);
	UT_CHECK_EQ(smaps_read(-1, size, &m), SMAPS_ERR_READ);
	UT_CHECK_EQ(smaps_read(0x3ffffff0, size, &m), SMAPS_ERR_READ);

	ctl_init(&c, NULL);
	UT_CHECK_STR(ask(&c, "PP? 1 host-rss"), "PP! 1 err no-qemu");
	c.qemu_pid = getpid();
	UT_CHECK_STR(ask(&c, "PP? 2 host-rss"), "PP! 2 err no-qemu");
	c.ram_bytes = size;
	UT_CHECK_STR(ask(&c, "PP? 3 host-rss now"), "PP! 3 err bad-args");
	UT_CHECK_EQ(sscanf(ask(&c, "PP? 4 host-rss"),
			   "PP! 4 ok rss=%llu size=%llu anon=%llu", &rss,
			   &vsize, &anon),
		    3);
	UT_CHECK(rss >= 100 * page && anon >= 100 * page);
	UT_CHECK_EQ(vsize, size);
	c.ram_bytes = 777 * MIB + 3 * page; /* nothing that size */
	UT_CHECK_STR(ask(&c, "PP? 5 host-rss"), "PP! 5 err no-ram-mapping");
	c.qemu_pid = 0x3ffffff0;
	UT_CHECK_STR(ask(&c, "PP? 6 host-rss"), "PP! 6 err smaps-unreadable");
	munmap(base, size + 2 * page);
}

/* ---- without QMP, bad arguments, events -----------------------------------
 */

static void test_verbs_without_qmp(void)
{
	static const char *const cases[][2] = {
		{"PP? 1 stats-interval 5", "PP! 1 err no-qmp"},
		{"PP? 2 stats-interval", "PP! 2 err bad-args"},
		{"PP? 3 stats-interval 5 6", "PP! 3 err bad-args"},
		{"PP? 4 stats-interval 3601", "PP! 4 err bad-args"},
		{"PP? 5 stats-interval -1", "PP! 5 err bad-args"},
		{"PP? 6 stats-interval 1s", "PP! 6 err bad-args"},
		{"PP? 7 stats-interval 99999999999999999999999",
		 "PP! 7 err bad-args"},
		{"PP? 8 guest-stats", "PP! 8 err no-qmp"},
		{"PP? 9 guest-stats all", "PP! 9 err bad-args"},
		{"PP? 10 balloon-events", "PP! 10 err no-qmp"},
		{"PP? 11 balloon-events reset", "PP! 11 err bad-args"},
		{"PP? 12 migrate-start", "PP! 12 err no-qmp"},
		{"PP? 13 migrate-start tcp:1", "PP! 13 err bad-args"},
		{"PP? 14 migrate-status", "PP! 14 err no-qmp"},
		{"PP? 15 migrate-status x", "PP! 15 err bad-args"},
	};
	struct qmp *none = NULL;
	struct ctl c;

	ctl_init(&c, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		UT_CHECK_STR(ask(&c, cases[i][0]), cases[i][1]);
	c.qmp = &none; /* connection gone */
	UT_CHECK_STR(ask(&c, "PP? 16 guest-stats"), "PP! 16 err no-qmp");
	ctl_tick(&c, 5000); /* nothing to do, nothing to crash */
}

static struct ctl *sync_ctl;
static unsigned sync_calls;

/* Stands in for chan.c: an event that came in just before the request. */
static void sync_one_event(struct ctl *c)
{
	json_t *data = json_pack("{s:I}", "actual", (json_int_t)(96 * MIB));

	UT_CHECK(c == sync_ctl);
	sync_calls++;
	ctl_qmp_event(c, "BALLOON_CHANGE", data);
	json_decref(data);
}

static void test_balloon_events(void)
{
	struct qmp *fake = (struct qmp *)&sync_calls; /* never used */
	json_t *d1 = json_pack("{s:I}", "actual", (json_int_t)(100 * MIB));
	json_t *d2 = json_pack("{s:I}", "actual", (json_int_t)(64 * MIB));
	json_t *odd = json_pack("{s:s}", "actual", "lots");
	struct ctl c;

	ctl_init(&c, NULL);
	c.qmp = &fake;
	UT_CHECK_STR(ask(&c, "PP? 1 balloon-events"),
		     "PP! 1 ok count=0 last=- total=0");
	ctl_qmp_event(&c, "BALLOON_CHANGE", d1);
	ctl_qmp_event(&c, "STOP", NULL);
	ctl_qmp_event(&c, NULL, d1);
	ctl_qmp_event(&c, "BALLOON_CHANGE", d2);
	UT_CHECK_STR(ask(&c, "PP? 2 balloon-events"),
		     "PP! 2 ok count=2 last=67108864 total=2");
	UT_CHECK_STR(ask(&c, "PP? 3 balloon-events"),
		     "PP! 3 ok count=0 last=- total=2");
	/* an event without a usable value still counts */
	ctl_qmp_event(&c, "BALLOON_CHANGE", odd);
	ctl_qmp_event(&c, "BALLOON_CHANGE", NULL);
	UT_CHECK_STR(ask(&c, "PP? 4 balloon-events"),
		     "PP! 4 ok count=2 last=- total=4");
	/* events already read are taken in before answering */
	sync_ctl = &c;
	c.sync_events = sync_one_event;
	UT_CHECK_STR(ask(&c, "PP? 5 balloon-events"),
		     "PP! 5 ok count=1 last=100663296 total=5");
	UT_CHECK_EQ(sync_calls, 1);
	/* a MIGRATION event for a migration the runner did not start */
	ctl_qmp_event(&c, "MIGRATION", odd);
	UT_CHECK_EQ(c.mig.state, CTL_MIG_IDLE);
	json_decref(d1);
	json_decref(d2);
	json_decref(odd);
}

/* ---- the guest-stats payload, QEMU's big integers, the line limit ------- */

static const char *fmt_stats(const char *qemu_text, int *rc)
{
	static char buf[CTL_PAYLOAD_MAX + 1];
	json_t *j = json_loads(qemu_text, 0, NULL);
	size_t n;
	char *folded = NULL;

	if (!j) { /* as qmp.c reads what QEMU prints */
		folded = qmp_fold_uint64(qemu_text, strlen(qemu_text), &n);
		j = folded ? json_loadb(folded, n, 0, NULL) : NULL;
		free(folded);
	}
	UT_CHECK(j != NULL);
	*rc = ctl_format_guest_stats(j, buf, sizeof(buf));
	json_decref(j);
	return buf;
}

static void test_guest_stats_format(void)
{
	const char *full_text =
		"{\"last-update\": 1700000000, \"stats\": {\"stat-swap-in\": "
		"1, "
		"\"stat-swap-out\": 2, \"stat-major-faults\": 3, "
		"\"stat-minor-faults\": 4, \"stat-free-memory\": 5, "
		"\"stat-total-memory\": 6, \"stat-available-memory\": 7, "
		"\"stat-disk-caches\": 8, \"stat-htlb-pgalloc\": 9, "
		"\"stat-htlb-pgfail\": 10}}";
	const char *full = "last-update=1700000000 swap-in=1 swap-out=2 "
			   "major-faults=3 minor-faults=4 free-memory=5 "
			   "total-memory=6 available-memory=7 disk-caches=8 "
			   "htlb-pgalloc=9 htlb-pgfail=10";
	char big[600], buf[CTL_PAYLOAD_MAX + 1];
	json_t *j;
	int rc;

	UT_CHECK_STR(fmt_stats(full_text, &rc), full);
	UT_CHECK_EQ(rc, 0);
	/* as QEMU 7.2 prints unset ones; -1, a string, missing, unknown */
	UT_CHECK_STR(
		fmt_stats("{\"stats\": {\"stat-htlb-pgalloc\": "
			  "18446744073709551615, \"stat-swap-in\": -1, "
			  "\"stat-swap-out\": 18446744073709551614, "
			  "\"stat-free-memory\": \"5\", \"stat-total-memory\": "
			  "134217728, \"stat-new\": 3}, \"last-update\": 0}",
			  &rc),
		"last-update=0 swap-in=- swap-out=18446744073709551614 "
		"major-faults=- minor-faults=- free-memory=- "
		"total-memory=134217728 available-memory=- disk-caches=- "
		"htlb-pgalloc=- htlb-pgfail=-");
	UT_CHECK_EQ(rc, 0);
	UT_CHECK_STR(fmt_stats("{}", &rc),
		     "last-update=- swap-in=- swap-out=- major-faults=- "
		     "minor-faults=- free-memory=- total-memory=- "
		     "available-memory=- disk-caches=- htlb-pgalloc=- "
		     "htlb-pgfail=-");
	UT_CHECK_STR(fmt_stats("[1]", &rc), "");
	UT_CHECK_EQ(rc, -1);
	UT_CHECK_EQ(ctl_format_guest_stats(NULL, buf, sizeof(buf)), -1);
	UT_CHECK_EQ(ctl_format_guest_stats(NULL, buf, 0), -1);

	/* any buffer size: whole fields only, never half a number */
	j = json_loads(full_text, 0, NULL);
	for (size_t size = 1; size <= strlen(full) + 2; size++) {
		size_t got;

		rc = ctl_format_guest_stats(j, buf, size);
		got = strlen(buf);
		UT_CHECK(got < size && !strncmp(buf, full, got));
		UT_CHECK(got == 0 || full[got] == ' ' || full[got] == '\0');
		UT_CHECK_EQ(rc, size > strlen(full) ? 0 : -1);
	}
	json_decref(j);

	/* the longest possible payload fits the line with the longest id */
	snprintf(big, sizeof(big), "{\"last-update\": %lld, \"stats\": {",
		 (long long)INT64_MAX);
	for (size_t i = 0; i < 10; i++)
		util_appendf(big, sizeof(big), "%s\"stat-%s\": %llu",
			     i ? ", " : "",
			     (const char *[]){"swap-in", "swap-out",
					      "major-faults", "minor-faults",
					      "free-memory", "total-memory",
					      "available-memory", "disk-caches",
					      "htlb-pgalloc", "htlb-pgfail"}[i],
			     (unsigned long long)UINT64_MAX - 1);
	util_appendf(big, sizeof(big), "}}");
	fmt_stats(big, &rc);
	UT_CHECK_EQ(rc, 0);
	UT_CHECK(strlen(fmt_stats(big, &rc)) + strlen("PP! 999999999 ok ") <
		 CTL_MAX_LINE);
	UT_CHECK(strstr(fmt_stats(big, &rc),
			"htlb-pgfail=18446744073709551614"));
}

static void test_fold_uint64(void)
{
	const char *in = "{\"a\": 18446744073709551615, \"b\": "
			 "\"18446744073709551615\", "
			 "\"c\": [9223372036854775808, 9223372036854775807, "
			 "18446744073709551616, 1.8446744073709551615e19, "
			 "-18446744073709551615, 0.18446744073709551615], "
			 "\"d\": \"x\\\"18446744073709551615\", "
			 "\"e\":18446744073709551614}";
	const char *want = "{\"a\": -1, \"b\": \"18446744073709551615\", "
			   "\"c\": [-9223372036854775808, 9223372036854775807, "
			   "18446744073709551616, 1.8446744073709551615e19, "
			   "-18446744073709551615, 0.18446744073709551615], "
			   "\"d\": \"x\\\"18446744073709551615\", \"e\":-2}";
	const char *plain = "{\"a\": 1, \"b\": \"18446744073709551615\"}";
	size_t n = 0;
	char *out = qmp_fold_uint64(in, strlen(in), &n);
	json_t *j;

	UT_CHECK(out != NULL);
	if (out) {
		UT_CHECK_STR(out, want);
		UT_CHECK_EQ(n, strlen(want));
	}
	free(out);
	UT_CHECK(qmp_fold_uint64(plain, strlen(plain), &n) == NULL);
	UT_CHECK(qmp_fold_uint64("", 0, &n) == NULL);
	/* at the very end of the text, and as the whole text */
	out = qmp_fold_uint64("[18446744073709551615", 21, &n);
	UT_CHECK(out && !strcmp(out, "[-1"));
	free(out);
	out = qmp_fold_uint64("18446744073709551615", 20, &n);
	j = out ? json_loads(out, JSON_DECODE_ANY, NULL) : NULL;
	UT_CHECK(json_is_integer(j) && json_integer_value(j) == -1);
	json_decref(j);
	free(out);
}

static void test_answer_bounds(void)
{
	char answer[CTL_ANSWER_SIZE], payload[700], small[16];
	size_t n, kept;

	/* "k1=v1 k2=v2 ..." well over a line */
	payload[0] = '\0';
	for (int i = 0; strlen(payload) < 650; i++)
		util_appendf(payload, sizeof(payload), "%sk%d=%d", i ? " " : "",
			     i, i * 1000);
	n = (size_t)snprintf(answer, sizeof(answer), "PP! 999999999 ok");
	n = ctl_finish_answer(answer, n, sizeof(answer), payload);
	UT_CHECK(n <= CTL_MAX_LINE && n == strlen(answer));
	UT_CHECK(answer[n - 1] == '\n' && !memchr(answer, '\n', n - 1));
	kept = n - 1 - strlen("PP! 999999999 ok ");
	UT_CHECK(!strncmp(answer + n - 1 - kept, payload, kept));
	UT_CHECK_EQ(payload[kept], ' '); /* cut between two fields */
	UT_CHECK(n > CTL_MAX_LINE - 16);

	/* no blank to cut at: cut at the limit */
	memset(payload, 'x', 600);
	payload[600] = '\0';
	n = (size_t)snprintf(answer, sizeof(answer), "PP! 1 err qmp-error");
	n = ctl_finish_answer(answer, n, sizeof(answer), payload);
	UT_CHECK_EQ(n, CTL_MAX_LINE);
	UT_CHECK(answer[n - 1] == '\n' && answer[n] == '\0');

	/* a small buffer bounds it as well, and an empty payload adds nothing
	 */
	n = ctl_finish_answer(strcpy(small, "PP! 12 ok"), 9, sizeof(small),
			      "a=1 b=2 c=3");
	UT_CHECK_STR(small, "PP! 12 ok a=1\n");
	UT_CHECK_EQ(n, 14);
	n = ctl_finish_answer(strcpy(small, "PP! 12 ok"), 9, sizeof(small), "");
	UT_CHECK_STR(small, "PP! 12 ok\n");
	n = ctl_finish_answer(strcpy(small, "PP! 123456789 o"), 15, 10, "x");
	UT_CHECK_STR(small, "PP! 1234\n");
	UT_CHECK_EQ(n, 9);
}

UT_MAIN(UT_TEST(test_host_rss), UT_TEST(test_verbs_without_qmp),
	UT_TEST(test_balloon_events), UT_TEST(test_guest_stats_format),
	UT_TEST(test_fold_uint64), UT_TEST(test_answer_bounds))
