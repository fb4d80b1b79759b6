/*
 * vmw_balloon_ops.c - VMware balloon, guest side: inflate and deflate.
 *
 * The struct balloon ops. Pages come from the allocator as PA_BALLOONED,
 * are offered to the host in batches (or one by one on a BASIC host), and
 * are tracked only once the host has said yes. Refused pages are held for
 * the rest of the round so the allocator does not hand them straight back,
 * then freed (§9, Linux 6.x). Page contents are never read or written.
 */
#include "drivers/vmware/vmw_balloon_int.h"
#include "kernel/printf.h"
#include "kernel/string.h"

#define PFN_32BIT_LIMIT (1ull << 32)
#define ENTRY_UNTRUSTED 0x100u /* not a status: the host garbled the entry */

enum stop_reason { GOING = 0, STOP_ALLOC, STOP_TRACK };

static void track_push(struct vmw_balloon *vb, uint64_t pfn, unsigned order)
{
	uint64_t *n = order ? &vb->n2m : &vb->n4k;

	*vmw_slot(vb, order, (*n)++) = pfn;
}

/* Hold a refused page until the round ends, or free it now if no room. */
static void refuse(struct vmw_balloon *vb, uint64_t pfn, unsigned order)
{
	vb->b.counters.refused += VMW_FRAMES(order);
	if (vb->nrefused < VMW_REFUSED_CAP) {
		vb->refused[vb->nrefused] = pfn;
		vb->refused_order[vb->nrefused++] = (uint8_t)order;
		if (vb->nrefused > vb->st.refused_held_max)
			vb->st.refused_held_max = vb->nrefused;
	} else if (pa_free(vb->cfg.zone, pfn, order, PA_BALLOONED)) {
		vmw_note_error(vb, &vb->st.local_free_errors);
	}
}

static void release_refused(struct vmw_balloon *vb)
{
	while (vb->nrefused) {
		vb->nrefused--;
		if (pa_free(vb->cfg.zone, vb->refused[vb->nrefused],
			    vb->refused_order[vb->nrefused], PA_BALLOONED))
			vmw_note_error(vb, &vb->st.local_free_errors);
	}
}

/*
 * Take up to n pages of one order for the next call. A BASIC host gets
 * one PFN in RBX, which Linux requires to fit 32 bits (§2): ask the
 * allocator for a page below 4 GiB rather than fail later.
 */
static unsigned alloc_batch(struct vmw_balloon *vb, unsigned order, uint64_t n,
			    enum stop_reason *why)
{
	uint64_t room = vb->cfg.track_len - vb->n4k - vb->n2m;
	unsigned got = 0;

	if (n > room) {
		n = room;
		*why = STOP_TRACK;
		vb->st.track_full++;
	}
	while (got < n) {
		int64_t pfn =
			vb->batch_cap > 1
				? pa_alloc(vb->cfg.zone, order, PA_BALLOONED)
				: pa_alloc_below(vb->cfg.zone, 0, PA_BALLOONED,
						 PFN_32BIT_LIMIT);

		if (pfn < 0) {
			/* PA_ERR_RESERVE: the floor, the normal way to stop. */
			*why = STOP_ALLOC;
			vb->st.alloc_stops++;
			break;
		}
		vb->pend[got++] = (uint64_t)pfn;
	}
	vb->npend = got;
	vb->pend_order = order;
	return got;
}

/* §16.4: what a host may answer per entry. Unlock: inferred (none says). */
static bool entry_status_legal(uint32_t s, bool lock)
{
	if (lock)
		return s == VMW_OK || s == VMW_ERROR_PPN_INVALID ||
		       s == VMW_ERROR_PPN_PINNED ||
		       s == VMW_ERROR_PPN_NOTNEEDED || s == VMW_ERROR_RESET;
	return s == VMW_OK || s == VMW_ERROR_PPN_INVALID ||
	       s == VMW_ERROR_PPN_UNLOCKED || s == VMW_ERROR_RESET;
}

