/*
 * test_virtqueue.c - host unit tests for the virtqueue layer.
 *
 * Every test runs the driver (drivers/virtio/) against the in-process
 * device model (vq_device_model.c) over pretend guest memory: an arena
 * whose guest-physical addresses differ from its host pointers, so a
 * driver that forgot virt_to_phys is caught by the model. Most tests run
 * over all three layouts: legacy split, split, packed.
 *
 * Order: sizes and setup, the basic path, chains, indirect tables, full
 * queue, out-of-order completion, detach, notification suppression both
 * ways, 16-bit index overflow, a long seeded random run with exact
 * predictions of every kick and interrupt, then every hostile device mode.
 */
#include "drivers/virtio/virtqueue.h"
#include "tests/unit/ut.h"
#include "tests/unit/vq_device_model.h"

/* ---- pretend guest memory -------------------------------------------- */

#define GPA_BASE    0x40000000ull
#define ARENA_BYTES (4u << 20)
#define BAD_PHYS    0xDEAD000000000000ull

static uint8_t *arena;
static size_t arena_used;

static void *amem(size_t n, size_t align)
{
	void *p;

	arena_used = (arena_used + align - 1) & ~(align - 1);
	if (arena_used + n > ARENA_BYTES) {
		printf("    # arena exhausted\n");
		abort();
	}
	p = arena + arena_used;
	arena_used += n;
	return p;
}

static uint64_t t_v2p(void *ctx, const void *p)
{
	const uint8_t *q = p;

	(void)ctx;
	if (q < arena || q >= arena + ARENA_BYTES)
		return BAD_PHYS;
	return GPA_BASE + (uint64_t)(q - arena);
}

static void *t_p2v(void *ctx, uint64_t gpa, size_t len)
{
	(void)ctx;
	if (gpa < GPA_BASE || gpa - GPA_BASE > ARENA_BYTES ||
	    len > ARENA_BYTES - (gpa - GPA_BASE))
		return NULL;
	return arena + (gpa - GPA_BASE);
}

/* ---- one queue and its device ------------------------------------------ */

static const enum vq_layout layouts[] = {VQ_LAYOUT_SPLIT_LEGACY,
					 VQ_LAYOUT_SPLIT, VQ_LAYOUT_PACKED};
#define NLAYOUTS 3
static const char *const layout_name[] = {"legacy split", "split", "packed"};

struct env {
	struct virtqueue vq;
	struct vqm m;
	void *state;
	uint64_t features;
	unsigned notifies;
	int err_calls, err_code;
	char err_msg[128];
};

static void t_notify(void *ctx, struct virtqueue *vq)
{
	struct env *e = ctx;

	UT_CHECK(vq == &e->vq);
	e->notifies++;
}

static void t_on_error(void *ctx, struct virtqueue *vq, int err,
		       const char *msg)
{
	struct env *e = ctx;

	UT_CHECK(vq == &e->vq);
	e->err_calls++;
	e->err_code = err;
	snprintf(e->err_msg, sizeof(e->err_msg), "%s", msg);
}

static uint64_t layout_features(enum vq_layout l)
{
	if (l == VQ_LAYOUT_PACKED)
		return VQ_FEAT(VIRTIO_F_VERSION_1) |
		       VQ_FEAT(VIRTIO_F_RING_PACKED);
	if (l == VQ_LAYOUT_SPLIT)
		return VQ_FEAT(VIRTIO_F_VERSION_1);
	return 0;
}

static void fill_setup(struct vq_setup *s, struct env *e, uint64_t features,
		       unsigned size, unsigned indirect_max)
{
	memset(s, 0, sizeof(*s));
	s->size = size;
	s->index = 3;
	s->features = features;
	s->ring = amem(vq_ring_bytes(features, size), 4096);
	s->state = e->state;
	s->indirect = indirect_max
			      ? amem(vq_indirect_bytes(size, indirect_max), 16)
			      : NULL;
	s->indirect_max = indirect_max;
	s->virt_to_phys = t_v2p;
	s->notify = t_notify;
	s->notify_ctx = e;
	s->on_error = t_on_error;
	s->on_error_ctx = e;
}

static void env_init(struct env *e, enum vq_layout l, unsigned size,
		     uint64_t extra, unsigned indirect_max)
{
	struct vq_setup s;
	struct vq_addrs a;

	if (!arena)
		arena = aligned_alloc(4096, ARENA_BYTES);
	arena_used = 0;
	memset(arena, 0xA5, 64 << 10); /* rings must be zeroed by init */
	memset(e, 0, sizeof(*e));
	e->features = layout_features(l) | extra;
	e->state = malloc(vq_state_bytes(size)); /* exact: ASan-checked */
	fill_setup(&s, e, e->features, size, indirect_max);
	UT_CHECK_EQ(vq_init(&e->vq, &s), VQ_OK);
	vq_get_addrs(&e->vq, &a);
	UT_CHECK_EQ(a.layout, l);
	UT_CHECK_EQ(vqm_init(&e->m, &a, e->features, t_p2v, NULL), 0);
}

