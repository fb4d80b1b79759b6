/*
 * allocator.c - the page allocator checked on the real memory map.
 *
 * The host unit tests prove the algorithm; this suite proves the kernel's
 * zone: built right from the memory map, consistent, able to give away
 * everything down to the reserve floor and get it all back, and loud about
 * misuse. Pages are only ever accounted, never touched, so the host does
 * not have to back them.
 */
#include "kernel/mm.h"
#include "kernel/string.h"
#include "kernel/tf.h"

#define MAX_LIVE 4096

struct live_block {
	uint64_t pfn;
	uint8_t order, state;
};

static struct live_block live[MAX_LIVE];
static unsigned nr_live;
static uint64_t rng;

static uint64_t next_rand(void)
{
	/* xorshift64*: small, seedable, good enough for test choices. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Dull;
}

static bool same_stats(const struct pa_stats *a, const struct pa_stats *b)
{
	for (int s = 0; s < PA_NSTATES; s++)
		if (a->count[s] != b->count[s])
			return false;
	for (int o = 0; o <= PA_MAX_ORDER; o++)
		if (a->free_blocks[o] != b->free_blocks[o])
			return false;
	return a->managed == b->managed;
}

static bool consistent(const char *when)
{
	char why[96] = "";
	int rc = pa_check(&mm_zone, why, sizeof(why));

	if (rc != PA_OK)
		tf_diag("pa_check", "%s: %s", when, why);
	return rc == PA_OK;
}

static void test_consistent(void)
{
	struct pa_stats st;
	uint64_t sum = pa_owned_total(&mm_zone);

	pa_get_stats(&mm_zone, &st);
	tf_check(consistent("boot"), "pinprick: page allocator",
		 "free lists and counters consistent after boot");
	tf_check_u64(sum, st.managed, "pinprick: page allocator",
		     "free + kernel + workload + pinned + ballooned = managed");
	tf_check(st.reserve > 0 && st.reserve < st.count[PA_FREE],
		 "pinprick: reserve floor", "reserve floor set (%llu pages)",
		 (unsigned long long)st.reserve);
}

static void test_state_lookup(void)
{
	extern char __text_start[];
	uint64_t kpfn = (uintptr_t)__text_start >> 12;
	int64_t pfn = pa_alloc(&mm_zone, 3, PA_WORKLOAD);
	bool ok = pfn >= 0;

	tf_check(pa_state_of(&mm_zone, kpfn) == PA_KERNEL,
		 "pinprick: page allocator", "kernel text pages are kernel");
	tf_check(pa_state_of(&mm_zone, mm_meta_pfn) == PA_KERNEL,
		 "pinprick: page allocator", "allocator metadata is kernel");
	tf_check(pa_state_of(&mm_zone, 0) == PA_ABSENT &&
			 pa_state_of(&mm_zone, ~0ull >> 12) == PA_ABSENT,
		 "pinprick: page allocator",
		 "PFNs outside managed RAM read as absent");
	if (ok) {
		for (int i = 0; i < 8; i++)
			ok &= pa_state_of(&mm_zone, (uint64_t)pfn + i) ==
			      PA_WORKLOAD;
		ok &= pa_free(&mm_zone, (uint64_t)pfn, 3, PA_WORKLOAD) == PA_OK;
	}
	tf_check(ok, "pinprick: page allocator",
		 "every page of an order-3 block reports its state");
}

static void test_orders(void)
{
	bool ok = true;

	for (unsigned o = 0; o <= PA_MAX_ORDER; o++) {
		int64_t pfn = pa_alloc(&mm_zone, o, PA_WORKLOAD);

		if (pfn < 0 || (pfn & ((1 << o) - 1))) {
			tf_diag("order", "%u", o);
			tf_diag("result", "%lld", (long long)pfn);
			ok = false;
			break;
		}
		ok &= pa_free(&mm_zone, (uint64_t)pfn, o, PA_WORKLOAD) == PA_OK;
	}
	tf_check(ok, "pinprick: page allocator",
		 "orders 0 (4 KiB) to %u (4 MiB) allocate naturally aligned",
		 PA_MAX_ORDER);
}

static void random_churn(void)
{
	static const uint8_t states[] = { PA_KERNEL, PA_WORKLOAD, PA_PINNED,
					  PA_BALLOONED };
	struct pa_stats before, after;
	unsigned ops = 20000, bad = 0;

	pa_get_stats(&mm_zone, &before);
	rng = tf_opts->seed * 0x9E3779B97F4A7C15ull + 1;
	nr_live = 0;
	for (unsigned i = 0; i < ops; i++) {
		uint64_t r = next_rand();

		if (nr_live < MAX_LIVE && (r & 3) != 0) {
			unsigned order = (unsigned)(r >> 8) % 6;
			uint8_t st = states[(r >> 16) & 3];
			int64_t pfn = pa_alloc(&mm_zone, order, st);

			if (pfn >= 0)
				live[nr_live++] = (struct live_block){
					(uint64_t)pfn, (uint8_t)order, st };
		} else if (nr_live) {
			unsigned k = (unsigned)((r >> 20) % nr_live);
			struct live_block *b = &live[k];

			if ((r >> 40) & 1 && b->state != PA_KERNEL) {
				uint8_t to = b->state == PA_PINNED ? PA_WORKLOAD
								   : PA_PINNED;

				bad += pa_change_state(&mm_zone, b->pfn,
						       b->order, b->state,
						       to) != PA_OK;
				b->state = to;
				continue;
			}
			bad += pa_free(&mm_zone, b->pfn, b->order, b->state) !=
			       PA_OK;
			live[k] = live[--nr_live];
		}
		if (i % 2000 == 0 && !consistent("during churn"))
			bad++;
	}
	while (nr_live) {
		struct live_block *b = &live[--nr_live];

		bad += pa_free(&mm_zone, b->pfn, b->order, b->state) != PA_OK;
	}
	pa_get_stats(&mm_zone, &after);
	tf_diag("seed", "%llu", (unsigned long long)tf_opts->seed);
	tf_diag("failed_ops", "%u", bad);
	tf_check(bad == 0 && consistent("after churn"),
		 "pinprick: page allocator",
		 "%u seeded random alloc/free/pin operations, all consistent",
		 ops);
	tf_check(same_stats(&before, &after), "pinprick: page allocator",
		 "after freeing everything the allocator is exactly as before");
}

static void test_exhaustion(void)
{
	struct pa_stats before, mid, after;
	uint64_t taken = 0;
	int last = PA_OK;
	int64_t k;

	pa_get_stats(&mm_zone, &before);
	/* Take every page a workload may have, largest blocks first; the
	 * blocks are chained through the live array in reverse order. */
	nr_live = 0;
	for (int o = PA_MAX_ORDER; o >= 0; o--) {
		for (;;) {
			int64_t pfn = pa_alloc(&mm_zone, (unsigned)o,
					       PA_WORKLOAD);

			if (pfn < 0) {
				last = (int)pfn;
				break;
			}
			taken += 1ull << o;
			if (nr_live < MAX_LIVE) {
				live[nr_live++] = (struct live_block){
					(uint64_t)pfn, (uint8_t)o, PA_WORKLOAD };
			} else {
				pa_free(&mm_zone, (uint64_t)pfn, (unsigned)o,
					PA_WORKLOAD);
				taken -= 1ull << o;
				break;
			}
		}
	}
	pa_get_stats(&mm_zone, &mid);
	tf_diag("last_error", "%s", pa_err_name(last));
	tf_check_u64(mid.count[PA_FREE], mid.reserve, "pinprick: reserve floor",
		     "workload allocations stop exactly at the reserve floor");
	k = pa_alloc(&mm_zone, 0, PA_KERNEL);
	tf_check(k >= 0, "pinprick: reserve floor",
		 "the kernel may still allocate from the reserve");
	if (k >= 0)
		pa_free(&mm_zone, (uint64_t)k, 0, PA_KERNEL);
	k = pa_alloc(&mm_zone, 0, PA_BALLOONED);
	tf_check(k == PA_ERR_RESERVE, "pinprick: reserve floor",
		 "a balloon allocation below the floor is refused");
	if (k >= 0)
		pa_free(&mm_zone, (uint64_t)k, 0, PA_BALLOONED);
	while (nr_live) {
		struct live_block *b = &live[--nr_live];

		pa_free(&mm_zone, b->pfn, b->order, PA_WORKLOAD);
	}
	pa_get_stats(&mm_zone, &after);
	tf_diag("pages_taken", "%llu", (unsigned long long)taken);
	tf_check(same_stats(&before, &after) && consistent("after recovery"),
		 "pinprick: page allocator",
		 "full recovery after exhaustion (%llu pages taken)",
		 (unsigned long long)taken);
}

