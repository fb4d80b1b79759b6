/*
 * paging.c - build and edit the identity map.
 *
 * RAM is mapped with 2 MiB pages where a whole aligned 2 MiB is RAM and
 * with 4 KiB pages at the edges; a 2 MiB page is split into 4 KiB pages
 * when one part needs other attributes (kernel sections, the stack guard,
 * page 0). Page-table pages come from the page allocator as kernel pages,
 * so the accounting includes them.
 */
#include <stdint.h>

#include "kernel/mm.h"
#include "kernel/paging.h"
#include "kernel/string.h"
#include "kernel/x86.h"

#define SZ_4K 0x1000ull
#define SZ_2M 0x200000ull

bool paging_nx;
uint64_t paging_table_pages, paging_mapped_bytes;
static uint64_t *pml4;
static bool live; /* our tables are in CR3 */

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __kernel_end[], boot_stack_guard[];

static uint64_t *new_table(void)
{
	/* Before the switch only the boot map's first 4 GiB are reachable. */
	int64_t pfn = live ? mm_alloc_kernel_pages(0)
			   : mm_alloc_kernel_pages_below(0, (4ull << 30) >> 12);
	uint64_t *t;

	if (pfn <= 0) /* pfn 0 is never managed; <= keeps analysers calm */
		return NULL;
	t = (uint64_t *)(uintptr_t)((uint64_t)pfn << 12);
	memset(t, 0, 4096);
	paging_table_pages++;
	return t;
}

static uint64_t *table_at(uint64_t entry)
{
	return (uint64_t *)(uintptr_t)(entry & PG_ADDR_MASK);
}

static void flush(uint64_t va)
{
	if (live)
		invlpg(va);
}

/* Split the 2 MiB page in *pde into 512 4 KiB pages with the same attrs. */
static int split_2m(uint64_t *pde)
{
	uint64_t *pt = new_table();
	uint64_t base = *pde & PG_ADDR_MASK & ~(SZ_2M - 1);
	uint64_t attrs = *pde & ~PG_ADDR_MASK & ~PG_PS;

	if (!pt)
		return -1;
	for (int i = 0; i < 512; i++)
		pt[i] = (base + i * SZ_4K) | attrs;
	*pde = (uintptr_t)pt | PG_P | PG_W;
	return 0;
}

/*
 * Entry for va at the PD level (want_4k false) or PT level (true),
 * creating tables on the way; NULL when out of memory.
 */
static uint64_t *walk_create(uint64_t va, bool want_4k)
{
	uint64_t *t = pml4;
	uint64_t *pde;

	for (int level = 3; level >= 2; level--) {
		uint64_t *e = &t[(va >> (12 + 9 * level)) & 511];

		if (!(*e & PG_P)) {
			uint64_t *n = new_table();

			if (!n)
				return NULL;
			*e = (uintptr_t)n | PG_P | PG_W;
		}
		t = table_at(*e);
	}
	pde = &t[(va >> 21) & 511];
	if (!want_4k)
		return pde;
	if ((*pde & PG_P) && (*pde & PG_PS) && split_2m(pde) < 0)
		return NULL;
	if (!(*pde & PG_P)) {
		uint64_t *n = new_table();

		if (!n)
			return NULL;
		*pde = (uintptr_t)n | PG_P | PG_W;
	}
	return &table_at(*pde)[(va >> 12) & 511];
}

static uint64_t fix_attrs(uint64_t attrs)
{
	if (!paging_nx)
		attrs &= ~PG_NX;
	return attrs | PG_P;
}

int paging_map(uint64_t phys, uint64_t size, uint64_t attrs)
{
	uint64_t a = phys & ~(SZ_4K - 1);
	uint64_t end = (phys + size + SZ_4K - 1) & ~(SZ_4K - 1);

	attrs = fix_attrs(attrs);
	while (a < end) {
		uint64_t *e;

		if (!(a & (SZ_2M - 1)) && end - a >= SZ_2M) {
			e = walk_create(a, false);
			if (!e)
				return -1;
			/* A PD entry that points to a table keeps 4K pages. */
			if (!(*e & PG_P) || (*e & PG_PS)) {
				*e = a | attrs | PG_PS;
				flush(a);
				a += SZ_2M;
				continue;
			}
		}
		e = walk_create(a, true);
		if (!e)
			return -1;
		*e = a | attrs;
		flush(a);
		a += SZ_4K;
	}
	return 0;
}

int paging_unmap(uint64_t va, uint64_t size)
{
	uint64_t a = va & ~(SZ_4K - 1);

	for (; a < va + size; a += SZ_4K) {
		uint64_t *e = walk_create(a, true);

		if (!e)
			return -1;
		*e = 0;
		flush(a);
	}
	return 0;
}

bool paging_query(uint64_t va, uint64_t *entry, unsigned *shift)
{
	uint64_t *t = pml4;

	for (int level = 3; level >= 0; level--) {
		uint64_t e = t[(va >> (12 + 9 * level)) & 511];

		if (!(e & PG_P))
			return false;
		if (level == 0 || (level <= 2 && (e & PG_PS))) {
			*entry = e;
			*shift = 12 + 9 * level;
			return true;
		}
		t = table_at(e);
	}
	return false;
}

int paging_init(const struct boot_info *bi)
{
	paging_nx = (rdmsr(MSR_EFER) & EFER_NXE) != 0;
	pml4 = new_table();
	if (!pml4)
		return -1;

	for (uint32_t i = 0; i < bi->nr_mmap; i++) {
		const struct mmap_entry *m = &bi->mmap[i];
		uint64_t start = (m->addr + SZ_4K - 1) & ~(SZ_4K - 1);
		uint64_t end = (m->addr + m->size) & ~(SZ_4K - 1);

		if (end <= start)
			continue;
		if (m->type == MMAP_RAM) {
			if (paging_map(start, end - start, MAP_DATA) < 0)
				return -1;
			paging_mapped_bytes += end - start;
		} else if (m->type == MMAP_ACPI || m->type == MMAP_NVS) {
			/* ACPI tables: readable, never executable. */
			if (paging_map(start, end - start, MAP_RODATA) < 0)
				return -1;
		}
	}

	/* The kernel image gets exact per-section attributes. */
	if (paging_map((uintptr_t)__text_start,
		       (uintptr_t)__text_end - (uintptr_t)__text_start,
		       MAP_TEXT) < 0 ||
	    paging_map((uintptr_t)__rodata_start,
		       (uintptr_t)__data_start - (uintptr_t)__rodata_start,
		       MAP_RODATA) < 0 ||
	    paging_map((uintptr_t)__data_start,
		       (uintptr_t)__kernel_end - (uintptr_t)__data_start,
		       MAP_DATA) < 0)
		return -1;
	if (paging_unmap((uintptr_t)boot_stack_guard, SZ_4K) < 0 ||
	    paging_unmap(0, SZ_4K) < 0)
		return -1;

	write_cr0(read_cr0() | CR0_WP);
	write_cr3((uintptr_t)pml4);
	live = true;
	return 0;
}
