/*
 * virtio_pci.c - the two PCI transports: modern (§4.1.4) and legacy
 * (§4.1.4.10).
 *
 * A modern device describes its register blocks with vendor capabilities
 * (ID 0x09): common configuration, notification (queue notify addresses
 * are notify base + queue_notify_off * multiplier), ISR and device config,
 * each a window into one of its BARs. A legacy device has one I/O BAR
 * with fixed offsets. QEMU's default virtio-*-pci is transitional (device
 * ID 0x1000 + n, both interfaces); we use the modern one when present.
 */
#include "drivers/virtio/virtio.h"
#include "kernel/pci.h"
#include "kernel/pci_msix.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "kernel/x86.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define MAX_VPCI 8

/* Modern: cfg_type of the vendor capability (§4.1.4). */
enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4 };

/* Modern common configuration (§4.1.4.3). */
enum {
	CC_DFSELECT = 0x00, CC_DF = 0x04, CC_GFSELECT = 0x08, CC_GF = 0x0c,
	CC_MSIX_CONFIG = 0x10, CC_NUM_QUEUES = 0x12, CC_STATUS = 0x14,
	CC_GENERATION = 0x15, CC_Q_SELECT = 0x16, CC_Q_SIZE = 0x18,
	CC_Q_MSIX = 0x1a, CC_Q_ENABLE = 0x1c, CC_Q_NOTIFY_OFF = 0x1e,
	CC_Q_DESC = 0x20, CC_Q_DRIVER = 0x28, CC_Q_DEVICE = 0x30,
};

/* Legacy I/O BAR 0 (§4.1.4.10); device config at 0x14, 0x18 with MSI-X. */
enum {
	L_HOST_F = 0x00, L_GUEST_F = 0x04, L_Q_PFN = 0x08, L_Q_SIZE = 0x0c,
	L_Q_SELECT = 0x0e, L_Q_NOTIFY = 0x10, L_STATUS = 0x12, L_ISR = 0x13,
	L_CONFIG = 0x14,
};

struct vpci {
	struct virtio_dev dev;
	const struct pci_func *pci;
	/* modern */
	uintptr_t common, notify, isr, device;
	uint32_t notify_mult, device_len, notify_len;
	/* legacy */
	uint16_t io;
	struct msix msix;
};

static struct vpci vpcis[MAX_VPCI];
static unsigned nr_vpci;

static struct vpci *vp(struct virtio_dev *d)
{
	return d->tp;
}

