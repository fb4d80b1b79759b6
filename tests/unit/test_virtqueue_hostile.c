/*
 * test_virtqueue_hostile.c - host unit tests for a device that breaks the
 * rules.
 *
 * The guest cannot trust the host's device: a used entry may name a
 * buffer out of range or not in flight, report too long a length, repeat
 * itself, or (packed) carry the wrong wrap counter or flags. For each mode
 * of the device model the driver must stop, say why through on_error,
 * refuse further work and still give back the buffers on detach. Also
 * more used entries than buffers in flight, length details, and the
 * error names.
 */
#include "tests/unit/vq_rig.h"

/* ---- hostile devices ----------------------------------------------------- */

struct hostile_case {
	enum vqm_hostile mode;
	uint32_t arg;
	int err; /* expected enum vq_error */
	bool packed_only;
	int good_first;	 /* tokens returned before the error is seen */
	const char *msg; /* in the message */
};

static const struct hostile_case hostile_cases[] = {
	{VQM_ID_RANGE, 0, VQ_ERR_USED_ID_RANGE, false, 0, "used id"},
	{VQM_ID_IDLE, 5, VQ_ERR_USED_ID_IDLE, false, 0, "not a buffer"},
	{VQM_LEN_BIG, 0, VQ_ERR_USED_LEN, false, 0, "used len"},
	{VQM_DUPLICATE, 0, VQ_ERR_USED_ID_IDLE, false, 1, "not a buffer"},
	{VQM_WRONG_WRAP, 0, VQ_ERR_PACKED_WRAP, true, 0, "wrap"},
	{VQM_BAD_FLAGS, 0, VQ_ERR_PACKED_FLAGS, true, 0, "AVAIL"},
};

/* Broken: refuses work, returns exactly the tokens in mask on detach. */
static void check_broken_after(struct env *e, unsigned mask)
{
	unsigned seen = 0;
	void *t;

	UT_CHECK(vq_is_broken(&e->vq));
	/* The queue refuses work ... */
	UT_CHECK_EQ(add_n(e, 1, 0, TOK(7), 0), VQ_EIO);
	UT_CHECK(!vq_kick(&e->vq));
	UT_CHECK(vq_get_used(&e->vq, NULL) == NULL);
	UT_CHECK(!vq_more_used(&e->vq));
	UT_CHECK(vq_enable_cb(&e->vq)); /* never makes a caller spin */
	/* ... but gives every buffer back after the reset. */
	while ((t = vq_detach_unused(&e->vq)) != NULL) {
		long i = (int *)t - tokens;

		UT_CHECK(i >= 0 && i < 32);
		if (i < 0 || i >= 32)
			break;
		UT_CHECK(!(seen & (1u << i)));
		seen |= 1u << i;
	}
	UT_CHECK_EQ(seen, mask);
	UT_CHECK_EQ(vq_num_free(&e->vq), e->vq.size);
}

static void test_hostile_modes(void)
{
	for (int l = 0; l < NLAYOUTS; l++) {
		for (size_t c = 0;
		     c < sizeof(hostile_cases) / sizeof(hostile_cases[0]);
		     c++) {
			const struct hostile_case *h = &hostile_cases[c];
			struct env e;
			struct vqm_buf b[2];
			uint32_t len = 1234;

			if (h->packed_only && layouts[l] != VQ_LAYOUT_PACKED)
				continue;
			env_init(&e, layouts[l], 8, 0, 0);
			UT_CHECK_EQ(add_n(&e, 1, 1, TOK(0), 0), VQ_OK);
			UT_CHECK_EQ(add_n(&e, 1, 0, TOK(1), 0), VQ_OK);
			UT_CHECK_EQ(vqm_pop(&e.m, &b[0]), 1);
			UT_CHECK_EQ(vqm_pop(&e.m, &b[1]), 1);
			e.m.hostile = h->mode;
			e.m.hostile_arg = h->arg;
			vqm_push(&e.m, &b[0], 16);
			for (int i = 0; i < h->good_first; i++)
				UT_CHECK(vq_get_used(&e.vq, &len) == TOK(i));
			UT_CHECK(vq_get_used(&e.vq, &len) == NULL);
			UT_CHECK_EQ(e.vq.errors, 1);
			UT_CHECK_EQ(vq_last_error(&e.vq), h->err);
			UT_CHECK(strstr(vq_last_error_msg(&e.vq), h->msg));
			UT_CHECK_EQ(e.err_calls, 1);
			UT_CHECK_EQ(e.err_code, h->err);
			UT_CHECK_STR(e.err_msg, vq_last_error_msg(&e.vq));
			/* A good completion afterwards is not believed. */
			vqm_push(&e.m, &b[1], 0);
			UT_CHECK(vq_get_used(&e.vq, &len) == NULL);
			UT_CHECK_EQ(e.vq.errors, 1);
			check_broken_after(&e, h->good_first ? 2 : 3);
			if (ut_failed_checks)
				printf("    # %s, hostile mode %d: %s\n",
				       layout_name[l], h->mode,
				       vq_last_error_msg(&e.vq));
			env_fini(&e);
		}
	}
}

