/*
 * test_vbal.c - the virtio-balloon driver against an honest device model:
 * bring-up and queue numbering, inflate and deflate, the reserve floor,
 * poison, statistics, deflate-on-OOM, interrupts versus polling.
 * Requirement IDs are those of shared/reference/virtio-balloon.md.
 */
#include "tests/unit/vbal_rig.h"

static void test_bring_up_all_features(void)
{
	UT_CHECK_EQ(rig_up(ALL_BALLOON | RING_BITS, 0), 0);
	/* D1 and the rest: everything offered is taken. */
	UT_CHECK_EQ(m.driver_features, m.offered);
	UT_CHECK_EQ(vb.qidx[VBAL_Q_STATS], 2);
	UT_CHECK_EQ(vb.qidx[VBAL_Q_HINT], 3);
	UT_CHECK_EQ(vb.qidx[VBAL_Q_REPORT], 4);
	for (int q = 0; q < VBAL_NR_QUEUES; q++)
		UT_CHECK_EQ(vb.spec_qidx[q], q);
	/* D35: poison_val before DRIVER_OK; D17: stats buffer offered and
	 * with the device once it runs. */
	UT_CHECK(m.poison_written && m.poison_before_ok);
	UT_CHECK_EQ(m.stats_updates, 1);
	UT_CHECK_EQ(m.nheld[2], 1);
	UT_CHECK(m.status & VIRTIO_STATUS_DRIVER_OK);
	UT_CHECK_EQ(vbm_cfg32(&m, VBAL_CFG_ACTUAL), 0);
	rig_check();
	rig_down();
}

/* QEMU's numbering: compacted over what is offered (§5.5.2 is silent). */
static void test_queue_numbering(void)
{
	UT_CHECK_EQ(
		rig_up((1u << VBAL_F_STATS_VQ) | (1u << VBAL_F_PAGE_REPORTING),
		       0),
		0);
	UT_CHECK_EQ(vb.qidx[VBAL_Q_REPORT], 3);
	UT_CHECK_EQ(vb.spec_qidx[VBAL_Q_REPORT], 4);
	UT_CHECK_EQ(vb.qidx[VBAL_Q_HINT], -1);
	rig_down();

	UT_CHECK_EQ(rig_up(1u << VBAL_F_PAGE_REPORTING, 0), 0);
	UT_CHECK_EQ(vb.qidx[VBAL_Q_REPORT], 2);
	UT_CHECK_EQ(vb.qidx[VBAL_Q_STATS], -1);
	rig_down();

	/* Switched off by the driver, the queue keeps its device index. */
	UT_CHECK_EQ(rig_up(ALL_BALLOON, 1u << VBAL_F_STATS_VQ), 0);
	UT_CHECK(!(m.driver_features & (1u << VBAL_F_STATS_VQ)));
	UT_CHECK_EQ(vb.qidx[VBAL_Q_STATS], -1);
	UT_CHECK_EQ(vb.qidx[VBAL_Q_HINT], 3);
	UT_CHECK_EQ(vb.qidx[VBAL_Q_REPORT], 4);
	rig_down();
}

static void test_config_too_small(void)
{
	vbm_init(&m, ALL_BALLOON);
	m.dev.config_len = 8; /* PAGE_POISON needs 16 */
	{
		struct vbal_cfg c = vbm_cfg(&m);

		UT_CHECK_EQ(vbal_init(&vb, &c), VBAL_E_SETUP);
	}
	UT_CHECK(m.saw_failed);
	UT_CHECK_EQ(mm_zone.count[PA_KERNEL], 0); /* nothing leaked */
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 0);
}

