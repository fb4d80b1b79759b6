/*
 * test_vmw_model.c - host unit tests for the VMware balloon host model.
 *
 * The model alone, driven by hand-made register sets: START and its
 * capability masking, commands before START and after RESET, unknown and
 * malformed calls, capabilities enforced, target clamping (maximum, 32
 * bits), single-page LOCK/UNLOCK, call-level faults replaying exactly
 * from their seed, bounded findings, a large guest. Batches and 2 MiB
 * pages: test_vmw_model_batch.c.
 */
#include "tests/unit/vmw_model_rig.h"

static void test_start_masks_caps(void)
{
	struct vmw_model *m = model(ALL_CAPS, NULL);
	struct vmw_regs r = call(m, VMW_CMD_START, 0x3e, 0);

	UT_CHECK_EQ(r.rax, VMW_SUCCESS_WITH_CAPABILITIES);
	UT_CHECK_EQ(r.rcx, 0x3e);
	UT_CHECK(vmw_model_started(m));
	UT_CHECK_EQ(vmw_model_nr_findings(m), 0);
	/* Bit 0 (protocol v3) is never granted, and is a finding. */
	r = call(m, VMW_CMD_START, 0x3, 0);
	UT_CHECK_EQ(r.rcx, VMW_CAP_BASIC);
	UT_CHECK(found(m, "bit 0"));
	/* Unknown bits vanish silently; START(0) grants nothing. */
	UT_CHECK_EQ(call(m, VMW_CMD_START, 0xffc2, 0).rcx, VMW_CAP_BASIC);
	UT_CHECK_EQ(call(m, VMW_CMD_START, 0, 0).rcx, 0);
	UT_CHECK_EQ(vmw_model_granted_caps(m), 0);
	vmw_model_free(m);

	/* A host with 2M but no BATCHED never grants 2M (§6). */
	m = model(VMW_CAP_BASIC | VMW_CAP_BATCHED_2M, NULL);
	UT_CHECK_EQ(call(m, VMW_CMD_START, 0x3e, 0).rcx, VMW_CAP_BASIC);
	vmw_model_free(m);
	/* Nor does a guest asking 2M without BATCHED get it. */
	m = model(ALL_CAPS | 1u, NULL);
	UT_CHECK_EQ(call(m, VMW_CMD_START, 0x0a, 0).rcx, VMW_CAP_BASIC);
	UT_CHECK_EQ(call(m, VMW_CMD_START, 0x3e, 0).rcx & 1u, 0);
	vmw_model_free(m);
}

static void test_before_start(void)
{
	struct vmw_model *m = model(ALL_CAPS, NULL);

	UT_CHECK(!vmw_model_started(m));
	/* Doorbell teardown is tolerated before START: no finding. */
	UT_CHECK_EQ(st(m, VMW_CMD_VMCI_DOORBELL_SET, ~0ull, ~0ull), VMW_OK);
	UT_CHECK_EQ(vmw_model_nr_findings(m), 0);
	UT_CHECK_EQ(st(m, VMW_CMD_GET_TARGET, 0, 0), VMW_ERROR_RESET);
	UT_CHECK(found(m, "GET_TARGET before START"));
	UT_CHECK_EQ(st(m, VMW_CMD_LOCK, 0x100, 1), VMW_ERROR_RESET);
	UT_CHECK_EQ(vmw_model_calls(m, VMW_CMD_GET_TARGET), 1);
	vmw_model_free(m);
}

static void test_unknown_and_malformed(void)
{
	struct vmw_model *m = model(ALL_CAPS, NULL);
	struct vmw_regs r;

	call(m, VMW_CMD_START, 0x3e, 0);
	UT_CHECK_EQ(st(m, 5, 0, 0), VMW_ERROR_CMD_INVALID);
	UT_CHECK(found(m, "unknown command 5"));
	UT_CHECK_EQ(st(m, 11, 0, 0), VMW_ERROR_CMD_INVALID);
	/* The command is CX: upper bits of RCX are ignored (§1). */
	UT_CHECK_EQ(st(m, 0xabcd0001u, 0, 0), VMW_OK);
	/* Wrong magic: answered like an empty port, and noted. */
	r = (struct vmw_regs){0x12345678,	7, VMW_CMD_GET_TARGET,
			      VMW_BALLOON_PORT, 0, 0};
	vmw_model_call(m, &r);
	UT_CHECK_EQ(r.rax, 0xffffffffu);
	UT_CHECK_EQ(r.rbx, 7);
	UT_CHECK(found(m, "magic"));
	r = (struct vmw_regs){
		VMW_BALLOON_MAGIC, 0, VMW_CMD_GET_TARGET, 0x5658, 0, 0};
	vmw_model_call(m, &r);
	UT_CHECK(found(m, "port 0x5658"));
	vmw_model_free(m);
}

