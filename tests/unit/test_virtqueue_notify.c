/*
 * test_virtqueue_notify.c - host unit tests for notification suppression
 * both ways.
 *
 * A kick (driver to device) or an interrupt (device to driver) is a VM
 * exit, so both sides tell the other when they do not need one: with
 * flags, or with EVENT_IDX by naming the entry they wait for. These tests
 * check the driver kicks exactly when the device asked for it, also after
 * a long silence in which the indices wrapped, and that with callbacks
 * disabled (or an EVENT_IDX not yet reached) the device stays quiet, over
 * all three layouts.
 */
#include "tests/unit/vq_rig.h"

/* ---- notification suppression ------------------------------------------ */

static void test_kick_flags(void)
{
	for (int l = 0; l < NLAYOUTS; l++) {
		struct env e;

		env_init(&e, layouts[l], 8, 0, 0);
		vqm_set_no_notify(&e.m, true);
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(0), 0), VQ_OK);
		UT_CHECK(!vq_kick(&e.vq));
		UT_CHECK_EQ(e.notifies, 0);
		vqm_set_no_notify(&e.m, false);
		UT_CHECK(!vq_kick(&e.vq)); /* nothing new since */
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(1), 0), VQ_OK);
		UT_CHECK(vq_kick(&e.vq));
		UT_CHECK_EQ(e.notifies, 1);
		UT_CHECK_EQ(e.vq.kicks, 2);
		UT_CHECK_EQ(e.vq.notifies, 1);
		/* Without EVENT_IDX a DESC request is not understood:
		 * the driver notifies (spurious is always allowed). */
		if (layouts[l] == VQ_LAYOUT_PACKED) {
			vqm_set_kick_event(&e.m, 100, true);
			UT_CHECK_EQ(add_n(&e, 1, 0, TOK(2), 0), VQ_OK);
			UT_CHECK(vq_kick(&e.vq));
		}
		env_fini(&e);
	}
}

static void test_kick_event_idx(void)
{
	uint64_t ev = VQ_FEAT(VIRTIO_F_EVENT_IDX);

	for (int l = 0; l < NLAYOUTS; l++) {
		bool packed = layouts[l] == VQ_LAYOUT_PACKED;
		struct env e;

		env_init(&e, layouts[l], 8, ev, 0);
		/* "Kick me when entry / position 5 (lap 1) is available." */
		vqm_set_kick_event(&e.m, 5, true);
		for (int i = 0; i < 4; i++)
			UT_CHECK_EQ(add_n(&e, 1, 0, TOK(i), 0), VQ_OK);
		UT_CHECK(!vq_kick(&e.vq)); /* 0..3 */
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(4), 0), VQ_OK);
		UT_CHECK(!vq_kick(&e.vq)); /* 4 */
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(5), 0), VQ_OK);
		UT_CHECK(vq_kick(&e.vq)); /* 5 */
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(6), 0), VQ_OK);
		UT_CHECK(!vq_kick(&e.vq)); /* 6: already told */
		UT_CHECK_EQ(device_run(&e), 7);
		for (int i = 0; i < 7; i++)
			UT_CHECK(vq_get_used(&e.vq, NULL) == TOK(i));
		/* Across the ring's end: packed positions 7, 0, 1 with the
		 * wrap counter flipping; split entries 7, 8, 9. */
		vqm_set_kick_event(&e.m, packed ? 1 : 9, false);
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(0), 0), VQ_OK);
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(1), 0), VQ_OK);
		UT_CHECK(!vq_kick(&e.vq));
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(2), 0), VQ_OK);
		UT_CHECK(vq_kick(&e.vq));
		/* An event on the previous lap is already behind. */
		vqm_set_kick_event(&e.m, packed ? 2 : 1, true);
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(3), 0), VQ_OK);
		UT_CHECK(!vq_kick(&e.vq));
		UT_CHECK_EQ(e.notifies, 2);
		env_fini(&e);
	}
}

/* 65536 adds (split) or a lap (packed) without a kick: always notify. */
static void test_kick_after_long_silence(void)
{
	uint64_t ev = VQ_FEAT(VIRTIO_F_EVENT_IDX);

	for (int l = 0; l < NLAYOUTS; l++) {
		bool packed = layouts[l] == VQ_LAYOUT_PACKED;
		unsigned n = packed ? 9 : 65537;
		struct env e;

		env_init(&e, layouts[l], 4, ev, 0);
		for (unsigned i = 0; i < n; i++) {
			UT_CHECK_EQ(add_n(&e, 0, 0 + 1, TOK(0), 0), VQ_OK);
			device_run(&e);
			UT_CHECK(vq_get_used(&e.vq, NULL) == TOK(0));
			arena_used -= 16; /* reuse the buffer memory */
		}
		/* An event the 16-bit window alone would not match. */
		vqm_set_kick_event(&e.m, packed ? 3 : 0x7777, !packed);
		UT_CHECK(vq_kick(&e.vq));
		env_fini(&e);
	}
}

static void test_interrupt_suppression(void)
{
	uint64_t ev = VQ_FEAT(VIRTIO_F_EVENT_IDX);

	for (int l = 0; l < NLAYOUTS; l++) {
		for (int with_ev = 0; with_ev < 2; with_ev++) {
			struct env e;
			struct vqm_buf b[4];

			env_init(&e, layouts[l], 8, with_ev ? ev : 0, 0);
			for (int i = 0; i < 4; i++)
				UT_CHECK_EQ(add_n(&e, 1, 0, TOK(i), 0), VQ_OK);
			for (int i = 0; i < 4; i++)
				UT_CHECK_EQ(vqm_pop(&e.m, &b[i]), 1);

			vq_disable_cb(&e.vq);
			vq_disable_cb(&e.vq); /* idempotent */
			vqm_push(&e.m, &b[0], 0);
			UT_CHECK(!vqm_signal(&e.m));
			/* Enabling with a used buffer waiting says so. */
			UT_CHECK(!vq_enable_cb(&e.vq));
			UT_CHECK(vq_get_used(&e.vq, NULL) == TOK(0));
			UT_CHECK(vq_enable_cb(&e.vq));
			vqm_push(&e.m, &b[1], 0);
			UT_CHECK(vqm_signal(&e.m));
			/* Not reaped yet: EVENT_IDX suppresses the next. */
			vqm_push(&e.m, &b[2], 0);
			UT_CHECK_EQ(vqm_signal(&e.m), !with_ev);
			UT_CHECK(vq_get_used(&e.vq, NULL) == TOK(1));
			UT_CHECK(vq_get_used(&e.vq, NULL) == TOK(2));
			vqm_push(&e.m, &b[3], 0);
			UT_CHECK(vqm_signal(&e.m));
			UT_CHECK(vq_get_used(&e.vq, NULL) == TOK(3));
			UT_CHECK_EQ(e.m.interrupts, with_ev ? 2 : 3);
			env_fini(&e);
		}
	}
}

UT_MAIN(UT_TEST(test_kick_flags), UT_TEST(test_kick_event_idx),
	UT_TEST(test_kick_after_long_silence),
	UT_TEST(test_interrupt_suppression))
