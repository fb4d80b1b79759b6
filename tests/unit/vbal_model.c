/*
 * vbal_model.c - the in-process virtio-balloon device (see the header),
 * plus the few kernel services the driver and virtio.c need on the host:
 * mm_zone over fixed-address "guest memory", kernel page allocation and
 * a clock.
 */
#include "tests/unit/vbal_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel/mm.h"
#include "kernel/time.h"

struct pa_zone mm_zone;
static uint64_t fake_ns;

uint64_t vbm_now(void)
{
	return fake_ns += 1000000;
}

uint64_t time_ns(void)
{
	return vbm_now();
}

int64_t mm_alloc_kernel_pages_below(unsigned order, uint64_t limit_pfn)
{
	return pa_alloc_below(&mm_zone, order, PA_KERNEL, limit_pfn);
}

void vbm_memory_init(void)
{
	static bool done;
	void *p;
	uint64_t base = VBM_BASE >> 12;

	if (done)
		return;
	p = mmap((void *)VBM_BASE, VBM_BYTES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)VBM_BASE) {
		perror("vbal_model: mmap of guest memory at 0x40000000");
		exit(2);
	}
	pa_init(&mm_zone, base, VBM_PAGES, malloc(pa_meta_bytes(VBM_PAGES)));
	pa_add_free_range(&mm_zone, base, base + VBM_PAGES);
	pa_set_reserve(&mm_zone, VBM_RESERVE);
	done = true;
}

static struct vbm *of(struct virtio_dev *d)
{
	return (struct vbm *)d; /* dev is the first member */
}

static void bad(struct vbm *m, const char *fmt, uint64_t a)
{
	m->errors++;
	snprintf(m->last_error, sizeof(m->last_error), fmt,
		 (unsigned long long)a);
	printf("    # device model: %s\n", m->last_error);
}

static void *p2v(void *ctx, uint64_t gpa, size_t len)
{
	if (gpa < VBM_BASE || gpa + len > VBM_BASE + VBM_BYTES)
		return NULL;
	return (void *)(uintptr_t)gpa;
}

static void config_changed(struct vbm *m)
{
	m->generation++;
	m->isr |= VIRTIO_ISR_CONFIG;
}

void vbm_set_target(struct vbm *m, uint32_t pages)
{
	memcpy(&m->cfg[VBAL_CFG_NUM_PAGES], &pages, 4);
	config_changed(m);
}

void vbm_set_cmd_id(struct vbm *m, uint32_t id)
{
	memcpy(&m->cfg[VBAL_CFG_HINT_CMD_ID], &id, 4);
	config_changed(m);
}

uint32_t vbm_cfg32(const struct vbm *m, unsigned off)
{
	uint32_t v;

	memcpy(&v, &m->cfg[off], 4);
	return v;
}

/* ---- queue work ---------------------------------------------------- */

static void pages_request(struct vbm *m, int q, const struct vqm_buf *b)
{
	static uint32_t pfns[8192];
	size_t n = vqm_read_out(b, pfns, sizeof(pfns)) / 4;

	if (n > m->max_pfns_per_buf)
		m->max_pfns_per_buf = n;
	for (size_t i = 0; i < n; i++) {
		uint64_t off = (uint64_t)pfns[i] - (VBM_BASE >> 12);

		if (off >= VBM_PAGES)
			continue; /* not RAM: ignored, like QEMU */
		if (q == VBAL_Q_INFLATE) {
			if (m->inflated[off])
				bad(m, "pfn %#llx inflated twice", pfns[i]);
			m->inflated[off] = 1;
			m->balloon++;
			memset((void *)(uintptr_t)((uint64_t)pfns[i] << 12), 0,
			       4096); /* MADV_DONTNEED */
		} else {
			if (!m->inflated[off])
				bad(m,
				    "D13: deflate of pfn %#llx, never inflated",
				    pfns[i]);
			else
				m->balloon--;
			m->inflated[off] = 0;
			m->last_deflated = pfns[i];
		}
	}
	if (q == VBAL_Q_INFLATE)
		m->inflate_bufs++;
	else
		m->deflate_bufs++;
}

static void stats_arrived(struct vbm *m, const struct vqm_buf *b)
{
	m->stats_len = (unsigned)vqm_read_out(b, m->stats, sizeof(m->stats));
	m->nstats = m->stats_len / sizeof(struct vbal_stat);
	m->stats_updates++;
	if (m->stats_len % 10 || m->stats_len % 6)
		bad(m, "D20: stats buffer of %llu bytes", m->stats_len);
}

