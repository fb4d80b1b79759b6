/*
 * vbal_host_stubs.c - the kernel services the virtio-balloon driver and
 * virtio.c need, provided on the host for the unit tests.
 *
 * The driver and virtio.c address memory by identity: a PFN << 12 is a
 * pointer, and every PFN must fit a le32. So "guest memory" is a fixed
 * mapping low in the address space (below 4 GiB, and inside ASan's "low
 * memory" range on x86_64, which ends where its shadow starts at
 * 0x7fff8000), and mm_zone is a real page allocator over it. Time is a
 * fake clock that moves 1 ms per reading, so every timeout in the driver
 * ends after a known number of polls and no test waits in real time.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "kernel/mm.h"
#include "kernel/time.h"
#include "tests/unit/vbal_model.h"

struct pa_zone mm_zone;
static uint64_t fake_ns;

uint64_t vbm_now(void)
{
	return fake_ns += NSEC_PER_MSEC;
}

/* virtio.c's reset wait uses the kernel clock: the same fake one. */
uint64_t time_ns(void)
{
	return vbm_now();
}

int64_t mm_alloc_kernel_pages_below(unsigned order, uint64_t limit_pfn)
{
	return pa_alloc_below(&mm_zone, order, PA_KERNEL, limit_pfn);
}

void vbm_memory_init(void)
{
	static bool done;
	uint64_t base = VBM_BASE >> PA_PAGE_SHIFT;
	void *p;

	if (done)
		return;
	/* NOREPLACE: if anything already lives there (ASan, the loader),
	 * fail loudly instead of silently mapping over it. */
	p = mmap((void *)VBM_BASE, VBM_BYTES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)VBM_BASE) {
		perror("vbal_host_stubs: mmap of guest memory at 0x40000000");
		exit(2);
	}
	/* Metadata from malloc, so the allocator never writes into guest
	 * memory and the device model can tell who touched a page. */
	pa_init(&mm_zone, base, VBM_PAGES, malloc(pa_meta_bytes(VBM_PAGES)));
	pa_add_free_range(&mm_zone, base, base + VBM_PAGES);
	pa_set_reserve(&mm_zone, VBM_RESERVE);
	done = true;
}