static void test_inflate_deflate(void)
{
	uint64_t kernel0 = mm_zone.count[PA_KERNEL];

	UT_CHECK_EQ(rig_up(RING_BITS | (1u << VBAL_F_STATS_VQ), 0), 0);
	vbm_set_target(&m, 5000);
	rig_follow();
	UT_CHECK_EQ(vb.b.size, 5000);
	UT_CHECK_EQ(m.balloon, 5000);
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 5000);
	UT_CHECK_EQ(vbm_cfg32(&m, VBAL_CFG_ACTUAL), 5000);
	/* 256 PFNs a buffer at most, and several buffers per notification. */
	UT_CHECK_EQ(m.max_pfns_per_buf, VBAL_BATCH_PFNS);
	UT_CHECK(m.kicks_with_many > 0);
	UT_CHECK(m.inflate_bufs >= 5000 / VBAL_BATCH_PFNS);
	UT_CHECK(m.notifies[0] < m.inflate_bufs);
	rig_check();
	vbm_set_target(&m, 1234);
	rig_follow();
	UT_CHECK_EQ(vb.b.size, 1234);
	UT_CHECK_EQ(vbm_cfg32(&m, VBAL_CFG_ACTUAL), 1234);
	rig_check();
	vbm_set_target(&m, 0);
	rig_follow();
	UT_CHECK_EQ(vb.b.size, 0);
	UT_CHECK_EQ(vb.st.used_len_nonzero, 0);
	rig_check();
	rig_down();
	/* The PFN list and driver memory went back too. */
	UT_CHECK_EQ(mm_zone.count[PA_KERNEL], kernel0);
}

/* A target above memory stops at the reserve floor, with the reasons. */
static void test_reserve_floor(void)
{
	UT_CHECK_EQ(rig_up(0, 0), 0);
	vbm_set_target(&m, 0xffffffffu);
	rig_follow();
	UT_CHECK(vb.b.shortfall.active);
	UT_CHECK_EQ(vb.b.shortfall.target, 0xffffffffu);
	UT_CHECK_EQ(vb.b.shortfall.achieved, vb.b.size);
	UT_CHECK_EQ(vb.b.shortfall.reserve, VBM_RESERVE);
	UT_CHECK(mm_zone.count[PA_FREE] >= VBM_RESERVE);
	UT_CHECK(vb.b.size > VBM_PAGES / 2);
	rig_check();
	vbm_set_target(&m, 0);
	rig_follow();
	UT_CHECK_EQ(vb.b.size, 0);
	UT_CHECK(!vb.b.shortfall.active);
	rig_down();
}

/* Pinned and workload pages are never ballooned. */
static void test_never_pinned(void)
{
	int64_t pin = pa_alloc(&mm_zone, 8, PA_PINNED);

	UT_CHECK(pin > 0);
	UT_CHECK_EQ(rig_up(0, 0), 0);
	vbm_set_target(&m, 0xffffffffu);
	rig_follow();
	for (int i = 0; i < 256; i++)
		UT_CHECK_EQ(m.inflated[(uint64_t)pin + i - (VBM_BASE >> 12)],
			    0);
	UT_CHECK_EQ(vb.b.shortfall.pinned, 256);
	vbm_set_target(&m, 0);
	rig_follow();
	rig_down();
	pa_free(&mm_zone, (uint64_t)pin, 8, PA_PINNED);
}

/* D34: deflated pages come back filled with poison_val. */
static void test_poison(void)
{
	struct vbal_cfg c;
	const uint32_t *p;
	bool all = true;

	vbm_init(&m, 1u << VBAL_F_PAGE_POISON);
	c = vbm_cfg(&m);
	c.poison_val = 0xdeadbeef;
	UT_CHECK_EQ(vbal_init(&vb, &c), 0);
	UT_CHECK_EQ(vbm_cfg32(&m, VBAL_CFG_POISON_VAL), 0xdeadbeef);
	vb.b.ops->inflate(&vb.b, 10);
	vb.b.ops->deflate(&vb.b, 10);
	p = (const uint32_t *)(uintptr_t)((uint64_t)m.last_deflated << 12);
	for (int i = 0; i < 1024; i++)
		all &= p[i] == 0xdeadbeef;
	UT_CHECK(all);
	UT_CHECK_EQ(vb.st.poisoned_pages, 10);
	rig_check();
	rig_down();
}

