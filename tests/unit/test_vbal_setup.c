/*
 * test_vbal_setup.c - virtio-balloon bring-up against the device model:
 * how queues are numbered for every mix of optional queues (and on a
 * device that numbers them as §5.5.2 reads literally), config spaces of
 * every size seen in the field, refusals, the order of the bring-up steps,
 * legacy devices, small rings and the driver's batching knobs, and the
 * discriminating probe requests (chained and indirect PFN buffers).
 *
 * Bring-up is where a driver and a VMM first disagree, and a wrong queue
 * index is silent: the driver talks to the wrong ring and nothing fails
 * until pages go missing. So every case here also moves pages (and hints
 * and reports where offered) through the queues it set up.
 * Requirement IDs are those of shared/reference/virtio-balloon.md.
 */
#include "tests/unit/vbal_rig.h"

#define BIT(b) (1ull << (b))

/* Inflate, deflate and use each optional queue once. */
static void exercise_queues(void)
{
	unsigned ids = m.nhint_ids, blocks = m.hint_blocks;
	unsigned reported = m.report_blocks, updates = m.stats_updates;

	UT_CHECK_EQ(vb.b.ops->inflate(&vb.b, 700), 700);
	UT_CHECK_EQ(m.balloon, 700);
	if (vb.qidx[VBAL_Q_HINT] >= 0) {
		vbm_set_cmd_id(&m, 0x80000000u);
		vbal_service(&vb);
		UT_CHECK_EQ(m.nhint_ids, ids + 1);
		UT_CHECK_EQ(m.hint_blocks, blocks + vb.hint_nr);
		vbm_set_cmd_id(&m, VBAL_CMD_ID_DONE);
		vbal_service(&vb);
	}
	if (vb.qidx[VBAL_Q_REPORT] >= 0) {
		UT_CHECK_EQ(vbal_report_free(&vb, 2), 2);
		UT_CHECK_EQ(m.report_blocks, reported + 2);
	}
	if (vb.qidx[VBAL_Q_STATS] >= 0) {
		UT_CHECK(vbm_stats_request(&m));
		vbal_service(&vb);
		UT_CHECK_EQ(m.stats_updates, updates + 1);
	}
	UT_CHECK_EQ(vb.b.ops->deflate(&vb.b, 700), 700);
	UT_CHECK_EQ(m.balloon, 0);
	rig_check();
}

struct numbering {
	uint64_t offered;
	int stats, hint, report; /* QEMU's (compacted) indexes */
};

/* Every mix: each optional queue takes the next free index. */
static void test_numbering_every_mix(void)
{
	static const struct numbering c[] = {
		{0, -1, -1, -1},
		{BIT(VBAL_F_STATS_VQ), 2, -1, -1},
		{BIT(VBAL_F_FREE_PAGE_HINT), -1, 2, -1},
		{BIT(VBAL_F_PAGE_REPORTING), -1, -1, 2},
		{BIT(VBAL_F_STATS_VQ) | BIT(VBAL_F_FREE_PAGE_HINT), 2, 3, -1},
		{BIT(VBAL_F_STATS_VQ) | BIT(VBAL_F_PAGE_REPORTING), 2, -1, 3},
		{BIT(VBAL_F_FREE_PAGE_HINT) | BIT(VBAL_F_PAGE_REPORTING), -1,
		 2, 3},
		{ALL_BALLOON, 2, 3, 4},
	};

	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		UT_CHECK_EQ(rig_up(c[i].offered, 0), 0);
		UT_CHECK_EQ(vb.qidx[VBAL_Q_INFLATE], 0);
		UT_CHECK_EQ(vb.qidx[VBAL_Q_DEFLATE], 1);
		UT_CHECK_EQ(vb.qidx[VBAL_Q_STATS], c[i].stats);
		UT_CHECK_EQ(vb.qidx[VBAL_Q_HINT], c[i].hint);
		UT_CHECK_EQ(vb.qidx[VBAL_Q_REPORT], c[i].report);
		/* The spec's own numbers, kept for the report. */
		UT_CHECK_EQ(vb.spec_qidx[VBAL_Q_HINT],
			    c[i].hint >= 0 ? VBAL_Q_HINT : -1);
		UT_CHECK_EQ(vb.spec_qidx[VBAL_Q_REPORT],
			    c[i].report >= 0 ? VBAL_Q_REPORT : -1);
		for (int q = 0; q < VBAL_NR_QUEUES; q++)
			if (m.qidx[q] >= 0)
				UT_CHECK(m.active[m.qidx[q]]);
		exercise_queues();
		rig_down();
	}
}

