/*
 * selftest_hostile.c - a guest that misbehaves on purpose, to prove the
 * runner survives it (issue 10).
 *
 * The runner promises to bound every buffer and every wait. Unit tests
 * check that against fakes; these suites check it against real QEMU.
 * selftest-hostile prints a line far longer than the runner's line limit
 * and raw binary on COM1, then sends garbage, an over-long request and a
 * flood of requests on the control channel (COM2). Each refusal the
 * runner documents (docs/control-protocol.md) is a check here, and so is
 * a plain request after the flood, which shows the runner recovered.
 * selftest-silent makes one check and then goes quiet for good with
 * interrupts off: the runner must time it out and keep the log.
 * tests/check.sh runs both; neither runs unless named with suite=.
 */
#include "kernel/ctl.h"
#include "kernel/console.h"
#include "kernel/printf.h"
#include "kernel/serial.h"
#include "kernel/string.h"
#include "kernel/tf.h"
#include "kernel/time.h"
#include "kernel/x86.h"

#define HS_CLAUSE     "pinprick: runner bounds (docs/robustness.md)"
#define HS_LONG_LINE  (1u << 20) /* bytes in the over-long COM1 line */
#define HS_RUNNER_MAX 512	 /* the runner's CTL_MAX_LINE */
#define HS_RATE	      200	 /* the runner's CTL_RATE_LIMIT, per second */
#define HS_FLOOD      600	 /* requests in the flood: 3 s worth */
#define HS_ID_BASE    900000000u /* ids far from kernel/ctl.c's own */
#define HS_WAIT_NS    (2 * NSEC_PER_SEC)

/* Waits (bounded) for the answer to id; its text after "PP! <id> ". */
static bool hs_wait_answer(struct ctl_rx *rx, uint32_t id, char *out,
			   size_t size)
{
	uint64_t deadline = time_ns() + HS_WAIT_NS;
	char want[24];
	size_t wl = (size_t)ksnprintf(want, sizeof(want), "PP! %u ", id);

	while (time_ns() < deadline) {
		if (!ctl_poll_line(rx)) {
			cpu_relax();
			continue;
		}
		if (!strncmp(rx->line, want, wl)) {
			strlcpy(out, rx->line + wl, size);
			return true;
		}
	}
	strlcpy(out, "(no answer)", size);
	return false;
}

static bool hs_connected(void)
{
	if (ctl_connect(HS_WAIT_NS))
		return true;
	tf_skip(ctl_unavailable_reason(), "no runner to be hostile to");
	return false;
}

/* Waits out the runner's rate-limit window, so earlier requests do not
 * count against the next ones. */
static void hs_new_window(void)
{
	delay_ns(1100 * NSEC_PER_MSEC);
	while (uart_getc(&com2) >= 0)
		;
}

/* ---- COM1 ---------------------------------------------------------- */

/*
 * A TAP comment of 1 MiB with no newline until its end. The runner keeps
 * lines of up to 4 KiB; it must cut this one, say so, and still count
 * the check that follows. The check itself is that COM1 took every byte
 * (no transmit timeout), so the runner really was sent the whole line.
 */
static void long_line(void)
{
	static const char chunk[] =
		"long-line-0123456789abcdefghijklmnopqrstuvwxyz-0123456789\n";
	uint32_t drops = com1.tx_timeouts;
	uint64_t t0 = time_ns();
	size_t sent = 6, piece = sizeof(chunk) - 2; /* no '\n' */

	console_write("    # ", 6);
	while (sent + piece <= HS_LONG_LINE) {
		console_write(chunk, piece);
		sent += piece;
	}
	console_write(chunk, 1);
	console_write("\n", 1);
	sent += 2;
	tf_info("sent a %zu-byte line in %llu ms", sent,
		(unsigned long long)((time_ns() - t0) / NSEC_PER_MSEC));
	tf_diag("tx_timeouts", "%u", com1.tx_timeouts - drops);
	tf_check(com1.tx_timeouts == drops, HS_CLAUSE,
		 "a %zu-byte line went out whole; the runner counts this check "
		 "after cutting it",
		 sent);
}

