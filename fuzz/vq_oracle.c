/*
 * vq_oracle.c - the reference answer for the next harvest of a virtqueue
 * (see vq_oracle.h). It reads the ring the way the spec says a driver
 * must: split, used->idx against the last index consumed, then the entry;
 * packed, the flags of the descriptor at the last used position against
 * the used wrap counter, then id and length. Every entry is validated
 * against the buffers the harness knows to be in flight.
 */
#include "fuzz/vq_oracle.h"

#define F_AVAIL VRING_PACKED_DESC_F_AVAIL
#define F_USED	VRING_PACKED_DESC_F_USED

void vqo_init(struct vqo *o, const struct vq_addrs *a, bool lax)
{
	o->packed = a->layout == VQ_LAYOUT_PACKED;
	o->lax = lax;
	o->size = a->size;
	o->desc = (const struct vring_packed_desc *)(uintptr_t)a->desc;
	o->used = (const struct vring_used *)(uintptr_t)a->device;
	o->last_used = 0;
	o->used_wrap = true; /* §2.8.1: wrap counters start at 1 */
}

/* Shared by both layouts once an id and a length are read. */
static void check_entry(const struct vqo *o, uint32_t id, uint32_t len,
			vqo_lookup_fn look, struct vqo_expect *e)
{
	uint32_t in_len;

	if (id >= o->size) {
		e->err = VQ_ERR_USED_ID_RANGE;
		return;
	}
	if (!look((uint16_t)id, &in_len)) {
		e->err = VQ_ERR_USED_ID_IDLE;
		return;
	}
	if (len > in_len) {
		if (!o->lax) {
			e->err = VQ_ERR_USED_LEN;
			return;
		}
		len = in_len;
		e->clamped = true;
	}
	e->got = true;
	e->head = (uint16_t)id;
	e->len = len;
}

static void predict_split(const struct vqo *o, unsigned in_flight,
			  vqo_lookup_fn look, struct vqo_expect *e)
{
	uint16_t idx = o->used->idx;
	const struct vring_used_elem *u;

	if (idx == o->last_used)
		return; /* nothing new */
	if ((uint16_t)(idx - o->last_used) > in_flight) {
		e->err = VQ_ERR_USED_IDX;
		return;
	}
	u = &o->used->ring[o->last_used & (o->size - 1)];
	check_entry(o, u->id, u->len, look, e);
}

static void predict_packed(const struct vqo *o, unsigned in_flight,
			   vqo_lookup_fn look, struct vqo_expect *e)
{
	const struct vring_packed_desc *d = &o->desc[o->last_used];
	bool a = d->flags & F_AVAIL, u = d->flags & F_USED, w = o->used_wrap;

	if (!in_flight) {
		/* A fresh used mark with nothing out is a device error. */
		if (a == w && u == w)
			e->err = VQ_ERR_USED_IDX;
		return;
	}
	if (a == w && u != w)
		return; /* still available as the driver wrote it */
	if (a != u) {
		e->err = VQ_ERR_PACKED_FLAGS;
		return;
	}
	if (u != w) {
		e->err = VQ_ERR_PACKED_WRAP;
		return;
	}
	check_entry(o, d->id, d->len, look, e);
}

void vqo_predict(const struct vqo *o, unsigned in_flight, vqo_lookup_fn look,
		 struct vqo_expect *e)
{
	e->err = VQ_ERR_NONE;
	e->got = false;
	e->clamped = false;
	e->head = 0;
	e->len = 0;
	if (o->packed)
		predict_packed(o, in_flight, look, e);
	else
		predict_split(o, in_flight, look, e);
}

void vqo_advance(struct vqo *o, uint16_t need)
{
	unsigned pos;

	if (!o->packed) {
		o->last_used++;
		return;
	}
	pos = o->last_used + need; /* skip the buffer's descriptors */
	if (pos >= o->size) {
		pos -= o->size;
		o->used_wrap = !o->used_wrap;
	}
	o->last_used = (uint16_t)pos;
}

bool vqo_more_used(const struct vqo *o, unsigned in_flight)
{
	const struct vring_packed_desc *d;
	bool a, u, w;

	if (!o->packed)
		return o->used->idx != o->last_used;
	d = &o->desc[o->last_used];
	a = d->flags & F_AVAIL;
	u = d->flags & F_USED;
	w = o->used_wrap;
	/* With buffers out, anything but "still available" is news (a used
	 * mark, or garbage the next get reports); with none, only a used
	 * mark is. */
	if (in_flight)
		return !(a == w && u != w);
	return a == w && u == w;
}
