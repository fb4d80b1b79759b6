/*
 * vmw_rig.h - the VMware balloon driver wired to the host model in process.
 *
 * A fake guest for host unit tests: a page-allocator zone over a range of
 * "RAM" (metadata only: no page is ever touched), a batch page that is a
 * host buffer the model reaches through vmw_mem_ops, and the driver's seam
 * going straight into vmw_model_call(). A "hostile" hook can corrupt any
 * answer on its way back, to test what the driver does with a bad host.
 * rig_check() is the invariant every test ends with: one owner per page.
 */
#ifndef PINPRICK_VMW_RIG_H
#define PINPRICK_VMW_RIG_H

#include "drivers/vmware/vmw_balloon.h"
#include "host/vmw/vmw_model.h"
#include "kernel/page_alloc.h"
#include "tests/unit/ut.h"

#define RIG_BASE 256ull /* zone starts at 1 MiB, like the kernel's */
#define RIG_ALL_CAPS                                                           \
	(VMW_CAP_BASIC | VMW_CAP_BATCHED | VMW_CAP_BATCHED_2M |                \
	 VMW_CAP_64_BIT_TARGET)

enum hostile {
	H_NONE,
	H_RESET,	/* model forgets (START), driver gets RESET */
	H_NO_HOST,	/* all ones, registers untouched */
	H_LEGACY,	/* START answers 0: a pre-capability host */
	H_CAPS,		/* START grants exactly arg */
	H_STATUS,	/* EAX = arg; the model never sees the call */
	H_RBX,		/* RBX = arg after a successful call */
	H_ENTRY_PFN,	/* entry 0's PFN bits changed after the call */
	H_ENTRY_STATUS, /* entry 0's status = arg after the call */
	H_RAX_HIGH,	/* RAX bits 63..32 set */
};

struct rig {
	struct pa_zone zone;
	uint64_t base, end; /* zone [base, end); guest RAM [0, end) */
	uint64_t batch_pfn;
	uint64_t batch[VMW_BATCH_MAX];
	uint64_t *track;
	uint8_t *seen;
	struct vmw_model *m;
	struct vmw_balloon vb;

	enum hostile hostile;
	int hostile_cmd; /* command it applies to; -1: every command */
	uint64_t arg;
	unsigned hostile_left; /* calls still to corrupt; 0: unlimited */
	bool reset_sent;       /* H_RESET answered, no START since */
	unsigned violations;   /* commands sent between RESET and START */
};

static inline int rig_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	struct rig *g = ctx;

	if (gpa != g->batch_pfn << 12 || len > sizeof(g->batch))
		return -1;
	memcpy(buf, g->batch, len);
	return 0;
}

static inline int rig_write(void *ctx, uint64_t gpa, const void *buf,
			    size_t len)
{
	struct rig *g = ctx;

	if (gpa != g->batch_pfn << 12 || len > sizeof(g->batch))
		return -1;
	memcpy(g->batch, buf, len);
	return 0;
}

static inline void rig_corrupt(struct rig *g, enum hostile h, unsigned cmd,
			       struct vmw_regs *r)
{
	bool batched =
		cmd >= VMW_CMD_BATCHED_LOCK && cmd <= VMW_CMD_BATCHED_2M_UNLOCK;

	switch (h) {
	case H_LEGACY:
		r->rax = 0;
		r->rcx = 0xdead; /* a legacy host's ECX means nothing */
		break;
	case H_CAPS:
		r->rcx = g->arg;
		break;
	case H_RBX:
		if (r->rax == VMW_OK)
			r->rbx = g->arg;
		break;
	case H_ENTRY_PFN:
		if (batched)
			g->batch[0] ^= 1ull << 12;
		break;
	case H_ENTRY_STATUS:
		if (batched)
			g->batch[0] = (g->batch[0] & ~0x1full) | g->arg;
		break;
	case H_RAX_HIGH:
		r->rax |= 1ull << 40;
		break;
	default:
		break;
	}
}

/* The driver's seam: the model, with the hostile hook around it. */
static inline void rig_call(void *ctx, struct vmw_regs *r)
{
	struct rig *g = ctx;
	unsigned cmd = (unsigned)(r->rcx & 0xffff);
	bool hit = g->hostile != H_NONE &&
		   (g->hostile_cmd < 0 || g->hostile_cmd == (int)cmd);
	enum hostile h = g->hostile;

	/* The model cannot see our RESET (it was STARTed to forget): watch. */
	if (cmd == VMW_CMD_START)
		g->reset_sent = false;
	else if (g->reset_sent)
		g->violations++;

	/* A limited hook switches itself off after its last call. */
	if (hit && g->hostile_left && --g->hostile_left == 0)
		g->hostile = H_NONE;
	if (hit && h == H_RESET) {
		struct vmw_regs s = {VMW_BALLOON_MAGIC, 0, VMW_CMD_START,
				     VMW_BALLOON_PORT,	0, 0};

		vmw_model_call(g->m, &s); /* the host forgets the balloon */
		r->rax = VMW_ERROR_RESET;
		g->hostile = H_NONE; /* one RESET per arming */
		g->reset_sent = true;
		return;
	}
	if (hit && (h == H_NO_HOST || h == H_STATUS)) {
		r->rax = h == H_STATUS ? g->arg : 0xffffffffu;
		return;
	}
	vmw_model_call(g->m, r);
	if (hit)
		rig_corrupt(g, h, cmd, r);
}

