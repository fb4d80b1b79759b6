/*
 * test_virtqueue_random.c - host unit tests for 16-bit index overflow and
 * a long seeded random run.
 *
 * Ring indices are 16 bits and wrap after 65536 buffers, which a short
 * test never reaches; a bug there would show only after hours in a
 * guest. These tests push past the wrap, once directly and once with
 * random adds, completions, kicks and callback toggling, predicting every
 * kick and interrupt exactly. The seed is fixed, so a failure repeats.
 */
#include "tests/unit/vq_rig.h"

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

UT_MAIN(UT_TEST(test_index_overflow), UT_TEST(test_random_run))
