/*
 * ldr_elf.c - check the kernel ELF the loader carries before copying it.
 *
 * The kernel image is embedded in the EFI application at build time, so
 * in practice it is our own build/pinprick.elf. It is still checked as if
 * it came from anywhere: a loader that copies a segment to where the
 * firmware lives, or jumps to an address outside the code it copied,
 * fails silently and far from the cause. Every field is read byte by byte
 * (the blob need not be aligned) and every sum is checked for overflow.
 */
#include "boot/efi/ldr.h"

#define EI_NIDENT   16
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define ET_EXEC	    2
#define EM_X86_64   62
#define PT_LOAD	    1
#define PT_NOTE	    4
#define PF_X	    1
#define EHDR_SIZE   64
#define PHDR_SIZE   56
#define PAGE	    4096ull

static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

/* [off, off + size) inside a file of len bytes, without wrapping. */
static bool in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static bool same_name(const uint8_t *p, uint64_t namesz, const char *name)
{
	uint64_t i;

	for (i = 0; name[i]; i++)
		if (i >= namesz || p[i] != (uint8_t)name[i])
			return false;
	return namesz == i + 1 && p[i] == 0;
}

/* Walks the notes of one PT_NOTE segment for the pinprick entry note. */
static int find_entry_note(const uint8_t *img, uint64_t off, uint64_t size,
			   struct ldr_kernel *k, const char **why)
{
	uint64_t pos = 0;

	while (size - pos >= 12) {
		const uint8_t *n = img + off + pos;
		uint64_t namesz = rd(n, 4), descsz = rd(n + 4, 4);
		uint64_t type = rd(n + 8, 4);
		uint64_t name_al = (namesz + 3) & ~3ull;
		uint64_t desc_al = (descsz + 3) & ~3ull;

		if (name_al > size - pos - 12 ||
		    desc_al > size - pos - 12 - name_al) {
			*why = "a note runs past the end of its PT_NOTE "
			       "segment";
			return -1;
		}
		if (type == PINPRICK_NOTE_UEFI_ENTRY64 &&
		    same_name(n + 12, namesz, PINPRICK_NOTE_NAME)) {
			if (descsz != 8) {
				*why = "the pinprick entry note is not 8 bytes";
				return -1;
			}
			k->entry64 = rd(n + 12 + name_al, 8);
			return 1;
		}
		pos += 12 + name_al + desc_al;
	}
	return 0;
}

static int add_load(const uint8_t *ph, size_t len, struct ldr_kernel *k,
		    const char **why)
{
	struct ldr_seg s;

	s.flags = (uint32_t)rd(ph + 4, 4);
	s.offset = rd(ph + 8, 8);
	s.paddr = rd(ph + 24, 8);
	s.filesz = rd(ph + 32, 8);
	s.memsz = rd(ph + 40, 8);
	if (s.memsz == 0)
		return 0;
	if (k->nr_seg == LDR_MAX_SEGS) {
		*why = "more than 8 PT_LOAD segments";
		return -1;
	}
	if (s.filesz > s.memsz || !in_file(s.offset, s.filesz, len)) {
		*why = "a PT_LOAD segment's bytes lie outside the file";
		return -1;
	}
	if (rd(ph + 16, 8) != s.paddr) {
		*why = "a PT_LOAD segment is not identity mapped (vaddr != "
		       "paddr)";
		return -1;
	}
	if (s.paddr < LDR_LOAD_MIN || s.paddr > LDR_LOAD_MAX ||
	    s.memsz > LDR_LOAD_MAX - s.paddr) {
		*why = "a PT_LOAD segment lies outside [1 MiB, 4 GiB)";
		return -1;
	}
	for (unsigned i = 0; i < k->nr_seg; i++) {
		const struct ldr_seg *o = &k->seg[i];

		if (s.paddr < o->paddr + o->memsz &&
		    o->paddr < s.paddr + s.memsz) {
			*why = "two PT_LOAD segments overlap";
			return -1;
		}
	}
	k->seg[k->nr_seg++] = s;
	return 0;
}

int ldr_elf_parse(const void *blob, size_t len, struct ldr_kernel *k,
		  const char **why)
{
	const uint8_t *img = blob;
	uint64_t phoff, phnum;
	int found = 0;

	k->nr_seg = 0;
	k->lo = k->hi = k->entry64 = 0;
	if (!img || len < EHDR_SIZE || rd(img, 4) != 0x464c457fu) {
		*why = "not an ELF file";
		return -1;
	}
	if (img[4] != ELFCLASS64 || img[5] != ELFDATA2LSB ||
	    rd(img + 16, 2) != ET_EXEC || rd(img + 18, 2) != EM_X86_64) {
		*why = "not a little-endian x86-64 ELF executable";
		return -1;
	}
	phoff = rd(img + 32, 8);
	phnum = rd(img + 56, 2);
	if (rd(img + 54, 2) != PHDR_SIZE || phnum == 0 ||
	    !in_file(phoff, phnum * PHDR_SIZE, len)) {
		*why = "the program headers lie outside the file";
		return -1;
	}
	for (uint64_t i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + i * PHDR_SIZE;
		uint32_t type = (uint32_t)rd(ph, 4);

		if (type == PT_LOAD && add_load(ph, len, k, why))
			return -1;
		if (type == PT_NOTE && !found) {
			uint64_t off = rd(ph + 8, 8), size = rd(ph + 32, 8);

			if (!in_file(off, size, len)) {
				*why = "a PT_NOTE segment lies outside the "
				       "file";
				return -1;
			}
			found = find_entry_note(img, off, size, k, why);
			if (found < 0)
				return -1;
		}
	}
	if (k->nr_seg == 0) {
		*why = "no PT_LOAD segment";
		return -1;
	}
	if (!found) {
		*why = "no pinprick UEFI entry note (kernel without "
		       "uefi_entry.asm?)";
		return -1;
	}
	k->lo = ~0ull;
	for (unsigned i = 0; i < k->nr_seg; i++) {
		const struct ldr_seg *s = &k->seg[i];
		uint64_t end = (s->paddr + s->memsz + PAGE - 1) & ~(PAGE - 1);

		if ((s->paddr & ~(PAGE - 1)) < k->lo)
			k->lo = s->paddr & ~(PAGE - 1);
		if (end > k->hi)
			k->hi = end;
	}
	for (unsigned i = 0; i < k->nr_seg; i++) {
		const struct ldr_seg *s = &k->seg[i];

		if ((s->flags & PF_X) && k->entry64 >= s->paddr &&
		    k->entry64 < s->paddr + s->filesz)
			return 0;
	}
	*why = "the UEFI entry is not inside an executable segment";
	return -1;
}
