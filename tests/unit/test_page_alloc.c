/*
 * test_page_alloc.c - host unit tests for setting up a buddy zone.
 *
 * A zone starts empty and learns which pages exist from
 * pa_add_free_range, so these tests cover that first step: init and its
 * bad arguments, ranges with unaligned edges, ranges added piecewise,
 * refused ranges, a zone that does not start at PFN 0, and a hole in the
 * middle (like the PCI hole) that no block may cover. Also pa_state_of
 * outside the zone and the state and error names used in reports.
 *
 * Split, reserve, state-change, pa_check and random tests live in the
 * other test_page_alloc_*.c files; shared helpers in pa_rig.h.
 */
#include "tests/unit/pa_rig.h"

static void test_init(void)
{
	struct pa_zone *z = zone_get(0, 100, NULL);
	struct pa_stats st;

	UT_CHECK_EQ(pa_meta_bytes(100), 100 * sizeof(struct pa_page));
	UT_CHECK_EQ(pa_meta_bytes(0), 0);
	for (uint64_t p = 0; p < 100; p++)
		UT_CHECK_EQ(pa_state_of(z, p), PA_ABSENT);
	snap(z, &st);
	UT_CHECK_EQ(st.managed, 0);
	for (int s = 0; s < PA_NSTATES; s++)
		UT_CHECK_EQ(st.count[s], 0);
	UT_CHECK_EQ(z->errors, 0);
	UT_CHECK_EQ(pa_available(z), 0);
	UT_CHECK_EQ(pa_alloc(z, 0, PA_KERNEL), PA_ERR_NOMEM);
	CHECK_ZONE(z);
	zone_put(z);
}

/* Every state counts once in the owned total; ABSENT pages do not. */
static void test_owned_total(void)
{
	struct pa_zone *z = zone_get(0, 1024, NULL);

	UT_CHECK_EQ(pa_owned_total(z), 0);
	UT_CHECK_EQ(pa_add_free_range(z, 100, 612), PA_OK);
	UT_CHECK_EQ(pa_owned_total(z), 512);
	UT_CHECK(pa_alloc(z, 0, PA_KERNEL) >= 0);
	UT_CHECK(pa_alloc(z, 1, PA_WORKLOAD) >= 0);
	UT_CHECK(pa_alloc(z, 2, PA_PINNED) >= 0);
	UT_CHECK(pa_alloc(z, 3, PA_BALLOONED) >= 0);
	UT_CHECK_EQ(z->count[PA_FREE], 512 - 15);
	UT_CHECK_EQ(pa_owned_total(z), 512);
	UT_CHECK_EQ(pa_owned_total(z), z->managed);
	CHECK_ZONE(z);
	zone_put(z);
}

static void test_init_bad_args(void)
{
	struct pa_zone z;
	struct pa_page meta[4];

	memset(&z, 0x5a, sizeof(z));
	UT_CHECK_EQ(pa_init(NULL, 0, 4, meta), PA_ERR_ARG);
	UT_CHECK_EQ(pa_init(&z, 0, 4, NULL), PA_ERR_ARG);
	UT_CHECK_EQ(z.errors, 1);
	UT_CHECK_EQ(z.last_error, PA_ERR_ARG);
	UT_CHECK(z.on_error == NULL);
	UT_CHECK_EQ(z.npages, 0);
	UT_CHECK_EQ(pa_init(&z, 0, (uint64_t)PA_NO_PFN, meta), PA_ERR_ARG);
	UT_CHECK_EQ(pa_init(&z, UINT64_MAX - 1, 4, meta), PA_ERR_ARG);
	UT_CHECK_EQ(pa_state_of(&z, 0), PA_ABSENT);
	UT_CHECK_EQ(pa_init(&z, 0, 0, NULL), PA_OK);
	CHECK_ZONE(&z);
	UT_CHECK_EQ(pa_init(&z, 7, 4, meta), PA_OK);
	UT_CHECK_EQ(z.errors, 0);
	UT_CHECK_EQ(pa_add_free_range(&z, 7, 11), PA_OK);
	UT_CHECK_EQ(z.count[PA_FREE], 4);
	CHECK_ZONE(&z);
}

