/*
 * test_vmw_balloon.c - the real VMware balloon driver against the model.
 *
 * drivers/vmware/vmw_balloon*.c linked with host/vmw/vmw_model*.c through
 * the call seam (tests/unit/vmw_rig.h): inflate to targets and back at
 * 4 KiB and 2 MiB, the fallbacks, a BASIC-only host with RAM above 4 GiB,
 * a legacy host, RESET on every command, BUSY storms, refusals, flapping
 * and impossible targets, pinned memory, then thousands of seeded runs.
 * After each step: one owner per page (rig_check). Hostile hosts:
 * test_vmw_hostile.c.
 */
#include "tests/unit/vmw_rig.h"

#define CAPS_4K (VMW_CAP_BASIC | VMW_CAP_BATCHED | VMW_CAP_64_BIT_TARGET)

static void test_inflate_deflate_4k(void)
{
	struct rig g;

	rig_init(&g, RIG_BASE, 4096, 64, CAPS_4K, NULL);
	vmw_model_set_target(g.m, 1000);
	rig_settle(&g, 10);
	UT_CHECK_EQ(g.vb.b.target, 1000);
	UT_CHECK_EQ(g.vb.b.size, 1000);
	UT_CHECK(!g.vb.use_2m && g.vb.batch_cap == VMW_BATCH_MAX);
	UT_CHECK_EQ(vmw_model_calls(g.m, VMW_CMD_START), 1);
	UT_CHECK_EQ(vmw_model_calls(g.m, VMW_CMD_GUEST_ID), 1);
	UT_CHECK_EQ(vmw_model_calls(g.m, VMW_CMD_BATCHED_LOCK), 2);
	rig_check(&g, true);
	/* 700 over the target: deflate. Then 200 over: the slack (§6). */
	vmw_model_set_target(g.m, 300);
	rig_settle(&g, 10);
	UT_CHECK_EQ(g.vb.b.size, 300);
	vmw_model_set_target(g.m, 100);
	rig_settle(&g, 10);
	UT_CHECK_EQ(g.vb.b.size, 300);
	UT_CHECK_EQ(vmw_balloon_change(&g.vb), 0);
	/* Target 0 empties it, slack or not. */
	vmw_model_set_target(g.m, 0);
	rig_settle(&g, 10);
	UT_CHECK_EQ(g.vb.b.size, 0);
	UT_CHECK_EQ(g.vb.b.counters.inflated, 1000);
	UT_CHECK_EQ(g.vb.b.counters.deflated, 1000);
	UT_CHECK_EQ(g.vb.b.counters.errors, 0);
	rig_check(&g, true);
	rig_free(&g);
}

static void test_inflate_2m(void)
{
	struct rig g;

	rig_init(&g, RIG_BASE, 8192, 64, RIG_ALL_CAPS, NULL);
	vmw_model_set_target(g.m, 3000);
	rig_settle(&g, 10);
	/* ceil(3000 / 512) = 6 pages: 72 frames over (§6). */
	UT_CHECK(g.vb.use_2m);
	UT_CHECK_EQ(vmw_balloon_nr_pages(&g.vb, VMW_2M_ORDER), 6);
	UT_CHECK_EQ(vmw_balloon_nr_pages(&g.vb, 0), 0);
	UT_CHECK_EQ(g.vb.b.size, 3072);
	for (uint64_t i = 0; i < 6; i++)
		UT_CHECK_EQ(vmw_balloon_page(&g.vb, VMW_2M_ORDER, i) & 511, 0);
	rig_check(&g, true);
	vmw_model_set_target(g.m, 2600); /* 472 over: inside the slack */
	rig_settle(&g, 10);
	UT_CHECK_EQ(g.vb.b.size, 3072);
	vmw_model_set_target(g.m, 2000); /* 1072 over: two whole pages */
	rig_settle(&g, 10);
	UT_CHECK_EQ(g.vb.b.size, 2048);
	UT_CHECK_EQ(vmw_model_calls(g.m, VMW_CMD_BATCHED_2M_UNLOCK), 1);
	rig_check(&g, true);
	vmw_model_set_target(g.m, 0);
	rig_settle(&g, 10);
	UT_CHECK_EQ(g.vb.b.size, 0);
	rig_check(&g, true);
	rig_free(&g);
}

