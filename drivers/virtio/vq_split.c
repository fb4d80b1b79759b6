/*
 * vq_split.c - the split virtqueue (virtio 1.2 §2.7).
 *
 * A split queue of size N (a power of two) is three arrays in guest memory:
 *
 *   descriptor table  N x {addr, len, flags, next}   written by the driver
 *   available ring    flags, idx, ring[N], used_event  written by the driver
 *   used ring         flags, idx, ring[N]{id, len}, avail_event  by device
 *
 * To offer a buffer the driver takes free descriptors, fills them and
 * links them with NEXT into a chain (device-readable pieces first, then
 * device-writable ones with WRITE), writes the chain's head index into
 * avail->ring[avail->idx % N], and only then (write barrier) increments
 * avail->idx. The device consumes heads in that order; when done with a
 * chain it writes {head, bytes written} into used->ring[used->idx % N] and
 * increments used->idx. The driver reads used entries from its own
 * last_used up to used->idx and frees the chains.
 *
 * Both idx fields are free-running 16-bit counters: they are never reduced
 * mod N in memory, only when used as a ring position. Because N divides
 * 65536, idx % N stays right when the counter wraps from 65535 to 0, and
 * "how many entries are new" is simply (uint16_t)(idx - last).
 *
 * With INDIRECT_DESC a chain can instead be one descriptor with INDIRECT,
 * pointing at a table of descriptors elsewhere (§2.7.5.3): a long chain
 * then costs one ring slot. Each head descriptor owns one table slot in
 * vq->indirect.
 *
 * Notifications: without EVENT_IDX, used->flags NO_NOTIFY says "don't
 * kick me" and avail->flags NO_INTERRUPT says "don't interrupt me". With
 * EVENT_IDX each side instead publishes the index it wants to hear about
 * (used_event after the avail ring, avail_event after the used ring) and
 * the other side notifies only when it moves past it (vring_need_event).
 *
 * Trust: the driver keeps its own copy of every chain (vq->slot: token,
 * length, links) and never reads the descriptor table back. From the used
 * ring it reads idx, id and len once each, and checks them all before
 * acting: the index may not run ahead of what is in flight, the id must be
 * the head of a chain in flight, the length may not exceed the chain's
 * device-writable bytes.
 */
#include "drivers/virtio/virtqueue.h"

static uint16_t *used_event(struct virtqueue *vq)
{
	return &vq->r.split.avail->ring[vq->size];
}

static uint16_t *avail_event(const struct virtqueue *vq)
{
	return (uint16_t *)&vq->r.split.used->ring[vq->size];
}

static void put_desc(struct vring_desc *d, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	vq_wr64(&d->addr, addr);
	vq_wr32(&d->len, len);
	vq_wr16(&d->flags, flags);
	vq_wr16(&d->next, next);
}

static int split_add(struct virtqueue *vq, const struct vq_buf *bufs,
		     unsigned n_out, unsigned n_in, void *token, bool ind,
		     uint32_t in_len)
{
	unsigned n = n_out + n_in;
	uint16_t head = vq->free_head, d = head, last = head, num;
	struct vq_slot *s;

	if (ind) {
		struct vring_desc *t = (struct vring_desc *)vq->indirect +
				       (size_t)head * vq->indirect_max;

		/* The table chains with NEXT/next like the ring does. */
		for (unsigned i = 0; i < n; i++) {
			uint16_t f = (i + 1 < n ? VRING_DESC_F_NEXT : 0) |
				     (i >= n_out ? VRING_DESC_F_WRITE : 0);

			put_desc(&t[i], vq_phys(vq, bufs[i].addr), bufs[i].len,
				 f, (uint16_t)(i + 1 < n ? i + 1 : 0));
		}
		put_desc(&vq->r.split.desc[head], vq_phys(vq, t),
			 (uint32_t)(n * sizeof(*t)), VRING_DESC_F_INDIRECT, 0);
		vq->free_head = vq->slot[head].next;
		num = 1;
	} else {
		/* Free descriptors are already linked: walk them in order. */
		for (unsigned i = 0; i < n; i++) {
			uint16_t f = (i + 1 < n ? VRING_DESC_F_NEXT : 0) |
				     (i >= n_out ? VRING_DESC_F_WRITE : 0);

			last = d;
			put_desc(&vq->r.split.desc[d],
				 vq_phys(vq, bufs[i].addr), bufs[i].len, f,
				 vq->slot[d].next);
			d = vq->slot[d].next;
		}
		vq->free_head = d;
		num = (uint16_t)n;
	}

	s = &vq->slot[head];
	s->token = token;
	s->in_len = in_len;
	s->num = num;
	s->last = last;

	/* Ring entry first, then (barrier) the index that publishes it. */
	vq_wr16(&vq->r.split.avail->ring[vq->avail_idx & (vq->size - 1)], head);
	virt_wmb();
	vq->avail_idx++;
	vq_wr16(&vq->r.split.avail->idx, vq->avail_idx);

	vq->num_free -= num;
	vq->in_flight++;
	vq->num_added++;
	return VQ_OK;
}

