/*
 * test_runner_ctl_qmp.c - the control verbs that talk to QEMU, against a
 * scripted fake QEMU (tests/unit/fake_qmp.h) that checks every command
 * they send: finding the balloon's QOM path (by id, else by type under
 * /machine/peripheral-anon, again after a failure), guest-stats with the
 * integers QEMU 7.2 really prints, stats-interval, and migrate-start with
 * the resume that must follow: waiting out "finish-migrate", polling when
 * QEMU sends no events, a failed migration, and giving up in time.
 */
#include "tests/unit/ut.h"

#include <stdbool.h>
#include <stdint.h>

#include "host/runner/ctl.h"
#include "host/runner/qmp.h"
#include "host/runner/util.h"
#include "tests/unit/fake_qmp.h"

static const char *ask(struct ctl *c, const char *line)
{
	static char answer[CTL_ANSWER_SIZE];
	char note[CTL_NOTE_SIZE];
	size_t n = ctl_handle(c, line, strlen(line), false, 1000, answer,
			      sizeof(answer), note, sizeof(note));

	UT_CHECK(n > 0 && n <= CTL_MAX_LINE && answer[n - 1] == '\n');
	if (n)
		answer[n - 1] = '\0';
	return answer;
}

/* QEMU's answers, as it prints them */
#define RET(json) "{\"return\": " json ", \"id\": %ld}\r\n"
#define OK_EMPTY  RET("{}")
#define ERR(c, why)                                                            \
	"{\"id\": %ld, \"error\": {\"class\": \"" c "\", \"desc\": \"" why     \
	"\"}}\r\n"
#define ANON "/machine/peripheral-anon/device[0]"

static struct qmp *fq;

/* Hands the events read so far to ctl, as chan.c does. */
static void take_events(struct ctl *c)
{
	json_t *ev;

	qmp_pump(fq);
	while ((ev = qmp_pop_event(fq))) {
		ctl_qmp_event(c,
			      json_string_value(json_object_get(ev, "event")),
			      json_object_get(ev, "data"));
		json_decref(ev);
	}
}

static void test_qom_verbs(void)
{
	static const struct fake_step steps[] = {
		/* no proper answer: no further commands */
		FAKE_STEP("\"qom-get\"", "/machine/peripheral/balloon0",
			  "{\"return\": {not json\r\n"),
		/* microvm: no id, so not at balloon0 */
		FAKE_STEP("\"qom-get\"", "/machine/peripheral/balloon0",
			  ERR("DeviceNotFound", "Device 'balloon0' not found")),
		FAKE_STEP("\"qom-list\"", "\"path\":\"/machine/peripheral\"}",
			  RET("[{\"name\": \"type\", \"type\": \"string\"}]")),
		FAKE_STEP("\"qom-list\"",
			  "\"path\":\"/machine/peripheral-anon\"}",
			  RET("[{\"name\": \"type\", \"type\": \"string\"}, "
			      "{\"name\": \"device[0]\", "
			      "\"type\": \"child<virtio-balloon-device>\"}]")),
		FAKE_STEP("\"property\":\"guest-stats\"",
			  "\"path\":\"" ANON "\"",
			  RET("{\"stats\": {"
			      "\"stat-swap-out\": 18446744073709551615, "
			      "\"stat-free-memory\": 104857600, "
			      "\"stat-swap-in\": 0}, "
			      "\"last-update\": 1795392797}")),
		/* the path is cached now */
		FAKE_STEP("\"qom-set\"", "\"value\":3}", OK_EMPTY),
		FAKE_STEP("\"qom-set\"", "\"value\":0}",
			  ERR("GenericError", "no\\u001b[31m timer")),
		/* after a failure it looks again, and finds balloon0 */
		FAKE_STEP("\"qom-get\"", "guest-stats-polling-interval",
			  RET("3")),
		FAKE_STEP("\"property\":\"guest-stats\"", "balloon0",
			  RET("{\"last-update\": 0, \"stats\": {}}")),
		FAKE_STEP("\"property\":\"guest-stats\"", "balloon0",
			  RET("[]")),
	};
	pid_t pid = fake_qmp_start(steps, ARRAY_SIZE(steps), &fq);
	struct ctl c;

	UT_CHECK(fq != NULL);
	ctl_init(&c, NULL);
	c.qmp = &fq;
	UT_CHECK(!strncmp(ask(&c, "PP? 0 guest-stats"),
			  "PP! 0 err qmp-error malformed message", 37));
	UT_CHECK_STR(c.balloon_path, "");
	UT_CHECK_STR(ask(&c, "PP? 1 guest-stats"),
		     "PP! 1 ok last-update=1795392797 swap-in=0 swap-out=- "
		     "major-faults=- minor-faults=- free-memory=104857600 "
		     "total-memory=- available-memory=- disk-caches=- "
		     "htlb-pgalloc=- htlb-pgfail=-");
	UT_CHECK_STR(c.balloon_path, ANON);
	UT_CHECK_STR(ask(&c, "PP? 2 stats-interval 3"),
		     "PP! 2 ok interval=3 path=" ANON);
	UT_CHECK_STR(ask(&c, "PP? 3 stats-interval 0"),
		     "PP! 3 err qmp-error no?[31m timer");
	UT_CHECK_STR(c.balloon_path, "");
	UT_CHECK(!strncmp(ask(&c, "PP? 4 guest-stats"),
			  "PP! 4 ok last-update=0 swap-in=- ", 33));
	UT_CHECK_STR(c.balloon_path, "/machine/peripheral/balloon0");
	UT_CHECK_STR(ask(&c, "PP? 5 guest-stats"), "PP! 5 err bad-qmp-reply");
	UT_CHECK(fake_qmp_end(pid, fq));
	fq = NULL;
}

