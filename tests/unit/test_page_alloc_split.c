/*
 * test_page_alloc_split.c - host unit tests for splitting and merging
 * buddy blocks.
 *
 * The allocator is only right if a block split to serve a small request
 * merges back once all its pieces return, whatever the order of the
 * frees. Covered here: one split and its merge, every order, allocation
 * below a PFN limit (which must split a low block rather than take a high
 * one), and pa_claim_range carving fixed pages out of a free block, with
 * every way a claim can be refused.
 */
#include "tests/unit/pa_rig.h"

static void test_split_merge(void)
{
	static const unsigned one[PA_MAX_ORDER + 1] = {[PA_MAX_ORDER] = 1};
	static const unsigned split[PA_MAX_ORDER + 1] = {1, 1, 1, 1, 1, 1,
							 1, 1, 1, 1, 0};
	struct pa_zone *z = zone_get(0, 1024, NULL);
	static int64_t got[1024];
	int n = 0;
	int64_t p;

	UT_CHECK_EQ(pa_add_free_range(z, 0, 1024), PA_OK);
	check_blocks(z, one);
	UT_CHECK_EQ(pa_alloc(z, 0, PA_KERNEL), 0);
	check_blocks(z, split);
	CHECK_ZONE(z);
	UT_CHECK_EQ(pa_free(z, 0, 0, PA_KERNEL), PA_OK);
	check_blocks(z, one);
	while ((p = pa_alloc(z, 0, PA_WORKLOAD)) >= 0)
		got[n++] = p;
	UT_CHECK_EQ(n, 1024);
	UT_CHECK_EQ(p, PA_ERR_NOMEM);
	CHECK_ZONE(z);
	/* Free odd pages first: nothing can merge until the evens return. */
	for (int i = 0; i < n; i++)
		if (got[i] & 1)
			UT_CHECK_EQ(
				pa_free(z, (uint64_t)got[i], 0, PA_WORKLOAD),
				PA_OK);
	UT_CHECK_EQ(z->free_blocks[0], 512);
	CHECK_ZONE(z);
	for (int i = 0; i < n; i++)
		if (!(got[i] & 1))
			UT_CHECK_EQ(
				pa_free(z, (uint64_t)got[i], 0, PA_WORKLOAD),
				PA_OK);
	check_blocks(z, one);
	CHECK_ZONE(z);
	zone_put(z);
}

static void test_all_orders(void)
{
	struct pa_zone *z = zone_get(0, 2048, NULL);
	struct pa_stats st0, st1;

	UT_CHECK_EQ(pa_add_free_range(z, 0, 2048), PA_OK);
	snap(z, &st0);
	for (unsigned o = 0; o <= PA_MAX_ORDER; o++) {
		int64_t p = pa_alloc(z, o, PA_PINNED);
		uint64_t n = 1ull << o;

		UT_CHECK(p >= 0);
		UT_CHECK_EQ((uint64_t)p & (n - 1), 0);
		UT_CHECK_EQ(pa_state_of(z, (uint64_t)p), PA_PINNED);
		UT_CHECK_EQ(pa_state_of(z, (uint64_t)p + n - 1), PA_PINNED);
		UT_CHECK_EQ(pa_state_of(z, (uint64_t)p + n), PA_FREE);
		UT_CHECK_EQ(z->count[PA_PINNED], n);
		UT_CHECK_EQ(z->count[PA_FREE], 2048 - n);
		CHECK_ZONE(z);
		UT_CHECK_EQ(pa_free(z, (uint64_t)p, o, PA_PINNED), PA_OK);
		snap(z, &st1);
		UT_CHECK(same_stats(&st0, &st1));
	}
	UT_CHECK_EQ(pa_alloc(z, 10, PA_KERNEL), 0);
	UT_CHECK_EQ(pa_alloc(z, 10, PA_KERNEL), 1024);
	UT_CHECK_EQ(pa_alloc(z, 10, PA_KERNEL), PA_ERR_NOMEM);
	UT_CHECK_EQ(pa_alloc(z, 0, PA_KERNEL), PA_ERR_NOMEM);
	UT_CHECK_EQ(z->errors, 0);
	CHECK_ZONE(z);
	zone_put(z);
}

