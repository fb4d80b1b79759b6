/*
 * vbal_rig.h - shared set-up for the virtio-balloon driver tests: one
 * device model and one driver, brought up together, and the invariant
 * every test ends with.
 */
#ifndef PINPRICK_VBAL_RIG_H
#define PINPRICK_VBAL_RIG_H

#include "kernel/mm.h"
#include "tests/unit/ut.h"
#include "tests/unit/vbal_model.h"

#define ALL_BALLOON VBAL_FEATURES_BALLOON
#define RING_BITS                                                              \
	(VQ_FEAT(VIRTIO_F_INDIRECT_DESC) | VQ_FEAT(VIRTIO_F_EVENT_IDX))

static struct vbm m;
static struct vbal vb;

static int rig_up(uint64_t offered, uint64_t features_off)
{
	struct vbal_cfg c;

	vbm_init(&m, offered);
	c = vbm_cfg(&m);
	c.features_off = features_off;
	return vbal_init(&vb, &c);
}

/* Service and step until the balloon stops moving. */
static void rig_follow(void)
{
	for (int i = 0; i < 1000; i++) {
		vbal_service(&vb);
		if (balloon_step(&vb.b, 4096) <= 0)
			break;
	}
}

/* Device, driver and allocator agree; nothing was broken. */
static void rig_check(void)
{
	char why[160] = "";

	UT_CHECK_EQ(vbal_check(&vb, true, why, sizeof(why)), 0);
	if (why[0])
		printf("    # vbal_check: %s\n", why);
	UT_CHECK_EQ(pa_check(&mm_zone, why, sizeof(why)), PA_OK);
	UT_CHECK_EQ(m.balloon, vb.track.count);
	UT_CHECK_EQ(m.early_notifies, 0);
	UT_CHECK_EQ(m.errors, 0);
}

/* Teardown leaves no ballooned page and the device reset. */
static void rig_down(void)
{
	/* A driver that never came up has nothing to tear down, and
	 * vbal_teardown expects one that did (its queues are not set up). */
	if (vb.mem_pfn > 0)
		vbal_teardown(&vb);
	UT_CHECK_EQ(mm_zone.count[PA_BALLOONED], 0);
	UT_CHECK_EQ(m.status, 0);
	UT_CHECK_EQ(m.errors, 0);
}

#endif
