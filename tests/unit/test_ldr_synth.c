/*
 * test_ldr_synth.c - the UEFI loader's ELF check (boot/efi/ldr_elf.c)
 * against small synthetic images built here: what the real kernel file
 * cannot express, such as nine PT_LOADs, a second PT_NOTE, notes that
 * run past their segment or entries outside the executable code. Every
 * expected rejection names the check that should fire. Shared helpers:
 * ldr_rig.h; the real kernel's tests: test_ldr_elf.c.
 */
#include "tests/unit/ldr_rig.h"

/* ---- ELF: synthetic images ---------------------------------------------- */

/*
 * A small image laid out like the real one: ELF header, program headers,
 * a text segment at 2 MiB with the entry in it, a data segment at 3 MiB
 * whose file bytes hold the pinprick note, and a PT_NOTE for it.
 */
#define SYN_LEN	     0x1000
#define SYN_TEXT_OFF 0x800
#define SYN_TEXT_PA  0x200000ull
#define SYN_TEXT_SZ  0x100
#define SYN_DATA_OFF 0x900
#define SYN_DATA_PA  0x300000ull
#define SYN_DATA_SZ  0x400 /* file bytes; the note is inside */
#define SYN_NOTE_OFF 0xa00
#define SYN_ENTRY    (SYN_TEXT_PA + 0x10)

struct syn {
	uint8_t img[SYN_LEN];
	unsigned nph;
};

static void syn_init(struct syn *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->img,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	wr_le(s->img + E_TYPE, 2, 2);	  /* ET_EXEC */
	wr_le(s->img + E_MACHINE, 62, 2); /* EM_X86_64 */
	wr_le(s->img + 20, 1, 4);	  /* e_version */
	wr_le(s->img + 24, SYN_ENTRY, 8); /* e_entry: not what we use */
	wr_le(s->img + E_PHOFF, 64, 8);
	wr_le(s->img + 52, 64, 2); /* e_ehsize */
	wr_le(s->img + E_PHENTSIZE, PHDR, 2);
}

static void syn_ph(struct syn *s, uint32_t type, uint32_t flags, uint64_t off,
		   uint64_t pa, uint64_t filesz, uint64_t memsz)
{
	uint8_t *ph = s->img + 64 + s->nph * PHDR;

	wr_le(ph + P_TYPE, type, 4);
	wr_le(ph + P_FLAGS, flags, 4);
	wr_le(ph + P_OFFSET, off, 8);
	wr_le(ph + P_VADDR, pa, 8);
	wr_le(ph + P_PADDR, pa, 8);
	wr_le(ph + P_FILESZ, filesz, 8);
	wr_le(ph + P_MEMSZ, memsz, 8);
	wr_le(ph + 48, 0x1000, 8);
	wr_le(s->img + E_PHNUM, ++s->nph, 2);
}

/*
 * Writes a note at p: the header fields as given (they may lie), then
 * name_len bytes of name padded to 4, then the 8-byte desc. Returns the
 * bytes written.
 */
static size_t put_note(uint8_t *p, uint32_t namesz, const char *name,
		       size_t name_len, uint32_t descsz, uint32_t type,
		       uint64_t desc)
{
	size_t name_al = (name_len + 3) & ~(size_t)3;

	wr_le(p, namesz, 4);
	wr_le(p + 4, descsz, 4);
	wr_le(p + 8, type, 4);
	memset(p + 12, 0, name_al);
	memcpy(p + 12, name, name_len);
	wr_le(p + 12 + name_al, desc, 8);
	return 12 + name_al + 8;
}

static void syn_loads(struct syn *s)
{
	syn_ph(s, PT_LOAD, PF_R | PF_X, SYN_TEXT_OFF, SYN_TEXT_PA, SYN_TEXT_SZ,
	       0x1000);
	syn_ph(s, PT_LOAD, PF_R | PF_W, SYN_DATA_OFF, SYN_DATA_PA, SYN_DATA_SZ,
	       0x3000);
}

/* The good image: the loads, one pinprick note and a PT_NOTE for it. */
static void syn_good(struct syn *s)
{
	size_t n;

	syn_init(s);
	syn_loads(s);
	n = put_note(s->img + SYN_NOTE_OFF, 9, "pinprick", 9, 8, 1, SYN_ENTRY);
	syn_ph(s, PT_NOTE, PF_R, SYN_NOTE_OFF, SYN_DATA_PA + 0x100, n, n);
}