static void test_2m_fallback_fragmented(void)
{
	struct rig g;
	uint64_t pfn, pins = 0;

	rig_init(&g, RIG_BASE, 8192, 64, RIG_ALL_CAPS, NULL);
	/* One pinned page in every 2 MiB region: no order-9 block left. */
	for (pfn = 512 + 7; pfn < g.end; pfn += 512, pins++)
		UT_CHECK_EQ(pa_claim_range(&g.zone, pfn, pfn + 1, PA_PINNED),
			    PA_OK);
	vmw_model_set_target(g.m, 2000);
	rig_settle(&g, 10);
	UT_CHECK_EQ(g.vb.b.size, 2000);
	UT_CHECK_EQ(vmw_balloon_nr_pages(&g.vb, VMW_2M_ORDER), 0);
	UT_CHECK(g.vb.st.fallback_4k >= 1);
	UT_CHECK_EQ(g.zone.count[PA_PINNED], pins);
	rig_check(&g, true);
	rig_free(&g);
}

/* A BASIC-only host that takes anything: watches the PFNs it is sent. */
static uint64_t stub_target, stub_max_pfn;

static void stub_basic_host(void *ctx, struct vmw_regs *r)
{
	switch ((unsigned)r->rcx) {
	case VMW_CMD_START:
		r->rax = VMW_SUCCESS_WITH_CAPABILITIES;
		r->rcx = VMW_CAP_BASIC |
			 VMW_CAP_64_BIT_TARGET; /* limit > 2^32 */
		return;
	case VMW_CMD_LOCK:
		if (r->rbx > stub_max_pfn)
			stub_max_pfn = r->rbx;
		/* fall through */
	case VMW_CMD_UNLOCK:
	case VMW_CMD_GET_TARGET:
		r->rbx = stub_target;
		/* fall through */
	default:
		r->rax = VMW_OK;
	}
}

static void test_basic_host_pfn_32bit(void)
{
	struct rig g;
	uint64_t i;

	/*
	 * §2: a non-batched LOCK carries the PFN in RBX and Linux insists it
	 * fit 32 bits. RAM straddling PFN 2^32 (16 TiB): 1024 pages below.
	 * The model does not do 16 TiB guests cheaply; a stub host does.
	 */
	rig_init(&g, (1ull << 32) - 1024, 2048, 16, VMW_CAP_BASIC, NULL);
	g.vb.cfg.call = stub_basic_host;
	stub_max_pfn = 0;
	stub_target = 500;
	rig_settle(&g, 5);
	UT_CHECK_EQ(g.vb.batch_cap, 1);
	UT_CHECK_EQ(g.vb.b.size, 500);
	rig_check(&g, false);
	/* More than fits below the line: stops there, and says why. */
	stub_target = 1500;
	rig_settle(&g, 5);
	UT_CHECK_EQ(g.vb.b.size, 1023);
	UT_CHECK(stub_max_pfn < (1ull << 32));
	for (i = 0; i < vmw_balloon_nr_pages(&g.vb, 0); i++)
		UT_CHECK(vmw_balloon_page(&g.vb, 0, i) < (1ull << 32));
	UT_CHECK(g.vb.b.shortfall.active);
	UT_CHECK_EQ(g.vb.b.shortfall.achieved, 1023);
	UT_CHECK_EQ(g.vb.b.shortfall.target, 1500);
	rig_check(&g, false);
	stub_target = 0;
	rig_settle(&g, 5);
	UT_CHECK_EQ(g.vb.b.size, 0);
	UT_CHECK(!g.vb.b.shortfall.active);
	rig_check(&g, false);
	rig_free(&g);
}