/* [5, 1500) splits into maximal naturally aligned blocks. */
static void test_add_unaligned_range(void)
{
	static const unsigned want[PA_MAX_ORDER + 1] = { 1, 1, 1, 2, 2, 1,
							 2, 2, 2, 1, 0 };
	struct pa_zone *z = zone_get(0, 4096, NULL);
	uint64_t pages = 0;

	UT_CHECK_EQ(pa_add_free_range(z, 5, 1500), PA_OK);
	check_blocks(z, want);
	for (int k = 0; k <= PA_MAX_ORDER; k++)
		pages += z->free_blocks[k] << k;
	UT_CHECK_EQ(pages, 1495);
	UT_CHECK_EQ(z->managed, 1495);
	UT_CHECK_EQ(z->count[PA_FREE], 1495);
	UT_CHECK_EQ(pa_state_of(z, 4), PA_ABSENT);
	UT_CHECK_EQ(pa_state_of(z, 5), PA_FREE);
	UT_CHECK_EQ(pa_state_of(z, 1499), PA_FREE);
	UT_CHECK_EQ(pa_state_of(z, 1500), PA_ABSENT);
	UT_CHECK(z->pages[512].flags & PA_PF_HEAD);
	UT_CHECK_EQ(z->pages[512].order, 9);
	UT_CHECK(!(z->pages[513].flags & PA_PF_HEAD));
	CHECK_ZONE(z);
	/* Lowest block of each order is handed out first. */
	UT_CHECK_EQ(pa_alloc(z, 0, PA_KERNEL), 5);
	UT_CHECK_EQ(pa_alloc(z, 3, PA_KERNEL), 8);
	UT_CHECK_EQ(pa_alloc(z, 9, PA_KERNEL), 512);
	CHECK_ZONE(z);
	zone_put(z);
}

/* Adjacent ranges added separately merge into the same blocks. */
static void test_add_ranges_merge(void)
{
	static const unsigned one[PA_MAX_ORDER + 1] = { [PA_MAX_ORDER] = 2 };
	struct pa_zone *z = zone_get(0, 2048, NULL);

	UT_CHECK_EQ(pa_add_free_range(z, 1, 3), PA_OK);
	UT_CHECK_EQ(pa_add_free_range(z, 3, 5), PA_OK);
	CHECK_ZONE(z);
	UT_CHECK_EQ(pa_add_free_range(z, 1000, 2048), PA_OK);
	UT_CHECK_EQ(pa_add_free_range(z, 5, 777), PA_OK);
	UT_CHECK_EQ(pa_add_free_range(z, 777, 1000), PA_OK);
	CHECK_ZONE(z);
	UT_CHECK_EQ(pa_add_free_range(z, 0, 1), PA_OK);
	UT_CHECK_EQ(pa_add_free_range(z, 9, 9), PA_OK);
	check_blocks(z, one);
	UT_CHECK_EQ(z->managed, 2048);
	CHECK_ZONE(z);
	zone_put(z);
}

static void test_add_range_errors(void)
{
	struct hook h;
	struct pa_zone *z = zone_get(256, 1024, &h);
	struct pa_stats before, after;

	UT_CHECK_EQ(pa_add_free_range(z, 300, 400), PA_OK);
	UT_CHECK_EQ(pa_alloc(z, 0, PA_KERNEL), 300);
	snap(z, &before);
	CHECK_ERR(z, &h, pa_add_free_range(z, 500, 400), PA_ERR_ARG, 500);
	CHECK_ERR(z, &h, pa_add_free_range(z, 200, 300), PA_ERR_RANGE, 200);
	CHECK_ERR(z, &h, pa_add_free_range(z, 1200, 1281), PA_ERR_RANGE, 1200);
	CHECK_ERR(z, &h, pa_add_free_range(z, 390, 500), PA_ERR_STATE, 390);
	CHECK_ERR(z, &h, pa_add_free_range(z, 290, 301), PA_ERR_STATE, 300);
	snap(z, &after);
	UT_CHECK(same_stats(&before, &after));
	UT_CHECK_EQ(after.errors, 5);
	UT_CHECK_EQ(pa_state_of(z, 290), PA_ABSENT);
	UT_CHECK_EQ(pa_add_free_range(z, 1200, 1280), PA_OK);
	UT_CHECK_EQ(z->errors, 5);
	CHECK_ZONE(z);
	zone_put(z);
}