/* Every byte value but '\n', NUL included, on one line between checks. */
static void binary_line(void)
{
	uint32_t drops = com1.tx_timeouts;
	char b[256];
	size_t n = 0;

	for (unsigned v = 0; v < 256; v++)
		if (v != '\n')
			b[n++] = (char)v;
	console_write(b, n);
	console_write("\n", 1);
	tf_check(com1.tx_timeouts == drops, HS_CLAUSE,
		 "a line of raw bytes (NUL, escapes, 0x80-0xff) went out; "
		 "the runner counts this check after it");
}

/* ---- COM2 ---------------------------------------------------------- */

static void hs_send(const char *s, size_t n)
{
	uart_write(&com2, s, n);
}

/* A line that is not a request at all: "PP! 0 err malformed". */
static void garbage_request(void)
{
	static const char junk[] = "this is not a request \x01\x02\x7f\n";
	static const char nul[] = "PP? 5 hel\0lo\n";
	struct ctl_rx rx = {0};
	char got[CTL_LINE_MAX];
	bool ok;

	if (!hs_connected())
		return;
	hs_new_window();
	hs_send(junk, sizeof(junk) - 1);
	ok = hs_wait_answer(&rx, 0, got, sizeof(got));
	tf_diag("answer", "%s", got);
	tf_check(ok && !strcmp(got, "err malformed"), HS_CLAUSE,
		 "a garbage line is answered 'PP! 0 err malformed'");
	hs_send(nul, sizeof(nul) - 1);
	ok = hs_wait_answer(&rx, 0, got, sizeof(got));
	tf_diag("answer", "%s", got);
	tf_check(ok && !strcmp(got, "err malformed"), HS_CLAUSE,
		 "a request with a NUL byte in it is answered 'err "
		 "malformed'");
}

/* 4 KiB of request on one line: "PP! <id> err line-too-long". */
static void long_request(void)
{
	static const char head[] = "PP? 77 hello ";
	struct ctl_rx rx = {0};
	char got[CTL_LINE_MAX];
	bool ok;

	if (!hs_connected())
		return;
	hs_send(head, sizeof(head) - 1);
	for (unsigned i = 0; i < 8 * HS_RUNNER_MAX; i++)
		hs_send("x", 1);
	hs_send("\n", 1);
	ok = hs_wait_answer(&rx, 77, got, sizeof(got));
	tf_diag("answer", "%s", got);
	tf_check(ok && !strcmp(got, "err line-too-long"), HS_CLAUSE,
		 "a %u-byte request is refused 'err line-too-long' with its id",
		 8 * HS_RUNNER_MAX + (unsigned)sizeof(head));
}

struct hs_flood {
	unsigned sent, ok, limited, other, lost;
	uint64_t ms;
};

/* One answer of the flood, by what it says. */
static void hs_count(struct hs_flood *f, const char *line)
{
	unsigned long id = 0;
	const char *p = line + 4;

	if (strncmp(line, "PP! ", 4))
		return;
	while (*p >= '0' && *p <= '9')
		id = id * 10 + (unsigned long)(*p++ - '0');
	if (id < HS_ID_BASE || id >= HS_ID_BASE + HS_FLOOD || *p++ != ' ')
		return;
	if (!strncmp(p, "ok", 2))
		f->ok++;
	else if (!strcmp(p, "err rate-limited"))
		f->limited++;
	else
		f->other++;
}

/*
 * HS_FLOOD hello requests as fast as COM2 takes them, reading answers
 * in between so that the runner's queue never fills. The runner allows
 * HS_RATE per fixed one-second window and answers the rest "err
 * rate-limited"; every request still gets exactly one answer.
 */
