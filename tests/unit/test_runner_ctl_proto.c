/*
 * test_runner_ctl_proto.c - unit tests for the control channel's
 * protocol on COM2 (host/runner/ctl.c): parsing the guest's request
 * lines, the answers to each, serial noise before the guest boots, and
 * the rate limit. The verbs for the balloons are tested in
 * test_runner_ctl.c and test_runner_ctl_qmp.c; this file covers the
 * framing they all share.
 */
#include "tests/unit/runner_rig.h"

#include "host/runner/ctl.h"

/* ---- control channel ---------------------------------------------------- */

static void test_ctl_parse(void)
{
	static const char *const bad[] = {
		"",
		"PP?",
		"PP? ",
		"PP?1 hello",
		"PP? x hello",
		"PP? 1",
		"PP? 1 ",
		"PP? 1 Hello",
		"PP? 1 hel_lo",
		"PP? -1 hello",
		"PP? 1234567890 hello",
		"PP! 1 ok",
		"pp? 1 hello",
		"PP? 1hello",
		"PP? 1 hello a\x01",
		"PP? 1 hello 1 2 3 4 5 6 7 8 9",
		"PP? 1 abcdefghijklmnopqrstuvwxyzabcdefg",
		" PP? 1 hello",
	};
	struct ctl_req r;

	UT_CHECK_EQ(ctl_parse("PP? 12 hello pinprick-guest", 27, &r), 0);
	UT_CHECK_EQ(r.id, 12);
	UT_CHECK_STR(r.verb, "hello");
	UT_CHECK_EQ(r.argc, 1);
	UT_CHECK_STR(r.argv[0], "pinprick-guest");

	UT_CHECK_EQ(ctl_parse("PP? 0 balloon-target  64M\tnow \r", 31, &r), 0);
	UT_CHECK_STR(r.verb, "balloon-target");
	UT_CHECK_EQ(r.argc, 2);
	UT_CHECK_STR(r.argv[0], "64M");
	UT_CHECK_STR(r.argv[1], "now");
	UT_CHECK_EQ(ctl_parse("PP? 999999999 x", 15, &r), 0);
	UT_CHECK_EQ(r.id, 999999999);
	UT_CHECK_EQ(ctl_parse("PP? 7 hello\0zz", 14, &r), -1); /* NUL */

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (ctl_parse(bad[i], strlen(bad[i]), &r) != -1) {
			printf("    # accepted '%s'\n", bad[i]);
			UT_CHECK(!"malformed request");
		}
	}
}

static const char *ctl_answer(struct ctl *c, const char *line, bool cut,
			      uint64_t now, char *note)
{
	static char answer[CTL_ANSWER_SIZE];
	size_t n = ctl_handle(c, line, strlen(line), cut, now, answer,
			      sizeof(answer), note, CTL_NOTE_SIZE);

	if (n)
		UT_CHECK_EQ(n, strlen(answer));
	return n ? answer : "";
}

static void test_ctl_answers(void)
{
	struct ctl c;
	char note[CTL_NOTE_SIZE];
	size_t count;
	const struct ctl_verb *verbs = ctl_verbs(&count);

	UT_CHECK(count >= 1);
	UT_CHECK_STR(verbs[0].name, "hello");
	ctl_init(&c, NULL);
	UT_CHECK_STR(
		ctl_answer(&c, "PP? 1 hello pinprick-guest", false, 5000, note),
		"PP! 1 ok pinprick-run 0.1\n");
	UT_CHECK_STR(note, "");
	UT_CHECK_STR(c.guest_version, "pinprick-guest");
	UT_CHECK_STR(ctl_answer(&c, "PP? 2 hello\r", false, 5000, note),
		     "PP! 2 ok pinprick-run 0.1\n");
	UT_CHECK_STR(ctl_answer(&c, "PP? 3 hello a b", false, 5000, note),
		     "PP! 3 err bad-args\n");
	UT_CHECK_STR(ctl_answer(&c, "PP? 4 frobnicate", false, 5000, note),
		     "PP! 4 err unknown-verb\n");
	UT_CHECK_STR(note, "");
	UT_CHECK_STR(ctl_answer(&c, "garbage\x1b[0m", false, 5000, note),
		     "PP! 0 err malformed\n");
	UT_CHECK_STR(note, "control: malformed request 'garbage?[0m'");
	UT_CHECK_STR(ctl_answer(&c, "PP? 5 Hello", false, 5000, note),
		     "PP! 0 err malformed\n");
	UT_CHECK_STR(ctl_answer(&c, "PP? 6 hello xxxxxxxxxxxxxxxx", true, 5000,
				note),
		     "PP! 6 err line-too-long\n");
	UT_CHECK(strstr(note, "longer than 512") != NULL);
	UT_CHECK_STR(ctl_answer(&c, "xxxxxxxx", true, 5000, note),
		     "PP! 0 err line-too-long\n");
	UT_CHECK_STR(ctl_answer(&c, "", false, 5000, note), "");
	UT_CHECK_STR(ctl_answer(&c, "\r", false, 5000, note), "");
	UT_CHECK_EQ(c.requests, 8);
	UT_CHECK_EQ(c.errors, 6);
}