/* vaddr = paddr of program header i (they sit at offset 64). */
static void syn_set_addr(uint8_t *img, int i, uint64_t a)
{
	wr_le(img + 64 + i * PHDR + P_VADDR, a, 8);
	wr_le(img + 64 + i * PHDR + P_PADDR, a, 8);
}

#define SYN_ACCEPTS(s, k) ELF_ACCEPTS((s)->img, SYN_LEN, k)
#define SYN_REJECTS(s, r) ELF_REJECTS((s)->img, SYN_LEN, r)

/* The builder makes a good image, and the limits are inclusive. */
static void test_elf_synthetic_good(void)
{
	struct syn s;
	struct ldr_kernel k;

	syn_good(&s);
	if (SYN_ACCEPTS(&s, &k)) {
		UT_CHECK_EQ(k.nr_seg, 2);
		UT_CHECK_EQ(k.entry64, SYN_ENTRY);
		UT_CHECK_EQ(k.lo, SYN_TEXT_PA);
		UT_CHECK_EQ(k.hi, SYN_DATA_PA + 0x3000);
		UT_CHECK_EQ(k.seg[1].filesz, SYN_DATA_SZ);
		UT_CHECK_EQ(k.seg[1].flags, PF_R | PF_W);
		UT_CHECK(kernel_sane(&k, SYN_LEN));
	}
	/* A segment may start at exactly 1 MiB and end at exactly 4 GiB. */
	syn_init(&s);
	syn_ph(&s, PT_LOAD, PF_R | PF_X, SYN_TEXT_OFF, LDR_LOAD_MIN,
	       SYN_TEXT_SZ, 0x1000);
	syn_ph(&s, PT_LOAD, PF_R, SYN_DATA_OFF, LDR_LOAD_MAX - 0x3000,
	       SYN_DATA_SZ, 0x3000);
	put_note(s.img + SYN_NOTE_OFF, 9, "pinprick", 9, 8, 1, LDR_LOAD_MIN);
	syn_ph(&s, PT_NOTE, PF_R, SYN_NOTE_OFF, 0, 32, 32);
	if (SYN_ACCEPTS(&s, &k)) {
		UT_CHECK_EQ(k.lo, LDR_LOAD_MIN);
		UT_CHECK_EQ(k.hi, LDR_LOAD_MAX);
	}
	/* Segments that touch without overlapping; one not page aligned. */
	syn_good(&s);
	syn_set_addr(s.img, 1, SYN_TEXT_PA + 0x1000);
	SYN_ACCEPTS(&s, &k);
	syn_good(&s);
	wr_le(s.img + 64 + P_MEMSZ, 0x123, 8);
	syn_set_addr(s.img, 1, SYN_TEXT_PA + 0x123);
	if (SYN_ACCEPTS(&s, &k)) {
		UT_CHECK_EQ(k.lo, SYN_TEXT_PA);
		UT_CHECK_EQ(k.hi, SYN_TEXT_PA + 0x4000);
	}
	/* A PT_LOAD with no memory has nothing to load and is skipped. */
	syn_good(&s);
	syn_ph(&s, PT_LOAD, PF_R, SYN_DATA_OFF, SYN_TEXT_PA, 0, 0);
	if (SYN_ACCEPTS(&s, &k))
		UT_CHECK_EQ(k.nr_seg, 2);
	/* Other program header types (GNU_STACK, PT_NULL) are ignored. */
	syn_good(&s);
	syn_ph(&s, 0x6474e551, PF_R | PF_W, 0, 0, 0, 0);
	syn_ph(&s, PT_NULL, 0, UINT64_MAX, UINT64_MAX, UINT64_MAX, 1);
	SYN_ACCEPTS(&s, &k);
	/* No PT_LOAD at all. */
	syn_init(&s);
	put_note(s.img + SYN_NOTE_OFF, 9, "pinprick", 9, 8, 1, SYN_ENTRY);
	syn_ph(&s, PT_NOTE, PF_R, SYN_NOTE_OFF, 0, 32, 32);
	SYN_REJECTS(&s, "no PT_LOAD");
}