static void test_alloc_below(void)
{
	struct pa_zone *z = zone_get(0, 4096, NULL);
	struct pa_stats st0, st1;
	static int64_t got[4096];
	int n = 0;
	int64_t p;

	UT_CHECK_EQ(pa_add_free_range(z, 16, 4096), PA_OK);
	snap(z, &st0);
	while ((p = pa_alloc_below(z, 0, PA_KERNEL, 1000)) >= 0) {
		UT_CHECK(p >= 16 && p < 1000);
		got[n++] = p;
	}
	UT_CHECK_EQ(p, PA_ERR_NOMEM);
	UT_CHECK_EQ(n, 1000 - 16);
	UT_CHECK_EQ(pa_alloc_below(z, 0, PA_KERNEL, 1000), PA_ERR_NOMEM);
	CHECK_ZONE(z);
	UT_CHECK(pa_alloc(z, 0, PA_KERNEL) >= 1000);
	UT_CHECK_EQ(pa_free(z, 1000, 0, PA_KERNEL), PA_OK);
	while (n > 0)
		UT_CHECK_EQ(pa_free(z, (uint64_t)got[--n], 0, PA_KERNEL),
			    PA_OK);
	snap(z, &st1);
	UT_CHECK(same_stats(&st0, &st1));

	/* The block must end at or below the limit, not just start below. */
	UT_CHECK_EQ(pa_alloc_below(z, 3, PA_KERNEL, 23), PA_ERR_NOMEM);
	UT_CHECK_EQ(pa_alloc_below(z, 3, PA_KERNEL, 24), 16);
	UT_CHECK_EQ(pa_alloc_below(z, 0, PA_KERNEL, 16), PA_ERR_NOMEM);
	UT_CHECK_EQ(pa_alloc_below(z, 0, PA_KERNEL, 0), PA_ERR_NOMEM);
	UT_CHECK_EQ(pa_alloc_below(z, 10, PA_KERNEL, 2048), 1024);
	UT_CHECK_EQ(pa_alloc_below(z, 10, PA_KERNEL, 2048), PA_ERR_NOMEM);
	UT_CHECK_EQ(pa_alloc_below(z, 10, PA_KERNEL, UINT64_MAX), 2048);
	CHECK_ZONE(z);
	zone_put(z);

	/* A low big block is split even when small blocks exist higher. */
	z = zone_get(0, 2048, NULL);
	UT_CHECK_EQ(pa_add_free_range(z, 0, 1024), PA_OK);
	UT_CHECK_EQ(pa_add_free_range(z, 1536, 1537), PA_OK);
	UT_CHECK_EQ(pa_alloc_below(z, 0, PA_WORKLOAD, 1024), 0);
	UT_CHECK_EQ(pa_state_of(z, 1536), PA_FREE);
	UT_CHECK_EQ(pa_alloc_below(z, 0, PA_WORKLOAD, 1), PA_ERR_NOMEM);
	UT_CHECK_EQ(pa_alloc_below(z, 1, PA_WORKLOAD, 4), 2);
	CHECK_ZONE(z);
	zone_put(z);
}

