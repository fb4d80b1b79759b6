/*
 * vbal.c - virtio-balloon: bring-up, queue numbering, configuration,
 * interrupts and the service loop.
 *
 * Bring-up is §3.1.1 plus the balloon's own steps (§5.5.5):
 *
 *	reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK   (virtio_begin)
 *	inflateq, deflateq [, statsq] [, free_page_vq] [, reporting_vq]
 *	PAGE_POISON: write poison_val               (D35: before DRIVER_OK)
 *	STATS_VQ: add one filled stats buffer       (D17, D19: not notified)
 *	DRIVER_OK
 *	STATS_VQ: notify statsq
 *
 * Queue numbering: §5.5.2 lists inflateq 0, deflateq 1, statsq 2,
 * free_page_vq 3, reporting_vq 4, but every device in the field numbers
 * them compacted: an optional queue that is not offered takes no index
 * and the next one moves down. pinprick follows the devices, compacting
 * over the OFFERED features (what QEMU, Firecracker and crosvm do), then
 * confirms each queue exists before using it; the spec's literal numbers
 * are kept beside them so the suite can report the difference.
 */
#include "drivers/virtio/virtio_balloon.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/x86.h"

#define DEFAULT_ACK_TIMEOUT_NS (2 * NSEC_PER_SEC)
#define DEFAULT_QUEUE_MAX      256
#define MISC_BYTES	       4096 /* stats entries and the two hint ids */

static const char *const queue_names[VBAL_NR_QUEUES] = {
	"inflateq", "deflateq", "statsq", "free_page_vq", "reporting_vq"};

/* The feature bit that creates each optional queue. */
static const int queue_feature[VBAL_NR_QUEUES] = {
	-1, -1, VBAL_F_STATS_VQ, VBAL_F_FREE_PAGE_HINT, VBAL_F_PAGE_REPORTING};

const char *vbal_queue_name(enum vbal_queue q)
{
	return (unsigned)q < VBAL_NR_QUEUES ? queue_names[q] : "?";
}

const char *vbal_feature_name(unsigned bit)
{
	static const char *const names[] = {
		"MUST_TELL_HOST", "STATS_VQ",	 "DEFLATE_ON_OOM",
		"FREE_PAGE_HINT", "PAGE_POISON", "PAGE_REPORTING",
	};

	if (bit < sizeof(names) / sizeof(names[0]))
		return names[bit];
	switch (bit) {
	case 24:
		return "NOTIFY_ON_EMPTY";
	case 27:
		return "ANY_LAYOUT";
	case VIRTIO_F_INDIRECT_DESC:
		return "INDIRECT_DESC";
	case VIRTIO_F_EVENT_IDX:
		return "EVENT_IDX";
	case VIRTIO_F_VERSION_1:
		return "VERSION_1";
	case 33:
		return "ACCESS_PLATFORM";
	case VIRTIO_F_RING_PACKED:
		return "RING_PACKED";
	case 35:
		return "IN_ORDER";
	case 36:
		return "ORDER_PLATFORM";
	case 37:
		return "SR_IOV";
	case 38:
		return "NOTIFICATION_DATA";
	case 39:
		return "NOTIF_CONFIG_DATA";
	case 40:
		return "RING_RESET";
	default:
		return "?";
	}
}

const char *vbal_err_name(int err)
{
	switch (err) {
	case VBAL_E_SETUP:
		return "device set-up failed";
	case VBAL_E_TIMEOUT:
		return "no acknowledgement in time";
	case VBAL_E_DEVICE:
		return "device broke the ring protocol";
	case VBAL_E_DOWN:
		return "driver not running";
	case VBAL_E_NOMEM:
		return "no memory for driver buffers";
	case VBAL_E_ARG:
		return "bad argument";
	default:
		return err >= 0 ? "ok" : "?";
	}
}

uint64_t vbal_now(const struct vbal *vb)
{
	return vb->cfg.now_ns ? vb->cfg.now_ns() : time_ns();
}

static uint32_t read_cfg32(struct vbal *vb, unsigned off)
{
	uint32_t v = 0;

	vb->st.config_reads++;
	if (virtio_config_read(vb->d, off, &v, sizeof(v)) < 0)
		return 0;
	return v;
}

void vbal_write_actual(struct vbal *vb, uint32_t pages)
{
	/* L4: all four bytes in one access, so the device never sees a
	 * half-written value (QEMU acts on every write, L5 not honoured). */
	vb->d->ops->config_write(vb->d, VBAL_CFG_ACTUAL, 4, pages);
	vb->actual = pages;
}

