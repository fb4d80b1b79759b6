/*
 * test_vmw_reset_on.c - host unit tests for the model's reset_on fault.
 *
 * reset_on chooses which commands a RESET may be injected into, so the
 * fault matrix (tests/faults.sh) can hit each command kind in turn: the
 * guest must recover from a RESET whichever call it arrives on. Checked
 * here: only the chosen commands are hit, reset_every then counts only
 * their calls, reset_percent stays seeded and replayable, and the
 * vmware_faults / vmw-faults syntax reads and writes the command names.
 */
#include "host/runner/util.h"
#include "host/runner/vmw_bridge.h"
#include "tests/unit/vmw_model_rig.h"

/* A well-formed call of cmd for a started model; its status. */
static uint32_t any_call(struct vmw_model *m, unsigned cmd, uint64_t pfn)
{
	switch (cmd) {
	case VMW_CMD_GET_TARGET:
		return st(m, cmd, RAM_FRAMES, 0);
	case VMW_CMD_LOCK:
	case VMW_CMD_UNLOCK:
		return st(m, cmd, pfn, 1);
	case VMW_CMD_GUEST_ID:
		return st(m, cmd, 3, 0);
	case VMW_CMD_VMCI_DOORBELL_SET:
		return st(m, cmd, 0x1234, 0x5678);
	default: /* batched: one entry on the batch page */
		page[0] = pfn << 12;
		return st(m, cmd, BATCH_PFN, 1);
	}
}

/*
 * For each command RESET can hit: a session calling every command once
 * per round must see RESET on exactly that command, every round, and the
 * locked set empty right after it.
 */
static void test_each_command(void)
{
	static const unsigned order[] = {
		VMW_CMD_GUEST_ID,
		VMW_CMD_GET_TARGET,
		VMW_CMD_LOCK,
		VMW_CMD_UNLOCK,
		VMW_CMD_BATCHED_LOCK,
		VMW_CMD_BATCHED_UNLOCK,
		VMW_CMD_BATCHED_2M_LOCK,
		VMW_CMD_BATCHED_2M_UNLOCK,
		VMW_CMD_VMCI_DOORBELL_SET,
	};
	unsigned tried = 0;

	for (unsigned cmd = 0; cmd < VMW_CMD_NR; cmd++) {
		struct vmw_faults f = {.seed = 1, .reset_on = 1u << cmd};
		struct vmw_model *m;
		unsigned resets = 0, wrong = 0;
		bool skip = false;

		if (!(VMW_RESET_ON_MASK & (1u << cmd)))
			continue;
		tried++;
		m = model(ALL_CAPS, &f);
		vmw_model_set_target(m, 4096);
		for (int round = 0; round < 3; round++) {
			UT_CHECK_EQ(call(m, VMW_CMD_START, 0x3e, 0).rax,
				    VMW_SUCCESS_WITH_CAPABILITIES);
			for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
				/* 4 KiB at 0x300, 2 MiB at 0x400. */
				uint64_t pfn =
					order[i] >= VMW_CMD_BATCHED_2M_LOCK
						? 0x400
						: 0x300;
				uint32_t s;

				/* A lock undone by RESET has no unlock. */
				if (skip) {
					skip = false;
					continue;
				}
				s = any_call(m, order[i], pfn);
				if (s == VMW_ERROR_RESET && order[i] == cmd) {
					resets++;
					skip = cmd == VMW_CMD_LOCK ||
					       cmd == VMW_CMD_BATCHED_LOCK ||
					       cmd == VMW_CMD_BATCHED_2M_LOCK;
					UT_CHECK_EQ(vmw_model_locked_frames(m),
						    0);
					UT_CHECK(!vmw_model_started(m));
					call(m, VMW_CMD_START, 0x3e, 0);
				} else if (s == VMW_ERROR_RESET ||
					   order[i] == cmd) {
					wrong++;
				}
			}
		}
		UT_CHECK_EQ(resets, 3);
		UT_CHECK_EQ(wrong, 0);
		UT_CHECK_EQ(vmw_model_faults_injected(m), 3);
		UT_CHECK_EQ(vmw_model_nr_findings(m), 0);
		vmw_model_free(m);
	}
	UT_CHECK_EQ(tried, 9);
}

/* reset_every counts only the chosen command's calls. */
static void test_every_counts_chosen(void)
{
	struct vmw_faults f = {
		.seed = 2, .reset_every = 3, .reset_on = 1u << VMW_CMD_LOCK};
	struct vmw_model *m = model(ALL_CAPS, &f);
	uint32_t s[6];

	vmw_model_set_target(m, 100);
	call(m, VMW_CMD_START, 0x3e, 0);
	for (int i = 0; i < 6; i++) {
		/* Other calls between must not move the count. */
		UT_CHECK_EQ(st(m, VMW_CMD_GET_TARGET, RAM_FRAMES, 0), VMW_OK);
		UT_CHECK_EQ(st(m, VMW_CMD_GUEST_ID, 3, 0), VMW_OK);
		s[i] = st(m, VMW_CMD_LOCK, 0x200 + i, 1);
		if (s[i] == VMW_ERROR_RESET)
			call(m, VMW_CMD_START, 0x3e, 0);
	}
	UT_CHECK(s[0] == VMW_OK && s[1] == VMW_OK);
	UT_CHECK_EQ(s[2], VMW_ERROR_RESET);
	UT_CHECK(s[3] == VMW_OK && s[4] == VMW_OK);
	UT_CHECK_EQ(s[5], VMW_ERROR_RESET);
	/* The second RESET dropped locks 3 and 4 as the first did 0, 1. */
	UT_CHECK_EQ(vmw_model_locked_frames(m), 0);
	UT_CHECK_EQ(vmw_model_faults_injected(m), 2);
	vmw_model_free(m);
}