/* LDR_MAX_SEGS PT_LOADs fit in struct ldr_kernel; one more must not. */
static void test_elf_too_many_loads(void)
{
	struct syn s;
	struct ldr_kernel k;

	for (unsigned loads = 1; loads <= LDR_MAX_SEGS + 3; loads++) {
		syn_good(&s);
		for (unsigned i = 2; i < loads + 1; i++)
			syn_ph(&s, PT_LOAD, PF_R, SYN_DATA_OFF,
			       0x400000 + i * 0x1000, 0x10, 0x1000);
		/* loads + 1 PT_LOADs in all: text, data and the extra. */
		if (loads + 1 <= LDR_MAX_SEGS) {
			if (SYN_ACCEPTS(&s, &k))
				UT_CHECK_EQ(k.nr_seg, loads + 1);
		} else {
			SYN_REJECTS(&s, "more than 8");
		}
	}
	/* Empty PT_LOADs do not count towards the limit. */
	syn_good(&s);
	for (unsigned i = 0; i < LDR_MAX_SEGS - 2; i++)
		syn_ph(&s, PT_LOAD, PF_R, SYN_DATA_OFF, 0x400000 + i * 0x1000,
		       0x10, 0x1000);
	for (unsigned i = 0; i < 4; i++)
		syn_ph(&s, PT_LOAD, PF_R, 0, 0, 0, 0);
	if (SYN_ACCEPTS(&s, &k))
		UT_CHECK_EQ(k.nr_seg, LDR_MAX_SEGS);
}

/* Synthetic overlaps the real file's layout cannot show. */
static void test_elf_overlap_synthetic(void)
{
	struct syn s;

	/* The second inside the first; the first inside the second. */
	syn_good(&s);
	syn_ph(&s, PT_LOAD, PF_R, SYN_DATA_OFF, SYN_DATA_PA + 0x1000, 0x10,
	       0x10);
	SYN_REJECTS(&s, "overlap");
	syn_good(&s);
	syn_ph(&s, PT_LOAD, PF_R, SYN_DATA_OFF, SYN_DATA_PA - 0x1000, 0x10,
	       0x10000);
	SYN_REJECTS(&s, "overlap");
	/* Overlapping by one byte, however many segments lie between. */
	syn_good(&s);
	syn_ph(&s, PT_LOAD, PF_R, SYN_DATA_OFF, 0x500000, 0x10, 0x1000);
	syn_ph(&s, PT_LOAD, PF_R, SYN_DATA_OFF, 0x600000, 0x10, 0x1000);
	syn_ph(&s, PT_LOAD, PF_R, SYN_DATA_OFF, SYN_TEXT_PA + 0xfff, 0x10, 1);
	SYN_REJECTS(&s, ""); /* filesz 0x10 > memsz 1 may be caught first */
}

/* A synthetic image whose only note is the one given. */
static void syn_one_note(struct syn *s, uint32_t namesz, const char *name,
			 size_t name_len, uint32_t descsz, uint32_t type,
			 uint64_t note_seg_size)
{
	size_t n;

	syn_init(s);
	syn_loads(s);
	n = put_note(s->img + SYN_NOTE_OFF, namesz, name, name_len, descsz,
		     type, SYN_ENTRY);
	syn_ph(s, PT_NOTE, PF_R, SYN_NOTE_OFF, 0,
	       note_seg_size ? note_seg_size : n, n);
}