static void flood(void)
{
	struct ctl_rx rx = {0};
	struct hs_flood f = {0};
	uint64_t t0, deadline, windows;
	char req[40];

	if (!hs_connected())
		return;
	hs_new_window();
	t0 = time_ns();
	for (; f.sent < HS_FLOOD; f.sent++) {
		int n = ksnprintf(req, sizeof(req), "PP? %u hello\n",
				  HS_ID_BASE + f.sent);

		hs_send(req, (size_t)n);
		while (ctl_poll_line(&rx))
			hs_count(&f, rx.line);
	}
	f.ms = (time_ns() - t0) / NSEC_PER_MSEC;
	deadline = time_ns() + HS_WAIT_NS;
	while (f.ok + f.limited + f.other < f.sent && time_ns() < deadline) {
		if (ctl_poll_line(&rx))
			hs_count(&f, rx.line);
		else
			cpu_relax();
	}
	f.lost = f.sent - f.ok - f.limited - f.other;
	/* the windows the sending can have touched, at most */
	windows = f.ms / 1000 + 2;
	tf_info("flood: %u requests in %llu ms: %u ok, %u rate-limited, "
		"%u other, %u unanswered",
		f.sent, (unsigned long long)f.ms, f.ok, f.limited, f.other,
		f.lost);
	tf_diag("ok", "%u", f.ok);
	tf_diag("rate_limited", "%u", f.limited);
	tf_diag("other", "%u", f.other);
	tf_check(f.lost == 0 && f.other == 0, HS_CLAUSE,
		 "every one of %u flooded requests got exactly one answer, ok "
		 "or rate-limited",
		 f.sent);
	tf_diag("most_allowed", "%llu",
		(unsigned long long)(windows * HS_RATE));
	tf_check(f.limited > 0 && f.ok >= 1 &&
			 (uint64_t)f.ok <= windows * HS_RATE,
		 HS_CLAUSE,
		 "the flood is rate-limited: %u refused, %u allowed (at most "
		 "%d per second)",
		 f.limited, f.ok, HS_RATE);
}

/* After the flood, in a new window: an ordinary request is answered. */
static void after_flood(void)
{
	char reply[CTL_LINE_MAX];
	int rc;

	if (!hs_connected())
		return;
	hs_new_window();
	rc = ctl_request("hello", "after-the-flood", reply, sizeof(reply),
			 HS_WAIT_NS);
	tf_diag("status", "%s", ctl_status_name(rc));
	tf_diag("reply", "%s", reply);
	tf_check(rc == CTL_OK && !strncmp(reply, "pinprick-run", 12), HS_CLAUSE,
		 "the runner answers a normal request after the flood");
}

/* ---- selftest-silent ----------------------------------------------- */

static void before_silence(void)
{
	tf_check(com1.tx_timeouts == 0, HS_CLAUSE,
		 "COM1 has dropped no byte of this report so far");
}

/* No output, no interrupts, no watchdog: only the runner can end this. */
static void silence(void)
{
	halt_forever();
}

static const struct tf_case hostile_cases[] = {
	{"a 1 MiB line on COM1", long_line, 60000},
	{"raw bytes on COM1", binary_line, 0},
	{"garbage on COM2", garbage_request, 0},
	{"an over-long request", long_request, 0},
	{"a flood of requests", flood, 0},
	{"a request after the flood", after_flood, 0},
};

static const struct tf_case silent_cases[] = {
	{"one check before the silence", before_silence, 0},
	{"silence with interrupts off", silence, 0},
};

const struct tf_suite suite_selftest_hostile = TF_SUITE_EXPLICIT(
	"selftest-hostile",
	"a guest that floods the runner (expect every refusal to pass)",
	hostile_cases);
const struct tf_suite suite_selftest_silent = TF_SUITE_EXPLICIT(
	"selftest-silent", "one check, then silence (expect a runner timeout)",
	silent_cases);
