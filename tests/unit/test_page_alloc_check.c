/*
 * test_page_alloc_check.c - host unit tests for pa_check, the zone's
 * consistency checker.
 *
 * Every other test trusts pa_check to say a zone is sound, so this one
 * makes sure it can say otherwise: each case corrupts one thing in a known
 * good zone (a counter, a page state, a head flag, an order, a free-list
 * link or length) and expects pa_check to fail with a reason naming it.
 */
#include "tests/unit/pa_rig.h"

/*
 * pa_check on a zone of [0, 1024) holding order-0 kernel page 0 and
 * order-2 kernel block 4: free blocks 1(0) 2(1) 8(3) 16(4) ... 512(9).
 */
static struct pa_zone *corrupt_base(void)
{
	struct pa_zone *z = zone_get(0, 1024, NULL);

	UT_CHECK_EQ(pa_add_free_range(z, 0, 1024), PA_OK);
	UT_CHECK_EQ(pa_alloc(z, 0, PA_KERNEL), 0);
	UT_CHECK_EQ(pa_alloc(z, 2, PA_KERNEL), 4);
	CHECK_ZONE(z);
	return z;
}

static void expect_corrupt(struct pa_zone *z, const char *why_has)
{
	char why[96];

	UT_CHECK_EQ(pa_check(z, why, sizeof(why)), PA_ERR_STATE);
	if (!strstr(why, why_has))
		printf("    # pa_check said \"%s\", wanted \"%s\"\n", why,
		       why_has);
	UT_CHECK(strstr(why, why_has) != NULL);
	zone_put(z);
}

static void test_check_detects_corruption(void)
{
	struct pa_zone *z;
	char why[8];

	z = corrupt_base();
	UT_CHECK_EQ(pa_check(z, NULL, 0), PA_OK);
	UT_CHECK_EQ(pa_check(z, why, 0), PA_OK);
	UT_CHECK_EQ(pa_check(z, why, sizeof(why)), PA_OK);
	UT_CHECK_STR(why, "ok");
	z->count[PA_KERNEL]++;
	UT_CHECK_EQ(pa_check(z, why, 4), PA_ERR_STATE);
	UT_CHECK_STR(why, "sta");
	expect_corrupt(z, "add up");

	z = corrupt_base();
	z->count[PA_ABSENT] = 1;
	z->managed++;
	expect_corrupt(z, "add up");

	z = corrupt_base();
	z->count[PA_KERNEL]--;
	z->count[PA_PINNED]++;
	expect_corrupt(z, "counter does not match");

	z = corrupt_base();
	z->pages[5].state = 42;
	expect_corrupt(z, "block tail");

	z = corrupt_base();
	z->pages[4].state = 42;
	expect_corrupt(z, "bad state");

	z = corrupt_base();
	z->pages[4].flags = 0;
	expect_corrupt(z, "outside any block");

	z = corrupt_base();
	z->pages[6].flags = PA_PF_HEAD;
	expect_corrupt(z, "block tail");

	z = corrupt_base();
	z->pages[4].order = 3;
	expect_corrupt(z, "misaligned");

	z = corrupt_base();
	z->pages[4].order = 200;
	expect_corrupt(z, "misaligned");

	z = corrupt_base();
	z->pages[512].order = 10;
	expect_corrupt(z, "misaligned");

	/* Split free block 2(1) into two unmerged order-0 buddies. */
	z = corrupt_base();
	z->pages[2].order = 0;
	z->pages[3].flags = PA_PF_HEAD;
	z->pages[3].state = PA_FREE;
	expect_corrupt(z, "unmerged");

	z = corrupt_base();
	z->pages[z->free_head[3]].prev = 77;
	expect_corrupt(z, "prev link");

	z = corrupt_base();
	z->free_head[0] = 0;
	expect_corrupt(z, "not a free head");

	z = corrupt_base();
	z->free_head[4] = 5000;
	expect_corrupt(z, "runs away");

	z = corrupt_base();
	z->pages[z->free_head[5]].next = z->free_head[5];
	expect_corrupt(z, "runs away");

	z = corrupt_base();
	z->free_blocks[6]++;
	expect_corrupt(z, "free_blocks");

	z = corrupt_base();
	z->free_head[7] = PA_NO_PFN;
	expect_corrupt(z, "free_blocks");
}

UT_MAIN(UT_TEST(test_check_detects_corruption))
