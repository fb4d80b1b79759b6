/*
 * vbal_pages.c - virtio-balloon inflation and deflation (§5.5.6).
 *
 * Inflate: take free pages from the allocator as PA_BALLOONED (so the
 * reserve floor, not this driver, limits the balloon, and kernel, pinned
 * and workload pages can never be chosen), write their PFNs into arrays of
 * le32, offer the arrays on inflateq, notify once for the whole round, and
 * only when the device has acknowledged an array count its pages into the
 * balloon. Until then they are untouched (D12) and cannot be deflated
 * (D13).
 *
 * Deflate: the reverse through deflateq. A page goes back to the
 * allocator only after the device acknowledged its deflate (D10, which
 * pinprick keeps even without MUST_TELL_HOST), filled with poison_val
 * first when PAGE_POISON was negotiated (D34).
 *
 * `actual` is written once per round with one 32-bit access (D14, D15,
 * L4). Every wait is bounded by ack_timeout_ns; a buffer that is late is
 * picked up by a later vbal_service.
 */
#include "drivers/virtio/virtio_balloon.h"
#include "kernel/string.h"

static bool is_buf(struct vbal *vb, const void *tok, struct vbal_buf **out)
{
	for (unsigned i = 0; i < vb->nbufs; i++)
		if (tok == &vb->bufs[i]) {
			*out = &vb->bufs[i];
			return true;
		}
	return false;
}

/*
 * poison_val is 32 bits; the page is filled eight bytes at a time (half
 * the stores of a 32-bit loop, which under TCG is half the time: make
 * bench, docs/performance.md).
 */
static void fill_poison(struct vbal *vb, uint64_t pfn, unsigned order)
{
	uint64_t *p = (uint64_t *)(uintptr_t)(pfn << PA_PAGE_SHIFT);
	uint64_t v = vb->cfg.poison_val * 0x100000001ull;
	uint64_t words = (PA_PAGE_SIZE << order) / 8;

	/* Unrolled: fewer TCG blocks a page (about 5 %, docs/performance.md). */
#pragma GCC unroll 16
	for (uint64_t i = 0; i < words; i++)
		p[i] = v;
	vb->st.poisoned_pages += 1ull << order;
}

static void inflate_acked(struct vbal *vb, struct vbal_buf *buf)
{
	for (unsigned k = 0; k < buf->n; k++)
		if (vbal_track_push(vb, buf->pfns[k]) < 0)
			vb->b.counters.errors++; /* kept ballooned, untracked */
	vb->b.size = vb->track.count;
	vb->b.counters.inflated += buf->n;
	vb->st.inflate_bufs++;
}

static void deflate_acked(struct vbal *vb, struct vbal_buf *buf)
{
	bool poison = virtio_has(vb->d, VBAL_F_PAGE_POISON);

	for (unsigned k = 0; k < buf->n; k++) {
		if (poison)
			fill_poison(vb, buf->pfns[k], 0);
		if (pa_free(vb->cfg.zone, buf->pfns[k], 0, PA_BALLOONED) < 0)
			vb->b.counters.errors++;
	}
	vb->b.counters.deflated += buf->n;
	vb->st.deflate_bufs++;
}

void vbal_reap(struct vbal *vb, enum vbal_queue q)
{
	struct virtqueue *vq = &vb->vq[q];
	struct vbal_buf *buf;
	uint32_t len;
	void *tok;

	if (q == VBAL_Q_STATS) {
		vbal_stats_service(vb);
		return;
	}
	while ((tok = vq_get_used(vq, &len))) {
		if (q == VBAL_Q_REPORT) {
			vbal_report_acked(vb); /* one buffer at a time */
			continue;
		}
		if (q == VBAL_Q_HINT)
			continue; /* hinted pages are released on DONE */
		if (tok == &vb->probe_done) {
			vb->probe_done = true;
			vb->probe_len = len;
			continue;
		}
		if (!is_buf(vb, tok, &buf) || buf->queue != (int)q)
			continue; /* cannot happen: vq validated the id */
		if (len)
			vb->st.used_len_nonzero++;
		vb->b.counters.host_calls++;
		if (q == VBAL_Q_INFLATE)
			inflate_acked(vb, buf);
		else
			deflate_acked(vb, buf);
		vb->inflight_pages -= buf->n;
		buf->queue = -1;
		buf->n = 0;
	}
	if (vq_is_broken(vq))
		vbal_device_broke(vb, q);
}

static struct vbal_buf *idle_buf(struct vbal *vb)
{
	for (unsigned i = 0; i < vb->nbufs; i++)
		if (vb->bufs[i].queue < 0)
			return &vb->bufs[i];
	return NULL;
}

static unsigned busy_bufs(const struct vbal *vb, int q)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vb->nbufs; i++)
		n += vb->bufs[i].queue == q;
	return n;
}