/* base 1 MiB: blocks align on absolute PFNs, not on zone offsets. */
static void test_nonzero_base(void)
{
	static const unsigned want[PA_MAX_ORDER + 1] = {
		[8] = 1, [9] = 1, [10] = 3
	};
	struct pa_zone *z = zone_get(256, 3840, NULL);
	struct pa_stats st0, st1;

	UT_CHECK_EQ(pa_add_free_range(z, 256, 4096), PA_OK);
	check_blocks(z, want);
	snap(z, &st0);
	UT_CHECK_EQ(pa_state_of(z, 255), PA_ABSENT);
	UT_CHECK_EQ(pa_state_of(z, 256), PA_FREE);
	UT_CHECK_EQ(pa_state_of(z, 4095), PA_FREE);
	UT_CHECK_EQ(pa_state_of(z, 4096), PA_ABSENT);
	UT_CHECK_EQ(pa_alloc(z, 10, PA_WORKLOAD), 1024);
	UT_CHECK_EQ(pa_alloc(z, 8, PA_PINNED), 256);
	UT_CHECK_EQ(pa_alloc(z, 9, PA_KERNEL), 512);
	UT_CHECK_EQ(pa_alloc(z, 0, PA_BALLOONED), 2048);
	UT_CHECK_EQ(pa_state_of(z, 1024 + 1023), PA_WORKLOAD);
	UT_CHECK_EQ(pa_state_of(z, 256 + 255), PA_PINNED);
	CHECK_ZONE(z);
	UT_CHECK_EQ(pa_free(z, 256, 8, PA_PINNED), PA_OK);
	UT_CHECK_EQ(pa_free(z, 2048, 0, PA_BALLOONED), PA_OK);
	UT_CHECK_EQ(pa_free(z, 512, 9, PA_KERNEL), PA_OK);
	UT_CHECK_EQ(pa_free(z, 1024, 10, PA_WORKLOAD), PA_OK);
	snap(z, &st1);
	UT_CHECK(same_stats(&st0, &st1));
	UT_CHECK_EQ(z->errors, 0);
	CHECK_ZONE(z);
	zone_put(z);
}

/* A PCI-hole-like gap: no block may cover it or merge across it. */
static void test_hole_in_middle(void)
{
	static const unsigned full[PA_MAX_ORDER + 1] = { [10] = 8 };
	struct hook h;
	struct pa_zone *z = zone_get(0, 8192, &h);
	static int64_t got[8192];
	struct pa_stats st0, st1;
	int n = 0, big;
	int64_t p;

	UT_CHECK_EQ(pa_add_free_range(z, 0, 3000), PA_OK);
	UT_CHECK_EQ(pa_add_free_range(z, 5000, 8192), PA_OK);
	CHECK_ZONE(z);
	snap(z, &st0);
	while ((p = pa_alloc(z, 10, PA_KERNEL)) >= 0) {
		UT_CHECK(p + 1024 <= 3000 || p >= 5000);
		got[n++] = p;
	}
	UT_CHECK_EQ(p, PA_ERR_NOMEM);
	big = n;
	UT_CHECK_EQ(big, 5);
	while ((p = pa_alloc(z, 0, PA_KERNEL)) >= 0) {
		UT_CHECK(p < 3000 || p >= 5000);
		got[n++] = p;
	}
	UT_CHECK_EQ(z->count[PA_FREE], 0);
	UT_CHECK_EQ(z->count[PA_KERNEL], 3000 + 3192);
	UT_CHECK_EQ(pa_state_of(z, 4000), PA_ABSENT);
	CHECK_ERR(z, &h, pa_free(z, 4000, 0, PA_KERNEL), PA_ERR_RANGE, 4000);
	CHECK_ERR(z, &h, pa_change_state(z, 3000, 0, PA_KERNEL, PA_PINNED),
		  PA_ERR_RANGE, 3000);
	for (int i = n - 1; i >= 0; i--)
		UT_CHECK_EQ(pa_free(z, (uint64_t)got[i], i < big ? 10 : 0,
				    PA_KERNEL),
			    PA_OK);
	snap(z, &st1);
	UT_CHECK(same_stats(&st0, &st1));
	CHECK_ZONE(z);
	/* Filling the hole merges everything into the largest blocks. */
	UT_CHECK_EQ(pa_add_free_range(z, 3000, 5000), PA_OK);
	check_blocks(z, full);
	CHECK_ZONE(z);
	zone_put(z);
}

