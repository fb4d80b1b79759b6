/*
 * virtio_probe.c - find every virtio device, on every transport.
 *
 * MMIO devices are announced by QEMU on the kernel command line as
 * virtio_mmio.device=<size>@<base>:<irq> (microvm's auto-kernel-cmdline);
 * since that can be switched off, microvm's documented window is scanned
 * too, but only where there is no PCI (on pc/q35 that range may hold a
 * PCI BAR, and reading a device's registers blindly has side effects).
 */
#include "drivers/virtio/virtio.h"
#include "drivers/virtio/virtio_mmio.h"
#include "kernel/ioapic.h"
#include "kernel/string.h"

/* "512@0xfeb00e00:12" -> base and gsi; false if malformed. */
static bool parse_mmio_arg(const char *s, uint64_t *base, int *gsi)
{
	const char *at = strchr(s, '@'), *colon;
	uint64_t size, g = 0;

	if (!at)
		return false;
	colon = strchr(at, ':');
	/* the size may carry a K suffix ("4K@...") */
	size = 0;
	if (at > s && (at[-1] == 'K' || at[-1] == 'k')) {
		if (!str_to_u64(s, (size_t)(at - s - 1), &size))
			return false;
	} else if (!str_to_u64(s, (size_t)(at - s), &size)) {
		return false;
	}
	if (!str_to_u64(at + 1, colon ? (size_t)(colon - at - 1)
				      : strlen(at + 1),
			base))
		return false;
	if (colon && !str_to_u64(colon + 1, strlen(colon + 1), &g))
		return false;
	*gsi = colon ? (int)g : -1;
	return size > 0;
}

static void add(struct virtio_dev *d)
{
	if (virtio_nr_devices < VIRTIO_MAX_DEVICES && d->ops)
		virtio_devices[virtio_nr_devices++] = d;
}

int virtio_probe_all(const char *const *mmio_args, unsigned nr_mmio_args)
{
	struct virtio_mmio_dev *m;
	unsigned n;

	virtio_nr_devices = 0;
	for (unsigned i = 0; i < nr_mmio_args; i++) {
		uint64_t base;
		int gsi;

		if (parse_mmio_arg(mmio_args[i], &base, &gsi))
			virtio_mmio_probe(base, gsi, "command line");
	}
	if (!virtio_pci_present()) {
		/* microvm wires slot i to GSI 24 + i on its second IO-APIC
		 * (the default), or to 16 + i with ioapic2=off. */
		unsigned gsi0 = ioapic_has_gsi(24) ? 24 : 16;

		for (unsigned i = 0; i < MICROVM_MMIO_SLOTS; i++)
			virtio_mmio_probe(MICROVM_MMIO_BASE + i * 0x200ull,
					  ioapic_has_gsi(gsi0 + i)
						  ? (int)(gsi0 + i)
						  : -1,
					  "window scan");
	}
	n = virtio_mmio_devices(&m);
	for (unsigned i = 0; i < n; i++)
		add(&m[i].dev);
	virtio_pci_probe(add);
	return (int)virtio_nr_devices;
}
