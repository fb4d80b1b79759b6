/*
 * acpi.c - find ACPI tables and power off through the S5 sleep state.
 *
 * Power-off is the fallback exit where there is no isa-debug-exit (VMware,
 * other VMMs). It needs SLP_TYPa for S5, which lives in the DSDT's \_S5
 * package; rather than an AML interpreter we use the well-known shortcut
 * of finding "_S5_" and decoding the package's first element. Hardware-
 * reduced platforms (QEMU microvm) use the FADT's sleep control register.
 * Every table is checksummed before it is trusted.
 */
#include "kernel/acpi.h"
#include "kernel/paging.h"
#include "kernel/string.h"
#include "kernel/x86.h"

struct rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t xchecksum;
	uint8_t rsvd[3];
} __attribute__((packed));

uint64_t acpi_rsdp;
static const struct acpi_sdt_header *root;
static bool root_is_xsdt;

static bool sum_ok(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s == 0;
}

/* Map a table read-only; firmware tables sit outside RAM sometimes. */
static const struct acpi_sdt_header *map_table(uint64_t pa)
{
	const struct acpi_sdt_header *h;

	if (!pa || pa >= (1ull << 46))
		return NULL;
	if (paging_map(pa, sizeof(*h), MAP_RODATA) < 0)
		return NULL;
	h = (const struct acpi_sdt_header *)(uintptr_t)pa;
	if (h->length < sizeof(*h) || h->length > (16u << 20))
		return NULL;
	if (paging_map(pa, h->length, MAP_RODATA) < 0 ||
	    !sum_ok(h, h->length))
		return NULL;
	return h;
}

static uint64_t scan_rsdp(uint64_t start, uint64_t len)
{
	if (paging_map(start, len, MAP_RODATA) < 0)
		return 0;
	for (uint64_t a = start; a + 20 <= start + len; a += 16) {
		if (!memcmp((const void *)(uintptr_t)a, "RSD PTR ", 8) &&
		    sum_ok((const void *)(uintptr_t)a, 20))
			return a;
	}
	return 0;
}

bool acpi_init(uint64_t rsdp_hint)
{
	const struct rsdp *r;
	uint64_t pa = rsdp_hint;

	if (!pa) {
		uint64_t ebda;

		/* The EBDA pointer lives in page 0, which stays unmapped to
		 * catch NULL dereferences: map it for this one read only. */
		if (paging_map(0x400, 0x100, MAP_RODATA) < 0)
			return false;
		ebda = (uint64_t)(*(volatile uint16_t *)0x40e) << 4;
		paging_unmap(0, 4096);
		if (ebda >= 0x80000 && ebda < 0xa0000)
			pa = scan_rsdp(ebda, 1024);
		if (!pa)
			pa = scan_rsdp(0xe0000, 0x20000);
	}
	if (!pa || paging_map(pa, sizeof(*r), MAP_RODATA) < 0)
		return false;
	r = (const struct rsdp *)(uintptr_t)pa;
	if (memcmp(r->signature, "RSD PTR ", 8) || !sum_ok(r, 20))
		return false;
	acpi_rsdp = pa;
	if (r->revision >= 2 && r->xsdt && sum_ok(r, sizeof(*r))) {
		root = map_table(r->xsdt);
		root_is_xsdt = root != NULL;
	}
	if (!root)
		root = map_table(r->rsdt);
	return root != NULL;
}

const struct acpi_sdt_header *acpi_find(const char sig[4])
{
	uint32_t n, esz = root_is_xsdt ? 8 : 4;
	const uint8_t *ents;

	if (!root)
		return NULL;
	n = (root->length - sizeof(*root)) / esz;
	ents = (const uint8_t *)(root + 1);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t pa = 0;
		const struct acpi_sdt_header *h;

		memcpy(&pa, ents + i * esz, esz);
		h = map_table(pa);
		if (h && !memcmp(h->signature, sig, 4))
			return h;
	}
	return NULL;
}

/* SLP_TYPa from \_S5: Name(_S5_, Package(){a, b, ...}). -1 if not found. */
static int s5_slp_typ(const struct acpi_sdt_header *dsdt)
{
	const uint8_t *p = (const uint8_t *)dsdt, *end = p + dsdt->length;

	for (p += sizeof(*dsdt); p + 8 < end; p++) {
		if (memcmp(p, "_S5_", 4))
			continue;
		p += 4;
		if (*p++ != 0x12) /* PackageOp */
			continue;
		p += ((*p >> 6) & 3) + 1; /* PkgLength */
		p++;			  /* NumElements */
		if (p >= end)
			return -1;
		if (*p == 0x0a) /* BytePrefix */
			return p + 1 < end ? p[1] : -1;
		if (*p == 0x00 || *p == 0x01) /* ZeroOp, OneOp */
			return *p;
		return -1;
	}
	return -1;
}

void acpi_poweroff(void)
{
	const uint8_t *fadt = (const uint8_t *)acpi_find("FACP");
	const struct acpi_sdt_header *dsdt;
	uint32_t len, pm1a, flags;
	uint64_t dsdt_pa = 0;
	int typ;

	if (!fadt)
		return;
	len = ((const struct acpi_sdt_header *)fadt)->length;
	if (len >= 148)
		memcpy(&dsdt_pa, fadt + 140, 8); /* X_DSDT */
	if (!dsdt_pa && len >= 44)
		memcpy(&dsdt_pa, fadt + 40, 4);
	dsdt = map_table(dsdt_pa);
	typ = dsdt ? s5_slp_typ(dsdt) : -1;
	if (typ < 0)
		return;
	memcpy(&flags, fadt + 112, 4);
	if ((flags & (1u << 20)) && len >= 256) {
		/* Hardware-reduced: sleep control register (a GAS at 244). */
		uint8_t space = fadt[244];
		uint64_t addr;

		memcpy(&addr, fadt + 248, 8);
		if (space == 1 && addr && addr < 0x10000)
			outb((uint16_t)addr, (uint8_t)(((typ & 7) << 2) | 0x20));
		else if (space == 0 && addr &&
			 paging_map(addr, 1, MAP_MMIO) == 0)
			*(volatile uint8_t *)(uintptr_t)addr =
				(uint8_t)(((typ & 7) << 2) | 0x20);
		return;
	}
	memcpy(&pm1a, fadt + 64, 4);
	if (pm1a && pm1a < 0x10000)
		outw((uint16_t)pm1a, (uint16_t)((typ << 10) | (1u << 13)));
}