static void test_stats(void)
{
	UT_CHECK_EQ(rig_up(1u << VBAL_F_STATS_VQ, 0), 0);
	UT_CHECK_EQ(m.nstats, VBAL_NR_STATS);
	UT_CHECK_EQ(m.stats[2].tag, VBAL_S_MEMFREE);
	UT_CHECK_EQ(m.stats[2].val, mm_zone.count[PA_FREE] * 4096);
	UT_CHECK_EQ(m.stats[3].val, mm_zone.managed * 4096);
	vb.b.ops->inflate(&vb.b, 100);
	for (int i = 0; i < 3; i++) {
		UT_CHECK(vbm_stats_request(&m));
		vbal_service(&vb); /* D18: refilled and offered at once */
		UT_CHECK_EQ(m.nheld[2], 1);
	}
	UT_CHECK_EQ(m.stats_updates, 4);
	UT_CHECK_EQ(vb.st.stats_sent, 3);
	/* D23: the same tags, now with the balloon taken out of free. */
	UT_CHECK_EQ(m.nstats, VBAL_NR_STATS);
	UT_CHECK_EQ(m.stats[0].tag, VBAL_S_SWAP_IN);
	UT_CHECK_EQ(m.stats[5].tag, VBAL_S_CACHES);
	UT_CHECK_EQ(m.stats[2].val, mm_zone.count[PA_FREE] * 4096);
	/* D16: servicing with no request offers nothing new. */
	vbal_service(&vb);
	UT_CHECK_EQ(m.stats_updates, 4);
	rig_check();
	rig_down();
}

static void oom_case(bool feature)
{
	uint64_t before;

	UT_CHECK_EQ(rig_up(1u << VBAL_F_DEFLATE_ON_OOM,
			   feature ? 0 : 1u << VBAL_F_DEFLATE_ON_OOM),
		    0);
	vb.b.ops->inflate(&vb.b, 1000);
	before = m.deflate_bufs;
	if (feature) {
		UT_CHECK_EQ(vbal_oom(&vb, 300), 300);
		UT_CHECK_EQ(vb.b.size, 700);
		UT_CHECK(m.deflate_bufs > before); /* D9: through deflateq */
		UT_CHECK_EQ(vbm_cfg32(&m, VBAL_CFG_ACTUAL), 700);
	} else {
		UT_CHECK_EQ(vbal_oom(&vb, 300), 0); /* D7 */
		UT_CHECK_EQ(vb.b.size, 1000);
		UT_CHECK_EQ(m.deflate_bufs, before);
	}
	rig_check();
	rig_down();
}

static void test_deflate_on_oom(void)
{
	oom_case(true);
	oom_case(false);
}

/* With an interrupt the target is re-read only when one says so. */
static void test_interrupt_vs_poll(void)
{
	struct vbal_cfg c;

	vbm_init(&m, 0);
	c = vbm_cfg(&m);
	c.irq_mode = VIRTIO_IRQ_INTX;
	UT_CHECK_EQ(vbal_init(&vb, &c), 0);
	vbm_set_target(&m, 77);
	UT_CHECK(!vbal_service(&vb));
	vbal_interrupt(&vb, VIRTIO_ISR_QUEUE);
	UT_CHECK(!vbal_service(&vb));
	vbal_interrupt(&vb, VIRTIO_ISR_CONFIG);
	UT_CHECK(vbal_service(&vb));
	UT_CHECK_EQ(vb.num_pages, 77);
	UT_CHECK_EQ(vb.st.config_irqs, 1);
	rig_down();

	UT_CHECK_EQ(rig_up(0, 0), 0); /* polling: always re-read */
	vbm_set_target(&m, 78);
	UT_CHECK(vbal_service(&vb));
	UT_CHECK_EQ(vbal_change(&vb), 78);
	rig_down();
}

/* The packed ring and the plain split ring carry the same protocol. */
static void test_ring_variants(void)
{
	UT_CHECK_EQ(rig_up(VQ_FEAT(VIRTIO_F_RING_PACKED) | RING_BITS, 0), 0);
	UT_CHECK(m.driver_features & VQ_FEAT(VIRTIO_F_RING_PACKED));
	vbm_set_target(&m, 3000);
	rig_follow();
	UT_CHECK_EQ(vb.b.size, 3000);
	rig_check();
	rig_down();
	UT_CHECK_EQ(rig_up(0, 0), 0);
	vbm_set_target(&m, 3000);
	rig_follow();
	UT_CHECK_EQ(vb.b.size, 3000);
	rig_check();
	rig_down();
}

UT_MAIN(UT_TEST(test_bring_up_all_features), UT_TEST(test_queue_numbering),
	UT_TEST(test_config_too_small), UT_TEST(test_inflate_deflate),
	UT_TEST(test_reserve_floor), UT_TEST(test_never_pinned),
	UT_TEST(test_poison), UT_TEST(test_stats), UT_TEST(test_deflate_on_oom),
	UT_TEST(test_interrupt_vs_poll), UT_TEST(test_ring_variants))