/*
 * A device with the spec's fixed numbers (old crosvm did this): the
 * driver finds no queue at the compacted index and falls back. Once one
 * queue has fallen back, the later ones must too: with hinting and
 * reporting but no stats, reporting's compacted index 3 IS the hint queue
 * on such a device.
 */
static void test_numbering_spec_device(void)
{
	static const struct numbering c[] = {
		{BIT(VBAL_F_PAGE_REPORTING), -1, -1, 4},
		{BIT(VBAL_F_FREE_PAGE_HINT), -1, 3, -1},
		{BIT(VBAL_F_STATS_VQ) | BIT(VBAL_F_PAGE_REPORTING), 2, -1, 4},
		{BIT(VBAL_F_FREE_PAGE_HINT) | BIT(VBAL_F_PAGE_REPORTING), -1,
		 3, 4},
	};

	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct vbal_cfg cfg;

		vbm_init(&m, c[i].offered);
		vbm_number_by_spec(&m);
		cfg = vbm_cfg(&m);
		UT_CHECK_EQ(vbal_init(&vb, &cfg), 0);
		UT_CHECK_EQ(vb.qidx[VBAL_Q_STATS], c[i].stats);
		UT_CHECK_EQ(vb.qidx[VBAL_Q_HINT], c[i].hint);
		UT_CHECK_EQ(vb.qidx[VBAL_Q_REPORT], c[i].report);
		exercise_queues();
		rig_down();
	}
}

struct cfg_case {
	uint64_t offered, off;
	unsigned len;
	int rc;
};

/* 8, 12, 16 and 20 bytes are all seen; only "too small" is refused. */
static void test_config_sizes(void)
{
	static const struct cfg_case c[] = {
		{0, 0, 8, 0},
		{ALL_BALLOON, 0, 16, 0},
		{ALL_BALLOON, 0, 20, 0},
		{ALL_BALLOON, 0, 0, 0}, /* transport cannot tell: trusted */
		{ALL_BALLOON, 0, 12, VBAL_E_SETUP},
		{BIT(VBAL_F_FREE_PAGE_HINT), 0, 12, 0},
		{BIT(VBAL_F_FREE_PAGE_HINT), 0, 8, VBAL_E_SETUP},
		/* Poison switched off: the hint id's 12 bytes suffice. */
		{ALL_BALLOON, BIT(VBAL_F_PAGE_POISON), 12, 0},
	};
	uint64_t kernel0 = mm_zone.count[PA_KERNEL];

	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct vbal_cfg cfg;

		vbm_init(&m, c[i].offered);
		m.dev.config_len = c[i].len;
		cfg = vbm_cfg(&m);
		cfg.features_off = c[i].off;
		UT_CHECK_EQ(vbal_init(&vb, &cfg), c[i].rc);
		if (c[i].rc == 0) {
			UT_CHECK(vb.up);
			exercise_queues();
			rig_down();
			continue;
		}
		UT_CHECK(m.saw_failed); /* §2.1.2 */
		UT_CHECK(!vb.up);
		UT_CHECK_EQ(vb.b.ops->inflate(&vb.b, 1), VBAL_E_DOWN);
		UT_CHECK_EQ(mm_zone.count[PA_KERNEL], kernel0);
	}
}

/* FEATURES_OK refused, MSI-X config vector refused, wrong arguments. */
static void test_refusals(void)
{
	uint64_t kernel0 = mm_zone.count[PA_KERNEL];
	struct vbal_cfg cfg;

	vbm_init(&m, ALL_BALLOON);
	m.refuse_features_ok = true;
	cfg = vbm_cfg(&m);
	UT_CHECK_EQ(vbal_init(&vb, &cfg), VBAL_E_SETUP);
	UT_CHECK(m.saw_failed);
	UT_CHECK_EQ(mm_zone.count[PA_KERNEL], kernel0);

	vbm_init(&m, ALL_BALLOON);
	m.refuse_msix = true;
	cfg = vbm_cfg(&m);
	cfg.irq_mode = VIRTIO_IRQ_MSIX;
	UT_CHECK_EQ(vbal_init(&vb, &cfg), VBAL_E_SETUP);
	UT_CHECK(m.saw_failed);
	UT_CHECK_EQ(mm_zone.count[PA_KERNEL], kernel0);

	vbm_init(&m, ALL_BALLOON); /* the vector taken: MSI-X works */
	cfg = vbm_cfg(&m);
	cfg.irq_mode = VIRTIO_IRQ_MSIX;
	UT_CHECK_EQ(vbal_init(&vb, &cfg), 0);
	rig_down();

	vbm_init(&m, 0);
	m.dev.device_id = 4; /* an entropy device */
	cfg = vbm_cfg(&m);
	UT_CHECK_EQ(vbal_init(&vb, &cfg), VBAL_E_ARG);
	UT_CHECK_EQ(m.status, 0); /* never touched */
	UT_CHECK_EQ(vbal_init(&vb, NULL), VBAL_E_ARG);
	UT_CHECK_EQ(mm_zone.count[PA_KERNEL], kernel0);
}

