/*
 * ldr_rig.h - shared helpers of the UEFI loader's host tests
 * (test_ldr_elf.c, test_ldr_synth.c, test_ldr_mmap.c,
 * test_ldr_mmap_merge.c, test_ldr_cmdline.c):
 * little-endian access, a seeded PRNG, failure reports with a line, and
 * parsing an ELF image copied into a buffer of exactly its length (ASan
 * sees an overrun only if nothing valid follows the input).
 *
 * Each test file uses part of it, hence the unused-function pragma.
 */
#ifndef PINPRICK_LDR_RIG_H
#define PINPRICK_LDR_RIG_H

#pragma GCC diagnostic ignored "-Wunused-function"

#include <stdbool.h>

#include "boot/efi/ldr.h"
#include "tests/unit/ut.h"

#define KERNEL_ELF "build/pinprick.elf"

/* ---- helpers ------------------------------------------------------------ */

static uint64_t rd_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static void wr_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* xorshift64: a fixed seed makes every run (and every failure) the same. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t rng_below(uint64_t n)
{
	return rng() % n;
}

/* Records a failed check at the caller's line (ut.h's format). */
static void fail_at(int line, const char *what, const char *detail)
{
	ut_failed_checks++;
	printf("    # check failed: %s: %s (%s:%d)\n", what, detail, __FILE__,
	       line);
}

/* ---- ELF: parsing a copy of exactly the given length -------------------- */

/* ELF offsets used by the mutations (ELF-64 gABI). */
#define E_TYPE	    16
#define E_MACHINE   18
#define E_PHOFF	    32
#define E_PHENTSIZE 54
#define E_PHNUM	    56
#define P_TYPE	    0
#define P_FLAGS	    4
#define P_OFFSET    8
#define P_VADDR	    16
#define P_PADDR	    24
#define P_FILESZ    32
#define P_MEMSZ	    40
#define PHDR	    56
#define PT_NULL	    0
#define PT_LOAD	    1
#define PT_NOTE	    4
#define PF_X	    1
#define PF_W	    2
#define PF_R	    4

static int parse_exact(const uint8_t *img, size_t len, struct ldr_kernel *k,
		       const char **why)
{
	uint8_t *copy = malloc(len);
	int r;

	if (!copy && len) {
		perror("malloc");
		exit(2);
	}
	if (len)
		memcpy(copy, img, len);
	*why = NULL;
	/* Garbage in *k: the parser must not rely on the caller clearing it. */
	memset(k, 0x5a, sizeof(*k));
	r = ldr_elf_parse(copy, len, k, why);
	free(copy);
	return r;
}

/* Expects a rejection whose reason contains reason (if not NULL). */
#define ELF_REJECTS(img, len, reason) elf_rejects(img, len, reason, __LINE__)

static void elf_rejects(const uint8_t *img, size_t len, const char *reason,
			int line)
{
	struct ldr_kernel k;
	const char *why;
	int r = parse_exact(img, len, &k, &why);
	char detail[256];

	if (r == -1 && why && (!reason || strstr(why, reason)))
		return;
	snprintf(detail, sizeof(detail),
		 "returned %d, why \"%s\", expected a rejection for \"%s\"", r,
		 why ? why : "(null)", reason ? reason : "any reason");
	fail_at(line, "ldr_elf_parse rejects", detail);
}

#define ELF_ACCEPTS(img, len, k) elf_accepts(img, len, k, __LINE__)

static bool elf_accepts(const uint8_t *img, size_t len, struct ldr_kernel *k,
			int line)
{
	const char *why;
	int r = parse_exact(img, len, k, &why);
	char detail[256];

	if (r == 0)
		return true;
	snprintf(detail, sizeof(detail), "returned %d, why \"%s\"", r,
		 why ? why : "(null)");
	fail_at(line, "ldr_elf_parse accepts", detail);
	return false;
}

