/*
 * vbal_model.c - the virtio-balloon device model's transport half: status,
 * features, config space, queue numbering and activation, notifications,
 * ISR, and the driver configuration tests start from. What the device does
 * with the buffers (and how it judges them) is vbal_model_queues.c.
 *
 * The transport is where several driver rules are visible: features the
 * device never offered (§3.1.1 step 3), `actual` written in pieces (L4),
 * poison_val written late or changed (D35, D36), a queue kicked before
 * DRIVER_OK, and whether the first stats buffer was already there when
 * DRIVER_OK came (D17, §5.5.5).
 */
#include "tests/unit/vbal_model.h"

#include <stdio.h>
#include <string.h>

#include "kernel/mm.h"
#include "kernel/time.h"

/* QEMU's queue sizes: inflate, deflate, stats 128, hint 1024, report 32. */
static const uint16_t queue_size[VBAL_NR_QUEUES] = {128, 128, 128, 1024, 32};
/* The feature bit that creates each optional queue. */
static const int queue_bit[VBAL_NR_QUEUES] = {
	-1, -1, VBAL_F_STATS_VQ, VBAL_F_FREE_PAGE_HINT, VBAL_F_PAGE_REPORTING};

static struct vbm *of(struct virtio_dev *d)
{
	return (struct vbm *)d; /* dev is the first member */
}

void vbm_bad(struct vbm *m, const char *fmt, uint64_t a)
{
	m->errors++;
	snprintf(m->last_error, sizeof(m->last_error), fmt,
		 (unsigned long long)a);
	printf("    # device model: %s\n", m->last_error);
}

int vbm_queue_of(const struct vbm *m, unsigned idx)
{
	for (int k = 0; k < VBAL_NR_QUEUES; k++)
		if (m->qidx[k] == (int)idx)
			return k;
	return -1;
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

/* ---- transport operations ----------------------------------------- */

static uint8_t t_get_status(struct virtio_dev *d)
{
	return of(d)->status;
}

static void t_set_status(struct virtio_dev *d, uint8_t s)
{
	struct vbm *m = of(d);
	int st = m->qidx[VBAL_Q_STATS];

	if (s & VIRTIO_STATUS_FAILED)
		m->saw_failed = true;
	if (m->refuse_features_ok)
		s &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	if (s == 0) {
		/* Reset: queues, held buffers and the driver's state go,
		 * and the balloon with them (the pages are the guest's). */
		memset(m->active, 0, sizeof(m->active));
		memset(m->nheld, 0, sizeof(m->nheld));
		memset(m->inflated, 0, sizeof(m->inflated));
		m->balloon = 0;
		m->driver_features = 0;
		m->hint_open = false;
	}
	/* §5.5.5: the first stats buffer is added before DRIVER_OK. */
	if ((s & VIRTIO_STATUS_DRIVER_OK) &&
	    !(m->status & VIRTIO_STATUS_DRIVER_OK) && st >= 0 && m->active[st])
		m->stats_ready_at_ok = vbm_has_avail(&m->q[st]);
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
		vbm_bad(m, "unoffered features %#llx accepted",
			f & ~m->offered);
	m->driver_features = f;
}

static uint32_t t_generation(struct virtio_dev *d)
{
	struct vbm *m = of(d);

	return m->flapping_generation ? ++m->generation : m->generation;
}

static unsigned cfg_size(const struct vbm *m)
{
	unsigned n = m->dev.config_len;

	return n && n < VBM_CFG_BYTES ? n : VBM_CFG_BYTES;
}

static uint32_t t_config_read(struct virtio_dev *d, unsigned off,
			      unsigned width)
{
	uint32_t v = 0;

	if (off + width <= cfg_size(of(d)))
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
			vbm_bad(m, "L4: actual written %llu bytes at a time",
				width);
	} else if (off == VBAL_CFG_POISON_VAL) {
		if (!(m->driver_features & (1u << VBAL_F_PAGE_POISON)))
			vbm_bad(m, "poison_val written without PAGE_POISON", 0);
		m->poison_written = true;
		m->poison_before_ok = !(m->status & VIRTIO_STATUS_DRIVER_OK);
		if (!m->poison_before_ok)
			vbm_bad(m,
				"D35/D36: poison_val written after DRIVER_OK",
				0);
	} else {
		vbm_bad(m, "driver wrote config offset %llu", off);
		return;
	}
	if (off + width <= cfg_size(m))
		memcpy(&m->cfg[off], &v, width);
}