static void test_legacy_host(void)
{
	struct rig g;

	rig_init(&g, RIG_BASE, 2048, 16, RIG_ALL_CAPS, NULL);
	g.hostile = H_LEGACY;
	g.hostile_cmd = VMW_CMD_START;
	vmw_model_set_target(g.m, 200);
	rig_settle(&g, 5);
	UT_CHECK(g.vb.legacy);
	UT_CHECK_EQ(g.vb.caps, VMW_CAP_BASIC);
	UT_CHECK_EQ(g.vb.b.size, 200);
	UT_CHECK_EQ(vmw_model_calls(g.m, VMW_CMD_LOCK), 200);
	UT_CHECK_EQ(vmw_model_calls(g.m, VMW_CMD_BATCHED_LOCK), 0);
	UT_CHECK_EQ(g.vb.b.counters.errors, 0);
	rig_check(&g, true);
	rig_free(&g);
}

/* RESET answered to the next `cmd`: everything dropped, no UNLOCK, START. */
static void reset_on(unsigned cmd, uint32_t caps, uint64_t before,
		     uint64_t after)
{
	struct rig g;
	uint64_t unlocks;

	rig_init(&g, RIG_BASE, 8192, 64, caps, NULL);
	if (cmd == VMW_CMD_START || cmd == VMW_CMD_GUEST_ID) {
		g.hostile = H_RESET;
		g.hostile_cmd = (int)cmd;
	}
	vmw_model_set_target(g.m, before);
	rig_settle(&g, 10);
	if (cmd != VMW_CMD_START && cmd != VMW_CMD_GUEST_ID) {
		UT_CHECK(g.vb.b.size >= before);
		g.hostile = H_RESET;
		g.hostile_cmd = (int)cmd;
	}
	unlocks = vmw_model_calls(g.m, VMW_CMD_UNLOCK) +
		  vmw_model_calls(g.m, VMW_CMD_BATCHED_UNLOCK) +
		  vmw_model_calls(g.m, VMW_CMD_BATCHED_2M_UNLOCK);
	vmw_model_set_target(g.m, after);
	vmw_balloon_tick(&g.vb, UINT64_MAX);
	if (g.hostile != H_NONE)
		printf("    # RESET on command %u never sent\n", cmd);
	UT_CHECK(g.hostile == H_NONE);
	UT_CHECK_EQ(g.vb.b.counters.resets, 1);
	rig_check(&g, true);
	/* Pages dropped by RESET were not unlocked (§16.6). */
	if (cmd != VMW_CMD_UNLOCK && cmd != VMW_CMD_BATCHED_UNLOCK &&
	    cmd != VMW_CMD_BATCHED_2M_UNLOCK)
		UT_CHECK_EQ(
			vmw_model_calls(g.m, VMW_CMD_UNLOCK) +
				vmw_model_calls(g.m, VMW_CMD_BATCHED_UNLOCK) +
				vmw_model_calls(g.m, VMW_CMD_BATCHED_2M_UNLOCK),
			unlocks);
	rig_settle(&g, 10);
	UT_CHECK(g.vb.b.size >= after && g.vb.b.size < after + 512);
	rig_check(&g, true);
	rig_free(&g);
}

static void test_reset_on_every_command(void)
{
	reset_on(VMW_CMD_START, RIG_ALL_CAPS, 1000, 1000);
	reset_on(VMW_CMD_GUEST_ID, RIG_ALL_CAPS, 1000, 1000);
	reset_on(VMW_CMD_GET_TARGET, RIG_ALL_CAPS, 1000, 1000);
	reset_on(VMW_CMD_LOCK, VMW_CAP_BASIC, 100, 300);
	reset_on(VMW_CMD_UNLOCK, VMW_CAP_BASIC, 300, 0);
	reset_on(VMW_CMD_BATCHED_LOCK, CAPS_4K, 100, 1500);
	reset_on(VMW_CMD_BATCHED_UNLOCK, CAPS_4K, 1500, 0);
	reset_on(VMW_CMD_BATCHED_2M_LOCK, RIG_ALL_CAPS, 600, 3000);
	reset_on(VMW_CMD_BATCHED_2M_UNLOCK, RIG_ALL_CAPS, 3000, 0);
}

