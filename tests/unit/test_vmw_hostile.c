/*
 * test_vmw_hostile.c - the VMware balloon driver against a host that lies.
 *
 * The model answers, then the rig's hostile hook (tests/unit/vmw_rig.h)
 * corrupts the answer: no host at all, impossible START results, grants
 * nobody asked for, garbage status codes, entries whose PFN or status
 * the host mangled, targets in RBX that cannot be right. The driver must
 * count each as an error, trust none of it, and still leave every page
 * with exactly one owner. Where the corruption makes the model and the
 * driver disagree on purpose, only driver vs allocator is compared.
 */
#include "tests/unit/vmw_rig.h"

#define CAPS_4K (VMW_CAP_BASIC | VMW_CAP_BATCHED | VMW_CAP_64_BIT_TARGET)

static void arm(struct rig *g, enum hostile h, int cmd, uint64_t arg,
		unsigned times)
{
	g->hostile = h;
	g->hostile_cmd = cmd;
	g->arg = arg;
	g->hostile_left = times;
}

static void test_no_host(void)
{
	struct rig g;

	rig_init(&g, RIG_BASE, 1024, 16, RIG_ALL_CAPS, NULL);
	arm(&g, H_NO_HOST, -1, 0, 0);
	/* §16.8: an empty port is "no balloon", every time, cheaply. */
	for (int i = 0; i < 3; i++)
		UT_CHECK_EQ(vmw_balloon_tick(&g.vb, UINT64_MAX), VMW_E_NODEV);
	UT_CHECK_EQ(g.vb.st.no_backend, 3);
	UT_CHECK_EQ(g.vb.st.calls[VMW_CMD_START], 3);
	UT_CHECK_EQ(g.vb.b.counters.host_calls, 3);
	UT_CHECK_EQ(g.vb.b.ops->inflate(&g.vb.b, 10), VMW_E_NODEV);
	UT_CHECK_EQ(vmw_model_calls(g.m, VMW_CMD_START), 0);
	rig_check(&g, true);
	/* A START status that is not in the protocol is no host either. */
	arm(&g, H_STATUS, VMW_CMD_START, 0x1234, 0);
	UT_CHECK_EQ(vmw_balloon_tick(&g.vb, UINT64_MAX), VMW_E_NODEV);
	/* The host appears later: the driver STARTs then. */
	arm(&g, H_NONE, -1, 0, 0);
	vmw_model_set_target(g.m, 100);
	rig_settle(&g, 5);
	UT_CHECK_EQ(g.vb.b.size, 512); /* one 2 MiB page (§6 overshoot) */
	rig_check(&g, true);
	rig_free(&g);
}

static void test_bad_grants(void)
{
	struct rig g;

	/* Bits we never asked for: counted, masked; bit 0 and 4 never used. */
	rig_init(&g, RIG_BASE, 4096, 16, RIG_ALL_CAPS, NULL);
	arm(&g, H_CAPS, VMW_CMD_START, 0xff, 0);
	vmw_model_set_target(g.m, 1000);
	rig_settle(&g, 5);
	UT_CHECK_EQ(g.vb.caps, VMW_BALLOON_CAPS);
	UT_CHECK_EQ(g.vb.st.bad_caps, 1);
	UT_CHECK_EQ(g.vb.b.size, 1024);
	rig_check(&g, true);
	rig_free(&g);

	/* 2M without BATCHED is never trusted (§6): LOCK one by one. */
	rig_init(&g, RIG_BASE, 4096, 16, RIG_ALL_CAPS, NULL);
	arm(&g, H_CAPS, VMW_CMD_START, VMW_CAP_BASIC | VMW_CAP_BATCHED_2M, 0);
	vmw_model_set_target(g.m, 100);
	rig_settle(&g, 5);
	UT_CHECK(!g.vb.use_2m);
	UT_CHECK_EQ(g.vb.batch_cap, 1);
	UT_CHECK_EQ(g.vb.st.bad_caps, 1);
	UT_CHECK_EQ(vmw_model_calls(g.m, VMW_CMD_LOCK), 100);
	UT_CHECK_EQ(vmw_model_calls(g.m, VMW_CMD_BATCHED_2M_LOCK), 0);
	rig_check(&g, true);
	rig_free(&g);

	/* Nothing usable: say so, do not spin (§7 pitfall). */
	rig_init(&g, RIG_BASE, 1024, 16, RIG_ALL_CAPS, NULL);
	arm(&g, H_CAPS, VMW_CMD_START, VMW_CAP_64_BIT_TARGET, 0);
	vmw_model_set_target(g.m, 100);
	for (int i = 0; i < 3; i++)
		UT_CHECK_EQ(vmw_balloon_tick(&g.vb, UINT64_MAX),
			    VMW_E_UNUSABLE);
	UT_CHECK_EQ(g.vb.b.counters.host_calls, 1);
	UT_CHECK_EQ(g.vb.b.size, 0);
	rig_check(&g, true);
	rig_free(&g);
}

