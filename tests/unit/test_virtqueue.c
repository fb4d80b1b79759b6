/*
 * test_virtqueue.c - host unit tests for setting up a virtqueue and its
 * basic path.
 *
 * Ring sizes and addresses for each layout (legacy split, split, packed),
 * the setups vq_init must refuse, then the path every driver uses: add a
 * buffer, let the device take and return it, reap it. Also chains of
 * readable and writable pieces, indirect tables, a full queue and misuse,
 * completion out of order and detaching buffers the device never used.
 * Most tests run over all three layouts.
 *
 * Notification, random-run and hostile-device tests live in the other
 * test_virtqueue_*.c files; the arena and queue rig in vq_rig.h.
 */
#include "tests/unit/vq_rig.h"

/* ---- sizes and setup ---------------------------------------------------- */

static void test_need_event(void)
{
	/* docs/virtqueues.md: other side asked for entry 5. */
	UT_CHECK(!vring_need_event(5, 4, 0)); /* published 0..3 */
	UT_CHECK(vring_need_event(5, 6, 4));  /* published 4..5 */
	UT_CHECK(!vring_need_event(5, 7, 6)); /* already past */
	/* Across the 16-bit wrap: event 0xFFFF, published 0xFFFE..0x0001. */
	UT_CHECK(vring_need_event(0xFFFF, 2, 0xFFFE));
	UT_CHECK(vring_need_event(1, 2, 0xFFFE));
	UT_CHECK(!vring_need_event(2, 2, 0xFFFE));
	UT_CHECK(!vring_need_event(0, 0, 0)); /* nothing published */
}

static void test_ring_sizes(void)
{
	/* reference: legacy N = 128: 2048 + 262 -> 4096, + 1030 */
	UT_CHECK_EQ(vq_split_bytes(128, true), 4096 + 1030);
	UT_CHECK_EQ(vq_split_bytes(128, false), 2312 + 1030);
	UT_CHECK_EQ(vq_split_bytes(1, false), 16 + 8 + 14);
	UT_CHECK_EQ(vq_split_bytes(256, true), 8192 + 6 + 2048);
	UT_CHECK_EQ(vq_split_bytes(32768, false),
		    16 * 32768 + 6 + 2 * 32768 + 2 + 6 + 8 * 32768);
	UT_CHECK_EQ(vq_split_bytes(0, false), 0);
	UT_CHECK_EQ(vq_split_bytes(96, false), 0); /* split: power of 2 */
	UT_CHECK_EQ(vq_split_bytes(65536, false), 0);
	UT_CHECK_EQ(vq_packed_bytes(96), 16 * 96 + 8);
	UT_CHECK_EQ(vq_packed_bytes(0), 0);
	UT_CHECK_EQ(vq_packed_bytes(32769), 0);
	UT_CHECK_EQ(vq_ring_bytes(0, 64), vq_split_bytes(64, true));
	UT_CHECK_EQ(vq_ring_bytes(VQ_FEAT(VIRTIO_F_VERSION_1), 64),
		    vq_split_bytes(64, false));
	UT_CHECK_EQ(vq_ring_bytes(layout_features(VQ_LAYOUT_PACKED), 64),
		    vq_packed_bytes(64));
	UT_CHECK_EQ(vq_state_bytes(8), 8 * sizeof(struct vq_slot));
	UT_CHECK_EQ(vq_indirect_bytes(8, 4), 8 * 4 * 16);
}

