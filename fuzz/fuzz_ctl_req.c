/*
 * fuzz_ctl_req.c - the runner's control channel (COM2) against any guest.
 *
 * What it attacks: the request side of host/runner/ctl.c, as chan.c
 * drives it: COM2 bytes cut into lines by linebuf (CTL_MAX_LINE, longer
 * lines flagged), each line given to ctl_handle(), which parses
 * "PP? <id> <verb> [args]" (ctl_parse), rate-limits, picks the verb and
 * formats the one answer. The runner here has no QEMU: no QMP connection,
 * no VMware model, no pid, so every verb runs but stops where it would
 * need QEMU (answering no-qmp, no-qemu, no-vmware-model). Input: byte 0
 * is the milliseconds between two lines (0: all in one rate window), the
 * rest is the COM2 stream.
 *
 * Invariants, each an abort():
 *  - ctl_parse: a well-formed request has a verb of [a-z-] only, an id
 *    of at most 9 digits, at most CTL_MAX_ARGS arguments, each non-empty,
 *    inside the request buffer, without blanks or control bytes; printed
 *    back in canonical form it parses to the same request;
 *  - ctl_handle: no answer only for a blank line or before the guest's
 *    first well-formed request (at most CTL_PREBOOT_MAX lines); otherwise
 *    exactly one line, "PP! <id> ok..." or "PP! <id> err <reason>...",
 *    printable, '\n'-terminated, at most CTL_MAX_LINE bytes (what the
 *    guest can read), carrying the id ctl_parse read (0 for a refused
 *    malformed line); an overlong line is refused as line-too-long (or
 *    rate-limited); at most CTL_NOTES_MAX notes reach the user; the
 *    request and error counters agree with the answers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "host/runner/ctl.h"
#include "host/runner/linebuf.h"

#include "fuzz/fuzz_check.h"

struct fz {
	struct ctl ctl;
	uint64_t now, step;
	unsigned long answers, errs, silent, notes;
};

static struct fz F;

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A parsed request is what the protocol allows; it survives a reprint. */
static void check_request(const struct ctl_req *r)
{
	char line[CTL_MAX_LINE * 2];
	struct ctl_req again;
	size_t len, i;
	int a, n;

	len = strlen(r->verb);
	CHECK(len >= 1 && len < CTL_MAX_VERB);
	CHECK(strspn(r->verb, "abcdefghijklmnopqrstuvwxyz-") == len);
	CHECK(r->id < 1000000000ul);
	CHECK(r->argc >= 0 && r->argc <= CTL_MAX_ARGS);
	n = snprintf(line, sizeof(line), "PP? %lu %s", r->id, r->verb);
	for (a = 0; a < r->argc; a++) {
		const char *s = r->argv[a];

		CHECK(s >= r->buf && s < r->buf + sizeof(r->buf));
		len = strlen(s);
		CHECK(len >= 1 && s + len < r->buf + sizeof(r->buf));
		for (i = 0; i < len; i++)
			CHECK(!blank(s[i]) && (unsigned char)s[i] >= 0x20 &&
			      (unsigned char)s[i] != 0x7f);
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %s", s);
	}
	/* The canonical form is never longer than the request was. */
	CHECK((size_t)n <= CTL_MAX_LINE);
	CHECK(ctl_parse(line, (size_t)n, &again) == 0);
	CHECK(again.id == r->id && !strcmp(again.verb, r->verb) &&
	      again.argc == r->argc);
	for (a = 0; a < r->argc; a++)
		CHECK(!strcmp(again.argv[a], r->argv[a]));
}

/* "PP! <id> ok[ payload]\n" or "PP! <id> err <reason>[ detail]\n". */
static void check_answer(const char *ans, size_t n, unsigned long id)
{
	char head[48];
	size_t i, hl;

	CHECK(n >= 2 && n <= CTL_MAX_LINE && strlen(ans) == n);
	CHECK(ans[n - 1] == '\n');
	for (i = 0; i + 1 < n; i++)
		CHECK((unsigned char)ans[i] >= 0x20 &&
		      (unsigned char)ans[i] < 0x7f);
	hl = (size_t)snprintf(head, sizeof(head), "PP! %lu ", id);
	CHECK(!strncmp(ans, head, hl));
	if (!strncmp(ans + hl, "ok", 2)) {
		CHECK(ans[hl + 2] == ' ' || ans[hl + 2] == '\n');
		return;
	}
	CHECK(!strncmp(ans + hl, "err ", 4) && ans[hl + 4] > ' ');
	F.errs++;
}

static int on_line(void *ctx, char *line, size_t len, bool cut)
{
	char answer[CTL_ANSWER_SIZE], note[CTL_NOTE_SIZE];
	bool was_spoken = F.ctl.spoken;
	unsigned long pre = F.ctl.preboot_lines;
	struct ctl_req r;
	bool limited;
	int bad;
	size_t n;

	CHECK(len <= CTL_MAX_LINE && line[len] == '\0');
	bad = ctl_parse(line, len, &r);
	if (!bad)
		check_request(&r);
	F.now += F.step;
	n = ctl_handle(&F.ctl, line, len, cut, F.now, answer, sizeof(answer),
		       note, sizeof(note));
	CHECK(memchr(note, 0, sizeof(note)));
	if (note[0])
		F.notes++;
	if (!n) {
		bool blank_line =
			!cut && (!len || (len == 1 && line[0] == '\r'));

		/* Silence: a blank line, or firmware noise before hello. */
		CHECK(blank_line || (!was_spoken && (bad || cut) &&
				     F.ctl.preboot_lines == pre + 1 &&
				     pre < CTL_PREBOOT_MAX));
		F.silent++;
		return 0;
	}
	CHECK(F.ctl.spoken);
	F.answers++;
	/*
	 * The id is the one ctl_parse read (a cut line's prefix may carry
	 * one), except that a refused malformed line is answered as id 0.
	 */
	limited = strstr(answer, " err rate-limited") != NULL;
	check_answer(answer, n, bad && !cut && !limited ? 0 : r.id);
	if (cut)
		CHECK(strstr(answer, " err line-too-long") ||
		      strstr(answer, " err rate-limited"));
	else if (bad)
		CHECK(strstr(answer, " err malformed") ||
		      strstr(answer, " err rate-limited"));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lbuf lb;

	if (size < 1)
		return 0;
	memset(&F, 0, sizeof(F));
	ctl_init(&F.ctl, NULL);
	F.now = 1000000;
	F.step = data[0];
	CHECK(lbuf_init(&lb, CTL_MAX_LINE) == 0);
	CHECK(lbuf_feed(&lb, (const char *)data + 1, size - 1, on_line, NULL) ==
	      0);
	CHECK(lbuf_flush(&lb, on_line, NULL) == 0);
	lbuf_free(&lb);
	CHECK(F.ctl.requests == F.answers && F.ctl.errors == F.errs);
	CHECK(F.notes <= CTL_NOTES_MAX && F.ctl.notes >= F.notes);
	CHECK(F.ctl.preboot_lines <= CTL_PREBOOT_MAX);
	return 0;
}
