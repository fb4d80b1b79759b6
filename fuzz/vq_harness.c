/*
 * vq_harness.c - a scripted, partly hostile virtio device for fuzzing the
 * virtqueue driver (split and packed rings).
 *
 * Why: the driver promises (virtqueue.h, "Trust") that nothing the device
 * writes is believed: a bad used index, id or length is detected, the
 * queue becomes broken and the bad entry is never followed. Unit tests
 * try a handful of hostile writes; here libFuzzer picks them.
 *
 * Input: byte 0 picks the queue size, byte 1 the features (bit 0
 * VERSION_1 for split, bit 1 EVENT_IDX, bit 2 INDIRECT_DESC, bit 3
 * lax_used_len, bits 4-7 indirect_max - 1). Then a script of operations,
 * each an opcode byte and its argument bytes (missing bytes read as 0):
 *
 *   add      the driver offers a buffer (n_out, n_in, add flags, lengths)
 *   kick     vq_kick
 *   complete the device honestly returns an available buffer (any order)
 *            with a length it chooses, possibly too long
 *   raw      the device writes 2 or 4 arbitrary bytes anywhere in the
 *            ring memory (from here on the device is "lying")
 *   wish     the device changes its notification wishes (legal values)
 *   get      the driver harvests with vq_get_used
 *   more / enable / disable   vq_more_used, vq_enable_cb, vq_disable_cb
 *   reset    detach every buffer and set the queue up again
 *
 * Asserted (abort on violation), after every operation:
 *   - every vq_add_ex return code equals the one predicted from the
 *     arguments, the free descriptors and the broken state;
 *   - vq_num_free and vq_in_flight match our own bookkeeping, so no
 *     descriptor leaks or is freed twice;
 *   - vq_get_used, vq_more_used and vq_enable_cb give exactly the answer
 *     of the reference reader in fuzz/vq_oracle.c for the ring as it is
 *     (which buffer, which length, clamped or not, or which error), and
 *     a token comes back only if in flight, only once;
 *   - while the device is honest: buffers come back in completion order
 *     and the queue never breaks except for a too-long length;
 *   - the driver never writes the device's area (split used ring, packed
 *     device event area): a shadow copy must stay equal;
 *   - errors, the on_error callback, vq_is_broken and vq_last_error agree;
 *     a broken queue stays broken, harvests nothing and refuses adds;
 *   - vq_detach_unused gives back exactly the buffers still in flight.
 * Out-of-bounds reads and writes are caught by ASan: the ring, the state
 * and the indirect tables are separate allocations of their exact sizes.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtqueue.h"
#include "fuzz/vq_harness.h"
#include "fuzz/vq_harness_int.h"

struct harness h;

uint8_t vqh_in8(void)
{
	return h.p < h.end ? *h.p++ : 0;
}

uint16_t vqh_in16(void)
{
	uint16_t lo = vqh_in8(); /* two statements: a fixed byte order */

	return (uint16_t)(lo | vqh_in8() << 8);
}

uint32_t vqh_in32(void)
{
	uint32_t lo = vqh_in16();

	return lo | (uint32_t)vqh_in16() << 16;
}

unsigned vqh_pick_tok(int state, unsigned k)
{
	unsigned n = 0;

	for (unsigned i = 0; i < MAX_TOK; i++)
		if (h.tok[i].state == state)
			n++;
	if (!n)
		return MAX_TOK;
	k %= n;
	for (unsigned i = 0; i < MAX_TOK; i++)
		if (h.tok[i].state == state && !k--)
			return i;
	return MAX_TOK;
}
static uint8_t bufmem[MAX_SEG * 64];

static void on_notify(void *ctx, struct virtqueue *vq)
{
	CHECK(vq == &h.vq);
	h.notifies++;
}

static void on_error(void *ctx, struct virtqueue *vq, int err, const char *msg)
{
	CHECK(vq == &h.vq);
	CHECK(err > VQ_ERR_NONE && err < VQ_ERR_COUNT);
	CHECK(msg && msg[0]);
	h.err_calls++;
}