static void hint_arrived(struct vbm *m, const struct vqm_buf *b)
{
	uint32_t id;

	if (b->n_in) {
		m->hint_blocks++;
		return;
	}
	if (b->out_len != 4) {
		bad(m, "D24: hint output buffer of %llu bytes", b->out_len);
		return;
	}
	vqm_read_out(b, &id, 4);
	if (id == VBAL_CMD_ID_STOP) {
		m->hint_stops++;
		return;
	}
	for (unsigned i = 0; i < m->nhint_ids; i++)
		if (m->hint_ids[i] == id)
			bad(m, "D26: hint id %#llx sent twice", id);
	if (m->nhint_ids < 16)
		m->hint_ids[m->nhint_ids++] = id;
}

static void run_queue(struct vbm *m, int idx)
{
	struct vqm_buf b;
	int q = -1, got = 0;

	for (int k = 0; k < VBAL_NR_QUEUES; k++)
		if (m->qidx[k] == idx)
			q = k;
	if (!m->active[idx] || !(m->status & VIRTIO_STATUS_DRIVER_OK))
		return;
	while (vqm_pop(&m->q[idx], &b) == 1) {
		got++;
		if (q == VBAL_Q_STATS) {
			if (m->nheld[idx])
				bad(m, "D16: a second stats buffer (%llu held)",
				    m->nheld[idx]);
			stats_arrived(m, &b);
			m->held[idx][0] = b;
			m->nheld[idx] = 1;
			continue;
		}
		if (q == VBAL_Q_INFLATE || q == VBAL_Q_DEFLATE)
			pages_request(m, q, &b);
		else if (q == VBAL_Q_HINT)
			hint_arrived(m, &b);
		else if (q == VBAL_Q_REPORT) {
			m->report_bufs++;
			m->report_blocks += b.n_in;
		}
		if (m->no_ack[idx]) {
			if (m->nheld[idx] < 8)
				m->held[idx][m->nheld[idx]++] = b;
			continue;
		}
		vqm_push(&m->q[idx], &b, 0);
	}
	if (got > 1)
		m->kicks_with_many++;
	if (m->q[idx].errors) {
		bad(m, "driver broke the ring rules %llu times",
		    m->q[idx].errors);
		m->q[idx].errors = 0;
	}
	m->isr |= VIRTIO_ISR_QUEUE;
}

void vbm_run(struct vbm *m)
{
	for (unsigned i = 0; i < m->nq; i++) {
		int q = -1;

		for (int k = 0; k < VBAL_NR_QUEUES; k++)
			if (m->qidx[k] == (int)i)
				q = k;
		/* Buffers held back by no_ack are answered once allowed. */
		if (q != VBAL_Q_STATS && !m->no_ack[i]) {
			for (unsigned h = 0; h < m->nheld[i]; h++)
				vqm_push(&m->q[i], &m->held[i][h], 0);
			m->nheld[i] = 0;
		}
		run_queue(m, (int)i);
	}
}

bool vbm_stats_request(struct vbm *m)
{
	int idx = m->qidx[VBAL_Q_STATS];

	if (idx < 0 || !m->nheld[idx])
		return false;
	vqm_push(&m->q[idx], &m->held[idx][0], 0);
	m->nheld[idx] = 0;
	return true;
}

/* ---- transport operations ----------------------------------------- */

static uint8_t t_get_status(struct virtio_dev *d)
{
	return of(d)->status;
}

static void t_set_status(struct virtio_dev *d, uint8_t s)
{
	struct vbm *m = of(d);

	if (s & VIRTIO_STATUS_FAILED)
		m->saw_failed = true;
	if (s == 0) { /* reset: queues and driver state go */
		memset(m->active, 0, sizeof(m->active));
		memset(m->nheld, 0, sizeof(m->nheld));
		m->driver_features = 0;
	}
	m->status = s;
}

static uint64_t t_get_features(struct virtio_dev *d)
{
	return of(d)->offered;
}

static void t_set_features(struct virtio_dev *d, uint64_t f)
{
	struct vbm *m = of(d);

	if (f & ~m->offered)
		bad(m, "unoffered features %#llx accepted", f & ~m->offered);
	m->driver_features = f;
}

static uint32_t t_generation(struct virtio_dev *d)
{
	return of(d)->generation;
}

