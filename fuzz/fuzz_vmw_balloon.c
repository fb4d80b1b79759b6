/*
 * fuzz_vmw_balloon.c - the VMware balloon driver against a host made of bytes.
 *
 * What it attacks: drivers/vmware/vmw_balloon.c and vmw_balloon_ops.c,
 * the real guest driver, wired (as in tests/unit/vmw_rig.h) to a host
 * seam and a page-allocator zone whose pages are metadata only. The host
 * here is not the reference model: every answer comes from the input.
 * START grants any capability bits, any command may answer any status
 * (BUSY, RESET, all ones, codes outside the protocol, RAX high bits),
 * RBX carries any target, and a batched call may give each entry its own
 * status or have its PFN or reserved bits garbled. The input also picks
 * the driver operations (tick, inflate, deflate, reset, get_target), the
 * BUSY retry count, the tracking room and the allocator's reserve.
 *
 * The host keeps a shadow of what it has agreed to hold: a page is held
 * after a LOCK whose call status and entry status were both 0 with the
 * entry untouched, and stops being held after such an UNLOCK, a START or
 * any RESET answer. Invariants, each an abort():
 *  - on every call: no command but START after RESET or a failed START;
 *    only commands the granted capabilities allow; entries go out with
 *    zero status and reserved bits; a LOCK offers only pages the allocator
 *    has ballooned, never one already held nor one twice in a batch; an
 *    UNLOCK names only held pages of the right size; a LOCK never asks
 *    for more than the target (plus one 2 MiB page of slack) or the
 *    operation's budget, an UNLOCK never more than the budget;
 *  - after every operation: the driver's tracked pages are exactly the
 *    shadow, frame for frame; vmw_balloon_check() (tracked pages are
 *    ballooned blocks, none twice, sizes add up, nothing else ballooned)
 *    and pa_check() pass; the allocator saw no misuse; the reserve floor
 *    holds; inflate/deflate return the frames the shadow moved.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/vmware/vmw_balloon_int.h"

#define ZONE_BASE  512u	 /* 2 MiB aligned, like RAM above 2 MiB */
#define ZONE_PAGES 4096u /* 16 MiB: a few 2 MiB blocks, cheap to set up */
#define MAX_OPS	   48

enum held { NOT_HELD, HELD_4K, HELD_2M_HEAD, HELD_2M_TAIL };

struct fz_host {
	const uint8_t *p;
	size_t n;

	struct pa_zone zone;
	struct pa_page meta[ZONE_PAGES];
	uint64_t batch[VMW_BATCH_MAX];
	uint64_t batch_pfn;
	uint64_t track[ZONE_PAGES];
	struct vmw_balloon vb;

	uint8_t held[ZONE_PAGES];      /* enum held, per frame */
	uint8_t drv[ZONE_PAGES];       /* the same, rebuilt from the driver */
	uint32_t in_batch[ZONE_PAGES]; /* call number that last named it */
	uint32_t ncall;
	uint64_t held_frames;
	uint32_t granted; /* caps of the last successful START */
	bool legacy;
	bool need_start; /* RESET answered or START failed: START only */

	uint64_t budget; /* frames the current operation may move */
	uint64_t moved;	 /* frames the shadow moved in this operation */
};

static struct fz_host H;

#include "fuzz/fuzz_check.h"

/* Input bytes; an exhausted input reads as zeros, which mean "behave". */
static uint8_t take8(void)
{
	if (!H.n)
		return 0;
	H.n--;
	return *H.p++;
}

static uint64_t take_n(unsigned bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | take8();
	return v;
}

static uint64_t idx(uint64_t pfn)
{
	CHECK(pfn >= ZONE_BASE && pfn < ZONE_BASE + ZONE_PAGES);
	return pfn - ZONE_BASE;
}

static void shadow_forget(void)
{
	memset(H.held, 0, sizeof(H.held));
	H.held_frames = 0;
}

