/*
 * vbal_model_queues.c - what the virtio-balloon device model does with the
 * buffers the driver offers, and how it judges them (see vbal_model.h).
 *
 * inflateq/deflateq: le32 PFNs from the device-readable part of a buffer,
 * across chained and indirect descriptors, as QEMU reads them; inflated
 * pages are zeroed (QEMU's MADV_DONTNEED); used length 0. statsq: the
 * buffer is kept until the test asks for fresh numbers. free_page_vq: ids
 * and blocks are recorded. reporting_vq: blocks are recorded, then acked.
 *
 * The judging happens twice for every buffer: when the device takes it
 * and again just before it answers, because that window is where the
 * rules bite. Between an inflate and its acknowledgement the pages must
 * stay untouched (D12); between a deflate and its acknowledgement they
 * must stay in the balloon (D10, which pinprick keeps even without
 * MUST_TELL_HOST); a reported block must stay unused until acked (D39);
 * and no buffer may change while the device holds it (§2.7.5.1, the
 * driver's side of it). A silent or deferred device makes the window
 * long enough to matter.
 */
#include "tests/unit/vbal_model.h"

#include <stdio.h>
#include <string.h>

#include "kernel/mm.h"

#define BASE_PFN (VBM_BASE >> PA_PAGE_SHIFT)
#define MAX_PFNS 8192 /* more than any buffer the driver can build */

static bool in_ram(uint64_t pfn)
{
	return pfn >= BASE_PFN && pfn - BASE_PFN < VBM_PAGES;
}

static bool ballooned(uint64_t pfn)
{
	return pa_state_of(&mm_zone, pfn) == PA_BALLOONED;
}

/*
 * A page in the balloon still reads as the zeroes the discard left. Only
 * the first and last 64 bytes are looked at: that is where a driver that
 * keeps its own records in balloon pages (the classic mistake) writes,
 * and checking whole pages would make long walks slow under ASan.
 */
static bool still_discarded(uint64_t pfn)
{
	const uint64_t *w = (const uint64_t *)(uintptr_t)(pfn << PA_PAGE_SHIFT);

	for (int i = 0; i < 8; i++)
		if (w[i] || w[504 + i])
			return false;
	return true;
}

/* FNV-1a over the readable bytes: did the driver change the buffer? */
static uint32_t out_sum(const struct vqm_buf *b)
{
	uint32_t h = 2166136261u;

	for (unsigned i = 0; i < b->n_out; i++)
		for (uint32_t k = 0; k < b->seg[i].len; k++)
			h = (h ^ ((const uint8_t *)b->seg[i].p)[k]) *
			    16777619u;
	return h;
}

static size_t read_pfns(struct vbm *m, const struct vqm_buf *b, uint32_t *pfns)
{
	if (b->n_in)
		vbm_bad(m, "§5.5.6: PFN buffer with %llu device-writable pieces",
			b->n_in);
	if (b->out_len % 4)
		vbm_bad(m, "PFN buffer of %llu bytes, not whole le32s",
			b->out_len);
	return vqm_read_out(b, pfns, MAX_PFNS * 4) / 4;
}

static void inflate_pfn(struct vbm *m, uint32_t pfn)
{
	uint64_t off = pfn - BASE_PFN;

	if (!in_ram(pfn))
		return; /* not RAM: skipped, like QEMU */
	if (!ballooned(pfn))
		vbm_bad(m, "inflate of pfn %#llx, which the guest still owns",
			pfn);
	if (m->inflated[off])
		vbm_bad(m, "pfn %#llx inflated twice", pfn);
	else
		m->balloon++;
	m->inflated[off] = 1;
	memset((void *)(uintptr_t)((uint64_t)pfn << PA_PAGE_SHIFT), 0,
	       PA_PAGE_SIZE); /* MADV_DONTNEED */
}

static void deflate_pfn(struct vbm *m, uint32_t pfn)
{
	uint64_t off = pfn - BASE_PFN;

	if (!in_ram(pfn))
		return;
	if (!m->inflated[off]) {
		vbm_bad(m, "D13: deflate of pfn %#llx, never inflated", pfn);
		return;
	}
	if (!still_discarded(pfn))
		vbm_bad(m, "D7/D12: pfn %#llx written while in the balloon",
			pfn);
	if (!ballooned(pfn))
		vbm_bad(m, "D10: pfn %#llx reused before its deflate", pfn);
	m->balloon--;
	m->inflated[off] = 0;
	m->last_deflated = pfn;
}

