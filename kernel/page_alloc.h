/*
 * page_alloc.h - the buddy page allocator: the single owner of every page.
 *
 * Every managed 4 KiB page has exactly one owner state (free, kernel,
 * workload, pinned, ballooned).  Per-state counters always add up to the
 * managed total, so "where did my RAM go?" always has an exact answer.
 *
 * Metadata lives in a separate array (one struct pa_page per PFN), never
 * inside the pages themselves: a free or ballooned page is never touched,
 * which matters when the hypervisor has reclaimed it.
 *
 * The same code is built into the kernel and into host unit tests.
 */
#ifndef PINPRICK_PAGE_ALLOC_H
#define PINPRICK_PAGE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PA_PAGE_SHIFT 12
#define PA_PAGE_SIZE (1ull << PA_PAGE_SHIFT)
#define PA_MAX_ORDER 10 /* 4 MiB blocks; order 9 = 2 MiB */
#define PA_NO_PFN UINT32_MAX

enum pa_state {
	PA_ABSENT = 0, /* not managed: hole, firmware, below 1 MiB */
	PA_FREE,
	PA_KERNEL,
	PA_WORKLOAD,
	PA_PINNED,
	PA_BALLOONED,
	PA_NSTATES
};

enum pa_err {
	PA_OK = 0,
	PA_ERR_RANGE = -1,	 /* PFN outside the zone or not managed */
	PA_ERR_STATE = -2,	 /* page is not in the expected state */
	PA_ERR_DOUBLE_FREE = -3, /* freeing a page that is already free */
	PA_ERR_NOT_HEAD = -4,	 /* PFN is not the head of an allocated block */
	PA_ERR_ORDER = -5,	 /* order does not match the allocated block */
	PA_ERR_NOMEM = -6,	 /* no free block of that order */
	PA_ERR_RESERVE = -7,	 /* would go below the reserve floor */
	PA_ERR_ARG = -8,	 /* bad argument (order, state, range) */
};

/* One per PFN in the zone. Links are PFN offsets from base_pfn. */
struct pa_page {
	uint32_t next;
	uint32_t prev;
	uint8_t state; /* enum pa_state */
	uint8_t order; /* valid on block heads */
	uint8_t flags; /* PA_PF_* */
	uint8_t rsvd;
};

#define PA_PF_HEAD 0x01 /* first page of a block (free or allocated) */

typedef void (*pa_error_fn)(void *ctx, int err, uint64_t pfn, const char *what);

struct pa_zone {
	uint64_t base_pfn;
	uint64_t npages; /* PFNs covered by the metadata array */
	struct pa_page *pages;
	uint32_t free_head[PA_MAX_ORDER + 1];
	uint64_t free_blocks[PA_MAX_ORDER + 1];
	uint64_t managed;
	uint64_t count[PA_NSTATES];
	uint64_t reserve; /* free pages workload/pinned/balloon may not use */
	uint64_t errors;  /* misuse detected (double free, wrong state, ...) */
	int last_error;
	uint64_t last_error_pfn;
	pa_error_fn on_error;
	void *on_error_ctx;
};

struct pa_stats {
	uint64_t managed;
	uint64_t count[PA_NSTATES];
	uint64_t reserve;
	uint64_t errors;
	uint64_t free_blocks[PA_MAX_ORDER + 1];
};

/* Bytes of metadata needed for npages PFNs. */
size_t pa_meta_bytes(uint64_t npages);

/* Zone over [base_pfn, base_pfn + npages); every page starts PA_ABSENT. */
int pa_init(struct pa_zone *z, uint64_t base_pfn, uint64_t npages,
	    struct pa_page *meta);

/* Make [start, end) managed and free (merged into the largest blocks). */
int pa_add_free_range(struct pa_zone *z, uint64_t start_pfn, uint64_t end_pfn);

/* Take free pages in [start, end) into state (kernel image, metadata...). */
int pa_claim_range(struct pa_zone *z, uint64_t start_pfn, uint64_t end_pfn,
		   enum pa_state state);

/* Allocate 2^order pages in state; returns PFN or a negative pa_err. */
int64_t pa_alloc(struct pa_zone *z, unsigned order, enum pa_state state);

/* As pa_alloc, but the whole block lies below limit_pfn (e.g. 32-bit PFNs). */
int64_t pa_alloc_below(struct pa_zone *z, unsigned order, enum pa_state state,
		       uint64_t limit_pfn);

/* Free a block; it must be allocated, head at pfn, of that order and state. */
int pa_free(struct pa_zone *z, uint64_t pfn, unsigned order,
	    enum pa_state expected);

/* Move an allocated block between non-free states (pin, unpin, ...). */
int pa_change_state(struct pa_zone *z, uint64_t pfn, unsigned order,
		    enum pa_state from, enum pa_state to);

/* O(1): state of any PFN; PA_ABSENT outside the zone. */
enum pa_state pa_state_of(const struct pa_zone *z, uint64_t pfn);

/* Reserve floor, in pages. Fails with PA_ERR_RESERVE if free < pages. */
int pa_set_reserve(struct pa_zone *z, uint64_t pages);

/* Free pages a workload/pinned/balloon allocation may still take. */
uint64_t pa_available(const struct pa_zone *z);

/* Pages with an owner: free + kernel + workload + pinned + ballooned.
 * Equal to managed in a consistent zone ("where did my RAM go?"). */
uint64_t pa_owned_total(const struct pa_zone *z);

void pa_get_stats(const struct pa_zone *z, struct pa_stats *st);

/*
 * Full O(n) consistency check: counters add up, free lists well formed,
 * no two free buddies left unmerged. Returns PA_OK or PA_ERR_STATE and a
 * short reason in why.
 */
int pa_check(const struct pa_zone *z, char *why, size_t why_len);

const char *pa_state_name(enum pa_state s);
const char *pa_err_name(int err);

#endif