static void test_garbage_call_status(void)
{
	struct rig g;

	rig_init(&g, RIG_BASE, 4096, 16, CAPS_4K, NULL);
	vmw_model_set_target(g.m, 1000);
	arm(&g, H_STATUS, VMW_CMD_BATCHED_LOCK, 0x1234, 1);
	/* The round ends at the failed call; no page of it is ballooned. */
	UT_CHECK_EQ(vmw_balloon_tick(&g.vb, UINT64_MAX), 0);
	UT_CHECK_EQ(g.vb.b.size, 0);
	UT_CHECK_EQ(g.vb.st.bad_status, 1);
	UT_CHECK_EQ(g.vb.b.counters.errors, 1);
	UT_CHECK_EQ(g.vb.b.counters.refused, 512);
	rig_check(&g, true);
	rig_settle(&g, 5);
	UT_CHECK_EQ(g.vb.b.size, 1000);
	rig_check(&g, true);
	/* A known failure (NOTNEEDED for the call) is not an error. */
	vmw_model_set_target(g.m, 2000);
	arm(&g, H_STATUS, VMW_CMD_BATCHED_LOCK, VMW_ERROR_PPN_NOTNEEDED, 1);
	vmw_balloon_tick(&g.vb, UINT64_MAX);
	UT_CHECK_EQ(g.vb.b.counters.errors, 1);
	UT_CHECK_EQ(g.vb.b.size, 1000);
	rig_check(&g, true);
	rig_free(&g);
}