/*
 * What a parse that succeeded must guarantee, whatever the input: the
 * loader copies seg[i] from the file to paddr and jumps to entry64 with
 * no further checks.
 */
static bool kernel_sane(const struct ldr_kernel *k, size_t len)
{
	bool entry_ok = false;

	if (k->nr_seg == 0 || k->nr_seg > LDR_MAX_SEGS)
		return false;
	if ((k->lo & 0xfff) || (k->hi & 0xfff) || k->lo >= k->hi ||
	    k->lo < LDR_LOAD_MIN || k->hi > LDR_LOAD_MAX)
		return false;
	for (unsigned i = 0; i < k->nr_seg; i++) {
		const struct ldr_seg *s = &k->seg[i];

		if (s->memsz == 0 || s->filesz > s->memsz)
			return false;
		if (s->paddr < LDR_LOAD_MIN || s->paddr >= LDR_LOAD_MAX ||
		    s->memsz > LDR_LOAD_MAX - s->paddr)
			return false;
		if (s->offset > len || s->filesz > len - s->offset)
			return false;
		if (s->paddr < k->lo || s->paddr + s->memsz > k->hi)
			return false;
		for (unsigned j = 0; j < i; j++) {
			const struct ldr_seg *o = &k->seg[j];

			if (s->paddr < o->paddr + o->memsz &&
			    o->paddr < s->paddr + s->memsz)
				return false;
		}
		if ((s->flags & PF_X) && k->entry64 >= s->paddr &&
		    k->entry64 - s->paddr < s->filesz)
			entry_ok = true;
	}
	return entry_ok;
}

/* ---- ELF: the real kernel ----------------------------------------------- */

struct real_elf {
	uint8_t *img;
	size_t len;
	uint64_t sym_entry; /* uefi_start64, from nm */
	uint64_t phoff;
	unsigned phnum;
	size_t ph_end;	 /* end of the program headers */
	size_t needed;	 /* end of the last PT_LOAD or PT_NOTE bytes */
	int text_ph;	 /* the executable PT_LOAD */
	int data_ph;	 /* another PT_LOAD */
	int note_ph;	 /* the PT_NOTE holding the pinprick note */
	size_t note_off; /* file offset of the pinprick note's header */
	bool ok;
};

static struct real_elf real;

static bool nm_entry(uint64_t *addr)
{
	FILE *p = popen("nm " KERNEL_ELF " 2>/dev/null", "r");
	char line[512], name[256], kind;
	unsigned long long a;
	bool found = false;

	if (!p)
		return false;
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "%llx %c %255s", &a, &kind, name) == 3 &&
		    strcmp(name, "uefi_start64") == 0) {
			*addr = a;
			found = true;
		}
	if (pclose(p) != 0)
		return false;
	return found;
}

/* Finds the pinprick note in the real file, with bounds checked. */
static bool real_find_note(void)
{
	for (unsigned i = 0; i < real.phnum; i++) {
		const uint8_t *ph = real.img + real.phoff + i * PHDR;
		uint64_t off = rd_le(ph + P_OFFSET, 8);
		uint64_t size = rd_le(ph + P_FILESZ, 8), pos = 0;

		if (rd_le(ph + P_TYPE, 4) != PT_NOTE || off > real.len ||
		    size > real.len - off)
			continue;
		while (size - pos >= 12) {
			const uint8_t *n = real.img + off + pos;
			uint64_t namesz = rd_le(n, 4), descsz = rd_le(n + 4, 4);
			uint64_t step = 12 + ((namesz + 3) & ~3ull) +
					((descsz + 3) & ~3ull);

			if (step > size - pos)
				break;
			if (namesz == 9 && rd_le(n + 8, 4) == 1 &&
			    memcmp(n + 12, "pinprick", 9) == 0) {
				real.note_ph = (int)i;
				real.note_off = off + pos;
				return true;
			}
			pos += step;
		}
	}
	return false;
}