static void test_addrs(void)
{
	for (int l = 0; l < NLAYOUTS; l++) {
		struct env e;
		struct vq_addrs a;
		uint64_t base;

		env_init(&e, layouts[l], 128, 0, 0);
		vq_get_addrs(&e.vq, &a);
		base = t_v2p(NULL, e.vq.r.split.desc); /* same for packed */
		UT_CHECK(base >= GPA_BASE); /* physical, not a host pointer */
		UT_CHECK_EQ(a.desc, base);
		UT_CHECK_EQ(a.size, 128);
		UT_CHECK_EQ(a.desc_bytes, 2048);
		if (layouts[l] == VQ_LAYOUT_PACKED) {
			UT_CHECK_EQ(a.driver, base + 2048);
			UT_CHECK_EQ(a.device, base + 2052);
			UT_CHECK_EQ(a.driver_bytes, 4);
		} else {
			UT_CHECK_EQ(a.driver, base + 2048);
			UT_CHECK_EQ(a.driver_bytes, 6 + 256);
			UT_CHECK_EQ(a.device_bytes, 6 + 1024);
			UT_CHECK_EQ(a.device,
				    base + (layouts[l] == VQ_LAYOUT_SPLIT
						    ? 2312
						    : 4096));
		}
		UT_CHECK_EQ(vq_num_free(&e.vq), 128);
		UT_CHECK_EQ(vq_in_flight(&e.vq), 0);
		UT_CHECK(!vq_is_broken(&e.vq));
		UT_CHECK_EQ(vq_last_error(&e.vq), VQ_ERR_NONE);
		UT_CHECK_STR(vq_last_error_msg(&e.vq), "");
		env_fini(&e);
	}
}

static void test_init_rejects(void)
{
	struct env e;
	struct vq_setup s;
	struct virtqueue vq;
	uint64_t v1 = VQ_FEAT(VIRTIO_F_VERSION_1);
	uint64_t pk = layout_features(VQ_LAYOUT_PACKED);

	env_init(&e, VQ_LAYOUT_SPLIT, 8, 0, 0);
	fill_setup(&s, &e, v1, 8, 0);
	s.ring = (uint8_t *)s.ring + 8; /* 8-aligned: desc needs 16 */
	UT_CHECK_EQ(vq_init(&vq, &s), VQ_EINVAL);
	fill_setup(&s, &e, 0, 8, 0);
	s.ring = (uint8_t *)s.ring + 16; /* legacy needs a page */
	UT_CHECK_EQ(vq_init(&vq, &s), VQ_EINVAL);
	fill_setup(&s, &e, v1, 8, 0);
	s.size = 6; /* split: power of 2 */
	UT_CHECK_EQ(vq_init(&vq, &s), VQ_EINVAL);
	s.size = 0;
	UT_CHECK_EQ(vq_init(&vq, &s), VQ_EINVAL);
	s.size = 65536;
	UT_CHECK_EQ(vq_init(&vq, &s), VQ_EINVAL);
	fill_setup(&s, &e, v1, 8, 0);
	s.notify = NULL;
	UT_CHECK_EQ(vq_init(&vq, &s), VQ_EINVAL);
	fill_setup(&s, &e, v1, 8, 0);
	s.state = NULL;
	UT_CHECK_EQ(vq_init(&vq, &s), VQ_EINVAL);
	fill_setup(&s, &e, v1 | VQ_FEAT(VIRTIO_F_INDIRECT_DESC), 8, 4);
	s.indirect_max = 0;
	UT_CHECK_EQ(vq_init(&vq, &s), VQ_EINVAL);
	fill_setup(&s, &e, pk, 8, 0);
	UT_CHECK_EQ(vq_init_split(&vq, &s), VQ_EINVAL); /* RING_PACKED */
	fill_setup(&s, &e, VQ_FEAT(VIRTIO_F_RING_PACKED), 8, 0);
	UT_CHECK_EQ(vq_init(&vq, &s), VQ_EINVAL); /* packed needs 1.x */
	fill_setup(&s, &e, pk, 8, 0);
	s.size = 6; /* packed: any size */
	UT_CHECK_EQ(vq_init(&vq, &s), VQ_OK);
	UT_CHECK_EQ(vq_num_free(&vq), 6);
	/* NULL virt_to_phys = identity */
	fill_setup(&s, &e, v1, 8, 0);
	s.virt_to_phys = NULL;
	UT_CHECK_EQ(vq_init(&vq, &s), VQ_OK);
	UT_CHECK_EQ(vq.addrs.desc, (uint64_t)(uintptr_t)s.ring);
	UT_CHECK_EQ(vq_identity_phys(NULL, (void *)0x1234), 0x1234);
	env_fini(&e);
}

