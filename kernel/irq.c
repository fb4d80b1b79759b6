/*
 * irq.c - a table from vector to handler, and delivery counts.
 *
 * The counts are part of the test story: a suite that expects a device
 * interrupt checks that the vector's count went up, whichever path (MSI-X,
 * IO-APIC, or none at all when polling) delivered it.
 */
#include <stddef.h>

#include "kernel/irq.h"

static struct {
	irq_handler_fn fn;
	void *ctx;
	uint64_t count;
} vectors[256];

int irq_alloc_vector(irq_handler_fn fn, void *ctx)
{
	for (int v = IRQ_VECTOR_FIRST; v <= IRQ_VECTOR_LAST; v++) {
		if (!vectors[v].fn) {
			vectors[v].fn = fn;
			vectors[v].ctx = ctx;
			vectors[v].count = 0;
			return v;
		}
	}
	return -1;
}

void irq_free_vector(int vector)
{
	if (vector >= IRQ_VECTOR_FIRST && vector <= IRQ_VECTOR_LAST) {
		vectors[vector].fn = NULL;
		vectors[vector].ctx = NULL;
	}
}

bool irq_dispatch(unsigned vector)
{
	if (vector > 255 || !vectors[vector].fn)
		return false;
	vectors[vector].count++;
	vectors[vector].fn(vectors[vector].ctx);
	return true;
}

uint64_t irq_count(unsigned vector)
{
	return vector < 256 ? vectors[vector].count : 0;
}
