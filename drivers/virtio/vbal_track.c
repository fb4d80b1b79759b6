/*
 * vbal_track.c - the list of PFNs in the virtio balloon.
 *
 * Deflating means naming pages the device has acknowledged (D13), so the
 * driver must remember them. The list cannot live in the balloon pages
 * themselves: the host may have discarded them. It lives in a stack of
 * 4 KiB chunks taken from the allocator as kernel pages, one chunk per
 * 1021 PFNs (0.1 % of the balloon), allocated as the balloon grows and
 * given back as it shrinks, so a small guest pays little and a large one
 * needs no big block up front.
 */
#include "drivers/virtio/virtio_balloon.h"
#include "kernel/printf.h"
#include "kernel/string.h"

#define CHUNK_PFNS 1021

struct vbal_chunk {
	uint64_t next_pfn; /* the chunk below; 0 at the bottom */
	uint32_t n;
	uint32_t pfn[CHUNK_PFNS];
};
_Static_assert(sizeof(struct vbal_chunk) == PA_PAGE_SIZE, "one page");

static struct vbal_chunk *chunk_at(uint64_t pfn)
{
	return (struct vbal_chunk *)(uintptr_t)(pfn << PA_PAGE_SHIFT);
}

static uint64_t take_spare(struct vbal_track *t)
{
	uint64_t pfn = t->spare_pfn;

	if (pfn) {
		t->spare_pfn = chunk_at(pfn)->next_pfn;
		t->spares--;
	}
	return pfn;
}

static void put_spare(struct vbal_track *t, uint64_t pfn)
{
	chunk_at(pfn)->next_pfn = t->spare_pfn;
	chunk_at(pfn)->n = 0;
	t->spare_pfn = pfn;
	t->spares++;
}

int vbal_track_reserve(struct vbal *vb, uint64_t n)
{
	struct vbal_track *t = &vb->track;
	uint64_t room = t->spares * CHUNK_PFNS;

	if (t->top_pfn)
		room += CHUNK_PFNS - chunk_at(t->top_pfn)->n;
	while (room < n) {
		int64_t np;

		if (!pa_available(vb->cfg.zone))
			return -1;
		np = pa_alloc(vb->cfg.zone, 0, PA_KERNEL);
		if (np <= 0)
			return -1;
		put_spare(t, (uint64_t)np);
		room += CHUNK_PFNS;
	}
	vb->st.track_pages = t->chunks + t->spares;
	return 0;
}

int vbal_track_push(struct vbal *vb, uint32_t pfn)
{
	struct vbal_track *t = &vb->track;
	struct vbal_chunk *c = t->top_pfn ? chunk_at(t->top_pfn) : NULL;

	if (!c || c->n == CHUNK_PFNS) {
		uint64_t np = take_spare(t);

		/* Unreserved: a kernel page may come from the reserve, so
		 * the list cannot fail for the balloon being at the floor. */
		if (!np) {
			int64_t a = pa_alloc(vb->cfg.zone, 0, PA_KERNEL);

			if (a <= 0)
				return -1;
			np = (uint64_t)a;
		}
		c = chunk_at(np);
		c->next_pfn = t->top_pfn;
		c->n = 0;
		t->top_pfn = np;
		t->chunks++;
	}
	c->pfn[c->n++] = pfn;
	t->count++;
	vb->st.track_pages = t->chunks + t->spares;
	return 0;
}

bool vbal_track_pop(struct vbal *vb, uint32_t *pfn)
{
	struct vbal_track *t = &vb->track;

	while (t->top_pfn) {
		struct vbal_chunk *c = chunk_at(t->top_pfn);
		uint64_t below;

		if (c->n) {
			*pfn = c->pfn[--c->n];
			t->count--;
			return true;
		}
		/* Empty chunk: keep one spare, give the rest back. */
		below = c->next_pfn;
		if (t->spares)
			pa_free(vb->cfg.zone, t->top_pfn, 0, PA_KERNEL);
		else
			put_spare(t, t->top_pfn);
		t->top_pfn = below;
		t->chunks--;
		vb->st.track_pages = t->chunks + t->spares;
	}
	return false;
}

void vbal_track_free(struct vbal *vb)
{
	struct vbal_track *t = &vb->track;
	uint64_t pfn;

	while (t->top_pfn) {
		uint64_t below = chunk_at(t->top_pfn)->next_pfn;

		pa_free(vb->cfg.zone, t->top_pfn, 0, PA_KERNEL);
		t->top_pfn = below;
	}
	while ((pfn = take_spare(t)))
		pa_free(vb->cfg.zone, pfn, 0, PA_KERNEL);
	memset(t, 0, sizeof(*t));
	vb->st.track_pages = 0;
}

void vbal_track_each(const struct vbal *vb, bool (*fn)(void *, uint32_t),
		     void *ctx)
{
	for (uint64_t cp = vb->track.top_pfn; cp; cp = chunk_at(cp)->next_pfn) {
		const struct vbal_chunk *c = chunk_at(cp);

		for (uint32_t i = 0; i < c->n && i < CHUNK_PFNS; i++)
			if (!fn(ctx, c->pfn[i]))
				return;
	}
}

struct check_ctx {
	const struct vbal *vb;
	uint64_t seen;
	uint64_t bad_pfn;
	bool bad;
};

static bool check_one(void *p, uint32_t pfn)
{
	struct check_ctx *cc = p;

	cc->seen++;
	if (pa_state_of(cc->vb->cfg.zone, pfn) != PA_BALLOONED) {
		cc->bad = true;
		cc->bad_pfn = pfn;
		return false;
	}
	return true;
}

int vbal_check(const struct vbal *vb, bool exclusive, char *why,
	       unsigned why_len)
{
	struct check_ctx cc = {vb, 0, 0, false};
	uint64_t held = vb->track.count + vb->inflight_pages +
			((uint64_t)vb->hint_nr << VBAL_HINT_ORDER) +
			((uint64_t)vb->report_nr << VBAL_REPORT_ORDER);

	vbal_track_each(vb, check_one, &cc);
	if (cc.bad) {
		ksnprintf(why, why_len,
			  "tracked pfn %#llx is %s, not ballooned",
			  (unsigned long long)cc.bad_pfn,
			  pa_state_name(pa_state_of(vb->cfg.zone, cc.bad_pfn)));
		return -1;
	}
	if (cc.seen != vb->track.count || vb->b.size != vb->track.count) {
		ksnprintf(why, why_len,
			  "list holds %llu, count %llu, size %llu",
			  (unsigned long long)cc.seen,
			  (unsigned long long)vb->track.count,
			  (unsigned long long)vb->b.size);
		return -1;
	}
	if (vb->up && vb->actual != vb->track.count && !vb->inflight_pages) {
		ksnprintf(why, why_len, "actual %u but %llu pages held",
			  vb->actual, (unsigned long long)vb->track.count);
		return -1;
	}
	if (exclusive && vb->cfg.zone->count[PA_BALLOONED] != held) {
		ksnprintf(why, why_len,
			  "allocator has %llu ballooned pages, driver %llu",
			  (unsigned long long)vb->cfg.zone->count[PA_BALLOONED],
			  (unsigned long long)held);
		return -1;
	}
	/* Duplicates: a PFN twice would make count exceed what is
	 * ballooned, which the exclusive check above catches. */
	return 0;
}