static void q_setup(void)
{
	struct vq_setup s;

	memset(&s, 0, sizeof(s));
	s.size = h.size;
	s.index = 1;
	s.features = h.features;
	s.ring = h.ring;
	s.state = h.state;
	s.indirect = h.ind;
	s.indirect_max = h.ind ? h.indirect_max : 0;
	s.notify = on_notify;
	s.on_error = on_error;
	CHECK(vq_init(&h.vq, &s) == VQ_OK);
	h.vq.lax_used_len = h.lax;
	vq_get_addrs(&h.vq, &h.a);
	CHECK(h.a.size == h.size);
	if (h.packed) {
		CHECK(h.a.layout == VQ_LAYOUT_PACKED);
		h.dev_area = (uint8_t *)(uintptr_t)h.a.device;
	} else {
		CHECK(h.a.layout == ((h.features & VQ_FEAT(VIRTIO_F_VERSION_1))
					     ? VQ_LAYOUT_SPLIT
					     : VQ_LAYOUT_SPLIT_LEGACY));
		h.dev_area = (uint8_t *)(uintptr_t)h.a.device;
	}
	h.dev_bytes = h.a.device_bytes;
	CHECK(h.dev_area >= h.ring &&
	      h.dev_area + h.dev_bytes <= h.ring + h.ring_bytes);
	memcpy(h.shadow, h.dev_area, h.dev_bytes);

	memset(h.tok, 0, sizeof(h.tok));
	h.in_flight = h.desc_used = 0;
	h.adds = 0;
	h.dev_used_idx = 0;
	h.dev_used_pos = h.drv_avail_pos = 0;
	h.dev_used_wrap = h.drv_avail_wrap = true;
	h.done_seq = 0;
	vqo_init(&h.o, &h.a, h.lax);
	h.lied = h.was_broken = false;
	h.clamped = 0;
	h.notifies = h.err_calls = 0;
}

static void check_state(void)
{
	bool broken = vq_is_broken(&h.vq);

	CHECK(vq_num_free(&h.vq) <= h.size);
	CHECK(vq_num_free(&h.vq) == h.size - h.desc_used);
	CHECK(vq_in_flight(&h.vq) == h.in_flight);
	CHECK(memcmp(h.shadow, h.dev_area, h.dev_bytes) == 0);
	CHECK(h.vq.errors == h.err_calls);
	CHECK(broken == (h.vq.errors > 0));
	if (broken) {
		CHECK(vq_last_error(&h.vq) > VQ_ERR_NONE &&
		      vq_last_error(&h.vq) < VQ_ERR_COUNT);
		CHECK(strcmp(vq_error_name(vq_last_error(&h.vq)), "unknown"));
		CHECK(vq_last_error_msg(&h.vq)[0]);
	} else {
		CHECK(vq_last_error(&h.vq) == VQ_ERR_NONE);
		CHECK(!h.was_broken); /* broken is for good */
	}
	h.was_broken = broken;
	CHECK(h.vq.len_clamped == h.clamped);
}

/* A new buffer's head (split) or id (packed) must not be one in flight. */
static void check_head_unique(unsigned self, uint16_t head)
{
	CHECK(head < h.size);
	for (unsigned i = 0; i < MAX_TOK; i++)
		if (i != self && h.tok[i].state != T_FREE)
			CHECK(h.tok[i].head != head);
}

