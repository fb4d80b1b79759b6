/*
 * virtio_mmio.h - virtio-mmio devices found at boot.
 */
#ifndef PINPRICK_VIRTIO_MMIO_H
#define PINPRICK_VIRTIO_MMIO_H

#include <stdint.h>

#include "drivers/virtio/virtio.h"

#define VIRTIO_MMIO_MAX 8
/* QEMU microvm's windows (hw/i386/microvm.c): 24 slots of 0x200. */
#define MICROVM_MMIO_BASE 0xfeb00000ull
#define MICROVM_MMIO_SLOTS 24

struct virtio_mmio_dev {
	struct virtio_dev dev;
	uint64_t base;
	uint32_t version; /* 1 legacy, 2 modern */
	uint32_t vendor;  /* "QEMU" = 0x554d4551 */
};

/* Probe one window; 1 if a device is there, 0 if not, -1 on error. */
int virtio_mmio_probe(uint64_t base, int gsi, const char *how);
unsigned virtio_mmio_devices(struct virtio_mmio_dev **out);

#endif