static int post(struct vbal *vb, enum vbal_queue q, struct vbal_buf *buf)
{
	struct vq_buf piece = {buf->pfns, buf->n * 4};

	/* Device-readable (§5.5.6): the PFN array is for the device to read. */
	if (vq_add(&vb->vq[q], &piece, 1, 0, buf) != VQ_OK)
		return -1;
	buf->queue = (int)q;
	vb->inflight_pages += buf->n;
	return 0;
}

/*
 * Under TCG (and for any device that works in the notifying vCPU's
 * thread) the device does its whole share inside the kick, so the kick
 * counts as waiting for the device, like vbal_wait_used.
 */
static void kick(struct vbal *vb, enum vbal_queue q)
{
	uint64_t t0 = vbal_now(vb);

	vq_kick(&vb->vq[q]);
	vb->st.wait_ns += vbal_now(vb) - t0;
}

/* Wait until no buffer of q is in flight, or the time runs out. */
static int settle(struct vbal *vb, enum vbal_queue q)
{
	while (vb->up && busy_bufs(vb, (int)q)) {
		if (!vbal_wait_used(vb, q)) {
			if (!vb->up || vq_is_broken(&vb->vq[q])) {
				vbal_reap(vb, q);
				return VBAL_E_DEVICE;
			}
			return VBAL_E_TIMEOUT;
		}
		vbal_reap(vb, q);
	}
	return vb->up ? 0 : VBAL_E_DEVICE;
}

static void note_shortfall(struct vbal *vb, bool blocked)
{
	struct balloon_shortfall *s = &vb->b.shortfall;

	if (blocked && vb->b.size < vb->b.target) {
		s->target = vb->b.target;
		s->achieved = vb->b.size;
		s->pinned = vb->cfg.zone->count[PA_PINNED];
		s->reserve = vb->cfg.zone->reserve;
		s->refused = 0;
		s->active = true;
	} else if (vb->b.size >= vb->b.target) {
		s->active = false;
	}
}

static uint64_t pages_on(const struct vbal *vb, int q)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < vb->nbufs; i++)
		if (vb->bufs[i].queue == q)
			n += vb->bufs[i].n;
	return n;
}

static int64_t vbal_inflate(struct balloon *b, uint64_t n)
{
	struct vbal *vb = b->priv;
	uint64_t start = vb->track.count, queued = 0, pending;
	bool blocked = false;
	int rc = 0;

	if (!vb->up)
		return VBAL_E_DOWN;
	/* Pages still on inflateq from a round whose wait ran out are on
	 * their way in (b->size does not count them yet): asking for them
	 * again would take the balloon past the target once the device
	 * answers. With nothing new to ask, wait for those instead. */
	pending = pages_on(vb, VBAL_Q_INFLATE);
	n = n > pending ? n - pending : 0;
	if (!n && pending) {
		rc = settle(vb, VBAL_Q_INFLATE);
		if (vb->up)
			vbal_write_actual(vb, (uint32_t)vb->track.count);
	}
	while (queued < n && !blocked && rc == 0) {
		struct vbal_buf *buf;
		unsigned round = 0;

		while (queued < n && !blocked && (buf = idle_buf(vb))) {
			/* Room in the PFN list first, above the reserve. */
			if (vbal_track_reserve(vb, vb->inflight_pages +
							   vb->batch) < 0) {
				blocked = true;
				vb->st.alloc_stops++;
				break;
			}
			buf->n = 0;
			while (buf->n < vb->batch && queued + buf->n < n) {
				int64_t pfn = pa_alloc_below(vb->cfg.zone, 0,
							     PA_BALLOONED,
							     VBAL_PFN_LIMIT);
				if (pfn < 0) {
					blocked = true;
					vb->st.alloc_stops++;
					break;
				}
				buf->pfns[buf->n++] = (uint32_t)pfn;
			}
			if (!buf->n)
				break;
			if (post(vb, VBAL_Q_INFLATE, buf) < 0) {
				/* No room on the ring: the pages were never
				 * offered, so they go straight back. */
				for (unsigned k = 0; k < buf->n; k++)
					pa_free(vb->cfg.zone, buf->pfns[k], 0,
						PA_BALLOONED);
				buf->n = 0;
				break;
			}
			queued += buf->n;
			round++;
		}
		if (!round)
			break;
		kick(vb, VBAL_Q_INFLATE);
		rc = settle(vb, VBAL_Q_INFLATE);
		if (vb->up)
			vbal_write_actual(vb, (uint32_t)vb->track.count);
	}
	note_shortfall(vb, blocked);
	if (rc < 0 && vb->track.count == start)
		return rc;
	return vb->up ? (int64_t)(vb->track.count - start) : VBAL_E_DEVICE;
}

