/*
 * mm.h - the kernel's memory: one page allocator zone over all RAM.
 *
 * mm_init turns the boot memory map into the allocator's managed ranges
 * (RAM at or above 1 MiB), places the per-page metadata, and marks the
 * kernel image and the metadata as kernel pages. Everything else that
 * owns memory (page tables, drivers, workloads, balloons) asks mm_zone.
 */
#ifndef PINPRICK_MM_H
#define PINPRICK_MM_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/boot_info.h"
#include "kernel/page_alloc.h"

#define MM_MAX_RANGES BI_MAX_MMAP
#define MM_LOW_LIMIT 0x100000ull /* below 1 MiB is firmware's */

struct mm_range {
	uint64_t start_pfn, end_pfn; /* [start, end) */
};

extern struct pa_zone mm_zone;
extern struct mm_range mm_ranges[MM_MAX_RANGES];
extern uint32_t mm_nr_ranges;
extern uint64_t mm_ram_bytes;	  /* all RAM in the map, incl. < 1 MiB */
extern uint32_t mm_overlaps;	  /* overlapping map entries found */
extern uint64_t mm_meta_pfn, mm_meta_pages;

/* Returns 0, or -1 with a reason in err. */
int mm_init(const struct boot_info *bi, char *err, size_t err_len);

/* Default reserve floor for a zone of this many managed pages. */
uint64_t mm_default_reserve(uint64_t managed);

int64_t mm_alloc_kernel_pages(unsigned order);
int64_t mm_alloc_kernel_pages_below(unsigned order, uint64_t limit_pfn);
/* Touch every allocatable page once, give them back; returns the count. */
uint64_t mm_dirty_free_pages(void);

/* Replace the allocator's error reporter (NULL restores the default). */
void mm_set_error_hook(pa_error_fn fn, void *ctx);

#endif
