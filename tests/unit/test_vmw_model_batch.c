/*
 * test_vmw_model_batch.c - the VMware host model's batch page and 2 MiB rules.
 *
 * Batched (UN)LOCK through a batch page the model reaches only through
 * its memory callbacks: exactly RSI entries read, only bits 4..0 written,
 * every per-entry status, reserved bits, counts 0 and 513, read and write
 * failures (a failed call changes nothing), 2 MiB alignment, overlap and
 * overshoot, and the per-frame faults PINNED and NOTNEEDED.
 */
#include "tests/unit/vmw_model_rig.h"

static void test_batch_4k(void)
{
	struct vmw_model *m = model(ALL_CAPS, NULL);
	struct vmw_regs r;

	vmw_model_set_target(m, 1000);
	call(m, VMW_CMD_START, 0x3e, 0);
	page[0] = 0x300ull << 12;
	page[1] = (0x301ull << 12) | 0x20; /* reserved bit 5 */
	page[2] = (RAM_FRAMES + 1) << 12;  /* outside RAM */
	page[3] = (0x303ull << 12) | 0x1f; /* status bits: overwritten */
	page[4] = 0xfeedfacecafebeefull;   /* past RSI: must stay */
	r = call(m, VMW_CMD_BATCHED_LOCK, BATCH_PFN, 4);
	UT_CHECK_EQ(r.rax, VMW_OK);
	UT_CHECK_EQ(r.rbx, 1000);
	UT_CHECK_EQ(page[0], 0x300ull << 12);
	UT_CHECK_EQ(page[1], (0x301ull << 12) | 0x20 | VMW_ERROR_PPN_INVALID);
	UT_CHECK_EQ(page[2], ((RAM_FRAMES + 1) << 12) | VMW_ERROR_PPN_INVALID);
	UT_CHECK_EQ(page[3], 0x303ull << 12);
	UT_CHECK_EQ(page[4], 0xfeedfacecafebeefull);
	UT_CHECK(found(m, "reserved bits"));
	UT_CHECK(found(m, "outside guest RAM"));
	UT_CHECK_EQ(vmw_model_locked_frames(m), 2);
	/* Duplicate in one batch: the second is "locked twice". */
	page[0] = 0x310ull << 12;
	page[1] = 0x310ull << 12;
	call(m, VMW_CMD_BATCHED_LOCK, BATCH_PFN, 2);
	UT_CHECK_EQ(page[1] & 0x1f, VMW_ERROR_PPN_LOCKED);
	/* Unlock: one good, one never locked. */
	page[0] = 0x300ull << 12;
	page[1] = 0x3ffull << 12;
	UT_CHECK_EQ(st(m, VMW_CMD_BATCHED_UNLOCK, BATCH_PFN, 2), VMW_OK);
	UT_CHECK_EQ(page[0] & 0x1f, VMW_OK);
	UT_CHECK_EQ(page[1] & 0x1f, VMW_ERROR_PPN_UNLOCKED);
	UT_CHECK_EQ(vmw_model_locked_frames(m), 2);
	/* Counts 0 and 513, a batch page outside RAM. */
	UT_CHECK_EQ(st(m, VMW_CMD_BATCHED_LOCK, BATCH_PFN, 0),
		    VMW_ERROR_CMD_INVALID);
	UT_CHECK_EQ(st(m, VMW_CMD_BATCHED_LOCK, BATCH_PFN, 513),
		    VMW_ERROR_CMD_INVALID);
	UT_CHECK(found(m, "513 entries"));
	UT_CHECK_EQ(st(m, VMW_CMD_BATCHED_LOCK, RAM_FRAMES, 1),
		    VMW_ERROR_PPN_INVALID);
	UT_CHECK(found(m, "batch page PFN"));
	vmw_model_free(m);
}

static void test_batch_memory_failures(void)
{
	struct vmw_model *m = model(ALL_CAPS, NULL);

	vmw_model_set_target(m, 1000);
	call(m, VMW_CMD_START, 0x3e, 0);
	page[0] = 0x300ull << 12;
	fail_read = 1;
	UT_CHECK_EQ(st(m, VMW_CMD_BATCHED_LOCK, BATCH_PFN, 1),
		    VMW_ERROR_PPN_INVALID);
	fail_read = 0;
	fail_write = 1;
	/* Could not answer: nothing may have changed state (§5). */
	UT_CHECK_EQ(st(m, VMW_CMD_BATCHED_LOCK, BATCH_PFN, 1),
		    VMW_ERROR_PPN_INVALID);
	UT_CHECK_EQ(vmw_model_locked_frames(m), 0);
	UT_CHECK(!vmw_model_is_locked(m, 0x300));
	UT_CHECK(found(m, "batch undone"));
	fail_write = 0;
	UT_CHECK_EQ(st(m, VMW_CMD_BATCHED_LOCK, BATCH_PFN, 1), VMW_OK);
	/* The batch page itself in the balloon is a guest bug. */
	page[0] = BATCH_PFN << 12;
	call(m, VMW_CMD_BATCHED_LOCK, BATCH_PFN, 1);
	call(m, VMW_CMD_BATCHED_LOCK, BATCH_PFN, 1);
	UT_CHECK(found(m, "itself ballooned"));
	vmw_model_free(m);
}