static uint64_t delays[16];
static unsigned nr_delays;

static void fake_delay(uint64_t ns)
{
	if (nr_delays < 16)
		delays[nr_delays] = ns;
	nr_delays++;
}

static void test_busy(void)
{
	struct vmw_faults f = {.seed = 11, .busy_percent = 60};
	struct rig g;

	rig_init(&g, RIG_BASE, 8192, 64, RIG_ALL_CAPS, &f);
	vmw_model_set_target(g.m, 3000);
	rig_settle(&g, 50);
	UT_CHECK_EQ(g.vb.b.size, 3072);
	UT_CHECK(g.vb.st.busy_retries > 0);
	rig_check(&g, true);
	rig_free(&g);

	/* Always BUSY: each call gives up after 1 + 8 tries, backing off. */
	f = (struct vmw_faults){.seed = 12, .busy_percent = 100};
	rig_init(&g, RIG_BASE, 2048, 16, RIG_ALL_CAPS, &f);
	g.vb.cfg.delay_ns = fake_delay;
	nr_delays = 0;
	vmw_model_set_target(g.m, 500);
	UT_CHECK_EQ(vmw_balloon_tick(&g.vb, UINT64_MAX), VMW_E_BUSY);
	UT_CHECK_EQ(vmw_model_calls(g.m, VMW_CMD_GET_TARGET),
		    1 + VMW_BUSY_RETRIES);
	/* GUEST_ID gave up too, and that is only noted. */
	UT_CHECK_EQ(g.vb.st.fails[VMW_CMD_GUEST_ID], 1);
	UT_CHECK_EQ(g.vb.st.busy_giveups, 2);
	UT_CHECK_EQ(nr_delays, 2 * VMW_BUSY_RETRIES);
	UT_CHECK(delays[0] == 1000 && delays[1] == 2000 && delays[7] == 128000);
	UT_CHECK_EQ(delays[8], 1000); /* every call starts over */
	UT_CHECK_EQ(g.vb.b.size, 0);
	rig_check(&g, true);
	rig_free(&g);
}

static void test_pinned_every_other(void)
{
	struct vmw_faults f = {.seed = 5, .pinned_every = 2};
	struct rig g;

	rig_init(&g, RIG_BASE, 8192, 64, CAPS_4K, &f);
	vmw_model_set_target(g.m, 2000);
	rig_settle(&g, 50);
	UT_CHECK_EQ(g.vb.b.size, 2000);
	UT_CHECK(g.vb.b.counters.refused >= 1000);
	/* A round ends after 16 refusals; 256 came back from one batch. */
	UT_CHECK(g.vb.st.refused_held_max >= 256);
	rig_check(&g, true);
	rig_free(&g);
}

static void test_flapping_target(void)
{
	struct vmw_faults f = {.seed = 77, .flapping_target = true};
	struct rig g;

	rig_init(&g, RIG_BASE, 4096, 64, RIG_ALL_CAPS, &f);
	vmw_model_set_target(g.m, 3000);
	for (int i = 0; i < 200; i++) {
		int64_t r = vmw_balloon_tick(&g.vb, UINT64_MAX);

		UT_CHECK(r >= 0);
		UT_CHECK(g.vb.b.size <= g.vb.b.target + 511 ||
			 vmw_balloon_change(&g.vb) < 0);
		rig_check(&g, true);
	}
	UT_CHECK(vmw_model_faults_injected(g.m) >= 100);
	UT_CHECK(g.vb.b.counters.inflated > 10000);
	rig_free(&g);
}

