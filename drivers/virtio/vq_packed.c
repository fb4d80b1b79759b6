/*
 * vq_packed.c - the packed virtqueue (virtio 1.2 §2.8).
 *
 * A packed queue is ONE ring of N descriptors {addr, len, id, flags} that
 * both sides write, plus two 4-byte event-suppression structures:
 *
 *   descriptor ring     driver writes available descriptors, the device
 *                       overwrites them in place with used descriptors
 *   driver event area   driver -> device: "interrupt me / don't / at ..."
 *   device event area   device -> driver: "kick me / don't / at ..."
 *
 * Nobody publishes an index. Instead each side walks the ring in order
 * and keeps a 1-bit wrap counter that starts at 1 and flips every time
 * its position wraps from N-1 to 0. Two flag bits carry the state:
 *
 *   available:  AVAIL = driver's wrap counter, USED = its inverse
 *   used:       AVAIL = USED = device's wrap counter
 *
 * so a descriptor written on the previous lap never looks new on this one.
 *
 * To offer a buffer the driver writes its descriptors at next_avail (a
 * chain is consecutive descriptors linked by NEXT, each carrying the same
 * buffer id), and writes the first descriptor's flags last, after a write
 * barrier: that single store makes the whole chain visible. The device
 * reports a finished buffer by writing ONE used descriptor {id, len} at
 * its used position and skipping as many positions as that buffer had
 * descriptors; the driver, reading at last_used, skips the same number
 * (it knows it from the id), so both stay in step even when buffers
 * complete out of order. Buffer ids are the driver's own: a free list of
 * 0..N-1 in vq->slot.
 *
 * Indirect tables (§2.8.13): one ring descriptor with INDIRECT points to a
 * table; in the table only WRITE is meaningful and the length says how
 * many entries there are.
 *
 * Event suppression (§2.8.10): flags ENABLE, DISABLE, or (with EVENT_IDX)
 * DESC, in which case off_wrap names a ring position and wrap counter:
 * "notify me when you reach this descriptor".
 *
 * Trust: the driver reads only the flags, id and len of the descriptor at
 * last_used, each once. It knows what it wrote there, so anything other
 * than "still available" or "used with the right wrap counter" is a device
 * error: a used descriptor with the wrong wrap counter, AVAIL and USED
 * that disagree, a used descriptor when nothing is in flight, an id out of
 * range or not in flight, a length past the writable bytes.
 */
#include "drivers/virtio/virtqueue.h"

#define F_AVAIL VRING_PACKED_DESC_F_AVAIL
#define F_USED	VRING_PACKED_DESC_F_USED

/* The flags that mark a descriptor available on the lap of wrap w. */
static uint16_t avail_bits(bool w)
{
	return w ? F_AVAIL : F_USED;
}

static uint16_t off_wrap(uint16_t pos, bool w)
{
	return (uint16_t)(pos | (w ? 1u << VRING_PACKED_EVENT_WRAP_SHIFT : 0));
}

static void put_desc(struct vring_packed_desc *d, uint64_t addr, uint32_t len,
		     uint16_t id)
{
	vq_wr64(&d->addr, addr);
	vq_wr32(&d->len, len);
	vq_wr16(&d->id, id);
}