static void op_add(void)
{
	unsigned n_out = vqh_in8() % 4, n_in = vqh_in8() % 4,
		 flags = vqh_in8() % 4;
	unsigned n = n_out + n_in, t = vqh_pick_tok(T_FREE, 0), need = 0;
	struct vq_buf bufs[MAX_SEG];
	uint64_t in_len = 0;
	bool can_ind, ind;
	int expect, rc;

	for (unsigned i = 0; i < n; i++) {
		bufs[i].addr = bufmem + 64 * i;
		bufs[i].len = vqh_in8() == 0xFF ? vqh_in32() : vqh_in16();
		if (i >= n_out)
			in_len += bufs[i].len;
	}
	CHECK(t < MAX_TOK);

	/* The contract of vq_add_ex, predicted from the outside. */
	can_ind = h.ind && n <= h.indirect_max;
	ind = (flags & VQ_ADD_INDIRECT) ||
	      (can_ind && n > 1 && !(flags & VQ_ADD_DIRECT));
	if (vq_is_broken(&h.vq))
		expect = VQ_EIO;
	else if (n == 0 || n > h.size || flags == 3 || in_len > UINT32_MAX)
		expect = VQ_EINVAL;
	else if ((flags & VQ_ADD_INDIRECT) && !can_ind)
		expect = VQ_EINVAL;
	else if (h.size - h.desc_used < (need = ind ? 1 : n))
		expect = VQ_ENOSPC;
	else
		expect = VQ_OK;

	rc = vq_add_ex(&h.vq, bufs, n_out, n_in, &h.tok[t], flags);
	CHECK(rc == expect);
	if (rc != VQ_OK)
		return;

	h.tok[t].state = T_AVAIL;
	h.tok[t].in_len = (uint32_t)in_len;
	h.tok[t].need = (uint16_t)need;
	h.in_flight++;
	h.desc_used += need;
	if (h.packed) {
		struct vring_packed_desc *d =
			&h.vq.r.packed.desc[h.drv_avail_pos];
		uint16_t f = vq_rd16(&d->flags);

		/* Available on our lap: AVAIL = wrap, USED = !wrap. */
		CHECK(!!(f & VRING_PACKED_DESC_F_AVAIL) == h.drv_avail_wrap);
		CHECK(!!(f & VRING_PACKED_DESC_F_USED) != h.drv_avail_wrap);
		h.tok[t].head = vq_rd16(&d->id);
		h.drv_avail_pos = (uint16_t)(h.drv_avail_pos + need);
		if (h.drv_avail_pos >= h.size) {
			h.drv_avail_pos = (uint16_t)(h.drv_avail_pos - h.size);
			h.drv_avail_wrap = !h.drv_avail_wrap;
		}
	} else {
		struct vring_avail *av = h.vq.r.split.avail;

		h.adds++;
		CHECK(vq_rd16(&av->idx) == h.adds);
		h.tok[t].head = vq_rd16(
			&av->ring[(uint16_t)(h.adds - 1) & (h.size - 1)]);
	}
	check_head_unique(t, h.tok[t].head);
}

static void op_kick(void)
{
	unsigned before = h.notifies;
	bool broken = vq_is_broken(&h.vq), r = vq_kick(&h.vq);

	CHECK(r == (h.notifies == before + 1));
	CHECK(h.notifies <= before + 1);
	if (broken)
		CHECK(!r);
}

static bool look(uint16_t head, uint32_t *in_len)
{
	for (unsigned i = 0; i < MAX_TOK; i++) {
		if (h.tok[i].state != T_FREE && h.tok[i].head == head) {
			*in_len = h.tok[i].in_len;
			return true;
		}
	}
	return false;
}

/* The honestly completed buffer the device returned first, or MAX_TOK. */
static unsigned oldest_done(void)
{
	unsigned best = MAX_TOK;

	for (unsigned i = 0; i < MAX_TOK; i++)
		if (h.tok[i].state == T_DONE &&
		    (best == MAX_TOK || h.tok[i].seq < h.tok[best].seq))
			best = i;
	return best;
}

static void op_get(void)
{
	bool broken = vq_is_broken(&h.vq);
	struct vqo_expect e;
	uint32_t len = 0xA5A5A5A5;
	unsigned t, first = oldest_done();
	uintptr_t off;
	void *p;

	vqo_predict(&h.o, h.in_flight, look, &e);
	p = vq_get_used(&h.vq, &len);
	off = (uintptr_t)p - (uintptr_t)h.tok;
	t = (unsigned)(off / sizeof(h.tok[0]));
	if (broken) {
		CHECK(!p);
		return;
	}
	if (!h.lied) {
		/* An honest device: the first completion, or a too-long
		 * length refused; never an error out of nothing. */
		CHECK(e.err == VQ_ERR_NONE || e.err == VQ_ERR_USED_LEN);
		CHECK(e.got == (first != MAX_TOK) || e.err);
		if (e.got)
			CHECK(h.tok[first].head == e.head);
	}
	if (e.err) {
		CHECK(!p && vq_is_broken(&h.vq));
		CHECK(vq_last_error(&h.vq) == e.err);
		return;
	}
	CHECK(!vq_is_broken(&h.vq));
	if (!e.got) {
		CHECK(!p);
		return;
	}
	CHECK(p);
	CHECK(off < sizeof(h.tok) && off % sizeof(h.tok[0]) == 0);
	CHECK(h.tok[t].state != T_FREE && h.tok[t].head == e.head);
	CHECK(len == e.len && len <= h.tok[t].in_len);
	h.clamped += e.clamped;
	vqo_advance(&h.o, h.tok[t].need);
	h.tok[t].state = T_FREE;
	h.in_flight--;
	h.desc_used -= h.tok[t].need;
}

