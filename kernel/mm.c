/*
 * mm.c - from the boot memory map to a running page allocator.
 *
 * The allocator keeps its per-page metadata outside the pages, so it needs
 * a home before it exists: we carve it from the first RAM after the kernel
 * image that the boot page tables reach (below 4 GiB), then claim it.
 */
#include "kernel/console.h"
#include "kernel/mm.h"
#include "kernel/printf.h"
#include "kernel/string.h"

struct pa_zone mm_zone;
struct mm_range mm_ranges[MM_MAX_RANGES];
uint32_t mm_nr_ranges;
uint64_t mm_ram_bytes;
uint32_t mm_overlaps;
uint64_t mm_meta_pfn, mm_meta_pages;

extern char __kernel_start[], __kernel_end[];

#define EARLY_LIMIT_PFN ((4ull << 30) >> 12)

static void report_pa_error(void *ctx, int err, uint64_t pfn, const char *what)
{
	kprintf("# page allocator: %s at pfn %#llx (%s)\n", pa_err_name(err),
		(unsigned long long)pfn, what);
}

void mm_set_error_hook(pa_error_fn fn, void *ctx)
{
	mm_zone.on_error = fn ? fn : report_pa_error;
	mm_zone.on_error_ctx = fn ? ctx : NULL;
}

uint64_t mm_default_reserve(uint64_t managed)
{
	uint64_t r = managed / 32; /* ~3% */

	if (r < 512)
		r = 512; /* 2 MiB */
	if (r > 16384)
		r = 16384; /* 64 MiB */
	if (r > managed / 4)
		r = managed / 4;
	return r;
}

int64_t mm_alloc_kernel_pages(unsigned order)
{
	return pa_alloc(&mm_zone, order, PA_KERNEL);
}

/*
 * Writes one byte to every page the allocator will hand out, then gives
 * them all back: afterwards the VMM really backs the guest's free memory
 * (make bench measures ballooning of dirtied memory, the costly case).
 * Blocks are chained through their own first words while held; 0 ends
 * the chain (the allocator manages nothing below 1 MiB).
 */
uint64_t mm_dirty_free_pages(void)
{
	int64_t head = 0, pfn;
	uint64_t pages = 0;

	for (int order = PA_MAX_ORDER; order >= 0; order--) {
		while ((pfn = mm_alloc_kernel_pages((unsigned)order)) >= 0) {
			uint64_t *blk = (uint64_t *)((uintptr_t)pfn << 12);

			for (int64_t i = 1; i < (1ll << order); i++) {
				uintptr_t pa = (uintptr_t)(pfn + i) << 12;

				*(volatile uint8_t *)pa = 0xd1;
			}
			blk[0] = (uint64_t)head;
			blk[1] = (uint64_t)order;
			head = pfn;
			pages += 1ull << order;
		}
	}
	while (head > 0) {
		uint64_t *blk = (uint64_t *)((uintptr_t)head << 12);
		int64_t next = (int64_t)blk[0];

		pa_free(&mm_zone, (uint64_t)head, (unsigned)blk[1], PA_KERNEL);
		head = next;
	}
	return pages;
}

int64_t mm_alloc_kernel_pages_below(unsigned order, uint64_t limit_pfn)
{
	return pa_alloc_below(&mm_zone, order, PA_KERNEL, limit_pfn);
}

