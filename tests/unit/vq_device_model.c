/*
 * vq_device_model.c - the device side of a virtqueue, for host tests.
 *
 * Written from the spec (§2.7 split, §2.8 packed), independently of the
 * driver's code paths: it only sees guest-physical addresses and ring
 * memory, like a hypervisor. See vq_device_model.h.
 */
#include "tests/unit/vq_device_model.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail(struct vqm *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct vqm *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->last_error, sizeof(m->last_error), fmt, ap);
	va_end(ap);
	m->errors++;
	return -1;
}

int vqm_init(struct vqm *m, const struct vq_addrs *a, uint64_t features,
	     vqm_p2v_fn p2v, void *mem_ctx)
{
	memset(m, 0, sizeof(*m));
	m->a = *a;
	m->size = a->size;
	m->packed = a->layout == VQ_LAYOUT_PACKED;
	m->event_idx = !!(features & VQ_FEAT(VIRTIO_F_EVENT_IDX));
	m->indirect_ok = !!(features & VQ_FEAT(VIRTIO_F_INDIRECT_DESC));
	m->p2v = p2v;
	m->mem_ctx = mem_ctx;
	m->auto_avail_event = true;
	if (m->packed) {
		m->pdesc = p2v(mem_ctx, a->desc, 16ul * m->size);
		m->drv = p2v(mem_ctx, a->driver, 4);
		m->dev = p2v(mem_ctx, a->device, 4);
		m->avail_wrap = m->used_wrap = true;
		if (!m->pdesc || !m->drv || !m->dev || (a->desc & 15) ||
		    (a->driver & 3) || (a->device & 3))
			return fail(m, "packed ring addresses invalid");
		return 0;
	}
	m->desc = p2v(mem_ctx, a->desc, 16ul * m->size);
	m->avail = p2v(mem_ctx, a->driver, 6 + 2ul * m->size);
	m->used = p2v(mem_ctx, a->device, 6 + 8ul * m->size);
	if (!m->desc || !m->avail || !m->used || (a->desc & 15) ||
	    (a->driver & 1) || (a->device & 3))
		return fail(m, "split ring addresses invalid");
	if (a->layout == VQ_LAYOUT_SPLIT_LEGACY &&
	    ((a->desc & 4095) || a->driver != a->desc + 16ul * m->size ||
	     a->device != ((a->driver + 6 + 2ul * m->size + 4095) & ~4095ul)))
		return fail(m, "legacy ring is not one contiguous PFN layout");
	return 0;
}

static int add_seg(struct vqm *m, struct vqm_buf *b, uint64_t addr,
		   uint32_t len, bool write)
{
	struct vqm_seg *s;
	void *p;

	if (b->n_out + b->n_in >= VQM_MAX_SEG)
		return fail(m, "more than %d pieces", VQM_MAX_SEG);
	if (!write && b->n_in)
		return fail(m, "readable piece after a writable one");
	p = m->p2v(m->mem_ctx, addr, len);
	if (!p)
		return fail(m, "buffer 0x%llx+%u outside guest memory",
			    (unsigned long long)addr, len);
	s = &b->seg[b->n_out + b->n_in];
	s->p = p;
	s->gpa = addr;
	s->len = len;
	s->write = write;
	if (write) {
		b->n_in++;
		b->in_len += len;
	} else {
		b->n_out++;
		b->out_len += len;
	}
	return 0;
}

/* Split: an indirect table of n descriptors chained with next. */
static int split_table(struct vqm *m, struct vqm_buf *b,
		       const struct vring_desc *d)
{
	const struct vring_desc *t;
	unsigned n, i = 0, count = 0;

	if (!m->indirect_ok)
		return fail(m, "INDIRECT without the feature");
	if (d->flags & VRING_DESC_F_NEXT)
		return fail(m, "INDIRECT together with NEXT");
	if (d->len == 0 || d->len % 16 || d->len / 16 > m->size)
		return fail(m, "indirect table length %u", d->len);
	n = d->len / 16;
	t = m->p2v(m->mem_ctx, d->addr, d->len);
	if (!t)
		return fail(m, "indirect table outside guest memory");
	b->indirect = true;
	for (;;) {
		if (++count > n)
			return fail(m, "loop in indirect table");
		if (t[i].flags & VRING_DESC_F_INDIRECT)
			return fail(m, "INDIRECT inside an indirect table");
		if (add_seg(m, b, t[i].addr, t[i].len,
			    t[i].flags & VRING_DESC_F_WRITE))
			return -1;
		if (!(t[i].flags & VRING_DESC_F_NEXT))
			return 0;
		i = t[i].next;
		if (i >= n)
			return fail(m, "indirect next %u >= %u", i, n);
	}
}