static void op_more(void)
{
	bool broken = vq_is_broken(&h.vq);
	bool want = !broken && vqo_more_used(&h.o, h.in_flight);

	CHECK(vq_more_used(&h.vq) == want);
}

static void op_enable(void)
{
	bool broken = vq_is_broken(&h.vq);
	bool want = broken || !vqo_more_used(&h.o, h.in_flight);

	CHECK(vq_enable_cb(&h.vq) == want);
}

/* Device reset: every buffer still in flight comes back exactly once. */
static void detach_all(void)
{
	unsigned got = 0;
	void *p;

	while ((p = vq_detach_unused(&h.vq))) {
		uintptr_t off = (uintptr_t)p - (uintptr_t)h.tok;
		unsigned t = (unsigned)(off / sizeof(h.tok[0]));

		CHECK(++got <= h.size);
		CHECK(off < sizeof(h.tok) && off % sizeof(h.tok[0]) == 0);
		CHECK(h.tok[t].state != T_FREE);
		h.tok[t].state = T_FREE;
		h.in_flight--;
		h.desc_used -= h.tok[t].need;
	}
	CHECK(h.in_flight == 0 && h.desc_used == 0);
	CHECK(vq_in_flight(&h.vq) == 0);
	CHECK(vq_num_free(&h.vq) == h.size);
}

static bool config(const uint8_t *data, size_t size, bool packed)
{
	uint8_t b0, b1;

	if (size < 2)
		return false;
	b0 = data[0];
	b1 = data[1];
	memset(&h, 0, sizeof(h));
	h.p = data + 2;
	h.end = data + size;
	h.packed = packed;
	if (packed) {
		/* Any size works for packed; small ones wrap often. */
		h.size = b0 & 0x80 ? 1 + (b0 & 7) : 1 + b0 % MAX_Q;
		h.features = VQ_FEAT(VIRTIO_F_VERSION_1) |
			     VQ_FEAT(VIRTIO_F_RING_PACKED);
	} else {
		h.size = 1u << (b0 % 9); /* 1 .. 256 */
		if (b1 & 1)
			h.features = VQ_FEAT(VIRTIO_F_VERSION_1);
	}
	if (b1 & 2)
		h.features |= VQ_FEAT(VIRTIO_F_EVENT_IDX);
	h.lax = b1 & 8;
	h.indirect_max = 1 + (b1 >> 4);
	if (h.indirect_max > h.size)
		h.indirect_max = h.size;
	if (b1 & 4)
		h.features |= VQ_FEAT(VIRTIO_F_INDIRECT_DESC);
	return true;
}

void vqh_run(const uint8_t *data, size_t size, int packed)
{
	size_t align;

	if (!config(data, size, packed))
		return;
	/* Exact sizes, so ASan sees one byte past any of them. */
	h.ring_bytes = vq_ring_bytes(h.features, h.size);
	CHECK(h.ring_bytes > 0);
	align = (h.features & (VQ_FEAT(VIRTIO_F_VERSION_1))) ? 16 : 4096;
	CHECK(posix_memalign((void **)&h.ring, align, h.ring_bytes) == 0);
	memset(h.ring, 0x5A, h.ring_bytes); /* init must clear it */
	h.state = malloc(vq_state_bytes(h.size));
	h.shadow = malloc(h.ring_bytes);
	CHECK(h.state && h.shadow);
	if (h.features & VQ_FEAT(VIRTIO_F_INDIRECT_DESC)) {
		CHECK(posix_memalign(
			      &h.ind, 16,
			      vq_indirect_bytes(h.size, h.indirect_max)) == 0);
	}
	q_setup();
	check_state();

	while (h.p < h.end) {
		switch (vqh_in8() % N_OPS) {
		case 0:
		case 1:
			op_add();
			break;
		case 2:
			op_kick();
			break;
		case 3:
			vqd_complete();
			break;
		case 4:
			vqd_raw();
			break;
		case 5:
			vqd_wish();
			break;
		case 6:
			op_get();
			break;
		case 7:
			op_more();
			break;
		case 8:
			op_enable();
			break;
		case 9:
			vq_disable_cb(&h.vq);
			break;
		case 10:
			detach_all();
			q_setup();
			break;
		}
		check_state();
	}
	detach_all();
	free(h.ring);
	free(h.state);
	free(h.shadow);
	free(h.ind);
}
