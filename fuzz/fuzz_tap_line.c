/*
 * fuzz_tap_line.c - the runner's reading of guest serial output.
 *
 * What it attacks: the path a COM1 byte takes in the runner. Bytes are
 * cut into lines by host/runner/linebuf.c (with a line limit the input
 * picks: the runner's 4096 or a tiny one, so that cut lines are common),
 * each line is cleaned as the session does (trailing '\r', util_sanitize)
 * and goes to the TAP lexer (tap_line.c), the TAP state machine
 * (tap_parse.c) and the JUnit case list (tap_cases.c). Input: byte 0
 * picks the line limit, byte 1 seeds the chunk sizes, the rest is the
 * serial stream.
 *
 * Invariants, each an abort():
 *  - linebuf delivers exactly the stream's lines, in order, each cut to
 *    the limit with cut set only when it was longer, NUL-terminated, and
 *    its cut-line statistics match;
 *  - chunking does not matter: the stream fed whole and fed in random
 *    chunks (1 to 300 bytes) gives identical TAP state and case lists;
 *  - a lexed token's text and reason, when not empty, lie inside the line;
 *  - the TAP state stays bounded: depth within TAPP_MAX_DEPTH, findings
 *    and failures within their arrays and terminated, no more results
 *    than test-point lines, one line counted per line delivered;
 *  - the case list stays bounded: at most TCASE_MAX cases, each text
 *    terminated at its length and below TCASE_TEXT, the total within
 *    TCASE_TEXT_TOTAL.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/runner/linebuf.h"
#include "host/runner/tap_cases.h"
#include "host/runner/tap_line.h"
#include "host/runner/tap_parse.h"
#include "host/runner/util.h"

#include "fuzz/fuzz_check.h"

#define LINE_MAX_RUNNER 4096 /* SESS_LINE_MAX */

struct run {
	const uint8_t *stream;
	size_t len;
	size_t pos; /* where the next expected line starts */
	unsigned long nlines, ncut;
	unsigned long long longest;
	unsigned long test_lines; /* lines the lexer calls test points */
	size_t max;
	struct tapp tap;
	struct tcases tc;
};

static struct run A, B;

/* The next line of the stream, found independently of linebuf. */
static size_t next_line(struct run *r, size_t *len, bool *more)
{
	const uint8_t *nl = memchr(r->stream + r->pos, '\n', r->len - r->pos);
	size_t start = r->pos;

	*len = nl ? (size_t)(nl - r->stream) - start : r->len - start;
	*more = nl != NULL;
	r->pos = start + *len + (nl != NULL);
	return start;
}

static void check_tok(const char *s, const struct tapl_tok *t)
{
	size_t n = strlen(s);

	/* Empty ones may be a static "" that is not in the line. */
	if (t->text_len)
		CHECK(t->text >= s && t->text + t->text_len <= s + n);
	if (t->reason_len)
		CHECK(t->reason >= s && t->reason + t->reason_len <= s + n);
}

static int on_line(void *ctx, char *line, size_t len, bool cut)
{
	struct run *r = ctx;
	char text[LINE_MAX_RUNNER + 1];
	size_t start, real, tl, indent = 0;
	struct tapl_tok tok;
	bool more;

	CHECK(r->pos < r->len);
	start = next_line(r, &real, &more);
	CHECK(len == (real < r->max ? real : r->max));
	CHECK(cut == (real > r->max));
	CHECK(line[len] == '\0' && !memcmp(line, r->stream + start, len));
	r->nlines++;
	if (cut) {
		r->ncut++;
		if (real > r->longest)
			r->longest = real;
	}

	if (len && line[len - 1] == '\r')
		len--;
	tl = util_sanitize(text, sizeof(text), line, len);
	CHECK(tl < sizeof(text) && text[tl] == '\0');
	while (text[indent] == ' ')
		indent++;
	tapl_lex(text + indent, &tok);
	check_tok(text + indent, &tok);
	if (tok.kind == TAPL_TEST)
		r->test_lines++;
	tapp_line(&r->tap, text, tl);
	tcases_line(&r->tc, text);
	return 0;
}

