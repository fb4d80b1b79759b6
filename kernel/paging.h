/*
 * paging.h - the kernel's identity-mapped 4-level page tables.
 *
 * Virtual address == physical address everywhere. What varies is the
 * attributes: kernel text is read-only and executable, everything else
 * no-execute; the stack guard page and page 0 are not mapped at all, so
 * a stack overflow or a NULL dereference faults instead of corrupting.
 */
#ifndef PINPRICK_PAGING_H
#define PINPRICK_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/boot_info.h"

#define PG_P (1ull << 0)
#define PG_W (1ull << 1)
#define PG_U (1ull << 2)
#define PG_PWT (1ull << 3)
#define PG_PCD (1ull << 4)
#define PG_A (1ull << 5)
#define PG_D (1ull << 6)
#define PG_PS (1ull << 7)
#define PG_G (1ull << 8)
#define PG_NX (1ull << 63)
#define PG_ADDR_MASK 0x000ffffffffff000ull

/* Attribute sets for paging_map(); PG_NX is dropped if the CPU lacks NX. */
#define MAP_DATA (PG_W | PG_NX)
#define MAP_RODATA (PG_NX)
#define MAP_TEXT (0ull)
#define MAP_MMIO (PG_W | PG_NX | PG_PCD | PG_PWT)

extern bool paging_nx;		  /* NX is enabled (EFER.NXE) */
extern uint64_t paging_table_pages; /* pages used by the page tables */
extern uint64_t paging_mapped_bytes; /* RAM identity-mapped at boot */

/* Build the final tables from the memory map and switch CR3 to them. */
int paging_init(const struct boot_info *bi);

/* Identity-map [phys, phys + size) with attrs (page-granular). */
int paging_map(uint64_t phys, uint64_t size, uint64_t attrs);
int paging_unmap(uint64_t va, uint64_t size);

/*
 * Look up va: returns false if not mapped; else the leaf entry and the
 * page size shift (12, 21 or 30). NX in *entry means not executable.
 */
bool paging_query(uint64_t va, uint64_t *entry, unsigned *shift);

#endif