/* Claiming [300, 310) out of one 4 MiB block splits it around the hole. */
static void test_claim_middle(void)
{
	static const unsigned want[PA_MAX_ORDER + 1] = {
		[1] = 1, [2] = 1, [3] = 2, [5] = 1,
		[6] = 1, [7] = 1, [8] = 1, [9] = 1,
	};
	static const unsigned one[PA_MAX_ORDER + 1] = {[PA_MAX_ORDER] = 1};
	struct hook h;
	struct pa_zone *z = zone_get(0, 1024, &h);

	UT_CHECK_EQ(pa_add_free_range(z, 0, 1024), PA_OK);
	UT_CHECK_EQ(pa_claim_range(z, 300, 310, PA_KERNEL), PA_OK);
	check_blocks(z, want);
	UT_CHECK_EQ(z->count[PA_KERNEL], 10);
	UT_CHECK_EQ(z->count[PA_FREE], 1014);
	UT_CHECK_EQ(pa_state_of(z, 299), PA_FREE);
	UT_CHECK_EQ(pa_state_of(z, 300), PA_KERNEL);
	UT_CHECK_EQ(pa_state_of(z, 309), PA_KERNEL);
	UT_CHECK_EQ(pa_state_of(z, 310), PA_FREE);
	CHECK_ZONE(z);
	/* Claimed pages are order-0 blocks: each can be freed alone. */
	CHECK_ERR(z, &h, pa_free(z, 300, 1, PA_KERNEL), PA_ERR_ORDER, 300);
	for (uint64_t p = 300; p < 310; p++) {
		UT_CHECK_EQ(pa_free(z, p, 0, PA_KERNEL), PA_OK);
		CHECK_ZONE(z);
	}
	check_blocks(z, one);
	/* Claim everything, and an empty range. */
	UT_CHECK_EQ(pa_claim_range(z, 0, 1024, PA_PINNED), PA_OK);
	UT_CHECK_EQ(pa_claim_range(z, 5, 5, PA_PINNED), PA_OK);
	UT_CHECK_EQ(z->count[PA_PINNED], 1024);
	UT_CHECK_EQ(z->free_blocks[PA_MAX_ORDER], 0);
	CHECK_ZONE(z);
	zone_put(z);
}

static void test_claim_errors(void)
{
	struct hook h;
	struct pa_zone *z = zone_get(100, 1000, &h);
	struct pa_stats before, after;

	UT_CHECK_EQ(pa_add_free_range(z, 100, 500), PA_OK);
	UT_CHECK_EQ(pa_add_free_range(z, 600, 1100), PA_OK);
	UT_CHECK_EQ(pa_claim_range(z, 100, 104, PA_KERNEL), PA_OK);
	snap(z, &before);
	CHECK_ERR(z, &h, pa_claim_range(z, 200, 210, PA_FREE), PA_ERR_ARG, 200);
	CHECK_ERR(z, &h, pa_claim_range(z, 200, 210, PA_ABSENT), PA_ERR_ARG,
		  200);
	CHECK_ERR(z, &h, pa_claim_range(z, 200, 210, (enum pa_state)9),
		  PA_ERR_ARG, 200);
	CHECK_ERR(z, &h, pa_claim_range(z, 210, 200, PA_KERNEL), PA_ERR_ARG,
		  210);
	CHECK_ERR(z, &h, pa_claim_range(z, 50, 120, PA_KERNEL), PA_ERR_RANGE,
		  50);
	CHECK_ERR(z, &h, pa_claim_range(z, 1000, 1101, PA_KERNEL), PA_ERR_RANGE,
		  1000);
	CHECK_ERR(z, &h, pa_claim_range(z, 490, 610, PA_KERNEL), PA_ERR_RANGE,
		  500);
	CHECK_ERR(z, &h, pa_claim_range(z, 103, 110, PA_KERNEL), PA_ERR_STATE,
		  103);
	snap(z, &after);
	UT_CHECK(same_stats(&before, &after));
	UT_CHECK_EQ(after.errors, 8);
	UT_CHECK_EQ(pa_claim_range(z, 104, 110, PA_WORKLOAD), PA_OK);
	UT_CHECK_EQ(pa_claim_range(z, 1099, 1100, PA_PINNED), PA_OK);
	UT_CHECK_EQ(z->count[PA_WORKLOAD], 6);
	UT_CHECK_EQ(z->errors, 8);
	CHECK_ZONE(z);
	zone_put(z);
}

UT_MAIN(UT_TEST(test_split_merge), UT_TEST(test_all_orders),
	UT_TEST(test_alloc_below), UT_TEST(test_claim_middle),
	UT_TEST(test_claim_errors))
