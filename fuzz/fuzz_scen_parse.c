/*
 * fuzz_scen_parse.c - the scenario parser on arbitrary bytes.
 *
 * What it attacks: kernel/scen_parse.c (text to a checked program) and
 * kernel/scen_text.c (a statement back to text), the code that reads
 * tests/scenarios/NAME.scn inside the guest. The input is handed over as it
 * is, not NUL-terminated, so ASan sees any read past its end.
 *
 * Invariants, each an abort():
 *  - a rejected input has an error whose line exists in the input and
 *    whose column is within that line (or just past its end, where a
 *    missing word would go), with a non-empty message;
 *  - an accepted program is well formed: 1..SCEN_MAX_OPS statements,
 *    every repeat and its "}" point at each other, nesting within
 *    SCEN_MAX_DEPTH, counts, times and amounts within their limits;
 *  - round trip: the program printed back (budget, about line and each
 *    statement through scen_op_text) parses again to the same program.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/printf.h"
#include "kernel/scen.h"

#include "fuzz/fuzz_check.h"

static struct scen_prog prog, again;
static struct scen_error err;
static char text[SCEN_MAX_TEXT];

/* The error's line:col must name a place in data[0, len). */
static void check_error_place(const uint8_t *data, size_t len)
{
	size_t pos = 0, end;
	unsigned line = 1;

	CHECK(err.msg[0] != '\0' && memchr(err.msg, 0, sizeof(err.msg)));
	CHECK(err.line >= 1 && err.col >= 1);
	while (line < err.line) {
		const uint8_t *nl = memchr(data + pos, '\n', len - pos);

		CHECK(nl != NULL); /* the line must exist */
		pos = (size_t)(nl - data) + 1;
		line++;
	}
	end = pos;
	while (end < len && data[end] != '\n')
		end++;
	CHECK(err.col <= end - pos + 1);
}

static void check_program(const struct scen_prog *p)
{
	unsigned i, depth = 0;

	CHECK(p->n >= 1 && p->n <= SCEN_MAX_OPS);
	CHECK(p->budget_ms <= SCEN_MAX_MS);
	CHECK(memchr(p->about, 0, sizeof(p->about)));
	for (i = 0; i < p->n; i++) {
		const struct scen_op *op = &p->ops[i];

		CHECK(op->kind < SO_NKINDS);
		CHECK(op->ms <= SCEN_MAX_MS);
		CHECK(op->amount.unit <= SU_ALL);
		if (op->amount.unit == SU_PERCENT)
			CHECK(op->amount.value <= 1000);
		if (op->kind == SO_REPEAT) {
			CHECK(++depth <= SCEN_MAX_DEPTH);
			CHECK(op->count >= 1 && op->count <= SCEN_MAX_COUNT);
			CHECK(op->jump > i && op->jump < p->n);
			CHECK(p->ops[op->jump].kind == SO_END &&
			      p->ops[op->jump].jump == i);
		}
		if (op->kind == SO_END) {
			CHECK(depth-- > 0);
			CHECK(op->jump < i &&
			      p->ops[op->jump].kind == SO_REPEAT);
		}
		if (op->kind == SO_CHURN)
			CHECK(op->seed <= UINT32_MAX &&
			      op->steps <= SCEN_MAX_STEPS);
	}
	CHECK(depth == 0);
}

/* Everything but where a statement stood (line, col). */
static bool same_op(const struct scen_op *a, const struct scen_op *b)
{
	return a->kind == b->kind && a->what == b->what && a->cmp == b->cmp &&
	       a->amount.unit == b->amount.unit &&
	       a->amount.value == b->amount.value && a->ms == b->ms &&
	       a->count == b->count && a->jump == b->jump &&
	       a->seed == b->seed && a->steps == b->steps;
}

static void check_round_trip(void)
{
	size_t len = 0;
	unsigned i;

	if (prog.about[0])
		len += (size_t)ksnprintf(text + len, sizeof(text) - len,
					 "# %s\n", prog.about);
	if (prog.budget_ms)
		len += (size_t)ksnprintf(text + len, sizeof(text) - len,
					 "budget %llums\n",
					 (unsigned long long)prog.budget_ms);
	for (i = 0; i < prog.n; i++) {
		char st[SCEN_MAX_LINE];

		scen_op_text(&prog.ops[i], st, sizeof(st));
		CHECK(strlen(st) + 1 < sizeof(st));
		len += (size_t)ksnprintf(text + len, sizeof(text) - len, "%s\n",
					 st);
		CHECK(len < sizeof(text));
	}
	if (scen_parse(text, len, &again, &err)) {
		fprintf(stderr, "re-parse failed at %u:%u: %s\n%s", err.line,
			err.col, err.msg, text);
		abort();
	}
	CHECK(again.n == prog.n && again.budget_ms == prog.budget_ms);
	CHECK(strcmp(again.about, prog.about) == 0);
	for (i = 0; i < prog.n; i++)
		CHECK(same_op(&prog.ops[i], &again.ops[i]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (scen_parse((const char *)data, size, &prog, &err)) {
		check_error_place(data, size);
		return 0;
	}
	check_program(&prog);
	check_round_trip();
	return 0;
}