static uint16_t t_queue_max(struct virtio_dev *d, unsigned q)
{
	return q < of(d)->nq ? of(d)->qmax[q] : 0;
}

/* Only what the device can see: the addresses must be guest memory. */
static void *p2v(void *ctx, uint64_t gpa, size_t len)
{
	if (gpa < VBM_BASE || gpa + len > VBM_BASE + VBM_BYTES)
		return NULL;
	return (void *)(uintptr_t)gpa;
}

static int t_queue_activate(struct virtio_dev *d, unsigned q,
			    const struct vq_addrs *a, uint16_t vec)
{
	struct vbm *m = of(d);

	if (q >= m->nq || !m->qmax[q] || a->size > m->qmax[q])
		return -1;
	if (m->active[q])
		vbm_bad(m, "queue %llu activated twice", q);
	if (vqm_init(&m->q[q], a, m->driver_features, p2v, NULL) < 0)
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

	if (q >= m->nq)
		return;
	m->notifies[q]++;
	/* QEMU would process it; the driver promises not to (§5.5.5). */
	if (!(m->status & VIRTIO_STATUS_DRIVER_OK))
		m->early_notifies++;
	else if (!m->defer)
		vbm_run_queue(m, q);
}

static uint8_t t_isr(struct virtio_dev *d)
{
	uint8_t v = of(d)->isr;

	of(d)->isr = 0;
	return v;
}

static uint16_t t_set_config_vector(struct virtio_dev *d, uint16_t v)
{
	return of(d)->refuse_msix ? VIRTIO_NO_VECTOR : v;
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

static bool has_queue(const struct vbm *m, int q)
{
	return queue_bit[q] < 0 || (m->offered >> queue_bit[q] & 1);
}

void vbm_init(struct vbm *m, uint64_t offered)
{
	vbm_memory_init();
	memset(m, 0, sizeof(*m));
	m->dev.ops = &vbm_ops;
	m->dev.device_id = VIRTIO_ID_BALLOON;
	m->dev.config_len = 16; /* QEMU's, with page-poison on */
	m->dev.gsi = -1;
	strcpy(m->dev.where, "model");
	m->offered = offered | VQ_FEAT(VIRTIO_F_VERSION_1);
	/* QEMU, Firecracker, crosvm: compacted over what is offered. */
	for (int q = 0; q < VBAL_NR_QUEUES; q++) {
		m->qidx[q] = -1;
		if (!has_queue(m, q))
			continue;
		m->qidx[q] = (int)m->nq;
		m->qmax[m->nq++] = queue_size[q];
	}
}

void vbm_number_by_spec(struct vbm *m)
{
	memset(m->qmax, 0, sizeof(m->qmax));
	m->nq = 0;
	for (int q = 0; q < VBAL_NR_QUEUES; q++) {
		m->qidx[q] = -1;
		if (!has_queue(m, q))
			continue;
		m->qidx[q] = q;
		m->qmax[q] = queue_size[q];
		m->nq = (unsigned)q + 1;
	}
}

void vbm_idle(void *ctx)
{
	struct vbm *m = ctx;

	m->idle_calls++;
	if (m->defer && m->answer_every && m->idle_calls % m->answer_every == 0)
		vbm_run(m);
}

struct vbal_cfg vbm_cfg(struct vbm *m)
{
	struct vbal_cfg c = {
		.dev = &m->dev,
		.zone = &mm_zone,
		.irq_mode = VIRTIO_IRQ_POLL,
		.queue_vector = VIRTIO_NO_VECTOR,
		.ack_timeout_ns = 50 * NSEC_PER_MSEC,
		.idle = vbm_idle,
		.idle_ctx = m,
		.now_ns = vbm_now,
	};

	return c;
}