/* reset_percent with reset_on: seeded, and never on other commands. */
static unsigned percent_session(uint64_t seed, unsigned *elsewhere)
{
	struct vmw_faults f = {.seed = seed,
			       .reset_percent = 50,
			       .reset_on = 1u << VMW_CMD_GET_TARGET};
	struct vmw_model *m = model(ALL_CAPS, &f);
	unsigned pattern = 0;

	*elsewhere = 0;
	call(m, VMW_CMD_START, 0x3e, 0);
	for (int i = 0; i < 16; i++) {
		uint32_t s = st(m, VMW_CMD_GET_TARGET, RAM_FRAMES, 0);

		pattern = pattern << 1 | (s == VMW_ERROR_RESET);
		if (s == VMW_ERROR_RESET)
			call(m, VMW_CMD_START, 0x3e, 0);
		if (st(m, VMW_CMD_GUEST_ID, 3, 0) != VMW_OK)
			(*elsewhere)++;
	}
	vmw_model_free(m);
	return pattern;
}

static void test_percent_seeded(void)
{
	unsigned e1, e2, p = percent_session(5, &e1);

	UT_CHECK_EQ(percent_session(5, &e2), p);
	UT_CHECK(p != 0 && p != 0xffff); /* 50 %: some, not all */
	UT_CHECK_EQ(e1 + e2, 0);
}

/* No reset_on: RESET on every Nth call of any kind, as before. */
static void test_unset_is_any(void)
{
	struct vmw_faults f = {.seed = 1, .reset_every = 2};
	struct vmw_model *m = model(ALL_CAPS, &f);

	call(m, VMW_CMD_START, 0x3e, 0);
	UT_CHECK_EQ(st(m, VMW_CMD_GUEST_ID, 3, 0), VMW_OK);
	UT_CHECK_EQ(st(m, VMW_CMD_GET_TARGET, RAM_FRAMES, 0), VMW_ERROR_RESET);
	vmw_model_free(m);
}

static void test_syntax(void)
{
	struct vmw_faults f, g;
	char err[200], buf[256];

	UT_CHECK_EQ(vmwb_parse_faults("seed=3,reset_on=get_target+"
				      "BATCHED_2M_UNLOCK",
				      &f, err, sizeof(err)),
		    0);
	UT_CHECK_EQ(f.reset_on, (1u << VMW_CMD_GET_TARGET) |
					(1u << VMW_CMD_BATCHED_2M_UNLOCK));
	vmwb_format_faults(&f, buf, sizeof(buf));
	UT_CHECK_STR(buf, "seed=3,reset_on=GET_TARGET+BATCHED_2M_UNLOCK");
	UT_CHECK_EQ(vmwb_parse_faults(buf, &g, err, sizeof(err)), 0);
	UT_CHECK(!memcmp(&f, &g, sizeof(f)));
	UT_CHECK_EQ(vmwb_parse_faults("reset_on=all", &f, err, 200), 0);
	UT_CHECK_EQ(f.reset_on, VMW_RESET_ON_MASK);
	vmwb_format_faults(&f, buf, sizeof(buf));
	UT_CHECK_STR(buf, "reset_on=all");
	UT_CHECK_EQ(
		vmwb_parse_faults("reset_on=0x4,reset_every=5", &f, err, 200),
		0);
	UT_CHECK(f.reset_on == 1u << VMW_CMD_LOCK && f.reset_every == 5);
	/* START is never faulted; command 5 does not exist. */
	UT_CHECK_EQ(vmwb_parse_faults("reset_on=START", &f, err, 200), -1);
	UT_CHECK_STR(err, "bad value 'START' for fault 'reset_on'");
	UT_CHECK_EQ(vmwb_parse_faults("reset_on=0x1", &f, err, 200), -1);
	UT_CHECK_EQ(vmwb_parse_faults("reset_on=0x20", &f, err, 200), -1);
	UT_CHECK_EQ(vmwb_parse_faults("reset_on=0", &f, err, 200), -1);
	UT_CHECK_EQ(vmwb_parse_faults("reset_on=LOCK+", &f, err, 200), -1);
	UT_CHECK_EQ(vmwb_parse_faults("reset_on=+LOCK", &f, err, 200), -1);
	UT_CHECK_EQ(vmwb_parse_faults("reset_on=LOCK++UNLOCK", &f, err, 200),
		    -1);
	UT_CHECK_EQ(vmwb_parse_faults("reset_on=LOCKS", &f, err, 200), -1);
	UT_CHECK_EQ(vmwb_parse_faults("reset_on=command 5", &f, err, 200), -1);
}

UT_MAIN(UT_TEST(test_each_command), UT_TEST(test_every_counts_chosen),
	UT_TEST(test_percent_seeded), UT_TEST(test_unset_is_any),
	UT_TEST(test_syntax))
