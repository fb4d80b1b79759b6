/*
 * uefi.c - the kernel side of the UEFI boot path.
 *
 * boot/uefi_entry.asm has switched to our GDT, stack and early page
 * tables and calls uefi_main with what the loader (boot/efi/) handed over:
 * its struct boot_info, a magic number and the size of the structure as
 * the loader was compiled. The loader lives in memory that is now free
 * RAM, so we check the handshake, copy the structure into the kernel's
 * own boot_info at once and enter the same kernel_main as PVH.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/boot_info.h"
#include "kernel/console.h"
#include "kernel/exit.h"
#include "kernel/string.h"
#include "kernel/x86.h"

void uefi_main(const struct boot_info *src, uint64_t magic, uint64_t size);

void uefi_main(const struct boot_info *src, uint64_t magic, uint64_t size)
{
	struct boot_info *bi = &boot_info;
	uint64_t tsc = rdtsc();

	console_init();
	if (magic != UEFI_HANDOFF_MAGIC || size != sizeof(*bi) || !src ||
	    (uintptr_t)src >= (4ull << 30) - sizeof(*bi)) {
		kprintf("Bail out! UEFI handoff rejected: magic %#llx "
			"(expected "
			"%#llx), size %llu (expected %llu), boot_info at %p; "
			"rebuild pinprick.efi and pinprick.elf together\n",
			(unsigned long long)magic,
			(unsigned long long)UEFI_HANDOFF_MAGIC,
			(unsigned long long)size,
			(unsigned long long)sizeof(*bi), (const void *)src);
		pp_exit(EXIT_CRASH);
	}
	memcpy(bi, src, sizeof(*bi));
	/* Whatever the loader wrote: this is the door we came in by. */
	bi->path = BOOT_UEFI;
	bi->entry_tsc = tsc;
	bi->cmdline[BI_CMDLINE_MAX - 1] = '\0';
	bi->firmware[sizeof(bi->firmware) - 1] = '\0';
	bi->loader_note[sizeof(bi->loader_note) - 1] = '\0';
	if (bi->nr_mmap > BI_MAX_MMAP) {
		bi->mmap_dropped += bi->nr_mmap - BI_MAX_MMAP;
		bi->nr_mmap = BI_MAX_MMAP;
	}
	kernel_main(bi);
}