static bool split_kick_prepare(struct virtqueue *vq)
{
	uint16_t new_idx = vq->avail_idx;
	uint16_t old = (uint16_t)(new_idx - vq->num_added);
	bool need;

	virt_mb(); /* avail->idx visible before we read the device's wish */
	if (vq->event_idx)
		/* 65536 or more since the last kick: the 16-bit window
		 * cannot tell, so notify. */
		need = vq->num_added > 0xFFFF ||
		       vring_need_event(vq_rd16(avail_event(vq)), new_idx, old);
	else
		need = !(vq_rd16(&vq->r.split.used->flags) &
			 VRING_USED_F_NO_NOTIFY);
	vq->num_added = 0;
	return need;
}

static void free_chain(struct virtqueue *vq, uint16_t head)
{
	struct vq_slot *s = &vq->slot[head];

	vq->slot[s->last].next = vq->free_head;
	vq->free_head = head;
	vq->num_free += s->num;
	vq->in_flight--;
	s->num = 0;
	s->token = NULL;
}

static void *split_get_used(struct virtqueue *vq, uint32_t *len)
{
	const struct vring_used_elem *e;
	uint16_t used_idx, pending;
	uint32_t id, ulen;
	struct vq_slot *s;
	void *token;

	used_idx = vq_rd16(&vq->r.split.used->idx);
	if (used_idx == vq->last_used)
		return NULL;
	pending = (uint16_t)(used_idx - vq->last_used);
	if (pending > vq->in_flight) {
		vq_device_error(
			vq, VQ_ERR_USED_IDX,
			"split q%u: used idx %u is %u past %u, but only "
			"%u in flight",
			vq->index, used_idx, pending, vq->last_used,
			vq->in_flight);
		return NULL;
	}
	virt_rmb(); /* read the entry only after seeing the index */

	e = &vq->r.split.used->ring[vq->last_used & (vq->size - 1)];
	id = vq_rd32(&e->id);
	ulen = vq_rd32(&e->len);
	if (id >= vq->size) {
		vq_device_error(vq, VQ_ERR_USED_ID_RANGE,
				"split q%u: used id %u >= queue size %u",
				vq->index, id, vq->size);
		return NULL;
	}
	s = &vq->slot[id];
	if (!s->num) {
		vq_device_error(vq, VQ_ERR_USED_ID_IDLE,
				"split q%u: used id %u is not a buffer in "
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
				"split q%u: used len %u > %u writable bytes "
				"(id %u)",
				vq->index, ulen, s->in_len, id);
		return NULL;
	}

	token = s->token;
	free_chain(vq, (uint16_t)id);
	vq->last_used++;
	if (vq->event_idx) {
		/* Enabled: interrupt for the next entry; else keep it parked.
		 */
		vq_wr16(used_event(vq),
			vq->cb_enabled ? vq->last_used
				       : (uint16_t)(vq->last_used - 1));
		virt_mb();
	}
	*len = ulen;
	return token;
}

static bool split_more_used(const struct virtqueue *vq)
{
	return vq_rd16(&vq->r.split.used->idx) != vq->last_used;
}

/*
 * With EVENT_IDX, used_event = last_used - 1 lies behind every entry the
 * device can still write (it never runs more than in_flight ahead), so
 * vring_need_event stays false until re-enabled.
 */
static void split_disable_cb(struct virtqueue *vq)
{
	if (vq->event_idx)
		vq_wr16(used_event(vq), (uint16_t)(vq->last_used - 1));
	else
		vq_wr16(&vq->r.split.avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
}

static void split_enable_cb(struct virtqueue *vq)
{
	if (vq->event_idx)
		vq_wr16(used_event(vq), vq->last_used);
	else
		vq_wr16(&vq->r.split.avail->flags, 0);
}

static void *split_detach_unused(struct virtqueue *vq)
{
	for (unsigned i = 0; i < vq->size; i++) {
		if (vq->slot[i].num) {
			void *token = vq->slot[i].token;

			free_chain(vq, (uint16_t)i);
			return token;
		}
	}
	return NULL;
}

const struct vq_ops vq_split_ops = {
	.add = split_add,
	.kick_prepare = split_kick_prepare,
	.get_used = split_get_used,
	.more_used = split_more_used,
	.disable_cb = split_disable_cb,
	.enable_cb = split_enable_cb,
	.detach_unused = split_detach_unused,
};
