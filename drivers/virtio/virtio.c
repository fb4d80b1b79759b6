/*
 * virtio.c - the transport-independent half of every virtio device.
 *
 * The initialisation order of §3.1.1 lives here, once, so every transport
 * and every driver gets it right the same way:
 *
 *	reset -> ACKNOWLEDGE -> DRIVER -> features -> FEATURES_OK (re-read!)
 *	      -> queues (+ device-specific setup) -> DRIVER_OK
 *
 * and any failure on the way sets FAILED (§2.1.2). Ring memory comes from
 * the page allocator as kernel pages, so page accounting includes it.
 */
#include "drivers/virtio/virtio.h"
#include "kernel/mm.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/x86.h"

#define RESET_TIMEOUT_NS (1000 * NSEC_PER_MSEC)
#define CONFIG_RETRIES	 16
#define INDIRECT_MAX	 8
#define MAX_QUEUE_MEM	 64

struct virtio_dev *virtio_devices[VIRTIO_MAX_DEVICES];
unsigned virtio_nr_devices;

/* What virtio_setup_queue allocated for each queue. */
static struct queue_mem {
	struct virtqueue *vq;
	struct virtio_dev *dev;
	int64_t pfn[3];
	unsigned order[3];
} qmem[MAX_QUEUE_MEM];

const char *virtio_device_name(uint32_t id)
{
	switch (id) {
	case 1:
		return "net";
	case 2:
		return "block";
	case 3:
		return "console";
	case 4:
		return "entropy";
	case VIRTIO_ID_BALLOON:
		return "balloon";
	default:
		return "other";
	}
}

const char *virtio_irq_mode_name(enum virtio_irq_mode m)
{
	return m == VIRTIO_IRQ_MSIX   ? "msix"
	       : m == VIRTIO_IRQ_INTX ? "intx"
				      : "poll";
}

int virtio_reset(struct virtio_dev *d)
{
	uint64_t deadline;

	d->ops->set_status(d, 0);
	/* §4.1.4.3.2: after writing 0 the driver waits for 0 to read back. */
	deadline = time_ns() + RESET_TIMEOUT_NS;
	while (d->ops->get_status(d) != 0) {
		if (time_ns() > deadline) {
			d->error = "status did not read back 0 after reset";
			return -1;
		}
		cpu_relax();
	}
	return 0;
}

void virtio_fail(struct virtio_dev *d, const char *why)
{
	d->error = why;
	d->ops->set_status(d, d->ops->get_status(d) | VIRTIO_STATUS_FAILED);
}

static void add_status(struct virtio_dev *d, uint8_t bit)
{
	d->ops->set_status(d, d->ops->get_status(d) | bit);
}

int virtio_begin(struct virtio_dev *d, uint64_t wanted)
{
	uint64_t take;

	d->error = NULL;
	if (virtio_reset(d) < 0)
		return -1;
	add_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	add_status(d, VIRTIO_STATUS_DRIVER);

	d->offered = d->ops->get_features(d);
	if (d->legacy)
		d->offered &= 0xffffffffull; /* legacy: 32 feature bits */
	take = d->offered & wanted;
	/* §6.1: a driver must accept VERSION_1 if the device offers it. */
	if (d->offered & VQ_FEAT(VIRTIO_F_VERSION_1))
		take |= VQ_FEAT(VIRTIO_F_VERSION_1);
	if (!d->legacy && !(take & VQ_FEAT(VIRTIO_F_VERSION_1))) {
		virtio_fail(d, "modern transport without VERSION_1");
		return -1;
	}
	d->ops->set_features(d, take);
	d->accepted = take;
	if (d->legacy)
		return 0; /* legacy devices have no FEATURES_OK step */

	add_status(d, VIRTIO_STATUS_FEATURES_OK);
	/* §3.1.1 step 6: the device may refuse the subset we chose. */
	if (!(d->ops->get_status(d) & VIRTIO_STATUS_FEATURES_OK)) {
		virtio_fail(d, "device refused FEATURES_OK");
		return -1;
	}
	return 0;
}

void virtio_ready(struct virtio_dev *d)
{
	add_status(d, VIRTIO_STATUS_DRIVER_OK);
}

void virtio_vq_notify(void *ctx, struct virtqueue *vq)
{
	struct virtio_dev *d = ctx;

	d->notifies++;
	d->ops->notify(d, vq->index);
}

static unsigned order_for(size_t bytes)
{
	unsigned o = 0;

	while ((PA_PAGE_SIZE << o) < bytes)
		o++;
	return o;
}

