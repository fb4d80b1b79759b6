/*
 * virtio_transport.c - transport conformance, for every virtio device found.
 *
 * What any virtio device must do whatever it is: status bits read back,
 * reset clears status and queues, FEATURES_OK holds for an offered subset,
 * absent queues have size 0, config_generation is stable while nothing
 * changes, and a used buffer is announced (ISR bit, interrupt, or seen by
 * polling, through a line interrupt via the IO-APIC, through MSI-X).
 * Used buffers need a device-specific request: for the balloon, one PFN
 * on the inflate queue and then on the deflate queue; for the entropy
 * device (virtio-rng, which unlike QEMU's balloon has MSI-X), a buffer to
 * fill.
 */
#include "drivers/virtio/virtio.h"
#include "kernel/ctl.h"
#include "kernel/ioapic.h"
#include "kernel/irq.h"
#include "kernel/mm.h"
#include "kernel/printf.h"
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

/*
 * A deliberately non-conformant driver (probe 6 of the reference): accept
 * a feature the device never offered. §2.2.2 says a device must then fail
 * FEATURES_OK; a device that quietly drops the bit is reported as a
 * documented deviation.
 */
static void check_unoffered(struct virtio_dev *d)
{
	unsigned bit = 41; /* reserved for future device-independent use */
	uint8_t st;

	while (bit < 64 && (d->offered >> bit) & 1)
		bit++;
	if (bit == 64 || virtio_reset(d) < 0)
		return;
	d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	d->ops->set_features(d, d->offered | (1ull << bit));
	d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE |
				      VIRTIO_STATUS_DRIVER |
				      VIRTIO_STATUS_FEATURES_OK);
	st = d->ops->get_status(d);
	tf_diag("unoffered_bit", "%u", bit);
	tf_diag("status", "%#x", st);
	tf_check_known(!(st & VIRTIO_STATUS_FEATURES_OK),
		       "the device accepts FEATURES_OK and drops the bit",
		       "virtio 1.2 §2.2.2",
		       "%s: FEATURES_OK refused when the driver takes "
		       "unoffered bit %u", d->where, bit);
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
		check_unoffered(d);
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

enum notify_mode { MODE_POLL, MODE_INTX, MODE_MSIX };

static const char *const mode_name[] = { "polling", "INTx/line + ISR",
					 "MSI-X" };
static struct virtqueue vq_in, vq_out;
static volatile unsigned irq_hits, irq_isr;
static volatile unsigned msix_queue_hits, msix_config_hits;

static void line_handler(void *ctx)
{
	struct virtio_dev *d = ctx;

	/* Reading the ISR lowers a level-triggered line (§4.1.4.5.1). */
	irq_isr |= d->ops->isr(d);
	irq_hits++;
}

static void msix_queue_handler(void *ctx)
{
	msix_queue_hits++;
}

static void msix_config_handler(void *ctx)
{
	msix_config_hits++;
}

/*
 * One buffer through vq: device-readable (a balloon PFN array) or
 * device-writable (entropy); true when the device handed it back used.
 */
static bool roundtrip(struct virtio_dev *d, struct virtqueue *vq, void *buf,
		      uint32_t size, bool writable, enum notify_mode m,
		      uint8_t *isr_seen)
{
	struct vq_buf b = { buf, size };
	uint64_t deadline = time_ns() + USED_TIMEOUT_NS;
	uint32_t len;
	void *tok = NULL;

	if (vq_add(vq, &b, writable ? 0 : 1, writable ? 1 : 0, buf) != VQ_OK)
		return false;
	vq_kick(vq);
	while (!tok && time_ns() < deadline) {
		if (m == MODE_POLL)
			*isr_seen |= d->ops->isr(d);
		tok = vq_get_used(vq, &len);
		if (!tok)
			cpu_relax();
	}
	return tok == buf;
}

/* Wait (bounded) for a counter an interrupt handler bumps. */
static unsigned wait_for(volatile unsigned *counter)
{
	uint64_t deadline = time_ns() + USED_TIMEOUT_NS;

	while (!*counter && time_ns() < deadline)
		cpu_relax();
	delay_ns(2 * NSEC_PER_MSEC); /* room for a storm to show */
	return *counter;
}

static int vec_line = -1, vec_q = -1, vec_c = -1;

static bool arm(struct virtio_dev *d, enum notify_mode m)
{
	if (m == MODE_INTX) {
		vec_line = irq_alloc_vector(line_handler, d);
		if (vec_line < 0 ||
		    ioapic_route((unsigned)d->gsi, (uint8_t)vec_line, true,
				 false) < 0)
			return false;
		ioapic_mask((unsigned)d->gsi, false);
	} else if (m == MODE_MSIX) {
		vec_q = irq_alloc_vector(msix_queue_handler, NULL);
		vec_c = irq_alloc_vector(msix_config_handler, NULL);
		if (vec_q < 0 || vec_c < 0 ||
		    virtio_pci_msix_on(d, (uint8_t)vec_c, (uint8_t)vec_q) < 0)
			return false;
	}
	return true;
}