static void test_batch_2m(void)
{
	struct vmw_model *m = model(ALL_CAPS, NULL);

	vmw_model_set_target(m, 600);
	call(m, VMW_CMD_START, 0x3e, 0);
	page[0] = 0x400ull << 12;
	UT_CHECK_EQ(st(m, VMW_CMD_BATCHED_2M_LOCK, BATCH_PFN, 1), VMW_OK);
	UT_CHECK_EQ(page[0] & 0x1f, VMW_OK);
	UT_CHECK_EQ(vmw_model_locked_frames(m), 512);
	UT_CHECK(vmw_model_is_locked(m, 0x400 + 511));
	UT_CHECK(!vmw_model_is_locked(m, 0x600));
	/* Overlap at either size is "locked twice". */
	UT_CHECK_EQ(st(m, VMW_CMD_LOCK, 0x405, 1), VMW_ERROR_PPN_LOCKED);
	UT_CHECK_EQ(st(m, VMW_CMD_LOCK, 0x605, 1), VMW_OK);
	page[0] = 0x600ull << 12;
	call(m, VMW_CMD_BATCHED_2M_LOCK, BATCH_PFN, 1);
	UT_CHECK_EQ(page[0] & 0x1f, VMW_ERROR_PPN_LOCKED);
	/* Misaligned 2 MiB PFN. */
	page[0] = 0x801ull << 12;
	call(m, VMW_CMD_BATCHED_2M_LOCK, BATCH_PFN, 1);
	UT_CHECK_EQ(page[0] & 0x1f, VMW_ERROR_PPN_INVALID);
	UT_CHECK(found(m, "not 2 MiB aligned"));
	/* 513 < 600: one more 2 MiB page fits, overshooting by 425 (§6). */
	page[0] = 0x800ull << 12;
	call(m, VMW_CMD_BATCHED_2M_LOCK, BATCH_PFN, 1);
	UT_CHECK_EQ(page[0] & 0x1f, VMW_OK);
	UT_CHECK_EQ(vmw_model_locked_frames(m), 1025);
	page[0] = 0xa00ull << 12;
	call(m, VMW_CMD_BATCHED_2M_LOCK, BATCH_PFN, 1);
	UT_CHECK_EQ(page[0] & 0x1f, VMW_ERROR_PPN_NOTNEEDED);
	/* Unlocking a 4K frame of a 2M page, or 2M where only 4K is locked. */
	UT_CHECK_EQ(st(m, VMW_CMD_UNLOCK, 0x401, 1), VMW_ERROR_PPN_UNLOCKED);
	UT_CHECK(found(m, "inside a locked 2 MiB page"));
	page[0] = 0x600ull << 12;
	call(m, VMW_CMD_BATCHED_2M_UNLOCK, BATCH_PFN, 1);
	UT_CHECK_EQ(page[0] & 0x1f, VMW_ERROR_PPN_UNLOCKED);
	UT_CHECK(found(m, "as a 2 MiB page"));
	page[0] = 0x400ull << 12;
	page[1] = 0x800ull << 12;
	call(m, VMW_CMD_BATCHED_2M_UNLOCK, BATCH_PFN, 2);
	UT_CHECK_EQ(page[0] | page[1], (0x400ull | 0x800ull) << 12);
	UT_CHECK_EQ(vmw_model_locked_frames(m), 1);
	/* START empties everything. */
	call(m, VMW_CMD_START, 0x3e, 0);
	UT_CHECK_EQ(vmw_model_locked_frames(m), 0);
	UT_CHECK(!vmw_model_is_locked(m, 0x605));
	vmw_model_free(m);
}

static void test_entry_faults(void)
{
	struct vmw_faults f = {.seed = 3, .pinned_every = 2};
	struct vmw_model *m = model(ALL_CAPS, &f);
	unsigned i, pinned = 0, notneeded = 0;

	vmw_model_set_target(m, 5000);
	call(m, VMW_CMD_START, 0x3e, 0);
	for (i = 0; i < 10; i++)
		page[i] = (0x300ull + i) << 12;
	call(m, VMW_CMD_BATCHED_LOCK, BATCH_PFN, 10);
	for (i = 0; i < 10; i++)
		pinned += (page[i] & 0x1f) == VMW_ERROR_PPN_PINNED;
	UT_CHECK_EQ(pinned, 5);
	UT_CHECK_EQ(page[1] & 0x1f, VMW_ERROR_PPN_PINNED);
	UT_CHECK_EQ(vmw_model_locked_frames(m), 5);
	UT_CHECK_EQ(vmw_model_faults_injected(m), 5);
	vmw_model_free(m);

	f = (struct vmw_faults){.seed = 3, .notneeded_percent = 50};
	m = model(ALL_CAPS, &f);
	vmw_model_set_target(m, 5000);
	call(m, VMW_CMD_START, 0x3e, 0);
	for (i = 0; i < 400; i++)
		page[i] = (0x300ull + i) << 12;
	call(m, VMW_CMD_BATCHED_LOCK, BATCH_PFN, 400);
	for (i = 0; i < 400; i++)
		notneeded += (page[i] & 0x1f) == VMW_ERROR_PPN_NOTNEEDED;
	UT_CHECK(notneeded > 150 && notneeded < 250);
	UT_CHECK_EQ(vmw_model_locked_frames(m), 400 - notneeded);
	vmw_model_free(m);
}

UT_MAIN(UT_TEST(test_batch_4k), UT_TEST(test_batch_memory_failures),
	UT_TEST(test_batch_2m), UT_TEST(test_entry_faults))
