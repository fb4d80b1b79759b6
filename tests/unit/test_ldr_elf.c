/*
 * test_ldr_elf.c - the UEFI loader's firmware-independent parts (boot/efi/
 * ldr_elf.c, ldr_mmap.c, ldr_cmdline.c), fed hostile input.
 *
 * The loader trusts nothing it is handed: the kernel ELF it carries (in
 * practice our own build, but a wrong one must never be copied over the
 * firmware or jumped into at a random address), the memory map the
 * firmware returns, and the text of pinprick.cfg and LoadOptions. A
 * mistake there shows up far from its cause - a hang after
 * ExitBootServices with no console left - so the checks are exercised
 * here on the host, under ASan and UBSan, where a read one byte too far
 * is a report rather than a mystery. That is also why every input is
 * copied into a buffer of exactly its length before it is parsed: ASan
 * only sees an overrun if nothing valid follows the input.
 *
 * This file: the real kernel ELF and mutations of it (synthetic images
 * are in test_ldr_synth.c, the map in test_ldr_mmap.c, the command line
 * in test_ldr_cmdline.c). The ELF tests start from the real build/pinprick.elf
 * (the tests run from the repository root, as `make unit` does) and reject
 * mutated copies of it; small synthetic images built here cover what the real
 * file cannot express, such as nine PT_LOADs or a second PT_NOTE. Every
 * expected rejection also names the check that should fire (a piece of
 * *why), so a test cannot pass because an earlier, unrelated check
 * happened to reject the image.
 */
#include "tests/unit/ldr_rig.h"

static void test_elf_real_kernel(void)
{
	struct ldr_kernel k;
	uint64_t hi = 0;
	unsigned loads = 0;

	if (!real_get())
		return;
	if (!ELF_ACCEPTS(real.img, real.len, &k))
		return;
	UT_CHECK_EQ(k.entry64, real.sym_entry);
	UT_CHECK_EQ(k.lo, 0x100000);
	UT_CHECK_EQ(k.hi & 0xfff, 0);
	UT_CHECK(kernel_sane(&k, real.len));
	/* Every PT_LOAD with memory is a segment, as the headers say. */
	for (unsigned i = 0; i < real.phnum; i++) {
		const struct ldr_seg *s = &k.seg[loads];

		if (ph_get(real.img, (int)i, P_TYPE) != PT_LOAD ||
		    ph_get(real.img, (int)i, P_MEMSZ) == 0)
			continue;
		if (loads++ >= k.nr_seg)
			break;
		UT_CHECK_EQ(s->paddr, ph_get(real.img, (int)i, P_PADDR));
		UT_CHECK_EQ(s->offset, ph_get(real.img, (int)i, P_OFFSET));
		UT_CHECK_EQ(s->filesz, ph_get(real.img, (int)i, P_FILESZ));
		UT_CHECK_EQ(s->memsz, ph_get(real.img, (int)i, P_MEMSZ));
		UT_CHECK_EQ(s->flags, ph_get(real.img, (int)i, P_FLAGS));
		if (s->paddr + s->memsz > hi)
			hi = s->paddr + s->memsz;
	}
	UT_CHECK_EQ(loads, k.nr_seg);
	UT_CHECK_EQ(k.hi, (hi + 0xfff) & ~0xfffull);
	/* The blob sits wherever the linker put it: alignment is not given. */
	{
		uint8_t *odd = malloc(real.len + 1);
		const char *why = NULL;

		memcpy(odd + 1, real.img, real.len);
		UT_CHECK_EQ(ldr_elf_parse(odd + 1, real.len, &k, &why), 0);
		UT_CHECK_EQ(k.entry64, real.sym_entry);
		free(odd);
	}
}

/*
 * Truncated copies: every length up to the end of the program headers,
 * then a sample beyond. A copy is complete enough once it holds every
 * PT_LOAD's and the PT_NOTE's bytes (the section headers at the end are
 * never read), and must then parse to the same result.
 */
