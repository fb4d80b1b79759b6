/*
 * test_vbal_async.c - the virtio-balloon driver against devices that do
 * not answer at once: one that works only while the driver idles (as a
 * real VMM's iothread does), one slower than the driver's timeout, one
 * that stays silent; teardown with every kind of buffer still out; and a
 * long seeded walk over an unreliable device.
 *
 * Timeouts are where balloon drivers lose pages or give the host more
 * than it asked for: a page whose acknowledgement comes late must neither
 * be reused (D10, D12) nor be asked for twice. The device model checks
 * the first two on every answer; the walk checks the last one after every
 * step: pages in the balloon plus pages on their way in never grow past
 * the larger of the target and what was already there.
 */
#include "tests/unit/vbal_rig.h"

/* Pages on inflateq that the device has not answered yet. */
static uint64_t inflate_pending(void)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < vb.nbufs; i++)
		if (vb.bufs[i].queue == VBAL_Q_INFLATE)
			n += vb.bufs[i].n;
	return n;
}

/* A device that works from its own thread: answers while we idle. */
static void test_async_device(void)
{
	for (int packed = 0; packed < 2; packed++) {
		UT_CHECK_EQ(rig_up(RING_BITS | (1u << VBAL_F_STATS_VQ) |
					   (packed ? VQ_FEAT(VIRTIO_F_RING_PACKED)
						   : 0),
				   0),
			    0);
		m.defer = true;
		m.answer_every = 3;
		vbm_set_target(&m, 5000);
		rig_follow();
		UT_CHECK_EQ(vb.b.size, 5000);
		UT_CHECK_EQ(vbm_cfg32(&m, VBAL_CFG_ACTUAL), 5000);
		vbm_set_target(&m, 100);
		rig_follow();
		UT_CHECK_EQ(vb.b.size, 100);
		UT_CHECK_EQ(vb.st.ack_timeouts, 0);
		UT_CHECK(m.idle_calls > 0); /* it did wait, and idled */
		rig_check();
		rig_down();
	}
}

/*
 * Pages still on inflateq when the wait ran out are on their way into the
 * balloon. A driver that forgets them asks for them again when the next
 * target comes, and once the device answers the balloon is larger than
 * the host wanted (and run=follow, which moves only on target changes,
 * stays there).
 */
static void test_late_acks_no_overshoot(void)
{
	UT_CHECK_EQ(rig_up(0, 0), 0);
	m.defer = true; /* silent until vbm_run */
	vbm_set_target(&m, 600);
	rig_follow();
	UT_CHECK_EQ(vb.b.size, 0);
	UT_CHECK_EQ(inflate_pending(), 600);
	UT_CHECK_EQ(vbm_cfg32(&m, VBAL_CFG_ACTUAL), 0); /* D14: not yet */
	vbm_set_target(&m, 1000);
	rig_follow();
	UT_CHECK_EQ(vb.track.count + inflate_pending(), 1000);
	vbm_run(&m);
	vbal_service(&vb); /* the late answers are picked up here */
	UT_CHECK_EQ(vb.b.size, 1000);
	UT_CHECK_EQ(m.balloon, 1000);
	UT_CHECK_EQ(vbm_cfg32(&m, VBAL_CFG_ACTUAL), 1000);
	/* Target lowered while pages are in flight: nothing more asked. */
	vbm_set_target(&m, 1500);
	rig_follow();
	vbm_set_target(&m, 1200);
	rig_follow();
	UT_CHECK_EQ(vb.track.count + inflate_pending(), 1500);
	m.defer = false;
	vbm_run(&m);
	rig_follow(); /* answers in, then down to the target */
	UT_CHECK_EQ(vb.b.size, 1200);
	UT_CHECK_EQ(m.balloon, 1200);
	rig_check();
	rig_down();
}