/* The driver offers pfn for a LOCK: it must be a fresh ballooned block. */
static void check_lock_offer(uint64_t pfn, unsigned order)
{
	const struct pa_page *pg = &H.zone.pages[idx(pfn)];

	CHECK(!(pfn & (VMW_FRAMES(order) - 1)));
	CHECK(pg->state == PA_BALLOONED && (pg->flags & PA_PF_HEAD) &&
	      pg->order == order);
	CHECK(H.held[idx(pfn)] == NOT_HELD);
	CHECK(H.in_batch[idx(pfn)] != H.ncall);
	H.in_batch[idx(pfn)] = H.ncall;
}

static void check_unlock_offer(uint64_t pfn, unsigned order)
{
	CHECK(H.held[idx(pfn)] == (order ? HELD_2M_HEAD : HELD_4K));
	CHECK(H.in_batch[idx(pfn)] != H.ncall);
	H.in_batch[idx(pfn)] = H.ncall;
}

static void shadow_set(uint64_t pfn, unsigned order, bool lock)
{
	uint64_t i, f = VMW_FRAMES(order);

	for (i = 0; i < f; i++)
		H.held[idx(pfn) + i] = !lock	? NOT_HELD
				       : !order ? HELD_4K
				       : i == 0 ? HELD_2M_HEAD
						: HELD_2M_TAIL;
	if (lock)
		H.held_frames += f;
	else
		H.held_frames -= f;
	H.moved += f;
}

/* want <= room, or over by less than one page (no overflow near 2^64) */
static bool fits_with_slack(uint64_t want, uint64_t room, uint64_t page)
{
	return want <= room || want - room < page;
}

/* Frames a LOCK may ask for: the target's gap rounded up to one page. */
static void check_lock_size(unsigned pages, unsigned order)
{
	uint64_t f = VMW_FRAMES(order), want = (uint64_t)pages << order;
	const struct balloon *b = &H.vb.b;

	CHECK(pages >= 1 && pages <= VMW_BATCH_MAX);
	CHECK(b->size == H.held_frames && b->size < b->target);
	CHECK(fits_with_slack(want, b->target - b->size, f));
	CHECK(H.moved < H.budget &&
	      fits_with_slack(want, H.budget - H.moved, f));
}

static void check_unlock_size(unsigned pages, unsigned order)
{
	uint64_t want = (uint64_t)pages << order;

	CHECK(pages >= 1 && pages <= VMW_BATCH_MAX);
	CHECK(H.moved <= H.budget && want <= H.budget - H.moved);
}

/* A call status from one input byte; most bytes mean success. */
static uint64_t pick_rax(unsigned cmd)
{
	uint8_t c = take8();

	if (c < 0xd0)
		return cmd == VMW_CMD_START ? VMW_SUCCESS_WITH_CAPABILITIES
					    : VMW_OK;
	switch (c & 0xf) {
	case 0x9:
		return 0xffffffffu; /* no device */
	case 0xa:
		return take_n(4); /* anything at all */
	case 0xb:
		return (1ull << 40) |
		       (cmd == VMW_CMD_START ? VMW_SUCCESS_WITH_CAPABILITIES
					     : VMW_OK);
	case 0xc:
		return VMW_SUCCESS_WITH_CAPABILITIES;
	case 0xd:
	case 0xe:
		return VMW_ERROR_RESET;
	case 0xf:
		return VMW_ERROR_BUSY;
	default:
		return c & 0xf; /* 0 (legacy START) .. 8 */
	}
}

/* The target in RBX: kept, near the zone's size, or any 64-bit value. */
static uint64_t pick_target(void)
{
	uint8_t c = take8();

	if (c < 0x40)
		return H.vb.b.target;
	if (c < 0xf0)
		return take_n(2) % (2 * ZONE_PAGES);
	return take_n(8);
}