static void test_elf_truncated(void)
{
	struct ldr_kernel full, k;
	const char *why;
	unsigned accepted = 0, rejected = 0;

	if (!real_get() || !ELF_ACCEPTS(real.img, real.len, &full))
		return;
	for (size_t len = 0; len <= real.ph_end; len++) {
		ELF_REJECTS(real.img, len, NULL);
		rejected++;
	}
	for (size_t len = real.ph_end + 1; len <= real.len;) {
		int r = parse_exact(real.img, len, &k, &why);

		if (len < real.needed) {
			if (r != -1 || !why)
				fail_at(__LINE__, "truncated copy rejected",
					"a copy missing segment bytes parsed");
			rejected++;
		} else if (r != 0 || k.entry64 != full.entry64 ||
			   k.nr_seg != full.nr_seg || k.hi != full.hi) {
			fail_at(__LINE__, "long enough copy parses",
				why ? why : "different result");
		} else {
			accepted++;
		}
		/* Around the boundary every length; elsewhere a sample. */
		if (len + 3 >= real.needed && len < real.needed + 3)
			len++;
		else if (len < real.needed && len + 509 > real.needed)
			len = real.needed - 3;
		else
			len += 509;
	}
	ELF_REJECTS(real.img, real.needed - 1, NULL);
	ELF_ACCEPTS(real.img, real.needed, &k);
	UT_CHECK(accepted > 0);
	printf("# truncation: %u lengths rejected, %u accepted\n", rejected,
	       accepted);
}

/* The ELF header: identity, type, machine, program header table. */
static void test_elf_bad_header(void)
{
	static const struct {
		unsigned off, size;
		uint64_t val;
		const char *reason;
	} m[] = {
		{0, 1, 0x7e, "not an ELF"},
		{1, 1, 'e', "not an ELF"},
		{2, 1, 'l', "not an ELF"},
		{3, 1, 'G', "not an ELF"},
		{4, 1, 1, "x86-64"},	       /* ELFCLASS32 */
		{4, 1, 0, "x86-64"},	       /* ELFCLASSNONE */
		{4, 1, 3, "x86-64"},	       /* no such class */
		{5, 1, 2, "x86-64"},	       /* big endian */
		{5, 1, 0, "x86-64"},	       /* ELFDATANONE */
		{E_TYPE, 2, 0, "x86-64"},      /* ET_NONE */
		{E_TYPE, 2, 1, "x86-64"},      /* ET_REL */
		{E_TYPE, 2, 3, "x86-64"},      /* ET_DYN: no fixed address */
		{E_TYPE, 2, 4, "x86-64"},      /* ET_CORE */
		{E_TYPE, 2, 0x0200, "x86-64"}, /* ET_EXEC byte-swapped */
		{E_MACHINE, 2, 3, "x86-64"},   /* EM_386 */
		{E_MACHINE, 2, 183, "x86-64"}, /* EM_AARCH64 */
		{E_MACHINE, 2, 0x3e00, "x86-64"},
		{E_PHENTSIZE, 2, 0, "program headers"},
		{E_PHENTSIZE, 2, 32, "program headers"}, /* ELF-32's */
		{E_PHENTSIZE, 2, 55, "program headers"},
		{E_PHENTSIZE, 2, 57, "program headers"},
		{E_PHENTSIZE, 2, 64, "program headers"},
		{E_PHENTSIZE, 2, 0xffff, "program headers"},
		{E_PHNUM, 2, 0, "program headers"},
		{E_PHNUM, 2, 0xffff, "program headers"}, /* PN_XNUM */
		{E_PHOFF, 8, UINT64_MAX, "program headers"},
		{E_PHOFF, 8, UINT64_MAX - 55, "program headers"},
		{E_PHOFF, 8, 1ull << 63, "program headers"},
		{E_PHOFF, 8, 1ull << 32, "program headers"},
	};
	uint8_t *img;

	if (!real_get())
		return;
	img = real_copy();
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		uint64_t saved = rd_le(img + m[i].off, m[i].size);

		wr_le(img + m[i].off, m[i].val, m[i].size);
		elf_rejects(img, real.len, m[i].reason, __LINE__);
		if (ut_failed_checks)
			printf("    # (mutation %zu: offset %u = %#llx)\n", i,
			       m[i].off, (unsigned long long)m[i].val);
		wr_le(img + m[i].off, saved, m[i].size);
	}
	/* phoff at, just before and past the end; phoff + size wrapping. */
	wr_le(img + E_PHOFF, real.len, 8);
	ELF_REJECTS(img, real.len, "program headers");
	wr_le(img + E_PHOFF, real.len - real.phnum * PHDR + 1, 8);
	ELF_REJECTS(img, real.len, "program headers");
	wr_le(img + E_PHOFF, UINT64_MAX - real.phnum * PHDR + 2, 8);
	ELF_REJECTS(img, real.len, "program headers");
	wr_le(img + E_PHOFF, real.phoff, 8);
	/* More headers than the file holds. */
	wr_le(img + E_PHNUM, real.len / PHDR + 1, 2);
	ELF_REJECTS(img, real.len, "program headers");
	wr_le(img + E_PHNUM, real.phnum, 2);
	/* Short of the 64-byte ELF header, however valid the start looks. */
	ELF_REJECTS(img, 63, "not an ELF");
	{
		struct ldr_kernel k;
		const char *why = NULL;

		UT_CHECK_EQ(ldr_elf_parse(NULL, 4096, &k, &why), -1);
		UT_CHECK(why != NULL);
	}
	/* The copy is back to the original: it must still parse. */
	{
		struct ldr_kernel k;

		ELF_ACCEPTS(img, real.len, &k);
	}
	free(img);
}