static void env_fini(struct env *e)
{
	if (e->m.errors)
		printf("    # device model: %s\n", e->m.last_error);
	UT_CHECK_EQ(e->m.errors, 0);
	free(e->state);
	e->state = NULL;
}

/* A buffer of n_out readable and n_in writable pieces, 16 bytes each. */
static int add_n(struct env *e, unsigned n_out, unsigned n_in, void *token,
		 unsigned flags)
{
	struct vq_buf b[64];

	for (unsigned i = 0; i < n_out + n_in && i < 64; i++) {
		b[i].addr = amem(16, 8);
		b[i].len = 16;
		memset(b[i].addr, (int)i, 16);
	}
	return vq_add_ex(&e->vq, b, n_out, n_in, token, flags);
}

static int tokens[64]; /* their addresses are the tokens */
#define TOK(i) ((void *)&tokens[i])

/* Device completes everything available, in order, with len 0. */
static unsigned device_run(struct env *e)
{
	struct vqm_buf b;
	unsigned n = 0;

	while (vqm_pop(&e->m, &b) == 1) {
		vqm_push(&e->m, &b, 0);
		n++;
	}
	return n;
}

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

/* ---- 16-bit index overflow and a long random run ------------------------ */

static void test_index_overflow(void)
{
	for (int l = 0; l < NLAYOUTS; l++) {
		struct env e;
		size_t mark;
		uint32_t len;
		int bad = 0;

		env_init(&e, layouts[l], 4, 0, 0);
		mark = arena_used;
		for (unsigned i = 0; i < 70000; i++) {
			arena_used = mark;
			bad += add_n(&e, 1, 1, TOK(i & 7), 0) != VQ_OK;
			if (device_run(&e) != 1)
				bad++;
			if (vq_get_used(&e.vq, &len) != TOK(i & 7))
				bad++;
		}
		UT_CHECK_EQ(bad, 0);
		if (layouts[l] != VQ_LAYOUT_PACKED) {
			UT_CHECK_EQ(e.vq.r.split.avail->idx, 70000 & 0xFFFF);
			UT_CHECK_EQ(e.vq.r.split.used->idx, 70000 & 0xFFFF);
		} else {
			/* 140000 descriptors = 35000 laps: wrap back to 1 */
			UT_CHECK_EQ(e.vq.avail_idx, 0);
			UT_CHECK(e.vq.avail_wrap && e.vq.used_wrap);
		}
		UT_CHECK_EQ(vq_num_free(&e.vq), 4);
		UT_CHECK_EQ(e.vq.errors, 0);
		env_fini(&e);
	}
}

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

/*
 * Until target buffers were added (70000: the 16-bit indices wrap):
 * random adds (1-5 pieces, random flags), pops, out-of-order completions,
 * reaps, kicks and callback toggling. Each kick and each interrupt is
 * predicted exactly from what the device and driver have seen, which is
 * the EVENT_IDX rule checked from outside.
 */
