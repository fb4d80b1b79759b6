/*
 * test_vbal_hostile.c - the virtio-balloon driver against a device that
 * is slow, silent or hostile, plus the hint and report protocols and a
 * long seeded random walk of targets.
 *
 * A silent device must not hang the driver or lose pages; a hostile one
 * (used ids out of range, the used index jumping ahead, a completion
 * written twice) must be detected, never followed: the driver sets
 * FAILED, resets the device and takes every page back.
 */
#include "tests/unit/vbal_rig.h"

/* The device takes the buffers and never answers: bounded, no loss. */
static void test_silent_device(void)
{
	int64_t rc;

	UT_CHECK_EQ(rig_up(0, 0), 0);
	m.no_ack[0] = true;
	rc = vb.b.ops->inflate(&vb.b, 600);
	UT_CHECK_EQ(rc, VBAL_E_TIMEOUT);
	UT_CHECK_EQ(vb.b.size, 0);
	UT_CHECK(vb.st.ack_timeouts >= 1);
	/* D12: queued pages stay the device's until it answers. */
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 600);
	UT_CHECK_EQ(vbm_cfg32(&m, VBAL_CFG_ACTUAL), 0);
	/* The answer comes late: a later service completes the round. */
	m.no_ack[0] = false;
	vbm_run(&m);
	vbal_service(&vb);
	UT_CHECK_EQ(vb.b.size, 600);
	UT_CHECK_EQ(vb.inflight_pages, 0);
	rig_check();
	rig_down();
}

/* A silent deflate: pages are not reused before the acknowledgement. */
static void test_silent_deflate(void)
{
	UT_CHECK_EQ(rig_up(1u << VBAL_F_MUST_TELL_HOST, 0), 0);
	UT_CHECK_EQ(vb.b.ops->inflate(&vb.b, 300), 300);
	m.no_ack[1] = true;
	UT_CHECK_EQ(vb.b.ops->deflate(&vb.b, 300), VBAL_E_TIMEOUT);
	/* D10: still ballooned, not back in the free lists. */
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 300);
	m.no_ack[1] = false;
	vbm_run(&m);
	vbal_service(&vb);
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 0);
	rig_check();
	rig_down();
}

static void hostile_case(enum vqm_hostile h, uint32_t arg, bool fatal)
{
	int64_t rc;
	bool saw_failed;

	UT_CHECK_EQ(rig_up(RING_BITS, 0), 0);
	m.defer = true;
	rc = vb.b.ops->inflate(&vb.b, 40); /* one buffer, waits */
	UT_CHECK_EQ(rc, VBAL_E_TIMEOUT);
	m.q[0].hostile = h;
	m.q[0].hostile_arg = arg;
	vbm_run(&m);
	m.defer = false;
	vbal_service(&vb);
	saw_failed = m.saw_failed;
	if (fatal) {
		UT_CHECK(!vb.up);
		UT_CHECK(saw_failed);	  /* §2.1.2 */
		UT_CHECK_EQ(m.status, 0); /* and reset, §2.4 */
		UT_CHECK_EQ(vb.st.device_errors, 1);
		UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 0);
		UT_CHECK_EQ(vb.b.ops->inflate(&vb.b, 10), VBAL_E_DOWN);
	} else {
		UT_CHECK(vb.up);
		UT_CHECK_EQ(vb.b.size, 40);
		UT_CHECK_EQ(vb.vq[0].len_clamped, 1); /* L3 */
	}
	vbal_teardown(&vb);
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 0);
	{
		char why[96];

		UT_CHECK_EQ(pa_check(&mm_zone, why, sizeof(why)), PA_OK);
	}
}

static void test_hostile_devices(void)
{
	hostile_case(VQM_ID_RANGE, 0, true);
	hostile_case(VQM_ID_IDLE, 77, true);
	hostile_case(VQM_IDX_JUMP, 3, true);
	hostile_case(VQM_DUPLICATE, 0, true);
	hostile_case(VQM_LEN_BIG, 0, false);
}