/* One mutation of a PT_LOAD field on a fresh copy of the real file. */
static void load_mut(int ph, unsigned field, uint64_t val, const char *reason,
		     int line)
{
	uint8_t *img = real_copy();

	if (field == P_PADDR)
		ph_set_addr(img, ph, val);
	else
		wr_le(real_ph(img, ph) + field, val, 8);
	elf_rejects(img, real.len, reason, line);
	free(img);
}

static void test_elf_bad_load(void)
{
	int t, d;
	uint64_t toff, tfsz, tmsz, tpa;

	(void)toff;

	if (!real_get())
		return;
	t = real.text_ph;
	d = real.data_ph;
	toff = ph_get(real.img, t, P_OFFSET);
	tfsz = ph_get(real.img, t, P_FILESZ);
	tmsz = ph_get(real.img, t, P_MEMSZ);
	tpa = ph_get(real.img, t, P_PADDR);

	/* filesz > memsz: the file claims more than the segment holds. */
	load_mut(t, P_FILESZ, tmsz + 1, "outside the file", __LINE__);
	load_mut(t, P_MEMSZ, tfsz - 1, "outside the file", __LINE__);
	/* The bytes past the end of the file, or wrapping around. */
	load_mut(t, P_OFFSET, real.len - tfsz + 1, "outside the file",
		 __LINE__);
	load_mut(t, P_OFFSET, real.len, "outside the file", __LINE__);
	load_mut(t, P_OFFSET, UINT64_MAX, "outside the file", __LINE__);
	load_mut(t, P_OFFSET, UINT64_MAX - tfsz + 1, "outside the file",
		 __LINE__);
	load_mut(t, P_OFFSET, UINT64_MAX - tfsz / 2, "outside the file",
		 __LINE__);
	load_mut(t, P_OFFSET, 1ull << 63, "outside the file", __LINE__);
	{
		uint8_t *img = real_copy();

		wr_le(real_ph(img, t) + P_FILESZ, UINT64_MAX, 8);
		wr_le(real_ph(img, t) + P_MEMSZ, UINT64_MAX, 8);
		ELF_REJECTS(img, real.len, "outside the file");
		free(img);
	}
	/* Not identity mapped: the loader copies to paddr, runs at vaddr. */
	{
		uint8_t *img = real_copy();

		wr_le(real_ph(img, t) + P_VADDR, tpa + 0x1000, 8);
		ELF_REJECTS(img, real.len, "identity");
		wr_le(real_ph(img, t) + P_VADDR, 0xffffffff80000000ull + tpa,
		      8);
		ELF_REJECTS(img, real.len, "identity");
		free(img);
	}
	/* Below 1 MiB is the firmware's (and the real-mode IVT's). */
	load_mut(t, P_PADDR, 0, "outside [1 MiB", __LINE__);
	load_mut(t, P_PADDR, 0xfffff, "outside [1 MiB", __LINE__);
	load_mut(t, P_PADDR, LDR_LOAD_MIN - 0x1000, "outside [1 MiB", __LINE__);
	/* At or above 4 GiB, straddling it, or wrapping past 2^64. */
	load_mut(t, P_PADDR, LDR_LOAD_MAX, "outside [1 MiB", __LINE__);
	load_mut(t, P_PADDR, LDR_LOAD_MAX - 0x1000, "outside [1 MiB", __LINE__);
	load_mut(t, P_PADDR, LDR_LOAD_MAX - tmsz + 1, "outside [1 MiB",
		 __LINE__);
	load_mut(t, P_PADDR, UINT64_MAX - 0xfff, "outside [1 MiB", __LINE__);
	load_mut(t, P_PADDR, UINT64_MAX - tmsz / 2, "outside [1 MiB", __LINE__);
	load_mut(d, P_MEMSZ, UINT64_MAX - ph_get(real.img, d, P_PADDR) + 1,
		 "outside [1 MiB", __LINE__);
	load_mut(d, P_MEMSZ, UINT64_MAX, "outside [1 MiB", __LINE__);
	load_mut(d, P_MEMSZ, LDR_LOAD_MAX, "outside [1 MiB", __LINE__);
}