/* Offered-compacted indexes, and §5.5.2's fixed ones. */
static void number_queues(struct vbal *vb)
{
	int next = 2;

	for (int q = 0; q < VBAL_NR_QUEUES; q++) {
		int bit = queue_feature[q];

		vb->qidx[q] = -1;
		if (bit < 0) {
			vb->spec_qidx[q] = q;
			continue;
		}
		if (vb->d->offered >> bit & 1) {
			vb->spec_qidx[q] = q;
			vb->qidx[q] = next++;
		} else {
			vb->spec_qidx[q] = -1;
		}
	}
	vb->qidx[VBAL_Q_INFLATE] = 0;
	vb->qidx[VBAL_Q_DEFLATE] = 1;
}

static bool queue_wanted(const struct vbal *vb, int q)
{
	return queue_feature[q] < 0 ||
	       virtio_has(vb->d, (unsigned)queue_feature[q]);
}

static int setup_queues(struct vbal *vb)
{
	bool spec = false; /* the device numbers as §5.5.2 lists them */

	for (int q = 0; q < VBAL_NR_QUEUES; q++) {
		int idx = vb->qidx[q];

		if (!queue_wanted(vb, q)) {
			vb->qidx[q] = -1;
			continue;
		}
		/* The robust rule: confirm the queue exists at the index the
		 * device's numbering gives; fall back to the spec's. Once
		 * one queue has fallen back, the later ones follow: without
		 * statsq, reporting's compacted index 3 is such a device's
		 * free_page_vq, which would be set up twice. */
		if (spec && vb->spec_qidx[q] >= 0) {
			idx = vb->qidx[q] = vb->spec_qidx[q];
		} else if (vb->d->ops->queue_max(vb->d, (unsigned)idx) == 0 &&
			   vb->spec_qidx[q] >= 0 &&
			   vb->d->ops->queue_max(vb->d,
						 (unsigned)vb->spec_qidx[q])) {
			idx = vb->qidx[q] = vb->spec_qidx[q];
			spec = true;
		}
		vb->qsize[q] = vb->d->ops->queue_max(vb->d, (unsigned)idx);
		if (virtio_setup_queue(vb->d, (unsigned)idx, &vb->vq[q],
				       vb->cfg.queue_max,
				       vb->cfg.queue_vector) < 0) {
			vb->qidx[q] = -1;
			return -1;
		}
		/* L3: lengths on these queues mean nothing; old devices
		 * report the whole buffer. Count them, never trust them. */
		vb->vq[q].lax_used_len = true;
	}
	/*
	 * The driver polls the hint queue and never waits on its interrupt.
	 * Keeping it off also sidesteps a QEMU 7.2 TCG abort: the hint
	 * iothread raises the interrupt without the big lock and
	 * tcg_handle_interrupt asserts (seen here; KVM is unaffected).
	 */
	if (vb->qidx[VBAL_Q_HINT] >= 0)
		vq_disable_cb(&vb->vq[VBAL_Q_HINT]);
	return 0;
}

static int alloc_memory(struct vbal *vb)
{
	uint64_t bytes = (uint64_t)vb->nbufs * vb->batch * 4 + MISC_BYTES;
	uint8_t *base, *misc;

	vb->mem_order = 0;
	while ((PA_PAGE_SIZE << vb->mem_order) < bytes)
		vb->mem_order++;
	vb->mem_pfn = pa_alloc_below(vb->cfg.zone, vb->mem_order, PA_KERNEL,
				     VBAL_PFN_LIMIT);
	if (vb->mem_pfn <= 0) {
		vb->mem_pfn = -1;
		return -1;
	}
	base = (uint8_t *)(uintptr_t)((uint64_t)vb->mem_pfn << PA_PAGE_SHIFT);
	memset(base, 0, PA_PAGE_SIZE << vb->mem_order);
	for (unsigned i = 0; i < vb->nbufs; i++) {
		vb->bufs[i].pfns =
			(uint32_t *)(base + (uint64_t)i * vb->batch * 4);
		vb->bufs[i].queue = -1;
	}
	misc = base + (uint64_t)vb->nbufs * vb->batch * 4;
	vb->stats = (struct vbal_stat *)misc;
	vb->hint_id_buf = (uint32_t *)(misc + 256);
	vb->hint_stop_buf = (uint32_t *)(misc + 260);
	return 0;
}