static unsigned hook_calls;
static int hook_last;

static void count_error(void *ctx, int err, uint64_t pfn, const char *what)
{
	hook_calls++;
	hook_last = err;
}

static void test_misuse(void)
{
	uint64_t errors = mm_zone.errors, pfn;
	int64_t p = pa_alloc(&mm_zone, 1, PA_WORKLOAD);
	int rc;

	if (p < 0) {
		tf_check(false, "pinprick: page allocator",
			 "an order-1 block for the misuse tests");
		return;
	}
	pfn = (uint64_t)p;
	hook_calls = 0;
	mm_set_error_hook(count_error, NULL);

	rc = pa_free(&mm_zone, pfn, 1, PA_PINNED);
	tf_check(rc == PA_ERR_STATE, "pinprick: page allocator",
		 "freeing with the wrong state is refused (%s)",
		 pa_err_name(rc));
	rc = pa_free(&mm_zone, pfn + 1, 0, PA_WORKLOAD);
	tf_check(rc == PA_ERR_NOT_HEAD, "pinprick: page allocator",
		 "freeing the middle of a block is refused (%s)",
		 pa_err_name(rc));
	rc = pa_free(&mm_zone, pfn, 0, PA_WORKLOAD);
	tf_check(rc == PA_ERR_ORDER, "pinprick: page allocator",
		 "freeing with the wrong order is refused (%s)",
		 pa_err_name(rc));
	pa_free(&mm_zone, pfn, 1, PA_WORKLOAD);
	rc = pa_free(&mm_zone, pfn, 1, PA_WORKLOAD);
	tf_check(rc == PA_ERR_DOUBLE_FREE, "pinprick: page allocator",
		 "a double free is detected (%s)", pa_err_name(rc));
	rc = pa_free(&mm_zone, mm_zone.base_pfn + mm_zone.npages + 5, 0,
		     PA_WORKLOAD);
	tf_check(rc == PA_ERR_RANGE, "pinprick: page allocator",
		 "an out-of-range PFN is refused (%s)", pa_err_name(rc));
	rc = pa_free(&mm_zone, 0, 0, PA_WORKLOAD);
	tf_check(rc == PA_ERR_RANGE, "pinprick: page allocator",
		 "a PFN below the zone is refused (%s)", pa_err_name(rc));

	mm_set_error_hook(NULL, NULL);
	tf_check_u64(mm_zone.errors - errors, 6, "pinprick: page allocator",
		     "each misuse is counted");
	tf_check_u64(hook_calls, 6, "pinprick: page allocator",
		     "each misuse is reported through the error hook");
	/* The counter is cumulative; leave it as it was for later checks. */
	mm_zone.errors = errors;
}

static const struct tf_case allocator_cases[] = {
	{ "consistent at boot", test_consistent, 0 },
	{ "state lookup", test_state_lookup, 0 },
	{ "orders", test_orders, 0 },
	{ "random churn", random_churn, 0 },
	{ "exhaustion", test_exhaustion, 0 },
	{ "misuse", test_misuse, 0 },
};

const struct tf_suite suite_allocator =
	TF_SUITE("allocator", "buddy allocator on the real memory map",
		 allocator_cases);