static int packed_add(struct virtqueue *vq, const struct vq_buf *bufs,
		      unsigned n_out, unsigned n_in, void *token, bool ind,
		      uint32_t in_len)
{
	unsigned n = n_out + n_in;
	uint16_t id = vq->free_head, head = vq->avail_idx, pos = head;
	uint16_t head_flags = 0, num;
	bool w = vq->avail_wrap;
	struct vq_slot *s = &vq->slot[id];

	if (ind) {
		struct vring_packed_desc *t =
			(struct vring_packed_desc *)vq->indirect +
			(size_t)id * vq->indirect_max;

		for (unsigned i = 0; i < n; i++) {
			put_desc(&t[i], vq_phys(vq, bufs[i].addr), bufs[i].len,
				 0);
			vq_wr16(&t[i].flags,
				i >= n_out ? VRING_DESC_F_WRITE : 0);
		}
		put_desc(&vq->r.packed.desc[pos], vq_phys(vq, t),
			 (uint32_t)(n * sizeof(*t)), id);
		head_flags = VRING_DESC_F_INDIRECT | avail_bits(w);
		if (++pos == vq->size) {
			pos = 0;
			w = !w;
		}
		num = 1;
	} else {
		for (unsigned i = 0; i < n; i++) {
			uint16_t f = (i + 1 < n ? VRING_DESC_F_NEXT : 0) |
				     (i >= n_out ? VRING_DESC_F_WRITE : 0) |
				     avail_bits(w);

			put_desc(&vq->r.packed.desc[pos],
				 vq_phys(vq, bufs[i].addr), bufs[i].len, id);
			if (i == 0)
				head_flags = f; /* stored last, below */
			else
				vq_wr16(&vq->r.packed.desc[pos].flags, f);
			if (++pos == vq->size) {
				pos = 0;
				w = !w;
			}
		}
		num = (uint16_t)n;
	}

	vq->free_head = s->next;
	s->token = token;
	s->in_len = in_len;
	s->num = num;

	/* Everything else first; the head's flags make the chain visible. */
	virt_wmb();
	vq_wr16(&vq->r.packed.desc[head].flags, head_flags);

	vq->avail_idx = pos;
	vq->avail_wrap = w;
	vq->num_free -= num;
	vq->in_flight++;
	vq->num_added += num;
	return VQ_OK;
}

static bool packed_kick_prepare(struct virtqueue *vq)
{
	uint16_t new_idx = vq->avail_idx;
	uint16_t old = (uint16_t)(new_idx - vq->num_added);
	uint32_t snap;
	uint16_t flags, ow, event;
	bool need;

	virt_mb(); /* descriptors visible before we read the device's wish */
	snap = vq_rd32(vq->r.packed.device); /* off_wrap and flags at once */
	ow = (uint16_t)snap;
	flags = (uint16_t)(snap >> 16);
	if (flags == VRING_PACKED_EVENT_FLAG_DESC && vq->event_idx) {
		/* Same test as split, on positions; an event on the other
		 * lap is moved back by N so the window [old, new) covers it.
		 * A whole lap or more since the last kick: positions alone
		 * are ambiguous, so notify.
		 */
		event = ow & 0x7FFF;
		if ((bool)(ow >> VRING_PACKED_EVENT_WRAP_SHIFT) !=
		    vq->avail_wrap)
			event = (uint16_t)(event - vq->size);
		need = vq->num_added >= vq->size ||
		       vring_need_event(event, new_idx, old);
	} else {
		/* ENABLE, or a value we do not understand: notify. */
		need = flags != VRING_PACKED_EVENT_FLAG_DISABLE;
	}
	vq->num_added = 0;
	return need;
}

static bool looks_used(uint16_t flags, bool w)
{
	return !!(flags & F_AVAIL) == w && !!(flags & F_USED) == w;
}

static void release(struct virtqueue *vq, uint16_t id)
{
	struct vq_slot *s = &vq->slot[id];

	vq->num_free += s->num;
	vq->in_flight--;
	s->num = 0;
	s->token = NULL;
	s->next = vq->free_head;
	vq->free_head = id;
}