/* D1 and the rest: every balloon and ring bit offered is taken, bits
 * the driver does not know (or must not take) never are. */
static void test_features_taken(void)
{
	uint64_t unknown = BIT(6) | BIT(24) | BIT(27) | BIT(33) | BIT(35) |
			   BIT(38) | BIT(40);
	uint64_t known = ALL_BALLOON | VBAL_FEATURES_RING;

	UT_CHECK_EQ(rig_up(known | unknown, 0), 0);
	UT_CHECK_EQ(m.driver_features,
		    known | VQ_FEAT(VIRTIO_F_VERSION_1));
	UT_CHECK(m.driver_features & BIT(VBAL_F_MUST_TELL_HOST));
	UT_CHECK_EQ(m.errors, 0); /* nothing unoffered either */
	exercise_queues();
	rig_down();
}

/*
 * §5.5.5's order: poison_val, then the first stats buffer (filled, D19)
 * is added, then DRIVER_OK, and only then the stats queue is notified.
 * On both ring layouts, since "a buffer is available" is read differently.
 */
static void test_bring_up_order(void)
{
	for (int packed = 0; packed < 2; packed++) {
		UT_CHECK_EQ(rig_up(ALL_BALLOON | RING_BITS |
					   (packed ? VQ_FEAT(VIRTIO_F_RING_PACKED)
						   : 0),
				   0),
			    0);
		UT_CHECK(m.poison_written && m.poison_before_ok); /* D35 */
		UT_CHECK(m.stats_ready_at_ok);			  /* D17 */
		UT_CHECK_EQ(m.early_notifies, 0);
		UT_CHECK_EQ(m.notifies[2], 1);
		UT_CHECK_EQ(m.stats_updates, 1);
		UT_CHECK_EQ(m.stats[3].tag, VBAL_S_MEMTOT); /* D19 */
		UT_CHECK(m.stats[3].val > 0);
		UT_CHECK_EQ(m.actual_writes, 1); /* "actual is 0" */
		rig_check();
		rig_down();
	}
}

/* A legacy (transitional) device: 32 feature bits, no FEATURES_OK, the
 * legacy split layout; the balloon protocol is the same. */
static void test_legacy_device(void)
{
	struct vbal_cfg cfg;

	vbm_init(&m, ALL_BALLOON | RING_BITS | VQ_FEAT(VIRTIO_F_RING_PACKED));
	m.offered &= ~VQ_FEAT(VIRTIO_F_VERSION_1);
	m.dev.legacy = true;
	cfg = vbm_cfg(&m);
	UT_CHECK_EQ(vbal_init(&vb, &cfg), 0);
	UT_CHECK_EQ(m.driver_features >> 32, 0);
	UT_CHECK(!(m.status & VIRTIO_STATUS_FEATURES_OK));
	UT_CHECK_EQ(m.q[0].a.layout, VQ_LAYOUT_SPLIT_LEGACY);
	exercise_queues();
	rig_down();
}

/* batch_pfns caps every buffer (256 by default, 1024 at most); max_bufs
 * caps the buffers one notification carries. */
static void test_batch_knobs(void)
{
	static const unsigned batch[] = {100, 1, 5000};
	static const unsigned expect[] = {100, 1, 1024};

	for (unsigned i = 0; i < 3; i++) {
		struct vbal_cfg cfg;

		vbm_init(&m, 0);
		cfg = vbm_cfg(&m);
		cfg.batch_pfns = batch[i];
		cfg.max_bufs = 3;
		UT_CHECK_EQ(vbal_init(&vb, &cfg), 0);
		UT_CHECK_EQ(vb.b.ops->inflate(&vb.b, 3000), 3000);
		UT_CHECK_EQ(m.max_pfns_per_buf, expect[i]);
		UT_CHECK_EQ(m.inflate_bufs,
			    (3000 + expect[i] - 1) / expect[i]);
		/* At most 3 buffers a notification, so at least this many. */
		UT_CHECK(m.notifies[0] >= (m.inflate_bufs + 2) / 3);
		UT_CHECK_EQ(vb.b.ops->deflate(&vb.b, 3000), 3000);
		UT_CHECK_EQ(m.max_pfns_per_buf, expect[i]);
		rig_check();
		rig_down();
	}
}