/* Slower than the driver's timeout, but not silent: it gets there. */
static void test_slow_device(void)
{
	UT_CHECK_EQ(rig_up(RING_BITS, 0), 0);
	m.defer = true;
	m.answer_every = 80; /* the driver gives up after ~50 idles */
	vbm_set_target(&m, 3000);
	for (int i = 0; i < 20 && vb.b.size != 3000; i++)
		rig_follow();
	UT_CHECK_EQ(vb.b.size, 3000);
	UT_CHECK(vb.st.ack_timeouts >= 1);
	UT_CHECK_EQ(m.deflate_bufs, 0); /* never overshot */
	vbm_set_target(&m, 0);
	for (int i = 0; i < 20 && vb.b.size; i++)
		rig_follow();
	UT_CHECK_EQ(vb.b.size, 0);
	/* Pages whose deflate is unanswered are out of the balloon's count
	 * but not yet the guest's (D10); a real device answers on its own
	 * time and the next service frees them. */
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], vb.inflight_pages);
	vbm_run(&m);
	vbal_service(&vb);
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 0);
	UT_CHECK_EQ(vbm_cfg32(&m, VBAL_CFG_ACTUAL), 0);
	UT_CHECK_EQ(m.balloon, 0);
	rig_check();
	rig_down();
}

/* Teardown with acked pages, a stuck inflate, a held report, an open
 * hint round and the stats buffer all out: everything comes back. */
static void test_teardown_everything_out(void)
{
	uint64_t kernel0 = mm_zone.count[PA_KERNEL];
	char why[96];

	UT_CHECK_EQ(rig_up(ALL_BALLOON | RING_BITS, 0), 0);
	UT_CHECK_EQ(vb.b.ops->inflate(&vb.b, 3000), 3000);
	vbm_set_cmd_id(&m, 0x80000000u);
	vbal_service(&vb);
	UT_CHECK(vb.hint_nr > 0);
	m.no_ack[0] = true;
	UT_CHECK_EQ(vb.b.ops->inflate(&vb.b, 500), VBAL_E_TIMEOUT);
	m.no_ack[vb.qidx[VBAL_Q_REPORT]] = true;
	UT_CHECK_EQ(vbal_report_free(&vb, 2), VBAL_E_TIMEOUT);
	UT_CHECK_EQ(m.errors, 0);
	vbal_teardown(&vb);
	UT_CHECK_EQ(m.status, 0);
	UT_CHECK_EQ(m.deflate_bufs, 3000 / VBAL_BATCH_PFNS + 1); /* D9 */
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 0);
	UT_CHECK_EQ(mm_zone.count[PA_KERNEL], kernel0);
	UT_CHECK_EQ(pa_check(&mm_zone, why, sizeof(why)), PA_OK);
	UT_CHECK_EQ(m.errors, 0);
}

/* A config space whose generation never settles: reads are bounded. */
static void test_generation_never_settles(void)
{
	UT_CHECK_EQ(rig_up(0, 0), 0);
	vbm_set_target(&m, 800);
	rig_follow();
	UT_CHECK_EQ(vb.b.size, 800);
	m.flapping_generation = true;
	vbal_service(&vb); /* returns: 16 tries, then gives up */
	UT_CHECK(m.dev.config_retries >= 16);
	/* A failed read counts as num_pages 0, so the balloon empties:
	 * the safe direction for the guest. It must never grow on one. */
	rig_follow();
	UT_CHECK(vb.b.size <= 800);
	m.flapping_generation = false;
	rig_follow();
	UT_CHECK_EQ(vb.b.size, 800);
	rig_check();
	rig_down();
}

/* Deflate-on-OOM at the edges: empty balloon, more than it holds, and a
 * device that does not acknowledge (the pages stay the host's, D10). */
static void test_oom_edges(void)
{
	UT_CHECK_EQ(rig_up(1u << VBAL_F_DEFLATE_ON_OOM, 0), 0);
	UT_CHECK_EQ(vbal_oom(&vb, 100), 0);
	UT_CHECK_EQ(vb.b.ops->inflate(&vb.b, 300), 300);
	UT_CHECK_EQ(vbal_oom(&vb, 1000), 300);
	UT_CHECK_EQ(vb.b.size, 0);
	UT_CHECK_EQ(vb.st.oom_pages, 300);
	UT_CHECK_EQ(vb.b.ops->inflate(&vb.b, 300), 300);
	m.no_ack[1] = true;
	UT_CHECK_EQ(vbal_oom(&vb, 200), VBAL_E_TIMEOUT);
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 300);
	m.no_ack[1] = false;
	vbm_run(&m);
	vbal_service(&vb);
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 100);
	UT_CHECK_EQ(vbm_cfg32(&m, VBAL_CFG_ACTUAL), 100);
	rig_check();
	rig_down();
}