/* Per-entry answers of a successful batched call, shadow updated. */
static void answer_batch(unsigned npages, unsigned order, bool lock)
{
	bool each = take8() >= 0x80;
	unsigned i;

	for (i = 0; i < npages; i++) {
		uint64_t e = H.batch[i], pfn = e >> PA_PAGE_SHIFT;
		uint8_t c = each ? take8() : 0;
		uint64_t st = 0;
		bool garbled = false;

		if (c >= 0xe0 && c < 0xf0)
			st = c & 0xf; /* legal or not for this command */
		else if (c >= 0xf0 && c < 0xf8)
			st = 0x10 | (c & 7); /* outside the protocol */
		else if (c >= 0xf8 && c < 0xfc)
			garbled = true, e ^= 1ull << (PA_PAGE_SHIFT + (c & 3));
		else if (c >= 0xfc)
			garbled = true, e |= 1ull << (5 + (c & 3));
		H.batch[i] = (e & ~VMW_BATCH_STATUS_MASK) | st;
		if (st == 0 && !garbled)
			shadow_set(pfn, order, lock);
	}
}

/* The seam: check what the driver sent, then answer from the input. */
static void fz_call(void *ctx, struct vmw_regs *r)
{
	unsigned cmd = (unsigned)(r->rcx & 0xffff), i, order = 0, npages = 0;
	bool batched = vmw_cmd_is_batched(cmd), lock = false;
	uint32_t caps = H.legacy ? VMW_CAP_BASIC : H.granted;
	uint64_t rax;

	H.ncall++;
	CHECK(r->rax == VMW_BALLOON_MAGIC && r->rdx == VMW_BALLOON_PORT);
	CHECK(cmd < VMW_CMD_NR && r->rcx == cmd);
	CHECK(cmd == VMW_CMD_START || !H.need_start);
	if (cmd == VMW_CMD_GET_TARGET)
		CHECK(r->rbx == ZONE_BASE + ZONE_PAGES);
	if (cmd == VMW_CMD_LOCK || cmd == VMW_CMD_UNLOCK) {
		CHECK((caps & VMW_CAP_BASIC) && !(caps & VMW_CAP_BATCHED));
		lock = cmd == VMW_CMD_LOCK;
		npages = 1;
		H.batch[0] = r->rbx << PA_PAGE_SHIFT; /* same checks below */
	}
	if (batched) {
		CHECK(caps & VMW_CAP_BATCHED);
		CHECK(r->rbx == H.batch_pfn);
		lock = cmd == VMW_CMD_BATCHED_LOCK ||
		       cmd == VMW_CMD_BATCHED_2M_LOCK;
		order = cmd >= VMW_CMD_BATCHED_2M_LOCK ? VMW_2M_ORDER : 0;
		if (order)
			CHECK(caps & VMW_CAP_BATCHED_2M);
		CHECK(r->rsi >= 1 && r->rsi <= VMW_BATCH_MAX);
		npages = (unsigned)r->rsi;
	}
	for (i = 0; i < npages; i++) {
		CHECK(!(H.batch[i] &
			(VMW_BATCH_STATUS_MASK | VMW_BATCH_RSVD_MASK)));
		if (lock)
			check_lock_offer(H.batch[i] >> PA_PAGE_SHIFT, order);
		else
			check_unlock_offer(H.batch[i] >> PA_PAGE_SHIFT, order);
	}
	if (npages && lock)
		check_lock_size(npages, order);
	else if (npages)
		check_unlock_size(npages, order);

	rax = pick_rax(cmd);
	r->rax = rax;
	if (cmd == VMW_CMD_START) {
		uint8_t c = take8();

		/* The host forgets the balloon on any START it receives. */
		shadow_forget();
		r->rcx = c ? c : VMW_BALLOON_CAPS;
		H.legacy = (uint32_t)rax == VMW_OK;
		H.granted = (uint32_t)r->rcx & VMW_BALLOON_CAPS;
		if (H.granted & VMW_CAP_BATCHED_2M &&
		    !(H.granted & VMW_CAP_BATCHED))
			H.granted &= ~VMW_CAP_BATCHED_2M;
		/* START(0) is the driver letting go: it must START again. */
		H.need_start = r->rbx == 0 ||
			       ((uint32_t)rax != VMW_OK &&
				(uint32_t)rax != VMW_SUCCESS_WITH_CAPABILITIES);
		return;
	}
	if ((uint32_t)rax == VMW_ERROR_RESET) {
		shadow_forget();
		H.need_start = true;
		return;
	}
	if ((uint32_t)rax != VMW_OK)
		return;
	r->rbx = pick_target();
	if (batched)
		answer_batch(npages, order, lock);
	else if (npages)
		shadow_set(H.batch[0] >> PA_PAGE_SHIFT, 0, lock);
}