static void test_entry_mangled(void)
{
	struct rig g;

	/* PFN bits changed in entry 0: that page is not believed locked. */
	rig_init(&g, RIG_BASE, 4096, 16, CAPS_4K, NULL);
	vmw_model_set_target(g.m, 100);
	arm(&g, H_ENTRY_PFN, VMW_CMD_BATCHED_LOCK, 0, 1);
	vmw_balloon_tick(&g.vb, UINT64_MAX);
	UT_CHECK_EQ(g.vb.st.entry_changed, 1);
	UT_CHECK_EQ(g.vb.b.size, 99);
	UT_CHECK_EQ(vmw_model_locked_frames(g.m), 100);
	rig_check(&g, false);
	rig_free(&g);

	/* A lock entry status outside {0,2,5,6,7}: error, page refused. */
	rig_init(&g, RIG_BASE, 4096, 16, CAPS_4K, NULL);
	vmw_model_set_target(g.m, 100);
	arm(&g, H_ENTRY_STATUS, VMW_CMD_BATCHED_LOCK, VMW_ERROR_PPN_LOCKED, 1);
	vmw_balloon_tick(&g.vb, UINT64_MAX);
	UT_CHECK_EQ(g.vb.st.bad_entry_status, 1);
	UT_CHECK_EQ(g.vb.b.size, 99);
	/* The model is at its target: 15 more tries, NOTNEEDED, round over. */
	UT_CHECK_EQ(g.vb.b.counters.refused, VMW_MAX_REFUSED);
	UT_CHECK_EQ(g.vb.st.refused_held_max, VMW_MAX_REFUSED);
	rig_check(&g, false);
	rig_free(&g);

	/* Legal but refused (PINNED): not an error. */
	rig_init(&g, RIG_BASE, 4096, 16, CAPS_4K, NULL);
	vmw_model_set_target(g.m, 100);
	arm(&g, H_ENTRY_STATUS, VMW_CMD_BATCHED_LOCK, VMW_ERROR_PPN_PINNED, 1);
	vmw_balloon_tick(&g.vb, UINT64_MAX);
	UT_CHECK_EQ(g.vb.b.counters.errors, 0);
	UT_CHECK_EQ(g.vb.b.size, 99);
	rig_check(&g, false);
	rig_free(&g);

	/* Unlock entry NOTNEEDED makes no sense: error, page stays. */
	rig_init(&g, RIG_BASE, 4096, 16, CAPS_4K, NULL);
	vmw_model_set_target(g.m, 100);
	rig_settle(&g, 5);
	vmw_model_set_target(g.m, 0);
	arm(&g, H_ENTRY_STATUS, VMW_CMD_BATCHED_UNLOCK, VMW_ERROR_PPN_NOTNEEDED,
	    1);
	UT_CHECK_EQ(vmw_balloon_tick(&g.vb, UINT64_MAX), 99);
	UT_CHECK_EQ(g.vb.st.bad_entry_status, 1);
	UT_CHECK_EQ(g.vb.b.size, 1);
	rig_check(&g, false);
	rig_free(&g);
}

static void test_target_garbage(void)
{
	struct rig g;

	/* >= 2^32 without 64_BIT_TARGET: not adopted. */
	rig_init(&g, RIG_BASE, 4096, 16, CAPS_4K & ~VMW_CAP_64_BIT_TARGET,
		 NULL);
	vmw_model_set_target(g.m, 100);
	arm(&g, H_RBX, VMW_CMD_BATCHED_LOCK, 0xdeadbeefdeadbeefull, 0);
	rig_settle(&g, 5);
	UT_CHECK(g.vb.st.bad_target >= 1);
	UT_CHECK_EQ(g.vb.b.target, 100);
	UT_CHECK_EQ(g.vb.b.size, 100);
	rig_check(&g, true);
	rig_free(&g);

	/* With 64_BIT_TARGET it is a target above RAM: up to the floor. */
	rig_init(&g, RIG_BASE, 4096, 50, RIG_ALL_CAPS, NULL);
	vmw_model_set_target(g.m, 4096);
	arm(&g, H_RBX, -1, 0xdeadbeefdeadbeefull, 0);
	rig_settle(&g, 10);
	UT_CHECK_EQ(g.vb.b.target, 0xdeadbeefdeadbeefull);
	UT_CHECK_EQ(g.vb.b.counters.errors, 0);
	UT_CHECK_EQ(pa_available(&g.zone), 0);
	UT_CHECK(g.vb.b.shortfall.active);
	UT_CHECK_EQ(g.vb.b.shortfall.reserve, 50);
	UT_CHECK_EQ(g.vb.b.shortfall.achieved, g.vb.b.size);
	rig_check(&g, true);
	rig_free(&g);
}

static void test_rax_high(void)
{
	struct rig g;

	rig_init(&g, RIG_BASE, 1024, 16, CAPS_4K, NULL);
	vmw_model_set_target(g.m, 10);
	arm(&g, H_RAX_HIGH, VMW_CMD_GET_TARGET, 0, 0);
	rig_settle(&g, 5);
	UT_CHECK(g.vb.st.bad_rax_high >= 1);
	UT_CHECK_EQ(g.vb.b.size, 10); /* EAX itself was fine */
	rig_check(&g, true);
	rig_free(&g);
}