static int64_t vbal_deflate(struct balloon *b, uint64_t n)
{
	struct vbal *vb = b->priv;
	uint64_t done = 0, acked0 = vb->b.counters.deflated, acked;
	int rc = 0;

	if (!vb->up)
		return VBAL_E_DOWN;
	while (done < n && vb->track.count && rc == 0) {
		struct vbal_buf *buf;
		unsigned round = 0;
		uint64_t queued = 0;

		while (done + queued < n && vb->track.count &&
		       (buf = idle_buf(vb))) {
			uint32_t pfn;

			buf->n = 0;
			while (buf->n < vb->batch &&
			       done + queued + buf->n < n &&
			       vbal_track_pop(vb, &pfn))
				buf->pfns[buf->n++] = pfn;
			if (post(vb, VBAL_Q_DEFLATE, buf) < 0) {
				/* Not offered: still in the balloon. */
				for (unsigned k = 0; k < buf->n; k++)
					vbal_track_push(vb, buf->pfns[k]);
				buf->n = 0;
				break;
			}
			queued += buf->n;
			round++;
		}
		if (!round)
			break;
		vb->b.size = vb->track.count;
		kick(vb, VBAL_Q_DEFLATE);
		rc = settle(vb, VBAL_Q_DEFLATE);
		done += queued;
		if (vb->up)
			vbal_write_actual(vb, (uint32_t)vb->track.count);
	}
	note_shortfall(vb, false);
	if (!vb->up)
		return VBAL_E_DEVICE;
	/* Only acknowledged pages count as given back (D10). */
	acked = vb->b.counters.deflated - acked0;
	return rc < 0 && !acked ? rc : (int64_t)acked;
}

static int vbal_get_target(struct balloon *b)
{
	struct vbal *vb = b->priv;

	if (!vb->up)
		return VBAL_E_DOWN;
	vbal_service(vb);
	return vb->up ? 0 : VBAL_E_DEVICE;
}

static int vbal_reset_op(struct balloon *b)
{
	struct vbal *vb = b->priv;
	int64_t rc = 0;

	while (vb->up && vb->track.count && rc >= 0)
		rc = vbal_deflate(b, vb->track.count);
	return rc < 0 ? (int)rc : 0;
}

const struct balloon_ops vbal_ops = {
	.get_target = vbal_get_target,
	.inflate = vbal_inflate,
	.deflate = vbal_deflate,
	.reset = vbal_reset_op,
};

int64_t vbal_oom(struct vbal *vb, uint64_t pages)
{
	int64_t got;

	vb->st.oom_calls++;
	/* D7: without DEFLATE_ON_OOM the balloon's pages stay the host's. */
	if (!vb->up || !virtio_has(vb->d, VBAL_F_DEFLATE_ON_OOM))
		return 0;
	/* D8 + D9: take them back, but through deflateq, telling the host. */
	got = vbal_deflate(&vb->b, pages);
	if (got > 0)
		vb->st.oom_pages += (uint64_t)got;
	return got;
}

int vbal_probe_request(struct vbal *vb, enum vbal_queue q, const uint32_t *pfns,
		       unsigned n, unsigned nr_desc, bool indirect,
		       uint32_t *used_len)
{
	uint32_t *arr = vb->bufs[0].pfns;
	struct vq_buf piece[2];
	unsigned first, flags;
	uint64_t deadline;

	if (!vb->up)
		return VBAL_E_DOWN;
	if ((q != VBAL_Q_INFLATE && q != VBAL_Q_DEFLATE) || !n ||
	    n > vb->nbufs * vb->batch || nr_desc < 1 || nr_desc > 2 ||
	    (nr_desc == 2 && n < 2) || busy_bufs(vb, VBAL_Q_INFLATE) ||
	    busy_bufs(vb, VBAL_Q_DEFLATE))
		return VBAL_E_ARG;
	/* The buffers are contiguous, so bufs[0] can hold n PFNs. */
	memcpy(arr, pfns, n * 4);
	first = nr_desc == 2 ? n / 2 : n;
	piece[0] = (struct vq_buf){arr, first * 4};
	piece[1] = (struct vq_buf){arr + first, (n - first) * 4};
	flags = indirect ? VQ_ADD_INDIRECT : VQ_ADD_DIRECT;
	vb->probe_done = false;
	if (vq_add_ex(&vb->vq[q], piece, nr_desc, 0, &vb->probe_done, flags) !=
	    VQ_OK)
		return VBAL_E_ARG;
	vq_kick(&vb->vq[q]);
	deadline = vbal_now(vb) + vb->cfg.ack_timeout_ns;
	while (vb->up && !vb->probe_done && vbal_now(vb) <= deadline) {
		if (vbal_wait_used(vb, q))
			vbal_reap(vb, q);
		else if (vq_is_broken(&vb->vq[q]))
			vbal_reap(vb, q);
	}
	if (!vb->up)
		return VBAL_E_DEVICE;
	if (!vb->probe_done)
		return VBAL_E_TIMEOUT;
	if (used_len)
		*used_len = vb->probe_len;
	return 0;
}
