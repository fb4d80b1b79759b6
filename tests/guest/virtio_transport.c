/*
 * virtio_transport.c - transport conformance, for every virtio device found.
 *
 * What any virtio device must do whatever it is: status bits read back,
 * reset clears status and queues, FEATURES_OK holds for an offered subset,
 * absent queues have size 0, config_generation is stable while nothing
 * changes, and a used buffer is announced (ISR bit, interrupt, or seen by
 * polling). Used buffers need a device-specific request: for the balloon,
 * one PFN on the inflate queue and then on the deflate queue.
 */
#include "drivers/virtio/virtio.h"
#include "kernel/mm.h"
#include "kernel/string.h"
#include "kernel/tf.h"
#include "kernel/time.h"
#include "kernel/x86.h"

#define USED_TIMEOUT_NS (2000 * NSEC_PER_MSEC)
/* Ring features: take whatever the device offers, so profiles with
 * packed=on, event_idx=off or indirect_desc=off exercise each ring. */
#define RING_FEATURES                                                  \
	(VQ_FEAT(VIRTIO_F_RING_PACKED) | VQ_FEAT(VIRTIO_F_EVENT_IDX) | \
	 VQ_FEAT(VIRTIO_F_INDIRECT_DESC))

static struct virtqueue tvq;

static void check_status_readback(struct virtio_dev *d)
{
	uint8_t s1, s2;
	int rc = virtio_reset(d);

	tf_diag("error", "%s", d->error ? d->error : "");
	tf_check(rc == 0, "virtio 1.2 §2.4 / §4.1.4.3.2",
		 "%s: reset reads back status 0", d->where);
	d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	s1 = d->ops->get_status(d);
	d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	s2 = d->ops->get_status(d);
	tf_diag("after_ack", "%#x", s1);
	tf_diag("after_driver", "%#x", s2);
	tf_check(s1 == VIRTIO_STATUS_ACKNOWLEDGE &&
			 s2 == (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER),
		 "virtio 1.2 §2.1 / §3.1.1", "%s: status bits read back",
		 d->where);
	virtio_reset(d);
}

static void check_features(struct virtio_dev *d)
{
	int rc = virtio_begin(d, d->legacy ? 0xffffffffull : ~0ull);

	tf_diag("offered", "%#llx", (unsigned long long)d->offered);
	tf_diag("error", "%s", d->error ? d->error : "");
	if (d->legacy) {
		tf_check(rc == 0, "virtio 1.2 §3.1.1 (legacy)",
			 "%s: legacy negotiation (no FEATURES_OK step)",
			 d->where);
	} else {
		tf_check(rc == 0 && (d->ops->get_status(d) &
				     VIRTIO_STATUS_FEATURES_OK),
			 "virtio 1.2 §3.1.1 step 6",
			 "%s: FEATURES_OK kept for the offered set", d->where);
		tf_check(d->offered & VQ_FEAT(VIRTIO_F_VERSION_1),
			 "virtio 1.2 §6.1",
			 "%s: a modern transport offers VERSION_1", d->where);
	}
	virtio_reset(d);
}

static void check_absent_queue(struct virtio_dev *d)
{
	unsigned q = d->num_queues ? d->num_queues : VIRTIO_MAX_QUEUES - 1;
	uint16_t n;

	virtio_begin(d, 0);
	n = d->ops->queue_max(d, q);
	tf_check_u64(n, 0, "virtio 1.2 §4.1.4.3 / §4.2.2",
		     "%s: queue %u does not exist: size 0", d->where, q);
	tf_check(d->ops->queue_max(d, 0) != 0, "virtio 1.2 §4.1.4.3",
		 "%s: queue 0 exists", d->where);
	virtio_reset(d);
}

static void check_generation(struct virtio_dev *d)
{
	uint32_t g1, g2;

	if (d->legacy) {
		tf_skip("legacy interface has no config_generation",
			"%s: config_generation stable", d->where);
		return;
	}
	virtio_begin(d, 0);
	g1 = d->ops->generation(d);
	delay_ns(5 * NSEC_PER_MSEC);
	g2 = d->ops->generation(d);
	tf_diag("first", "%u", g1);
	tf_diag("second", "%u", g2);
	tf_check(g1 == g2, "virtio 1.2 §2.5.1",
		 "%s: config_generation stable while config is unchanged",
		 d->where);
	virtio_reset(d);
}

