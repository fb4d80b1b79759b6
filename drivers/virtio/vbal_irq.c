/*
 * vbal_irq.c - how virtio-balloon notifications reach the driver in the
 * kernel: a line interrupt through the IO-APIC (the handler reads the ISR,
 * which also lowers the level-triggered line), MSI-X vectors, or nothing
 * at all (polling). The driver itself only ever sees vbal_interrupt(), so
 * host unit tests call that directly.
 */
#include "drivers/virtio/vbal_irq.h"
#include "kernel/ioapic.h"
#include "kernel/irq.h"

static int vec_line = -1, vec_config = -1, vec_queue = -1;

static void line_handler(void *ctx)
{
	struct vbal *vb = ctx;

	vbal_interrupt(vb, vb->d->ops->isr(vb->d));
}

static void config_handler(void *ctx)
{
	vbal_interrupt(ctx, VIRTIO_ISR_CONFIG);
}

static void queue_handler(void *ctx)
{
	vbal_interrupt(ctx, VIRTIO_ISR_QUEUE);
}

int vbal_irq_attach(struct vbal *vb, struct virtio_dev *d,
		    enum virtio_irq_mode mode)
{
	/* vb is filled in later by vbal_init; handlers only use it then. */
	if (mode == VIRTIO_IRQ_INTX) {
		if (d->gsi < 0 || !ioapic_has_gsi((unsigned)d->gsi))
			return -1;
		vec_line = irq_alloc_vector(line_handler, vb);
		if (vec_line < 0 ||
		    ioapic_route((unsigned)d->gsi, (uint8_t)vec_line, true,
				 false) < 0) {
			vbal_irq_detach(d);
			return -1;
		}
		ioapic_mask((unsigned)d->gsi, false);
	} else if (mode == VIRTIO_IRQ_MSIX) {
		if (!d->msix_capable || d->legacy)
			return -1;
		vec_config = irq_alloc_vector(config_handler, vb);
		vec_queue = irq_alloc_vector(queue_handler, vb);
		if (vec_config < 0 || vec_queue < 0 ||
		    virtio_pci_msix_on(d, (uint8_t)vec_config,
				       (uint8_t)vec_queue) < 0) {
			vbal_irq_detach(d);
			return -1;
		}
	}
	d->irq_mode = mode;
	return 0;
}

void vbal_irq_detach(struct virtio_dev *d)
{
	if (vec_line >= 0 && d->gsi >= 0)
		ioapic_mask((unsigned)d->gsi, true);
	if (vec_config >= 0 || vec_queue >= 0)
		virtio_pci_msix_off(d);
	if (vec_line >= 0)
		irq_free_vector(vec_line);
	if (vec_config >= 0)
		irq_free_vector(vec_config);
	if (vec_queue >= 0)
		irq_free_vector(vec_queue);
	vec_line = vec_config = vec_queue = -1;
	d->irq_mode = VIRTIO_IRQ_POLL;
}
