/*
 * vbal_irq.h - the kernel's glue around the virtio-balloon driver: attach
 * it to a line interrupt or to MSI-X (vbal_irq.c; polling needs nothing),
 * and the run=follow mode (vbal_follow.c).
 */
#ifndef PINPRICK_VBAL_IRQ_H
#define PINPRICK_VBAL_IRQ_H

#include "drivers/virtio/virtio_balloon.h"

/*
 * Before vbal_init: route d's notifications to vbal_interrupt(vb). MSI-X
 * must be programmed before the queues are set up. 0, or -1 when the
 * device has no such interrupt (no known GSI, no MSI-X capability).
 */
int vbal_irq_attach(struct vbal *vb, struct virtio_dev *d,
		    enum virtio_irq_mode mode);
/* After vbal_teardown. */
void vbal_irq_detach(struct virtio_dev *d);

/*
 * run=follow (vbal_follow.c): follow the host's target until shut down,
 * one "#" line per change. Returns only on failure (-1) or, with no
 * balloon, at once (0).
 */
/* batch, bufs: PFNs a buffer and buffers in flight; 0: the defaults. */
int vbal_follow_run(bool dirty, unsigned batch, unsigned bufs);

#endif