#define EV_MIG(st)                                                             \
	"{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": "   \
	"\"MIGRATION\", \"data\": {\"status\": \"" st "\"}}\r\n"
#define RUNSTATE(st)                                                           \
	RET("{\"status\": \"" st "\", \"singlestep\": false, "                 \
	    "\"running\": false}")

/* Completes, with events: the runner waits out "finish-migrate", then
 * sends cont at "postmigrate". */
static void test_migrate_completes(void)
{
	static const struct fake_step steps[] = {
		FAKE_STEP("migrate-set-capabilities",
			  "\"capability\":\"events\"", OK_EMPTY),
		FAKE_STEP("\"migrate\"", "\"uri\":\"exec:cat > /dev/null\"",
			  EV_MIG("setup") EV_MIG("active") EV_MIG("completed")
				  OK_EMPTY),
		FAKE_STEP("query-status", NULL, RUNSTATE("finish-migrate")),
		FAKE_STEP("query-status", NULL, RUNSTATE("postmigrate")),
		FAKE_STEP("\"cont\"", NULL, OK_EMPTY),
		FAKE_STEP("query-migrate", NULL,
			  RET("{\"status\": \"completed\", "
			      "\"ram\": {\"total\": 134750208}}")),
		/* the capability is not asked for twice */
		FAKE_STEP("\"migrate\"", NULL,
			  ERR("GenericError",
			      "There's a migration process in progress")),
	};
	pid_t pid = fake_qmp_start(steps, ARRAY_SIZE(steps), &fq);
	struct ctl c;

	ctl_init(&c, NULL);
	c.qmp = &fq;
	UT_CHECK_STR(ask(&c, "PP? 1 migrate-start"), "PP! 1 ok status=setup");
	UT_CHECK(c.mig.events);
	UT_CHECK_EQ(c.mig.state, CTL_MIG_RUNNING);
	take_events(&c);
	UT_CHECK_EQ(c.mig.state, CTL_MIG_RESUMING);
	UT_CHECK_STR(c.mig.status, "completed");
	ctl_tick(&c, 10000);
	UT_CHECK_EQ(c.mig.state, CTL_MIG_DONE);
	UT_CHECK_EQ(c.mig.resumed, 1);
	ctl_tick(&c, 20000); /* done: no more commands */
	UT_CHECK_STR(ask(&c, "PP? 2 migrate-status"),
		     "PP! 2 ok status=completed resumed=1");
	UT_CHECK_STR(ask(&c, "PP? 3 migrate-start"),
		     "PP! 3 err qmp-error There's a migration process in "
		     "progress");
	UT_CHECK_EQ(c.mig.state, CTL_MIG_DONE);
	UT_CHECK(fake_qmp_end(pid, fq));
	fq = NULL;
}

