/*
 * virtio_mmio.c - the virtio-mmio transport, versions 1 (legacy) and 2.
 *
 * A virtio-mmio device is a 512-byte register window (§4.2.2): magic
 * "virt", version, device id, then feature, queue, interrupt and status
 * registers, and the device config at 0x100. Version 2 programs each ring
 * address separately and enables the queue with QueueReady; legacy
 * version 1 (QEMU's default: force-legacy=true) takes one page number for
 * a contiguous legacy-layout ring and a GuestPageSize (§4.2.4).
 * QEMU microvm puts its windows at 0xfeb00000 + i * 0x200.
 */
#include "drivers/virtio/virtio.h"
#include "drivers/virtio/virtio_mmio.h"
#include "kernel/paging.h"
#include "kernel/printf.h"

enum {
	MMIO_MAGIC = 0x000,
	MMIO_VERSION = 0x004,
	MMIO_DEVICE_ID = 0x008,
	MMIO_VENDOR_ID = 0x00c,
	MMIO_DEVICE_FEATURES = 0x010,
	MMIO_DEVICE_FEATURES_SEL = 0x014,
	MMIO_DRIVER_FEATURES = 0x020,
	MMIO_DRIVER_FEATURES_SEL = 0x024,
	MMIO_GUEST_PAGE_SIZE = 0x028, /* v1 */
	MMIO_QUEUE_SEL = 0x030,
	MMIO_QUEUE_NUM_MAX = 0x034,
	MMIO_QUEUE_NUM = 0x038,
	MMIO_QUEUE_ALIGN = 0x03c, /* v1 */
	MMIO_QUEUE_PFN = 0x040,	  /* v1 */
	MMIO_QUEUE_READY = 0x044, /* v2 */
	MMIO_QUEUE_NOTIFY = 0x050,
	MMIO_INTERRUPT_STATUS = 0x060,
	MMIO_INTERRUPT_ACK = 0x064,
	MMIO_STATUS = 0x070,
	MMIO_QUEUE_DESC_LOW = 0x080, /* v2, then _HIGH at +4 */
	MMIO_QUEUE_DRIVER_LOW = 0x090,
	MMIO_QUEUE_DEVICE_LOW = 0x0a0,
	MMIO_CONFIG_GENERATION = 0x0fc, /* v2 */
	MMIO_CONFIG = 0x100,
};

#define MMIO_MAGIC_VALUE 0x74726976u /* "virt" */
#define MMIO_WINDOW 0x200
#define MMIO_CONFIG_MAX (MMIO_WINDOW - MMIO_CONFIG)

static struct virtio_mmio_dev mmio_devs[VIRTIO_MMIO_MAX];
static unsigned nr_mmio;

static struct virtio_mmio_dev *md(struct virtio_dev *d)
{
	return d->tp;
}

static uint32_t rd(struct virtio_dev *d, unsigned off)
{
	return *(volatile uint32_t *)(uintptr_t)(md(d)->base + off);
}

static void wr(struct virtio_dev *d, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)(md(d)->base + off) = v;
}

static uint8_t get_status(struct virtio_dev *d)
{
	return (uint8_t)rd(d, MMIO_STATUS);
}

static void set_status(struct virtio_dev *d, uint8_t s)
{
	wr(d, MMIO_STATUS, s);
}

static uint64_t get_features(struct virtio_dev *d)
{
	uint64_t f;

	wr(d, MMIO_DEVICE_FEATURES_SEL, 0);
	f = rd(d, MMIO_DEVICE_FEATURES);
	if (md(d)->version >= 2) {
		wr(d, MMIO_DEVICE_FEATURES_SEL, 1);
		f |= (uint64_t)rd(d, MMIO_DEVICE_FEATURES) << 32;
	}
	return f;
}

