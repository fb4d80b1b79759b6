/*
 * ldr_mmap_rig.h - helpers shared by the UEFI memory map's host tests
 * (test_ldr_mmap.c, test_ldr_mmap_merge.c): UEFI's memory types, a
 * builder of GetMemoryMap-style buffers with any descriptor stride
 * (the fields the loader must ignore filled with noise), converting one
 * from a buffer of exactly its size (so ASan sees an overrun), and
 * comparing the result with the expected E820-style entries.
 *
 * Builds on ldr_rig.h (little-endian access, the PRNG, fail_at).
 */
#ifndef PINPRICK_LDR_MMAP_RIG_H
#define PINPRICK_LDR_MMAP_RIG_H

#include "tests/unit/ldr_rig.h"

/* ---- the memory map ----------------------------------------------------- */

/* UEFI memory types, as the firmware reports them. */
enum {
	T_RESERVED = 0,
	T_LOADER_CODE,
	T_LOADER_DATA,
	T_BS_CODE,
	T_BS_DATA,
	T_RT_CODE,
	T_RT_DATA,
	T_CONV,
	T_UNUSABLE,
	T_ACPI_RECLAIM,
	T_ACPI_NVS,
	T_MMIO,
	T_MMIO_PORT,
	T_PAL,
	T_PERSISTENT,
	T_UNACCEPTED, /* UEFI 2.9; unknown to the loader */
	T_OEM = 0x70000000,
	T_OS = 0x80000000,
};

#define PG 4096ull

/* A memory map as GetMemoryMap returns it, descriptors desc_size apart. */
struct dmap {
	uint8_t *buf;
	size_t desc_size, n, cap;
};

static void dm_init(struct dmap *m, size_t desc_size)
{
	m->desc_size = desc_size;
	m->n = 0;
	m->cap = 16;
	m->buf = malloc(m->cap * desc_size);
}

static void dm_free(struct dmap *m)
{
	free(m->buf);
	m->buf = NULL;
}

/*
 * Appends a descriptor. The fields the conversion must ignore (pad,
 * virt, attr and whatever lies beyond the 40 bytes UEFI defines) are
 * filled with noise.
 */
static void dm_add(struct dmap *m, uint32_t type, uint64_t phys, uint64_t pages)
{
	uint8_t *d;

	if (m->n == m->cap) {
		m->cap *= 2;
		m->buf = realloc(m->buf, m->cap * m->desc_size);
	}
	d = m->buf + m->n++ * m->desc_size;
	memset(d, 0xa5, m->desc_size);
	wr_le(d, type, 4);
	wr_le(d + 4, 0xdeadbeef, 4);
	wr_le(d + 8, phys, 8);
	wr_le(d + 16, phys | 0xffff800000000000ull, 8);
	wr_le(d + 24, pages, 8);
	wr_le(d + 32, 0x800000000000000full, 8); /* RUNTIME | UC WC WT WB */
}

static struct boot_info bi;

/* Converts the first map_size bytes, from a buffer of exactly that size. */
static int dm_convert_n(const struct dmap *m, size_t map_size, const char **why)
{
	uint8_t *copy = malloc(map_size);
	int r;

	if (map_size)
		memcpy(copy, m->buf, map_size);
	memset(&bi, 0, sizeof(bi));
	*why = NULL;
	r = ldr_mmap_convert(copy, map_size, m->desc_size, &bi, why);
	free(copy);
	return r;
}

static int dm_convert(const struct dmap *m, const char **why)
{
	return dm_convert_n(m, m->n * m->desc_size, why);
}

struct want {
	uint64_t addr, size;
	uint32_t type;
};

#define CHECK_MAP(w, n) check_map(w, n, __LINE__)

static void check_map(const struct want *w, unsigned n, int line)
{
	char detail[160];

	if (bi.nr_mmap != n) {
		snprintf(detail, sizeof(detail), "%u entries, expected %u",
			 bi.nr_mmap, n);
		fail_at(line, "converted map", detail);
	}
	for (unsigned i = 0; i < n && i < bi.nr_mmap; i++) {
		const struct mmap_entry *e = &bi.mmap[i];

		if (e->addr == w[i].addr && e->size == w[i].size &&
		    e->type == w[i].type)
			continue;
		snprintf(detail, sizeof(detail),
			 "entry %u is %#llx+%#llx type %u, expected %#llx+"
			 "%#llx type %u",
			 i, (unsigned long long)e->addr,
			 (unsigned long long)e->size, e->type,
			 (unsigned long long)w[i].addr,
			 (unsigned long long)w[i].size, w[i].type);
		fail_at(line, "converted map", detail);
	}
}
#endif