static void disarm(struct virtio_dev *d, enum notify_mode m)
{
	if (m == MODE_INTX && d->gsi >= 0)
		ioapic_mask((unsigned)d->gsi, true);
	if (m == MODE_MSIX)
		virtio_pci_msix_off(d);
	if (vec_line >= 0)
		irq_free_vector(vec_line);
	if (vec_q >= 0)
		irq_free_vector(vec_q);
	if (vec_c >= 0)
		irq_free_vector(vec_c);
	vec_line = vec_q = vec_c = -1;
}

/*
 * Two requests with notifications delivered the way m says: for the
 * balloon, inflate one page then deflate it (queues 0 and 1); for the
 * entropy device, two buffers to fill on its one queue.
 */
static void check_mode(struct virtio_dev *d, enum notify_mode m)
{
	bool bal = d->device_id == VIRTIO_ID_BALLOON;
	static uint8_t entropy[64];
	uint16_t qvec = m == MODE_MSIX ? VIRTIO_MSIX_QUEUE_ENTRY
				       : VIRTIO_NO_VECTOR;
	const char *mn = mode_name[m];
	static uint32_t pfn;
	uint8_t isr = 0;
	bool up, in_ok = false, out_ok = false;
	int64_t page = bal ? pa_alloc(&mm_zone, 0, PA_BALLOONED) : 0;
	struct virtqueue *second = bal ? &vq_out : &vq_in;
	void *buf = bal ? (void *)&pfn : (void *)entropy;
	uint32_t size = bal ? sizeof(pfn) : sizeof(entropy);

	irq_hits = irq_isr = msix_queue_hits = msix_config_hits = 0;
	up = page >= 0 && virtio_begin(d, RING_FEATURES) == 0 && arm(d, m) &&
	     virtio_setup_queue(d, 0, &vq_in, 64, qvec) == 0 &&
	     (!bal || virtio_setup_queue(d, 1, &vq_out, 64, qvec) == 0);
	if (up && m == MODE_MSIX &&
	    d->ops->set_config_vector(d, VIRTIO_MSIX_CONFIG_ENTRY) !=
		    VIRTIO_MSIX_CONFIG_ENTRY)
		up = false;
	tf_diag("error", "%s", d->error ? d->error : "");
	if (!tf_check(up, "virtio 1.2 §3.1.1", "%s: queues set up for %s",
		      d->where, mn))
		goto out;
	virtio_ready(d);
	pfn = (uint32_t)page;
	in_ok = roundtrip(d, &vq_in, buf, size, !bal, m, &isr);
	tf_diag("vq_error", "%s", vq_last_error_msg(&vq_in));
	tf_check(in_ok, bal ? "virtio 1.2 §2.7.8 / §5.5.6" : "virtio 1.2 §5.4",
		 "%s: %s: %s comes back used", d->where, mn,
		 bal ? "an inflate buffer" : "an entropy request");
	if (m == MODE_POLL) {
		tf_check(isr & VIRTIO_ISR_QUEUE,
			 "virtio 1.2 §4.1.4.5 / §4.2.2 (ISR)",
			 "%s: polling: the ISR shows the used buffer",
			 d->where);
	} else if (m == MODE_INTX) {
		unsigned n = wait_for(&irq_hits);

		tf_diag("interrupts", "%u", n);
		tf_check(n >= 1 && (irq_isr & VIRTIO_ISR_QUEUE),
			 "virtio 1.2 §4.1.5.4 / §4.2.3.4",
			 "%s: line interrupt on GSI %d with ISR queue bit",
			 d->where, d->gsi);
		tf_check_range(n, 1, 3, "virtio 1.2 §4.1.4.5.1",
			       "%s: reading the ISR lowers the line (no "
			       "interrupt storm)",
			       d->where);
	} else {
		unsigned n = wait_for(&msix_queue_hits);

		tf_diag("line_interrupts", "%u", irq_hits);
		tf_check_range(n, 1, 3, "virtio 1.2 §4.1.5.3",
			       "%s: MSI-X vector %d for the used buffer",
			       d->where, vec_q);
	}
	out_ok = roundtrip(d, second, buf, size, !bal, m, &isr);
	tf_check(out_ok, bal ? "virtio 1.2 §5.5.6" : "virtio 1.2 §5.4",
		 "%s: %s: %s comes back used", d->where, mn,
		 bal ? "the deflate buffer" : "a second entropy request");
out:
	virtio_reset(d);
	disarm(d, m);
	if (m == MODE_POLL && up) {
		tf_check(!d->ops->queue_active(d, 0) &&
				 (!bal || !d->ops->queue_active(d, 1)),
			 "virtio 1.2 §2.4", "%s: reset clears the queues",
			 d->where);
		tf_check_u64(d->ops->get_status(d), 0, "virtio 1.2 §2.4",
			     "%s: reset clears the status", d->where);
	}
	virtio_free_queue(&vq_in);
	virtio_free_queue(&vq_out);
	if (bal && page >= 0)
		pa_free(&mm_zone, (uint64_t)page, 0, PA_BALLOONED);
}

