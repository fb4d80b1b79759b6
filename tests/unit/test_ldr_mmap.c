/*
 * test_ldr_mmap.c - the UEFI memory map as the kernel's E820-style map
 * (boot/efi/ldr_mmap.c): type translation, an OVMF-like unsorted map,
 * descriptor strides larger than UEFI's 40 bytes (and odd ones),
 * empty, wrapping and unaligned descriptors, merging that bridges gaps,
 * more entries than boot_info holds, overlaps kept visible for the
 * kernel's check, and thousands of random maps against a page-by-page
 * model. Shared helpers: ldr_rig.h.
 */
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

/*
 * A, C, then B between them: one entry, whatever the order, and also
 * when the pieces have different UEFI types that mean the same E820
 * type. Unlike neighbours or a gap keep the pieces apart.
 */
static void test_mmap_bridge(void)
{
	static const int perm[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
				       {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
	static const uint32_t same[3] = {T_CONV, T_BS_DATA, T_LOADER_CODE};
	static const uint32_t mixed[3] = {T_CONV, T_ACPI_RECLAIM, T_CONV};
	static const uint64_t at[3] = {0x1000, 0x3000, 0x5000};
	static const struct want one = {0x1000, 0x6000, MMAP_RAM};
	static const struct want three[3] = {
		{0x1000, 0x2000, MMAP_RAM},
		{0x3000, 0x2000, MMAP_ACPI},
		{0x5000, 0x2000, MMAP_RAM},
	};
	struct dmap m;
	const char *why;

	for (int p = 0; p < 6; p++) {
		dm_init(&m, 48);
		for (int i = 0; i < 3; i++)
			dm_add(&m, same[perm[p][i]], at[perm[p][i]], 2);
		UT_CHECK_EQ(dm_convert(&m, &why), 0);
		CHECK_MAP(&one, 1);
		dm_free(&m);

		dm_init(&m, 48);
		for (int i = 0; i < 3; i++)
			dm_add(&m, mixed[perm[p][i]], at[perm[p][i]], 2);
		UT_CHECK_EQ(dm_convert(&m, &why), 0);
		CHECK_MAP(three, 3);
		dm_free(&m);
	}
	/* A page-sized gap between pieces of the same type is a gap. */
	dm_init(&m, 48);
	dm_add(&m, T_CONV, 0x1000, 1);
	dm_add(&m, T_CONV, 0x3000, 1);
	UT_CHECK_EQ(dm_convert(&m, &why), 0);
	UT_CHECK_EQ(bi.nr_mmap, 2);
	dm_free(&m);
}

/* More distinct entries than boot_info holds. */
static void test_mmap_overflow(void)
{
	enum { N = 200 };
	struct dmap m;
	const char *why;
	bool ok = true;

	/* Alternating types never merge: the first 128 are kept. */
	dm_init(&m, 48);
	for (unsigned i = 0; i < N; i++)
		dm_add(&m, i % 2 ? T_MMIO : T_CONV, 0x100000 + i * PG, 1);
	UT_CHECK_EQ(dm_convert(&m, &why), 0);
	UT_CHECK_EQ(bi.nr_mmap, BI_MAX_MMAP);
	UT_CHECK_EQ(bi.mmap_dropped, N - BI_MAX_MMAP);
	UT_CHECK_EQ(bi.efi_descs, N);
	for (unsigned i = 0; i < BI_MAX_MMAP; i++)
		ok &= bi.mmap[i].addr == 0x100000 + i * PG &&
		      bi.mmap[i].size == PG &&
		      bi.mmap[i].type == (i % 2 ? MMAP_RESERVED : MMAP_RAM);
	UT_CHECK(ok);
	dm_free(&m);

	/* In descending order the highest 128 are kept, still sorted. */
	dm_init(&m, 48);
	for (unsigned i = N; i-- > 0;)
		dm_add(&m, i % 2 ? T_MMIO : T_CONV, 0x100000 + i * PG, 1);
	UT_CHECK_EQ(dm_convert(&m, &why), 0);
	UT_CHECK_EQ(bi.nr_mmap, BI_MAX_MMAP);
	UT_CHECK_EQ(bi.mmap_dropped, N - BI_MAX_MMAP);
	ok = true;
	for (unsigned i = 0; i < BI_MAX_MMAP; i++)
		ok &= bi.mmap[i].addr == 0x100000 + (N - BI_MAX_MMAP + i) * PG;
	UT_CHECK(ok);
	dm_free(&m);

	/* When full, a piece that extends an entry is merged, not dropped. */
	dm_init(&m, 48);
	for (unsigned i = 0; i < BI_MAX_MMAP; i++)
		dm_add(&m, i % 2 ? T_MMIO : T_CONV, 0x100000 + i * PG, 1);
	dm_add(&m, T_RT_DATA, 0x100000 + BI_MAX_MMAP * PG, 1);
	dm_add(&m, T_CONV, 0x100000 - PG, 1);
	dm_add(&m, T_CONV, 0x100000 + 2 * BI_MAX_MMAP * PG, 1);
	UT_CHECK_EQ(dm_convert(&m, &why), 0);
	UT_CHECK_EQ(bi.nr_mmap, BI_MAX_MMAP);
	UT_CHECK_EQ(bi.mmap_dropped, 1);
	UT_CHECK_EQ(bi.mmap[0].addr, 0x100000 - PG);
	UT_CHECK_EQ(bi.mmap[0].size, 2 * PG);
	UT_CHECK_EQ(bi.mmap[BI_MAX_MMAP - 1].size, 2 * PG);
	/* Still full: an empty descriptor changes nothing, and ... */
	dm_add(&m, T_MMIO, 0x100000 + 3 * PG, 0); /* empty: no room made */
	/* Overlaps entry 1 but touches entry 2 (same type): merged there,
	 * so the overlap stays visible to the kernel's overlap check. */
	dm_add(&m, T_CONV, 0x100000 + 1 * PG, 1);
	UT_CHECK_EQ(dm_convert(&m, &why), 0);
	UT_CHECK_EQ(bi.mmap_dropped, 1);
	UT_CHECK(bi.mmap[1].addr + bi.mmap[1].size > bi.mmap[2].addr);
	UT_CHECK_EQ(bi.mmap_empty, 1);
	dm_free(&m);
}

/*
 * Overlapping descriptors are firmware bugs the kernel checks for
 * (kernel/main.c): they must reach it as they were, not be merged into
 * one range that looks fine.
 */
static void test_mmap_overlap_kept(void)
{
	static const struct want nested[] = {
		{0x0, 0x10000, MMAP_RAM},
		{0x8000, 0x1000, MMAP_RESERVED},
	};
	static const struct want crossing[] = {
		{0x0, 0x10000, MMAP_RAM},
		{0x8000, 0x10000, MMAP_RAM},
	};
	static const struct want twice[] = {
		{0x100000, 0x1000, MMAP_RAM},
		{0x100000, 0x1000, MMAP_RAM},
	};
	struct dmap m;
	const char *why;

	dm_init(&m, 48);
	dm_add(&m, T_MMIO, 0x8000, 1);
	dm_add(&m, T_CONV, 0x0, 0x10);
	UT_CHECK_EQ(dm_convert(&m, &why), 0);
	CHECK_MAP(nested, 2);
	dm_free(&m);

	dm_init(&m, 48);
	dm_add(&m, T_CONV, 0x0, 0x10);
	dm_add(&m, T_BS_DATA, 0x8000, 0x10);
	UT_CHECK_EQ(dm_convert(&m, &why), 0);
	CHECK_MAP(crossing, 2);
	dm_free(&m);

	dm_init(&m, 48);
	dm_add(&m, T_CONV, 0x100000, 1);
	dm_add(&m, T_CONV, 0x100000, 1);
	UT_CHECK_EQ(dm_convert(&m, &why), 0);
	CHECK_MAP(twice, 2);
	dm_free(&m);
}

/*
 * Seeded random maps: a range cut into pieces of random types, some
 * gaps, shuffled or not, with bogus descriptors mixed in. Every page's
 * type is known, so the result can be checked exactly: sorted, merged,
 * nothing invented, and (when nothing was dropped) nothing lost.
 */
static void test_mmap_random(void)
{
	enum { ITER = 400, MAXPG = 2048 };
	static const uint32_t types[] = {
		T_CONV,		T_CONV,	      T_BS_DATA, T_LOADER_CODE,
		T_ACPI_RECLAIM, T_ACPI_NVS,   T_RT_DATA, T_MMIO,
		T_UNUSABLE,	T_PERSISTENT, T_OEM};
	static const size_t strides[] = {40, 48, 56, 64, 44};
	static uint32_t page_type[MAXPG]; /* 0: no descriptor */
	static struct {
		uint32_t type;
		uint64_t pg, n;
	} piece[MAXPG];
	const uint64_t base = 0x40000000;
	unsigned bad = 0, full = 0;

	rng_state = 0x2545f4914f6cdd1dull;
	for (unsigned it = 0; it < ITER; it++) {
		uint64_t npg = 1 + rng_below(it % 2 ? MAXPG : 256);
		unsigned npiece = 0, nbogus = 0, covered = 0, want_nr = 0;
		struct dmap m;
		const char *why;
		bool ok = true;

		memset(page_type, 0, sizeof(page_type));
		for (uint64_t pg = 0; pg < npg;) {
			uint64_t n = 1 + rng_below(16);
			uint32_t t = types[rng_below(sizeof(types) /
						     sizeof(types[0]))];

			if (n > npg - pg)
				n = npg - pg;
			if (rng_below(8)) {
				piece[npiece].type = t;
				piece[npiece].pg = pg;
				piece[npiece++].n = n;
				for (uint64_t i = pg; i < pg + n; i++)
					page_type[i] = ldr_mmap_type(t);
			}
			pg += n;
		}
		if (it % 3) /* shuffle; else keep the firmware's usual order */
			for (unsigned i = npiece; i > 1; i--) {
				unsigned j = (unsigned)rng_below(i);
				__typeof__(piece[0]) tmp = piece[i - 1];

				piece[i - 1] = piece[j];
				piece[j] = tmp;
			}
		dm_init(&m, strides[rng_below(sizeof(strides) /
					      sizeof(strides[0]))]);
		for (unsigned i = 0; i < npiece; i++) {
			dm_add(&m, piece[i].type, base + piece[i].pg * PG,
			       piece[i].n);
			if (rng_below(16) == 0) {
				dm_add(&m, T_CONV, base + rng_below(npg) * PG,
				       0);
				nbogus++;
			}
			if (rng_below(32) == 0) {
				dm_add(&m, T_CONV, base + 0x800, 1);
				nbogus++;
			}
		}
		if (dm_convert(&m, &why) != 0)
			ok = false;
		ok &= bi.efi_descs == m.n && bi.mmap_empty == nbogus;
		ok &= bi.nr_mmap <= BI_MAX_MMAP;
		for (unsigned i = 0; ok && i < bi.nr_mmap; i++) {
			const struct mmap_entry *e = &bi.mmap[i];
			uint64_t first = (e->addr - base) / PG;

			/* Inside the range, page aligned, all of one type. */
			ok &= e->addr >= base && e->size && !(e->size % PG) &&
			      !(e->addr % PG) && first + e->size / PG <= npg;
			for (uint64_t p = first; ok && p < first + e->size / PG;
			     p++)
				ok &= page_type[p] == e->type;
			covered += (unsigned)(e->size / PG);
			/* Sorted, disjoint and merged with its neighbour. */
			if (ok && i > 0) {
				const struct mmap_entry *b = &bi.mmap[i - 1];

				ok &= b->addr + b->size <= e->addr;
				ok &= !(b->addr + b->size == e->addr &&
					b->type == e->type);
			}
		}
		/* With nothing dropped, every typed page is in the map, and
		 * the map has as many entries as runs of one type. */
		for (uint64_t p = 0; p < npg; p++)
			want_nr += page_type[p] &&
				   (p == 0 || page_type[p] != page_type[p - 1]);
		if (bi.mmap_dropped == 0) {
			unsigned typed = 0;

			for (uint64_t p = 0; p < npg; p++)
				typed += page_type[p] != 0;
			ok &= covered == typed && bi.nr_mmap == want_nr;
		} else {
			/* (later pieces may bridge two entries: fewer) */
			full++;
		}
		if (!ok && bad++ < 5) {
			char detail[120];

			snprintf(detail, sizeof(detail),
				 "iteration %u: %u pages, %u pieces, stride "
				 "%zu",
				 it, (unsigned)npg, npiece, m.desc_size);
			fail_at(__LINE__, "random map", detail);
		}
		dm_free(&m);
	}
	UT_CHECK_EQ(bad, 0);
	UT_CHECK(full > 0 && full < ITER);
	printf("# random maps: %d, %u of them over %d entries\n", ITER, full,
	       BI_MAX_MMAP);
}

UT_MAIN(UT_TEST(test_mmap_types), UT_TEST(test_mmap_ovmf),
	UT_TEST(test_mmap_odd_stride), UT_TEST(test_mmap_bad_desc_size),
	UT_TEST(test_mmap_partial), UT_TEST(test_mmap_empty),
	UT_TEST(test_mmap_bridge), UT_TEST(test_mmap_overflow),
	UT_TEST(test_mmap_overlap_kept), UT_TEST(test_mmap_random))