/* ---- the basic path ---------------------------------------------------- */

static void test_basic(void)
{
	for (int l = 0; l < NLAYOUTS; l++) {
		struct env e;
		struct vqm_buf b;
		struct vq_buf vb;
		char data[32], got[32];
		uint32_t len = 99;

		env_init(&e, layouts[l], 8, 0, 0);
		UT_CHECK(vq_get_used(&e.vq, &len) == NULL);
		UT_CHECK(!vq_more_used(&e.vq));
		UT_CHECK(!vq_kick(&e.vq)); /* nothing added */
		snprintf(data, sizeof(data), "hello %s", layout_name[l]);
		vb.addr = amem(sizeof(data), 8);
		memcpy(vb.addr, data, sizeof(data));
		vb.len = sizeof(data);
		UT_CHECK_EQ(vq_add(&e.vq, &vb, 1, 0, TOK(1)), VQ_OK);
		UT_CHECK_EQ(vq_num_free(&e.vq), 7);
		UT_CHECK_EQ(vq_in_flight(&e.vq), 1);
		UT_CHECK(vq_kick(&e.vq));
		UT_CHECK_EQ(e.notifies, 1);
		UT_CHECK_EQ(e.vq.kicks, 1);
		UT_CHECK_EQ(e.vq.notifies, 1);

		UT_CHECK_EQ(vqm_pop(&e.m, &b), 1);
		UT_CHECK_EQ(b.n_out, 1);
		UT_CHECK_EQ(b.n_in, 0);
		UT_CHECK_EQ(b.out_len, sizeof(data));
		UT_CHECK_EQ(b.seg[0].gpa, t_v2p(NULL, vb.addr));
		UT_CHECK_EQ(vqm_read_out(&b, got, sizeof(got)), sizeof(got));
		UT_CHECK(memcmp(got, data, sizeof(data)) == 0);
		UT_CHECK_EQ(vqm_pop(&e.m, &b), 0);
		UT_CHECK(vq_get_used(&e.vq, &len) == NULL); /* not yet */

		vqm_push(&e.m, &b, 0);
		UT_CHECK(vqm_signal(&e.m)); /* callbacks on by default */
		UT_CHECK(vq_more_used(&e.vq));
		UT_CHECK(vq_get_used(&e.vq, &len) == TOK(1));
		UT_CHECK_EQ(len, 0);
		UT_CHECK(vq_get_used(&e.vq, &len) == NULL);
		UT_CHECK(vq_get_used(&e.vq, NULL) == NULL);
		UT_CHECK_EQ(vq_num_free(&e.vq), 8);
		UT_CHECK_EQ(vq_in_flight(&e.vq), 0);
		UT_CHECK_EQ(e.vq.errors, 0);
		env_fini(&e);
	}
}

