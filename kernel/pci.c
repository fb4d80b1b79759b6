/*
 * pci.c - configuration access, the bus scan, BAR sizing, capability walk.
 *
 * SeaBIOS runs before the PVH option ROM hands over, so BARs are already
 * assigned and interrupt lines written; we only read them, size each BAR
 * (with decoding off while the all-ones pattern is in it) and put the
 * firmware's value back. Every value read from a device is bounded: an
 * all-ones vendor means "nothing here", a capability walk stops after 48
 * steps, and buses behind bridges are visited at most once each.
 */
#include "kernel/acpi.h"
#include "kernel/paging.h"
#include "kernel/pci.h"
#include "kernel/string.h"
#include "kernel/x86.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc
#define MAX_CAP_STEPS 48

struct pci_func pci_funcs[PCI_MAX_FUNCS];
unsigned pci_nr_funcs, pci_funcs_dropped;
bool pci_present;
uint64_t pci_ecam_base;
uint8_t pci_ecam_bus_end;
static bool bus_seen[256];

/* ---- configuration access ------------------------------------------- */

static uint32_t cf8(uint8_t bus, uint8_t dev, uint8_t fn, unsigned off)
{
	return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)(dev & 31) << 11 |
	       (uint32_t)(fn & 7) << 8 | (off & 0xfc);
}

uint32_t pci_port_read32(uint8_t bus, uint8_t dev, uint8_t fn, unsigned off)
{
	if (off > 0xfc)
		return 0xffffffffu;
	outl(CONFIG_ADDRESS, cf8(bus, dev, fn, off));
	return inl(CONFIG_DATA);
}

static void port_write32(uint8_t bus, uint8_t dev, uint8_t fn, unsigned off,
			 uint32_t v)
{
	outl(CONFIG_ADDRESS, cf8(bus, dev, fn, off));
	outl(CONFIG_DATA, v);
}

static volatile uint32_t *ecam(uint8_t bus, uint8_t dev, uint8_t fn,
			       unsigned off)
{
	return (volatile uint32_t *)(uintptr_t)(pci_ecam_base +
						((uint64_t)bus << 20) +
						((uint64_t)dev << 15) +
						((uint64_t)fn << 12) +
						(off & 0xffc));
}

uint32_t pci_ecam_read32(uint8_t bus, uint8_t dev, uint8_t fn, unsigned off)
{
	if (!pci_ecam_base || bus > pci_ecam_bus_end || off > 0xffc)
		return 0xffffffffu;
	return *ecam(bus, dev, fn, off);
}

uint32_t pci_read32(const struct pci_func *f, unsigned off)
{
	if (pci_ecam_base && f->bus <= pci_ecam_bus_end)
		return pci_ecam_read32(f->bus, f->dev, f->fn, off);
	return pci_port_read32(f->bus, f->dev, f->fn, off);
}

void pci_write32(const struct pci_func *f, unsigned off, uint32_t v)
{
	if (pci_ecam_base && f->bus <= pci_ecam_bus_end) {
		if (off <= 0xffc)
			*ecam(f->bus, f->dev, f->fn, off) = v;
	} else if (off <= 0xfc) {
		port_write32(f->bus, f->dev, f->fn, off, v);
	}
}

uint16_t pci_read16(const struct pci_func *f, unsigned off)
{
	return (uint16_t)(pci_read32(f, off & ~3u) >> ((off & 2) * 8));
}

uint8_t pci_read8(const struct pci_func *f, unsigned off)
{
	return (uint8_t)(pci_read32(f, off & ~3u) >> ((off & 3) * 8));
}

/* Narrow writes as read-modify-write of the dword: portable to both
 * methods; registers we write this way have no write-1-to-clear bits
 * in the other bytes except STATUS, which pci_write16 masks. */
void pci_write16(const struct pci_func *f, unsigned off, uint16_t v)
{
	unsigned sh = (off & 2) * 8;
	uint32_t d = pci_read32(f, off & ~3u);

	if ((off & ~3u) == PCI_COMMAND)
		d &= 0x0000ffffu; /* never write back STATUS's W1C bits */
	d = (d & ~(0xffffu << sh)) | (uint32_t)v << sh;
	pci_write32(f, off & ~3u, d);
}

void pci_write8(const struct pci_func *f, unsigned off, uint8_t v)
{
	unsigned sh = (off & 3) * 8;
	uint32_t d = pci_read32(f, off & ~3u);

	d = (d & ~(0xffu << sh)) | (uint32_t)v << sh;
	pci_write32(f, off & ~3u, d);
}

/* ---- ECAM from MCFG (PCI Firmware 3.2 §4.1.2) ----------------------- */

static void ecam_init(void)
{
	const struct acpi_sdt_header *h = acpi_find("MCFG");
	const uint8_t *e;
	uint64_t base;

	/* header (36) + 8 reserved, then 16-byte allocation entries */
	if (!h || h->length < 44 + 16)
		return;
	e = (const uint8_t *)h + 44;
	memcpy(&base, e, 8);
	if (e[8] | e[9] || e[10] != 0) /* segment 0, starting at bus 0 */
		return;
	if (!base || (base & 0xfffff) ||
	    paging_map(base, ((uint64_t)e[11] + 1) << 20, MAP_MMIO) < 0)
		return;
	pci_ecam_base = base;
	pci_ecam_bus_end = e[11];
}

/* ---- the scan ---------------------------------------------------------- */

