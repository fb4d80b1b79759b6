/*
 * scen_parse.c - scenario text to a checked list of statements.
 *
 * Line by line, whitespace-separated words, '#' to the end of a line is a
 * comment. Everything is checked here, before the interpreter sees the
 * program: a scenario with any error is reported with its line and column
 * and not run at all, because half a scenario (inflated, never deflated)
 * would leave the machine in a state the next one does not expect.
 * Built into the kernel and into the host unit tests; no allocation.
 */
#include <stdarg.h>

#include "kernel/printf.h"
#include "kernel/scen.h"
#include "kernel/string.h"

#define MAX_WORDS 8

struct word {
	const char *s;
	unsigned len, col;
};

struct pstate {
	struct scen_prog *p;
	struct scen_error *e;
	unsigned line;
	struct word w[MAX_WORDS];
	unsigned nw;
	uint32_t open[SCEN_MAX_DEPTH];
	unsigned depth;
};

static const char *const kind_names[SO_NKINDS] = {
	[SO_TARGET] = "target",
	[SO_AWAIT_TARGET] = "await",
	[SO_WAIT_SIZE] = "wait",
	[SO_WAIT_SETTLED] = "wait",
	[SO_PIN] = "pin",
	[SO_UNPIN] = "unpin",
	[SO_TOUCH] = "touch",
	[SO_RELEASE] = "release",
	[SO_PRESSURE] = "pressure",
	[SO_SLEEP] = "sleep",
	[SO_EXPECT] = "expect",
	[SO_REPEAT] = "repeat",
	[SO_END] = "}",
	[SO_CHURN] = "churn",
};

const char *scen_kind_name(unsigned kind)
{
	return kind < SO_NKINDS ? kind_names[kind] : "?";
}

