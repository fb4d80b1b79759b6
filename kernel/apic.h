/*
 * apic.h - the local APIC: its timer drives the per-test watchdog.
 *
 * The legacy 8259 PICs are remapped out of the exception range and masked;
 * all interrupts we take come from the local APIC (later: IO-APIC, MSI-X).
 */
#ifndef PINPRICK_APIC_H
#define PINPRICK_APIC_H

#include <stdbool.h>
#include <stdint.h>

struct apic_info {
	bool present;
	uint64_t base;
	uint32_t id, version;
	uint64_t timer_hz; /* after the divider */
};

extern struct apic_info apic_info;

bool apic_init(void);
void apic_eoi(void);
/* One-shot watchdog interrupt after ns (0 disarms). */
void apic_watchdog_arm(uint64_t ns);
void apic_watchdog_disarm(void);

#endif
