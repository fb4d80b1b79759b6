/*
 * vq_device.c - the device half of the virtqueue fuzz harness: how the
 * scripted device writes the rings (see fuzz/vq_harness.c for the script).
 *
 * Three kinds of writes: an honest completion of an available buffer, in
 * any order and with a length of the script's choosing (too long now and
 * then, which the driver must refuse or clamp); notification wishes,
 * which are legal with any value; and raw stores of arbitrary bytes
 * anywhere in the ring memory, after which the device counts as lying.
 * Every store into the device's own area also goes to a shadow copy, so
 * the harness can tell whether the DRIVER ever wrote there.
 */
#include <string.h>

#include "fuzz/vq_harness_int.h"

/* Device-side stores: keep the shadow of the device area in step. */
static void dev_write(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;

	CHECK(d >= h.ring && d + n <= h.ring + h.ring_bytes);
	memcpy(d, src, n);
	/* Byte by byte: a raw store may straddle the area's edge. */
	for (size_t i = 0; i < n; i++)
		if (d + i >= h.dev_area && d + i < h.dev_area + h.dev_bytes)
			h.shadow[d + i - h.dev_area] = d[i];
}

static void dev_w16(void *dst, uint16_t v)
{
	dev_write(dst, &v, 2);
}

static void dev_w32(void *dst, uint32_t v)
{
	dev_write(dst, &v, 4);
}

/* The device returns one available buffer, in any order. */
void vqd_complete(void)
{
	unsigned t = vqh_pick_tok(T_AVAIL, vqh_in8());
	uint8_t sel = vqh_in8();
	uint32_t len;
	struct tok *k;

	if (t == MAX_TOK)
		return;
	k = &h.tok[t];
	if (sel == 0xFF && k->in_len < UINT32_MAX)
		len = k->in_len + 1 + vqh_in8() % (UINT32_MAX - k->in_len);
	else
		len = (uint32_t)(vqh_in32() % ((uint64_t)k->in_len + 1));

	if (h.packed) {
		struct vring_packed_desc *d =
			&h.vq.r.packed.desc[h.dev_used_pos];
		uint16_t f = h.dev_used_wrap ? VRING_PACKED_DESC_F_AVAIL |
						       VRING_PACKED_DESC_F_USED
					     : 0;

		dev_w16(&d->id, k->head);
		dev_w32(&d->len, len);
		dev_w16(&d->flags, f); /* last: publishes the entry */
		h.dev_used_pos = (uint16_t)(h.dev_used_pos + k->need);
		if (h.dev_used_pos >= h.size) {
			h.dev_used_pos = (uint16_t)(h.dev_used_pos - h.size);
			h.dev_used_wrap = !h.dev_used_wrap;
		}
	} else {
		struct vring_used *u = h.vq.r.split.used;
		struct vring_used_elem *e =
			&u->ring[h.dev_used_idx & (h.size - 1)];

		dev_w32(&e->id, k->head);
		dev_w32(&e->len, len);
		h.dev_used_idx++;
		dev_w16(&u->idx, h.dev_used_idx);
	}
	k->state = T_DONE;
	k->seq = h.done_seq++;
}

/* Arbitrary bytes anywhere in the ring memory. */
void vqd_raw(void)
{
	size_t width = vqh_in8() & 1 ? 4 : 2;
	size_t off = (vqh_in16() % (h.ring_bytes - width + 1)) & ~(size_t)1;

	if (width == 4)
		dev_w32(h.ring + off, vqh_in32());
	else
		dev_w16(h.ring + off, vqh_in16());
	h.lied = true;
}

/* Legal device wishes: kick suppression and its event index. */
void vqd_wish(void)
{
	uint8_t what = vqh_in8();

	if (h.packed) {
		dev_w32(h.vq.r.packed.device, vqh_in32());
	} else if (what & 1) {
		dev_w16(&h.vq.r.split.used->flags, vqh_in16());
	} else {
		struct vring_used *u = h.vq.r.split.used;

		dev_w16(&u->ring[h.size], vqh_in16()); /* avail_event */
	}
}
