/*
 * test_page_alloc.c - host unit tests for the buddy page allocator.
 *
 * Fixed scenarios first (layouts, holes, splitting, the reserve floor,
 * every error path, pa_check catching corruption), then a long seeded
 * random run checked against a shadow model after every operation.
 */
#include "kernel/page_alloc.h"
#include "tests/unit/ut.h"

struct hook {
	int calls;
	int err;
	uint64_t pfn;
	const char *what;
	void *ctx;
};

static void hook_fn(void *ctx, int err, uint64_t pfn, const char *what)
{
	struct hook *h = ctx;

	h->calls++;
	h->err = err;
	h->pfn = pfn;
	h->what = what;
	h->ctx = ctx;
}

/* A zone with its own metadata array; freed by zone_put. */
static struct pa_zone *zone_get(uint64_t base, uint64_t npages, struct hook *h)
{
	struct pa_zone *z = calloc(1, sizeof(*z));
	struct pa_page *meta = malloc(pa_meta_bytes(npages) + 1);

	UT_CHECK_EQ(pa_init(z, base, npages, meta), PA_OK);
	if (h) {
		memset(h, 0, sizeof(*h));
		z->on_error = hook_fn;
		z->on_error_ctx = h;
	}
	return z;
}

static void zone_put(struct pa_zone *z)
{
	free(z->pages);
	free(z);
}

#define CHECK_ZONE(z)                                         \
	do {                                                  \
		char why_[96];                                \
		int r_ = pa_check((z), why_, sizeof(why_));   \
		if (r_)                                       \
			printf("    # pa_check: %s\n", why_); \
		UT_CHECK_EQ(r_, PA_OK);                       \
	} while (0)

/* The call must fail with code, count one error and call the hook once. */
#define CHECK_ERR(z, h, call, code, at_pfn)                 \
	do {                                                \
		uint64_t e0_ = (z)->errors;                 \
		int c0_ = (h)->calls;                       \
		UT_CHECK_EQ((call), (code));                \
		UT_CHECK_EQ((z)->errors, e0_ + 1);          \
		UT_CHECK_EQ((z)->last_error, (code));       \
		UT_CHECK_EQ((z)->last_error_pfn, (at_pfn)); \
		UT_CHECK_EQ((h)->calls, c0_ + 1);           \
		UT_CHECK_EQ((h)->err, (code));              \
		UT_CHECK_EQ((h)->pfn, (at_pfn));            \
		UT_CHECK((h)->ctx == (h));                  \
		UT_CHECK((h)->what && (h)->what[0]);        \
	} while (0)

/* Stats equal apart from the error counter. */
static int same_stats(const struct pa_stats *a, const struct pa_stats *b)
{
	struct pa_stats x = *a, y = *b;

	x.errors = y.errors = 0;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

static void snap(const struct pa_zone *z, struct pa_stats *st)
{
	memset(st, 0, sizeof(*st));
	pa_get_stats(z, st);
}

static void check_blocks(const struct pa_zone *z, const unsigned *want)
{
	for (int k = 0; k <= PA_MAX_ORDER; k++)
		UT_CHECK_EQ(z->free_blocks[k], want[k]);
}

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

static void test_split_merge(void)
{
	static const unsigned one[PA_MAX_ORDER + 1] = { [PA_MAX_ORDER] = 1 };
	static const unsigned split[PA_MAX_ORDER + 1] = { 1, 1, 1, 1, 1, 1,
							  1, 1, 1, 1, 0 };
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
			UT_CHECK_EQ(pa_free(z, (uint64_t)got[i], 0,
					    PA_WORKLOAD),
				    PA_OK);
	UT_CHECK_EQ(z->free_blocks[0], 512);
	CHECK_ZONE(z);
	for (int i = 0; i < n; i++)
		if (!(got[i] & 1))
			UT_CHECK_EQ(pa_free(z, (uint64_t)got[i], 0,
					    PA_WORKLOAD),
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
	static const unsigned one[PA_MAX_ORDER + 1] = { [PA_MAX_ORDER] = 1 };
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
	UT_CHECK_EQ(pa_change_state(z, (uint64_t)got[n], 0, PA_PINNED,
				    PA_WORKLOAD),
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

struct blk {
	uint64_t pfn;
	unsigned order;
	enum pa_state state;
};

/* Allocate blocks of each order, biggest first, until order 0 fails. */
static int drain(struct pa_zone *z, const enum pa_state *states, int nstates,
		 struct blk *b, int64_t *last_err)
{
	int n = 0;

	for (int o = PA_MAX_ORDER; o >= 0; o--) {
		enum pa_state s = states[n % nstates];
		int64_t p;

		while ((p = pa_alloc(z, (unsigned)o, s)) >= 0) {
			b[n++] = (struct blk){ (uint64_t)p, (unsigned)o, s };
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
	static const enum pa_state all[] = { PA_KERNEL, PA_WORKLOAD, PA_PINNED,
					     PA_BALLOONED };
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
			UT_CHECK_EQ(pa_free(z, b[i].pfn, b[i].order,
					    b[i].state),
				    PA_OK);
		CHECK_ZONE(z);
		for (int i = 1; i < n; i += 2)
			UT_CHECK_EQ(pa_free(z, b[i].pfn, b[i].order,
					    b[i].state),
				    PA_OK);
		UT_CHECK_EQ(pa_set_reserve(z, 0), PA_OK);
		snap(z, &st1);
		UT_CHECK(same_stats(&st0, &st1));
		CHECK_ZONE(z);
	}
	UT_CHECK_EQ(z->errors, 0);
	zone_put(z);
}

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
	static const enum pa_state path[] = { PA_WORKLOAD,  PA_PINNED,
					      PA_BALLOONED, PA_KERNEL,
					      PA_PINNED,    PA_WORKLOAD };
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

/* ---- seeded random run against a shadow model ----------------------- */

#define RZ_BASE 256
#define RZ_PAGES 2048
#define RZ_OPS 200000

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
	p = below ? pa_alloc_below(m->z, order, s, limit) :
		    pa_alloc(m->z, order, s);
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
	m->live[m->nlive++] = (struct blk){ (uint64_t)p, order, s };
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
		m->live[m->nlive++] = (struct blk){ p, 0, s };
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
	UT_CHECK_EQ(pa_available(m->z), m->count[PA_FREE] > m->reserve ?
						m->count[PA_FREE] - m->reserve :
						0);
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

UT_MAIN(UT_TEST(test_init), UT_TEST(test_init_bad_args),
	UT_TEST(test_add_unaligned_range), UT_TEST(test_add_ranges_merge),
	UT_TEST(test_add_range_errors), UT_TEST(test_nonzero_base),
	UT_TEST(test_hole_in_middle), UT_TEST(test_split_merge),
	UT_TEST(test_all_orders), UT_TEST(test_alloc_below),
	UT_TEST(test_claim_middle), UT_TEST(test_claim_errors),
	UT_TEST(test_reserve_floor), UT_TEST(test_exhaust_and_recover),
	UT_TEST(test_free_errors), UT_TEST(test_alloc_errors),
	UT_TEST(test_change_state), UT_TEST(test_change_state_errors),
	UT_TEST(test_state_of_out_of_range), UT_TEST(test_names),
	UT_TEST(test_check_detects_corruption), UT_TEST(test_random))