static void test_target_above_ram_pinned(void)
{
	struct vmw_faults f = {.seed = 3, .target_above_ram = true};
	struct rig g;
	int64_t pinned[4];

	rig_init(&g, RIG_BASE, 8192, 100, RIG_ALL_CAPS, &f);
	for (int i = 0; i < 4; i++)
		pinned[i] = pa_alloc(&g.zone, 8, PA_PINNED);
	rig_settle(&g, 20);
	UT_CHECK(g.vb.b.target > g.end);
	UT_CHECK(g.vb.st.target_above_ram > 0);
	/* Down to the reserve floor, not a page further; pinned untouched. */
	UT_CHECK_EQ(pa_available(&g.zone), 0);
	UT_CHECK_EQ(g.zone.count[PA_FREE], 100);
	UT_CHECK_EQ(g.zone.count[PA_PINNED], 1024);
	for (int i = 0; i < 4; i++)
		UT_CHECK(pa_state_of(&g.zone, (uint64_t)pinned[i]) ==
			 PA_PINNED);
	UT_CHECK(g.vb.b.shortfall.active);
	UT_CHECK_EQ(g.vb.b.shortfall.target, g.vb.b.target);
	UT_CHECK_EQ(g.vb.b.shortfall.achieved, g.vb.b.size);
	UT_CHECK_EQ(g.vb.b.shortfall.pinned, 1024);
	UT_CHECK_EQ(g.vb.b.shortfall.reserve, 100);
	UT_CHECK_EQ(g.vb.b.size, 8192 - 1 - 1024 - 100);
	rig_check(&g, true);
	/* Release everything on request. */
	UT_CHECK_EQ(g.vb.b.ops->reset(&g.vb.b), 0);
	UT_CHECK_EQ(g.vb.b.size, 0);
	rig_check(&g, true);
	rig_free(&g);
}

static void test_limit_needs_64bit(void)
{
	struct rig g;

	rig_init(&g, RIG_BASE, 1024, 16, CAPS_4K & ~VMW_CAP_64_BIT_TARGET,
		 NULL);
	g.vb.cfg.ram_frames = 1ull << 33;
	UT_CHECK_EQ(g.vb.b.ops->get_target(&g.vb.b), VMW_E_LIMIT);
	UT_CHECK_EQ(vmw_model_calls(g.m, VMW_CMD_GET_TARGET), 0);
	UT_CHECK_EQ(g.vb.st.limit_skipped, 1);
	rig_free(&g);
}

static void test_check_can_fail(void)
{
	struct rig g;
	char why[128];

	rig_init(&g, RIG_BASE, 2048, 16, CAPS_4K, NULL);
	vmw_model_set_target(g.m, 10);
	rig_settle(&g, 5);
	UT_CHECK_EQ(vmw_balloon_check(&g.vb, true, why, sizeof(why)), 0);
	g.track[1] = g.track[0]; /* one page tracked twice, one lost */
	UT_CHECK_EQ(vmw_balloon_check(&g.vb, true, why, sizeof(why)), -1);
	UT_CHECK(strstr(why, "twice") != NULL);
	g.track[1] = g.batch_pfn; /* a kernel page */
	UT_CHECK_EQ(vmw_balloon_check(&g.vb, true, why, sizeof(why)), -1);
	UT_CHECK(strstr(why, "kernel") != NULL);
	rig_free(&g);
}

static uint64_t rng;

/* What the seeded runs went through, summed: each path must be taken. */
static struct {
	uint64_t resets, refused, busy_retries, busy_giveups, fallback_4k;
	uint64_t alloc_stops, shortfalls, inflated, deflated;
} seen;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? rng % n : 0;
}

