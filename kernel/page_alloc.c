/*
 * page_alloc.c - buddy allocator over the usable memory map.
 *
 * Blocks are naturally aligned on absolute PFNs, so an order-9 block is a
 * real 2 MiB page. All bookkeeping lives in the pa_page array and never in
 * the pages: a free or ballooned page may have been reclaimed by the host,
 * and touching it would fault it back in.
 */
#include "kernel/page_alloc.h"

#define NPG(order) (1ull << (order))

static bool in_zone(const struct pa_zone *z, uint64_t pfn)
{
	return pfn >= z->base_pfn && pfn - z->base_pfn < z->npages;
}

static struct pa_page *pg(const struct pa_zone *z, uint64_t pfn)
{
	return &z->pages[pfn - z->base_pfn];
}

static bool is_free_head(const struct pa_zone *z, uint64_t pfn, unsigned order)
{
	const struct pa_page *p;

	if (!in_zone(z, pfn))
		return false;
	p = pg(z, pfn);
	return p->state == PA_FREE && (p->flags & PA_PF_HEAD) &&
	       p->order == order;
}

static bool is_alloc_state(int s)
{
	return s >= PA_KERNEL && s < PA_NSTATES;
}

static int report(struct pa_zone *z, int err, uint64_t pfn, const char *what)
{
	z->errors++;
	z->last_error = err;
	z->last_error_pfn = pfn;
	if (z->on_error)
		z->on_error(z->on_error_ctx, err, pfn, what);
	return err;
}

static void list_add(struct pa_zone *z, uint64_t pfn, unsigned order)
{
	uint32_t off = (uint32_t)(pfn - z->base_pfn);
	struct pa_page *p = &z->pages[off];

	p->state = PA_FREE;
	p->flags = PA_PF_HEAD;
	p->order = (uint8_t)order;
	p->prev = PA_NO_PFN;
	p->next = z->free_head[order];
	if (p->next != PA_NO_PFN)
		z->pages[p->next].prev = off;
	z->free_head[order] = off;
	z->free_blocks[order]++;
}

static void list_del(struct pa_zone *z, uint64_t pfn, unsigned order)
{
	struct pa_page *p = pg(z, pfn);

	if (p->prev != PA_NO_PFN)
		z->pages[p->prev].next = p->next;
	else
		z->free_head[order] = p->next;
	if (p->next != PA_NO_PFN)
		z->pages[p->next].prev = p->prev;
	p->next = PA_NO_PFN;
	p->prev = PA_NO_PFN;
	z->free_blocks[order]--;
}

/* Every page of the block carries its state, so pa_state_of is O(1). */
static void set_block(struct pa_zone *z, uint64_t pfn, unsigned order,
		      enum pa_state state)
{
	struct pa_page *p = pg(z, pfn);
	uint64_t i;

	for (i = 0; i < NPG(order); i++) {
		p[i].state = (uint8_t)state;
		p[i].flags = 0;
		p[i].order = 0;
	}
	p->flags = PA_PF_HEAD;
	p->order = (uint8_t)order;
}

/* Counters are the caller's job; this only builds and merges the block. */
static void free_block(struct pa_zone *z, uint64_t pfn, unsigned order)
{
	set_block(z, pfn, order, PA_FREE);
	while (order < PA_MAX_ORDER) {
		uint64_t buddy = pfn ^ NPG(order);
		struct pa_page *upper;

		/* A hole is never a free head, so blocks never span one. */
		if (!is_free_head(z, buddy, order))
			break;
		list_del(z, buddy, order);
		upper = pg(z, pfn > buddy ? pfn : buddy);
		upper->flags = 0;
		upper->order = 0;
		pfn &= ~NPG(order);
		order++;
	}
	list_add(z, pfn, order);
}

/* Take the low 2^order pages of free block (head, k); free the rest. */
static void take_block(struct pa_zone *z, uint64_t head, unsigned k,
		       unsigned order, enum pa_state state)
{
	list_del(z, head, k);
	while (k > order) {
		k--;
		list_add(z, head + NPG(k), k);
	}
	set_block(z, head, order, state);
	z->count[PA_FREE] -= NPG(order);
	z->count[state] += NPG(order);
}

size_t pa_meta_bytes(uint64_t npages)
{
	return (size_t)(npages * sizeof(struct pa_page));
}

int pa_init(struct pa_zone *z, uint64_t base_pfn, uint64_t npages,
	    struct pa_page *meta)
{
	uint64_t i;

