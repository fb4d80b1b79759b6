/*
 * scen_run.c - the scenario interpreter (the language is in scen.h).
 *
 * Statements run in order; every one that can go wrong reports exactly
 * one check, named "LINE: STATEMENT", with the numbers behind it as
 * diagnostics. Waiting always keeps the balloon serviced (env->step), so
 * a scenario behaves like a guest whose balloon driver runs in the
 * background while its applications allocate, pin and free. The end of a
 * scenario is fixed and not up to the script: accounting, integrity, then
 * everything released and the balloon emptied (scen_finish).
 */
#include <stdarg.h>

#include "kernel/printf.h"
#include "kernel/scen.h"
#include "kernel/scen_int.h"
#include "kernel/string.h"

#define C_SCEN	  "pinprick scenarios (docs/scenarios.md)"
#define C_ACCOUNT "pinprick: page accounting"
#define C_PINNED  "pinprick: a balloon never takes a pinned page"
#define SETTLE_NS (300ull * 1000000) /* still this long = settled */
#define FINAL_NS  (30ull * 1000000000)

void scen_diag(struct scen_state *s, const char *key, const char *fmt, ...)
{
	char v[96];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	s->env->diag(s->env->rctx, key, v);
}

bool scen_check(struct scen_state *s, bool ok, const char *clause,
		const char *fmt, ...)
{
	char d[160];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(d, sizeof(d), fmt, ap);
	va_end(ap);
	s->res->checks++;
	s->res->failed += !ok;
	return s->env->report(s->env->rctx, ok, clause, d);
}

void scen_info(struct scen_state *s, const char *fmt, ...)
{
	char d[160];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(d, sizeof(d), fmt, ap);
	va_end(ap);
	s->env->info(s->env->rctx, d);
}

uint64_t scen_pages(const struct scen_env *env, const struct scen_amount *a,
		    uint64_t all_pages)
{
	switch (a->unit) {
	case SU_MIB:
		return a->value << (20 - PA_PAGE_SHIFT);
	case SU_PERCENT:
		return env->ram_pages * a->value / 100;
	case SU_ALL:
		return all_pages;
	default:
		return a->value;
	}
}

uint64_t scen_ms(const struct scen_state *s)
{
	return (s->env->now_ns() - s->t0) / 1000000;
}

void scen_sample(struct scen_state *s)
{
	const struct pa_zone *z = s->env->zone;

	s->last_sample = s->env->now_ns();
	scen_info(s,
		  "sample t=%llu proto=%s target=%llu balloon=%llu free=%llu "
		  "workload=%llu pinned=%llu",
		  (unsigned long long)(s->last_sample / 1000000), s->env->proto,
		  (unsigned long long)s->env->b->target,
		  (unsigned long long)s->env->b->size,
		  (unsigned long long)z->count[PA_FREE],
		  (unsigned long long)z->count[PA_WORKLOAD],
		  (unsigned long long)z->count[PA_PINNED]);
}

/* One turn of the background: the balloon, and a sample when due. */
void scen_pump(struct scen_state *s)
{
	s->env->step(s->env->ctx);
	if (s->env->sample_ms &&
	    s->env->now_ns() - s->last_sample >= s->env->sample_ms * 1000000)
		scen_sample(s);
}

static bool near(uint64_t got, uint64_t want, uint64_t slack)
{
	return got + slack >= want && got <= want + slack;
}

static void balloon_diags(struct scen_state *s)
{
	const struct balloon *b = s->env->b;

	scen_diag(s, "target", "%llu", (unsigned long long)b->target);
	scen_diag(s, "size", "%llu", (unsigned long long)b->size);
	if (b->shortfall.active)
		scen_diag(s, "shortfall",
			  "pinned %llu, reserve %llu, refused %llu",
			  (unsigned long long)b->shortfall.pinned,
			  (unsigned long long)b->shortfall.reserve,
			  (unsigned long long)b->shortfall.refused);
}

/* Pump until done() or the deadline; returns elapsed ms or -1. */
static int64_t pump_until(struct scen_state *s, uint64_t ms,
			  bool (*done)(struct scen_state *, uint64_t *),
			  uint64_t *arg)
{
	uint64_t start = s->env->now_ns(), end = start + ms * 1000000;

	for (;;) {
		scen_pump(s);
		if (done(s, arg))
			return (int64_t)((s->env->now_ns() - start) / 1000000);
		if (s->env->now_ns() >= end)
			return -1;
		s->env->delay_ns(200000);
	}
}

static bool size_done(struct scen_state *s, uint64_t *want)
{
	return near(s->env->b->size, *want, s->env->slack);
}

/*
 * The end wants an empty balloon, with no slack: near(size, 0, 511) ends
 * the wait early with up to 511 4 KiB pages left on a host without 2 MiB
 * pages (tests/faults.sh, vmware_caps without BATCHED_2M).
 */
static bool empty_done(struct scen_state *s, uint64_t *unused)
{
	return s->env->b->size == 0;
}

