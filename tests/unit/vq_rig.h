/*
 * vq_rig.h - shared helpers of the virtqueue host tests
 * (test_virtqueue.c, test_virtqueue_notify.c, test_virtqueue_random.c,
 * test_virtqueue_hostile.c).
 *
 * Every test runs the driver (drivers/virtio/) against the in-process
 * device model (vq_device_model.c) over pretend guest memory: an arena
 * whose guest-physical addresses differ from its host pointers, so a
 * driver that forgot virt_to_phys is caught by the model. Here: that
 * arena, one queue with its device (struct env) for any of the three
 * layouts, adding a buffer of n pieces, and a device that completes
 * everything in order.
 *
 * Each test file uses part of it, hence the unused pragmas.
 */
#ifndef PINPRICK_VQ_RIG_H
#define PINPRICK_VQ_RIG_H

#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-const-variable"

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

#endif