static int split_pop(struct vqm *m, struct vqm_buf *b)
{
	uint16_t idx = m->avail->idx, head;
	unsigned i, count = 0;

	if (idx == m->last_avail)
		return 0;
	if ((uint16_t)(idx - m->last_avail) > m->size)
		return fail(m, "avail idx %u runs %u ahead", idx,
			    (uint16_t)(idx - m->last_avail));
	head = m->avail->ring[m->last_avail % m->size];
	if (head >= m->size)
		return fail(m, "avail head %u >= size", head);
	b->id = head;
	for (i = head;;) {
		const struct vring_desc *d = &m->desc[i];

		if (++count > m->size)
			return fail(m, "descriptor chain loops");
		if (d->flags & VRING_DESC_F_INDIRECT) {
			if (split_table(m, b, d))
				return -1;
			break;
		}
		if (add_seg(m, b, d->addr, d->len,
			    d->flags & VRING_DESC_F_WRITE))
			return -1;
		if (!(d->flags & VRING_DESC_F_NEXT))
			break;
		i = d->next;
		if (i >= m->size)
			return fail(m, "next %u >= size", i);
	}
	b->ndesc = (uint16_t)count;
	m->last_avail++;
	if (m->event_idx && m->auto_avail_event)
		*(uint16_t *)&m->used->ring[m->size] = m->last_avail;
	return 1;
}

static bool p_avail(uint16_t flags, bool w)
{
	return !!(flags & VRING_PACKED_DESC_F_AVAIL) == w &&
	       !!(flags & VRING_PACKED_DESC_F_USED) != w;
}

static int packed_pop(struct vqm *m, struct vqm_buf *b)
{
	unsigned pos = m->avail_pos, count = 0;
	bool w = m->avail_wrap;

	if (!p_avail(m->pdesc[pos].flags, w))
		return 0;
	for (;;) {
		const struct vring_packed_desc *d = &m->pdesc[pos];

		if (count && !p_avail(d->flags, w))
			return fail(m, "chain continues into a descriptor "
				       "that is not available");
		if (++count > m->size)
			return fail(m, "chain longer than the queue");
		b->id = d->id; /* the last descriptor's id counts */
		if (d->flags & VRING_DESC_F_INDIRECT) {
			const struct vring_packed_desc *t;

			if (!m->indirect_ok)
				return fail(m, "INDIRECT without the feature");
			if (count != 1 || (d->flags & VRING_DESC_F_NEXT))
				return fail(m, "INDIRECT inside a chain");
			if (d->len == 0 || d->len % 16 || d->len / 16 > m->size)
				return fail(m, "indirect length %u", d->len);
			t = m->p2v(m->mem_ctx, d->addr, d->len);
			if (!t)
				return fail(m, "indirect table outside memory");
			b->indirect = true;
			for (unsigned i = 0; i < d->len / 16; i++)
				if (add_seg(m, b, t[i].addr, t[i].len,
					    t[i].flags & VRING_DESC_F_WRITE))
					return -1;
		} else if (add_seg(m, b, d->addr, d->len,
				   d->flags & VRING_DESC_F_WRITE)) {
			return -1;
		}
		if (++pos == m->size) {
			pos = 0;
			w = !w;
		}
		if (!(d->flags & VRING_DESC_F_NEXT))
			break;
	}
	b->ndesc = (uint16_t)count;
	m->avail_pos = (uint16_t)pos;
	m->avail_wrap = w;
	return 1;
}

int vqm_pop(struct vqm *m, struct vqm_buf *b)
{
	struct vqm_buf nb;
	int r;

	memset(&nb, 0, sizeof(nb));
	r = m->packed ? packed_pop(m, &nb) : split_pop(m, &nb);
	if (r == 1) {
		*b = nb; /* b is left alone when nothing was taken */
		m->popped++;
	}
	return r;
}

static void split_put(struct vqm *m, uint32_t id, uint32_t len)
{
	struct vring_used_elem *e = &m->used->ring[m->used_idx % m->size];

	e->id = id;
	e->len = len;
	m->used_idx++;
	m->since_signal++;
}

static void packed_put(struct vqm *m, uint16_t id, uint32_t len, uint16_t flags,
		       unsigned skip)
{
	struct vring_packed_desc *d = &m->pdesc[m->used_pos];

	d->id = id;
	d->len = len;
	__asm__ volatile("" ::: "memory");
	d->flags = flags;
	m->used_pos = (uint16_t)(m->used_pos + skip);
	if (m->used_pos >= m->size) {
		m->used_pos = (uint16_t)(m->used_pos - m->size);
		m->used_wrap = !m->used_wrap;
	}
	m->since_signal += skip;
}

