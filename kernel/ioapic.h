/*
 * ioapic.h - route interrupt lines (GSIs) through the IO-APICs.
 */
#ifndef PINPRICK_IOAPIC_H
#define PINPRICK_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_MAX 4

struct ioapic {
	uint64_t base;
	uint32_t gsi_base;
	uint8_t id, version;
	unsigned nr_pins;
};

extern struct ioapic ioapics[IOAPIC_MAX];
extern unsigned ioapic_count;
extern bool ioapic_from_madt;

/* Find the IO-APICs (ACPI MADT) and mask every pin. */
int ioapic_init(void);
bool ioapic_has_gsi(unsigned gsi);
/* Deliver gsi to vector on this CPU; masked until ioapic_mask(.., false). */
int ioapic_route(unsigned gsi, uint8_t vector, bool level, bool active_low);
void ioapic_mask(unsigned gsi, bool masked);
uint64_t ioapic_read_rte(unsigned gsi);

#endif