static void test_state_of_out_of_range(void)
{
	struct pa_zone *z = zone_get(1000, 100, NULL);

	UT_CHECK_EQ(pa_add_free_range(z, 1000, 1100), PA_OK);
	UT_CHECK_EQ(pa_state_of(z, 0), PA_ABSENT);
	UT_CHECK_EQ(pa_state_of(z, 999), PA_ABSENT);
	UT_CHECK_EQ(pa_state_of(z, 1000), PA_FREE);
	UT_CHECK_EQ(pa_state_of(z, 1099), PA_FREE);
	UT_CHECK_EQ(pa_state_of(z, 1100), PA_ABSENT);
	UT_CHECK_EQ(pa_state_of(z, UINT64_MAX), PA_ABSENT);
	UT_CHECK_EQ(pa_state_of(z, 1000 - 1 + (1ull << 63)), PA_ABSENT);
	zone_put(z);
}

static void test_names(void)
{
	UT_CHECK_STR(pa_state_name(PA_ABSENT), "absent");
	UT_CHECK_STR(pa_state_name(PA_FREE), "free");
	UT_CHECK_STR(pa_state_name(PA_KERNEL), "kernel");
	UT_CHECK_STR(pa_state_name(PA_WORKLOAD), "workload");
	UT_CHECK_STR(pa_state_name(PA_PINNED), "pinned");
	UT_CHECK_STR(pa_state_name(PA_BALLOONED), "ballooned");
	UT_CHECK_STR(pa_state_name(PA_NSTATES), "invalid");
	UT_CHECK_STR(pa_state_name((enum pa_state) - 1), "invalid");
	UT_CHECK_STR(pa_err_name(PA_OK), "ok");
	UT_CHECK_STR(pa_err_name(PA_ERR_RANGE), "out of range");
	UT_CHECK_STR(pa_err_name(PA_ERR_STATE), "wrong state");
	UT_CHECK_STR(pa_err_name(PA_ERR_DOUBLE_FREE), "double free");
	UT_CHECK_STR(pa_err_name(PA_ERR_NOT_HEAD), "not a block head");
	UT_CHECK_STR(pa_err_name(PA_ERR_ORDER), "order mismatch");
	UT_CHECK_STR(pa_err_name(PA_ERR_NOMEM), "out of memory");
	UT_CHECK_STR(pa_err_name(PA_ERR_RESERVE), "reserve floor");
	UT_CHECK_STR(pa_err_name(PA_ERR_ARG), "bad argument");
	UT_CHECK_STR(pa_err_name(-9), "unknown error");
	UT_CHECK_STR(pa_err_name(1), "unknown error");
	UT_CHECK_STR(pa_err_name(-2147483647 - 1), "unknown error");
}

UT_MAIN(UT_TEST(test_init), UT_TEST(test_owned_total),
	UT_TEST(test_init_bad_args),
	UT_TEST(test_add_unaligned_range), UT_TEST(test_add_ranges_merge),
	UT_TEST(test_add_range_errors), UT_TEST(test_nonzero_base),
	UT_TEST(test_hole_in_middle), UT_TEST(test_state_of_out_of_range),
	UT_TEST(test_names))