static void test_chain_out_in(void)
{
	for (int l = 0; l < NLAYOUTS; l++) {
		struct env e;
		struct vqm_buf b;
		struct vq_buf vb[5];
		uint32_t len;
		char reply[40];

		env_init(&e, layouts[l], 8, 0, 0);
		for (int i = 0; i < 5; i++) {
			vb[i].len = (uint32_t)(8 + i);
			vb[i].addr = amem(vb[i].len, 1);
			memset(vb[i].addr, 'a' + i, vb[i].len);
		}
		UT_CHECK_EQ(vq_add(&e.vq, vb, 2, 3, TOK(2)), VQ_OK);
		UT_CHECK_EQ(vq_num_free(&e.vq), 3); /* no indirect: 5 */
		UT_CHECK_EQ(vqm_pop(&e.m, &b), 1);
		UT_CHECK(!b.indirect);
		UT_CHECK_EQ(b.ndesc, 5);
		UT_CHECK_EQ(b.n_out, 2);
		UT_CHECK_EQ(b.n_in, 3);
		UT_CHECK_EQ(b.out_len, 8 + 9);
		UT_CHECK_EQ(b.in_len, 10 + 11 + 12);
		for (int i = 0; i < 5; i++) {
			UT_CHECK_EQ(b.seg[i].gpa, t_v2p(NULL, vb[i].addr));
			UT_CHECK_EQ(b.seg[i].len, vb[i].len);
			UT_CHECK_EQ(b.seg[i].write, i >= 2);
		}
		memset(reply, 'Z', sizeof(reply));
		UT_CHECK_EQ(vqm_write_in(&b, reply, 15), 15);
		vqm_push(&e.m, &b, 15);
		UT_CHECK(vq_get_used(&e.vq, &len) == TOK(2));
		UT_CHECK_EQ(len, 15);
		UT_CHECK(memcmp(vb[2].addr, "ZZZZZZZZZZ", 10) == 0);
		UT_CHECK(memcmp(vb[3].addr, "ZZZZZd", 6) == 0);
		UT_CHECK_EQ(((char *)vb[4].addr)[0], 'e'); /* untouched */
		UT_CHECK_EQ(vq_num_free(&e.vq), 8);

		/* A whole-writable buffer, and the full length used. */
		UT_CHECK_EQ(add_n(&e, 0, 4, TOK(3), 0), VQ_OK);
		UT_CHECK_EQ(vqm_pop(&e.m, &b), 1);
		UT_CHECK_EQ(b.n_out, 0);
		UT_CHECK_EQ(b.n_in, 4);
		vqm_push(&e.m, &b, 64);
		UT_CHECK(vq_get_used(&e.vq, &len) == TOK(3));
		UT_CHECK_EQ(len, 64);
		env_fini(&e);
	}
}

static void test_indirect(void)
{
	uint64_t ind = VQ_FEAT(VIRTIO_F_INDIRECT_DESC);

	for (int l = 0; l < NLAYOUTS; l++) {
		struct env e;
		struct vqm_buf b;
		uint32_t len;

		env_init(&e, layouts[l], 16, ind, 8);
		/* Auto: n > 1 -> one ring descriptor. */
		UT_CHECK_EQ(add_n(&e, 2, 2, TOK(0), 0), VQ_OK);
		UT_CHECK_EQ(vq_num_free(&e.vq), 15);
		UT_CHECK_EQ(vqm_pop(&e.m, &b), 1);
		UT_CHECK(b.indirect);
		UT_CHECK_EQ(b.ndesc, 1);
		UT_CHECK_EQ(b.n_out, 2);
		UT_CHECK_EQ(b.n_in, 2);
		UT_CHECK_EQ(b.seg[0].len, 16);
		UT_CHECK_EQ(((uint8_t *)b.seg[1].p)[0], 1);
		vqm_push(&e.m, &b, 32);
		UT_CHECK(vq_get_used(&e.vq, &len) == TOK(0));
		UT_CHECK_EQ(len, 32);
		UT_CHECK_EQ(vq_num_free(&e.vq), 16);

		/* n == 1: direct; forced indirect: allowed with one. */
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(1), 0), VQ_OK);
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(2), VQ_ADD_INDIRECT), VQ_OK);
		/* Forced direct, and too long for a table (8): direct. */
		UT_CHECK_EQ(add_n(&e, 2, 1, TOK(3), VQ_ADD_DIRECT), VQ_OK);
		UT_CHECK_EQ(add_n(&e, 5, 4, TOK(4), 0), VQ_OK);
		UT_CHECK_EQ(add_n(&e, 5, 4, TOK(5), VQ_ADD_INDIRECT),
			    VQ_EINVAL);
		UT_CHECK_EQ(vq_num_free(&e.vq), 16 - 1 - 1 - 3 - 9);
		for (int i = 1; i <= 4; i++) {
			static const bool want_ind[] = {0, 0, 1, 0, 0};
			static const int want_ndesc[] = {0, 1, 1, 3, 9};

			UT_CHECK_EQ(vqm_pop(&e.m, &b), 1);
			UT_CHECK_EQ(b.indirect, want_ind[i]);
			UT_CHECK_EQ(b.ndesc, want_ndesc[i]);
			vqm_push(&e.m, &b, 0);
		}
		for (int i = 1; i <= 4; i++)
			UT_CHECK(vq_get_used(&e.vq, &len) == TOK(i));
		/* Indirect gets a buffer in when direct would not fit. */
		for (int i = 0; i < 7; i++)
			UT_CHECK_EQ(add_n(&e, 1, 1, TOK(i), VQ_ADD_DIRECT),
				    VQ_OK);
		UT_CHECK_EQ(vq_num_free(&e.vq), 2);
		UT_CHECK_EQ(add_n(&e, 3, 3, TOK(8), VQ_ADD_DIRECT), VQ_ENOSPC);
		UT_CHECK_EQ(add_n(&e, 3, 3, TOK(8), 0), VQ_OK);
		UT_CHECK_EQ(vq_num_free(&e.vq), 1);
		UT_CHECK_EQ(device_run(&e), 8);
		for (int i = 0; i < 7; i++)
			UT_CHECK(vq_get_used(&e.vq, &len) == TOK(i));
		UT_CHECK(vq_get_used(&e.vq, &len) == TOK(8));
		env_fini(&e);

		/* Not negotiated (or no table memory): never indirect. */
		env_init(&e, layouts[l], 16, 0, 8);
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(0), VQ_ADD_INDIRECT),
			    VQ_EINVAL);
		UT_CHECK_EQ(add_n(&e, 2, 2, TOK(0), 0), VQ_OK);
		UT_CHECK_EQ(vq_num_free(&e.vq), 12);
		UT_CHECK_EQ(vqm_pop(&e.m, &b), 1);
		UT_CHECK(!b.indirect);
		env_fini(&e);
		env_init(&e, layouts[l], 16, ind, 0);
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(0), VQ_ADD_INDIRECT),
			    VQ_EINVAL);
		env_fini(&e);
	}
}

