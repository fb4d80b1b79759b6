/*
 * vbal_irq.h - attach a virtio-balloon to a line interrupt or to MSI-X in
 * the kernel (vbal_irq.c). Polling needs nothing.
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

#endif