/* More used entries than buffers in flight. */
static void test_hostile_index(void)
{
	for (int l = 0; l < NLAYOUTS; l++) {
		bool packed = layouts[l] == VQ_LAYOUT_PACKED;
		struct env e;
		struct vqm_buf b;

		/* One in flight, the device reports it and one more. */
		env_init(&e, layouts[l], 8, 0, 0);
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(0), 0), VQ_OK);
		UT_CHECK_EQ(vqm_pop(&e.m, &b), 1);
		e.m.hostile = VQM_IDX_JUMP;
		vqm_push(&e.m, &b, 0);
		if (packed) /* the first one is genuine, the extra is not */
			UT_CHECK(vq_get_used(&e.vq, NULL) == TOK(0));
		UT_CHECK(vq_get_used(&e.vq, NULL) == NULL);
		UT_CHECK_EQ(vq_last_error(&e.vq), VQ_ERR_USED_IDX);
		UT_CHECK_EQ(e.vq.errors, 1);
		check_broken_after(&e, packed ? 0 : 1);
		env_fini(&e);

		/* Nothing in flight at all, and the device says "used". */
		env_init(&e, layouts[l], 8, 0, 0);
		if (packed) {
			e.vq.r.packed.desc[0].flags =
				VRING_PACKED_DESC_F_AVAIL |
				VRING_PACKED_DESC_F_USED;
			UT_CHECK(vq_more_used(&e.vq));
		} else {
			e.vq.r.split.used->idx = 1;
			e.vq.r.split.used->ring[0].id = 0; /* a free desc */
		}
		UT_CHECK(!vq_enable_cb(&e.vq)); /* something to look at */
		UT_CHECK(vq_get_used(&e.vq, NULL) == NULL);
		UT_CHECK_EQ(vq_last_error(&e.vq), VQ_ERR_USED_IDX);
		check_broken_after(&e, 0);
		env_fini(&e);

		if (packed)
			continue;
		/* Split: the used index going backwards is a huge jump. */
		env_init(&e, layouts[l], 8, 0, 0);
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(0), 0), VQ_OK);
		UT_CHECK_EQ(device_run(&e), 1);
		UT_CHECK(vq_get_used(&e.vq, NULL) == TOK(0));
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(1), 0), VQ_OK);
		e.vq.r.split.used->idx = 0;
		UT_CHECK(vq_get_used(&e.vq, NULL) == NULL);
		UT_CHECK_EQ(vq_last_error(&e.vq), VQ_ERR_USED_IDX);
		UT_CHECK(strstr(vq_last_error_msg(&e.vq), "in flight"));
		check_broken_after(&e, 2); /* TOK(1) */
		env_fini(&e);
	}
}

/* Lengths: a read-only buffer (balloon PFN list) may report 0, not 1;
 * split ids that are in range but not a chain head are refused too. */
static void test_hostile_details(void)
{
	for (int l = 0; l < NLAYOUTS; l++) {
		struct env e;
		struct vqm_buf b;
		uint32_t len = 77;

		env_init(&e, layouts[l], 8, 0, 0);
		UT_CHECK_EQ(add_n(&e, 2, 0, TOK(0), 0), VQ_OK);
		UT_CHECK_EQ(vqm_pop(&e.m, &b), 1);
		vqm_push(&e.m, &b, 1);
		UT_CHECK(vq_get_used(&e.vq, &len) == NULL);
		UT_CHECK_EQ(len, 77); /* untouched */
		UT_CHECK_EQ(vq_last_error(&e.vq), VQ_ERR_USED_LEN);
		UT_CHECK(strstr(vq_last_error_msg(&e.vq), "1 > 0"));
		check_broken_after(&e, 1);
		env_fini(&e);

		/* id 1 is the second descriptor of chain 0 (split) / an
		 * id never handed out (packed): not in flight. */
		env_init(&e, layouts[l], 8, 0, 0);
		UT_CHECK_EQ(add_n(&e, 2, 0, TOK(0), 0), VQ_OK);
		UT_CHECK_EQ(vqm_pop(&e.m, &b), 1);
		e.m.hostile = VQM_ID_IDLE;
		e.m.hostile_arg = 1;
		vqm_push(&e.m, &b, 0);
		UT_CHECK(vq_get_used(&e.vq, &len) == NULL);
		UT_CHECK_EQ(vq_last_error(&e.vq), VQ_ERR_USED_ID_IDLE);
		check_broken_after(&e, 1);
		env_fini(&e);

		/* Huge id: no out-of-bounds read of the state (ASan). */
		env_init(&e, layouts[l], 8, 0, 0);
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(0), 0), VQ_OK);
		UT_CHECK_EQ(vqm_pop(&e.m, &b), 1);
		e.m.hostile = VQM_ID_IDLE;
		e.m.hostile_arg =
			layouts[l] == VQ_LAYOUT_PACKED ? 0xFFFF : 0xFFFFFFFF;
		vqm_push(&e.m, &b, 0);
		UT_CHECK(vq_get_used(&e.vq, &len) == NULL);
		UT_CHECK_EQ(vq_last_error(&e.vq), VQ_ERR_USED_ID_RANGE);
		check_broken_after(&e, 1);
		env_fini(&e);
	}
}

static void test_error_names(void)
{
	UT_CHECK_STR(vq_error_name(VQ_ERR_NONE), "none");
	UT_CHECK_STR(vq_error_name(VQ_ERR_USED_LEN), "used length too large");
	UT_CHECK_STR(vq_error_name(VQ_ERR_PACKED_WRAP), "wrong wrap counter");
	UT_CHECK_STR(vq_error_name(-1), "unknown");
	UT_CHECK_STR(vq_error_name(VQ_ERR_COUNT), "unknown");
	for (int i = 0; i < VQ_ERR_COUNT; i++)
		UT_CHECK(strcmp(vq_error_name(i), "unknown") != 0);
}

UT_MAIN(UT_TEST(test_hostile_modes), UT_TEST(test_hostile_index),
	UT_TEST(test_hostile_details), UT_TEST(test_error_names))