static void test_unlock_refused_teardown(void)
{
	struct rig g;

	rig_init(&g, RIG_BASE, 4096, 16, RIG_ALL_CAPS, NULL);
	vmw_model_set_target(g.m, 1500);
	rig_settle(&g, 5);
	UT_CHECK_EQ(g.vb.b.size, 1536);
	arm(&g, H_ENTRY_STATUS, VMW_CMD_BATCHED_2M_UNLOCK,
	    VMW_ERROR_PPN_UNLOCKED, 0);
	/* §7 unload: START(0) so the host forgets, then drop locally. */
	UT_CHECK_EQ(g.vb.b.ops->reset(&g.vb.b), 0);
	UT_CHECK_EQ(g.vb.b.size, 0);
	UT_CHECK_EQ(vmw_model_granted_caps(g.m), 0);
	UT_CHECK(g.vb.reset_pending);
	rig_check(&g, true);
	arm(&g, H_NONE, -1, 0, 0);
	rig_settle(&g, 5);
	UT_CHECK_EQ(g.vb.b.size, 1536);
	rig_check(&g, true);
	rig_free(&g);
}

static void test_reset_storm(void)
{
	struct vmw_faults f = {.seed = 1, .reset_every = 1};
	struct rig g;

	/* Everything but START answers RESET: nothing moves or loops. */
	rig_init(&g, RIG_BASE, 1024, 16, RIG_ALL_CAPS, &f);
	vmw_model_set_target(g.m, 100);
	for (int i = 0; i < 5; i++)
		UT_CHECK_EQ(vmw_balloon_tick(&g.vb, UINT64_MAX), VMW_E_RESET);
	UT_CHECK(g.vb.b.counters.host_calls <= 5 * 2);
	UT_CHECK_EQ(g.vb.b.size, 0);
	rig_check(&g, true);
	rig_free(&g);
}

static void test_init_and_names(void)
{
	struct vmw_balloon_cfg c = {0};
	struct rig g;

	rig_init(&g, RIG_BASE, 1024, 16, RIG_ALL_CAPS, NULL);
	UT_CHECK_EQ(vmw_balloon_init(&g.vb, NULL), VMW_E_ARG);
	UT_CHECK_EQ(vmw_balloon_init(&g.vb, &c), VMW_E_ARG);
	rig_free(&g);
	/* A START that stays BUSY: no host yet, try again next time. */
	rig_init(&g, RIG_BASE, 1024, 16, RIG_ALL_CAPS, NULL);
	arm(&g, H_STATUS, VMW_CMD_START, VMW_ERROR_BUSY, 0);
	UT_CHECK_EQ(vmw_balloon_tick(&g.vb, UINT64_MAX), VMW_E_BUSY);
	UT_CHECK(g.vb.reset_pending);
	UT_CHECK_STR(vmw_balloon_err_name(VMW_E_BUSY), "host busy");
	UT_CHECK_STR(vmw_balloon_err_name(VMW_E_LIMIT),
		     "limit needs 64_BIT_TARGET");
	UT_CHECK_STR(vmw_balloon_err_name(-99), "?");
	UT_CHECK_STR(vmw_status_name(VMW_ERROR_PPN_PINNED), "ERROR_PPN_PINNED");
	UT_CHECK_STR(vmw_status_name(VMW_SUCCESS_WITH_CAPABILITIES),
		     "SUCCESS_WITH_CAPABILITIES");
	UT_CHECK_STR(vmw_status_name(0xffffffffu), "all ones (no device)");
	UT_CHECK_STR(vmw_status_name(9), "not in the protocol");
	rig_free(&g);
}

UT_MAIN(UT_TEST(test_no_host), UT_TEST(test_bad_grants),
	UT_TEST(test_garbage_call_status), UT_TEST(test_entry_mangled),
	UT_TEST(test_target_garbage), UT_TEST(test_rax_high),
	UT_TEST(test_unlock_refused_teardown), UT_TEST(test_reset_storm),
	UT_TEST(test_init_and_names))