/* "actual=<bytes>" from the runner's query-balloon. */
static bool guest_size(uint64_t *bytes)
{
	char reply[CTL_LINE_MAX];

	if (ctl_request("query-balloon", NULL, reply, sizeof(reply),
			2 * NSEC_PER_SEC) != CTL_OK ||
	    strncmp(reply, "actual=", 7))
		return false;
	return str_to_u64(reply + 7, strlen(reply + 7), bytes);
}

static bool host_balloon(uint64_t guest_bytes)
{
	char args[32];

	ksnprintf(args, sizeof(args), "%llu", (unsigned long long)guest_bytes);
	return ctl_request("balloon", args, NULL, 0, 2 * NSEC_PER_SEC) ==
	       CTL_OK;
}

/*
 * The host changes the balloon's target (QMP "balloon"): the device must
 * announce the configuration change (ISR bit 1 / its interrupt, §4.1.4.5,
 * §2.5.2), change config_generation (§2.5.1), and show the new num_pages.
 */
static void check_config_change(struct virtio_dev *d, enum notify_mode m)
{
	const char *mn = mode_name[m];
	uint64_t ram = 0, deadline;
	uint32_t gen0, gen1, num_pages = 0;
	uint8_t isr = 0;
	bool asked;

	if (!ctl_connect(2 * NSEC_PER_SEC) || !guest_size(&ram)) {
		tf_skip(ctl_connected() ? "the runner has no QMP balloon"
					: ctl_unavailable_reason(),
			"%s: %s: configuration change", d->where, mn);
		return;
	}
	irq_hits = irq_isr = 0;
	if (virtio_begin(d, 0) < 0 || !arm(d, m)) {
		tf_check(false, "virtio 1.2 §3.1.1", "%s: %s: device set up",
			 d->where, mn);
		virtio_reset(d);
		disarm(d, m);
		return;
	}
	virtio_ready(d);
	gen0 = d->ops->generation(d);
	/* 4 MiB of balloon: num_pages becomes 1024. */
	asked = host_balloon(ram - (4u << 20));
	deadline = time_ns() + USED_TIMEOUT_NS;
	while (time_ns() < deadline) {
		if (m == MODE_POLL)
			isr |= d->ops->isr(d);
		else
			isr |= irq_isr;
		if (isr & VIRTIO_ISR_CONFIG)
			break;
		cpu_relax();
	}
	gen1 = d->ops->generation(d);
	virtio_config_read(d, 0, &num_pages, sizeof(num_pages));
	tf_diag("isr", "%#x", isr);
	tf_diag("interrupts", "%u", irq_hits);
	tf_check(asked && (isr & VIRTIO_ISR_CONFIG),
		 "virtio 1.2 §2.5.2 / §4.1.4.5",
		 "%s: %s: the target change is announced (ISR bit 1)",
		 d->where, mn);
	if (m == MODE_INTX)
		tf_check(irq_hits >= 1, "virtio 1.2 §4.1.5.4",
			 "%s: the configuration change raised the line",
			 d->where);
	tf_check_u64(num_pages, 1024, "virtio 1.2 §5.5.4",
		     "%s: %s: num_pages is the host's new target", d->where,
		     mn);
	if (!d->legacy) {
		tf_diag("before", "%u", gen0);
		tf_diag("after", "%u", gen1);
		tf_check(gen1 != gen0, "virtio 1.2 §2.5.1",
			 "%s: config_generation changed with the config",
			 d->where);
	}
	host_balloon(ram);
	virtio_reset(d);
	disarm(d, m);
}

static void check_notifications(struct virtio_dev *d)
{
	if (d->device_id != VIRTIO_ID_BALLOON && d->device_id != 4) {
		tf_skip("pinprick makes requests only to balloon and entropy",
			"%s: used-buffer notifications", d->where);
		return;
	}
	check_mode(d, MODE_POLL);
	if (d->gsi >= 0 && ioapic_has_gsi((unsigned)d->gsi))
		check_mode(d, MODE_INTX);
	else
		tf_skip("no interrupt line known for this device",
			"%s: line interrupt", d->where);
	if (d->msix_capable && !d->legacy)
		check_mode(d, MODE_MSIX);
	else
		tf_skip(d->legacy ? "legacy interface: pinprick keeps MSI-X off"
				  : "no MSI-X capability",
			"%s: MSI-X", d->where);
	if (d->device_id != VIRTIO_ID_BALLOON)
		return;
	check_config_change(d, MODE_POLL);
	if (d->gsi >= 0 && ioapic_has_gsi((unsigned)d->gsi))
		check_config_change(d, MODE_INTX);
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
		check_notifications(d);
	}
}

static const struct tf_case transport_cases[] = {
	{ "every virtio device", test_devices, 0 },
};

const struct tf_suite suite_virtio_transport =
	TF_SUITE("virtio-transport",
		 "status, reset, features, queues, notifications",
		 transport_cases);