/* After every operation: the driver, the allocator and the shadow agree. */
static void check_state(void)
{
	struct vmw_balloon *vb = &H.vb;
	char why[160];
	uint64_t i, j, pfn;
	unsigned order;

	CHECK(vmw_balloon_check(vb, true, why, sizeof(why)) == 0);
	CHECK(pa_check(&H.zone, why, sizeof(why)) == PA_OK);
	CHECK(H.zone.errors == 0 && vb->st.local_free_errors == 0);
	CHECK(H.zone.count[PA_FREE] >= H.zone.reserve);
	CHECK(vb->b.size == H.held_frames);
	memset(H.drv, 0, sizeof(H.drv));
	for (order = 0; order <= VMW_2M_ORDER; order += VMW_2M_ORDER)
		for (i = 0; i < vmw_balloon_nr_pages(vb, order); i++) {
			pfn = vmw_balloon_page(vb, order, i);
			for (j = 0; j < VMW_FRAMES(order); j++)
				H.drv[idx(pfn) + j] = !order   ? HELD_4K
						      : j == 0 ? HELD_2M_HEAD
							       : HELD_2M_TAIL;
		}
	CHECK(memcmp(H.drv, H.held, sizeof(H.drv)) == 0);
}

static void setup(void)
{
	struct vmw_balloon_cfg bc = {0};
	uint64_t reserve = take8();
	uint64_t track_len = 1 + take_n(2) % ZONE_PAGES;

	memset(H.held, 0, sizeof(H.held));
	memset(H.in_batch, 0, sizeof(H.in_batch));
	H.ncall = 0;
	H.held_frames = 0;
	H.granted = 0;
	H.legacy = false;
	H.need_start = true;
	CHECK(pa_init(&H.zone, ZONE_BASE, ZONE_PAGES, H.meta) == PA_OK);
	CHECK(pa_add_free_range(&H.zone, ZONE_BASE, ZONE_BASE + ZONE_PAGES) ==
	      PA_OK);
	H.batch_pfn = (uint64_t)pa_alloc(&H.zone, 0, PA_KERNEL);
	CHECK(pa_set_reserve(&H.zone, reserve) == PA_OK);
	bc.call = fz_call;
	bc.zone = &H.zone;
	bc.batch_pfn = H.batch_pfn;
	bc.batch = H.batch;
	bc.ram_frames = ZONE_BASE + ZONE_PAGES;
	bc.track = H.track;
	bc.track_len = track_len;
	bc.busy_retries = take8() % 10;
	CHECK(vmw_balloon_init(&H.vb, &bc) == 0);
}

/* One driver operation chosen by the input; checks its result. */
static void run_op(uint8_t op)
{
	struct balloon *b = &H.vb.b;
	uint64_t arg = take_n(2);
	int64_t r;

	H.moved = 0;
	switch (op % 6) {
	case 0:
	case 1:
		H.budget = arg ? arg : UINT64_MAX;
		vmw_balloon_tick(&H.vb, H.budget);
		break;
	case 2:
		H.budget = arg;
		r = b->ops->inflate(b, arg);
		CHECK(r < 0 || (uint64_t)r == H.moved);
		break;
	case 3:
		H.budget = arg;
		r = b->ops->deflate(b, arg);
		CHECK(r < 0 || (uint64_t)r == H.moved);
		break;
	case 4:
		H.budget = UINT64_MAX;
		b->ops->reset(b);
		break;
	default:
		H.budget = 0;
		b->ops->get_target(b);
		break;
	}
	check_state();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned ops = 0;

	H.p = data;
	H.n = size;
	setup();
	while (H.n && ops++ < MAX_OPS)
		run_op(take8());
	return 0;
}