static void *packed_get_used(struct virtqueue *vq, uint32_t *len)
{
	struct vring_packed_desc *d = &vq->r.packed.desc[vq->last_used];
	bool w = vq->used_wrap, a, u;
	uint16_t flags, id;
	uint32_t ulen;
	struct vq_slot *s;
	void *token;
	unsigned pos;

	flags = vq_rd16(&d->flags);
	a = !!(flags & F_AVAIL);
	u = !!(flags & F_USED);
	if (vq->in_flight == 0) {
		if (a == w && u == w)
			vq_device_error(vq, VQ_ERR_USED_IDX,
					"packed q%u: used descriptor at %u "
					"with nothing in flight",
					vq->index, vq->last_used);
		return NULL;
	}
	if (a == w && u != w)
		return NULL; /* still as we wrote it: not used yet */
	if (a != u) {
		vq_device_error(vq, VQ_ERR_PACKED_FLAGS,
				"packed q%u: descriptor %u flags 0x%04x: "
				"AVAIL != USED",
				vq->index, vq->last_used, flags);
		return NULL;
	}
	if (u != w) {
		vq_device_error(vq, VQ_ERR_PACKED_WRAP,
				"packed q%u: descriptor %u used with wrap %d, "
				"expected %d",
				vq->index, vq->last_used, u, w);
		return NULL;
	}
	virt_rmb(); /* id and len only after the flags said "used" */

	id = vq_rd16(&d->id);
	ulen = vq_rd32(&d->len);
	if (id >= vq->size) {
		vq_device_error(vq, VQ_ERR_USED_ID_RANGE,
				"packed q%u: used id %u >= queue size %u",
				vq->index, id, vq->size);
		return NULL;
	}
	s = &vq->slot[id];
	if (!s->num) {
		vq_device_error(vq, VQ_ERR_USED_ID_IDLE,
				"packed q%u: used id %u is not a buffer in "
				"flight",
				vq->index, id);
		return NULL;
	}
	if (ulen > s->in_len && vq->lax_used_len) {
		vq->len_clamped++;
		ulen = s->in_len;
	}
	if (ulen > s->in_len) {
		vq_device_error(vq, VQ_ERR_USED_LEN,
				"packed q%u: used len %u > %u writable bytes "
				"(id %u)",
				vq->index, ulen, s->in_len, id);
		return NULL;
	}

	token = s->token;
	pos = vq->last_used + s->num; /* skip the buffer's descriptors */
	if (pos >= vq->size) {
		pos -= vq->size;
		vq->used_wrap = !vq->used_wrap;
	}
	vq->last_used = (uint16_t)pos;
	release(vq, id);
	if (vq->cb_enabled && vq->event_idx) {
		vq_wr16(&vq->r.packed.driver->off_wrap,
			off_wrap(vq->last_used, vq->used_wrap));
		virt_mb();
	}
	*len = ulen;
	return token;
}

static bool packed_more_used(const struct virtqueue *vq)
{
	uint16_t flags = vq_rd16(&vq->r.packed.desc[vq->last_used].flags);
	bool w = vq->used_wrap;

	/* With a buffer in flight, the descriptor at last_used is one we
	 * made available (AVAIL = w, USED = !w). Anything else is the
	 * device's doing: a proper used mark, or flags with the wrong wrap
	 * or AVAIL != USED, which get_used then reports. Calling only the
	 * proper mark news would turn a broken device into a silent one. */
	if (vq->in_flight)
		return !(!!(flags & F_AVAIL) == w && !!(flags & F_USED) != w);
	return looks_used(flags, w);
}

static void packed_disable_cb(struct virtqueue *vq)
{
	vq_wr16(&vq->r.packed.driver->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
}

static void packed_enable_cb(struct virtqueue *vq)
{
	if (vq->event_idx) {
		vq_wr16(&vq->r.packed.driver->off_wrap,
			off_wrap(vq->last_used, vq->used_wrap));
		virt_wmb(); /* position before the flag that enables it */
		vq_wr16(&vq->r.packed.driver->flags,
			VRING_PACKED_EVENT_FLAG_DESC);
	} else {
		vq_wr16(&vq->r.packed.driver->flags,
			VRING_PACKED_EVENT_FLAG_ENABLE);
	}
}

static void *packed_detach_unused(struct virtqueue *vq)
{
	for (unsigned i = 0; i < vq->size; i++) {
		if (vq->slot[i].num) {
			void *token = vq->slot[i].token;

			release(vq, (uint16_t)i);
			return token;
		}
	}
	return NULL;
}

const struct vq_ops vq_packed_ops = {
	.add = packed_add,
	.kick_prepare = packed_kick_prepare,
	.get_used = packed_get_used,
	.more_used = packed_more_used,
	.disable_cb = packed_disable_cb,
	.enable_cb = packed_enable_cb,
	.detach_unused = packed_detach_unused,
};
