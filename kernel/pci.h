/*
 * pci.h - PCI configuration space, the bus scan, BARs and capabilities.
 *
 * Two ways into configuration space: the legacy port pair 0xcf8/0xcfc
 * (256 bytes per function, every PC), and ECAM, memory-mapped from the
 * ACPI MCFG table (4096 bytes per function; q35 has it, pc does not).
 * pci_init() scans every bus reachable through bridges once and keeps a
 * bounded table of functions; drivers look their devices up there.
 */
#ifndef PINPRICK_PCI_H
#define PINPRICK_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_MAX_FUNCS 64
#define PCI_MAX_CAPS 16

/* Configuration header offsets (PCI Local Bus 3.0 §6.1). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYS_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_SECONDARY_BUS 0x19 /* type 1 (bridge) header */

#define PCI_CMD_IO 0x1
#define PCI_CMD_MEMORY 0x2
#define PCI_CMD_MASTER 0x4
#define PCI_CMD_INTX_DISABLE 0x400
#define PCI_STATUS_CAP_LIST 0x10

#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11

enum pci_bar_kind { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
	enum pci_bar_kind kind;
	bool prefetchable;
	uint64_t base; /* as the firmware assigned it */
	uint64_t size; /* from sizing; 0 if unimplemented */
};

struct pci_func {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t revision, prog_if, subclass, class_code;
	uint8_t header_type; /* without the multi-function bit */
	uint16_t subsys_id;
	uint8_t irq_line, irq_pin; /* pin: 1 = INTA# ... 0 = none */
	struct pci_bar bar[6];
	uint8_t nr_caps;
	uint8_t cap_id[PCI_MAX_CAPS];
	uint8_t cap_off[PCI_MAX_CAPS];
	bool cap_loop; /* the capability list did not terminate */
};

extern struct pci_func pci_funcs[PCI_MAX_FUNCS];
extern unsigned pci_nr_funcs;
extern bool pci_present;
extern uint64_t pci_ecam_base; /* 0: no ECAM */
extern uint8_t pci_ecam_bus_end;
extern unsigned pci_funcs_dropped; /* beyond PCI_MAX_FUNCS */

/* Scan every bus; map ECAM if MCFG says where. Returns functions found. */
int pci_init(void);

/* Configuration access; ECAM when available (and required above 0xff). */
uint32_t pci_read32(const struct pci_func *f, unsigned off);
uint16_t pci_read16(const struct pci_func *f, unsigned off);
uint8_t pci_read8(const struct pci_func *f, unsigned off);
void pci_write32(const struct pci_func *f, unsigned off, uint32_t v);
void pci_write16(const struct pci_func *f, unsigned off, uint16_t v);
void pci_write8(const struct pci_func *f, unsigned off, uint8_t v);

/* The same through one method only, for the conformance suite. */
uint32_t pci_port_read32(uint8_t bus, uint8_t dev, uint8_t fn, unsigned off);
uint32_t pci_ecam_read32(uint8_t bus, uint8_t dev, uint8_t fn, unsigned off);

/* Offset of the n-th capability with this id (0-based), or 0. */
unsigned pci_find_cap(const struct pci_func *f, uint8_t id, unsigned n);

/* Map a memory BAR (uncached) and return its address; 0 if impossible. */
uint64_t pci_map_bar(const struct pci_func *f, unsigned bar);

/* Turn on I/O and memory decoding and bus mastering. */
void pci_enable(const struct pci_func *f);

#endif
