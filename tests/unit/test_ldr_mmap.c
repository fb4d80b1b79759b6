/*
 * test_ldr_mmap.c - the UEFI memory map read into the kernel's
 * E820-style map (boot/efi/ldr_mmap.c): type translation, an OVMF-like
 * unsorted map, descriptor strides larger than UEFI's 40 bytes (and odd
 * ones), descriptor sizes the loader must refuse, a map size that is not
 * a whole number of descriptors, and empty, wrapping and unaligned
 * descriptors. How entries are merged and bounded is in
 * test_ldr_mmap_merge.c. Shared helpers: ldr_mmap_rig.h, ldr_rig.h.
 */
#include "tests/unit/ldr_mmap_rig.h"

static void test_mmap_types(void)
{
	static const uint32_t want[] = {
		[T_RESERVED] = MMAP_RESERVED,  [T_LOADER_CODE] = MMAP_RAM,
		[T_LOADER_DATA] = MMAP_RAM,    [T_BS_CODE] = MMAP_RAM,
		[T_BS_DATA] = MMAP_RAM,	       [T_RT_CODE] = MMAP_RESERVED,
		[T_RT_DATA] = MMAP_RESERVED,   [T_CONV] = MMAP_RAM,
		[T_UNUSABLE] = MMAP_UNUSABLE,  [T_ACPI_RECLAIM] = MMAP_ACPI,
		[T_ACPI_NVS] = MMAP_NVS,       [T_MMIO] = MMAP_RESERVED,
		[T_MMIO_PORT] = MMAP_RESERVED, [T_PAL] = MMAP_RESERVED,
		[T_PERSISTENT] = MMAP_PMEM,    [T_UNACCEPTED] = MMAP_RESERVED,
	};

	for (uint32_t t = 0; t < sizeof(want) / sizeof(want[0]); t++)
		UT_CHECK_EQ(ldr_mmap_type(t), want[t]);
	/* Types we do not know are someone's: never RAM. */
	UT_CHECK_EQ(ldr_mmap_type(T_OEM), MMAP_RESERVED);
	UT_CHECK_EQ(ldr_mmap_type(T_OS), MMAP_RESERVED);
	UT_CHECK_EQ(ldr_mmap_type(0x7fffffff), MMAP_RESERVED);
	UT_CHECK_EQ(ldr_mmap_type(UINT32_MAX), MMAP_RESERVED);
	UT_CHECK_EQ(ldr_mmap_type(16), MMAP_RESERVED);
}

/*
 * A map shaped like OVMF's on q35 (its descriptors in no particular
 * order), with 48-byte descriptors as EDK II really uses. Boot-services
 * memory, the loader's pages and free memory become one RAM entry;
 * runtime code and data stay reserved but merge with each other.
 */
static const struct {
	uint32_t type;
	uint64_t phys, pages;
} ovmf[] = {
	{T_CONV, 0x100000, 0x300},
	{T_RT_DATA, 0x7e8f0000, 0x10},
	{T_BS_CODE, 0x0, 0x1},
	{T_MMIO, 0xb0000000, 0x10000}, /* PCIe ECAM */
	{T_CONV, 0x1000, 0x9f},
	{T_ACPI_NVS, 0x800000, 0x8},
	{T_LOADER_CODE, 0x400000, 0x20},
	{T_CONV, 0x808000, 0x8},
	{T_PERSISTENT, 0x180000000, 0x40000},
	{T_BS_DATA, 0x420000, 0x3e0},
	{T_ACPI_NVS, 0x810000, 0xf0},
	{T_RESERVED, 0xa0000, 0x60},
	{T_CONV, 0x900000, 0x6700},
	{T_OEM, 0xfeffc000, 0x4},
	{T_LOADER_DATA, 0x7000000, 0x100},
	{T_CONV, 0x7100000, 0x76f00},
	{T_ACPI_RECLAIM, 0x7e8e0000, 0x10},
	{T_BS_DATA, 0x7e000000, 0x8e0},
	{T_RT_CODE, 0x7e900000, 0x100},
	{T_UNUSABLE, 0x7ea00000, 0x1},
	{T_CONV, 0x7ea01000, 0x5ff},
	{T_MMIO, 0xffc00000, 0x400}, /* flash */
	{T_CONV, 0x100000000, 0x80000},
	{T_RESERVED, 0xfd00000000, 0x300000}, /* AMD's HyperTransport hole */
};

