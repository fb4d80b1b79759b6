/*
 * test_page_alloc_random.c - a long seeded random run of the buddy
 * allocator against a shadow model.
 *
 * Fixed scenarios only find the bugs someone thought of. Here 200000
 * random operations (alloc, alloc below a limit, free, state change,
 * claim, reserve changes and deliberate misuse) run on a zone with
 * unaligned edges and a hole; after each one the allocator's counters and
 * pa_check must agree with a page-by-page shadow, and every so often the
 * zone is drained and must merge back to its first state. The seed is
 * fixed, so a failure repeats.
 */
#include "tests/unit/pa_rig.h"

#define RZ_BASE	 256
#define RZ_PAGES 2048
#define RZ_OPS	 200000

struct model {
	struct pa_zone *z;
	struct hook h;
	uint8_t shadow[RZ_PAGES];
	uint64_t count[PA_NSTATES];
	uint64_t reserve;
	uint64_t errors;
	struct blk live[RZ_PAGES];
	int nlive;
	unsigned long ok, nomem, floor, claims, orders; /* what the run hit */
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint8_t *sh(struct model *m, uint64_t pfn)
{
	return &m->shadow[pfn - RZ_BASE];
}

static void sh_set(struct model *m, uint64_t pfn, unsigned order,
		   enum pa_state s)
{
	for (uint64_t i = 0; i < (1ull << order); i++) {
		m->count[*sh(m, pfn + i)]--;
		*sh(m, pfn + i) = (uint8_t)s;
		m->count[s]++;
	}
}

/* True when some aligned, fully free 2^order block ends by limit. */
static int sh_fits(struct model *m, unsigned order, uint64_t limit)
{
	uint64_t n = 1ull << order, p = (RZ_BASE + n - 1) & ~(n - 1);

	for (; p + n <= RZ_BASE + RZ_PAGES && p + n <= limit; p += n) {
		uint64_t i = 0;

		while (i < n && *sh(m, p + i) == PA_FREE)
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

static enum pa_state rnd_state(void)
{
	return (enum pa_state)(PA_KERNEL + rnd() % 4);
}

static unsigned rnd_order(void)
{
	unsigned r = (unsigned)(rnd() % 100);

	if (r < 60)
		return r % 3;
	if (r < 92)
		return 3 + r % 4;
	return 7 + r % 4;
}

static void op_alloc(struct model *m)
{
	unsigned order = rnd_order();
	enum pa_state s = rnd_state();
	uint64_t n = 1ull << order, limit = UINT64_MAX;
	int below = rnd() % 4 == 0;
	int64_t p, want;

	if (below)
		limit = RZ_BASE + rnd() % (RZ_PAGES + 64);
	p = below ? pa_alloc_below(m->z, order, s, limit)
		  : pa_alloc(m->z, order, s);
	if (m->count[PA_FREE] < n)
		want = PA_ERR_NOMEM;
	else if (s != PA_KERNEL && m->count[PA_FREE] - n < m->reserve)
		want = PA_ERR_RESERVE;
	else
		want = sh_fits(m, order, limit) ? 0 : PA_ERR_NOMEM;
	if (p < 0) {
		UT_CHECK_EQ(p, want);
		m->nomem += p == PA_ERR_NOMEM;
		m->floor += p == PA_ERR_RESERVE;
		return;
	}
	UT_CHECK_EQ(want, 0);
	m->ok++;
	m->orders |= 1ul << order;
	UT_CHECK_EQ((uint64_t)p & (n - 1), 0);
	UT_CHECK((uint64_t)p + n <= limit);
	UT_CHECK((uint64_t)p >= RZ_BASE &&
		 (uint64_t)p + n <= RZ_BASE + RZ_PAGES);
	for (uint64_t i = 0; i < n; i++)
		UT_CHECK_EQ(*sh(m, (uint64_t)p + i), PA_FREE);
	sh_set(m, (uint64_t)p, order, s);
	m->live[m->nlive++] = (struct blk){(uint64_t)p, order, s};
}

static void op_free(struct model *m)
{
	int i;
	struct blk b;

	if (!m->nlive)
		return;
	i = (int)(rnd() % (uint64_t)m->nlive);
	b = m->live[i];
	UT_CHECK_EQ(pa_free(m->z, b.pfn, b.order, b.state), PA_OK);
	sh_set(m, b.pfn, b.order, PA_FREE);
	m->live[i] = m->live[--m->nlive];
}

static void op_change(struct model *m)
{
	int i;
	enum pa_state to = rnd_state();

	if (!m->nlive)
		return;
	i = (int)(rnd() % (uint64_t)m->nlive);
	UT_CHECK_EQ(pa_change_state(m->z, m->live[i].pfn, m->live[i].order,
				    m->live[i].state, to),
		    PA_OK);
	sh_set(m, m->live[i].pfn, m->live[i].order, to);
	m->live[i].state = to;
}

/* Deliberate misuse: must be refused, reported and change nothing. */
static void op_misuse(struct model *m)
{
	uint64_t pfn = RZ_BASE - 8 + rnd() % (RZ_PAGES + 16);
	unsigned order = (unsigned)(rnd() % 12);
	enum pa_state s = rnd_state();
	int want = PA_OK, got, i;

	if (m->nlive && rnd() % 2) {
		i = (int)(rnd() % (uint64_t)m->nlive);
		pfn = m->live[i].pfn + rnd() % 2;
		if (rnd() % 2)
			order = m->live[i].order;
	}
	if (pfn < RZ_BASE || pfn >= RZ_BASE + RZ_PAGES ||
	    *sh(m, pfn) == PA_ABSENT)
		want = PA_ERR_RANGE;
	else if (*sh(m, pfn) == PA_FREE)
		want = PA_ERR_DOUBLE_FREE;
	else if (!(m->z->pages[pfn - RZ_BASE].flags & PA_PF_HEAD))
		want = PA_ERR_NOT_HEAD;
	else if (m->z->pages[pfn - RZ_BASE].order != order)
		want = PA_ERR_ORDER;
	else if (*sh(m, pfn) != s)
		want = PA_ERR_STATE;
	if (want == PA_OK)
		return;
	got = pa_free(m->z, pfn, order, s);
	UT_CHECK_EQ(got, want);
	m->errors++;
	UT_CHECK_EQ(m->z->last_error_pfn, pfn);
}

static void op_claim(struct model *m)
{
	uint64_t start = RZ_BASE + rnd() % RZ_PAGES, end = start + rnd() % 6;
	enum pa_state s = rnd_state();
	int want = PA_OK;

	if (end > RZ_BASE + RZ_PAGES)
		end = RZ_BASE + RZ_PAGES;
	for (uint64_t p = start; p < end && want == PA_OK; p++)
		if (*sh(m, p) == PA_ABSENT)
			want = PA_ERR_RANGE;
		else if (*sh(m, p) != PA_FREE)
			want = PA_ERR_STATE;
	UT_CHECK_EQ(pa_claim_range(m->z, start, end, s), want);
	if (want) {
		m->errors++;
		return;
	}
	m->claims++;
	for (uint64_t p = start; p < end; p++) {
		sh_set(m, p, 0, s);
		m->live[m->nlive++] = (struct blk){p, 0, s};
	}
}

static void op_reserve(struct model *m)
{
	uint64_t r = rnd() % (m->count[PA_FREE] + 32);

	if (rnd() % 4)
		r /= 8;
	if (r > m->count[PA_FREE]) {
		UT_CHECK_EQ(pa_set_reserve(m->z, r), PA_ERR_RESERVE);
		m->errors++;
	} else {
		UT_CHECK_EQ(pa_set_reserve(m->z, r), PA_OK);
		m->reserve = r;
	}
}

static void model_compare(struct model *m, int full)
{
	for (int s = PA_FREE; s < PA_NSTATES; s++)
		UT_CHECK_EQ(m->z->count[s], m->count[s]);
	UT_CHECK_EQ(m->z->errors, m->errors);
	UT_CHECK_EQ(m->h.calls, (int)m->errors);
	UT_CHECK_EQ(m->z->reserve, m->reserve);
	UT_CHECK_EQ(pa_available(m->z), m->count[PA_FREE] > m->reserve
						? m->count[PA_FREE] - m->reserve
						: 0);
	CHECK_ZONE(m->z);
	if (!full)
		return;
	for (uint64_t p = RZ_BASE; p < RZ_BASE + RZ_PAGES; p++)
		UT_CHECK_EQ(pa_state_of(m->z, p), *sh(m, p));
}

static void test_random(void)
{
	static struct model m;
	struct pa_stats st0, st1;
	int fails0 = ut_failed_checks;

	memset(&m, 0, sizeof(m));
	m.z = zone_get(RZ_BASE, RZ_PAGES, &m.h);
	/* Unaligned edges and a hole; [1024, 2048) is one 4 MiB block. */
	UT_CHECK_EQ(pa_add_free_range(m.z, RZ_BASE + 3, 900), PA_OK);
	UT_CHECK_EQ(pa_add_free_range(m.z, 1000, RZ_BASE + RZ_PAGES - 5),
		    PA_OK);
	for (uint64_t p = RZ_BASE; p < RZ_BASE + RZ_PAGES; p++) {
		*sh(&m, p) = (uint8_t)pa_state_of(m.z, p);
		m.count[*sh(&m, p)]++;
	}
	m.count[PA_ABSENT] = 0;
	snap(m.z, &st0);
	for (int op = 0; op < RZ_OPS; op++) {
		unsigned r = (unsigned)(rnd() % 100);

		if (r < 40)
			op_alloc(&m);
		else if (r < 75)
			op_free(&m);
		else if (r < 88)
			op_change(&m);
		else if (r < 94)
			op_misuse(&m);
		else if (r < 98)
			op_claim(&m);
		else
			op_reserve(&m);
		model_compare(&m, op % 1024 == 0);
		/* Drain now and then: everything must merge back. */
		if (op % 10000 == 9999) {
			while (m.nlive)
				op_free(&m);
			snap(m.z, &st1);
			st1.reserve = st0.reserve;
			UT_CHECK(same_stats(&st0, &st1));
		}
		if (ut_failed_checks > fails0 + 20) {
			printf("    # giving up at op %d\n", op);
			break;
		}
	}
	printf("    # %lu allocs, %lu nomem, %lu at the floor, %lu claims, "
	       "%" PRIu64 " errors\n",
	       m.ok, m.nomem, m.floor, m.claims, m.errors);
	UT_CHECK_EQ(m.orders, (1ul << (PA_MAX_ORDER + 1)) - 1);
	UT_CHECK(m.ok > RZ_OPS / 10 && m.nomem && m.floor && m.claims);
	while (m.nlive)
		op_free(&m);
	UT_CHECK_EQ(pa_set_reserve(m.z, 0), PA_OK);
	m.reserve = 0;
	model_compare(&m, 1);
	snap(m.z, &st1);
	UT_CHECK(same_stats(&st0, &st1));
	zone_put(m.z);
}

UT_MAIN(UT_TEST(test_random))
