/*
 * elf_sym.h - finding a symbol's address in an ELF64 file's .symtab, so
 * the runner can put a breakpoint on a label in the kernel it boots. The
 * file is untrusted input: every offset, size and string is checked
 * against the image before it is used.
 */
#ifndef PINPRICK_RUNNER_ELF_SYM_H
#define PINPRICK_RUNNER_ELF_SYM_H

#include <stddef.h>
#include <stdint.h>

#define ELFS_FILE_MAX (256u << 20) /* larger files are refused */

/*
 * Looks name up in the SHT_SYMTAB of the little-endian ELF64 image
 * img[0..len). A defined global symbol wins over a local one; two
 * different global definitions are an error. 0 and *addr, or -1 with err.
 */
int elfs_lookup(const void *img, size_t len, const char *name, uint64_t *addr,
		char *err, size_t err_size);

/* Reads path (at most ELFS_FILE_MAX bytes) and calls elfs_lookup. */
int elfs_lookup_file(const char *path, const char *name, uint64_t *addr,
		     char *err, size_t err_size);

#endif
