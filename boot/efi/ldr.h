/*
 * ldr.h - the UEFI loader's firmware-independent parts.
 *
 * The loader (efi_main.c) is the only file that talks to UEFI. What it
 * does with the bytes it gets - checking the embedded kernel ELF, turning
 * the UEFI memory map into boot_info's E820-style map, building the
 * command line from pinprick.cfg and LoadOptions - is plain C in
 * ldr_elf.c, ldr_mmap.c and ldr_cmdline.c, so host unit tests
 * (tests/unit/test_ldr.c) can feed them hostile input. Nothing here
 * calls the C library: the same objects link into the EFI application.
 * Errors are static strings, because there is no printf to format them.
 */
#ifndef PINPRICK_LDR_H
#define PINPRICK_LDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/boot_info.h"

/* ---- the kernel ELF (ldr_elf.c) ---- */

#define LDR_MAX_SEGS		   8
#define LDR_LOAD_MIN		   (1ull << 20) /* below 1 MiB is firmware territory */
#define LDR_LOAD_MAX		   (4ull << 30) /* uefi_start64 maps the first 4 GiB */
#define PINPRICK_NOTE_NAME	   "pinprick"
#define PINPRICK_NOTE_UEFI_ENTRY64 1 /* desc: u64 entry (boot/uefi_entry.asm)  \
				      */

struct ldr_seg {
	uint64_t paddr;	 /* = vaddr: the kernel is identity mapped */
	uint64_t offset; /* in the file */
	uint64_t filesz;
	uint64_t memsz; /* filesz bytes copied, the rest zeroed */
	uint32_t flags; /* PF_X 1, PF_W 2, PF_R 4 */
};

struct ldr_kernel {
	struct ldr_seg seg[LDR_MAX_SEGS];
	unsigned nr_seg;
	uint64_t lo, hi; /* page-aligned span of every segment */
	uint64_t entry64;
};

/*
 * Checks that img (len bytes) is an x86-64 ELF executable pinprick can
 * load: every PT_LOAD inside the file, identity mapped in [1 MiB, 4 GiB),
 * no two overlapping, and a pinprick note naming a 64-bit entry inside an
 * executable segment. 0, or -1 with *why.
 */
int ldr_elf_parse(const void *img, size_t len, struct ldr_kernel *k,
		  const char **why);

/* ---- the memory map (ldr_mmap.c) ---- */

/* EFI_MEMORY_DESCRIPTOR as UEFI 2.x defines it (desc_size may be larger). */
struct ldr_efi_desc {
	uint32_t type;
	uint32_t pad;
	uint64_t phys;
	uint64_t virt;
	uint64_t pages; /* 4 KiB pages */
	uint64_t attr;
};

/* The E820 type (enum mmap_type) the kernel should see for a UEFI type. */
uint32_t ldr_mmap_type(uint32_t efi_type);

/*
 * Converts the map as GetMemoryMap returned it (map_size bytes, stepping
 * by desc_size) into bi->mmap: sorted by address, neighbours of the same
 * type merged, at most BI_MAX_MMAP entries (the rest counted in
 * bi->mmap_dropped), empty or wrapping descriptors counted in
 * bi->mmap_empty. Sets bi->efi_descs. -1 with *why if desc_size is too
 * small to be a descriptor (nothing converted).
 */
int ldr_mmap_convert(const void *map, size_t map_size, size_t desc_size,
		     struct boot_info *bi, const char **why);

/* ---- the command line (ldr_cmdline.c) ---- */

#define LDR_CFG_MAX 8192 /* bytes of pinprick.cfg read */

/*
 * Appends the options in a pinprick.cfg (len bytes) to out (a string in a
 * buffer of out_size): lines starting with '#' are comments, the rest are
 * joined with single spaces. A file with bytes other than printable ASCII,
 * tab, CR and LF is rejected whole (-1, *why, out unchanged). Sets
 * *truncated if out fills up.
 */
int ldr_cfg_append(char *out, size_t out_size, const char *cfg, size_t len,
		   bool *truncated, const char **why);

/*
 * Appends EFI LoadOptions (UCS-2, bytes long) to out. They must be
 * printable ASCII code units up to an optional NUL, else -1 with *why and
 * out unchanged. A first word ending in ".efi" without '=' is the image
 * name the UEFI Shell puts first and is dropped.
 */
int ldr_loadopt_append(char *out, size_t out_size, const void *opts,
		       size_t bytes, bool *truncated, const char **why);

/* Is word one of the blank-separated words of the string s? */
bool ldr_has_word(const char *s, const char *word);

#endif