/* Managed ranges: RAM clipped to >= 1 MiB, shrunk to whole pages, sorted. */
static void collect_ranges(const struct boot_info *bi)
{
	for (uint32_t i = 0; i < bi->nr_mmap; i++) {
		const struct mmap_entry *m = &bi->mmap[i];
		uint64_t start, end;

		for (uint32_t j = i + 1; j < bi->nr_mmap; j++) {
			const struct mmap_entry *o = &bi->mmap[j];

			if (m->addr < o->addr + o->size &&
			    o->addr < m->addr + m->size)
				mm_overlaps++;
		}
		if (m->type != MMAP_RAM)
			continue;
		mm_ram_bytes += m->size;
		start = m->addr < MM_LOW_LIMIT ? MM_LOW_LIMIT : m->addr;
		end = m->addr + m->size;
		start = (start + PA_PAGE_SIZE - 1) >> PA_PAGE_SHIFT;
		end >>= PA_PAGE_SHIFT;
		if (end <= start || mm_nr_ranges == MM_MAX_RANGES)
			continue;
		/* insertion sort by start */
		uint32_t k = mm_nr_ranges++;

		while (k && mm_ranges[k - 1].start_pfn > start) {
			mm_ranges[k] = mm_ranges[k - 1];
			k--;
		}
		mm_ranges[k].start_pfn = start;
		mm_ranges[k].end_pfn = end;
	}
}

/* First place at or after from_pfn, below the early map, for n pages. */
static uint64_t find_meta_home(uint64_t from_pfn, uint64_t n)
{
	for (uint32_t i = 0; i < mm_nr_ranges; i++) {
		uint64_t s = mm_ranges[i].start_pfn, e = mm_ranges[i].end_pfn;

		if (s < from_pfn)
			s = from_pfn;
		if (e > EARLY_LIMIT_PFN)
			e = EARLY_LIMIT_PFN;
		if (s < e && e - s >= n)
			return s;
	}
	return 0;
}

int mm_init(const struct boot_info *bi, char *err, size_t err_len)
{
	uint64_t base, end, npages, kstart, kend;
	int rc;

	if (bi->nr_mmap == 0) {
		ksnprintf(err, err_len, "the boot loader gave no memory map");
		return -1;
	}
	collect_ranges(bi);
	if (mm_nr_ranges == 0) {
		ksnprintf(err, err_len, "no RAM above 1 MiB in the memory map");
		return -1;
	}
	base = mm_ranges[0].start_pfn;
	end = 0;
	for (uint32_t i = 0; i < mm_nr_ranges; i++)
		if (mm_ranges[i].end_pfn > end)
			end = mm_ranges[i].end_pfn;
	npages = end - base;
	if (npages >= PA_NO_PFN) {
		ksnprintf(err, err_len, "%llu pages exceed the allocator's "
			  "32-bit PFN offsets", (unsigned long long)npages);
		return -1;
	}

	kstart = (uintptr_t)__kernel_start >> PA_PAGE_SHIFT;
	kend = ((uintptr_t)__kernel_end + PA_PAGE_SIZE - 1) >> PA_PAGE_SHIFT;
	mm_meta_pages = (pa_meta_bytes(npages) + PA_PAGE_SIZE - 1) >>
			PA_PAGE_SHIFT;
	mm_meta_pfn = find_meta_home(kend, mm_meta_pages);
	if (!mm_meta_pfn) {
		ksnprintf(err, err_len, "no room below 4 GiB for %llu pages "
			  "of allocator metadata",
			  (unsigned long long)mm_meta_pages);
		return -1;
	}

	rc = pa_init(&mm_zone, base, npages,
		     (struct pa_page *)(uintptr_t)(mm_meta_pfn << PA_PAGE_SHIFT));
	mm_set_error_hook(NULL, NULL);
	for (uint32_t i = 0; rc == PA_OK && i < mm_nr_ranges; i++)
		rc = pa_add_free_range(&mm_zone, mm_ranges[i].start_pfn,
				       mm_ranges[i].end_pfn);
	if (rc == PA_OK)
		rc = pa_claim_range(&mm_zone, kstart, kend, PA_KERNEL);
	if (rc == PA_OK)
		rc = pa_claim_range(&mm_zone, mm_meta_pfn,
				    mm_meta_pfn + mm_meta_pages, PA_KERNEL);
	if (rc == PA_OK)
		rc = pa_set_reserve(&mm_zone,
				    mm_default_reserve(mm_zone.managed));
	if (rc != PA_OK) {
		ksnprintf(err, err_len, "page allocator setup failed: %s",
			  pa_err_name(rc));
		return -1;
	}
	return 0;
}