/* Loads build/pinprick.elf once; false (and one failed check) if absent. */
static bool real_get(void)
{
	static bool tried;
	FILE *f;
	long n;

	if (tried) {
		if (!real.ok)
			fail_at(__LINE__, KERNEL_ELF, "not loaded (see above)");
		return real.ok;
	}
	tried = true;
	f = fopen(KERNEL_ELF, "rb");
	if (!f) {
		fail_at(__LINE__, KERNEL_ELF,
			"cannot be opened: run `make` first, and run the test "
			"from the repository root");
		return false;
	}
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 64 ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		fail_at(__LINE__, KERNEL_ELF, "is not a readable ELF file");
		return false;
	}
	real.len = (size_t)n;
	real.img = malloc(real.len);
	if (!real.img || fread(real.img, 1, real.len, f) != real.len) {
		fclose(f);
		fail_at(__LINE__, KERNEL_ELF, "could not be read");
		return false;
	}
	fclose(f);
	if (!nm_entry(&real.sym_entry)) {
		fail_at(__LINE__, KERNEL_ELF,
			"`nm` found no uefi_start64 (binutils missing?)");
		return false;
	}
	/* The test's own reading of the headers, to aim the mutations. */
	real.phoff = rd_le(real.img + E_PHOFF, 8);
	real.phnum = (unsigned)rd_le(real.img + E_PHNUM, 2);
	real.text_ph = real.data_ph = real.note_ph = -1;
	if (real.phoff > real.len ||
	    (uint64_t)real.phnum * PHDR > real.len - real.phoff) {
		fail_at(__LINE__, KERNEL_ELF, "program headers out of file");
		return false;
	}
	real.ph_end = real.phoff + real.phnum * PHDR;
	real.needed = real.ph_end;
	for (unsigned i = 0; i < real.phnum; i++) {
		const uint8_t *ph = real.img + real.phoff + i * PHDR;
		uint32_t type = (uint32_t)rd_le(ph + P_TYPE, 4);
		size_t end = rd_le(ph + P_OFFSET, 8) + rd_le(ph + P_FILESZ, 8);

		if (type != PT_LOAD && type != PT_NOTE)
			continue;
		if (end > real.needed)
			real.needed = end;
		if (type != PT_LOAD)
			continue;
		if ((rd_le(ph + P_FLAGS, 4) & PF_X) && real.text_ph < 0)
			real.text_ph = (int)i;
		else if (real.data_ph < 0)
			real.data_ph = (int)i;
	}
	if (real.text_ph < 0 || real.data_ph < 0 || !real_find_note()) {
		fail_at(__LINE__, KERNEL_ELF,
			"has no executable PT_LOAD, second PT_LOAD or pinprick "
			"note for the tests to aim at");
		return false;
	}
	real.ok = true;
	return true;
}

/* A fresh, writable copy of the real file (same length). */
static uint8_t *real_copy(void)
{
	uint8_t *c = malloc(real.len);

	if (!c) {
		perror("malloc");
		exit(2);
	}
	memcpy(c, real.img, real.len);
	return c;
}

static uint8_t *real_ph(uint8_t *img, int i)
{
	return img + real.phoff + (size_t)i * PHDR;
}

static uint64_t ph_get(const uint8_t *img, int i, unsigned field)
{
	return rd_le(img + real.phoff + (size_t)i * PHDR + field,
		     field == P_TYPE || field == P_FLAGS ? 4 : 8);
}

/* Sets vaddr and paddr together, so only the intended check can fire. */
static void ph_set_addr(uint8_t *img, int i, uint64_t a)
{
	wr_le(real_ph(img, i) + P_VADDR, a, 8);
	wr_le(real_ph(img, i) + P_PADDR, a, 8);
}

static void set_entry(uint8_t *img, size_t note_off, uint64_t entry)
{
	/* header 12, "pinprick\0" padded to 12, then the 8-byte entry */
	wr_le(img + note_off + 24, entry, 8);
}

/* The real kernel parses, with the entry nm reports and sane segments. */

#endif