/* Offer one page on queue q of a balloon; wait for it to come back used. */
static bool balloon_roundtrip(struct virtio_dev *d, unsigned q, uint32_t pfn,
			      uint8_t *isr_seen)
{
	struct vq_buf b = { &pfn, sizeof(pfn) };
	uint64_t deadline;
	uint32_t len;
	void *tok = NULL;

	if (vq_add(&tvq, &b, 1, 0, &pfn) != VQ_OK)
		return false;
	vq_kick(&tvq);
	deadline = time_ns() + USED_TIMEOUT_NS;
	while (!tok && time_ns() < deadline) {
		*isr_seen |= d->ops->isr(d);
		tok = vq_get_used(&tvq, &len);
		if (!tok)
			cpu_relax();
	}
	(void)q;
	return tok == &pfn;
}

static void check_used_buffer(struct virtio_dev *d)
{
	int64_t page;
	uint8_t isr_in = 0, isr_out = 0;
	bool in_ok = false, out_ok = false;
	static uint32_t pfn;

	if (d->device_id != VIRTIO_ID_BALLOON) {
		tf_skip("only the balloon has a request pinprick can make",
			"%s: used-buffer notification", d->where);
		return;
	}
	page = pa_alloc(&mm_zone, 0, PA_BALLOONED);
	if (page < 0 || virtio_begin(d, RING_FEATURES) < 0 ||
	    virtio_setup_queue(d, 0, &tvq, 64, VIRTIO_NO_VECTOR) < 0) {
		tf_diag("error", "%s", d->error ? d->error : "no page");
		tf_check(false, "virtio 1.2 §3.1.1",
			 "%s: inflate queue set up", d->where);
		if (page >= 0)
			pa_free(&mm_zone, (uint64_t)page, 0, PA_BALLOONED);
		virtio_reset(d);
		return;
	}
	virtio_ready(d);
	tf_info("%s: features %#llx, %s ring%s%s", d->where,
		(unsigned long long)d->accepted,
		virtio_has(d, VIRTIO_F_RING_PACKED) ? "packed" : "split",
		virtio_has(d, VIRTIO_F_EVENT_IDX) ? ", event-idx" : "",
		virtio_has(d, VIRTIO_F_INDIRECT_DESC) ? ", indirect" : "");
	pfn = (uint32_t)page;
	in_ok = balloon_roundtrip(d, 0, pfn, &isr_in);
	tf_diag("vq_error", "%s", vq_last_error_msg(&tvq));
	tf_check(in_ok, "virtio 1.2 §2.7.8 (used ring)",
		 "%s: an inflate buffer comes back used (polling)", d->where);
	tf_check(isr_in & VIRTIO_ISR_QUEUE,
		 "virtio 1.2 §4.1.4.5 / §4.2.2 (ISR)",
		 "%s: the ISR shows the used-buffer notification", d->where);

	/* Give the page back the same way: deflate queue (queue 1). */
	virtio_reset(d);
	virtio_free_queue(&tvq);
	if (virtio_begin(d, RING_FEATURES) == 0 &&
	    virtio_setup_queue(d, 1, &tvq, 64, VIRTIO_NO_VECTOR) == 0) {
		virtio_ready(d);
		out_ok = balloon_roundtrip(d, 1, pfn, &isr_out);
	}
	tf_check(out_ok, "virtio 1.2 §5.5.6",
		 "%s: the deflate buffer comes back used", d->where);
	virtio_reset(d);
	tf_check(!d->ops->queue_active(d, 1), "virtio 1.2 §2.4",
		 "%s: reset clears the queue", d->where);
	tf_check_u64(d->ops->get_status(d), 0, "virtio 1.2 §2.4",
		     "%s: reset clears the status", d->where);
	virtio_free_queue(&tvq);
	pa_free(&mm_zone, (uint64_t)page, 0, PA_BALLOONED);
}

static void test_devices(void)
{
	if (virtio_nr_devices == 0) {
		tf_skip("no virtio device on this machine",
			"virtio transport checks");
		return;
	}
	for (unsigned i = 0; i < virtio_nr_devices; i++) {
		struct virtio_dev *d = virtio_devices[i];

		tf_info("%s: virtio %s (id %u), %s", d->where,
			virtio_device_name(d->device_id), d->device_id,
			d->ops->name);
		check_status_readback(d);
		check_features(d);
		check_absent_queue(d);
		check_generation(d);
		check_used_buffer(d);
	}
}

static const struct tf_case transport_cases[] = {
	{ "every virtio device", test_devices, 0 },
};

const struct tf_suite suite_virtio_transport =
	TF_SUITE("virtio-transport",
		 "status, reset, features, queues, notifications",
		 transport_cases);