	if (!z)
		return PA_ERR_ARG;
	/* Field by field: a struct assignment may become a memset call. */
	z->base_pfn = base_pfn;
	z->npages = 0;
	z->pages = meta;
	for (i = 0; i <= PA_MAX_ORDER; i++) {
		z->free_head[i] = PA_NO_PFN;
		z->free_blocks[i] = 0;
	}
	for (i = 0; i < PA_NSTATES; i++)
		z->count[i] = 0;
	z->managed = z->reserve = z->errors = z->last_error_pfn = 0;
	z->last_error = PA_OK;
	z->on_error = NULL;
	z->on_error_ctx = NULL;

	/* Links are 32-bit offsets and PA_NO_PFN is taken as the end mark. */
	if ((!meta && npages) || npages >= PA_NO_PFN ||
	    base_pfn + npages < base_pfn)
		return report(z, PA_ERR_ARG, base_pfn, "init");
	z->npages = npages;
	for (i = 0; i < npages; i++)
		meta[i] = (struct pa_page){ .next = PA_NO_PFN,
					    .prev = PA_NO_PFN };
	return PA_OK;
}

/* [start, end) must be a well-formed span inside the zone (may be empty). */
static int check_span(struct pa_zone *z, uint64_t start, uint64_t end,
		      const char *what)
{
	if (start > end)
		return report(z, PA_ERR_ARG, start, what);
	if (start < z->base_pfn || end - z->base_pfn > z->npages)
		return report(z, PA_ERR_RANGE, start, what);
	return PA_OK;
}

int pa_add_free_range(struct pa_zone *z, uint64_t start_pfn, uint64_t end_pfn)
{
	uint64_t pfn;
	int err = check_span(z, start_pfn, end_pfn, "add");

	if (err)
		return err;
	for (pfn = start_pfn; pfn < end_pfn; pfn++)
		if (pg(z, pfn)->state != PA_ABSENT)
			return report(z, PA_ERR_STATE, pfn, "add: managed");

	/*
	 * Maximal aligned blocks, top down: the lowest block of each order
	 * ends up at the head of its free list, so early allocations are low.
	 */
	pfn = end_pfn;
	while (pfn > start_pfn) {
		unsigned k = 0;

		while (k < PA_MAX_ORDER && !(pfn & (NPG(k + 1) - 1)) &&
		       pfn - start_pfn >= NPG(k + 1))
			k++;
		pfn -= NPG(k);
		z->managed += NPG(k);
		z->count[PA_FREE] += NPG(k);
		free_block(z, pfn, k);
	}
	return PA_OK;
}

/* Split the free block holding pfn until pfn is an order-0 block. */
static void claim_page(struct pa_zone *z, uint64_t pfn, enum pa_state state)
{
	uint64_t head = pfn;
	unsigned k = 0;

	while (k < PA_MAX_ORDER && !is_free_head(z, head, k)) {
		k++;
		head = pfn & ~(NPG(k) - 1);
	}
	list_del(z, head, k);
	while (k > 0) {
		k--;
		if (pfn >= head + NPG(k)) {
			list_add(z, head, k);
			head += NPG(k);
		} else {
			list_add(z, head + NPG(k), k);
		}
	}
	set_block(z, pfn, 0, state);
	z->count[PA_FREE]--;
	z->count[state]++;
}

int pa_claim_range(struct pa_zone *z, uint64_t start_pfn, uint64_t end_pfn,
		   enum pa_state state)
{
	uint64_t pfn;
	int err;

	if (!is_alloc_state((int)state))
		return report(z, PA_ERR_ARG, start_pfn, "claim: bad state");
	err = check_span(z, start_pfn, end_pfn, "claim");
	if (err)
		return err;
	/* Check everything first so a failed claim changes nothing. */
	for (pfn = start_pfn; pfn < end_pfn; pfn++) {
		uint8_t s = pg(z, pfn)->state;

		if (s == PA_ABSENT)
			return report(z, PA_ERR_RANGE, pfn, "claim: absent");
		if (s != PA_FREE)
			return report(z, PA_ERR_STATE, pfn, "claim: in use");
	}
	for (pfn = start_pfn; pfn < end_pfn; pfn++)
		claim_page(z, pfn, state);
	return PA_OK;
}