static void test_full_and_misuse(void)
{
	uint64_t ind = VQ_FEAT(VIRTIO_F_INDIRECT_DESC);

	for (int l = 0; l < NLAYOUTS; l++) {
		struct env e;
		struct vq_buf big[2];

		env_init(&e, layouts[l], 4, 0, 0);
		for (int i = 0; i < 4; i++)
			UT_CHECK_EQ(add_n(&e, 1, 0, TOK(i), 0), VQ_OK);
		UT_CHECK_EQ(vq_num_free(&e.vq), 0);
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(9), 0), VQ_ENOSPC);
		UT_CHECK_EQ(device_run(&e), 4);
		UT_CHECK(vq_get_used(&e.vq, NULL) == TOK(0));
		UT_CHECK_EQ(add_n(&e, 1, 1, TOK(9), 0), VQ_ENOSPC);
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(9), 0), VQ_OK);
		/* Arguments: never queued, never counted as device errors. */
		UT_CHECK_EQ(add_n(&e, 1, 0, NULL, 0), VQ_EINVAL);
		UT_CHECK_EQ(add_n(&e, 0, 0, TOK(9), 0), VQ_EINVAL);
		UT_CHECK_EQ(add_n(&e, 3, 2, TOK(9), 0), VQ_EINVAL); /* > size */
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(9),
				  VQ_ADD_DIRECT | VQ_ADD_INDIRECT),
			    VQ_EINVAL);
		UT_CHECK_EQ(add_n(&e, 1, 0, TOK(9), 8), VQ_EINVAL);
		big[0].addr = big[1].addr = amem(16, 8);
		big[0].len = big[1].len = 0xFFFFFFFFu;
		UT_CHECK_EQ(vq_add(&e.vq, big, 0, 2, TOK(9)), VQ_EINVAL);
		UT_CHECK_EQ(e.vq.errors, 0);
		UT_CHECK(!vq_is_broken(&e.vq));
		env_fini(&e);

		/* With indirect: size buffers of 3 pieces fit. */
		env_init(&e, layouts[l], 4, ind, 3);
		for (int i = 0; i < 4; i++)
			UT_CHECK_EQ(add_n(&e, 2, 1, TOK(i), 0), VQ_OK);
		UT_CHECK_EQ(add_n(&e, 2, 1, TOK(9), 0), VQ_ENOSPC);
		UT_CHECK_EQ(device_run(&e), 4);
		for (int i = 0; i < 4; i++)
			UT_CHECK(vq_get_used(&e.vq, NULL) == TOK(i));
		env_fini(&e);
	}
}

