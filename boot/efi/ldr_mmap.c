/*
 * ldr_mmap.c - the UEFI memory map, as the kernel's E820-style map.
 *
 * The kernel knows one kind of memory map (struct mmap_entry with E820
 * types, what PVH delivers). UEFI's map is finer: about a hundred
 * descriptors under OVMF, split by who allocated what, not necessarily
 * sorted. After ExitBootServices most of those distinctions vanish:
 * boot-services code and data, conventional memory and the loader's own
 * pages are all free RAM; runtime-services memory must never be touched
 * (the firmware's runtime code may still run, e.g. ResetSystem); ACPI
 * tables and NVS keep their E820 meaning. So we translate each type,
 * insert in address order and merge neighbours that end up the same.
 * The descriptor stride is desc_size, never sizeof: firmware may append
 * fields (UEFI 2.x, GetMemoryMap()).
 */
#include "boot/efi/ldr.h"

/* UEFI memory types (UEFI 2.x, EFI_MEMORY_TYPE). */
enum {
	EFI_RESERVED = 0,
	EFI_LOADER_CODE,
	EFI_LOADER_DATA,
	EFI_BS_CODE,
	EFI_BS_DATA,
	EFI_RT_CODE,
	EFI_RT_DATA,
	EFI_CONVENTIONAL,
	EFI_UNUSABLE,
	EFI_ACPI_RECLAIM,
	EFI_ACPI_NVS,
	EFI_MMIO,
	EFI_MMIO_PORT,
	EFI_PAL_CODE,
	EFI_PERSISTENT,
};

uint32_t ldr_mmap_type(uint32_t efi_type)
{
	switch (efi_type) {
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_BS_CODE:
	case EFI_BS_DATA:
	case EFI_CONVENTIONAL:
		return MMAP_RAM;
	case EFI_ACPI_RECLAIM:
		return MMAP_ACPI;
	case EFI_ACPI_NVS:
		return MMAP_NVS;
	case EFI_UNUSABLE:
		return MMAP_UNUSABLE;
	case EFI_PERSISTENT:
		return MMAP_PMEM;
	default: /* runtime services, MMIO, PAL, reserved, unknown (OEM) */
		return MMAP_RESERVED;
	}
}

/* Inserts [addr, addr + size) of type t, keeping bi->mmap sorted/merged. */
static void insert(struct boot_info *bi, uint64_t addr, uint64_t size,
		   uint32_t t)
{
	struct mmap_entry *m = bi->mmap;
	uint32_t n = bi->nr_mmap, i = n;

	while (i > 0 && m[i - 1].addr > addr)
		i--;
	/* Merge with the entry before, then maybe with the one after. */
	if (i > 0 && m[i - 1].type == t &&
	    m[i - 1].addr + m[i - 1].size == addr) {
		m[i - 1].size += size;
		if (i < n && m[i].type == t &&
		    m[i - 1].addr + m[i - 1].size == m[i].addr) {
			m[i - 1].size += m[i].size;
			for (uint32_t j = i; j + 1 < n; j++)
				m[j] = m[j + 1];
			bi->nr_mmap--;
		}
		return;
	}
	if (i < n && m[i].type == t && addr + size == m[i].addr) {
		m[i].addr = addr;
		m[i].size += size;
		return;
	}
	if (n == BI_MAX_MMAP) {
		bi->mmap_dropped++;
		return;
	}
	for (uint32_t j = n; j > i; j--)
		m[j] = m[j - 1];
	m[i].addr = addr;
	m[i].size = size;
	m[i].type = t;
	bi->nr_mmap++;
}

int ldr_mmap_convert(const void *map, size_t map_size, size_t desc_size,
		     struct boot_info *bi, const char **why)
{
	const uint8_t *p = map;

	bi->nr_mmap = 0;
	bi->efi_descs = 0;
	bi->mmap_dropped = 0;
	bi->mmap_empty = 0;
	if (desc_size < sizeof(struct ldr_efi_desc)) {
		*why = "UEFI memory descriptors are smaller than UEFI defines";
		return -1;
	}
	for (size_t off = 0; map_size - off >= desc_size; off += desc_size) {
		struct ldr_efi_desc d = {0};
		uint64_t size;

		/* Byte copy: a strange desc_size may leave p + off unaligned.
		 */
		for (size_t i = 0; i < sizeof(d); i++)
			((uint8_t *)&d)[i] = p[off + i];
		size = d.pages << 12;
		bi->efi_descs++;
		if (d.pages == 0 || d.pages >> 52 || d.phys + size < d.phys ||
		    (d.phys & 0xfff)) {
			bi->mmap_empty++;
			continue;
		}
		insert(bi, d.phys, size, ldr_mmap_type(d.type));
	}
	return 0;
}