/*
 * §5: the host owns bits 4..0 of an entry and nothing else. Both Linux
 * and OVT read the PFN back out of the entry; we compare it with our own
 * copy instead, and an entry whose other bits changed is not believed.
 */
static uint32_t entry_status(struct vmw_balloon *vb, unsigned i, bool lock)
{
	uint64_t e = ((volatile uint64_t *)vb->cfg.batch)[i];
	uint32_t s = (uint32_t)(e & VMW_BATCH_STATUS_MASK);

	if ((e & ~VMW_BATCH_STATUS_MASK) != vb->pend[i] << PA_PAGE_SHIFT) {
		vmw_note_error(vb, &vb->st.entry_changed);
		return ENTRY_UNTRUSTED;
	}
	if (!entry_status_legal(s, lock))
		vmw_note_error(vb, &vb->st.bad_entry_status);
	return s;
}

/*
 * Send vb->pend[] as one (BATCHED_[2M_])(UN)LOCK. The effective status of
 * a page is the call's if non-zero, else its entry's (§5); a non-zero call
 * status means no page changed state. Returns the call status.
 */
static uint32_t send_pending(struct vmw_balloon *vb, bool lock,
			     uint32_t *page_status)
{
	unsigned cmd, i;
	uint64_t arg1, arg2, ignored;
	uint32_t status;

	if (vb->batch_cap > 1) {
		if (vb->pend_order)
			cmd = lock ? VMW_CMD_BATCHED_2M_LOCK
				   : VMW_CMD_BATCHED_2M_UNLOCK;
		else
			cmd = lock ? VMW_CMD_BATCHED_LOCK
				   : VMW_CMD_BATCHED_UNLOCK;
		arg1 = vb->cfg.batch_pfn;
		arg2 = vb->npend;
	} else {
		/* §2: one PFN in RBX; RSI = 1 as Linux sends it. */
		cmd = lock ? VMW_CMD_LOCK : VMW_CMD_UNLOCK;
		arg1 = vb->pend[0];
		arg2 = 1;
	}
	status = vmw_cmd(vb, cmd, arg1, arg2, &ignored);
	for (i = 0; i < vb->npend; i++)
		page_status[i] = status == VMW_OK && vb->batch_cap > 1
					 ? entry_status(vb, i, lock)
					 : status;
	return status;
}

/* After a LOCK call: each page joins the balloon or is held refused. */
static unsigned take_locked(struct vmw_balloon *vb, const uint32_t *status,
			    uint64_t *added, uint64_t *refused_frames)
{
	uint64_t frames = VMW_FRAMES(vb->pend_order);
	unsigned i, refused = 0;

	for (i = 0; i < vb->npend; i++) {
		if (status[i] != VMW_OK) {
			refuse(vb, vb->pend[i], vb->pend_order);
			*refused_frames += frames;
			refused++;
			continue;
		}
		track_push(vb, vb->pend[i], vb->pend_order);
		vb->b.size += frames;
		vb->b.counters.inflated += frames;
		*added += frames;
	}
	vb->npend = 0;
	return refused;
}

/*
 * Add up to n frames, never past the target the host keeps returning,
 * except that a 2 MiB page may overshoot it by up to 511 frames (§6).
 * 2 MiB first; 4 KiB once the allocator has no 2 MiB block or 16 2 MiB
 * pages were refused (§6, §9). Refused 2 MiB pages stay held, whole, so
 * their frames are not offered again at 4 KiB in the same round.
 */