/* Make the device use queue q once; returns what the driver said. */
static int64_t provoke(int q)
{
	switch (q) {
	case VBAL_Q_INFLATE:
		return vb.b.ops->inflate(&vb.b, 600);
	case VBAL_Q_DEFLATE:
		return vb.b.ops->deflate(&vb.b, 600);
	case VBAL_Q_STATS:
		vbm_stats_request(&m);
		break;
	case VBAL_Q_HINT:
		vbm_set_cmd_id(&m, 0x80000000u);
		vbal_service(&vb); /* opens the round; the device answers */
		break;
	default:
		return vbal_report_free(&vb, 2);
	}
	vbal_service(&vb); /* reaps the answer */
	return 0;
}

struct hostile_queue {
	int q;
	enum vqm_hostile h;
	uint32_t arg;
	bool packed;
};

/*
 * Every queue, not only inflateq: a bad used entry on any of them (or a
 * packed descriptor with the wrong wrap or flags) makes the driver give
 * up on the device, reset it and take back every page: acknowledged
 * ones, ones in flight, hinted and reported blocks. The bad entry itself
 * is never followed; a real completion before it (DUPLICATE, IDX_JUMP)
 * may be.
 */
static void test_hostile_every_queue(void)
{
	static const struct hostile_queue c[] = {
		{VBAL_Q_INFLATE, VQM_ID_RANGE, 0, false},
		{VBAL_Q_INFLATE, VQM_IDX_JUMP, 50, false},
		{VBAL_Q_DEFLATE, VQM_ID_IDLE, 77, false},
		{VBAL_Q_DEFLATE, VQM_DUPLICATE, 0, false},
		{VBAL_Q_STATS, VQM_ID_RANGE, 0, false},
		{VBAL_Q_STATS, VQM_DUPLICATE, 0, false},
		{VBAL_Q_HINT, VQM_ID_IDLE, 1000, false},
		{VBAL_Q_REPORT, VQM_IDX_JUMP, 9, false},
		{VBAL_Q_REPORT, VQM_DUPLICATE, 0, false},
		{VBAL_Q_INFLATE, VQM_WRONG_WRAP, 0, true},
		{VBAL_Q_DEFLATE, VQM_BAD_FLAGS, 0, true},
		{VBAL_Q_STATS, VQM_WRONG_WRAP, 0, true},
		{VBAL_Q_HINT, VQM_BAD_FLAGS, 0, true},
		{VBAL_Q_REPORT, VQM_ID_RANGE, 0, true},
	};
	uint64_t kernel0 = mm_zone.count[PA_KERNEL];

	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint64_t packed =
			c[i].packed ? VQ_FEAT(VIRTIO_F_RING_PACKED) : 0;
		uint64_t inflated, deflated, one = VBAL_BATCH_PFNS;
		char why[96];
		bool real_first;
		int idx;

		UT_CHECK_EQ(rig_up(ALL_BALLOON | RING_BITS | packed, 0), 0);
		UT_CHECK_EQ(vb.b.ops->inflate(&vb.b, 2000), 2000);
		inflated = vb.b.counters.inflated;
		deflated = vb.b.counters.deflated;
		idx = m.qidx[c[i].q];
		m.q[idx].hostile = c[i].h;
		m.q[idx].hostile_arg = c[i].arg;
		provoke(c[i].q);
		if (vb.up)
			printf("    # case %u: the driver did not notice\n", i);
		UT_CHECK(!vb.up);
		UT_CHECK(m.saw_failed);	  /* §2.1.2 */
		UT_CHECK_EQ(m.status, 0); /* reset, §2.4 */
		UT_CHECK_EQ(vb.st.device_errors, 1);
		UT_CHECK(vb.error && vb.error[0]);
		real_first = c[i].h == VQM_DUPLICATE || c[i].h == VQM_IDX_JUMP;
		UT_CHECK(vb.b.counters.inflated - inflated <=
			 (real_first ? one : 0));
		UT_CHECK(vb.b.counters.deflated - deflated <=
			 (real_first ? one : 0));
		/* Every page is the guest's again, wherever it was. */
		UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 0);
		UT_CHECK_EQ(vb.b.size, 0);
		UT_CHECK_EQ(vb.inflight_pages + vb.hint_nr + vb.report_nr, 0);
		UT_CHECK_EQ(pa_check(&mm_zone, why, sizeof(why)), PA_OK);
		/* And the driver stays down. */
		UT_CHECK(!vbal_service(&vb));
		UT_CHECK_EQ(vb.b.ops->inflate(&vb.b, 10), VBAL_E_DOWN);
		UT_CHECK_EQ(vb.b.ops->deflate(&vb.b, 10), VBAL_E_DOWN);
		UT_CHECK_EQ(vbal_report_free(&vb, 1), VBAL_E_DOWN);
		UT_CHECK_EQ(vbal_oom(&vb, 10), 0);
		UT_CHECK_EQ(m.errors, 0);
		vbal_teardown(&vb);
		UT_CHECK_EQ(mm_zone.count[PA_KERNEL], kernel0);
	}
}