/* A zone of npages at base with a reserve; the model sees RAM [0, end). */
static inline void rig_init(struct rig *g, uint64_t base, uint64_t npages,
			    uint64_t reserve, uint32_t host_caps,
			    const struct vmw_faults *f)
{
	struct vmw_model_config mc = {.max_percent = 100, .maxmemctl_mb = -1};
	struct vmw_mem_ops mem = {rig_read, rig_write, NULL};
	struct vmw_balloon_cfg bc = {0};
	struct pa_page *meta = malloc(pa_meta_bytes(npages));

	memset(g, 0, sizeof(*g));
	mem.ctx = g;
	g->base = base;
	g->end = base + npages;
	g->hostile_cmd = -1;
	UT_CHECK_EQ(pa_init(&g->zone, base, npages, meta), PA_OK);
	UT_CHECK_EQ(pa_add_free_range(&g->zone, base, g->end), PA_OK);
	g->batch_pfn = (uint64_t)pa_alloc(&g->zone, 0, PA_KERNEL);
	UT_CHECK_EQ(pa_set_reserve(&g->zone, reserve), PA_OK);
	mc.ram_frames = g->end;
	mc.host_caps = host_caps;
	if (f)
		mc.faults = *f;
	g->m = vmw_model_new(&mc, &mem);
	g->track = calloc(npages, sizeof(uint64_t));
	g->seen = calloc(npages, 1);
	bc.call = rig_call;
	bc.call_ctx = g;
	bc.zone = &g->zone;
	bc.batch_pfn = g->batch_pfn;
	bc.batch = g->batch;
	bc.ram_frames = g->end;
	bc.track = g->track;
	bc.track_len = npages;
	UT_CHECK_EQ(vmw_balloon_init(&g->vb, &bc), 0);
}

static inline void rig_free(struct rig *g)
{
	vmw_model_free(g->m);
	free(g->zone.pages);
	free(g->track);
	free(g->seen);
}

/*
 * One owner per page: the driver's set equals the allocator's ballooned
 * pages, frame by frame, and (with_model) the model's locked set; the
 * allocator is consistent; a correct driver gave the model no findings.
 */
static inline void rig_check(struct rig *g, bool with_model)
{
	struct vmw_balloon *vb = &g->vb;
	char why[160] = "";
	uint64_t pfn, i, bad = 0, frames = 0;
	unsigned order;
	int rc = vmw_balloon_check(vb, true, why, sizeof(why));

	if (rc)
		printf("    # vmw_balloon_check: %s\n", why);
	UT_CHECK_EQ(rc, 0);
	rc = pa_check(&g->zone, why, sizeof(why));
	if (rc)
		printf("    # pa_check: %s\n", why);
	UT_CHECK_EQ(rc, PA_OK);
	memset(g->seen, 0, g->end - g->base);
	for (order = 0; order <= VMW_2M_ORDER; order += VMW_2M_ORDER)
		for (i = 0; i < vmw_balloon_nr_pages(vb, order); i++)
			for (pfn = vmw_balloon_page(vb, order, i);
			     pfn <
			     vmw_balloon_page(vb, order, i) + (1ull << order);
			     pfn++) {
				if (pfn < g->base || pfn >= g->end ||
				    g->seen[pfn - g->base]++)
					bad++;
				frames++;
			}
	UT_CHECK_EQ(bad, 0);
	UT_CHECK_EQ(frames, vb->b.size);
	for (pfn = g->base; pfn < g->end; pfn++) {
		bool drv = g->seen[pfn - g->base];

		if (drv != (pa_state_of(&g->zone, pfn) == PA_BALLOONED) ||
		    (with_model && drv != vmw_model_is_locked(g->m, pfn)))
			bad++;
	}
	UT_CHECK_EQ(bad, 0);
	UT_CHECK_EQ(g->violations, 0);
	if (with_model) {
		UT_CHECK_EQ(vmw_model_locked_frames(g->m), vb->b.size);
		for (i = 0; i < vmw_model_nr_findings(g->m); i++)
			printf("    # finding: %s\n",
			       vmw_model_finding(g->m, i));
		UT_CHECK_EQ(vmw_model_nr_findings(g->m), 0);
	}
}

/* Poll like Linux: up to n ticks, until the balloon stops moving. */
static inline int64_t rig_settle(struct rig *g, int n)
{
	int64_t last = 0;

	while (n-- > 0) {
		last = vmw_balloon_tick(&g->vb, UINT64_MAX);
		if (last == 0 && vmw_balloon_change(&g->vb) == 0)
			break;
	}
	return last;
}

#endif