int64_t vmw_inflate(struct balloon *b, uint64_t n)
{
	struct vmw_balloon *vb = b->priv;
	uint32_t page_status[VMW_BATCH_MAX];
	uint64_t added = 0, refused_frames = 0;
	unsigned order, refused_here = 0;
	enum stop_reason stop = GOING;
	int rc = vmw_op_begin(vb);

	if (rc)
		return rc;
	order = vb->use_2m ? VMW_2M_ORDER : 0;
	while (added < n && b->size < b->target && !stop) {
		uint64_t want = n - added < b->target - b->size
					? n - added
					: b->target - b->size;
		uint64_t pages = (want + VMW_FRAMES(order) - 1) >> order;
		uint32_t status;

		if (alloc_batch(vb, order,
				pages < vb->batch_cap ? pages : vb->batch_cap,
				&stop)) {
			status = send_pending(vb, true, page_status);
			refused_here += take_locked(vb, page_status, &added,
						    &refused_frames);
			/* §9: a failed call ends the round. */
			if (status != VMW_OK) {
				if (status == VMW_ERROR_BUSY)
					rc = VMW_E_BUSY;
				break;
			}
		}
		if (refused_here >= VMW_MAX_REFUSED ||
		    (stop == STOP_ALLOC && order)) {
			if (!order)
				break; /* §9: enough refusals for this round */
			order = 0;
			refused_here = 0;
			stop = GOING;
			vb->st.fallback_4k++;
		}
	}
	release_refused(vb);
	vmw_note_shortfall(vb, stop != GOING, refused_frames);
	rc = vmw_op_end(vb, rc);
	return rc < 0 ? rc : (int64_t)added;
}

/*
 * Give back up to n frames: 4 KiB pages first, then 2 MiB (§6), whole
 * pages only and never more than asked. A
 * page the host will not unlock goes back into the balloon (§9) and the
 * round stops there: asking again at once would get the same answer.
 */
int64_t vmw_deflate(struct balloon *b, uint64_t n)
{
	struct vmw_balloon *vb = b->priv;
	uint32_t page_status[VMW_BATCH_MAX];
	uint64_t released = 0;
	bool stop = false;
	unsigned order, i;
	int rc = vmw_op_begin(vb);

	if (rc)
		return rc;
	for (order = 0; order <= VMW_2M_ORDER && !stop; order += VMW_2M_ORDER) {
		uint64_t *have = order ? &vb->n2m : &vb->n4k;

		while (!stop && released < n) {
			uint64_t pages = (n - released) >> order;
			uint32_t status;

			if (pages > *have)
				pages = *have;
			if (pages > vb->batch_cap)
				pages = vb->batch_cap;
			if (!pages)
				break;
			vb->npend = (unsigned)pages;
			vb->pend_order = order;
			for (i = 0; i < pages; i++)
				vb->pend[i] = *vmw_slot(vb, order, --*have);
			status = send_pending(vb, false, page_status);
			for (i = 0; i < pages; i++) {
				if (page_status[i] != VMW_OK) {
					track_push(vb, vb->pend[i], order);
					stop = true;
					continue;
				}
				if (pa_free(vb->cfg.zone, vb->pend[i], order,
					    PA_BALLOONED))
					vmw_note_error(
						vb, &vb->st.local_free_errors);
				b->size -= VMW_FRAMES(order);
				b->counters.deflated += VMW_FRAMES(order);
				released += VMW_FRAMES(order);
			}
			vb->npend = 0;
			if (status == VMW_ERROR_BUSY)
				rc = VMW_E_BUSY;
		}
	}
	rc = vmw_op_end(vb, rc);
	return rc < 0 ? rc : (int64_t)released;
}

/*
 * Release everything: UNLOCK it all; if the host keeps some, do what Linux
 * does at unload (§7): START(0) so the host forgets the balloon, then drop
 * the rest locally. The next operation STARTs again with real caps.
 */
