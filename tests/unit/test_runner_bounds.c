/*
 * test_runner_bounds.c - the runner's limits against a hostile guest
 * (issue 10), each at and past its bound: cut lines are counted and
 * measured, notes on bad control requests stop after CTL_NOTES_MAX, the
 * control channel hands at most its time budget of requests to one pass
 * of the loop, and the report's list of checks and their YAML stay
 * within TCASE_MAX and TCASE_TEXT_TOTAL. tests/guest/selftest_hostile.c
 * does the same against real QEMU.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/runner/chan.h"
#include "host/runner/ctl.h"
#include "host/runner/linebuf.h"
#include "host/runner/tap_cases.h"
#include "tests/unit/ut.h"

static int lines_seen, cut_seen;

static int count_line(void *ctx, char *line, size_t len, bool cut)
{
	lines_seen++;
	cut_seen += cut;
	return 0;
}

/* A 10000-byte line through an 8-byte splitter, in odd pieces. */
static void test_lbuf_counts_cut_lines(void)
{
	char big[10000];
	struct lbuf lb;

	memset(big, 'x', sizeof(big));
	UT_CHECK_EQ(lbuf_init(&lb, 8), 0);
	lines_seen = cut_seen = 0;
	lbuf_feed(&lb, "short\n", 6, count_line, NULL);
	for (size_t off = 0; off < sizeof(big); off += 333) {
		size_t n = sizeof(big) - off < 333 ? sizeof(big) - off : 333;

		lbuf_feed(&lb, big + off, n, count_line, NULL);
	}
	UT_CHECK_EQ(lb.cut_lines, 0); /* not ended yet */
	lbuf_feed(&lb, "\n12345678\n", 10, count_line, NULL);
	UT_CHECK_EQ(lines_seen, 3);
	UT_CHECK_EQ(cut_seen, 1);
	UT_CHECK_EQ(lb.cut_lines, 1);
	UT_CHECK_EQ(lb.longest_cut, 10000);
	/* exactly the limit is not a cut; one more byte is */
	lbuf_feed(&lb, "123456789\n", 10, count_line, NULL);
	UT_CHECK_EQ(lb.cut_lines, 2);
	UT_CHECK_EQ(lb.longest_cut, 10000);
	/* an unfinished over-long line at the end of the stream counts */
	lbuf_feed(&lb, big, sizeof(big), count_line, NULL);
	lbuf_feed(&lb, big, 5000, count_line, NULL);
	lbuf_flush(&lb, count_line, NULL);
	UT_CHECK_EQ(lb.cut_lines, 3);
	UT_CHECK_EQ(lb.longest_cut, 15000);
	lbuf_free(&lb);
}

/* 100 malformed lines: CTL_NOTES_MAX notes, the last one saying so. */
static void test_ctl_notes_are_capped(void)
{
	struct ctl c;
	char answer[CTL_ANSWER_SIZE], note[CTL_NOTE_SIZE], last[CTL_NOTE_SIZE];
	int notes = 0, answers = 0;
	uint64_t now = 5000;

	ctl_init(&c, NULL);
	ctl_handle(&c, "PP? 1 hello", 11, false, now, answer, sizeof(answer),
		   note, sizeof(note));
	UT_CHECK(!strncmp(answer, "PP! 1 ok", 8));
	last[0] = '\0';
	for (int i = 0; i < 100; i++) {
		/* a new rate window each time: notes, not refusals */
		now += 1000;
		answers += ctl_handle(&c, "garbage", 7, i % 2, now, answer,
				      sizeof(answer), note, sizeof(note)) > 0;
		if (note[0]) {
			notes++;
			snprintf(last, sizeof(last), "%s", note);
		}
	}
	UT_CHECK_EQ(answers, 100); /* every line is still answered */
	UT_CHECK_EQ(notes, CTL_NOTES_MAX);
	UT_CHECK(strstr(last, "more are not shown") != NULL);
	UT_CHECK_EQ(c.errors, 100);
}

/* Answers waiting on the guest's end of the socket, counted. */
static int read_answers(int fd, char *buf, size_t size)
{
	ssize_t n = read(fd, buf, size - 1);
	int lines = 0;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	return lines;
}

/*
 * With no time budget, one pass of the loop handles one request and keeps
 * the rest (chan_busy), even when poll has nothing new to report.
 */
static void test_chan_service_budget(void)
{
	static struct chan c;
	const char req[] = "PP? 1 hello\nPP? 2 hello\nPP? 3 hello\n";
	struct pollfd fds[2];
	char buf[512];
	int sv[2], n;

	UT_CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	UT_CHECK_EQ(chan_init(&c, "unused", NULL, false, 0), 0);
	c.qmp_done = true;
	c.com2_fd = sv[0];
	c.service_ms = 0;
	UT_CHECK_EQ(write(sv[1], req, sizeof(req) - 1),
		    (ssize_t)sizeof(req) - 1);

	n = chan_pollfds(&c, fds);
	UT_CHECK_EQ(n, 1);
	UT_CHECK_EQ(poll(fds, (nfds_t)n, 1000), 1);
	chan_service(&c, fds, n, 10);
	UT_CHECK_EQ(read_answers(sv[1], buf, sizeof(buf)), 1);
	UT_CHECK(!strncmp(buf, "PP! 1 ok", 8));
	UT_CHECK(chan_busy(&c));

	for (int pass = 2; pass <= 3; pass++) {
		n = chan_pollfds(&c, fds);
		fds[0].revents = 0; /* nothing new on the socket */
		chan_service(&c, fds, n, 10 + pass);
		UT_CHECK_EQ(read_answers(sv[1], buf, sizeof(buf)), 1);
		UT_CHECK_EQ(buf[4], '0' + pass);
	}
	UT_CHECK(!chan_busy(&c));
	chan_close(&c);
	close(sv[1]);
}

/* 30000 checks, each with YAML: the list and the text stay bounded. */
static void test_tcases_bounded(void)
{
	struct tcases s = {0};
	char line[TCASE_LINE], yaml[TCASE_TEXT];

	memset(yaml, 'y', 3000);
	memcpy(yaml, "  got: ", 7);
	yaml[3000] = '\0';
	for (int i = 1; i <= 30000; i++) {
		snprintf(line, sizeof(line), "not ok %d - check %d", i, i);
		tcases_line(&s, line);
		tcases_line(&s, "  ---");
		tcases_line(&s, yaml);
		tcases_line(&s, "  ...");
	}
	UT_CHECK_EQ(s.n, TCASE_MAX);
	UT_CHECK_EQ(s.cap, TCASE_MAX);
	UT_CHECK_EQ(s.dropped, 30000 - TCASE_MAX);
	UT_CHECK(s.text_total <= TCASE_TEXT_TOTAL);
	UT_CHECK(s.text_total > TCASE_TEXT_TOTAL - 4000);
	UT_CHECK(s.c[0].text != NULL);
	UT_CHECK(s.c[TCASE_MAX - 1].text == NULL);
	UT_CHECK_STR(s.c[TCASE_MAX - 1].name, "20000 - check 20000");
	tcases_free(&s);
}

UT_MAIN(UT_TEST(test_lbuf_counts_cut_lines), UT_TEST(test_ctl_notes_are_capped),
	UT_TEST(test_chan_service_budget), UT_TEST(test_tcases_bounded))