static void size_bars(struct pci_func *f)
{
	unsigned nbars = f->header_type == 0 ? 6 : f->header_type == 1 ? 2 : 0;
	uint16_t cmd = pci_read16(f, PCI_COMMAND);

	/* Decoding off while a BAR holds all ones (§6.2.5.1). */
	pci_write16(f, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
	for (unsigned i = 0; i < nbars; i++) {
		unsigned off = PCI_BAR0 + 4 * i;
		uint32_t orig = pci_read32(f, off), probe;
		struct pci_bar *b = &f->bar[i];

		pci_write32(f, off, 0xffffffffu);
		probe = pci_read32(f, off);
		pci_write32(f, off, orig);
		if (probe == 0 || probe == 0xffffffffu)
			continue;
		if (orig & 1) {
			b->kind = PCI_BAR_IO;
			b->base = orig & ~3u;
			b->size = (uint16_t)(~(probe & ~3u) + 1);
			continue;
		}
		b->prefetchable = (orig >> 3) & 1;
		if (((orig >> 1) & 3) == 2 && i + 1 < nbars) {
			uint32_t ohi = pci_read32(f, off + 4), phi;
			uint64_t mask;

			pci_write32(f, off + 4, 0xffffffffu);
			phi = pci_read32(f, off + 4);
			pci_write32(f, off + 4, ohi);
			mask = ((uint64_t)phi << 32) | (probe & ~0xfu);
			b->kind = PCI_BAR_MEM64;
			b->base = ((uint64_t)ohi << 32) | (orig & ~0xfu);
			b->size = ~mask + 1;
			i++; /* the upper half is not a BAR of its own */
		} else {
			b->kind = PCI_BAR_MEM32;
			b->base = orig & ~0xfu;
			b->size = (uint32_t)(~(probe & ~0xfu) + 1);
		}
	}
	pci_write16(f, PCI_COMMAND, cmd);
}

static void walk_caps(struct pci_func *f)
{
	unsigned off, steps = 0;

	if (!(pci_read16(f, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return;
	off = pci_read8(f, PCI_CAP_PTR) & 0xfc;
	while (off >= 0x40) {
		if (++steps > MAX_CAP_STEPS) {
			f->cap_loop = true;
			return;
		}
		if (f->nr_caps < PCI_MAX_CAPS) {
			f->cap_id[f->nr_caps] = pci_read8(f, off);
			f->cap_off[f->nr_caps] = (uint8_t)off;
			f->nr_caps++;
		}
		off = pci_read8(f, off + 1) & 0xfc;
	}
}

static void scan_bus(uint8_t bus);

static void add_func(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t id)
{
	struct pci_func *f;
	uint32_t class_rev;

	if (pci_nr_funcs == PCI_MAX_FUNCS) {
		pci_funcs_dropped++;
		return;
	}
	f = &pci_funcs[pci_nr_funcs++];
	memset(f, 0, sizeof(*f));
	f->bus = bus;
	f->dev = dev;
	f->fn = fn;
	f->vendor = (uint16_t)id;
	f->device = (uint16_t)(id >> 16);
	class_rev = pci_read32(f, PCI_REVISION);
	f->revision = (uint8_t)class_rev;
	f->prog_if = (uint8_t)(class_rev >> 8);
	f->subclass = (uint8_t)(class_rev >> 16);
	f->class_code = (uint8_t)(class_rev >> 24);
	f->header_type = pci_read8(f, PCI_HEADER_TYPE) & 0x7f;
	f->irq_line = pci_read8(f, PCI_INTERRUPT_LINE);
	f->irq_pin = pci_read8(f, PCI_INTERRUPT_PIN);
	if (f->header_type == 0)
		f->subsys_id = pci_read16(f, PCI_SUBSYS_ID);
	size_bars(f);
	walk_caps(f);
	if (f->header_type == 1) { /* a bridge: its secondary bus next */
		uint8_t sec = pci_read8(f, PCI_SECONDARY_BUS);

		if (sec > bus)
			scan_bus(sec);
	}
}

static void scan_bus(uint8_t bus)
{
	if (bus_seen[bus])
		return;
	bus_seen[bus] = true;
	for (uint8_t dev = 0; dev < 32; dev++) {
		for (uint8_t fn = 0; fn < 8; fn++) {
			uint32_t id = pci_port_read32(bus, dev, fn, 0);

			if ((id & 0xffff) == 0xffff) {
				if (fn == 0)
					break; /* no function 0: no device */
				continue;
			}
			add_func(bus, dev, fn, id);
			if (fn == 0 &&
			    !(pci_port_read32(bus, dev, 0, 0x0c) & 0x800000))
				break; /* single-function device */
		}
	}
}

int pci_init(void)
{
	pci_present = (pci_port_read32(0, 0, 0, 0) & 0xffff) != 0xffff;
	if (!pci_present)
		return 0;
	ecam_init();
	scan_bus(0);
	return (int)pci_nr_funcs;
}

unsigned pci_find_cap(const struct pci_func *f, uint8_t id, unsigned n)
{
	for (unsigned i = 0; i < f->nr_caps; i++)
		if (f->cap_id[i] == id && n-- == 0)
			return f->cap_off[i];
	return 0;
}

uint64_t pci_map_bar(const struct pci_func *f, unsigned bar)
{
	const struct pci_bar *b;

	if (bar > 5)
		return 0;
	b = &f->bar[bar];
	if ((b->kind != PCI_BAR_MEM32 && b->kind != PCI_BAR_MEM64) ||
	    !b->base || !b->size || (b->size & (b->size - 1)) ||
	    paging_map(b->base, b->size, MAP_MMIO) < 0)
		return 0;
	return b->base;
}

void pci_enable(const struct pci_func *f)
{
	pci_write16(f, PCI_COMMAND, pci_read16(f, PCI_COMMAND) | PCI_CMD_IO |
					    PCI_CMD_MEMORY | PCI_CMD_MASTER);
}
