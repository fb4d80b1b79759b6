/*
 * test_ldr_mmap_merge.c - how the UEFI loader merges and bounds the
 * kernel's memory map (boot/efi/ldr_mmap.c): merging that bridges
 * pieces sent out of order, more entries than boot_info holds,
 * overlaps kept visible for the kernel's own check, and thousands of
 * seeded random maps against a page-by-page model. Reading single
 * descriptors is in test_ldr_mmap.c. Shared helpers: ldr_mmap_rig.h,
 * ldr_rig.h.
 */
#include "tests/unit/ldr_mmap_rig.h"

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

UT_MAIN(UT_TEST(test_mmap_bridge), UT_TEST(test_mmap_overflow),
	UT_TEST(test_mmap_overlap_kept), UT_TEST(test_mmap_random))
