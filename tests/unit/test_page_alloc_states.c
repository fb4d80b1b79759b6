/*
 * test_page_alloc_states.c - host unit tests for freeing, allocating and
 * changing the state of blocks the wrong way.
 *
 * A balloon driver gives pages back and moves them between states; a
 * mistake there (double free, wrong order, wrong state, not a block head,
 * out of range) must be refused, counted, reported through the hook and
 * leave the zone as it was. Also the legal state changes a block goes
 * through (kernel, workload, pinned, ballooned).
 */
#include "tests/unit/pa_rig.h"

static void test_free_errors(void)
{
	struct hook h;
	struct pa_zone *z = zone_get(256, 2048, &h);
	struct pa_stats before, after;
	int64_t p, q;

	UT_CHECK_EQ(pa_add_free_range(z, 256, 1000), PA_OK);
	UT_CHECK_EQ(pa_add_free_range(z, 1100, 2304), PA_OK);
	p = pa_alloc(z, 2, PA_KERNEL);
	q = pa_alloc(z, 0, PA_PINNED);
	UT_CHECK(p >= 0 && q >= 0);
	snap(z, &before);
	CHECK_ERR(z, &h, pa_free(z, (uint64_t)p, 2, PA_WORKLOAD), PA_ERR_STATE,
		  p);
	CHECK_ERR(z, &h, pa_free(z, (uint64_t)p, 2, PA_FREE), PA_ERR_STATE, p);
	CHECK_ERR(z, &h, pa_free(z, (uint64_t)p + 1, 2, PA_KERNEL),
		  PA_ERR_NOT_HEAD, p + 1);
	CHECK_ERR(z, &h, pa_free(z, (uint64_t)p + 3, 0, PA_KERNEL),
		  PA_ERR_NOT_HEAD, p + 3);
	CHECK_ERR(z, &h, pa_free(z, (uint64_t)p, 1, PA_KERNEL), PA_ERR_ORDER,
		  p);
	CHECK_ERR(z, &h, pa_free(z, (uint64_t)p, 99, PA_KERNEL), PA_ERR_ORDER,
		  p);
	CHECK_ERR(z, &h, pa_free(z, 255, 0, PA_KERNEL), PA_ERR_RANGE, 255);
	CHECK_ERR(z, &h, pa_free(z, 0, 0, PA_KERNEL), PA_ERR_RANGE, 0);
	CHECK_ERR(z, &h, pa_free(z, 2304, 0, PA_KERNEL), PA_ERR_RANGE, 2304);
	CHECK_ERR(z, &h, pa_free(z, UINT64_MAX, 0, PA_KERNEL), PA_ERR_RANGE,
		  UINT64_MAX);
	CHECK_ERR(z, &h, pa_free(z, 1050, 0, PA_KERNEL), PA_ERR_RANGE, 1050);
	CHECK_ERR(z, &h, pa_free(z, 1500, 0, PA_KERNEL), PA_ERR_DOUBLE_FREE,
		  1500);
	snap(z, &after);
	UT_CHECK(same_stats(&before, &after));
	UT_CHECK_EQ(after.errors, 12);
	CHECK_ZONE(z);

	UT_CHECK_EQ(pa_free(z, (uint64_t)p, 2, PA_KERNEL), PA_OK);
	UT_CHECK_EQ(z->errors, 12);
	CHECK_ERR(z, &h, pa_free(z, (uint64_t)p, 2, PA_KERNEL),
		  PA_ERR_DOUBLE_FREE, p);
	CHECK_ERR(z, &h, pa_free(z, (uint64_t)p + 1, 0, PA_KERNEL),
		  PA_ERR_DOUBLE_FREE, p + 1);
	UT_CHECK_EQ(pa_free(z, (uint64_t)q, 0, PA_PINNED), PA_OK);
	UT_CHECK_EQ(z->errors, 14);
	UT_CHECK_EQ(z->count[PA_FREE], z->managed);
	CHECK_ZONE(z);
	zone_put(z);
}

static void test_alloc_errors(void)
{
	struct hook h;
	struct pa_zone *z = zone_get(0, 1024, &h);

	UT_CHECK_EQ(pa_add_free_range(z, 0, 1024), PA_OK);
	CHECK_ERR(z, &h, pa_alloc(z, PA_MAX_ORDER + 1, PA_KERNEL), PA_ERR_ARG,
		  PA_NO_PFN);
	CHECK_ERR(z, &h, pa_alloc(z, 64, PA_KERNEL), PA_ERR_ARG, PA_NO_PFN);
	CHECK_ERR(z, &h, pa_alloc(z, 0, PA_FREE), PA_ERR_ARG, PA_NO_PFN);
	CHECK_ERR(z, &h, pa_alloc(z, 0, PA_ABSENT), PA_ERR_ARG, PA_NO_PFN);
	CHECK_ERR(z, &h, pa_alloc(z, 0, PA_NSTATES), PA_ERR_ARG, PA_NO_PFN);
	CHECK_ERR(z, &h, pa_alloc_below(z, 11, PA_KERNEL, 1024), PA_ERR_ARG,
		  PA_NO_PFN);
	CHECK_ERR(z, &h, pa_alloc_below(z, 0, PA_FREE, 1024), PA_ERR_ARG,
		  PA_NO_PFN);
	UT_CHECK_EQ(z->count[PA_FREE], 1024);
	UT_CHECK_EQ(z->free_blocks[PA_MAX_ORDER], 1);
	CHECK_ZONE(z);
	zone_put(z);
}