/* Rings smaller than the driver's buffers: rounds simply get shorter. */
static void test_small_rings(void)
{
	static const uint16_t size[] = {1, 4};

	for (int packed = 0; packed < 2; packed++)
		for (unsigned i = 0; i < 2; i++) {
			struct vbal_cfg cfg;

			vbm_init(&m, RING_BITS | (packed ? VQ_FEAT(
							   VIRTIO_F_RING_PACKED)
							 : 0));
			m.qmax[0] = m.qmax[1] = size[i];
			cfg = vbm_cfg(&m);
			UT_CHECK_EQ(vbal_init(&vb, &cfg), 0);
			vbm_set_target(&m, 2500);
			rig_follow();
			UT_CHECK_EQ(vb.b.size, 2500);
			UT_CHECK_EQ(m.q[0].size, size[i]);
			vbm_set_target(&m, 0);
			rig_follow();
			UT_CHECK_EQ(vb.b.size, 0);
			rig_check();
			rig_down();
		}
}

/* The driver's queue_max caps what it sets up; a hint round fits in it. */
static void test_queue_max(void)
{
	struct vbal_cfg cfg;

	vbm_init(&m, ALL_BALLOON);
	cfg = vbm_cfg(&m);
	cfg.queue_max = 16;
	UT_CHECK_EQ(vbal_init(&vb, &cfg), 0);
	UT_CHECK_EQ(m.q[3].size, 16); /* the device offered 1024 */
	vbm_set_cmd_id(&m, 7);
	vbal_service(&vb);
	UT_CHECK_EQ(m.nhint_ids, 1);
	UT_CHECK_EQ(m.hint_stops, 1); /* D29: room kept for STOP */
	UT_CHECK(vb.hint_nr <= 14);
	exercise_queues();
	rig_down();
}

/* The probes: one request over a 2-descriptor chain, then through an
 * indirect table. The device reads every PFN either way. */
static void test_probe_requests(void)
{
	uint32_t pfns[10], len = 99;

	UT_CHECK_EQ(rig_up(RING_BITS, 0), 0);
	for (int i = 0; i < 10; i++) {
		int64_t p = pa_alloc(&mm_zone, 0, PA_BALLOONED);

		pfns[i] = (uint32_t)p;
		memset((void *)(uintptr_t)((uint64_t)p << 12), 0x5a, 4096);
	}
	UT_CHECK_EQ(vbal_probe_request(&vb, VBAL_Q_INFLATE, pfns, 10, 2, false,
				       &len),
		    0);
	UT_CHECK_EQ(len, 0);
	UT_CHECK_EQ(m.balloon, 10);
	UT_CHECK_EQ(*(uint8_t *)(uintptr_t)((uint64_t)pfns[9] << 12), 0);
	UT_CHECK_EQ(vbal_probe_request(&vb, VBAL_Q_DEFLATE, pfns, 10, 1, true,
				       NULL),
		    0);
	UT_CHECK_EQ(m.balloon, 0);
	/* Refused before anything reaches the ring. */
	UT_CHECK_EQ(vbal_probe_request(&vb, VBAL_Q_INFLATE, pfns, 10, 3, false,
				       NULL),
		    VBAL_E_ARG);
	UT_CHECK_EQ(vbal_probe_request(&vb, VBAL_Q_STATS, pfns, 1, 1, false,
				       NULL),
		    VBAL_E_ARG);
	UT_CHECK_EQ(vbal_probe_request(&vb, VBAL_Q_INFLATE, pfns, 0, 1, false,
				       NULL),
		    VBAL_E_ARG);
	UT_CHECK_EQ(m.inflate_bufs + m.deflate_bufs, 2);
	for (int i = 0; i < 10; i++)
		pa_free(&mm_zone, pfns[i], 0, PA_BALLOONED);
	rig_check();
	rig_down();

	UT_CHECK_EQ(rig_up(0, 0), 0); /* no INDIRECT_DESC negotiated */
	UT_CHECK_EQ(vbal_probe_request(&vb, VBAL_Q_INFLATE, pfns, 2, 1, true,
				       NULL),
		    VBAL_E_ARG);
	rig_down();
}

UT_MAIN(UT_TEST(test_numbering_every_mix), UT_TEST(test_numbering_spec_device),
	UT_TEST(test_config_sizes), UT_TEST(test_refusals),
	UT_TEST(test_features_taken), UT_TEST(test_bring_up_order),
	UT_TEST(test_legacy_device), UT_TEST(test_batch_knobs),
	UT_TEST(test_small_rings), UT_TEST(test_queue_max),
	UT_TEST(test_probe_requests))