static bool target_done(struct scen_state *s, uint64_t *want)
{
	return near(s->env->b->target, *want, s->env->slack);
}

/* Settled: at the target, or short of it and still for SETTLE_NS. */
static bool settled(struct scen_state *s, uint64_t *last)
{
	const struct balloon *b = s->env->b;
	uint64_t now = s->env->now_ns();

	if (near(b->size, b->target, s->env->slack))
		return true;
	if (b->size != last[0] || !b->shortfall.active) {
		last[0] = b->size;
		last[1] = now;
		return false;
	}
	return now - last[1] >= SETTLE_NS;
}

static void op_target(struct scen_state *s, const struct scen_op *op,
		      const char *text)
{
	uint64_t pages = scen_pages(s->env, &op->amount, 0);
	char why[96] = "";
	bool ok;

	s->rss_base_ok =
		s->env->host_rss && s->env->host_rss(s->env->ctx, &s->rss_base);
	ok = s->env->set_target(s->env->ctx, pages, why, sizeof(why));
	if (!ok)
		scen_diag(s, "host", "%s", why);
	scen_check(s, ok, s->env->clause, "%u: %s (%llu pages): host accepts",
		   op->line, text, (unsigned long long)pages);
}

static void op_wait(struct scen_state *s, const struct scen_op *op,
		    const char *text)
{
	uint64_t want = scen_pages(s->env, &op->amount, 0), last[2] = {0};
	int64_t took;

	if (op->kind == SO_WAIT_SETTLED)
		took = pump_until(s, op->ms, settled, last);
	else
		took = pump_until(s, op->ms,
				  op->kind == SO_WAIT_SIZE ? size_done
							   : target_done,
				  &want);
	balloon_diags(s);
	if (op->kind != SO_WAIT_SETTLED)
		scen_diag(s, "want", "%llu (slack %llu)",
			  (unsigned long long)want,
			  (unsigned long long)s->env->slack);
	scen_diag(s, "took_ms", "%lld", (long long)took);
	scen_check(s, took >= 0, s->env->clause, "%u: %s%s", op->line, text,
		   took < 0 ? ": timed out" : "");
}

static void wl_diags(struct scen_state *s, struct wl *w, uint64_t want,
		     uint64_t got)
{
	scen_diag(s, "asked", "%llu pages", (unsigned long long)want);
	scen_diag(s, "got", "%llu pages", (unsigned long long)got);
	scen_diag(s, "now", "%llu %s pages", (unsigned long long)w->n,
		  pa_state_name(w->state));
	scen_diag(s, "available", "%llu pages",
		  (unsigned long long)pa_available(s->env->zone));
}

static void op_memory(struct scen_state *s, const struct scen_op *op,
		      const char *text)
{
	bool pin = op->kind == SO_PIN || op->kind == SO_UNPIN;
	struct wl *w = pin ? &s->pin : &s->wl;
	uint64_t want = scen_pages(s->env, &op->amount, w->n), got;

	if (op->kind == SO_PIN || op->kind == SO_TOUCH)
		got = wl_grow(w, want);
	else
		got = wl_shrink(w, want);
	wl_diags(s, w, want, got);
	scen_check(s, got == want, C_SCEN, "%u: %s (%llu pages)", op->line,
		   text, (unsigned long long)want);
}

/* A workload needs memory now: free pages first, then the balloon's. */
static void op_pressure(struct scen_state *s, const struct scen_op *op,
			const char *text)
{
	uint64_t want = scen_pages(s->env, &op->amount, 0);
	uint64_t got = wl_grow(&s->wl, want);
	int64_t back = 0;

	/* A driver may give back less than asked (whole 2 MiB pages, a
	 * bounded batch), so ask again while it still gives something. */
	for (unsigned i = 0; got < want && i < 64; i++) {
		int64_t n = s->env->reclaim(s->env->ctx, want - got);

		if (n <= 0)
			break;
		back += n;
		got += wl_grow(&s->wl, want - got);
	}
	wl_diags(s, &s->wl, want, got);
	scen_diag(s, "from_balloon", "%lld pages", (long long)back);
	balloon_diags(s);
	scen_check(s, got == want, s->env->clause,
		   "%u: %s (%llu pages): the balloon gives memory back",
		   op->line, text, (unsigned long long)want);
}

static void op_sleep(struct scen_state *s, const struct scen_op *op)
{
	uint64_t end = s->env->now_ns() + op->ms * 1000000;

	while (s->env->now_ns() < end) {
		scen_pump(s);
		s->env->delay_ns(500000);
	}
}

static void run_op(struct scen_state *s, const struct scen_op *op)
{
	char text[80];

	scen_op_text(op, text, sizeof(text));
	switch (op->kind) {
	case SO_TARGET:
		op_target(s, op, text);
		break;
	case SO_AWAIT_TARGET:
	case SO_WAIT_SIZE:
	case SO_WAIT_SETTLED:
		op_wait(s, op, text);
		break;
	case SO_PIN:
	case SO_UNPIN:
	case SO_TOUCH:
	case SO_RELEASE:
		op_memory(s, op, text);
		break;
	case SO_PRESSURE:
		op_pressure(s, op, text);
		break;
	case SO_SLEEP:
		op_sleep(s, op);
		break;
	case SO_EXPECT:
		scen_expect(s, op, text);
		break;
	case SO_CHURN:
		scen_churn(s, op, text);
		break;
	}
}