static void *alloc_zeroed(struct queue_mem *m, int k, size_t bytes)
{
	int64_t pfn;
	void *p;

	m->pfn[k] = -1;
	if (!bytes)
		return NULL;
	m->order[k] = order_for(bytes);
	if (m->order[k] > PA_MAX_ORDER)
		return NULL;
	/* 32-bit PFN: legacy devices take the ring as a 32-bit page number. */
	pfn = mm_alloc_kernel_pages_below(m->order[k], 1ull << 32);
	if (pfn <= 0) /* pfn 0 is never managed */
		return NULL;
	m->pfn[k] = pfn;
	p = (void *)(uintptr_t)((uint64_t)pfn << PA_PAGE_SHIFT);
	memset(p, 0, PA_PAGE_SIZE << m->order[k]);
	return p;
}

static void release(struct queue_mem *m)
{
	for (int k = 0; k < 3; k++)
		if (m->pfn[k] >= 0)
			pa_free(&mm_zone, (uint64_t)m->pfn[k], m->order[k],
				PA_KERNEL);
	memset(m, 0, sizeof(*m));
}

void virtio_free_queue(struct virtqueue *vq)
{
	for (int i = 0; i < MAX_QUEUE_MEM; i++)
		if (qmem[i].vq == vq)
			release(&qmem[i]);
}

int virtio_setup_queue(struct virtio_dev *d, unsigned q, struct virtqueue *vq,
		       unsigned max_size, uint16_t msix_vector)
{
	struct queue_mem *m = NULL;
	struct vq_setup s = {0};
	struct vq_addrs a;
	unsigned size = d->ops->queue_max(d, q);

	if (size == 0) {
		d->error = "queue does not exist (size 0)";
		return -1;
	}
	/* Split rings need a power of two; a modern device accepts smaller. */
	if (!d->legacy && size > max_size) {
		size = max_size;
		while (size & (size - 1))
			size &= size - 1;
	}
	for (int i = 0; i < MAX_QUEUE_MEM && !m; i++)
		if (!qmem[i].vq)
			m = &qmem[i];
	if (!m) {
		d->error = "too many queues";
		return -1;
	}
	m->vq = vq;
	m->dev = d;
	/* Nothing allocated yet: release() must not free PFN 0. */
	m->pfn[0] = m->pfn[1] = m->pfn[2] = -1;
	s.size = size;
	s.index = (uint16_t)q;
	s.features = d->accepted;
	s.indirect_max = (d->accepted & VQ_FEAT(VIRTIO_F_INDIRECT_DESC))
				 ? INDIRECT_MAX
				 : 0;
	/* §2.7.5.3.1: a table no longer than the ring (vq_init insists), so
	 * a device with rings of fewer than 8 entries still comes up. */
	if (s.indirect_max > size)
		s.indirect_max = size;
	s.ring = alloc_zeroed(m, 0, vq_ring_bytes(d->accepted, size));
	s.state = alloc_zeroed(m, 1, vq_state_bytes(size));
	s.indirect =
		s.indirect_max
			? alloc_zeroed(m, 2,
				       vq_indirect_bytes(size, s.indirect_max))
			: NULL;
	s.notify = virtio_vq_notify;
	s.notify_ctx = d;
	if (!s.ring || !s.state || (s.indirect_max && !s.indirect)) {
		release(m);
		d->error = "no memory for the rings";
		return -1;
	}
	if (vq_init(vq, &s) != VQ_OK) {
		release(m);
		d->error = "vq_init refused the queue";
		return -1;
	}
	m->vq = vq;
	vq_get_addrs(vq, &a);
	if (d->ops->queue_activate(d, q, &a, msix_vector) < 0) {
		release(m);
		if (!d->error)
			d->error = "the transport could not activate the queue";
		return -1;
	}
	return 0;
}

static uint32_t read_piece(struct virtio_dev *d, unsigned off, void *buf,
			   unsigned len)
{
	unsigned done = 0;

	while (done < len) {
		unsigned o = off + done, w;
		uint32_t v;

		w = (!(o & 3) && len - done >= 4)   ? 4
		    : (!(o & 1) && len - done >= 2) ? 2
						    : 1;
		v = d->ops->config_read(d, o, w);
		memcpy((uint8_t *)buf + done, &v, w);
		done += w;
	}
	return done;
}

int virtio_config_read(struct virtio_dev *d, unsigned off, void *buf,
		       unsigned len)
{
	if (d->config_len && (off > d->config_len || len > d->config_len - off))
		return -1;
	/* §2.5.1: re-read until config_generation is the same before and
	 * after, so a multi-field read is never torn by a device update. */
	for (int i = 0; i < CONFIG_RETRIES; i++) {
		uint32_t before = d->ops->generation(d), after;

		read_piece(d, off, buf, len);
		after = d->ops->generation(d);
		if (before == after)
			return 0;
		d->config_retries++;
	}
	d->error = "config_generation never settled";
	return -1;
}