static void random_run(enum vq_layout layout, unsigned size, uint64_t extra,
		       unsigned indirect_max, unsigned target, uint64_t seed)
{
	bool ev = !!(extra & VQ_FEAT(VIRTIO_F_EVENT_IDX));
	bool packed = layout == VQ_LAYOUT_PACKED;
	struct vqm_buf *held = calloc(size, sizeof(*held));
	unsigned nheld = 0, bad = 0;
	uint32_t want_len[64];
	bool in_flight[64] = {0};
	uint64_t added = 0, popped = 0, at_kick = 0, adds = 0, reaps = 0;
	bool no_notify = false;
	struct env e;
	size_t mark;

	rng_state = seed;
	env_init(&e, layout, size, extra, indirect_max);
	mark = arena_used;
	for (unsigned step = 0; adds < target && step < 50 * target && !bad;
	     step++) {
		unsigned op = rnd(100);

		if (op < 35) { /* add */
			unsigned n = 1 + rnd(5), n_out = rnd(n + 1);
			unsigned free0 = vq_num_free(&e.vq);
			unsigned t = rnd(64);
			int rc;

			if (in_flight[t])
				continue;
			if (arena_used > ARENA_BYTES - 4096)
				arena_used = mark; /* buffers are scratch */
			rc = add_n(&e, n_out, n - n_out, TOK(t), rnd(3));
			if (rc == VQ_ENOSPC || rc == VQ_EINVAL)
				continue;
			bad += rc != VQ_OK;
			in_flight[t] = true;
			want_len[t] = 16 * (n - n_out);
			/* ring positions (packed) or entries (split) */
			added += packed ? free0 - vq_num_free(&e.vq) : 1;
			adds++;
		} else if (op < 55) { /* device takes one */
			if (nheld < size && vqm_pop(&e.m, &held[nheld]) == 1) {
				popped += packed ? held[nheld].ndesc : 1;
				nheld++;
			}
		} else if (op < 75) { /* device completes a random one */
			bool caught_up, expect;
			unsigned k;

			if (!nheld)
				continue;
			k = rnd(nheld);
			caught_up =
				packed ? e.vq.last_used == e.m.used_pos &&
						 e.vq.used_wrap == e.m.used_wrap
				       : e.vq.last_used == e.m.used_idx;
			vqm_push(&e.m, &held[k], rnd(held[k].in_len + 1));
			held[k] = held[--nheld];
			expect = e.vq.cb_enabled && (!ev || caught_up);
			if (vqm_signal(&e.m) != expect) {
				printf("    # step %u: interrupt %d, want %d\n",
				       step, !expect, expect);
				bad++;
			}
		} else if (op < 90) { /* driver reaps one */
			uint32_t len;
			void *tok = vq_get_used(&e.vq, &len);

			if (tok) {
				int t = (int)((int *)tok - tokens);

				if (t < 0 || t >= 64 || !in_flight[t] ||
				    len > want_len[t]) {
					bad++;
					continue;
				}
				in_flight[t] = false;
				reaps++;
			}
		} else if (op < 96) { /* kick */
			bool expect;

			if (packed && ev) /* device asks for the next one */
				vqm_set_kick_event(&e.m, e.m.avail_pos,
						   e.m.avail_wrap);
			if (!ev && rnd(4) == 0) {
				no_notify = !no_notify;
				vqm_set_no_notify(&e.m, no_notify);
			}
			if (added == at_kick)
				expect = false;
			else if (!ev)
				expect = !no_notify;
			else if (packed)
				expect = popped >= at_kick && popped < added;
			else
				expect =
					(popped >= at_kick && popped < added) ||
					added - at_kick > 0xFFFF;
			if (packed && ev && added - at_kick >= size)
				expect = true;
			if (vq_kick(&e.vq) != expect) {
				printf("    # step %u: kick %d, want %d\n",
				       step, !expect, expect);
				bad++;
			}
			if (added != at_kick)
				at_kick = added;
		} else if (op < 98) {
			vq_disable_cb(&e.vq);
		} else {
			vq_enable_cb(&e.vq);
		}
	}
	UT_CHECK_EQ(bad, 0);
	UT_CHECK_EQ(e.vq.errors, 0);
	UT_CHECK(!vq_is_broken(&e.vq));
	UT_CHECK_EQ(adds, target);
	UT_CHECK(reaps > 0);
	/* Reset: every buffer still out comes back once. */
	while (vq_detach_unused(&e.vq))
		;
	UT_CHECK_EQ(vq_num_free(&e.vq), size);
	free(held);
	env_fini(&e);
}

static void test_random_run(void)
{
	uint64_t fancy =
		VQ_FEAT(VIRTIO_F_EVENT_IDX) | VQ_FEAT(VIRTIO_F_INDIRECT_DESC);

	for (int l = 0; l < NLAYOUTS; l++) {
		/* packed also with a size that is not a power of 2 */
		unsigned size = layouts[l] == VQ_LAYOUT_PACKED ? 7 : 8;

		random_run(layouts[l], size, 0, 0, 70000, 0x1234567 + l);
		random_run(layouts[l], size, fancy, 4, 70000, 0x89abc + l);
		random_run(layouts[l], 16, VQ_FEAT(VIRTIO_F_EVENT_IDX), 0,
			   20000, 77 + l);
	}
}

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

UT_MAIN(UT_TEST(test_need_event), UT_TEST(test_ring_sizes), UT_TEST(test_addrs),
	UT_TEST(test_init_rejects), UT_TEST(test_basic),
	UT_TEST(test_chain_out_in), UT_TEST(test_indirect),
	UT_TEST(test_full_and_misuse), UT_TEST(test_out_of_order),
	UT_TEST(test_detach_unused), UT_TEST(test_kick_flags),
	UT_TEST(test_kick_event_idx), UT_TEST(test_kick_after_long_silence),
	UT_TEST(test_interrupt_suppression), UT_TEST(test_index_overflow),
	UT_TEST(test_random_run), UT_TEST(test_hostile_modes),
	UT_TEST(test_hostile_index), UT_TEST(test_hostile_details),
	UT_TEST(test_error_names))