/* L3: lengths on these queues mean nothing; too long is clamped. */
static void test_long_used_len(void)
{
	UT_CHECK_EQ(rig_up(ALL_BALLOON | RING_BITS, 0), 0);
	UT_CHECK_EQ(vb.b.ops->inflate(&vb.b, 500), 500);
	m.q[1].hostile = VQM_LEN_BIG;
	UT_CHECK_EQ(vb.b.ops->deflate(&vb.b, 500), 500);
	m.q[4].hostile = VQM_LEN_BIG;
	UT_CHECK_EQ(vbal_report_free(&vb, 1), 1);
	m.q[2].hostile = VQM_LEN_BIG;
	UT_CHECK(vbm_stats_request(&m));
	vbal_service(&vb);
	UT_CHECK(vb.up);
	UT_CHECK_EQ(vb.vq[VBAL_Q_DEFLATE].len_clamped, 1);
	UT_CHECK_EQ(vb.vq[VBAL_Q_REPORT].len_clamped, 1);
	UT_CHECK_EQ(vb.vq[VBAL_Q_STATS].len_clamped, 1);
	/* The clamp leaves 0 (nothing on these buffers is writable), so
	 * the driver never sees the device's claim as a length. */
	UT_CHECK_EQ(vb.st.used_len_nonzero, 0);
	rig_check();
	rig_down();
}

/* num_pages from a broken device: garbage targets, the guest lives. */
static void test_garbage_targets(void)
{
	static const uint32_t t[] = {0xffffffffu, 0x80000000u, 7, 0};

	UT_CHECK_EQ(rig_up(0, 0), 0);
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		vbm_set_target(&m, t[i]);
		rig_follow();
		UT_CHECK(mm_zone.count[PA_FREE] >= VBM_RESERVE);
		UT_CHECK(vb.b.size == t[i] || vb.b.shortfall.active);
		rig_check();
	}
	UT_CHECK_EQ(vb.b.size, 0);
	rig_down();
}