static uint32_t t_config_read(struct virtio_dev *d, unsigned off,
			      unsigned width)
{
	uint32_t v = 0;

	if (off + width <= sizeof(of(d)->cfg))
		memcpy(&v, &of(d)->cfg[off], width);
	return v;
}

static void t_config_write(struct virtio_dev *d, unsigned off, unsigned width,
			   uint32_t v)
{
	struct vbm *m = of(d);

	if (off >= VBAL_CFG_ACTUAL && off < VBAL_CFG_ACTUAL + 4) {
		m->actual_writes++;
		if (off != VBAL_CFG_ACTUAL || width != 4)
			bad(m, "L4: actual written %llu bytes at a time",
			    width);
	} else if (off == VBAL_CFG_POISON_VAL) {
		m->poison_written = true;
		m->poison_before_ok = !(m->status & VIRTIO_STATUS_DRIVER_OK);
		if (!m->poison_before_ok)
			bad(m, "D35/D36: poison_val written after DRIVER_OK",
			    0);
	} else {
		bad(m, "driver wrote config offset %llu", off);
		return;
	}
	if (off + width <= sizeof(m->cfg))
		memcpy(&m->cfg[off], &v, width);
}

static uint16_t t_queue_max(struct virtio_dev *d, unsigned q)
{
	return q < of(d)->nq ? of(d)->qmax[q] : 0;
}

static int t_queue_activate(struct virtio_dev *d, unsigned q,
			    const struct vq_addrs *a, uint16_t vec)
{
	struct vbm *m = of(d);

	if (q >= m->nq ||
	    vqm_init(&m->q[q], a, m->driver_features, p2v, NULL) < 0)
		return -1;
	m->active[q] = true;
	return 0;
}

static bool t_queue_active(struct virtio_dev *d, unsigned q)
{
	return q < of(d)->nq && of(d)->active[q];
}

static void t_notify(struct virtio_dev *d, unsigned q)
{
	struct vbm *m = of(d);

	if (q < m->nq) {
		m->notifies[q]++;
		if (!m->defer)
			run_queue(m, (int)q);
	}
}

static uint8_t t_isr(struct virtio_dev *d)
{
	uint8_t v = of(d)->isr;

	of(d)->isr = 0;
	return v;
}

static uint16_t t_set_config_vector(struct virtio_dev *d, uint16_t v)
{
	return v;
}

static const struct virtio_transport_ops vbm_ops = {
	.name = "device model",
	.get_status = t_get_status,
	.set_status = t_set_status,
	.get_features = t_get_features,
	.set_features = t_set_features,
	.generation = t_generation,
	.config_read = t_config_read,
	.config_write = t_config_write,
	.queue_max = t_queue_max,
	.queue_activate = t_queue_activate,
	.queue_active = t_queue_active,
	.notify = t_notify,
	.isr = t_isr,
	.set_config_vector = t_set_config_vector,
};

void vbm_init(struct vbm *m, uint64_t offered)
{
	static const int bit[VBAL_NR_QUEUES] = {-1, -1, VBAL_F_STATS_VQ,
						VBAL_F_FREE_PAGE_HINT,
						VBAL_F_PAGE_REPORTING};
	static const uint16_t size[VBAL_NR_QUEUES] = {128, 128, 128, 1024, 32};

	vbm_memory_init();
	memset(m, 0, sizeof(*m));
	m->dev.ops = &vbm_ops;
	m->dev.device_id = VIRTIO_ID_BALLOON;
	m->dev.config_len = sizeof(m->cfg);
	m->dev.gsi = -1;
	strcpy(m->dev.where, "model");
	m->offered = offered | VQ_FEAT(VIRTIO_F_VERSION_1);
	for (int q = 0; q < VBAL_NR_QUEUES; q++) {
		m->qidx[q] = -1;
		if (bit[q] >= 0 && !(offered >> bit[q] & 1))
			continue;
		m->qidx[q] = (int)m->nq;
		m->qmax[m->nq++] = size[q];
	}
}

struct vbal_cfg vbm_cfg(struct vbm *m)
{
	struct vbal_cfg c = {
		.dev = &m->dev,
		.zone = &mm_zone,
		.irq_mode = VIRTIO_IRQ_POLL,
		.queue_vector = VIRTIO_NO_VECTOR,
		.ack_timeout_ns = 50 * 1000000ull,
		.now_ns = vbm_now,
	};

	return c;
}