static void free_memory(struct vbal *vb)
{
	if (vb->mem_pfn > 0)
		pa_free(vb->cfg.zone, (uint64_t)vb->mem_pfn, vb->mem_order,
			PA_KERNEL);
	vb->mem_pfn = -1;
}

static void free_queues(struct vbal *vb)
{
	for (int q = 0; q < VBAL_NR_QUEUES; q++)
		virtio_free_queue(&vb->vq[q]);
}

/* The config space must hold every field the features make valid. */
static unsigned config_needed(const struct vbal *vb)
{
	if (virtio_has(vb->d, VBAL_F_PAGE_POISON))
		return 16;
	if (virtio_has(vb->d, VBAL_F_FREE_PAGE_HINT))
		return 12;
	return 8;
}

static int setup_fail(struct vbal *vb, const char *why)
{
	vb->error = why;
	virtio_fail(vb->d, why);
	virtio_reset(vb->d);
	free_queues(vb);
	free_memory(vb);
	return VBAL_E_SETUP;
}

int vbal_init(struct vbal *vb, const struct vbal_cfg *cfg)
{
	uint64_t wanted;

	memset(vb, 0, sizeof(*vb));
	vb->mem_pfn = -1;
	if (!cfg || !cfg->dev || !cfg->zone)
		return VBAL_E_ARG;
	vb->cfg = *cfg;
	vb->d = cfg->dev;
	vb->b.name = "virtio-balloon";
	vb->b.ops = &vbal_ops;
	vb->b.priv = vb;
	if (!vb->cfg.ack_timeout_ns)
		vb->cfg.ack_timeout_ns = DEFAULT_ACK_TIMEOUT_NS;
	if (!vb->cfg.queue_max)
		vb->cfg.queue_max = DEFAULT_QUEUE_MAX;
	vb->batch = cfg->batch_pfns ? cfg->batch_pfns : VBAL_BATCH_PFNS;
	if (vb->batch > 1024)
		vb->batch = 1024; /* one page of PFNs per buffer */
	vb->nbufs = cfg->max_bufs ? cfg->max_bufs : VBAL_MAX_BUFS;
	if (vb->nbufs > VBAL_MAX_BUFS)
		vb->nbufs = VBAL_MAX_BUFS;
	if (vb->d->device_id != VIRTIO_ID_BALLOON)
		return VBAL_E_ARG;
	if (alloc_memory(vb) < 0) {
		vb->error = "no memory for the PFN arrays";
		return VBAL_E_NOMEM;
	}

	/* D1: MUST_TELL_HOST is taken when offered, like everything else;
	 * a test switches bits off through features_off. */
	wanted = (VBAL_FEATURES_BALLOON | VBAL_FEATURES_RING) &
		 ~cfg->features_off;
	if (virtio_begin(vb->d, wanted) < 0)
		return setup_fail(vb, vb->d->error ? vb->d->error
						   : "feature negotiation");
	if (vb->d->config_len && vb->d->config_len < config_needed(vb))
		return setup_fail(vb, "device config space too small");
	if (cfg->irq_mode == VIRTIO_IRQ_MSIX &&
	    vb->d->ops->set_config_vector(vb->d, VIRTIO_MSIX_CONFIG_ENTRY) !=
		    VIRTIO_MSIX_CONFIG_ENTRY)
		return setup_fail(vb, "device refused the config MSI-X vector");
	number_queues(vb);
	if (setup_queues(vb) < 0)
		return setup_fail(vb,
				  vb->d->error ? vb->d->error : "queue set-up");
	if (virtio_has(vb->d, VBAL_F_PAGE_POISON))
		vb->d->ops->config_write(vb->d, VBAL_CFG_POISON_VAL, 4,
					 cfg->poison_val);
	if (virtio_has(vb->d, VBAL_F_STATS_VQ) && vbal_stats_start(vb) < 0)
		return setup_fail(vb, "could not queue the first stats buffer");
	virtio_ready(vb->d);
	if (vb->stats_with_device)
		vq_kick(&vb->vq[VBAL_Q_STATS]);
	vb->up = true;
	vb->num_pages = read_cfg32(vb, VBAL_CFG_NUM_PAGES);
	vb->b.target = vb->num_pages;
	/* A fresh device starts with actual 0; say so explicitly. */
	vbal_write_actual(vb, 0);
	return 0;
}

