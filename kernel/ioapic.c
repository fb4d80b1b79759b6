/*
 * ioapic.c - IO-APICs: from an interrupt line (GSI) to a CPU vector.
 *
 * The ACPI MADT lists each IO-APIC with the first GSI it serves (QEMU pc
 * and q35: one, GSIs 0-23; microvm: a second one for GSIs 24-47, where
 * its virtio-mmio lines are) and the ISA overrides (ISA IRQ 0 is GSI 2).
 * Each GSI has a 64-bit redirection entry: vector, trigger mode, polarity,
 * mask and destination APIC (82093AA datasheet §3.2.4). Without a MADT we
 * assume one IO-APIC at 0xfec00000 serving GSIs from 0.
 */
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/ioapic.h"
#include "kernel/paging.h"
#include "kernel/string.h"

#define IOREGSEL 0x00
#define IOWIN 0x10
#define REG_ID 0x00
#define REG_VER 0x01
#define REG_REDTBL 0x10
#define RTE_MASKED (1u << 16)
#define RTE_LEVEL (1u << 15)
#define RTE_ACTIVE_LOW (1u << 13)

struct ioapic ioapics[IOAPIC_MAX];
unsigned ioapic_count;
bool ioapic_from_madt;

static uint32_t rd(const struct ioapic *io, uint32_t reg)
{
	*(volatile uint32_t *)(uintptr_t)(io->base + IOREGSEL) = reg;
	return *(volatile uint32_t *)(uintptr_t)(io->base + IOWIN);
}

static void wr(const struct ioapic *io, uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)(io->base + IOREGSEL) = reg;
	*(volatile uint32_t *)(uintptr_t)(io->base + IOWIN) = v;
}

static void add(uint64_t base, uint32_t gsi_base, uint8_t id)
{
	struct ioapic *io;
	uint32_t ver;

	if (ioapic_count == IOAPIC_MAX || paging_map(base, 4096, MAP_MMIO) < 0)
		return;
	io = &ioapics[ioapic_count];
	io->base = base;
	io->gsi_base = gsi_base;
	io->id = id;
	ver = rd(io, REG_VER);
	if (ver == 0xffffffffu)
		return; /* nothing answers there */
	io->version = ver & 0xff;
	io->nr_pins = ((ver >> 16) & 0xff) + 1;
	ioapic_count++;
	for (unsigned i = 0; i < io->nr_pins; i++) {
		wr(io, REG_REDTBL + 2 * i, RTE_MASKED);
		wr(io, REG_REDTBL + 2 * i + 1, 0);
	}
}

int ioapic_init(void)
{
	const struct acpi_sdt_header *madt = acpi_find("APIC");

	if (madt && madt->length > 44) {
		const uint8_t *p = (const uint8_t *)madt + 44;
		const uint8_t *end = (const uint8_t *)madt + madt->length;

		/* Entries: u8 type, u8 length, then type-specific fields. */
		while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
			if (p[0] == 1 && p[1] >= 12) {
				uint32_t addr, gsi;

				memcpy(&addr, p + 4, 4);
				memcpy(&gsi, p + 8, 4);
				add(addr, gsi, p[2]);
				ioapic_from_madt = true;
			}
			p += p[1];
		}
	}
	if (!ioapic_count)
		add(0xfec00000ull, 0, 0);
	return (int)ioapic_count;
}

static struct ioapic *find(unsigned gsi, unsigned *pin)
{
	for (unsigned i = 0; i < ioapic_count; i++) {
		struct ioapic *io = &ioapics[i];

		if (gsi >= io->gsi_base && gsi < io->gsi_base + io->nr_pins) {
			*pin = gsi - io->gsi_base;
			return io;
		}
	}
	return NULL;
}

bool ioapic_has_gsi(unsigned gsi)
{
	unsigned pin;

	return find(gsi, &pin) != NULL;
}

int ioapic_route(unsigned gsi, uint8_t vector, bool level, bool active_low)
{
	unsigned pin;
	struct ioapic *io = find(gsi, &pin);
	uint32_t lo = vector;

	if (!io || vector < 0x20)
		return -1;
	if (level)
		lo |= RTE_LEVEL;
	if (active_low)
		lo |= RTE_ACTIVE_LOW;
	/* Physical destination: our local APIC. Fixed delivery. */
	wr(io, REG_REDTBL + 2 * pin + 1, apic_info.id << 24);
	wr(io, REG_REDTBL + 2 * pin, lo);
	return 0;
}

void ioapic_mask(unsigned gsi, bool masked)
{
	unsigned pin;
	struct ioapic *io = find(gsi, &pin);
	uint32_t lo;

	if (!io)
		return;
	lo = rd(io, REG_REDTBL + 2 * pin);
	wr(io, REG_REDTBL + 2 * pin,
	   masked ? lo | RTE_MASKED : lo & ~RTE_MASKED);
}

uint64_t ioapic_read_rte(unsigned gsi)
{
	unsigned pin;
	struct ioapic *io = find(gsi, &pin);

	if (!io)
		return ~0ull;
	return (uint64_t)rd(io, REG_REDTBL + 2 * pin + 1) << 32 |
	       rd(io, REG_REDTBL + 2 * pin);
}