int64_t pa_alloc_below(struct pa_zone *z, unsigned order, enum pa_state state,
		       uint64_t limit_pfn)
{
	unsigned k;

	if (order > PA_MAX_ORDER)
		return report(z, PA_ERR_ARG, PA_NO_PFN, "alloc: bad order");
	if (!is_alloc_state((int)state))
		return report(z, PA_ERR_ARG, PA_NO_PFN, "alloc: bad state");
	/* Running out is an expected outcome, not misuse: not reported. */
	if (z->count[PA_FREE] < NPG(order))
		return PA_ERR_NOMEM;
	if (state != PA_KERNEL && z->count[PA_FREE] - NPG(order) < z->reserve)
		return PA_ERR_RESERVE;

	for (k = order; k <= PA_MAX_ORDER; k++) {
		uint32_t off;

		for (off = z->free_head[k]; off != PA_NO_PFN;
		     off = z->pages[off].next) {
			uint64_t head = z->base_pfn + off;

			if (head + NPG(order) <= limit_pfn) {
				take_block(z, head, k, order, state);
				return (int64_t)head;
			}
		}
	}
	return PA_ERR_NOMEM;
}

int64_t pa_alloc(struct pa_zone *z, unsigned order, enum pa_state state)
{
	/* With no limit the first block of each list fits: O(PA_MAX_ORDER). */
	return pa_alloc_below(z, order, state, UINT64_MAX);
}

/* Common checks for an allocated block, in the documented order. */
static int check_block(struct pa_zone *z, uint64_t pfn, unsigned order,
		       int expected, int free_err, const char *what)
{
	const struct pa_page *p;

	if (!in_zone(z, pfn) || pg(z, pfn)->state == PA_ABSENT)
		return report(z, PA_ERR_RANGE, pfn, what);
	p = pg(z, pfn);
	if (p->state == PA_FREE)
		return report(z, free_err, pfn, what);
	if (!(p->flags & PA_PF_HEAD))
		return report(z, PA_ERR_NOT_HEAD, pfn, what);
	if (p->order != order)
		return report(z, PA_ERR_ORDER, pfn, what);
	if (p->state != expected)
		return report(z, PA_ERR_STATE, pfn, what);
	return PA_OK;
}

int pa_free(struct pa_zone *z, uint64_t pfn, unsigned order,
	    enum pa_state expected)
{
	int err = check_block(z, pfn, order, (int)expected, PA_ERR_DOUBLE_FREE,
			      "free");

	if (err)
		return err;
	z->count[expected] -= NPG(order);
	z->count[PA_FREE] += NPG(order);
	free_block(z, pfn, order);
	return PA_OK;
}

int pa_change_state(struct pa_zone *z, uint64_t pfn, unsigned order,
		    enum pa_state from, enum pa_state to)
{
	struct pa_page *p;
	uint64_t i;
	int err;

	if (!is_alloc_state((int)from) || !is_alloc_state((int)to))
		return report(z, PA_ERR_ARG, pfn, "change_state: bad state");
	err = check_block(z, pfn, order, (int)from, PA_ERR_STATE,
			  "change_state");
	if (err)
		return err;
	/* The free count does not move, so the reserve floor is unaffected. */
	p = pg(z, pfn);
	for (i = 0; i < NPG(order); i++)
		p[i].state = (uint8_t)to;
	z->count[from] -= NPG(order);
	z->count[to] += NPG(order);
	return PA_OK;
}

enum pa_state pa_state_of(const struct pa_zone *z, uint64_t pfn)
{
	if (!in_zone(z, pfn))
		return PA_ABSENT;
	return (enum pa_state)pg(z, pfn)->state;
}

int pa_set_reserve(struct pa_zone *z, uint64_t pages)
{
	if (z->count[PA_FREE] < pages)
		return report(z, PA_ERR_RESERVE, PA_NO_PFN, "set_reserve");
	z->reserve = pages;
	return PA_OK;
}

uint64_t pa_available(const struct pa_zone *z)
{
	if (z->count[PA_FREE] <= z->reserve)
		return 0;
	return z->count[PA_FREE] - z->reserve;
}

uint64_t pa_owned_total(const struct pa_zone *z)
{
	uint64_t sum = 0;

	for (int st = PA_FREE; st < PA_NSTATES; st++)
		sum += z->count[st];
	return sum;
}

void pa_get_stats(const struct pa_zone *z, struct pa_stats *st)
{
	int i;

	st->managed = z->managed;
	for (i = 0; i < PA_NSTATES; i++)
		st->count[i] = z->count[i];
	st->reserve = z->reserve;
	st->errors = z->errors;
	for (i = 0; i <= PA_MAX_ORDER; i++)
		st->free_blocks[i] = z->free_blocks[i];
}

