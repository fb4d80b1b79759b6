/*
 * vmw_balloon.c - VMware balloon, guest side: the call, START, the target.
 *
 * Every exchange with the host goes through vmw_cmd(), which fills the
 * registers as §1 lays them out, retries BUSY a bounded number of times,
 * checks that the answer is one the protocol allows, and adopts the target
 * the host returns in RBX (§8). Nothing the host says is taken on trust:
 * impossible answers are counted as errors and ignored. The inflate and
 * deflate rounds live in vmw_balloon_ops.c.
 */
#include "drivers/vmware/vmw_balloon_int.h"
#include "kernel/printf.h"
#include "kernel/string.h"

#define U32_ALL	      0xffffffffull
#define BUSY_FIRST_NS 1000ull	 /* first back-off after BUSY */
#define BUSY_MAX_NS   1000000ull /* back-off grows to 1 ms, no further */

/* Commands that answer the current target in RBX when they succeed (§8). */
static bool cmd_returns_target(unsigned cmd)
{
	return cmd == VMW_CMD_GET_TARGET || cmd == VMW_CMD_LOCK ||
	       cmd == VMW_CMD_UNLOCK || vmw_cmd_is_batched(cmd);
}

bool vmw_cmd_is_batched(unsigned cmd)
{
	return cmd >= VMW_CMD_BATCHED_LOCK && cmd <= VMW_CMD_BATCHED_2M_UNLOCK;
}

void vmw_note_error(struct vmw_balloon *vb, uint64_t *which)
{
	(*which)++;
	vb->b.counters.errors++;
}

/*
 * §8: the target is whatever RBX holds after a successful command, except
 * a value the host may not send: >= 2^32 without 64_BIT_TARGET. OVT would
 * clamp it; we keep the previous target, since a host that breaks this
 * rule has told us nothing reliable. A target above RAM is legal (the
 * host may ask for more than it can get) and simply ends at the floor.
 */
static void adopt_target(struct vmw_balloon *vb, uint64_t rbx)
{
	if (!(vb->caps & VMW_CAP_64_BIT_TARGET) && rbx > U32_ALL) {
		vmw_note_error(vb, &vb->st.bad_target);
		return;
	}
	if (rbx > vb->cfg.ram_frames)
		vb->st.target_above_ram++;
	vb->b.target = rbx;
}

/*
 * §5: entries are rewritten before every attempt, from our own copy of the
 * PFNs, so a retry after BUSY never sends what the host left behind.
 * Status bits 4..0 and reserved bits 11..5 go out as zero.
 */
static void fill_batch(struct vmw_balloon *vb)
{
	volatile uint64_t *e = vb->cfg.batch;
	unsigned i;

	for (i = 0; i < vb->npend; i++)
		e[i] = vb->pend[i] << PA_PAGE_SHIFT;
}

uint32_t vmw_cmd(struct vmw_balloon *vb, unsigned cmd, uint64_t arg1,
		 uint64_t arg2, uint64_t *result)
{
	uint32_t tries =
		vb->cfg.busy_retries ? vb->cfg.busy_retries : VMW_BUSY_RETRIES;
	uint64_t backoff = BUSY_FIRST_NS;
	struct vmw_regs r;
	uint32_t status;
	unsigned attempt;

	for (attempt = 0;; attempt++) {
		if (vmw_cmd_is_batched(cmd))
			fill_batch(vb);
		/* §1: magic EAX, command ECX, port DX, args RBX, RSI. */
		r.rax = VMW_BALLOON_MAGIC;
		r.rbx = arg1;
		r.rcx = cmd;
		r.rdx = VMW_BALLOON_PORT;
		r.rsi = arg2;
		r.rdi = 0;
		vb->cfg.call(vb->cfg.call_ctx, &r);
		vb->b.counters.host_calls++;
		vb->st.calls[cmd]++;
		/* `inl` zero-extends EAX; high bits mean a broken emulation. */
		if (r.rax >> 32)
			vmw_note_error(vb, &vb->st.bad_rax_high);
		status = (uint32_t)r.rax;
		if (status != VMW_ERROR_BUSY || attempt >= tries)
			break;
		/* §4: BUSY is transient; wait a little longer each time. */
		vb->st.busy_retries++;
		if (vb->cfg.delay_ns) {
			vb->cfg.delay_ns(backoff);
			if (backoff < BUSY_MAX_NS)
				backoff *= 2;
		}
	}

	/* START answers in ECX (granted caps), everything else in RBX. */
	*result = cmd == VMW_CMD_START ? (uint32_t)r.rcx : r.rbx;
	if (cmd == VMW_CMD_START && status == VMW_SUCCESS_WITH_CAPABILITIES)
		return status;
	if (status == VMW_OK) {
		if (cmd_returns_target(cmd))
			adopt_target(vb, r.rbx);
		return status;
	}
	vb->st.fails[cmd]++;
	if (status == VMW_ERROR_BUSY)
		vb->st.busy_giveups++;
	if (status == VMW_ERROR_RESET) {
		/* §7: any command may answer RESET; drop and START again. */
		vb->reset_pending = true;
		vb->b.counters.resets++;
	}
	/* START has its own verdict for odd answers: "no balloon host". */
	if (status > VMW_ERROR_BUSY && cmd != VMW_CMD_START)
		vmw_note_error(vb, &vb->st.bad_status);
	return status;
}