static void test_change_state(void)
{
	static const enum pa_state path[] = {PA_WORKLOAD,  PA_PINNED,
					     PA_BALLOONED, PA_KERNEL,
					     PA_PINNED,	   PA_WORKLOAD};
	struct pa_zone *z = zone_get(0, 1024, NULL);
	enum pa_state cur = PA_KERNEL;
	int64_t p;

	UT_CHECK_EQ(pa_add_free_range(z, 0, 1024), PA_OK);
	UT_CHECK_EQ(pa_set_reserve(z, 1000), PA_OK);
	p = pa_alloc(z, 5, PA_KERNEL);
	UT_CHECK(p >= 0);
	for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		UT_CHECK_EQ(pa_change_state(z, (uint64_t)p, 5, cur, path[i]),
			    PA_OK);
		cur = path[i];
		UT_CHECK_EQ(z->count[cur], 32);
		UT_CHECK_EQ(z->count[PA_FREE], 992);
		UT_CHECK_EQ(pa_state_of(z, (uint64_t)p), cur);
		UT_CHECK_EQ(pa_state_of(z, (uint64_t)p + 31), cur);
		CHECK_ZONE(z);
	}
	UT_CHECK_EQ(pa_change_state(z, (uint64_t)p, 5, cur, cur), PA_OK);
	UT_CHECK_EQ(z->count[cur], 32);
	UT_CHECK_EQ(pa_free(z, (uint64_t)p, 5, cur), PA_OK);
	UT_CHECK_EQ(z->count[PA_FREE], 1024);
	UT_CHECK_EQ(z->errors, 0);
	CHECK_ZONE(z);
	zone_put(z);
}

static void test_change_state_errors(void)
{
	struct hook h;
	struct pa_zone *z = zone_get(0, 2048, &h);
	struct pa_stats before, after;
	int64_t p;

	UT_CHECK_EQ(pa_add_free_range(z, 0, 1024), PA_OK);
	p = pa_alloc(z, 3, PA_WORKLOAD);
	UT_CHECK_EQ(p, 0);
	snap(z, &before);
	CHECK_ERR(z, &h, pa_change_state(z, 0, 3, PA_WORKLOAD, PA_FREE),
		  PA_ERR_ARG, 0);
	CHECK_ERR(z, &h, pa_change_state(z, 0, 3, PA_WORKLOAD, PA_ABSENT),
		  PA_ERR_ARG, 0);
	CHECK_ERR(z, &h, pa_change_state(z, 0, 3, PA_FREE, PA_KERNEL),
		  PA_ERR_ARG, 0);
	CHECK_ERR(z, &h,
		  pa_change_state(z, 0, 3, PA_WORKLOAD, (enum pa_state)77),
		  PA_ERR_ARG, 0);
	CHECK_ERR(z, &h, pa_change_state(z, 0, 3, PA_KERNEL, PA_PINNED),
		  PA_ERR_STATE, 0);
	CHECK_ERR(z, &h, pa_change_state(z, 0, 2, PA_WORKLOAD, PA_PINNED),
		  PA_ERR_ORDER, 0);
	CHECK_ERR(z, &h, pa_change_state(z, 4, 3, PA_WORKLOAD, PA_PINNED),
		  PA_ERR_NOT_HEAD, 4);
	CHECK_ERR(z, &h, pa_change_state(z, 8, 3, PA_WORKLOAD, PA_PINNED),
		  PA_ERR_STATE, 8);
	CHECK_ERR(z, &h, pa_change_state(z, 1500, 0, PA_KERNEL, PA_PINNED),
		  PA_ERR_RANGE, 1500);
	CHECK_ERR(z, &h, pa_change_state(z, 4096, 0, PA_KERNEL, PA_PINNED),
		  PA_ERR_RANGE, 4096);
	snap(z, &after);
	UT_CHECK(same_stats(&before, &after));
	UT_CHECK_EQ(pa_state_of(z, 7), PA_WORKLOAD);
	CHECK_ZONE(z);
	zone_put(z);
}

UT_MAIN(UT_TEST(test_free_errors), UT_TEST(test_alloc_errors),
	UT_TEST(test_change_state), UT_TEST(test_change_state_errors))