static void copy_str(char *dst, size_t len, const char *src)
{
	size_t i;

	if (!dst || !len)
		return;
	for (i = 0; i + 1 < len && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

/* Walk the array block by block; returns NULL or what is wrong. */
static const char *check_blocks(const struct pa_zone *z, uint64_t *tally,
				uint64_t *heads)
{
	uint64_t i = 0, j;

	while (i < z->npages) {
		const struct pa_page *p = &z->pages[i];
		uint64_t pfn = z->base_pfn + i, n;

		if (p->state == PA_ABSENT) {
			tally[PA_ABSENT]++;
			i++;
			continue;
		}
		if (p->state >= PA_NSTATES)
			return "bad state byte";
		if (!(p->flags & PA_PF_HEAD))
			return "page outside any block";
		if (p->order > PA_MAX_ORDER || (pfn & (NPG(p->order) - 1)) ||
		    z->npages - i < NPG(p->order))
			return "block misaligned or past the zone";
		n = NPG(p->order);
		for (j = 1; j < n; j++)
			if (p[j].state != p->state || (p[j].flags & PA_PF_HEAD))
				return "block tail differs from its head";
		tally[p->state] += n;
		if (p->state == PA_FREE) {
			heads[p->order]++;
			if (p->order < PA_MAX_ORDER &&
			    is_free_head(z, pfn ^ n, p->order))
				return "free buddies left unmerged";
		}
		i += n;
	}
	return NULL;
}

static const char *check_list(const struct pa_zone *z, unsigned k,
			      uint64_t heads)
{
	uint32_t off = z->free_head[k], prev = PA_NO_PFN;
	uint64_t len = 0;

	while (off != PA_NO_PFN) {
		/* More entries than free heads means a cycle or a stray. */
		if (off >= z->npages || len >= heads)
			return "free list runs away";
		if (z->pages[off].prev != prev)
			return "free list prev link broken";
		if (!is_free_head(z, z->base_pfn + off, k))
			return "free list entry is not a free head of its order";
		prev = off;
		off = z->pages[off].next;
		len++;
	}
	if (len != heads || len != z->free_blocks[k])
		return "free_blocks does not match the free lists";
	return NULL;
}

int pa_check(const struct pa_zone *z, char *why, size_t why_len)
{
	uint64_t tally[PA_NSTATES], heads[PA_MAX_ORDER + 1], sum = 0;
	const char *bad = NULL;
	unsigned k;
	int s;

	for (k = 0; k <= PA_MAX_ORDER; k++)
		heads[k] = 0;
	for (s = 0; s < PA_NSTATES; s++)
		tally[s] = 0;
	for (s = PA_FREE; s < PA_NSTATES; s++)
		sum += z->count[s];
	if (sum != z->managed || z->count[PA_ABSENT] != 0)
		bad = "state counters do not add up to managed";
	if (!bad)
		bad = check_blocks(z, tally, heads);
	for (s = PA_FREE; !bad && s < PA_NSTATES; s++)
		if (tally[s] != z->count[s])
			bad = "a state counter does not match the pages";
	for (k = 0; !bad && k <= PA_MAX_ORDER; k++)
		bad = check_list(z, k, heads[k]);
	copy_str(why, why_len, bad ? bad : "ok");
	return bad ? PA_ERR_STATE : PA_OK;
}

const char *pa_state_name(enum pa_state s)
{
	static const char *const names[PA_NSTATES] = {
		[PA_ABSENT] = "absent", [PA_FREE] = "free",
		[PA_KERNEL] = "kernel", [PA_WORKLOAD] = "workload",
		[PA_PINNED] = "pinned", [PA_BALLOONED] = "ballooned",
	};

	if ((unsigned)s >= PA_NSTATES)
		return "invalid";
	return names[s];
}

const char *pa_err_name(int err)
{
	static const char *const names[] = {
		[-PA_OK] = "ok",
		[-PA_ERR_RANGE] = "out of range",
		[-PA_ERR_STATE] = "wrong state",
		[-PA_ERR_DOUBLE_FREE] = "double free",
		[-PA_ERR_NOT_HEAD] = "not a block head",
		[-PA_ERR_ORDER] = "order mismatch",
		[-PA_ERR_NOMEM] = "out of memory",
		[-PA_ERR_RESERVE] = "reserve floor",
		[-PA_ERR_ARG] = "bad argument",
	};

	if (err > 0 || err < PA_ERR_ARG)
		return "unknown error";
	return names[-err];
}