static void test_caps_enforced(void)
{
	struct vmw_model *m = model(ALL_CAPS, NULL);

	vmw_model_set_target(m, 100);
	call(m, VMW_CMD_START, VMW_CAP_BASIC, 0);
	page[0] = 0x200ull << 12;
	UT_CHECK_EQ(st(m, VMW_CMD_BATCHED_LOCK, BATCH_PFN, 1),
		    VMW_ERROR_CMD_INVALID);
	UT_CHECK(found(m, "BATCHED_LOCK without"));
	UT_CHECK_EQ(st(m, VMW_CMD_BATCHED_2M_UNLOCK, BATCH_PFN, 1),
		    VMW_ERROR_CMD_INVALID);
	UT_CHECK_EQ(st(m, VMW_CMD_VMCI_DOORBELL_SET, 5, 6),
		    VMW_ERROR_CMD_INVALID);
	UT_CHECK_EQ(vmw_model_locked_frames(m), 0);
	/* GUEST_ID and GET_TARGET need nothing. */
	UT_CHECK_EQ(st(m, VMW_CMD_GUEST_ID, 1, 0), VMW_OK);
	/* With the capability, a real doorbell set is accepted. */
	call(m, VMW_CMD_START, VMW_CAP_SIGNALLED_WAKEUP, 0);
	UT_CHECK_EQ(st(m, VMW_CMD_VMCI_DOORBELL_SET, 5, 6), VMW_OK);
	/* Without BASIC, LOCK is refused too. */
	UT_CHECK_EQ(st(m, VMW_CMD_LOCK, 0x200, 1), VMW_ERROR_CMD_INVALID);
	vmw_model_free(m);
}

static void test_target_and_max(void)
{
	struct vmw_model_config c = {.ram_frames = 1000,
				     .host_caps = ALL_CAPS,
				     .max_percent = 65,
				     .maxmemctl_mb = -1};
	struct vmw_model *m = vmw_model_new(&c, &mem);
	struct vmw_regs r;

	UT_CHECK_EQ(vmw_model_max_frames(m), 650);
	UT_CHECK_EQ(vmw_model_target(m), 0);
	vmw_model_set_target(m, 10000);
	UT_CHECK_EQ(vmw_model_target(m), 650);
	vmw_model_set_target(m, 300);
	UT_CHECK_EQ(vmw_model_target(m), 300);
	call(m, VMW_CMD_START, 0x3e, 0);
	r = call(m, VMW_CMD_GET_TARGET, 1000, 0);
	UT_CHECK_EQ(r.rax, VMW_OK);
	UT_CHECK_EQ(r.rbx, 300);
	/* Limit 0 (host's choice) is tolerated (§16.5). */
	UT_CHECK_EQ(call(m, VMW_CMD_GET_TARGET, 0, 0).rbx, 300);
	UT_CHECK_EQ(vmw_model_nr_findings(m), 0);
	vmw_model_free(m);

	c.maxmemctl_mb = 1; /* 256 frames */
	m = vmw_model_new(&c, &mem);
	UT_CHECK_EQ(vmw_model_max_frames(m), 256);
	vmw_model_free(m);
	c.maxmemctl_mb = 0;
	m = vmw_model_new(&c, &mem);
	UT_CHECK_EQ(vmw_model_max_frames(m), 0);
	vmw_model_free(m);
	c.maxmemctl_mb = -1;
	c.max_percent = 250;
	m = vmw_model_new(&c, &mem);
	UT_CHECK_EQ(vmw_model_max_frames(m), 1000);
	vmw_model_free(m);
	c.max_percent = 0; /* ESX: 0 disables ballooning */
	m = vmw_model_new(&c, &mem);
	UT_CHECK_EQ(vmw_model_max_frames(m), 0);
	vmw_model_free(m);
	UT_CHECK(vmw_model_new(NULL, &mem) == NULL);
}