/* Everything the device held comes back once it is reset (§2.4). */
static void reclaim_after_reset(struct vbal *vb)
{
	uint32_t pfn;

	for (int q = 0; q < VBAL_NR_QUEUES; q++)
		if (vb->qidx[q] >= 0)
			while (vq_detach_unused(&vb->vq[q]))
				;
	for (unsigned i = 0; i < vb->nbufs; i++) {
		struct vbal_buf *buf = &vb->bufs[i];

		for (unsigned k = 0; buf->queue >= 0 && k < buf->n; k++)
			pa_free(vb->cfg.zone, buf->pfns[k], 0, PA_BALLOONED);
		buf->queue = -1;
		buf->n = 0;
	}
	vb->inflight_pages = 0;
	while (vbal_track_pop(vb, &pfn))
		pa_free(vb->cfg.zone, pfn, 0, PA_BALLOONED);
	vbal_track_free(vb);
	vbal_hint_release(vb);
	for (unsigned i = 0; i < vb->report_nr; i++)
		pa_free(vb->cfg.zone, vb->report_pfn[i], VBAL_REPORT_ORDER,
			PA_BALLOONED);
	vb->report_nr = 0;
	vb->b.size = 0;
	vb->stats_with_device = false;
}

void vbal_device_broke(struct vbal *vb, enum vbal_queue q)
{
	vb->st.device_errors++;
	vb->b.counters.errors++;
	vb->error = vq_last_error_msg(&vb->vq[q]);
	/* §2.1.2: give up on the device, then reset it so it lets go of
	 * every buffer and the pages can be reclaimed. */
	virtio_fail(vb->d, vb->error);
	virtio_reset(vb->d);
	reclaim_after_reset(vb);
	vb->up = false;
	vb->b.counters.resets++;
}

void vbal_teardown(struct vbal *vb)
{
	if (vb->up) {
		vb->b.ops->reset(&vb->b);
		vbal_hint_release(vb);
	}
	virtio_reset(vb->d);
	reclaim_after_reset(vb);
	free_queues(vb);
	free_memory(vb);
	vb->up = false;
}

void vbal_interrupt(struct vbal *vb, uint8_t isr)
{
	vb->st.interrupts++;
	if (isr & VIRTIO_ISR_CONFIG) {
		vb->st.config_irqs++;
		vb->config_pending = true;
	}
}

bool vbal_wait_used(struct vbal *vb, enum vbal_queue q)
{
	uint64_t t0 = vbal_now(vb), now = t0;
	uint64_t deadline = t0 + vb->cfg.ack_timeout_ns;
	bool ok = true;

	while (!vq_more_used(&vb->vq[q])) {
		if (vq_is_broken(&vb->vq[q]) || !vq_in_flight(&vb->vq[q])) {
			ok = false;
			break;
		}
		now = vbal_now(vb);
		if (now > deadline) {
			vb->st.ack_timeouts++;
			ok = false;
			break;
		}
		if (vb->cfg.idle)
			vb->cfg.idle(vb->cfg.idle_ctx);
		else
			cpu_relax();
	}
	/* The device's share of a move, apart from the driver's own work
	 * (make bench: docs/performance.md). */
	vb->st.wait_ns += now - t0;
	return ok;
}

bool vbal_service(struct vbal *vb)
{
	uint32_t before = vb->num_pages;

	if (!vb->up)
		return false;
	for (int q = 0; q < VBAL_NR_QUEUES && vb->up; q++)
		if (vb->qidx[q] >= 0)
			vbal_reap(vb, (enum vbal_queue)q);
	if (!vb->up)
		return false;
	/* Late acknowledgements changed the balloon: D14 says tell. */
	if (vb->actual != vb->track.count && !vb->inflight_pages)
		vbal_write_actual(vb, (uint32_t)vb->track.count);
	if (vb->cfg.irq_mode == VIRTIO_IRQ_POLL || vb->config_pending) {
		vb->config_pending = false;
		vb->num_pages = read_cfg32(vb, VBAL_CFG_NUM_PAGES);
		if (virtio_has(vb->d, VBAL_F_FREE_PAGE_HINT))
			vb->hint_cmd_id = read_cfg32(vb, VBAL_CFG_HINT_CMD_ID);
	}
	if (virtio_has(vb->d, VBAL_F_FREE_PAGE_HINT))
		vbal_hint_service(vb);
	if (vb->num_pages != before)
		vb->st.target_changes++;
	vb->b.target = vb->num_pages;
	return vb->num_pages != before;
}

int64_t vbal_change(const struct vbal *vb)
{
	return (int64_t)vb->num_pages - (int64_t)vb->track.count;
}

bool vbal_hinting(const struct vbal *vb)
{
	return vb->hint_nr > 0 || vb->hint_round_id != 0;
}
