/*
 * irq.h - device interrupt vectors: allocate one, attach a handler.
 *
 * Exceptions own vectors 0-31, the watchdog and the spurious vector are
 * fixed (trap.h); device interrupts (IO-APIC lines, MSI-X) get vectors
 * from here. Handlers run with interrupts off; the EOI is sent after the
 * handler returns.
 */
#ifndef PINPRICK_IRQ_H
#define PINPRICK_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#define IRQ_VECTOR_FIRST 0x30
#define IRQ_VECTOR_LAST 0xDF

typedef void (*irq_handler_fn)(void *ctx);

/* A free vector with fn attached, or -1 when none is left. */
int irq_alloc_vector(irq_handler_fn fn, void *ctx);
void irq_free_vector(int vector);
/* Called by trap_dispatch; false if nobody owns the vector. */
bool irq_dispatch(unsigned vector);
/* Interrupts delivered on a vector since boot. */
uint64_t irq_count(unsigned vector);

#endif