/* What the walk's device does in one step. */
static void unreliable_device(uint32_t r)
{
	static const unsigned every[] = {0, 1, 3, 80};

	m.defer = r % 3 == 0;
	m.answer_every = every[(r >> 2) % 4];
	m.no_ack[0] = (r >> 4) % 7 == 0;
	m.no_ack[1] = (r >> 7) % 7 == 0;
	if (!m.defer)
		vbm_run(&m); /* what it held, it answers now */
	if ((r >> 10) % 4 == 0)
		vbm_stats_request(&m);
}

/* The walk's per-step invariant; false with why filled in. */
static bool walk_ok(uint64_t before, uint32_t target, char *why,
		    unsigned len)
{
	uint64_t after = vb.track.count + inflate_pending();

	if (after > before && after > target) {
		snprintf(why, len, "%llu pages asked for, target %u",
			 (unsigned long long)after, target);
		return false;
	}
	if (vbal_check(&vb, true, why, len) != 0 ||
	    pa_check(&mm_zone, why, len) != PA_OK)
		return false;
	if (mm_zone.count[PA_FREE] < VBM_RESERVE) {
		snprintf(why, len, "below the reserve");
		return false;
	}
	return true;
}

/*
 * 500 steps over a device that is by turns prompt, asynchronous, slow and
 * silent on either page queue, with targets, OOM, reports, hint rounds and
 * stats requests mixed in. After each: the driver's accounting agrees
 * with the allocator, the device saw no rule broken, the reserve holds,
 * and the balloon (with what is on its way in) never outgrew the larger of
 * the target and what it held before.
 */
static void test_unreliable_walk(void)
{
	uint64_t seed = 0x2545f4914f6cdd1dull;
	uint32_t hint_id = 0x80000000u;
	unsigned bad = 0;

	UT_CHECK_EQ(rig_up(ALL_BALLOON | RING_BITS, 0), 0);
	for (int i = 0; i < 500 && vb.up; i++) {
		uint64_t before = vb.track.count + inflate_pending();
		uint32_t r, target = vbm_cfg32(&m, VBAL_CFG_NUM_PAGES);
		char why[160];

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		r = (uint32_t)(seed >> 24);
		unreliable_device(r);
		switch ((r >> 13) % 12) {
		case 0:
			vbal_oom(&vb, r % 700);
			break;
		case 1:
			vbal_report_free(&vb, r % 3 + 1);
			break;
		case 2:
			vbm_set_cmd_id(&m, (r >> 16) % 3 ? hint_id++
							 : VBAL_CMD_ID_DONE);
			break;
		case 3:
			vbm_set_cmd_id(&m, VBAL_CMD_ID_STOP);
			break;
		default:
			target = r % (VBM_PAGES + 2000);
			vbm_set_target(&m, target);
		}
		rig_follow();
		if (!walk_ok(before, target, why, sizeof(why)) && !bad++)
			printf("    # step %d: %s\n", i, why);
	}
	UT_CHECK(vb.up);
	UT_CHECK_EQ(bad, 0);
	UT_CHECK_EQ(m.errors, 0);
	/* The walk went through what it claims to. */
	UT_CHECK(vb.st.ack_timeouts > 10);
	UT_CHECK(vb.st.hint_rounds > 5 && vb.st.hint_done > 0);
	UT_CHECK(vb.st.report_bufs > 5);
	UT_CHECK(vb.st.oom_pages > 0);
	UT_CHECK(vb.st.stats_requests > 10);
	/* Let the device catch up: then it and the driver agree exactly. */
	m.defer = false;
	memset(m.no_ack, 0, sizeof(m.no_ack));
	vbm_run(&m);
	vbal_service(&vb);
	UT_CHECK_EQ(inflate_pending(), 0);
	rig_check();
	rig_down();
}

UT_MAIN(UT_TEST(test_async_device), UT_TEST(test_late_acks_no_overshoot),
	UT_TEST(test_slow_device), UT_TEST(test_teardown_everything_out),
	UT_TEST(test_generation_never_settles), UT_TEST(test_oom_edges),
	UT_TEST(test_unreliable_walk))
