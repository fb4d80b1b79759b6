/*
 * scen_churn.c - "churn seed=S steps=N": a seeded random walk of the
 * things a busy guest does while its balloon moves.
 *
 * Each step is one of: allocate and write some workload pages, free some,
 * dirty one again (new generation), pin or unpin a few, or (now and then)
 * ask the host for a new target; the balloon is serviced after every
 * step. Every page the guest owns is read back every VERIFY_EVERY steps
 * and at the end, so a hypervisor that drops, zeroes or rolls back a page
 * the guest still owns is caught close to when it happened. The same seed
 * replays the same walk (the host's timing may still differ).
 */
#include "kernel/scen_int.h"

#define C_CHURN	     "pinprick: the host never changes a page the guest owns"
#define VERIFY_EVERY 64
#define TARGET_EVERY 32 /* on average, steps between target changes */
#define CHUNK	     64 /* most pages one step allocates or frees */

static uint64_t rnd(uint64_t *x)
{
	/* xorshift64*: small, good enough, and the same everywhere. */
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dull;
}

struct churn_tally {
	uint64_t touched, released, rewritten, pinned, unpinned, targets,
		refused_targets, verifies, verified;
};

/* Read back every owned page, counting reads; returns bad pages (0: ok). */
static uint64_t verify_all(struct scen_state *s, struct churn_tally *t)
{
	uint64_t bad = wl_verify(&s->wl);

	t->verifies++;
	t->verified += s->wl.n;
	if (!bad) {
		bad = wl_verify(&s->pin);
		t->verified += s->pin.n;
	}
	return bad;
}

static void one_step(struct scen_state *s, uint64_t *x, struct churn_tally *t)
{
	/* Keep the walk small beside the balloon: 10 % workload, 5 % pinned. */
	uint64_t wl_max = s->env->ram_pages / 10,
		 pin_max = s->env->ram_pages / 20;
	uint64_t r = rnd(x), k = 1 + (r >> 8) % CHUNK;
	char why[64];

	switch (r % 8) {
	case 0:
	case 1:
	case 2:
		if (s->wl.n + k <= wl_max)
			t->touched += wl_grow(&s->wl, k);
		break;
	case 3:
	case 4:
		t->released += wl_shrink(&s->wl, k);
		break;
	case 5:
		if (s->wl.n) {
			wl_rewrite(&s->wl, (r >> 20) % s->wl.n);
			t->rewritten++;
		}
		break;
	case 6:
		if ((r >> 16) & 1)
			t->unpinned += wl_shrink(&s->pin, k / 4 + 1);
		else if (s->pin.n + k / 4 + 1 <= pin_max)
			t->pinned += wl_grow(&s->pin, k / 4 + 1);
		break;
	default:
		if ((r >> 24) % (TARGET_EVERY / 8))
			break;
		/* Anywhere from empty to 40 % of RAM. */
		if (s->env->set_target(s->env->ctx,
				       (r >> 32) %
					       (s->env->ram_pages * 2 / 5 + 1),
				       why, sizeof(why)))
			t->targets++;
		else
			t->refused_targets++;
	}
	scen_pump(s);
}

void scen_churn(struct scen_state *s, const struct scen_op *op,
		const char *text)
{
	struct churn_tally t = {0};
	uint64_t x = op->seed * 0x9e3779b97f4a7c15ull + 1, bad = 0, i;

	for (i = 0; i < op->steps && !bad; i++) {
		one_step(s, &x, &t);
		if ((i + 1) % VERIFY_EVERY == 0)
			bad = verify_all(s, &t);
	}
	if (!bad)
		bad = verify_all(s, &t);
	scen_intact_diags(s, bad); /* first: the framework keeps 8 */
	scen_diag(s, "steps_run", "%llu", (unsigned long long)i);
	scen_diag(s, "pages", "touched %llu, released %llu, rewritten %llu",
		  (unsigned long long)t.touched, (unsigned long long)t.released,
		  (unsigned long long)t.rewritten);
	scen_diag(s, "pins", "pinned %llu, unpinned %llu",
		  (unsigned long long)t.pinned, (unsigned long long)t.unpinned);
	scen_diag(s, "targets", "%llu set, %llu refused",
		  (unsigned long long)t.targets,
		  (unsigned long long)t.refused_targets);
	scen_diag(s, "verifies", "%llu", (unsigned long long)t.verifies);
	/* The name carries the count: tests/faults.sh sums it. */
	scen_check(s, bad == 0 && t.refused_targets == 0, C_CHURN,
		   "%u: %s: every owned page intact (%llu page reads in %llu "
		   "passes)%s",
		   op->line, text, (unsigned long long)t.verified,
		   (unsigned long long)t.verifies,
		   bad ? " (FAILED: the host changed a page the guest owns)"
		       : "");
}