static void check_tap(const struct run *r)
{
	const struct tapp *t = &r->tap;
	unsigned i;

	CHECK(t->lines == r->nlines);
	CHECK(t->depth >= 0 && t->depth <= TAPP_MAX_DEPTH);
	CHECK(t->nfindings <= TAPP_MAX_FINDINGS &&
	      t->nfailures <= TAPP_MAX_FAILURES);
	for (i = 0; i < t->nfindings; i++)
		CHECK(memchr(t->findings[i], 0, TAPP_FINDING_LEN));
	for (i = 0; i < t->nfailures; i++)
		CHECK(memchr(t->failures[i], 0, TAPP_FAILURE_LEN));
	CHECK(memchr(t->bail_reason, 0, sizeof(t->bail_reason)));
	CHECK(t->passed + t->failed + t->skipped + t->todo <= r->test_lines);
	CHECK(t->nfailures <= t->failed);
	CHECK(!tapp_all_ok(t) || (!t->failed && !t->bailed));
}

static void check_cases(const struct tcases *s)
{
	size_t i, total = 0;

	CHECK(s->n <= s->cap && s->cap <= TCASE_MAX);
	CHECK(s->text_total <= TCASE_TEXT_TOTAL);
	for (i = 0; i < s->n; i++) {
		const struct tcase *c = &s->c[i];

		CHECK(memchr(c->suite, 0, sizeof(c->suite)) &&
		      memchr(c->name, 0, sizeof(c->name)) &&
		      memchr(c->message, 0, sizeof(c->message)) &&
		      memchr(c->clause, 0, sizeof(c->clause)));
		CHECK((unsigned)c->kind <= TC_ERROR);
		if (c->text) {
			CHECK(c->text_len < TCASE_TEXT &&
			      c->text[c->text_len] == '\0');
			total += c->text_len;
		} else {
			CHECK(c->text_len == 0);
		}
	}
	CHECK(total <= s->text_total);
}

static void check_same_cases(const struct tcases *a, const struct tcases *b)
{
	size_t i;

	CHECK(a->n == b->n && a->dropped == b->dropped &&
	      a->text_total == b->text_total);
	for (i = 0; i < a->n; i++) {
		const struct tcase *x = &a->c[i], *y = &b->c[i];

		CHECK(!strcmp(x->suite, y->suite) && !strcmp(x->name, y->name));
		CHECK(x->kind == y->kind && x->ok == y->ok);
		CHECK(!strcmp(x->message, y->message) &&
		      !strcmp(x->clause, y->clause));
		CHECK(x->text_len == y->text_len &&
		      (!x->text_len || !memcmp(x->text, y->text, x->text_len)));
	}
}

static void run_start(struct run *r, const uint8_t *s, size_t n, size_t max)
{
	r->stream = s;
	r->len = n;
	r->pos = 0;
	r->nlines = r->ncut = r->test_lines = 0;
	r->longest = 0;
	r->max = max;
	tapp_init(&r->tap);
	memset(&r->tc, 0, sizeof(r->tc));
}

static void run_end(struct run *r, struct lbuf *lb)
{
	CHECK(lbuf_flush(lb, on_line, r) == 0);
	CHECK(r->pos == r->len); /* every line delivered */
	CHECK(lb->cut_lines == r->ncut && lb->longest_cut == r->longest);
	tapp_finish(&r->tap);
	check_tap(r);
	check_cases(&r->tc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = {LINE_MAX_RUNNER, 64, 7, 1};
	struct lbuf la, lb;
	uint32_t rng;
	size_t max, off = 0;

	if (size < 2)
		return 0;
	max = limits[data[0] & 3];
	rng = 0x9e3779b9u ^ data[1];
	data += 2;
	size -= 2;

	CHECK(lbuf_init(&la, max) == 0 && lbuf_init(&lb, max) == 0);
	run_start(&A, data, size, max);
	CHECK(lbuf_feed(&la, (const char *)data, size, on_line, &A) == 0);
	run_end(&A, &la);

	run_start(&B, data, size, max);
	while (off < size) {
		size_t n;

		rng ^= rng << 13;
		rng ^= rng >> 17;
		rng ^= rng << 5;
		n = 1 + (rng & 0xff) % ((rng & 0x100) ? 300 : 17);
		if (n > size - off)
			n = size - off;
		CHECK(lbuf_feed(&lb, (const char *)data + off, n, on_line,
				&B) == 0);
		off += n;
	}
	run_end(&B, &lb);

	CHECK(!memcmp(&A.tap, &B.tap, sizeof(A.tap)));
	check_same_cases(&A.tc, &B.tc);
	tcases_free(&A.tc);
	tcases_free(&B.tc);
	lbuf_free(&la);
	lbuf_free(&lb);
	return 0;
}