static void test_elf_overlap(void)
{
	int t, d;
	uint64_t tpa, tmsz;
	uint8_t *img;

	if (!real_get())
		return;
	t = real.text_ph;
	d = real.data_ph;
	tpa = ph_get(real.img, t, P_PADDR);
	tmsz = ph_get(real.img, t, P_MEMSZ);
	/* The second segment starts inside, at or just before the first. */
	load_mut(d, P_PADDR, tpa + 0x1000, "overlap", __LINE__);
	load_mut(d, P_PADDR, tpa, "overlap", __LINE__);
	load_mut(d, P_PADDR, tpa + tmsz - 1, "overlap", __LINE__);
	/* (just before 1 MiB: refused as out of range before any overlap) */
	load_mut(d, P_PADDR, tpa - 1, "outside [1 MiB", __LINE__);
	/* The first grows over the second. */
	img = real_copy();
	wr_le(real_ph(img, t) + P_MEMSZ, ph_get(real.img, d, P_PADDR) - tpa + 1,
	      8);
	ELF_REJECTS(img, real.len, "overlap");
	/* Two program headers describing the same segment. */
	memcpy(real_ph(img, d), real_ph(img, t), PHDR);
	ELF_REJECTS(img, real.len, "overlap");
	free(img);
}

static void test_elf_fuzz(void)
{
	enum { ITERATIONS = 20000, MAX_FLIPS = 4 };
	size_t span, pos[MAX_FLIPS];
	uint8_t *img, saved[MAX_FLIPS];
	unsigned accepted = 0, rejected = 0, bad = 0;

	if (!real_get())
		return;
	span = real.len < 4096 ? real.len : 4096;
	img = real_copy();
	rng_state = 0x9e3779b97f4a7c15ull;
	for (unsigned it = 0; it < ITERATIONS; it++) {
		unsigned flips = 1 + (unsigned)rng_below(MAX_FLIPS);
		struct ldr_kernel k;
		const char *why = NULL;
		int r;

		for (unsigned i = 0; i < flips; i++) {
			/* Half the flips in the headers, where they matter. */
			pos[i] = rng_below(2) ? rng_below(real.ph_end)
					      : rng_below(span);
			saved[i] = img[pos[i]];
			img[pos[i]] ^= (uint8_t)(1 + rng_below(255));
		}
		memset(&k, 0x5a, sizeof(k));
		r = ldr_elf_parse(img, real.len, &k, &why);
		if (r == 0 && kernel_sane(&k, real.len))
			accepted++;
		else if (r == -1 && why)
			rejected++;
		else if (bad++ < 5)
			fail_at(__LINE__, "fuzzed ELF",
				"neither sane nor "
				"rejected with a reason");
		/* Undo in reverse: a position may have been hit twice. */
		while (flips--)
			img[pos[flips]] = saved[flips];
	}
	UT_CHECK_EQ(bad, 0);
	UT_CHECK(accepted > 0 && rejected > 0);
	UT_CHECK(memcmp(img, real.img, real.len) == 0);
	printf("# fuzz: %d mutants, %u accepted, %u rejected\n", ITERATIONS,
	       accepted, rejected);
	free(img);
}

UT_MAIN(UT_TEST(test_elf_real_kernel), UT_TEST(test_elf_truncated),
	UT_TEST(test_elf_bad_header), UT_TEST(test_elf_bad_load),
	UT_TEST(test_elf_overlap), UT_TEST(test_elf_fuzz))
