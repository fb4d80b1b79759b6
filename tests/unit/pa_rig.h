/*
 * pa_rig.h - shared helpers of the buddy allocator's host tests
 * (test_page_alloc.c, test_page_alloc_split.c, test_page_alloc_reserve.c,
 * test_page_alloc_states.c, test_page_alloc_check.c,
 * test_page_alloc_random.c): a zone with its own metadata array, an error
 * hook that records its last call, CHECK_ZONE (pa_check must pass),
 * CHECK_ERR (a refused call is counted and reported exactly once), stats
 * comparison and the record of one allocated block.
 *
 * Each test file uses part of it, hence the unused-function pragma.
 */
#ifndef PINPRICK_PA_RIG_H
#define PINPRICK_PA_RIG_H

#pragma GCC diagnostic ignored "-Wunused-function"

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

#define CHECK_ZONE(z)                                                          \
	do {                                                                   \
		char why_[96];                                                 \
		int r_ = pa_check((z), why_, sizeof(why_));                    \
		if (r_)                                                        \
			printf("    # pa_check: %s\n", why_);                  \
		UT_CHECK_EQ(r_, PA_OK);                                        \
	} while (0)

/* The call must fail with code, count one error and call the hook once. */
#define CHECK_ERR(z, h, call, code, at_pfn)                                    \
	do {                                                                   \
		uint64_t e0_ = (z)->errors;                                    \
		int c0_ = (h)->calls;                                          \
		UT_CHECK_EQ((call), (code));                                   \
		UT_CHECK_EQ((z)->errors, e0_ + 1);                             \
		UT_CHECK_EQ((z)->last_error, (code));                          \
		UT_CHECK_EQ((z)->last_error_pfn, (at_pfn));                    \
		UT_CHECK_EQ((h)->calls, c0_ + 1);                              \
		UT_CHECK_EQ((h)->err, (code));                                 \
		UT_CHECK_EQ((h)->pfn, (at_pfn));                               \
		UT_CHECK((h)->ctx == (h));                                     \
		UT_CHECK((h)->what && (h)->what[0]);                           \
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

struct blk {
	uint64_t pfn;
	unsigned order;
	enum pa_state state;
};

#endif