/*
 * OVMF writes its console to every serial port, COM2 included: before the
 * guest's first well-formed request such lines are neither answered (the
 * answer would be keystrokes to the firmware) nor noted, up to a bound,
 * after which a guest that only floods is treated as speaking.
 */
static void test_ctl_preboot_noise(void)
{
	struct ctl c;
	char note[CTL_NOTE_SIZE];

	ctl_init(&c, NULL);
	UT_CHECK_STR(ctl_answer(&c,
				"\x1b[2J\x1b[01;01HBdsDxe: loading Boot0001",
				false, 5000, note),
		     "");
	UT_CHECK_STR(note, "");
	UT_CHECK_STR(ctl_answer(&c, "xxxxxxxx", true, 5000, note), "");
	UT_CHECK_EQ(c.preboot_lines, 2);
	UT_CHECK_EQ(c.requests, 0);
	UT_CHECK_STR(ctl_answer(&c, "PP? 1 hello g", false, 5000, note),
		     "PP! 1 ok pinprick-run 0.1\n");
	/* once the guest has spoken, garbage is an error again */
	UT_CHECK_STR(ctl_answer(&c, "garbage", false, 5000, note),
		     "PP! 0 err malformed\n");
	UT_CHECK(strstr(note, "malformed request") != NULL);

	ctl_init(&c, NULL);
	for (int i = 0; i < CTL_PREBOOT_MAX; i++)
		UT_CHECK_STR(ctl_answer(&c, "noise", false, 5000, note), "");
	UT_CHECK_STR(ctl_answer(&c, "noise", false, 5000, note),
		     "PP! 0 err malformed\n");
	UT_CHECK_EQ(c.preboot_lines, CTL_PREBOOT_MAX);
}

static void test_ctl_rate_limit(void)
{
	struct ctl c;
	char note[CTL_NOTE_SIZE], line[64];
	int ok = 0, limited = 0, notes = 0;

	ctl_init(&c, NULL);
	for (int i = 1; i <= 250; i++) {
		const char *a;

		snprintf(line, sizeof(line), "PP? %d hello", i);
		a = ctl_answer(&c, line, false, 10000 + (uint64_t)i, note);
		ok += strstr(a, " ok ") != NULL;
		limited += strstr(a, "err rate-limited") != NULL;
		notes += note[0] != '\0';
	}
	UT_CHECK_EQ(ok, CTL_RATE_LIMIT);
	UT_CHECK_EQ(limited, 50);
	UT_CHECK_EQ(notes, 1);
	UT_CHECK_STR(ctl_answer(&c, "PP? 251 hello", false, 10999, note),
		     "PP! 251 err rate-limited\n");
	/* a new second, a new allowance */
	UT_CHECK_STR(ctl_answer(&c, "PP? 252 hello", false, 11001, note),
		     "PP! 252 ok pinprick-run 0.1\n");
}

UT_MAIN(UT_TEST(test_ctl_parse), UT_TEST(test_ctl_answers),
	UT_TEST(test_ctl_rate_limit), UT_TEST(test_ctl_preboot_noise))