int vmw_reset(struct balloon *b)
{
	struct vmw_balloon *vb = b->priv;
	uint64_t ignored;
	int64_t r;

	/* Nothing to give back: no reason to wake (or START) the host. */
	if (!b->size)
		return 0;
	r = vmw_deflate(b, UINT64_MAX);
	if (!b->size)
		return r < 0 && r != VMW_E_RESET ? (int)r : 0;
	vmw_cmd(vb, VMW_CMD_START, 0, 0, &ignored);
	vb->reset_pending = true;
	vmw_drop_all(vb);
	return 0;
}

static void swap_u64(uint64_t *a, uint64_t *b)
{
	uint64_t t = *a;

	*a = *b;
	*b = t;
}

static void sift_down(uint64_t *a, uint64_t n, uint64_t i)
{
	for (;;) {
		uint64_t l = 2 * i + 1, m = i;

		if (l < n && a[l] > a[m])
			m = l;
		if (l + 1 < n && a[l + 1] > a[m])
			m = l + 1;
		if (m == i)
			return;
		swap_u64(&a[i], &a[m]);
		i = m;
	}
}

/* In place, no recursion, no memory: fine for a kernel check. */
static void heapsort_u64(uint64_t *a, uint64_t n)
{
	uint64_t i;

	for (i = n / 2; i-- > 0;)
		sift_down(a, n, i);
	for (i = n; i-- > 1;) {
		swap_u64(&a[0], &a[i]);
		sift_down(a, i, 0);
	}
}

/* Is pfn the head of an allocated PA_BALLOONED block of this order? */
static bool is_balloon_block(const struct pa_zone *z, uint64_t pfn,
			     unsigned order)
{
	const struct pa_page *p;

	if (pfn < z->base_pfn || pfn - z->base_pfn >= z->npages)
		return false;
	p = &z->pages[pfn - z->base_pfn];
	return p->state == PA_BALLOONED && (p->flags & PA_PF_HEAD) &&
	       p->order == order;
}

#define FAIL(...)                                                              \
	do {                                                                   \
		if (why && why_len)                                            \
			ksnprintf(why, why_len, __VA_ARGS__);                  \
		return -1;                                                     \
	} while (0)

int vmw_balloon_check(struct vmw_balloon *vb, bool exclusive, char *why,
		      size_t why_len)
{
	const struct pa_zone *z = vb->cfg.zone;
	uint64_t frames = 0, i;
	unsigned order;

	if (vb->n4k + vb->n2m > vb->cfg.track_len)
		FAIL("tracking overflow: %llu + %llu > %llu",
		     (unsigned long long)vb->n4k, (unsigned long long)vb->n2m,
		     (unsigned long long)vb->cfg.track_len);
	if (vb->nrefused || vb->npend)
		FAIL("%u refused, %u pending pages left between rounds",
		     vb->nrefused, vb->npend);
	for (order = 0; order <= VMW_2M_ORDER; order += VMW_2M_ORDER) {
		uint64_t n = order ? vb->n2m : vb->n4k;
		uint64_t *a = order ? vb->cfg.track + vb->cfg.track_len - n
				    : vb->cfg.track;

		/* Sorted, a page tracked twice sits next to itself. */
		heapsort_u64(a, n);
		for (i = 0; i < n; i++) {
			if (i && a[i] == a[i - 1])
				FAIL("pfn %#llx tracked twice",
				     (unsigned long long)a[i]);
			if (!is_balloon_block(z, a[i], order))
				FAIL("pfn %#llx (order %u) is %s, not a "
				     "ballooned block",
				     (unsigned long long)a[i], order,
				     pa_state_name(pa_state_of(z, a[i])));
			frames += VMW_FRAMES(order);
		}
	}
	if (frames != vb->b.size)
		FAIL("tracked %llu frames, size says %llu",
		     (unsigned long long)frames,
		     (unsigned long long)vb->b.size);
	if (exclusive && z->count[PA_BALLOONED] != frames)
		FAIL("allocator has %llu ballooned frames, driver %llu",
		     (unsigned long long)z->count[PA_BALLOONED],
		     (unsigned long long)frames);
	return 0;
}