static const struct want ovmf_want[] = {
	{0x0, 0xa0000, MMAP_RAM},
	{0xa0000, 0x60000, MMAP_RESERVED},
	{0x100000, 0x700000, MMAP_RAM},
	{0x800000, 0x8000, MMAP_NVS},
	{0x808000, 0x8000, MMAP_RAM},
	{0x810000, 0xf0000, MMAP_NVS},
	{0x900000, 0x7dfe0000, MMAP_RAM},
	{0x7e8e0000, 0x10000, MMAP_ACPI},
	{0x7e8f0000, 0x110000, MMAP_RESERVED},
	{0x7ea00000, 0x1000, MMAP_UNUSABLE},
	{0x7ea01000, 0x5ff000, MMAP_RAM},
	{0xb0000000, 0x10000000, MMAP_RESERVED},
	{0xfeffc000, 0x4000, MMAP_RESERVED},
	{0xffc00000, 0x400000, MMAP_RESERVED},
	{0x100000000, 0x80000000, MMAP_RAM},
	{0x180000000, 0x40000000, MMAP_PMEM},
	{0xfd00000000, 0x300000000, MMAP_RESERVED},
};

#define NOVMF (sizeof(ovmf) / sizeof(ovmf[0]))

static void dm_ovmf(struct dmap *m, size_t desc_size)
{
	dm_init(m, desc_size);
	for (size_t i = 0; i < NOVMF; i++)
		dm_add(m, ovmf[i].type, ovmf[i].phys, ovmf[i].pages);
}

static uint64_t map_bytes(void)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < bi.nr_mmap; i++)
		sum += bi.mmap[i].size;
	return sum;
}

static void test_mmap_ovmf(void)
{
	struct dmap m;
	const char *why;
	uint64_t in_bytes = 0;

	for (size_t i = 0; i < NOVMF; i++)
		in_bytes += ovmf[i].pages * PG;
	dm_ovmf(&m, 48);
	UT_CHECK_EQ(dm_convert(&m, &why), 0);
	CHECK_MAP(ovmf_want, sizeof(ovmf_want) / sizeof(ovmf_want[0]));
	UT_CHECK_EQ(bi.efi_descs, NOVMF);
	UT_CHECK_EQ(bi.mmap_empty, 0);
	UT_CHECK_EQ(bi.mmap_dropped, 0);
	UT_CHECK_EQ(map_bytes(), in_bytes);
	dm_free(&m);

	/* The same with every stride a firmware might use. */
	{
		static const size_t strides[] = {40, 56, 64, 72, 128, 4096};

		for (size_t s = 0; s < sizeof(strides) / sizeof(strides[0]);
		     s++) {
			dm_ovmf(&m, strides[s]);
			UT_CHECK_EQ(dm_convert(&m, &why), 0);
			CHECK_MAP(ovmf_want,
				  sizeof(ovmf_want) / sizeof(ovmf_want[0]));
			UT_CHECK_EQ(bi.efi_descs, NOVMF);
			dm_free(&m);
		}
	}
}

/*
 * Descriptor sizes that are not a multiple of 8 put the fields at odd
 * addresses; the conversion must read them anyway (and UBSan checks that
 * it does so without misaligned loads).
 */
static void test_mmap_odd_stride(void)
{
	static const size_t strides[] = {41, 44, 47, 49, 52, 60};
	struct dmap m;
	const char *why;

	for (size_t s = 0; s < sizeof(strides) / sizeof(strides[0]); s++) {
		dm_ovmf(&m, strides[s]);
		UT_CHECK_EQ(dm_convert(&m, &why), 0);
		CHECK_MAP(ovmf_want, sizeof(ovmf_want) / sizeof(ovmf_want[0]));
		dm_free(&m);
	}
}