/* A tracking slot: 4 KiB pages from the bottom, 2 MiB pages from the top. */
uint64_t *vmw_slot(struct vmw_balloon *vb, unsigned order, uint64_t i)
{
	return order ? &vb->cfg.track[vb->cfg.track_len - 1 - i]
		     : &vb->cfg.track[i];
}

uint64_t vmw_balloon_nr_pages(const struct vmw_balloon *vb, unsigned order)
{
	return order ? vb->n2m : vb->n4k;
}

uint64_t vmw_balloon_page(const struct vmw_balloon *vb, unsigned order,
			  uint64_t i)
{
	return order ? vb->cfg.track[vb->cfg.track_len - 1 - i]
		     : vb->cfg.track[i];
}

/*
 * §7 step 2 and §16.6: after RESET the host has already forgotten the
 * balloon, so pages go straight back to the allocator with no UNLOCK.
 * Their contents are not ours to look at: the host may have discarded
 * them, and the next owner gets whatever the host backs them with.
 */
void vmw_drop_all(struct vmw_balloon *vb)
{
	unsigned order;

	for (order = 0; order <= VMW_2M_ORDER; order += VMW_2M_ORDER) {
		uint64_t *n = order ? &vb->n2m : &vb->n4k;

		while (*n) {
			uint64_t pfn = *vmw_slot(vb, order, --*n);

			if (pa_free(vb->cfg.zone, pfn, order, PA_BALLOONED))
				vmw_note_error(vb, &vb->st.local_free_errors);
		}
	}
	vb->b.size = 0;
}

int vmw_balloon_start(struct vmw_balloon *vb)
{
	uint64_t granted, ignored;
	uint32_t status;

	if (!vb->reset_pending)
		return 0;
	vmw_drop_all(vb);

	/*
	 * §3: ask for BASIC, BATCHED, BATCHED_2M, 64_BIT_TARGET. Linux would
	 * first send cmd 10 (~0, ~0) to tear down a doorbell; pinprick never
	 * asks for SIGNALLED_WAKEUP, has no doorbell, and skips it.
	 */
	status = vmw_cmd(vb, VMW_CMD_START, VMW_BALLOON_CAPS, 0, &granted);
	if (status == VMW_SUCCESS_WITH_CAPABILITIES) {
		vb->legacy = false;
		/* A grant is an intersection: more than we asked is wrong. */
		if (granted & ~(uint64_t)VMW_BALLOON_CAPS)
			vmw_note_error(vb, &vb->st.bad_caps);
		vb->caps = (uint32_t)granted & VMW_BALLOON_CAPS;
	} else if (status == VMW_OK) {
		/* §3: a host from before capabilities: protocol v2 = BASIC. */
		vb->legacy = true;
		vb->caps = VMW_CAP_BASIC;
	} else if (status == VMW_ERROR_RESET) {
		return VMW_E_RESET;
	} else if (status == VMW_ERROR_BUSY) {
		return VMW_E_BUSY;
	} else {
		/* §4: all ones is an empty port; anything else, no host. */
		vb->st.no_backend++;
		return VMW_E_NODEV;
	}

	/* §6: OVT would use 2 MiB pages on a non-batched path; refuse that. */
	if ((vb->caps & VMW_CAP_BATCHED_2M) && !(vb->caps & VMW_CAP_BATCHED)) {
		vmw_note_error(vb, &vb->st.bad_caps);
		vb->caps &= ~(uint32_t)VMW_CAP_BATCHED_2M;
	}
	vb->use_2m = (vb->caps & VMW_CAP_BATCHED_2M) != 0;
	vb->batch_cap = (vb->caps & VMW_CAP_BATCHED) ? VMW_BATCH_MAX
			: (vb->caps & VMW_CAP_BASIC) ? 1
						     : 0;
	vb->reset_pending = false;
	if (!vb->batch_cap) {
		/* §7 pitfall: nothing can be locked; say so, do not spin. */
		vmw_note_error(vb, &vb->st.bad_caps);
		return VMW_E_UNUSABLE;
	}
	/*
	 * §7 step 7: a failed GUEST_ID is only noted (stats.fails), but a
	 * RESET here means nothing more may be sent before another START.
	 */
	vmw_cmd(vb, VMW_CMD_GUEST_ID, VMW_GUEST_LINUX, 0, &ignored);
	return vb->reset_pending ? VMW_E_RESET : 0;
}

int vmw_op_begin(struct vmw_balloon *vb)
{
	int rc = vmw_balloon_start(vb);

	if (rc)
		return rc;
	return vb->batch_cap ? 0 : VMW_E_UNUSABLE;
}

/*
 * A RESET met during an operation is acted on before returning, so the
 * caller never sees pages the host has already forgotten. One START
 * attempt only: if that fails too, the next operation tries again.
 */