static void pages_request(struct vbm *m, int q, const struct vqm_buf *b)
{
	static uint32_t pfns[MAX_PFNS];
	size_t n = read_pfns(m, b, pfns);

	if (n > m->max_pfns_per_buf)
		m->max_pfns_per_buf = n;
	for (size_t i = 0; i < n; i++) {
		if (q == VBAL_Q_INFLATE)
			inflate_pfn(m, pfns[i]);
		else
			deflate_pfn(m, pfns[i]);
	}
	if (q == VBAL_Q_INFLATE)
		m->inflate_bufs++;
	else
		m->deflate_bufs++;
}

static void stats_arrived(struct vbm *m, const struct vqm_buf *b)
{
	if (b->n_in)
		vbm_bad(m, "stats buffer with a device-writable piece", 0);
	m->stats_len = (unsigned)vqm_read_out(b, m->stats, sizeof(m->stats));
	m->nstats = m->stats_len / sizeof(struct vbal_stat);
	m->stats_updates++;
	if (m->stats_len % 10 || m->stats_len % 6)
		vbm_bad(m, "D20: stats buffer of %llu bytes", m->stats_len);
	for (unsigned i = 0; i < m->nstats; i++)
		for (unsigned k = 0; k < i; k++)
			if (m->stats[i].tag == m->stats[k].tag)
				vbm_bad(m, "D19: stats tag %llu twice",
					m->stats[i].tag);
	/* D23: the same subset every time (V5: any order is fine, but
	 * pinprick promises the same order too, so compare as is). */
	if (!m->nfirst_tags) {
		for (unsigned i = 0; i < m->nstats; i++)
			m->first_tags[i] = m->stats[i].tag;
		m->nfirst_tags = m->nstats;
		return;
	}
	if (m->nstats != m->nfirst_tags)
		vbm_bad(m, "D23: %llu stats this time", m->nstats);
	for (unsigned i = 0; i < m->nstats && i < m->nfirst_tags; i++)
		if (m->stats[i].tag != m->first_tags[i])
			vbm_bad(m, "D23: stats tag %llu is new", m->stats[i].tag);
}

static void hint_arrived(struct vbm *m, const struct vqm_buf *b)
{
	uint32_t id;

	if (b->n_in) {
		if (b->n_out)
			vbm_bad(m, "D24: hint block with a readable part", 0);
		if (!m->hint_open)
			vbm_bad(m, "D25: hinted block outside a round", 0);
		for (unsigned i = b->n_out; i < b->n_out + b->n_in; i++)
			if (!ballooned(b->seg[i].gpa >> PA_PAGE_SHIFT))
				vbm_bad(m, "hinted block %#llx is in use",
					b->seg[i].gpa);
		m->hint_blocks++;
		return;
	}
	if (b->out_len != 4) {
		vbm_bad(m, "D24: hint output buffer of %llu bytes", b->out_len);
		return;
	}
	vqm_read_out(b, &id, 4);
	if (id == VBAL_CMD_ID_STOP) {
		m->hint_stops++;
		m->hint_open = false;
		return;
	}
	if (id == VBAL_CMD_ID_DONE)
		vbm_bad(m, "the driver sent DONE, the device's word", 0);
	for (unsigned i = 0; i < m->nhint_ids; i++)
		if (m->hint_ids[i] == id)
			vbm_bad(m, "D26: hint id %#llx sent twice", id);
	if (m->nhint_ids < 16)
		m->hint_ids[m->nhint_ids++] = id;
	m->hint_open = true;
}

static void report_arrived(struct vbm *m, const struct vqm_buf *b)
{
	bool poison = m->driver_features & (1u << VBAL_F_PAGE_POISON);
	uint32_t pv = vbm_cfg32(m, VBAL_CFG_POISON_VAL);

	m->report_bufs++;
	for (unsigned i = b->n_out; i < b->n_out + b->n_in; i++) {
		const struct vqm_seg *s = &b->seg[i];
		uint64_t pfn = s->gpa >> PA_PAGE_SHIFT;
		const uint32_t *w = s->p;

		if (!ballooned(pfn))
			vbm_bad(m, "reported block %#llx is in use", s->gpa);
		if (s->len != PA_PAGE_SIZE << VBAL_REPORT_ORDER)
			vbm_bad(m, "D41: reported block of %llu bytes", s->len);
		/* D38: every page filled, so sample one word of each. */
		for (uint32_t k = 0; poison && k < s->len / 4; k += 1024)
			if (w[k] != pv) {
				vbm_bad(m, "D38: reported block %#llx not "
					   "poisoned",
					s->gpa);
				break;
			}
		if (m->report_blocks < 64)
			m->report_pfn[m->report_blocks] = pfn;
		m->report_blocks++;
	}
}