void scen_start(struct scen_state *s, const struct scen_prog *p,
		const char *name, const struct scen_env *env,
		struct scen_result *res)
{
	memset(s, 0, sizeof(*s));
	memset(res, 0, sizeof(*res));
	s->p = p;
	s->name = name;
	s->env = env;
	s->res = res;
	wl_init(&s->wl, env->zone, env->map, PA_WORKLOAD, env->wl_pfns,
		env->track_len);
	wl_init(&s->pin, env->zone, env->map, PA_PINNED, env->pin_pfns,
		env->track_len);
	s->wl_before = env->zone->count[PA_WORKLOAD];
	s->pin_before = env->zone->count[PA_PINNED];
	s->t0 = env->now_ns();
}

void scen_exec(struct scen_state *s)
{
	const struct scen_prog *p = s->p;

	if (s->env->sample_ms)
		scen_sample(s);
	for (s->pc = 0; s->pc < p->n;) {
		const struct scen_op *op = &p->ops[s->pc];

		if (op->kind == SO_REPEAT) {
			s->left[s->pc++] = op->count;
			continue;
		}
		if (op->kind == SO_END) {
			if (--s->left[op->jump])
				s->pc = op->jump + 1;
			else
				s->pc++;
			continue;
		}
		run_op(s, op);
		s->pc++;
	}
	if (s->env->sample_ms)
		scen_sample(s);
}

/* free + kernel + workload + pinned + ballooned = managed, and more. */
static void final_accounting(struct scen_state *s)
{
	const struct pa_zone *z = s->env->zone;
	char why[96] = "", dwhy[96] = "";
	uint64_t sum = pa_owned_total(z);
	int rc = pa_check(z, why, sizeof(why));
	int drc = s->env->check(s->env->ctx, dwhy, sizeof(dwhy));
	static const char *const key[PA_NSTATES] = {
		[PA_FREE] = "free",	      [PA_KERNEL] = "kernel",
		[PA_WORKLOAD] = "workload",   [PA_PINNED] = "pinned",
		[PA_BALLOONED] = "ballooned",
	};

	for (int st = PA_FREE; st < PA_NSTATES; st++)
		scen_diag(s, key[st], "%llu", (unsigned long long)z->count[st]);
	scen_diag(s, "sum", "%llu", (unsigned long long)sum);
	scen_diag(s, "managed", "%llu", (unsigned long long)z->managed);
	scen_diag(s, "tracked", "workload %llu, pinned %llu, balloon %llu",
		  (unsigned long long)s->wl.n, (unsigned long long)s->pin.n,
		  (unsigned long long)s->env->b->size);
	if (rc != PA_OK)
		scen_diag(s, "allocator", "%s", why);
	if (drc)
		scen_diag(s, "driver", "%s", dwhy);
	scen_check(s,
		   rc == PA_OK && drc == 0 && sum == z->managed &&
			   z->count[PA_WORKLOAD] == s->wl_before + s->wl.n &&
			   z->count[PA_PINNED] == s->pin_before + s->pin.n &&
			   z->count[PA_BALLOONED] == s->env->b->size,
		   C_ACCOUNT,
		   "end: free + kernel + workload + pinned + ballooned = "
		   "managed, every page where it is tracked");
}

void scen_finish(struct scen_state *s)
{
	const struct scen_env *env = s->env;
	uint64_t zero = 0, bad;
	char why[96] = "";
	bool host;
	int64_t took;

	final_accounting(s);
	if (s->wl.n || s->pin.n) {
		bad = wl_verify(&s->wl);
		if (!bad)
			bad = wl_verify(&s->pin);
		scen_intact_diags(s, bad);
		scen_check(s, bad == 0, C_SCEN,
			   "end: every workload and pinned page intact (%llu "
			   "pages)",
			   (unsigned long long)(s->wl.n + s->pin.n));
	}
	wl_shrink(&s->wl, s->wl.n);
	wl_shrink(&s->pin, s->pin.n);
	host = env->set_target(env->ctx, 0, why, sizeof(why));
	took = pump_until(s, FINAL_NS / 1000000, empty_done, &zero);
	if (!host)
		scen_diag(s, "host", "%s", why);
	balloon_diags(s);
	scen_diag(s, "ballooned_pages", "%llu",
		  (unsigned long long)env->zone->count[PA_BALLOONED]);
	scen_diag(s, "took_ms", "%lld", (long long)took);
	scen_check(s,
		   took >= 0 && env->b->size == 0 &&
			   env->zone->count[PA_BALLOONED] == 0,
		   env->clause, "end: target 0 empties the balloon");
	s->res->elapsed_ms = scen_ms(s);
	if (env->sample_ms)
		scen_sample(s);
}