int vmw_op_end(struct vmw_balloon *vb, int rc)
{
	if (!vb->reset_pending)
		return rc;
	vmw_balloon_start(vb);
	return VMW_E_RESET;
}

/* §8: GET_TARGET with the guest's RAM as the limit. */
static int vmw_get_target(struct balloon *b)
{
	struct vmw_balloon *vb = b->priv;
	uint64_t limit = vb->cfg.ram_frames, ignored;
	uint32_t status;
	int rc = vmw_op_begin(vb);

	if (rc)
		return rc;
	if (!(vb->caps & VMW_CAP_64_BIT_TARGET) && limit > U32_ALL) {
		/* Linux skips the call: a truncated limit would be a lie. */
		vb->st.limit_skipped++;
		return VMW_E_LIMIT;
	}
	status = vmw_cmd(vb, VMW_CMD_GET_TARGET, limit, 0, &ignored);
	rc = status == VMW_OK		? 0
	     : status == VMW_ERROR_BUSY ? VMW_E_BUSY
					: VMW_E_HOST;
	vmw_note_shortfall(vb, false, 0);
	return vmw_op_end(vb, rc);
}

/*
 * Linux's rule (§6): deflate nothing while 0 < size - target < 512 and the
 * target is not 0, so that a 2 MiB page overshoot is not undone at once.
 */
int64_t vmw_balloon_change(const struct vmw_balloon *vb)
{
	uint64_t size = vb->b.size, target = vb->b.target;

	if (vb->reset_pending)
		return 0;
	if (target < size && target != 0 && size - target < VMW_2M_FRAMES)
		return 0;
	if (target >= size)
		return target - size > INT64_MAX ? INT64_MAX
						 : (int64_t)(target - size);
	return -(int64_t)(size - target);
}

int64_t vmw_balloon_tick(struct vmw_balloon *vb, uint64_t max_frames)
{
	int rc = vb->b.ops->get_target(&vb->b);
	int64_t change;

	if (rc)
		return rc;
	change = vmw_balloon_change(vb);
	if (change > 0)
		return vb->b.ops->inflate(&vb->b, (uint64_t)change < max_frames
							  ? (uint64_t)change
							  : max_frames);
	if (change < 0)
		return vb->b.ops->deflate(&vb->b, (uint64_t)-change < max_frames
							  ? (uint64_t)-change
							  : max_frames);
	return 0;
}

void vmw_note_shortfall(struct vmw_balloon *vb, bool blocked, uint64_t refused)
{
	struct balloon_shortfall *s = &vb->b.shortfall;

	if (blocked && vb->b.size < vb->b.target) {
		s->target = vb->b.target;
		s->achieved = vb->b.size;
		s->pinned = vb->cfg.zone->count[PA_PINNED];
		s->reserve = vb->cfg.zone->reserve;
		s->refused = refused;
		s->active = true;
	} else if (vb->b.size >= vb->b.target) {
		s->active = false;
	}
}

const struct balloon_ops vmw_balloon_ops = {
	.get_target = vmw_get_target,
	.inflate = vmw_inflate,
	.deflate = vmw_deflate,
	.reset = vmw_reset,
};

int vmw_balloon_init(struct vmw_balloon *vb, const struct vmw_balloon_cfg *cfg)
{
	memset(vb, 0, sizeof(*vb));
	/* Batch PFN and balloon PFNs are shifted by 12 into an entry (§5). */
	if (!cfg || !cfg->call || !cfg->zone || !cfg->batch || !cfg->track ||
	    !cfg->track_len || cfg->batch_pfn >> 52)
		return VMW_E_ARG;
	vb->cfg = *cfg;
	vb->b.name = "vmware";
	vb->b.ops = &vmw_balloon_ops;
	vb->b.priv = vb;
	vb->reset_pending = true; /* §7: the first poll starts with a reset */
	return 0;
}

const char *vmw_balloon_err_name(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case VMW_E_NODEV:
		return "no balloon host";
	case VMW_E_RESET:
		return "host reset";
	case VMW_E_BUSY:
		return "host busy";
	case VMW_E_UNUSABLE:
		return "no usable capability";
	case VMW_E_LIMIT:
		return "limit needs 64_BIT_TARGET";
	case VMW_E_HOST:
		return "host error";
	case VMW_E_ARG:
		return "bad argument";
	default:
		return "?";
	}
}

const char *vmw_status_name(uint32_t status)
{
	static const char *const names[] = {
		"SUCCESS",
		"ERROR_CMD_INVALID",
		"ERROR_PPN_INVALID",
		"ERROR_PPN_LOCKED",
		"ERROR_PPN_UNLOCKED",
		"ERROR_PPN_PINNED",
		"ERROR_PPN_NOTNEEDED",
		"ERROR_RESET",
		"ERROR_BUSY",
	};

	if (status < sizeof(names) / sizeof(names[0]))
		return names[status];
	if (status == VMW_SUCCESS_WITH_CAPABILITIES)
		return "SUCCESS_WITH_CAPABILITIES";
	if (status == 0xffffffffu)
		return "all ones (no device)";
	return "not in the protocol";
}