static void test_mmap_bad_desc_size(void)
{
	static const size_t sizes[] = {0, 1, 8, 24, 39};
	struct dmap m;
	const char *why;

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		dm_ovmf(&m, 48);
		m.desc_size = sizes[s]; /* the firmware lies about the size */
		memset(&bi, 0, sizeof(bi));
		bi.nr_mmap = 77; /* stale: must not survive a failure */
		why = NULL;
		UT_CHECK_EQ(ldr_mmap_convert(m.buf, NOVMF * 48, sizes[s], &bi,
					     &why),
			    -1);
		UT_CHECK(why != NULL);
		UT_CHECK_EQ(bi.nr_mmap, 0);
		UT_CHECK_EQ(bi.efi_descs, 0);
		dm_free(&m);
	}
	/* Exactly the 40 bytes UEFI defines is enough. */
	dm_ovmf(&m, 40);
	UT_CHECK_EQ(dm_convert(&m, &why), 0);
	UT_CHECK_EQ(bi.efi_descs, NOVMF);
	dm_free(&m);
}

/* map_size need not be a whole number of descriptors. */
static void test_mmap_partial(void)
{
	struct dmap m;
	const char *why;

	dm_init(&m, 48);
	dm_add(&m, T_CONV, 0x100000, 1);
	dm_add(&m, T_CONV, 0x200000, 1);
	dm_add(&m, T_CONV, 0x300000, 1);
	dm_add(&m, T_CONV, 0x400000, 1);
	/* The fourth descriptor is cut one byte short: ignored. */
	UT_CHECK_EQ(dm_convert_n(&m, 4 * 48 - 1, &why), 0);
	UT_CHECK_EQ(bi.efi_descs, 3);
	UT_CHECK_EQ(bi.nr_mmap, 3);
	UT_CHECK_EQ(bi.mmap[2].addr, 0x300000);
	/* The first 40 bytes of it are there, but not its whole stride. */
	UT_CHECK_EQ(dm_convert_n(&m, 3 * 48 + 40, &why), 0);
	UT_CHECK_EQ(bi.efi_descs, 3);
	UT_CHECK_EQ(dm_convert_n(&m, 47, &why), 0);
	UT_CHECK_EQ(bi.efi_descs, 0);
	UT_CHECK_EQ(bi.nr_mmap, 0);
	UT_CHECK_EQ(dm_convert_n(&m, 0, &why), 0);
	UT_CHECK_EQ(bi.nr_mmap, 0);
	memset(&bi, 0, sizeof(bi));
	UT_CHECK_EQ(ldr_mmap_convert(NULL, 0, 48, &bi, &why), 0);
	UT_CHECK_EQ(bi.efi_descs, 0);
	dm_free(&m);
}

/* Empty, wrapping and misaligned descriptors are counted and skipped. */
static void test_mmap_empty(void)
{
	static const struct want good[] = {
		{0x100000, 0x1000, MMAP_RAM},
		{0x200000, 0x2000, MMAP_RESERVED},
		{0xffffffffffffe000ull, 0x1000, MMAP_RAM},
	};
	struct dmap m;
	const char *why;

	dm_init(&m, 48);
	dm_add(&m, T_CONV, 0x100000, 1);
	dm_add(&m, T_CONV, 0x100000, 0);		  /* no pages */
	dm_add(&m, T_CONV, 0x200000, 1ull << 52);	  /* size wraps */
	dm_add(&m, T_CONV, 0x300000, UINT64_MAX);	  /* size wraps */
	dm_add(&m, T_CONV, 0xffffffffffff0000ull, 0x100); /* end wraps */
	dm_add(&m, T_CONV, 0xfffffffffffff000ull, 1);	  /* ends at 2^64 */
	dm_add(&m, T_MMIO, 0x200000, 2);
	dm_add(&m, T_CONV, 0x1234, 1);		      /* unaligned */
	dm_add(&m, T_CONV, 0x800, 1);		      /* unaligned */
	dm_add(&m, T_CONV, UINT64_MAX, 1);	      /* both */
	dm_add(&m, T_CONV, 0xffffffffffffe000ull, 1); /* the last page */
	UT_CHECK_EQ(dm_convert(&m, &why), 0);
	CHECK_MAP(good, 3);
	UT_CHECK_EQ(bi.efi_descs, 11);
	UT_CHECK_EQ(bi.mmap_empty, 8);
	UT_CHECK_EQ(bi.mmap_dropped, 0);
	dm_free(&m);
}

UT_MAIN(UT_TEST(test_mmap_types), UT_TEST(test_mmap_ovmf),
	UT_TEST(test_mmap_odd_stride), UT_TEST(test_mmap_bad_desc_size),
	UT_TEST(test_mmap_partial), UT_TEST(test_mmap_empty))
