/*
 * pvh.c - turn the PVH loader's hvm_start_info into our struct boot_info.
 *
 * boot/pvh.asm gets us to 64-bit mode with the first 4 GiB identity
 * mapped and calls pvh_main with the physical address of hvm_start_info
 * (layout: Xen's arch-x86/hvm/start_info.h). We check its magic, copy the
 * memory map and the command line into boot_info, and enter the kernel.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/boot_info.h"
#include "kernel/console.h"
#include "kernel/string.h"
#include "kernel/x86.h"

#define HVM_START_MAGIC 0x336ec578u

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr; /* version >= 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
} __attribute__((packed));

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
} __attribute__((packed));

/* Only the first 4 GiB are mapped this early. */
#define EARLY_MAPPED (4ull << 30)

void pvh_main(uint32_t start_info_paddr);

static int early_ok(uint64_t paddr, uint64_t len)
{
	return paddr != 0 && paddr < EARLY_MAPPED && len <= EARLY_MAPPED - paddr;
}

void pvh_main(uint32_t start_info_paddr)
{
	const struct hvm_start_info *si =
		(const struct hvm_start_info *)(uintptr_t)start_info_paddr;
	struct boot_info *bi = &boot_info;

	bi->entry_tsc = rdtsc();
	bi->path = BOOT_PVH;
	console_init();

	if (!early_ok(start_info_paddr, sizeof(*si)) ||
	    si->magic != HVM_START_MAGIC) {
		kprintf("Bail out! PVH start_info at %#x has bad magic %#x "
			"(expected %#x)\n",
			start_info_paddr,
			early_ok(start_info_paddr, sizeof(*si)) ? si->magic : 0,
			HVM_START_MAGIC);
		halt_forever();
	}
	bi->loader_version = si->version;
	bi->rsdp = si->rsdp_paddr;

	if (si->cmdline_paddr && early_ok(si->cmdline_paddr, 1)) {
		const char *src = (const char *)(uintptr_t)si->cmdline_paddr;
		size_t n = 0;

		while (n < BI_CMDLINE_MAX - 1 && src[n])
			n++;
		memcpy(bi->cmdline, src, n);
		bi->cmdline[n] = '\0';
		bi->cmdline_truncated = src[n] != '\0';
		bi->cmdline_sources = BI_CMDLINE_PVH;
	}

	if (si->version >= 1 && si->memmap_entries &&
	    early_ok(si->memmap_paddr,
		     (uint64_t)si->memmap_entries * sizeof(struct hvm_memmap_entry))) {
		const struct hvm_memmap_entry *e =
			(const struct hvm_memmap_entry *)(uintptr_t)si->memmap_paddr;

		for (uint32_t i = 0; i < si->memmap_entries; i++) {
			/* QEMU microvm's table ends with an all-zero entry. */
			if (e[i].size == 0) {
				bi->mmap_empty++;
				continue;
			}
			if (bi->nr_mmap == BI_MAX_MMAP) {
				bi->mmap_dropped++;
				continue;
			}
			bi->mmap[bi->nr_mmap].addr = e[i].addr;
			bi->mmap[bi->nr_mmap].size = e[i].size;
			bi->mmap[bi->nr_mmap].type = e[i].type;
			bi->nr_mmap++;
		}
	}
	/* A version 0 start_info has no memory map: mm_init reports that. */
	kernel_main(bi);
}