static void test_out_of_order(void)
{
	static const int order[] = {2, 0, 5, 3, 1, 4};

	for (int l = 0; l < NLAYOUTS; l++) {
		struct env e;
		struct vqm_buf b[6];
		uint32_t len;

		env_init(&e, layouts[l], 16, 0, 0);
		/* Different chain lengths, so packed skips differ. */
		for (int i = 0; i < 6; i++)
			UT_CHECK_EQ(add_n(&e, 1, (unsigned)i % 3, TOK(i), 0),
				    VQ_OK);
		for (int i = 0; i < 6; i++)
			UT_CHECK_EQ(vqm_pop(&e.m, &b[i]), 1);
		for (int k = 0; k < 6; k++) {
			int i = order[k];

			vqm_push(&e.m, &b[i], b[i].in_len);
			UT_CHECK(vq_get_used(&e.vq, &len) == TOK(i));
			UT_CHECK_EQ(len, 16 * (i % 3));
		}
		UT_CHECK_EQ(vq_num_free(&e.vq), 16);
		/* And the queue still works after it. */
		for (int i = 0; i < 6; i++)
			UT_CHECK_EQ(add_n(&e, 1, 1, TOK(i), 0), VQ_OK);
		UT_CHECK_EQ(device_run(&e), 6);
		for (int i = 0; i < 6; i++)
			UT_CHECK(vq_get_used(&e.vq, &len) == TOK(i));
		UT_CHECK_EQ(e.vq.errors, 0);
		env_fini(&e);
	}
}

static void test_detach_unused(void)
{
	for (int l = 0; l < NLAYOUTS; l++) {
		struct env e;
		struct vqm_buf b;
		bool seen[6] = {0};
		void *t;
		int n = 0;

		env_init(&e, layouts[l], 8, 0, 0);
		for (int i = 0; i < 5; i++)
			UT_CHECK_EQ(add_n(&e, 1, (unsigned)i & 1, TOK(i), 0),
				    VQ_OK);
		for (int i = 0; i < 3; i++)
			UT_CHECK_EQ(vqm_pop(&e.m, &b), 1);
		vqm_push(&e.m, &b, 0); /* completes token 2 */
		UT_CHECK(vq_get_used(&e.vq, NULL) == TOK(2));
		/* Device reset: the rest comes back exactly once each. */
		while ((t = vq_detach_unused(&e.vq)) != NULL) {
			int i = (int)((int *)t - tokens);

			UT_CHECK(i >= 0 && i < 5 && i != 2);
			if (i >= 0 && i < 6) {
				UT_CHECK(!seen[i]);
				seen[i] = true;
			}
			n++;
		}
		UT_CHECK_EQ(n, 4);
		UT_CHECK_EQ(vq_num_free(&e.vq), 8);
		UT_CHECK_EQ(vq_in_flight(&e.vq), 0);
		UT_CHECK(vq_detach_unused(&e.vq) == NULL);
		env_fini(&e);
	}
}

UT_MAIN(UT_TEST(test_need_event), UT_TEST(test_ring_sizes), UT_TEST(test_addrs),
	UT_TEST(test_init_rejects), UT_TEST(test_basic),
	UT_TEST(test_chain_out_in), UT_TEST(test_indirect),
	UT_TEST(test_full_and_misuse), UT_TEST(test_out_of_order),
	UT_TEST(test_detach_unused))
