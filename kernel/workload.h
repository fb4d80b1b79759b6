/*
 * workload.h - memory a scenario owns, written with a checksummed pattern.
 *
 * Stands in for what a real guest keeps in RAM: an application's heap
 * (PA_WORKLOAD pages) or memory it pinned (PA_PINNED: mlock, large pages,
 * a locked JVM heap). Every page is filled with a pattern that depends on
 * its PFN and a generation number, so reading it back tells whether the
 * hypervisor lost, zeroed, swapped or rolled back a page the guest still
 * owned. Only the PFN list (with each page's generation) is kept outside
 * the pages; the pattern is regenerated to verify.
 */
#ifndef PINPRICK_WORKLOAD_H
#define PINPRICK_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/page_alloc.h"

#define WL_PFN_BITS 40 /* low bits of an entry: PFN; high: generation */
#define WL_PFN_MASK ((1ull << WL_PFN_BITS) - 1)
#define WL_MAGIC    0x70696e7072696b00ull /* "pinprik\0" */

struct wl {
	struct pa_zone *zone;
	uint8_t *(*map)(uint64_t pfn); /* the page's bytes */
	enum pa_state state;	       /* PA_WORKLOAD or PA_PINNED */
	uint64_t *pages;	       /* entries: pfn | gen << WL_PFN_BITS */
	uint64_t n, cap;
	uint64_t gen; /* the next generation written */
	/* Last verification failure, for diagnostics. */
	uint64_t bad_pfn, bad_word, bad_got, bad_want;
};

void wl_init(struct wl *w, struct pa_zone *z, uint8_t *(*map)(uint64_t),
	     enum pa_state state, uint64_t *storage, uint64_t cap);
/* Allocate and write up to n pages; returns pages added. */
uint64_t wl_grow(struct wl *w, uint64_t n);
/* Free up to n pages, newest first; returns pages freed. */
uint64_t wl_shrink(struct wl *w, uint64_t n);
/* Rewrite page i with a new generation (the guest dirtied it again). */
void wl_rewrite(struct wl *w, uint64_t i);
/* Pages whose contents are not what was written; 0 when all intact. */
uint64_t wl_verify(struct wl *w);

/* The pattern itself, for tests that corrupt a page on purpose. */
uint64_t wl_word(uint64_t pfn, uint64_t gen, unsigned i);

#endif