/* No events: the runner polls; the migration fails and QEMU keeps the
 * guest running, so there is nothing to resume. */
static void test_migrate_fails_polled(void)
{
	static const struct fake_step steps[] = {
		FAKE_STEP("migrate-set-capabilities", NULL,
			  ERR("GenericError", "no")),
		FAKE_STEP("\"migrate\"", NULL, OK_EMPTY),
		FAKE_STEP("query-migrate", NULL,
			  RET("{\"status\": \"active\"}")),
		FAKE_REPEAT(
			"query-migrate", NULL,
			RET("{\"status\": \"failed\", \"error-desc\": "
			    "\"Unable to write to command: Broken pipe\"}")),
		FAKE_STEP("query-status", NULL, RUNSTATE("running")),
		FAKE_STEP("query-migrate", NULL,
			  RET("{\"status\": \"failed\"}")),
	};
	pid_t pid = fake_qmp_start(steps, ARRAY_SIZE(steps), &fq);
	struct ctl c;

	ctl_init(&c, NULL);
	c.qmp = &fq;
	UT_CHECK_STR(ask(&c, "PP? 1 migrate-start"), "PP! 1 ok status=setup");
	UT_CHECK(!c.mig.events);
	ctl_tick(&c, 1000); /* polls: active */
	UT_CHECK_EQ(c.mig.state, CTL_MIG_RUNNING);
	ctl_tick(&c, 1200); /* too soon to poll again */
	ctl_tick(&c, 1500); /* failed; why; not paused */
	UT_CHECK_EQ(c.mig.state, CTL_MIG_DONE);
	UT_CHECK_EQ(c.mig.resumed, 0);
	UT_CHECK_STR(ask(&c, "PP? 2 migrate-status"),
		     "PP! 2 ok status=failed resumed=0");
	UT_CHECK(fake_qmp_end(pid, fq));
	fq = NULL;
}

/* QEMU never reaches "postmigrate": the runner keeps trying, bounded, then
 * gives up without sending cont. */
static void test_migrate_gives_up(void)
{
	static const struct fake_step steps[] = {
		FAKE_STEP("migrate-set-capabilities", NULL, OK_EMPTY),
		FAKE_STEP("\"migrate\"", NULL, EV_MIG("completed") OK_EMPTY),
		FAKE_REPEAT("query-status", NULL, RUNSTATE("finish-migrate")),
	};
	pid_t pid = fake_qmp_start(steps, ARRAY_SIZE(steps), &fq);
	uint64_t t0 = util_now_ms();
	struct ctl c;

	ctl_init(&c, NULL);
	c.qmp = &fq;
	UT_CHECK_STR(ask(&c, "PP? 1 migrate-start"), "PP! 1 ok status=setup");
	take_events(&c);
	ctl_tick(&c, 1000);
	UT_CHECK_EQ(c.mig.state, CTL_MIG_RESUMING);
	ctl_tick(&c, 5000);
	UT_CHECK_EQ(c.mig.state, CTL_MIG_RESUMING);
	ctl_tick(&c, 11000); /* 10 s after the first try */
	UT_CHECK_EQ(c.mig.state, CTL_MIG_DONE);
	UT_CHECK_EQ(c.mig.resumed, 0);
	/* each tick waited at most about 300 ms */
	UT_CHECK(util_now_ms() - t0 < 3 * 300 + 500);
	UT_CHECK(fake_qmp_end(pid, fq));
	fq = NULL;
}

UT_MAIN(UT_TEST(test_qom_verbs), UT_TEST(test_migrate_completes),
	UT_TEST(test_migrate_fails_polled), UT_TEST(test_migrate_gives_up))