static void test_target_32bit(void)
{
	/* 16 TiB of RAM and a host overreaching: a target above 2^32. */
	struct vmw_faults f = {.target_above_ram = true};
	struct vmw_model_config c = {.ram_frames = 1ull << 32,
				     .host_caps = ALL_CAPS,
				     .max_percent = 65,
				     .maxmemctl_mb = -1,
				     .faults = f};
	struct vmw_model *m = vmw_model_new(&c, &mem);
	struct vmw_regs r;

	UT_CHECK(m != NULL);
	if (!m)
		return;
	UT_CHECK(vmw_model_target(m) > 0xffffffffull);
	call(m, VMW_CMD_START, VMW_CAP_BASIC, 0);
	r = call(m, VMW_CMD_GET_TARGET, 1ull << 32, 0);
	UT_CHECK_EQ(r.rbx, 0xffffffffull);
	UT_CHECK(found(m, "needs 64_BIT_TARGET"));
	UT_CHECK_EQ(vmw_model_faults_injected(m), 1);
	call(m, VMW_CMD_START, VMW_CAP_BASIC | VMW_CAP_64_BIT_TARGET, 0);
	r = call(m, VMW_CMD_GET_TARGET, 1ull << 32, 0);
	UT_CHECK_EQ(r.rbx, vmw_model_target(m));
	UT_CHECK_EQ(vmw_model_nr_findings(m), 1);
	vmw_model_free(m);
}

static void test_above_ram_nonzero(void)
{
	/* Any wish above 0 is answered above RAM; 0 stays 0. */
	struct vmw_faults f = {.above_ram_nonzero = true};
	struct vmw_model *m = model(ALL_CAPS, &f);

	call(m, VMW_CMD_START, ALL_CAPS, 0);
	UT_CHECK_EQ(call(m, VMW_CMD_GET_TARGET, RAM_FRAMES, 0).rbx, 0);
	UT_CHECK_EQ(vmw_model_faults_injected(m), 0);
	vmw_model_set_target(m, 1);
	UT_CHECK(call(m, VMW_CMD_GET_TARGET, RAM_FRAMES, 0).rbx > RAM_FRAMES);
	UT_CHECK_EQ(vmw_model_faults_injected(m), 1);
	vmw_model_set_target(m, 0);
	UT_CHECK_EQ(call(m, VMW_CMD_GET_TARGET, RAM_FRAMES, 0).rbx, 0);
	UT_CHECK_EQ(vmw_model_faults_injected(m), 1);
	vmw_model_free(m);
}

static void test_single_lock_unlock(void)
{
	struct vmw_model *m = model(ALL_CAPS, NULL);
	struct vmw_regs r;

	vmw_model_set_target(m, 2);
	call(m, VMW_CMD_START, VMW_CAP_BASIC, 0);
	r = call(m, VMW_CMD_LOCK, 0x200, 1);
	UT_CHECK_EQ(r.rax, VMW_OK);
	UT_CHECK_EQ(r.rbx, 2);
	UT_CHECK(vmw_model_is_locked(m, 0x200));
	UT_CHECK(!vmw_model_is_locked(m, 0x201));
	UT_CHECK_EQ(vmw_model_locked_frames(m), 1);
	/* RSI 0 (OVT) is fine too. */
	UT_CHECK_EQ(st(m, VMW_CMD_LOCK, 0x201, 0), VMW_OK);
	/* Target reached: NOTNEEDED, not a finding; RBX left alone. */
	r = call(m, VMW_CMD_LOCK, 0x202, 1);
	UT_CHECK_EQ(r.rax, VMW_ERROR_PPN_NOTNEEDED);
	UT_CHECK_EQ(r.rbx, 0x202);
	UT_CHECK_EQ(vmw_model_nr_findings(m), 0);
	UT_CHECK_EQ(st(m, VMW_CMD_LOCK, 0x200, 1), VMW_ERROR_PPN_LOCKED);
	UT_CHECK(found(m, "locked twice"));
	UT_CHECK_EQ(st(m, VMW_CMD_UNLOCK, 0x200, 1), VMW_OK);
	UT_CHECK_EQ(st(m, VMW_CMD_UNLOCK, 0x200, 1), VMW_ERROR_PPN_UNLOCKED);
	UT_CHECK(found(m, "never locked"));
	UT_CHECK_EQ(st(m, VMW_CMD_LOCK, RAM_FRAMES, 1), VMW_ERROR_PPN_INVALID);
	UT_CHECK(found(m, "outside guest RAM"));
	UT_CHECK_EQ(st(m, VMW_CMD_LOCK, 1ull << 32, 1), VMW_ERROR_PPN_INVALID);
	UT_CHECK(found(m, "32 bits"));
	st(m, VMW_CMD_UNLOCK, 0x201, 5);
	UT_CHECK(found(m, "RSI = 0x5"));
	UT_CHECK_EQ(vmw_model_locked_frames(m), 0);
	UT_CHECK_EQ(vmw_model_calls(m, VMW_CMD_LOCK), 6);
	vmw_model_free(m);
}

