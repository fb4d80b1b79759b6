/*
 * workload.c - checksummed workload and pinned memory (see workload.h).
 *
 * The pattern: word 0 of a page is WL_MAGIC ^ pfn, word 1 its generation,
 * and the other 510 words come from a splitmix64 stream keyed by (pfn,
 * generation). A zeroed page fails word 0, a page moved to another frame
 * fails word 0's PFN, a page rolled back to an older copy fails word 1
 * against the generation kept in the PFN list, and a single flipped bit
 * anywhere fails its own word. Regenerating costs about what a checksum
 * would, and pinpoints the first bad word for the report.
 */
#include "kernel/workload.h"

#define WORDS (PA_PAGE_SIZE / sizeof(uint64_t))

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t wl_word(uint64_t pfn, uint64_t gen, unsigned i)
{
	if (i == 0)
		return WL_MAGIC ^ pfn;
	if (i == 1)
		return gen;
	return mix((pfn << 20 ^ gen) * 0x9e3779b97f4a7c15ull + i);
}

void wl_init(struct wl *w, struct pa_zone *z, uint8_t *(*map)(uint64_t),
	     enum pa_state state, uint64_t *storage, uint64_t cap)
{
	*w = (struct wl){.zone = z,
			 .map = map,
			 .state = state,
			 .pages = storage,
			 .cap = cap,
			 .gen = 1};
}

static void fill(struct wl *w, uint64_t pfn, uint64_t gen)
{
	uint64_t *p = (uint64_t *)w->map(pfn);

	for (unsigned i = 0; i < WORDS; i++)
		p[i] = wl_word(pfn, gen, i);
}

static uint64_t next_gen(struct wl *w)
{
	uint64_t g = w->gen++;

	/* Generations live in the entry's top 24 bits; wrap, skipping 0. */
	if (w->gen >> (64 - WL_PFN_BITS))
		w->gen = 1;
	return g;
}

uint64_t wl_grow(struct wl *w, uint64_t n)
{
	uint64_t added = 0;

	while (added < n && w->n < w->cap) {
		int64_t pfn = pa_alloc(w->zone, 0, w->state);
		uint64_t gen;

		if (pfn < 0)
			break;
		gen = next_gen(w);
		fill(w, (uint64_t)pfn, gen);
		w->pages[w->n++] = (uint64_t)pfn | gen << WL_PFN_BITS;
		added++;
	}
	return added;
}

uint64_t wl_shrink(struct wl *w, uint64_t n)
{
	uint64_t freed = 0;

	while (freed < n && w->n) {
		uint64_t pfn = w->pages[w->n - 1] & WL_PFN_MASK;

		if (pa_free(w->zone, pfn, 0, w->state) != PA_OK)
			break; /* the allocator counts the misuse */
		w->n--;
		freed++;
	}
	return freed;
}

void wl_rewrite(struct wl *w, uint64_t i)
{
	uint64_t pfn, gen;

	if (i >= w->n)
		return;
	pfn = w->pages[i] & WL_PFN_MASK;
	gen = next_gen(w);
	fill(w, pfn, gen);
	w->pages[i] = pfn | gen << WL_PFN_BITS;
}

uint64_t wl_verify(struct wl *w)
{
	uint64_t bad = 0;

	w->bad_pfn = 0; /* PFN 0 is never managed: "none" */
	for (uint64_t k = 0; k < w->n; k++) {
		uint64_t pfn = w->pages[k] & WL_PFN_MASK;
		uint64_t gen = w->pages[k] >> WL_PFN_BITS;
		const volatile uint64_t *p =
			(const volatile uint64_t *)w->map(pfn);

		for (unsigned i = 0; i < WORDS; i++) {
			uint64_t want = wl_word(pfn, gen, i), got = p[i];

			if (got == want)
				continue;
			if (!bad) {
				w->bad_pfn = pfn;
				w->bad_word = i;
				w->bad_got = got;
				w->bad_want = want;
			}
			bad++;
			break;
		}
	}
	return bad;
}