void vqm_push(struct vqm *m, const struct vqm_buf *b, uint32_t len)
{
	const uint16_t A = VRING_PACKED_DESC_F_AVAIL;
	const uint16_t U = VRING_PACKED_DESC_F_USED;
	enum vqm_hostile h = m->hostile;
	uint32_t id = b->id;
	uint16_t flags;

	m->hostile = VQM_HONEST;
	m->pushed++;
	if (h == VQM_ID_RANGE)
		id = m->size + 7;
	else if (h == VQM_ID_IDLE)
		id = m->hostile_arg;
	else if (h == VQM_LEN_BIG)
		len = b->in_len + 1;

	if (!m->packed) {
		split_put(m, id, len);
		if (h == VQM_DUPLICATE)
			split_put(m, id, len);
		if (h == VQM_IDX_JUMP)
			m->used_idx =
				(uint16_t)(m->used_idx +
					   (m->hostile_arg ? m->hostile_arg
							   : 1));
		__asm__ volatile("" ::: "memory");
		m->used->idx = m->used_idx;
		return;
	}

	flags = m->used_wrap ? A | U : 0;
	if (h == VQM_WRONG_WRAP)
		flags = m->used_wrap ? 0 : A | U;
	else if (h == VQM_BAD_FLAGS)
		flags = m->used_wrap ? U : A;
	packed_put(m, (uint16_t)id, len, flags, b->ndesc);
	if (h == VQM_DUPLICATE)
		packed_put(m, (uint16_t)id, len, m->used_wrap ? A | U : 0,
			   b->ndesc);
	if (h == VQM_IDX_JUMP)
		packed_put(m, (uint16_t)id, len, m->used_wrap ? A | U : 0, 1);
}

bool vqm_signal(struct vqm *m)
{
	uint32_t n = m->since_signal;
	uint16_t new_idx, old, flags, ow, ev;
	bool need;

	if (n == 0)
		return false;
	m->since_signal = 0;
	if (!m->packed) {
		new_idx = m->used_idx;
		old = m->signalled;
		m->signalled = new_idx;
		if (m->event_idx)
			need = n > 0xFFFF ||
			       vring_need_event(m->avail->ring[m->size],
						new_idx, old);
		else
			need = !(m->avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
	} else {
		new_idx = m->used_pos;
		old = (uint16_t)(new_idx - n);
		flags = m->drv->flags;
		ow = m->drv->off_wrap;
		if (flags == VRING_PACKED_EVENT_FLAG_DISABLE) {
			need = false;
		} else if (flags == VRING_PACKED_EVENT_FLAG_DESC &&
			   m->event_idx && n < m->size) {
			ev = ow & 0x7FFF;
			if ((bool)(ow >> 15) != m->used_wrap)
				ev = (uint16_t)(ev - m->size);
			need = vring_need_event(ev, new_idx, old);
		} else {
			if (flags > VRING_PACKED_EVENT_FLAG_DESC ||
			    (flags == VRING_PACKED_EVENT_FLAG_DESC &&
			     !m->event_idx))
				fail(m, "driver event flags %u invalid", flags);
			need = true;
		}
	}
	if (need)
		m->interrupts++;
	else
		m->suppressed++;
	return need;
}

void vqm_set_no_notify(struct vqm *m, bool no_notify)
{
	if (m->packed)
		m->dev->flags = no_notify ? VRING_PACKED_EVENT_FLAG_DISABLE
					  : VRING_PACKED_EVENT_FLAG_ENABLE;
	else
		m->used->flags = no_notify ? VRING_USED_F_NO_NOTIFY : 0;
}

void vqm_set_kick_event(struct vqm *m, uint16_t idx, bool wrap)
{
	if (m->packed) {
		m->dev->off_wrap = (uint16_t)(idx | (wrap ? 0x8000 : 0));
		m->dev->flags = VRING_PACKED_EVENT_FLAG_DESC;
	} else {
		m->auto_avail_event = false;
		*(uint16_t *)&m->used->ring[m->size] = idx;
	}
}

size_t vqm_read_out(const struct vqm_buf *b, void *dst, size_t max)
{
	size_t done = 0;

	for (unsigned i = 0; i < b->n_out && done < max; i++) {
		size_t k = b->seg[i].len;

		if (k > max - done)
			k = max - done;
		memcpy((char *)dst + done, b->seg[i].p, k);
		done += k;
	}
	return done;
}

uint32_t vqm_write_in(const struct vqm_buf *b, const void *src, size_t n)
{
	size_t done = 0;

	for (unsigned i = b->n_out; i < b->n_out + b->n_in && done < n; i++) {
		size_t k = b->seg[i].len;

		if (k > n - done)
			k = n - done;
		memcpy(b->seg[i].p, (const char *)src + done, k);
		done += k;
	}
	return (uint32_t)done;
}