static void test_reset_and_busy(void)
{
	struct vmw_faults f = {.seed = 1, .reset_every = 3};
	struct vmw_model *m = model(ALL_CAPS, &f);

	vmw_model_set_target(m, 100);
	call(m, VMW_CMD_START, 0x3e, 0);
	UT_CHECK_EQ(st(m, VMW_CMD_LOCK, 0x200, 1), VMW_OK);
	UT_CHECK_EQ(st(m, VMW_CMD_LOCK, 0x201, 1), VMW_OK);
	UT_CHECK_EQ(st(m, VMW_CMD_GET_TARGET, 0, 0), VMW_ERROR_RESET);
	UT_CHECK_EQ(vmw_model_locked_frames(m), 0);
	UT_CHECK(!vmw_model_started(m));
	UT_CHECK_EQ(vmw_model_faults_injected(m), 1);
	UT_CHECK_EQ(vmw_model_nr_findings(m), 0);
	UT_CHECK_EQ(st(m, VMW_CMD_UNLOCK, 0x200, 1), VMW_ERROR_RESET);
	UT_CHECK(found(m, "UNLOCK before START"));
	call(m, VMW_CMD_START, 0x3e, 0);
	UT_CHECK_EQ(st(m, VMW_CMD_LOCK, 0x200, 1), VMW_OK);
	vmw_model_free(m);

	f = (struct vmw_faults){.seed = 9, .busy_percent = 100};
	m = model(ALL_CAPS, &f);
	vmw_model_set_target(m, 100);
	call(m, VMW_CMD_START, 0x3e, 0);
	page[0] = 0x300ull << 12;
	UT_CHECK_EQ(st(m, VMW_CMD_BATCHED_LOCK, BATCH_PFN, 1), VMW_ERROR_BUSY);
	UT_CHECK_EQ(page[0], 0x300ull << 12);
	UT_CHECK_EQ(vmw_model_locked_frames(m), 0);
	UT_CHECK_EQ(vmw_model_faults_injected(m), 1);
	vmw_model_free(m);
}

static void test_flapping_target(void)
{
	struct vmw_faults f = {.seed = 5, .flapping_target = true};
	struct vmw_model *m = model(ALL_CAPS, &f);
	uint64_t t[8];
	int changes = 0;

	vmw_model_set_target(m, 1000);
	call(m, VMW_CMD_START, 0x3e, 0);
	for (int i = 0; i < 8; i++) {
		t[i] = call(m, VMW_CMD_GET_TARGET, RAM_FRAMES, 0).rbx;
		UT_CHECK(t[i] <= vmw_model_max_frames(m));
		if (i % 2 == 0)
			UT_CHECK_EQ(t[i], 1000);
		changes += i && t[i] != t[i - 1];
	}
	UT_CHECK(changes >= 6);
	UT_CHECK_EQ(vmw_model_faults_injected(m), 4);
	vmw_model_free(m);
}

/* discard_every: the host zeroes a frame the guest got back. */
static void test_discard_fault(void)
{
	struct vmw_faults f = {.seed = 1, .discard_every = 2};
	struct vmw_model *m = model(ALL_CAPS, &f);

	vmw_model_set_target(m, 100);
	call(m, VMW_CMD_START, 0x3e, 0);
	/* The batch page is the one frame this rig's memory has. */
	page[5] = 0xabc;
	UT_CHECK_EQ(call(m, VMW_CMD_LOCK, BATCH_PFN, 1).rax, VMW_OK);
	UT_CHECK_EQ(call(m, VMW_CMD_UNLOCK, BATCH_PFN, 1).rax, VMW_OK);
	call(m, VMW_CMD_GET_TARGET, RAM_FRAMES, 0);
	UT_CHECK_EQ(page[5], 0xabc); /* first unlock: not the 2nd */
	UT_CHECK_EQ(vmw_model_faults_injected(m), 0);
	UT_CHECK_EQ(call(m, VMW_CMD_LOCK, BATCH_PFN, 1).rax, VMW_OK);
	UT_CHECK_EQ(call(m, VMW_CMD_UNLOCK, BATCH_PFN, 1).rax, VMW_OK);
	/* Not written yet (word 0 is 0): the host waits. */
	page[0] = 0;
	call(m, VMW_CMD_GET_TARGET, RAM_FRAMES, 0);
	UT_CHECK_EQ(page[5], 0xabc);
	UT_CHECK_EQ(vmw_model_faults_injected(m), 0);
	/* The guest uses the frame again: on the next call it is zeroed. */
	page[0] = 0x1234;
	call(m, VMW_CMD_GET_TARGET, RAM_FRAMES, 0);
	UT_CHECK_EQ(page[5], 0);
	UT_CHECK_EQ(page[0], 0);
	UT_CHECK_EQ(vmw_model_faults_injected(m), 1);
	/* Forgotten after that. */
	page[0] = 0x1234;
	call(m, VMW_CMD_GET_TARGET, RAM_FRAMES, 0);
	UT_CHECK_EQ(page[0], 0x1234);
	vmw_model_free(m);
}

