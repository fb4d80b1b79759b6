/*
 * acpi.h - just enough ACPI: find tables, and power off through S5.
 */
#ifndef PINPRICK_ACPI_H
#define PINPRICK_ACPI_H

#include <stdbool.h>
#include <stdint.h>

struct acpi_sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));

/* Locate the RSDP (boot_info's, else the BIOS area) and map the tables. */
bool acpi_init(uint64_t rsdp_hint);
/* A checksummed table by signature ("FACP", "MCFG", ...), or NULL. */
const struct acpi_sdt_header *acpi_find(const char sig[4]);
/* Enter S5; returns only if that did not work. */
void acpi_poweroff(void);

extern uint64_t acpi_rsdp;

#endif
