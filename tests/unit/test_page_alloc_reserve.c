/*
 * test_page_alloc_reserve.c - host unit tests for the reserve floor and
 * for running a zone dry.
 *
 * The floor keeps some free pages for the kernel: workload, pinned and
 * balloon allocations stop there, kernel allocations may go below it.
 * These tests check the floor is exact, that hitting it is not counted as
 * misuse, and that a holey zone drained with mixed orders and states (with
 * and without a floor) returns to exactly its first state once every
 * block is freed.
 */
#include "tests/unit/pa_rig.h"

static void test_reserve_floor(void)
{
	struct hook h;
	struct pa_zone *z = zone_get(0, 1024, &h);
	static int64_t got[1024];
	int n = 0;
	int64_t p, k;

	UT_CHECK_EQ(pa_add_free_range(z, 0, 1024), PA_OK);
	UT_CHECK_EQ(pa_set_reserve(z, 100), PA_OK);
	UT_CHECK_EQ(z->reserve, 100);
	UT_CHECK_EQ(pa_available(z), 924);
	while ((p = pa_alloc(z, 0, PA_WORKLOAD)) >= 0)
		got[n++] = p;
	UT_CHECK_EQ(p, PA_ERR_RESERVE);
	UT_CHECK_EQ(n, 924);
	UT_CHECK_EQ(z->count[PA_FREE], 100);
	UT_CHECK_EQ(pa_available(z), 0);
	UT_CHECK_EQ(pa_alloc(z, 0, PA_PINNED), PA_ERR_RESERVE);
	UT_CHECK_EQ(pa_alloc(z, 0, PA_BALLOONED), PA_ERR_RESERVE);
	UT_CHECK_EQ(pa_alloc_below(z, 0, PA_BALLOONED, 1024), PA_ERR_RESERVE);
	/* Running into the floor is not misuse. */
	UT_CHECK_EQ(z->errors, 0);
	UT_CHECK_EQ(h.calls, 0);
	/* The floor is exact: 8 pages may go when 108 are free. */
	UT_CHECK_EQ(pa_free(z, (uint64_t)got[--n], 0, PA_WORKLOAD), PA_OK);
	UT_CHECK_EQ(pa_alloc(z, 0, PA_PINNED), got[n]);
	UT_CHECK_EQ(
		pa_change_state(z, (uint64_t)got[n], 0, PA_PINNED, PA_WORKLOAD),
		PA_OK);
	n++;
	for (int i = 0; i < 8; i++)
		UT_CHECK_EQ(pa_free(z, (uint64_t)got[--n], 0, PA_WORKLOAD),
			    PA_OK);
	UT_CHECK_EQ(pa_available(z), 8);
	k = pa_alloc(z, 3, PA_BALLOONED);
	UT_CHECK(k >= 0);
	UT_CHECK_EQ(pa_alloc(z, 0, PA_WORKLOAD), PA_ERR_RESERVE);
	/* The kernel may dig into the reserve. */
	p = pa_alloc(z, 0, PA_KERNEL);
	UT_CHECK(p >= 0);
	UT_CHECK_EQ(z->count[PA_FREE], 99);
	UT_CHECK_EQ(pa_available(z), 0);
	/* Pinning kernel pages does not touch the free count. */
	UT_CHECK_EQ(pa_change_state(z, (uint64_t)p, 0, PA_KERNEL, PA_PINNED),
		    PA_OK);
	while (pa_alloc(z, 0, PA_KERNEL) >= 0)
		;
	UT_CHECK_EQ(z->count[PA_FREE], 0);
	UT_CHECK_EQ(pa_alloc(z, 0, PA_WORKLOAD), PA_ERR_NOMEM);
	UT_CHECK_EQ(z->errors, 0);
	CHECK_ERR(z, &h, pa_set_reserve(z, 1), PA_ERR_RESERVE, PA_NO_PFN);
	UT_CHECK_EQ(z->reserve, 100);
	UT_CHECK_EQ(pa_set_reserve(z, 0), PA_OK);
	UT_CHECK_EQ(pa_free(z, (uint64_t)k, 3, PA_BALLOONED), PA_OK);
	CHECK_ERR(z, &h, pa_set_reserve(z, 9), PA_ERR_RESERVE, PA_NO_PFN);
	UT_CHECK_EQ(pa_set_reserve(z, 8), PA_OK);
	UT_CHECK_EQ(pa_available(z), 0);
	CHECK_ZONE(z);
	zone_put(z);
}

/* Allocate blocks of each order, biggest first, until order 0 fails. */
static int drain(struct pa_zone *z, const enum pa_state *states, int nstates,
		 struct blk *b, int64_t *last_err)
{
	int n = 0;

	for (int o = PA_MAX_ORDER; o >= 0; o--) {
		enum pa_state s = states[n % nstates];
		int64_t p;

		while ((p = pa_alloc(z, (unsigned)o, s)) >= 0) {
			b[n++] = (struct blk){(uint64_t)p, (unsigned)o, s};
			s = states[n % nstates];
		}
		/* Big orders may fail on fragmentation before the floor. */
		UT_CHECK(p == PA_ERR_NOMEM || p == PA_ERR_RESERVE);
		*last_err = p;
	}
	return n;
}

/* Drain a holey zone with mixed orders, then give everything back. */
static void test_exhaust_and_recover(void)
{
	static const enum pa_state all[] = {PA_KERNEL, PA_WORKLOAD, PA_PINNED,
					    PA_BALLOONED};
	struct pa_zone *z = zone_get(256, 5000, NULL);
	static struct blk b[5000];
	struct pa_stats st0, st1;
	int64_t err;

	UT_CHECK_EQ(pa_add_free_range(z, 256, 2000), PA_OK);
	UT_CHECK_EQ(pa_add_free_range(z, 2100, 5249), PA_OK);
	snap(z, &st0);
	for (int round = 0; round < 2; round++) {
		uint64_t floor = round ? 50 : 0;
		int n;

		/* Round 0 includes kernel pages, round 1 stops at the floor. */
		UT_CHECK_EQ(pa_set_reserve(z, floor), PA_OK);
		n = drain(z, all + round, 4 - round, b, &err);
		UT_CHECK_EQ(err, round ? PA_ERR_RESERVE : PA_ERR_NOMEM);
		UT_CHECK_EQ(z->count[PA_FREE], floor);
		UT_CHECK_EQ(pa_available(z), 0);
		CHECK_ZONE(z);
		/* Free in an interleaved order so merges happen late. */
		for (int i = 0; i < n; i += 2)
			UT_CHECK_EQ(
				pa_free(z, b[i].pfn, b[i].order, b[i].state),
				PA_OK);
		CHECK_ZONE(z);
		for (int i = 1; i < n; i += 2)
			UT_CHECK_EQ(
				pa_free(z, b[i].pfn, b[i].order, b[i].state),
				PA_OK);
		UT_CHECK_EQ(pa_set_reserve(z, 0), PA_OK);
		snap(z, &st1);
		UT_CHECK(same_stats(&st0, &st1));
		CHECK_ZONE(z);
	}
	UT_CHECK_EQ(z->errors, 0);
	zone_put(z);
}

UT_MAIN(UT_TEST(test_reserve_floor), UT_TEST(test_exhaust_and_recover))