static uint8_t r8(uintptr_t a) { return *(volatile uint8_t *)a; }
static uint16_t r16(uintptr_t a) { return *(volatile uint16_t *)a; }
static uint32_t r32(uintptr_t a) { return *(volatile uint32_t *)a; }
static void w8(uintptr_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static void w16(uintptr_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static void w32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

/* ---- modern ---------------------------------------------------------- */

static uint8_t m_get_status(struct virtio_dev *d)
{
	return r8(vp(d)->common + CC_STATUS);
}

static void m_set_status(struct virtio_dev *d, uint8_t s)
{
	w8(vp(d)->common + CC_STATUS, s);
}

static uint64_t m_get_features(struct virtio_dev *d)
{
	uintptr_t c = vp(d)->common;
	uint64_t f;

	w32(c + CC_DFSELECT, 0);
	f = r32(c + CC_DF);
	w32(c + CC_DFSELECT, 1);
	return f | (uint64_t)r32(c + CC_DF) << 32;
}

static void m_set_features(struct virtio_dev *d, uint64_t f)
{
	uintptr_t c = vp(d)->common;

	w32(c + CC_GFSELECT, 0);
	w32(c + CC_GF, (uint32_t)f);
	w32(c + CC_GFSELECT, 1);
	w32(c + CC_GF, (uint32_t)(f >> 32));
}

static uint32_t m_generation(struct virtio_dev *d)
{
	return r8(vp(d)->common + CC_GENERATION);
}

static uint32_t m_config_read(struct virtio_dev *d, unsigned off, unsigned w)
{
	uintptr_t a = vp(d)->device + off;

	if (!vp(d)->device || off + w > vp(d)->device_len)
		return 0xffffffffu;
	return w == 1 ? r8(a) : w == 2 ? r16(a) : r32(a);
}

static void m_config_write(struct virtio_dev *d, unsigned off, unsigned w,
			   uint32_t v)
{
	uintptr_t a = vp(d)->device + off;

	if (!vp(d)->device || off + w > vp(d)->device_len)
		return;
	if (w == 1)
		w8(a, (uint8_t)v);
	else if (w == 2)
		w16(a, (uint16_t)v);
	else
		w32(a, v);
}

static uint16_t m_queue_max(struct virtio_dev *d, unsigned q)
{
	uintptr_t c = vp(d)->common;

	if (q >= r16(c + CC_NUM_QUEUES))
		return 0;
	w16(c + CC_Q_SELECT, (uint16_t)q);
	return r16(c + CC_Q_SIZE);
}

static void w64(uintptr_t a, uint64_t v)
{
	w32(a, (uint32_t)v);
	w32(a + 4, (uint32_t)(v >> 32));
}

static int m_queue_activate(struct virtio_dev *d, unsigned q,
			    const struct vq_addrs *a, uint16_t vec)
{
	uintptr_t c = vp(d)->common;
	uint32_t noff;

	w16(c + CC_Q_SELECT, (uint16_t)q);
	w16(c + CC_Q_SIZE, (uint16_t)a->size);
	w64(c + CC_Q_DESC, a->desc);
	w64(c + CC_Q_DRIVER, a->driver);
	w64(c + CC_Q_DEVICE, a->device);
	w16(c + CC_Q_MSIX, vec);
	if (vec != VIRTIO_NO_VECTOR && r16(c + CC_Q_MSIX) != vec) {
		d->error = "the device refused the queue's MSI-X vector";
		return -1;
	}
	noff = r16(c + CC_Q_NOTIFY_OFF);
	/* §4.1.4.4: the notify address must lie inside the capability. */
	if ((uint64_t)noff * vp(d)->notify_mult + 2 > vp(d)->notify_len) {
		d->error = "queue_notify_off points outside the notify region";
		return -1;
	}
	w16(c + CC_Q_ENABLE, 1);
	return 0;
}

static bool m_queue_active(struct virtio_dev *d, unsigned q)
{
	uintptr_t c = vp(d)->common;

	w16(c + CC_Q_SELECT, (uint16_t)q);
	return r16(c + CC_Q_ENABLE) != 0;
}

static void m_notify(struct virtio_dev *d, unsigned q)
{
	uintptr_t c = vp(d)->common;
	uint32_t noff;

	w16(c + CC_Q_SELECT, (uint16_t)q);
	noff = r16(c + CC_Q_NOTIFY_OFF);
	w16(vp(d)->notify + (uintptr_t)noff * vp(d)->notify_mult, (uint16_t)q);
}

static uint8_t m_isr(struct virtio_dev *d)
{
	return vp(d)->isr ? r8(vp(d)->isr) : 0;
}

static uint16_t m_set_config_vector(struct virtio_dev *d, uint16_t v)
{
	w16(vp(d)->common + CC_MSIX_CONFIG, v);
	return r16(vp(d)->common + CC_MSIX_CONFIG);
}

static const struct virtio_transport_ops modern_ops = {
	"virtio-pci modern", m_get_status, m_set_status, m_get_features,
	m_set_features, m_generation, m_config_read, m_config_write,
	m_queue_max, m_queue_activate, m_queue_active, m_notify, m_isr,
	m_set_config_vector,
};

/* ---- legacy ---------------------------------------------------------- */

static uint8_t l_get_status(struct virtio_dev *d)
{
	return inb(vp(d)->io + L_STATUS);
}

static void l_set_status(struct virtio_dev *d, uint8_t s)
{
	outb(vp(d)->io + L_STATUS, s);
}

static uint64_t l_get_features(struct virtio_dev *d)
{
	return inl(vp(d)->io + L_HOST_F);
}

static void l_set_features(struct virtio_dev *d, uint64_t f)
{
	outl(vp(d)->io + L_GUEST_F, (uint32_t)f);
}

static uint32_t l_generation(struct virtio_dev *d)
{
	return 0;
}

static uint32_t l_config_read(struct virtio_dev *d, unsigned off, unsigned w)
{
	uint16_t p = (uint16_t)(vp(d)->io + L_CONFIG + off);

	if (off + w > d->config_len)
		return 0xffffffffu;
	return w == 1 ? inb(p) : w == 2 ? inw(p) : inl(p);
}

static void l_config_write(struct virtio_dev *d, unsigned off, unsigned w,
			   uint32_t v)
{
	uint16_t p = (uint16_t)(vp(d)->io + L_CONFIG + off);

	if (off + w > d->config_len)
		return;
	if (w == 1)
		outb(p, (uint8_t)v);
	else if (w == 2)
		outw(p, (uint16_t)v);
	else
		outl(p, v);
}

static uint16_t l_queue_max(struct virtio_dev *d, unsigned q)
{
	outw(vp(d)->io + L_Q_SELECT, (uint16_t)q);
	return inw(vp(d)->io + L_Q_SIZE);
}

static int l_queue_activate(struct virtio_dev *d, unsigned q,
			    const struct vq_addrs *a, uint16_t vec)
{
	if (a->layout != VQ_LAYOUT_SPLIT_LEGACY || (a->desc & 4095) ||
	    (a->desc >> 12) > 0xffffffffull) {
		d->error = "legacy PCI needs a page-aligned legacy ring < 16 TiB";
		return -1;
	}
	outw(vp(d)->io + L_Q_SELECT, (uint16_t)q);
	if (inw(vp(d)->io + L_Q_SIZE) != a->size) {
		d->error = "legacy queue size is fixed by the device";
		return -1;
	}
	outl(vp(d)->io + L_Q_PFN, (uint32_t)(a->desc >> 12));
	return 0;
}

static bool l_queue_active(struct virtio_dev *d, unsigned q)
{
	outw(vp(d)->io + L_Q_SELECT, (uint16_t)q);
	return inl(vp(d)->io + L_Q_PFN) != 0;
}

static void l_notify(struct virtio_dev *d, unsigned q)
{
	outw(vp(d)->io + L_Q_NOTIFY, (uint16_t)q);
}

static uint8_t l_isr(struct virtio_dev *d)
{
	return inb(vp(d)->io + L_ISR);
}

static const struct virtio_transport_ops legacy_ops = {
	"virtio-pci legacy", l_get_status, l_set_status, l_get_features,
	l_set_features, l_generation, l_config_read, l_config_write,
	l_queue_max, l_queue_activate, l_queue_active, l_notify, l_isr, NULL,
};

/* ---- discovery --------------------------------------------------------- */

/* Map the region a modern capability describes; 0 if unusable. */
static uintptr_t cap_region(const struct pci_func *f, unsigned cap,
			    uint32_t *len)
{
	uint8_t bar = pci_read8(f, cap + 4);
	uint32_t off = pci_read32(f, cap + 8);
	uint64_t base;

	*len = pci_read32(f, cap + 12);
	if (bar > 5 || !f->bar[bar].size ||
	    (uint64_t)off + *len > f->bar[bar].size)
		return 0;
	base = pci_map_bar(f, bar);
	return base ? (uintptr_t)(base + off) : 0;
}

static bool setup_modern(struct vpci *v)
{
	const struct pci_func *f = v->pci;
	uint32_t len;

	for (unsigned i = 0;; i++) {
		unsigned cap = pci_find_cap(f, PCI_CAP_ID_VNDR, i);
		uint8_t type;

		if (!cap)
			break;
		type = pci_read8(f, cap + 3);
		/* §4.1.4: the first capability of each type is the one. */
		if (type == CAP_COMMON && !v->common)
			v->common = cap_region(f, cap, &len);
		else if (type == CAP_NOTIFY && !v->notify) {
			v->notify = cap_region(f, cap, &v->notify_len);
			v->notify_mult = pci_read32(f, cap + 16);
		} else if (type == CAP_ISR && !v->isr)
			v->isr = cap_region(f, cap, &len);
		else if (type == CAP_DEVICE && !v->device)
			v->device = cap_region(f, cap, &v->device_len);
	}
	if (!v->common || !v->notify)
		return false;
	v->dev.ops = &modern_ops;
	v->dev.legacy = false;
	v->dev.config_len = v->device_len;
	v->dev.num_queues = r16(v->common + CC_NUM_QUEUES);
	return true;
}

static bool setup_legacy(struct vpci *v)
{
	const struct pci_bar *b = &v->pci->bar[0];

	if (b->kind != PCI_BAR_IO || b->size < L_CONFIG || b->base > 0xffff)
		return false;
	v->io = (uint16_t)b->base;
	v->dev.ops = &legacy_ops;
	v->dev.legacy = true;
	/* MSI-X stays off here, so device config starts at 0x14. */
	v->dev.config_len = (unsigned)b->size - L_CONFIG;
	return true;
}

int virtio_pci_msix_on(struct virtio_dev *d, uint8_t config_vec,
		       uint8_t queue_vec)
{
	struct vpci *v = vp(d);

	/* Legacy devices move their config when MSI-X is on: modern only. */
	if (d->legacy || d->ops != &modern_ops ||
	    msix_init(&v->msix, v->pci) < 0 || v->msix.size < 2)
		return -1;
	if (msix_set(&v->msix, VIRTIO_MSIX_CONFIG_ENTRY, config_vec) < 0 ||
	    msix_set(&v->msix, VIRTIO_MSIX_QUEUE_ENTRY, queue_vec) < 0)
		return -1;
	msix_enable(&v->msix, true);
	d->irq_mode = VIRTIO_IRQ_MSIX;
	return 0;
}

void virtio_pci_msix_off(struct virtio_dev *d)
{
	struct vpci *v = vp(d);

	if (d->ops == &modern_ops && v->msix.cap)
		msix_enable(&v->msix, false);
	d->irq_mode = VIRTIO_IRQ_POLL;
}

bool virtio_pci_present(void)
{
	return pci_present;
}

void virtio_pci_probe(void (*add)(struct virtio_dev *d))
{
	for (unsigned i = 0; i < pci_nr_funcs && nr_vpci < MAX_VPCI; i++) {
		const struct pci_func *f = &pci_funcs[i];
		struct vpci *v;
		uint32_t type;

		if (f->vendor != VIRTIO_PCI_VENDOR || f->device < 0x1000 ||
		    f->device > 0x107f)
			continue;
		/* 0x1000-0x103f transitional: type in the subsystem ID. */
		type = f->device >= 0x1040 ? f->device - 0x1040u : f->subsys_id;
		v = &vpcis[nr_vpci];
		memset(v, 0, sizeof(*v));
		v->pci = f;
		v->dev.tp = v;
		v->dev.device_id = type;
		v->dev.gsi = f->irq_pin ? f->irq_line : -1;
		v->dev.irq_mode = VIRTIO_IRQ_POLL;
		v->dev.msix_capable = pci_find_cap(f, PCI_CAP_ID_MSIX, 0) != 0;
		pci_enable(f);
		if (!setup_modern(v) && !setup_legacy(v))
			continue;
		ksnprintf(v->dev.where, sizeof(v->dev.where),
			  "pci %02x:%02x.%x %04x:%04x", f->bus, f->dev, f->fn,
			  f->vendor, f->device);
		nr_vpci++;
		add(&v->dev);
	}
}