/* One seeded run: random host, faults, memory, targets and operations. */
static void seeded_run(uint64_t seed)
{
	static const uint32_t caps[] = {
		VMW_CAP_BASIC,
		VMW_CAP_BASIC | VMW_CAP_BATCHED,
		VMW_CAP_BASIC | VMW_CAP_BATCHED | VMW_CAP_BATCHED_2M,
	};
	struct vmw_faults f = {.seed = seed};
	uint64_t npages;
	int failed = ut_failed_checks;
	struct rig g;

	rng = seed * 0x9E3779B97F4A7C15ull + 1;
	f.reset_percent = (uint32_t)rnd(4);
	f.busy_percent = rnd(8) ? (uint32_t)rnd(25) : 85; /* some give up */
	f.pinned_every = rnd(3) ? 0 : 2 + (uint32_t)rnd(6);
	f.notneeded_percent = rnd(2) ? 0 : (uint32_t)rnd(20);
	f.flapping_target = rnd(4) == 0;
	npages = 1024 + rnd(4096);
	rig_init(&g, RIG_BASE, npages, 16 + rnd(256),
		 caps[rnd(3)] | (rnd(2) ? VMW_CAP_64_BIT_TARGET : 0), &f);
	for (uint64_t i = rnd(4); i > 0; i--)
		pa_alloc(&g.zone, (unsigned)rnd(8), PA_PINNED);
	for (int step = 0; step < 12; step++) {
		uint64_t r = rnd(10);

		if (r < 6) {
			vmw_model_set_target(g.m, rnd(npages + npages / 8));
			vmw_balloon_tick(&g.vb,
					 rnd(2) ? UINT64_MAX : rnd(3000));
		} else if (r < 8) {
			g.vb.b.ops->inflate(&g.vb.b, rnd(2000));
		} else if (r < 9) {
			g.vb.b.ops->deflate(&g.vb.b, rnd(2000));
		} else {
			g.vb.b.ops->reset(&g.vb.b);
		}
		rig_check(&g, true);
		seen.shortfalls += g.vb.b.shortfall.active;
	}
	seen.resets += g.vb.b.counters.resets;
	seen.refused += g.vb.b.counters.refused;
	seen.busy_retries += g.vb.st.busy_retries;
	seen.busy_giveups += g.vb.st.busy_giveups;
	seen.fallback_4k += g.vb.st.fallback_4k;
	seen.alloc_stops += g.vb.st.alloc_stops;
	seen.inflated += g.vb.b.counters.inflated;
	seen.deflated += g.vb.b.counters.deflated;
	g.vb.b.ops->reset(&g.vb.b);
	UT_CHECK_EQ(g.vb.b.size, 0);
	UT_CHECK_EQ(g.zone.count[PA_BALLOONED], 0);
	rig_check(&g, true);
	UT_CHECK_EQ(g.vb.b.counters.errors, 0);
	if (ut_failed_checks != failed)
		printf("    # seeded run %llu failed\n",
		       (unsigned long long)seed);
	rig_free(&g);
}

static void test_seeded_runs(void)
{
	for (uint64_t seed = 1; seed <= 2000 && ut_failed_checks < 20; seed++)
		seeded_run(seed);
	printf("    # 2000 runs: %llu frames in, %llu out; %llu resets, "
	       "%llu refused, %llu BUSY retries, %llu give-ups, "
	       "%llu 2M->4K, %llu allocator stops, %llu shortfalls\n",
	       (unsigned long long)seen.inflated,
	       (unsigned long long)seen.deflated,
	       (unsigned long long)seen.resets,
	       (unsigned long long)seen.refused,
	       (unsigned long long)seen.busy_retries,
	       (unsigned long long)seen.busy_giveups,
	       (unsigned long long)seen.fallback_4k,
	       (unsigned long long)seen.alloc_stops,
	       (unsigned long long)seen.shortfalls);
	UT_CHECK(seen.resets && seen.refused && seen.busy_retries);
	UT_CHECK(seen.busy_giveups && seen.fallback_4k && seen.alloc_stops);
	UT_CHECK(seen.shortfalls && seen.deflated);
}

UT_MAIN(UT_TEST(test_inflate_deflate_4k), UT_TEST(test_inflate_2m),
	UT_TEST(test_2m_fallback_fragmented),
	UT_TEST(test_basic_host_pfn_32bit), UT_TEST(test_legacy_host),
	UT_TEST(test_reset_on_every_command), UT_TEST(test_busy),
	UT_TEST(test_pinned_every_other), UT_TEST(test_flapping_target),
	UT_TEST(test_target_above_ram_pinned), UT_TEST(test_limit_needs_64bit),
	UT_TEST(test_check_can_fail), UT_TEST(test_seeded_runs))
