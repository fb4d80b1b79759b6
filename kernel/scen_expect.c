/*
 * scen_expect.c - the "expect" statement: what a scenario can assert.
 *
 * size and target compare with the protocol's slack (VMware moves 2 MiB
 * pages, so it may stop up to 511 frames off; virtio is exact). alive is
 * more than "we are still printing": the allocator and the driver's own
 * tracking must be consistent and the clock must still run. reserve is
 * the floor a balloon must never dig into. intact reads back every
 * workload and pinned page. shortfall is the pinned-page case: the host
 * asked for more than the guest could give, and the guest says so.
 * rss-drop asks the runner how much of the guest's RAM QEMU still has
 * resident, against the figure taken at the latest "target".
 */
#include "kernel/printf.h"
#include "kernel/scen_int.h"

#define C_SCEN	  "pinprick scenarios (docs/scenarios.md)"
#define C_ALIVE	  "pinprick: guest alive (allocator, driver, clock)"
#define C_RESERVE "pinprick: the balloon never takes the reserve"
#define C_INTACT  "pinprick: the host never changes a page the guest owns"
#define C_SHORT                                                                \
	"VMware KB: pinned memory limits the balloon; pinprick reports it"
#define C_RSS "host: ballooned pages leave the VMM's resident set"

void scen_intact_diags(struct scen_state *s, uint64_t bad)
{
	const struct wl *w = s->wl.bad_pfn ? &s->wl : &s->pin;

	scen_diag(s, "bad_pages", "%llu", (unsigned long long)bad);
	if (!bad || !w->bad_pfn)
		return;
	scen_diag(s, "first_bad", "%s pfn %#llx word %llu",
		  pa_state_name(w->state), (unsigned long long)w->bad_pfn,
		  (unsigned long long)w->bad_word);
	scen_diag(s, "want", "%#llx", (unsigned long long)w->bad_want);
	scen_diag(s, "got", "%#llx", (unsigned long long)w->bad_got);
}

static bool compare(uint64_t got, uint64_t want, unsigned cmp, uint64_t slack)
{
	if (cmp == SC_GE)
		return got + slack >= want;
	if (cmp == SC_LE)
		return got <= want + slack;
	return got + slack >= want && got <= want + slack;
}

static void expect_alive(struct scen_state *s, const char *text, unsigned line)
{
	const struct scen_env *env = s->env;
	char why[96] = "", dwhy[96] = "";
	int rc = pa_check(env->zone, why, sizeof(why));
	int drc = env->check(env->ctx, dwhy, sizeof(dwhy));
	uint64_t t = env->now_ns();

	env->delay_ns(1000000);
	if (rc != PA_OK)
		scen_diag(s, "allocator", "%s", why);
	if (drc)
		scen_diag(s, "driver", "%s", dwhy);
	scen_diag(s, "free", "%llu",
		  (unsigned long long)env->zone->count[PA_FREE]);
	scen_check(s, rc == PA_OK && drc == 0 && env->now_ns() > t, C_ALIVE,
		   "%u: %s", line, text);
}

static void expect_rss(struct scen_state *s, const struct scen_op *op,
		       const char *text)
{
	uint64_t want = scen_pages(s->env, &op->amount, 0) * PA_PAGE_SIZE;
	uint64_t now = 0;
	bool have = s->env->host_rss && s->env->host_rss(s->env->ctx, &now);
	uint64_t drop = have && s->rss_base_ok && now < s->rss_base
				? s->rss_base - now
				: 0;
	char d[120];

	if (s->env->no_reclaim_why) {
		ksnprintf(d, sizeof(d), "%u: %s", op->line, text);
		s->env->skip(s->env->rctx, s->env->no_reclaim_why, d);
		return;
	}

	if (!s->rss_base_ok)
		scen_diag(s, "why", "no host RSS at the latest target");
	else if (!have)
		scen_diag(s, "why", "no host RSS now");
	scen_diag(s, "rss_before_kib", "%llu",
		  (unsigned long long)(s->rss_base >> 10));
	scen_diag(s, "rss_now_kib", "%llu", (unsigned long long)(now >> 10));
	scen_diag(s, "drop_kib", "%llu", (unsigned long long)(drop >> 10));
	scen_check(s, s->rss_base_ok && have && drop >= want, C_RSS, "%u: %s",
		   op->line, text);
}

void scen_expect(struct scen_state *s, const struct scen_op *op,
		 const char *text)
{
	const struct balloon *b = s->env->b;
	const struct pa_zone *z = s->env->zone;
	uint64_t want = scen_pages(s->env, &op->amount, 0), bad;

	switch (op->what) {
	case SE_SIZE:
	case SE_TARGET: {
		uint64_t got = op->what == SE_SIZE ? b->size : b->target;

		scen_diag(s, "want", "%llu (slack %llu)",
			  (unsigned long long)want,
			  (unsigned long long)s->env->slack);
		scen_diag(s, "got", "%llu", (unsigned long long)got);
		scen_check(s, compare(got, want, op->cmp, s->env->slack),
			   s->env->clause, "%u: %s", op->line, text);
		break;
	}
	case SE_ALIVE:
		expect_alive(s, text, op->line);
		break;
	case SE_RESERVE:
		scen_diag(s, "free", "%llu",
			  (unsigned long long)z->count[PA_FREE]);
		scen_diag(s, "reserve", "%llu", (unsigned long long)z->reserve);
		scen_check(s, z->count[PA_FREE] >= z->reserve, C_RESERVE,
			   "%u: %s", op->line, text);
		break;
	case SE_INTACT:
		bad = wl_verify(&s->wl);
		if (!bad)
			bad = wl_verify(&s->pin);
		scen_intact_diags(s, bad);
		scen_check(s, bad == 0, C_INTACT, "%u: %s (%llu pages)",
			   op->line, text,
			   (unsigned long long)(s->wl.n + s->pin.n));
		break;
	case SE_SHORTFALL:
		scen_diag(s, "target", "%llu", (unsigned long long)b->target);
		scen_diag(s, "achieved", "%llu", (unsigned long long)b->size);
		scen_diag(s, "pinned", "%llu",
			  (unsigned long long)b->shortfall.pinned);
		scen_diag(s, "reserve", "%llu",
			  (unsigned long long)b->shortfall.reserve);
		scen_diag(s, "refused", "%llu",
			  (unsigned long long)b->shortfall.refused);
		scen_check(s,
			   b->shortfall.active &&
				   b->size + s->env->slack < b->target,
			   C_SHORT, "%u: %s (%llu of %llu pages short)",
			   op->line, text,
			   (unsigned long long)(b->target > b->size
							? b->target - b->size
							: 0),
			   (unsigned long long)b->target);
		break;
	case SE_RSS_DROP:
		expect_rss(s, op, text);
		break;
	}
}