static void set_features(struct virtio_dev *d, uint64_t f)
{
	wr(d, MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, MMIO_DRIVER_FEATURES, (uint32_t)f);
	if (md(d)->version >= 2) {
		wr(d, MMIO_DRIVER_FEATURES_SEL, 1);
		wr(d, MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	}
}

static uint32_t generation(struct virtio_dev *d)
{
	return md(d)->version >= 2 ? rd(d, MMIO_CONFIG_GENERATION) : 0;
}

static uint32_t config_read(struct virtio_dev *d, unsigned off, unsigned w)
{
	uintptr_t a = (uintptr_t)(md(d)->base + MMIO_CONFIG + off);

	if (off + w > MMIO_CONFIG_MAX)
		return 0xffffffffu;
	if (w == 1)
		return *(volatile uint8_t *)a;
	if (w == 2)
		return *(volatile uint16_t *)a;
	return *(volatile uint32_t *)a;
}

static void config_write(struct virtio_dev *d, unsigned off, unsigned w,
			 uint32_t v)
{
	uintptr_t a = (uintptr_t)(md(d)->base + MMIO_CONFIG + off);

	if (off + w > MMIO_CONFIG_MAX)
		return;
	if (w == 1)
		*(volatile uint8_t *)a = (uint8_t)v;
	else if (w == 2)
		*(volatile uint16_t *)a = (uint16_t)v;
	else
		*(volatile uint32_t *)a = v;
}

static uint16_t queue_max(struct virtio_dev *d, unsigned q)
{
	uint32_t n;

	wr(d, MMIO_QUEUE_SEL, q);
	n = rd(d, MMIO_QUEUE_NUM_MAX);
	return n > VQ_MAX_SIZE ? 0 : (uint16_t)n;
}

static void wr64(struct virtio_dev *d, unsigned low, uint64_t v)
{
	wr(d, low, (uint32_t)v);
	wr(d, low + 4, (uint32_t)(v >> 32));
}

static int queue_activate(struct virtio_dev *d, unsigned q,
			  const struct vq_addrs *a, uint16_t msix_vector)
{
	wr(d, MMIO_QUEUE_SEL, q);
	if (md(d)->version == 1) {
		if (a->layout != VQ_LAYOUT_SPLIT_LEGACY ||
		    (a->desc & 4095) || (a->desc >> 12) > 0xffffffffull) {
			d->error = "legacy MMIO needs a page-aligned legacy ring";
			return -1;
		}
		wr(d, MMIO_GUEST_PAGE_SIZE, 4096); /* again: reset may clear */
		wr(d, MMIO_QUEUE_SEL, q);
		wr(d, MMIO_QUEUE_NUM, a->size);
		wr(d, MMIO_QUEUE_ALIGN, 4096);
		wr(d, MMIO_QUEUE_PFN, (uint32_t)(a->desc >> 12));
		return 0;
	}
	if (rd(d, MMIO_QUEUE_READY)) {
		d->error = "queue already ready before setup";
		return -1;
	}
	wr(d, MMIO_QUEUE_NUM, a->size);
	wr64(d, MMIO_QUEUE_DESC_LOW, a->desc);
	wr64(d, MMIO_QUEUE_DRIVER_LOW, a->driver);
	wr64(d, MMIO_QUEUE_DEVICE_LOW, a->device);
	wr(d, MMIO_QUEUE_READY, 1);
	return 0;
}

static bool queue_active(struct virtio_dev *d, unsigned q)
{
	wr(d, MMIO_QUEUE_SEL, q);
	if (md(d)->version == 1)
		return rd(d, MMIO_QUEUE_PFN) != 0;
	return rd(d, MMIO_QUEUE_READY) != 0;
}

static void notify(struct virtio_dev *d, unsigned q)
{
	wr(d, MMIO_QUEUE_NOTIFY, q);
}

static uint8_t isr(struct virtio_dev *d)
{
	uint32_t s = rd(d, MMIO_INTERRUPT_STATUS);

	/* MMIO does not clear on read: acknowledge what we saw. */
	if (s)
		wr(d, MMIO_INTERRUPT_ACK, s);
	return (uint8_t)s;
}

static const struct virtio_transport_ops mmio_v1_ops = {
	"virtio-mmio v1 (legacy)", get_status, set_status, get_features,
	set_features, generation, config_read, config_write, queue_max,
	queue_activate, queue_active, notify, isr, NULL,
};

static const struct virtio_transport_ops mmio_v2_ops = {
	"virtio-mmio v2", get_status, set_status, get_features,
	set_features, generation, config_read, config_write, queue_max,
	queue_activate, queue_active, notify, isr, NULL,
};

int virtio_mmio_probe(uint64_t base, int gsi, const char *how)
{
	struct virtio_mmio_dev *m;
	volatile uint32_t *r = (volatile uint32_t *)(uintptr_t)base;
	uint32_t version, id;

	for (unsigned i = 0; i < nr_mmio; i++)
		if (mmio_devs[i].base == base)
			return 0; /* seen already (command line and scan) */
	if (nr_mmio == VIRTIO_MMIO_MAX ||
	    paging_map(base, MMIO_WINDOW, MAP_MMIO) < 0)
		return -1;
	if (r[MMIO_MAGIC / 4] != MMIO_MAGIC_VALUE)
		return 0;
	version = r[MMIO_VERSION / 4];
	id = r[MMIO_DEVICE_ID / 4];
	if (id == 0)
		return 0; /* an empty slot: no device behind it */
	m = &mmio_devs[nr_mmio++];
	m->base = base;
	m->version = version;
	m->vendor = r[MMIO_VENDOR_ID / 4];
	m->dev.tp = m;
	m->dev.device_id = id;
	m->dev.gsi = gsi;
	m->dev.legacy = version == 1;
	m->dev.config_len = 0; /* MMIO does not say; drivers know theirs */
	m->dev.irq_mode = VIRTIO_IRQ_POLL;
	if (version == 1)
		m->dev.ops = &mmio_v1_ops;
	else if (version == 2)
		m->dev.ops = &mmio_v2_ops;
	else {
		m->dev.ops = NULL;
		m->dev.error = "unknown virtio-mmio version";
	}
	ksnprintf(m->dev.where, sizeof(m->dev.where), "mmio %#llx (%s)",
		  (unsigned long long)base, how);
	if (version == 1) {
		/* §4.2.4: the legacy interface needs the page size first. */
		r[MMIO_GUEST_PAGE_SIZE / 4] = 4096;
	}
	return 1;
}

unsigned virtio_mmio_devices(struct virtio_mmio_dev **out)
{
	*out = mmio_devs;
	return nr_mmio;
}
