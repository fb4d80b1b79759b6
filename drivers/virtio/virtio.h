/*
 * virtio.h - a virtio device, whatever transport it sits on.
 *
 * Four transports reach virtio devices: PCI "modern" (capabilities, §4.1.4),
 * PCI legacy (I/O BAR 0, §4.1.4.10), MMIO version 2 (§4.2.2) and MMIO
 * legacy version 1 (§4.2.4). Each fills one struct virtio_transport_ops;
 * everything above it (initialisation order, feature negotiation, config
 * reads guarded by config_generation, queue setup, teardown) is written
 * once, in virtio.c, and every driver and conformance check uses only this.
 */
#ifndef PINPRICK_VIRTIO_H
#define PINPRICK_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio/virtqueue.h"

/* Device status bits (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* ISR status bits (§4.1.4.5, §4.2.2 InterruptStatus). */
#define VIRTIO_ISR_QUEUE 0x1
#define VIRTIO_ISR_CONFIG 0x2

#define VIRTIO_ID_BALLOON 5
#define VIRTIO_MAX_QUEUES 8
#define VIRTIO_NO_VECTOR 0xffff /* MSI-X "no vector" (§4.1.4.3) */

enum virtio_irq_mode { VIRTIO_IRQ_POLL, VIRTIO_IRQ_INTX, VIRTIO_IRQ_MSIX };

struct virtio_dev;

struct virtio_transport_ops {
	const char *name;
	uint8_t (*get_status)(struct virtio_dev *d);
	void (*set_status)(struct virtio_dev *d, uint8_t status);
	/* 64 bits on modern transports, the low 32 on legacy ones. */
	uint64_t (*get_features)(struct virtio_dev *d);
	void (*set_features)(struct virtio_dev *d, uint64_t features);
	/* config_generation; legacy transports have none and return 0. */
	uint32_t (*generation)(struct virtio_dev *d);
	/* One access of width 1, 2 or 4 bytes at offset off. */
	uint32_t (*config_read)(struct virtio_dev *d, unsigned off,
				unsigned width);
	void (*config_write)(struct virtio_dev *d, unsigned off,
			     unsigned width, uint32_t v);
	/* Largest size of queue q; 0 = no such queue. */
	uint16_t (*queue_max)(struct virtio_dev *d, unsigned q);
	/* Program q's size and ring addresses and enable it. */
	int (*queue_activate)(struct virtio_dev *d, unsigned q,
			      const struct vq_addrs *a, uint16_t msix_vector);
	/* Does the device say queue q is enabled / has rings set? */
	bool (*queue_active)(struct virtio_dev *d, unsigned q);
	void (*notify)(struct virtio_dev *d, unsigned q);
	/* Read (and so clear) the ISR status; MMIO also acknowledges. */
	uint8_t (*isr)(struct virtio_dev *d);
	/* MSI-X only: route config changes to vector; read back result. */
	uint16_t (*set_config_vector)(struct virtio_dev *d, uint16_t vector);
};

struct virtio_dev {
	const struct virtio_transport_ops *ops;
	void *tp; /* transport state */
	char where[40];	   /* "pci 00:04.0", "mmio 0xfeb02e00" */
	uint32_t device_id; /* virtio device type */
	bool legacy;	   /* legacy interface: no VERSION_1 */
	unsigned config_len; /* device config bytes, 0 if not known */
	uint16_t num_queues; /* modern PCI: the device's count, else 0 */
	uint64_t offered;  /* device features */
	uint64_t accepted; /* what we wrote and the device took */
	enum virtio_irq_mode irq_mode;
	int gsi;	   /* INTx / MMIO interrupt line, -1 if unknown */
	bool msix_capable;
	uint64_t notifies; /* queue notifications sent */
	uint64_t config_retries; /* generation changed during a read */
	const char *error; /* last setup error, for reports */
};

/* Found at boot: every virtio device on every transport (virtio_probe.c). */
#define VIRTIO_MAX_DEVICES 16
extern struct virtio_dev *virtio_devices[VIRTIO_MAX_DEVICES];
extern unsigned virtio_nr_devices;
/* mmio_args: the virtio_mmio.device= values from the command line. */
int virtio_probe_all(const char *const *mmio_args, unsigned nr_mmio_args);

/* The PCI transports (virtio_pci.c), over what pci_init() found. */
bool virtio_pci_present(void);
void virtio_pci_probe(void (*add)(struct virtio_dev *d));

/*
 * MSI-X on a modern PCI device: table entry 0 carries configuration
 * changes to config_vec, entry 1 used buffers to queue_vec (pass
 * VIRTIO_MSIX_QUEUE_ENTRY as the queue's msix_vector). -1 if impossible.
 */
#define VIRTIO_MSIX_CONFIG_ENTRY 0
#define VIRTIO_MSIX_QUEUE_ENTRY 1
int virtio_pci_msix_on(struct virtio_dev *d, uint8_t config_vec,
		       uint8_t queue_vec);
void virtio_pci_msix_off(struct virtio_dev *d);


/* Names for reports. */
const char *virtio_device_name(uint32_t id);
const char *virtio_irq_mode_name(enum virtio_irq_mode m);

/*
 * §3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, read features, write
 * offered & wanted (VERSION_1 always taken when offered), FEATURES_OK and
 * its re-read. On failure sets FAILED, records d->error and returns < 0.
 */
int virtio_begin(struct virtio_dev *d, uint64_t wanted);

/*
 * Allocate rings (kernel pages) for queue q with at most max_size entries,
 * initialise vq over them and activate the queue on the device.
 */
int virtio_setup_queue(struct virtio_dev *d, unsigned q, struct virtqueue *vq,
		       unsigned max_size, uint16_t msix_vector);
/* Free what virtio_setup_queue allocated (after a reset). */
void virtio_free_queue(struct virtqueue *vq);

/* §3.1.1 step 8: DRIVER_OK. */
void virtio_ready(struct virtio_dev *d);
/* FAILED: something went wrong and we give up on the device. */
void virtio_fail(struct virtio_dev *d, const char *why);
/* Write 0 and wait (bounded) until the device reads back 0. */
int virtio_reset(struct virtio_dev *d);

/*
 * Read len bytes of device config at off, retrying while config_generation
 * changes (§2.5.1). Accesses are 4, 2 or 1 bytes wide as alignment allows.
 */
int virtio_config_read(struct virtio_dev *d, unsigned off, void *buf,
		       unsigned len);

static inline bool virtio_has(const struct virtio_dev *d, unsigned bit)
{
	return (d->accepted >> bit) & 1;
}

/* The notify callback virtio_setup_queue installs (transport notify). */
void virtio_vq_notify(void *ctx, struct virtqueue *vq);

#endif