static void test_elf_note(void)
{
	struct syn s;
	struct ldr_kernel k;
	uint8_t *img;
	size_t n;

	/* No PT_NOTE at all: a kernel built without uefi_entry.asm. */
	syn_init(&s);
	syn_loads(&s);
	SYN_REJECTS(&s, "no pinprick UEFI entry note");
	/* Names that are almost right are someone else's note. */
	syn_one_note(&s, 8, "pinpric", 8, 8, 1, 0);
	SYN_REJECTS(&s, "no pinprick UEFI entry note");
	syn_one_note(&s, 10, "pinprickX", 10, 8, 1, 0);
	SYN_REJECTS(&s, "no pinprick UEFI entry note");
	syn_one_note(&s, 8, "pinprick", 8, 8, 1, 0); /* no NUL */
	SYN_REJECTS(&s, "no pinprick UEFI entry note");
	syn_one_note(&s, 9, "pinprick\x01", 9, 8, 1, 0);
	SYN_REJECTS(&s, "no pinprick UEFI entry note");
	syn_one_note(&s, 9, "Pinprick", 9, 8, 1, 0);
	SYN_REJECTS(&s, "no pinprick UEFI entry note");
	syn_one_note(&s, 12, "pinprick\0\0\0", 12, 8, 1, 0);
	SYN_REJECTS(&s, "no pinprick UEFI entry note");
	syn_one_note(&s, 0, "", 0, 8, 1, 0);
	SYN_REJECTS(&s, "no pinprick UEFI entry note");
	/* The right name with another type. */
	syn_one_note(&s, 9, "pinprick", 9, 8, 0, 0);
	SYN_REJECTS(&s, "no pinprick UEFI entry note");
	syn_one_note(&s, 9, "pinprick", 9, 8, 2, 0);
	SYN_REJECTS(&s, "no pinprick UEFI entry note");
	syn_one_note(&s, 9, "pinprick", 9, 8, 0x101, 0);
	SYN_REJECTS(&s, "no pinprick UEFI entry note");
	/* The entry note must hold exactly a u64. */
	syn_one_note(&s, 9, "pinprick", 9, 4, 1, 0);
	SYN_REJECTS(&s, "not 8 bytes");
	syn_one_note(&s, 9, "pinprick", 9, 0, 1, 0);
	SYN_REJECTS(&s, "not 8 bytes");
	syn_one_note(&s, 9, "pinprick", 9, 16, 1, 64);
	SYN_REJECTS(&s, "not 8 bytes");
	syn_one_note(&s, 9, "pinprick", 9, 16, 1, 0); /* and past the end */
	SYN_REJECTS(&s, "runs past");
	/* Sizes that run past the segment, or wrap when rounded up. */
	syn_one_note(&s, 1000, "pinprick", 9, 8, 1, 0);
	SYN_REJECTS(&s, "runs past");
	syn_one_note(&s, UINT32_MAX, "pinprick", 9, 8, 1, 0);
	SYN_REJECTS(&s, "runs past");
	syn_one_note(&s, UINT32_MAX - 2, "pinprick", 9, 8, 1, 0);
	SYN_REJECTS(&s, "runs past");
	syn_one_note(&s, 9, "pinprick", 9, UINT32_MAX, 1, 0);
	SYN_REJECTS(&s, "runs past");
	syn_one_note(&s, 9, "pinprick", 9, UINT32_MAX - 2, 1, 0);
	SYN_REJECTS(&s, "runs past");
	/* A huge namesz runs past even when the file has room after it. */
	syn_one_note(&s, 40, "pinprick", 9, 8, 1, 32);
	SYN_REJECTS(&s, "runs past");
	/* A PT_NOTE too short for a note header has no notes. */
	syn_one_note(&s, 9, "pinprick", 9, 8, 1, 11);
	SYN_REJECTS(&s, "no pinprick UEFI entry note");
	syn_one_note(&s, 9, "pinprick", 9, 8, 1, 31); /* desc cut short */
	SYN_REJECTS(&s, "runs past");
	/* A PT_NOTE whose bytes lie outside the file. */
	syn_good(&s);
	wr_le(s.img + 64 + 2 * PHDR + P_OFFSET, SYN_LEN - 31, 8);
	SYN_REJECTS(&s, "PT_NOTE segment lies outside");
	wr_le(s.img + 64 + 2 * PHDR + P_OFFSET, UINT64_MAX - 15, 8);
	SYN_REJECTS(&s, "PT_NOTE segment lies outside");
	syn_good(&s);
	wr_le(s.img + 64 + 2 * PHDR + P_FILESZ, UINT64_MAX, 8);
	SYN_REJECTS(&s, "PT_NOTE segment lies outside");

	/* Another owner's note first (as the Xen PVH note is) is skipped. */
	syn_init(&s);
	syn_loads(&s);
	n = put_note(s.img + SYN_NOTE_OFF, 4, "Xen", 4, 4, 0x12, 0x100000);
	n -= 4; /* its desc is 4 bytes */
	n += put_note(s.img + SYN_NOTE_OFF + n, 9, "pinprick", 9, 8, 1,
		      SYN_ENTRY);
	syn_ph(&s, PT_NOTE, PF_R, SYN_NOTE_OFF, 0, n, n);
	if (SYN_ACCEPTS(&s, &k))
		UT_CHECK_EQ(k.entry64, SYN_ENTRY);
	/* A pinprick note of another type first, then the entry. */
	syn_init(&s);
	syn_loads(&s);
	n = put_note(s.img + SYN_NOTE_OFF, 9, "pinprick", 9, 8, 7, 0xdead);
	n += put_note(s.img + SYN_NOTE_OFF + n, 9, "pinprick", 9, 8, 1,
		      SYN_ENTRY);
	syn_ph(&s, PT_NOTE, PF_R, SYN_NOTE_OFF, 0, n, n);
	if (SYN_ACCEPTS(&s, &k))
		UT_CHECK_EQ(k.entry64, SYN_ENTRY);
	/* The note in a second PT_NOTE, after one without it. */
	syn_init(&s);
	syn_loads(&s);
	n = put_note(s.img + SYN_NOTE_OFF, 4, "GNU", 4, 8, 3, 0);
	put_note(s.img + SYN_NOTE_OFF + n, 9, "pinprick", 9, 8, 1, SYN_ENTRY);
	syn_ph(&s, PT_NOTE, PF_R, SYN_NOTE_OFF, 0, n, n);
	syn_ph(&s, PT_NOTE, PF_R, SYN_NOTE_OFF + n, 0, 32, 32);
	if (SYN_ACCEPTS(&s, &k))
		UT_CHECK_EQ(k.entry64, SYN_ENTRY);

	/* The same on the real file: note type, size, name, segment. */
	if (!real_get())
		return;
	img = real_copy();
	wr_le(img + real.note_off + 8, 2, 4);
	ELF_REJECTS(img, real.len, "no pinprick UEFI entry note");
	memcpy(img, real.img, real.len);
	img[real.note_off + 12 + 7] = 'K';
	ELF_REJECTS(img, real.len, "no pinprick UEFI entry note");
	memcpy(img, real.img, real.len);
	wr_le(img + real.note_off + 4, 4, 4);
	ELF_REJECTS(img, real.len, "not 8 bytes");
	memcpy(img, real.img, real.len);
	wr_le(img + real.note_off, UINT32_MAX, 4);
	ELF_REJECTS(img, real.len, "runs past");
	memcpy(img, real.img, real.len);
	wr_le(real_ph(img, real.note_ph) + P_TYPE, PT_NULL, 4);
	ELF_REJECTS(img, real.len, "no pinprick UEFI entry note");
	memcpy(img, real.img, real.len);
	wr_le(real_ph(img, real.note_ph) + P_FILESZ,
	      real.note_off - ph_get(real.img, real.note_ph, P_OFFSET), 8);
	ELF_REJECTS(img, real.len, "no pinprick UEFI entry note");
	free(img);
}