/* Just before the answer: the window between offer and ack is over. */
static void judge_ack(struct vbm *m, int q, const struct vqm_buf *b,
		      uint32_t sum)
{
	static uint32_t pfns[MAX_PFNS];
	size_t n;

	if (out_sum(b) != sum)
		vbm_bad(m, "the driver changed a buffer the device held (%llu)",
			(uint64_t)q);
	if (q == VBAL_Q_REPORT) {
		for (unsigned i = b->n_out; i < b->n_out + b->n_in; i++)
			if (!ballooned(b->seg[i].gpa >> PA_PAGE_SHIFT))
				vbm_bad(m, "D39: block %#llx used before the ack",
					b->seg[i].gpa);
		return;
	}
	if (q != VBAL_Q_INFLATE && q != VBAL_Q_DEFLATE)
		return;
	n = vqm_read_out(b, pfns, sizeof(pfns)) / 4;
	for (size_t i = 0; i < n; i++) {
		if (!in_ram(pfns[i]))
			continue;
		if (q == VBAL_Q_INFLATE && !still_discarded(pfns[i]))
			vbm_bad(m, "D12: pfn %#llx touched before its ack",
				pfns[i]);
		if (!ballooned(pfns[i]))
			vbm_bad(m, "D10/D12: pfn %#llx freed before its ack",
				pfns[i]);
	}
}

static void answer(struct vbm *m, unsigned idx, const struct vqm_buf *b,
		   uint32_t sum)
{
	judge_ack(m, vbm_queue_of(m, idx), b, sum);
	vqm_push(&m->q[idx], b, 0);
	m->isr |= VIRTIO_ISR_QUEUE;
}

void vbm_run_queue(struct vbm *m, unsigned idx)
{
	int q = vbm_queue_of(m, idx);
	struct vqm_buf b;
	int got = 0;

	if (idx >= m->nq || !m->active[idx] ||
	    !(m->status & VIRTIO_STATUS_DRIVER_OK))
		return;
	while (vqm_pop(&m->q[idx], &b) == 1) {
		uint32_t sum = out_sum(&b);

		got++;
		if (q == VBAL_Q_STATS) {
			if (m->nheld[idx])
				vbm_bad(m, "D16: a second stats buffer", 0);
			stats_arrived(m, &b);
			m->held[idx][0] = b;
			m->nheld[idx] = 1;
			continue;
		}
		if (q == VBAL_Q_INFLATE || q == VBAL_Q_DEFLATE)
			pages_request(m, q, &b);
		else if (q == VBAL_Q_HINT)
			hint_arrived(m, &b);
		else if (q == VBAL_Q_REPORT)
			report_arrived(m, &b);
		if (!m->no_ack[idx]) {
			answer(m, idx, &b, sum);
		} else if (m->nheld[idx] < VBM_HELD) {
			m->held_sum[idx][m->nheld[idx]] = sum;
			m->held[idx][m->nheld[idx]++] = b;
		} else {
			vbm_bad(m, "more buffers than the model holds", 0);
		}
	}
	if (got > 1)
		m->kicks_with_many++;
	if (m->q[idx].errors) {
		vbm_bad(m, "driver broke the ring rules: %llu",
			m->q[idx].errors);
		printf("    # vqm: %s\n", m->q[idx].last_error);
		m->q[idx].errors = 0;
	}
}

void vbm_release_held(struct vbm *m, unsigned idx)
{
	if (vbm_queue_of(m, idx) == VBAL_Q_STATS || m->no_ack[idx] ||
	    !m->active[idx])
		return;
	for (unsigned h = 0; h < m->nheld[idx]; h++)
		answer(m, idx, &m->held[idx][h], m->held_sum[idx][h]);
	m->nheld[idx] = 0;
}

void vbm_run(struct vbm *m)
{
	for (unsigned i = 0; i < m->nq; i++) {
		vbm_release_held(m, i);
		vbm_run_queue(m, i);
	}
}

bool vbm_stats_request(struct vbm *m)
{
	int idx = m->qidx[VBAL_Q_STATS];

	if (idx < 0 || !m->nheld[idx])
		return false;
	vqm_push(&m->q[idx], &m->held[idx][0], 0);
	m->nheld[idx] = 0;
	m->isr |= VIRTIO_ISR_QUEUE;
	return true;
}

bool vbm_has_avail(const struct vqm *q)
{
	const struct vring_packed_desc *d;
	bool a, u;

	if (!q->packed)
		return q->avail->idx != q->last_avail;
	d = &q->pdesc[q->avail_pos];
	a = d->flags & VRING_PACKED_DESC_F_AVAIL;
	u = d->flags & VRING_PACKED_DESC_F_USED;
	return a == q->avail_wrap && u != q->avail_wrap;
}