static void test_hinting(void)
{
	UT_CHECK_EQ(rig_up(1u << VBAL_F_FREE_PAGE_HINT, 0), 0);
	vbm_set_cmd_id(&m, 0x80000000u);
	vbal_service(&vb);
	/* D25: the id once, D27: blocks, D29: STOP. */
	UT_CHECK_EQ(m.nhint_ids, 1);
	UT_CHECK_EQ(m.hint_ids[0], 0x80000000u);
	UT_CHECK(m.hint_blocks >= 1);
	UT_CHECK_EQ(m.hint_blocks, vb.hint_nr);
	UT_CHECK_EQ(m.hint_stops, 1);
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED],
		    (uint64_t)vb.hint_nr << VBAL_HINT_ORDER);
	UT_CHECK(mm_zone.count[PA_FREE] >= VBM_RESERVE);
	/* D26: the same id is not answered again. */
	vbal_service(&vb);
	UT_CHECK_EQ(m.nhint_ids, 1);
	/* D28: STOP asks for nothing more; D33: DONE gives pages back. */
	vbm_set_cmd_id(&m, VBAL_CMD_ID_STOP);
	vbal_service(&vb);
	UT_CHECK_EQ(m.nhint_ids, 1);
	vbm_set_cmd_id(&m, VBAL_CMD_ID_DONE);
	vbal_service(&vb);
	UT_CHECK_EQ(vb.hint_nr, 0);
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 0);
	UT_CHECK_EQ(vb.st.hint_done, 1);
	/* A new round with a new id. */
	vbm_set_cmd_id(&m, 0x80000001u);
	vbal_service(&vb);
	UT_CHECK_EQ(m.nhint_ids, 2);
	UT_CHECK_EQ(m.hint_stops, 2);
	rig_check();
	rig_down();
}

static void test_reporting(void)
{
	struct vbal_cfg c;
	bool poisoned = true;

	vbm_init(&m,
		 (1u << VBAL_F_PAGE_REPORTING) | (1u << VBAL_F_PAGE_POISON));
	c = vbm_cfg(&m);
	c.poison_val = 0x5a5a5a5a;
	UT_CHECK_EQ(vbal_init(&vb, &c), 0);
	UT_CHECK_EQ(vbal_report_free(&vb, 4), 4);
	UT_CHECK_EQ(m.report_bufs, 1);
	UT_CHECK_EQ(m.report_blocks, 4);
	/* D39: freed after the ack; D38: poisoned before the report. */
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 0);
	for (int i = 0; i < 4; i++) {
		const uint32_t *w =
			(const uint32_t *)(uintptr_t)(vb.report_pfn[i] << 12);

		poisoned &= w[0] == 0x5a5a5a5a && w[262143] == 0x5a5a5a5a;
	}
	UT_CHECK(poisoned);
	/* A device that holds the report: the blocks stay off limits. */
	m.no_ack[vb.qidx[VBAL_Q_REPORT]] = true;
	UT_CHECK_EQ(vbal_report_free(&vb, 2), VBAL_E_TIMEOUT);
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 2u << VBAL_REPORT_ORDER);
	m.no_ack[vb.qidx[VBAL_Q_REPORT]] = false;
	vbm_run(&m);
	vbal_service(&vb);
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 0);
	rig_check();
	rig_down();
}

/* A long seeded walk: targets, OOM, reports; the invariant every step. */
static void test_random_walk(void)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned bad = 0;

	UT_CHECK_EQ(rig_up(ALL_BALLOON | RING_BITS, 0), 0);
	for (int i = 0; i < 400; i++) {
		char why[160];
		uint32_t r;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		r = (uint32_t)(seed >> 16);
		if (r % 10 == 0)
			vbal_oom(&vb, r % 500);
		else if (r % 10 == 1)
			vbal_report_free(&vb, r % 3 + 1);
		else
			vbm_set_target(&m, r % (VBM_PAGES + 2000));
		rig_follow();
		if (vbal_check(&vb, true, why, sizeof(why)) != 0 ||
		    pa_check(&mm_zone, why, sizeof(why)) != PA_OK ||
		    m.balloon != vb.track.count ||
		    mm_zone.count[PA_FREE] < VBM_RESERVE) {
			if (!bad++)
				printf("    # step %d: %s\n", i, why);
		}
	}
	UT_CHECK_EQ(bad, 0);
	UT_CHECK_EQ(m.errors, 0);
	rig_down();
}

UT_MAIN(UT_TEST(test_silent_device), UT_TEST(test_silent_deflate),
	UT_TEST(test_hostile_devices), UT_TEST(test_hostile_every_queue),
	UT_TEST(test_long_used_len), UT_TEST(test_garbage_targets),
	UT_TEST(test_hinting), UT_TEST(test_reporting),
	UT_TEST(test_random_walk))