/* One scripted session with random faults; a digest of every answer. */
static uint64_t session(uint64_t seed)
{
	struct vmw_faults f = {.seed = seed,
			       .reset_percent = 5,
			       .busy_percent = 10,
			       .notneeded_percent = 10,
			       .flapping_target = true};
	struct vmw_model *m = model(ALL_CAPS, &f);
	uint64_t digest = 0;

	vmw_model_set_target(m, 3000);
	for (int i = 0; i < 300; i++) {
		struct vmw_regs r;

		for (int k = 0; k < 8; k++)
			page[k] = (0x400ull + i * 8 + k) << 12;
		r = call(m,
			 i % 7 == 0   ? VMW_CMD_START
			 : i % 3 == 0 ? VMW_CMD_GET_TARGET
				      : VMW_CMD_BATCHED_LOCK,
			 i % 7 ? BATCH_PFN : 0x3e, 8);
		digest = digest * 31 + r.rax + r.rbx * 7;
		for (int k = 0; k < 8; k++)
			digest = digest * 3 + page[k];
	}
	digest += vmw_model_faults_injected(m) + vmw_model_locked_frames(m);
	vmw_model_free(m);
	return digest;
}

static void test_faults_reproducible(void)
{
	UT_CHECK(session(42) == session(42));
	UT_CHECK(session(7) == session(7));
	UT_CHECK(session(42) != session(43));
}

static void test_findings_bounded(void)
{
	struct vmw_model *m = model(ALL_CAPS, NULL);

	for (int i = 0; i < 100; i++)
		call(m, 12, 0, 0);
	UT_CHECK_EQ(vmw_model_nr_findings(m), VMW_MAX_FINDINGS);
	UT_CHECK(found(m, "37 more finding(s) not recorded"));
	UT_CHECK(vmw_model_finding(m, VMW_MAX_FINDINGS) == NULL);
	vmw_model_free(m);
}

static void test_large_guest(void)
{
	/* 8 GiB of RAM above a 1 GiB hole: cheap to make and to START. */
	struct vmw_model_config c = {.ram_frames = 2097152,
				     .pfn_end = 2359296,
				     .host_caps = ALL_CAPS,
				     .max_percent = 65,
				     .maxmemctl_mb = -1};
	struct vmw_model *m = vmw_model_new(&c, &mem);

	vmw_model_set_target(m, 1ull << 40);
	UT_CHECK_EQ(vmw_model_target(m), 2097152ull * 65 / 100);
	call(m, VMW_CMD_START, 0x3e, 0);
	UT_CHECK_EQ(st(m, VMW_CMD_LOCK, 2359295, 1), VMW_OK);
	UT_CHECK_EQ(st(m, VMW_CMD_LOCK, 2359296, 1), VMW_ERROR_PPN_INVALID);
	for (int i = 0; i < 1000; i++)
		call(m, VMW_CMD_START, 0x3e, 0);
	UT_CHECK_EQ(vmw_model_locked_frames(m), 0);
	vmw_model_free(m);
}

UT_MAIN(UT_TEST(test_start_masks_caps), UT_TEST(test_before_start),
	UT_TEST(test_unknown_and_malformed), UT_TEST(test_caps_enforced),
	UT_TEST(test_target_and_max), UT_TEST(test_target_32bit),
	UT_TEST(test_above_ram_nonzero),
	UT_TEST(test_single_lock_unlock), UT_TEST(test_reset_and_busy),
	UT_TEST(test_flapping_target), UT_TEST(test_discard_fault),
	UT_TEST(test_faults_reproducible),
	UT_TEST(test_findings_bounded), UT_TEST(test_large_guest))
