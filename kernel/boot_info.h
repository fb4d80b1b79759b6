/*
 * boot_info.h - what every boot path hands to kernel_main.
 *
 * PVH (boot/pvh.c) and the UEFI loader (boot/efi/, entering through
 * boot/uefi.c) fill the same structure, so the kernel never needs to know
 * how it was started. Everything is copied out of the
 * loader's memory into our own .bss before anything else runs, so the
 * loader's structures may be overwritten afterwards.
 */
#ifndef PINPRICK_BOOT_INFO_H
#define PINPRICK_BOOT_INFO_H

#include <stdbool.h>
#include <stdint.h>

#define BI_MAX_MMAP 128
#define BI_CMDLINE_MAX 2048

enum boot_path { BOOT_UNKNOWN = 0, BOOT_PVH, BOOT_UEFI };

/* Where the command line came from (boot_info.cmdline_sources). */
#define BI_CMDLINE_PVH 0x1     /* hvm_start_info cmdline */
#define BI_CMDLINE_CFG 0x2     /* pinprick.cfg beside the EFI application */
#define BI_CMDLINE_LOADOPT 0x4 /* the EFI LoadOptions */

/*
 * The UEFI loader passes (struct boot_info *, UEFI_HANDOFF_MAGIC,
 * sizeof(struct boot_info)) to uefi_start64; a mismatch means loader and
 * kernel were built from different sources.
 */
#define UEFI_HANDOFF_MAGIC 0x70696e7072696b31ull /* "pinprik1" */

/* E820 types, which PVH uses as they are and UEFI is translated into. */
enum mmap_type {
	MMAP_RAM = 1,
	MMAP_RESERVED = 2,
	MMAP_ACPI = 3,
	MMAP_NVS = 4,
	MMAP_UNUSABLE = 5,
	MMAP_DISABLED = 6,
	MMAP_PMEM = 7,
};

struct mmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct boot_info {
	enum boot_path path;
	uint32_t loader_version; /* PVH: start_info version; UEFI: ST revision */
	uint32_t cmdline_sources; /* BI_CMDLINE_* */
	uint32_t nr_mmap;
	uint32_t mmap_dropped;	 /* entries beyond BI_MAX_MMAP */
	uint32_t mmap_empty;	 /* zero-size entries the loader gave, skipped */
	struct mmap_entry mmap[BI_MAX_MMAP];
	char cmdline[BI_CMDLINE_MAX];
	bool cmdline_truncated;
	uint64_t rsdp;		 /* physical address, 0 if unknown */
	uint64_t entry_tsc;	 /* TSC when the kernel was entered */

	/* Filled by the UEFI loader only. */
	uint64_t loader_tsc;	 /* TSC when efi_main started */
	char firmware[64];	 /* vendor and revision, e.g. "EDK II 0x10000" */
	uint32_t exit_attempts;	 /* ExitBootServices calls (1 = no retry) */
	uint32_t efi_descs;	 /* descriptors in the final UEFI memory map */
	uint32_t loader_warnings; /* problems the loader worked around */
	char loader_note[160];	 /* the first of them, for the report */
};

extern struct boot_info boot_info;

const char *boot_path_name(enum boot_path p);
const char *mmap_type_name(uint32_t type);

void kernel_main(struct boot_info *bi) __attribute__((noreturn));

#endif