/* entry64 must be a byte the loader copied into an executable segment. */
static void test_elf_entry(void)
{
	struct syn s;
	struct ldr_kernel k;
	uint64_t tpa, tfsz;
	uint8_t *img;

	if (real_get()) {
		tpa = ph_get(real.img, real.text_ph, P_PADDR);
		tfsz = ph_get(real.img, real.text_ph, P_FILESZ);
		img = real_copy();
		set_entry(img, real.note_off, tpa);
		ELF_ACCEPTS(img, real.len, &k);
		set_entry(img, real.note_off, tpa + tfsz - 1);
		ELF_ACCEPTS(img, real.len, &k);
		set_entry(img, real.note_off, tpa + tfsz);
		ELF_REJECTS(img, real.len, "not inside an executable");
		set_entry(img, real.note_off, tpa - 1);
		ELF_REJECTS(img, real.len, "not inside an executable");
		set_entry(img, real.note_off,
			  ph_get(real.img, real.data_ph, P_PADDR));
		ELF_REJECTS(img, real.len, "not inside an executable");
		set_entry(img, real.note_off, 0);
		ELF_REJECTS(img, real.len, "not inside an executable");
		set_entry(img, real.note_off, UINT64_MAX);
		ELF_REJECTS(img, real.len, "not inside an executable");
		/* The right address in a segment that lost PF_X. */
		memcpy(img, real.img, real.len);
		wr_le(real_ph(img, real.text_ph) + P_FLAGS, PF_R, 4);
		ELF_REJECTS(img, real.len, "not inside an executable");
		free(img);
	}
	/* In the executable segment's zero-filled tail: not code. */
	syn_good(&s);
	put_note(s.img + SYN_NOTE_OFF, 9, "pinprick", 9, 8, 1,
		 SYN_TEXT_PA + SYN_TEXT_SZ);
	SYN_REJECTS(&s, "not inside an executable");
	put_note(s.img + SYN_NOTE_OFF, 9, "pinprick", 9, 8, 1,
		 SYN_TEXT_PA + SYN_TEXT_SZ - 1);
	SYN_ACCEPTS(&s, &k);
	/* In the data segment, which the tests made writable, not X. */
	put_note(s.img + SYN_NOTE_OFF, 9, "pinprick", 9, 8, 1,
		 SYN_DATA_PA + 0x10);
	SYN_REJECTS(&s, "not inside an executable");
}

/*
 * Random byte flips in the first 4 KiB of the real file (headers, program
 * headers and what follows). Whatever comes out must either be rejected
 * with a reason or be something the loader can safely act on.
 */

UT_MAIN(UT_TEST(test_elf_synthetic_good), UT_TEST(test_elf_too_many_loads),
	UT_TEST(test_elf_overlap_synthetic), UT_TEST(test_elf_note),
	UT_TEST(test_elf_entry))