static int fail(struct pstate *ps, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct pstate *ps, unsigned col, const char *fmt, ...)
{
	va_list ap;

	ps->e->line = ps->line;
	ps->e->col = col;
	va_start(ap, fmt);
	kvsnprintf(ps->e->msg, sizeof(ps->e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static bool is(const struct word *w, const char *s)
{
	return w->len == strlen(s) && !strncmp(w->s, s, w->len);
}

/* Decimal digits at s; false on none or overflow. */
static bool number(const char *s, unsigned len, uint64_t *v, unsigned *used)
{
	unsigned i = 0;

	*v = 0;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (*v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return false;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	*used = i;
	return i > 0;
}

static int amount(struct pstate *ps, unsigned k, bool all_ok,
		  struct scen_amount *a)
{
	const struct word *w = &ps->w[k];
	const char *u;
	unsigned used, ul;
	uint64_t v;

	if (k >= ps->nw)
		return fail(ps, k ? ps->w[k - 1].col + ps->w[k - 1].len : 1,
			    "missing amount (pages, NM, NG, N%% or all)");
	if (is(w, "all")) {
		if (!all_ok)
			return fail(ps, w->col, "\"all\" is not allowed here");
		a->unit = SU_ALL;
		a->value = 0;
		return 0;
	}
	if (!number(w->s, w->len, &v, &used))
		return fail(ps, w->col, "bad amount \"%.*s\"", (int)w->len,
			    w->s);
	u = w->s + used;
	ul = w->len - used;
	a->value = v;
	if (ul == 0) {
		a->unit = SU_PAGES;
	} else if ((ul == 1 && *u == 'M') ||
		   (ul == 3 && !strncmp(u, "MiB", 3))) {
		a->unit = SU_MIB;
	} else if ((ul == 1 && *u == 'G') ||
		   (ul == 3 && !strncmp(u, "GiB", 3))) {
		a->unit = SU_MIB;
		a->value = v > (UINT32_MAX) ? UINT64_MAX : v * 1024;
	} else if (ul == 1 && *u == '%') {
		a->unit = SU_PERCENT;
		if (v > 1000)
			return fail(ps, w->col, "%llu%% is more than 1000%%",
				    (unsigned long long)v);
	} else {
		return fail(ps, w->col + used,
			    "unknown unit \"%.*s\" (none = pages, M, G or %%)",
			    (int)ul, u);
	}
	/* 2^36 pages is 256 TiB: anything above is a typo. */
	if (a->unit != SU_PERCENT &&
	    a->value > (a->unit == SU_MIB ? 1ull << 28 : 1ull << 36))
		return fail(ps, w->col, "amount \"%.*s\" is absurdly large",
			    (int)w->len, w->s);
	return 0;
}

static int duration(struct pstate *ps, unsigned k, uint64_t *ms)
{
	const struct word *w = &ps->w[k];
	unsigned used;
	uint64_t v;

	if (k >= ps->nw)
		return fail(ps, ps->w[k - 1].col + ps->w[k - 1].len,
			    "missing time (Nms or Ns)");
	if (!number(w->s, w->len, &v, &used))
		return fail(ps, w->col, "bad time \"%.*s\"", (int)w->len, w->s);
	if (w->len - used == 2 && !strncmp(w->s + used, "ms", 2))
		*ms = v;
	else if (w->len - used == 1 && w->s[used] == 's')
		*ms = v > SCEN_MAX_MS ? UINT64_MAX : v * 1000;
	else
		return fail(ps, w->col + used, "time needs a unit: ms or s");
	if (*ms > SCEN_MAX_MS)
		return fail(ps, w->col, "more than an hour");
	return 0;
}

/* "within T" at word k. */
static int within(struct pstate *ps, unsigned k, uint64_t *ms)
{
	if (k >= ps->nw || !is(&ps->w[k], "within"))
		return fail(ps, k < ps->nw ? ps->w[k].col : ps->w[k - 1].col,
			    "expected \"within TIME\"");
	return duration(ps, k + 1, ms);
}

/* "key=N" at word k. */
static int keyval(struct pstate *ps, unsigned k, const char *key, uint64_t max,
		  uint64_t *v)
{
	const struct word *w = &ps->w[k];
	size_t kl = strlen(key);
	unsigned used;

	if (k >= ps->nw)
		return fail(ps, ps->w[k - 1].col + ps->w[k - 1].len,
			    "missing %s=N", key);
	if (w->len <= kl || strncmp(w->s, key, kl) || w->s[kl] != '=')
		return fail(ps, w->col, "expected %s=N", key);
	if (!number(w->s + kl + 1, w->len - kl - 1, v, &used) ||
	    used != w->len - kl - 1 || *v > max)
		return fail(ps, w->col + kl + 1, "%s must be 0 to %llu", key,
			    (unsigned long long)max);
	return 0;
}

static int cmp_amount(struct pstate *ps, unsigned k, struct scen_op *op)
{
	op->cmp = SC_EQ;
	if (k < ps->nw && (is(&ps->w[k], ">=") || is(&ps->w[k], "<=") ||
			   is(&ps->w[k], "="))) {
		op->cmp = ps->w[k].s[0] == '>'	 ? SC_GE
			  : ps->w[k].s[0] == '<' ? SC_LE
						 : SC_EQ;
		k++;
	}
	if (amount(ps, k, false, &op->amount))
		return -1;
	return (int)k + 1;
}

/* Expects exactly n words; the rest is an error at the first extra one. */
static int no_more(struct pstate *ps, unsigned n)
{
	if (ps->nw > n)
		return fail(ps, ps->w[n].col, "unexpected \"%.*s\"",
			    (int)ps->w[n].len, ps->w[n].s);
	return 0;
}

static int statement(struct pstate *ps, struct scen_op *op)
{
	const struct word *w = ps->w;
	int k;

	if (is(&w[0], "target")) {
		op->kind = SO_TARGET;
		return amount(ps, 1, false, &op->amount) ?: no_more(ps, 2);
	}
	if (is(&w[0], "await")) {
		op->kind = SO_AWAIT_TARGET;
		if (ps->nw < 2 || !is(&w[1], "target"))
			return fail(ps,
				    ps->nw < 2 ? w[0].col + w[0].len : w[1].col,
				    "expected \"await target AMOUNT within "
				    "TIME\"");
		return amount(ps, 2, false, &op->amount) ?:
			       within(ps, 3, &op->ms) ?: no_more(ps, 5);
	}
	if (is(&w[0], "wait")) {
		if (ps->nw >= 2 && is(&w[1], "settled")) {
			op->kind = SO_WAIT_SETTLED;
			return within(ps, 2, &op->ms) ?: no_more(ps, 4);
		}
		if (ps->nw < 2 || !is(&w[1], "size"))
			return fail(ps,
				    ps->nw < 2 ? w[0].col + w[0].len : w[1].col,
				    "expected \"wait size AMOUNT within TIME\" "
				    "or \"wait settled within TIME\"");
		op->kind = SO_WAIT_SIZE;
		return amount(ps, 2, false, &op->amount) ?:
			       within(ps, 3, &op->ms) ?: no_more(ps, 5);
	}
	if (is(&w[0], "pin") || is(&w[0], "touch") || is(&w[0], "pressure")) {
		op->kind = is(&w[0], "pin")	? SO_PIN
			   : is(&w[0], "touch") ? SO_TOUCH
						: SO_PRESSURE;
		return amount(ps, 1, false, &op->amount) ?: no_more(ps, 2);
	}
	if (is(&w[0], "unpin") || is(&w[0], "release")) {
		op->kind = is(&w[0], "unpin") ? SO_UNPIN : SO_RELEASE;
		return amount(ps, 1, true, &op->amount) ?: no_more(ps, 2);
	}
	if (is(&w[0], "sleep")) {
		op->kind = SO_SLEEP;
		return duration(ps, 1, &op->ms) ?: no_more(ps, 2);
	}
	if (is(&w[0], "churn")) {
		op->kind = SO_CHURN;
		return keyval(ps, 1, "seed", UINT32_MAX, &op->seed) ?:
			       keyval(ps, 2, "steps", SCEN_MAX_STEPS,
				      &op->steps) ?:
			       no_more(ps, 3);
	}
	if (!is(&w[0], "expect"))
		return fail(ps, w[0].col,
			    "unknown statement \"%.*s\" (see "
			    "docs/scenarios.md)",
			    (int)w[0].len, w[0].s);
	op->kind = SO_EXPECT;
	for (unsigned i = 0; i <= SE_RSS_DROP; i++) {
		if (ps->nw < 2 || !is(&w[1], scen_what_name(i)))
			continue;
		op->what = (uint8_t)i;
		if (i == SE_SIZE || i == SE_TARGET) {
			k = cmp_amount(ps, 2, op);
			return k < 0 ? -1 : no_more(ps, (unsigned)k);
		}
		if (i == SE_RSS_DROP)
			return amount(ps, 2, false, &op->amount)
				       ?: no_more(ps, 3);
		return no_more(ps, 2);
	}
	return fail(ps, ps->nw < 2 ? w[0].col + w[0].len : w[1].col,
		    "expect what? (size, target, alive, reserve, intact, "
		    "shortfall, rss-drop)");
}

static struct scen_op *new_op(struct pstate *ps, unsigned col)
{
	struct scen_op *op;

	if (ps->p->n == SCEN_MAX_OPS) {
		fail(ps, col, "more than %u statements", SCEN_MAX_OPS);
		return NULL;
	}
	op = &ps->p->ops[ps->p->n];
	memset(op, 0, sizeof(*op));
	op->line = (uint16_t)ps->line;
	op->col = (uint16_t)col;
	return op;
}

/* One line's words (already split); blocks open and close here. */
static int line(struct pstate *ps)
{
	struct word *w = ps->w;
	struct scen_op *op;
	uint64_t v;
	unsigned used;

	if (is(&w[0], "}")) {
		if (!ps->depth)
			return fail(ps, w[0].col, "\"}\" without a repeat");
		if (no_more(ps, 1) || !(op = new_op(ps, w[0].col)))
			return -1;
		op->kind = SO_END;
		op->jump = ps->open[--ps->depth];
		ps->p->ops[op->jump].jump = ps->p->n++;
		return 0;
	}
	if (is(&w[0], "budget")) {
		if (ps->p->n || ps->p->budget_ms)
			return fail(ps, w[0].col,
				    "budget must be the first statement");
		if (duration(ps, 1, &ps->p->budget_ms) || no_more(ps, 2))
			return -1;
		if (!ps->p->budget_ms)
			return fail(ps, w[1].col, "a budget of 0 ms");
		return 0;
	}
	if (!(op = new_op(ps, w[0].col)))
		return -1;
	if (is(&w[0], "repeat")) {
		if (ps->nw < 2 || !number(w[1].s, w[1].len, &v, &used) ||
		    used != w[1].len || v < 1 || v > SCEN_MAX_COUNT)
			return fail(ps,
				    ps->nw < 2 ? w[0].col + w[0].len : w[1].col,
				    "repeat needs a count from 1 to %u",
				    SCEN_MAX_COUNT);
		if (ps->nw < 3 || !is(&w[2], "{"))
			return fail(ps,
				    ps->nw < 3 ? w[1].col + w[1].len : w[2].col,
				    "expected \"{\" after the count");
		if (no_more(ps, 3))
			return -1;
		if (ps->depth == SCEN_MAX_DEPTH)
			return fail(ps, w[0].col,
				    "repeat nested deeper than %u",
				    SCEN_MAX_DEPTH);
		op->kind = SO_REPEAT;
		op->count = (uint32_t)v;
		ps->open[ps->depth++] = ps->p->n++;
		return 0;
	}
	if (statement(ps, op))
		return -1;
	ps->p->n++;
	return 0;
}

/* Split [s, s + len) into words; '#' starts a comment. */
static int split(struct pstate *ps, const char *s, unsigned len)
{
	unsigned i = 0;

	ps->nw = 0;
	while (i < len) {
		unsigned start;

		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r') {
			i++;
			continue;
		}
		if (s[i] == '#')
			break;
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return fail(ps, i + 1,
				    "unexpected byte %#x (scenarios are "
				    "ASCII text)",
				    (unsigned char)s[i]);
		if (ps->nw == MAX_WORDS)
			return fail(ps, i + 1, "too many words on one line");
		start = i;
		while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
		       s[i] != '#' && (unsigned char)s[i] >= 0x20 &&
		       (unsigned char)s[i] <= 0x7e)
			i++;
		ps->w[ps->nw++] =
			(struct word){s + start, i - start, start + 1};
	}
	return 0;
}

static void about(struct scen_prog *p, const char *s, unsigned len)
{
	unsigned i = 0, n = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == len || s[i] != '#')
		return;
	for (i++; i < len && (s[i] == ' ' || s[i] == '#'); i++)
		;
	/* Blanks or '#' after a dropped control byte do not start it either. */
	for (; i < len && n + 1 < sizeof(p->about); i++)
		if ((unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f &&
		    (n || s[i] != '#'))
			p->about[n++] = s[i];
		else if (n && s[i] == ' ')
			p->about[n++] = s[i];
	p->about[n] = '\0';
}

int scen_parse(const char *text, size_t len, struct scen_prog *p,
	       struct scen_error *e)
{
	struct pstate ps = {.p = p, .e = e};
	size_t pos = 0;

	memset(p, 0, sizeof(*p));
	memset(e, 0, sizeof(*e));
	ps.line = 1;
	if (len > SCEN_MAX_TEXT)
		return fail(&ps, 1, "longer than %u bytes", SCEN_MAX_TEXT);
	ps.line = 0;
	while (pos < len) {
		size_t end = pos;

		ps.line++;
		while (end < len && text[end] != '\n')
			end++;
		if (end - pos > SCEN_MAX_LINE)
			return fail(&ps, SCEN_MAX_LINE + 1,
				    "line longer than %u characters",
				    SCEN_MAX_LINE);
		if (!p->n && !p->about[0])
			about(p, text + pos, (unsigned)(end - pos));
		if (split(&ps, text + pos, (unsigned)(end - pos)))
			return -1;
		if (ps.nw && line(&ps))
			return -1;
		pos = end + 1;
	}
	if (ps.depth) {
		ps.line = p->ops[ps.open[ps.depth - 1]].line;
		return fail(&ps, p->ops[ps.open[ps.depth - 1]].col,
			    "repeat never closed with \"}\"");
	}
	if (!p->n) {
		ps.line = 1;
		return fail(&ps, 1, "no statements");
	}
	return 0;
}
