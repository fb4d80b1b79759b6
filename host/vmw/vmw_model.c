/*
 * vmw_model.c - the host side of the VMware balloon, as a reference model.
 *
 * One call in, one answer out: vmw_model_call() decodes the registers the
 * way §1 of shared/reference/vmware-balloon.md says a host should (command
 * from CX, magic from EAX), checks the guest against the protocol, and
 * answers with a status in EAX and the target in RBX (§8). Everything the
 * guest does wrong is written down as a finding; the reply is then the
 * most reasonable one a host could give. Faults (RESET, BUSY, PINNED,
 * NOTNEEDED, odd targets) are injected from a seeded PRNG, so a failing
 * run replays exactly. The locked set and batches: vmw_model_batch.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/vmw/vmw_model_int.h"

#define U32_ALL		0xffffffffull
#define VMCI_INVALID_ID (~0ull)
#define FRAMES_PER_MB	256ull
#define KNOWN_CAPS                                                             \
	(VMW_CAP_BASIC | VMW_CAP_BATCHED | VMW_CAP_BATCHED_2M |                \
	 VMW_CAP_SIGNALLED_WAKEUP | VMW_CAP_64_BIT_TARGET)

const char *vmwm_cmd_name(unsigned cmd)
{
	static const char *const names[VMW_CMD_NR] = {
		"START",
		"GET_TARGET",
		"LOCK",
		"UNLOCK",
		"GUEST_ID",
		"command 5",
		"BATCHED_LOCK",
		"BATCHED_UNLOCK",
		"BATCHED_2M_LOCK",
		"BATCHED_2M_UNLOCK",
		"VMCI_DOORBELL_SET",
	};

	return cmd < VMW_CMD_NR ? names[cmd] : "unknown command";
}

void vmwm_finding(struct vmw_model *m, const char *fmt, ...)
{
	va_list ap;

	/* The last slot is kept to say how many did not fit. */
	if (m->nr_findings < VMW_MAX_FINDINGS - 1) {
		va_start(ap, fmt);
		vsnprintf(m->findings[m->nr_findings++], VMW_FINDING_LEN, fmt,
			  ap);
		va_end(ap);
		return;
	}
	m->findings_lost++;
	snprintf(m->findings[VMW_MAX_FINDINGS - 1], VMW_FINDING_LEN,
		 "%llu more finding(s) not recorded",
		 (unsigned long long)m->findings_lost);
	m->nr_findings = VMW_MAX_FINDINGS;
}

/* splitmix64: tiny, and every seed (0 too) gives a full-period stream. */
uint64_t vmwm_rand(struct vmw_model *m)
{
	uint64_t z = (m->rng += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

bool vmwm_percent(struct vmw_model *m, uint32_t percent)
{
	if (!percent)
		return false; /* no draw: faults off leave the stream alone */
	return percent >= 100 || vmwm_rand(m) % 100 < percent;
}

/* §11: min(Mem.CtlMaxPercent % of RAM, sched.mem.maxmemctl MB). */
static uint64_t compute_max(const struct vmw_model_config *c)
{
	uint32_t pct = c->max_percent > 100 ? 100 : c->max_percent;
	uint64_t max = c->ram_frames * pct / 100; /* ram_frames <= 2^32 */

	if (c->maxmemctl_mb >= 0 &&
	    (uint64_t)c->maxmemctl_mb < max / FRAMES_PER_MB + 1 &&
	    (uint64_t)c->maxmemctl_mb * FRAMES_PER_MB < max)
		max = (uint64_t)c->maxmemctl_mb * FRAMES_PER_MB;
	return max;
}

/* Is the host overreaching (a target above RAM) right now? */
static bool above_ram(const struct vmw_model *m)
{
	return m->cfg.faults.target_above_ram ||
	       (m->cfg.faults.above_ram_nonzero && m->wish);
}

/* The host's wish, clamped, unless a fault makes the host overreach. */
static void update_target(struct vmw_model *m)
{
	if (above_ram(m))
		m->target = m->cfg.ram_frames + m->cfg.ram_frames / 2 + 1;
	else
		m->target = m->wish < m->max_frames ? m->wish : m->max_frames;
}

struct vmw_model *vmw_model_new(const struct vmw_model_config *cfg,
				const struct vmw_mem_ops *mem)
{
	struct vmw_model *m;

	/* Bitmaps are sized from RAM: refuse sizes no VM has (> 16 TiB). */
	if (!cfg || cfg->ram_frames > (1ull << 32) ||
	    cfg->pfn_end > (1ull << 33))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->cfg = *cfg;
	if (mem)
		m->mem = *mem;
	m->pfn_end =
		cfg->pfn_end > cfg->ram_frames ? cfg->pfn_end : cfg->ram_frames;
	m->max_frames = compute_max(cfg);
	m->rng = cfg->faults.seed;
	if (vmwm_set_init(m)) {
		free(m);
		return NULL;
	}
	update_target(m);
	return m;
}

void vmw_model_free(struct vmw_model *m)
{
	if (!m)
		return;
	vmwm_set_free(m);
	free(m);
}

/* §3: the intersection, without bit 0, never 2M without BATCHED. */
static uint32_t do_start(struct vmw_model *m, struct vmw_regs *r)
{
	uint32_t want = (uint32_t)r->rbx;

	if (want & 1u)
		vmwm_finding(m,
			     "START asks for reserved capability bit 0 "
			     "(caps %#x: a protocol v3 guest?)",
			     want);
	m->granted = want & m->cfg.host_caps & KNOWN_CAPS;
	if ((m->granted & VMW_CAP_BATCHED_2M) &&
	    !(m->granted & VMW_CAP_BATCHED))
		m->granted &= ~(uint32_t)VMW_CAP_BATCHED_2M;
	/* §16.1: START (any START) means the balloon is empty. */
	vmwm_set_clear(m);
	m->started = true;
	r->rcx = m->granted;
	return VMW_SUCCESS_WITH_CAPABILITIES;
}

/* §8: the limit is the guest's RAM; 32 bits unless 64_BIT_TARGET. */
static uint32_t do_get_target(struct vmw_model *m, struct vmw_regs *r)
{
	if (!(m->granted & VMW_CAP_64_BIT_TARGET) && r->rbx > U32_ALL)
		vmwm_finding(m,
			     "GET_TARGET limit %#llx needs 64_BIT_TARGET, "
			     "which was not granted",
			     (unsigned long long)r->rbx);
	if (m->cfg.faults.flapping_target) {
		/* Every other answer is a random size up to the maximum. */
		if (m->gets++ & 1) {
			m->target = vmwm_rand(m) % (m->max_frames + 1);
			m->faults++;
		} else {
			update_target(m);
		}
	}
	if (above_ram(m))
		m->faults++;
	return VMW_OK;
}

/* §2: LOCK / UNLOCK of one 4 KiB page whose PFN is in RBX. */
static uint32_t do_single(struct vmw_model *m, struct vmw_regs *r, bool lock)
{
	const char *name = lock ? "LOCK" : "UNLOCK";

	/* §16.5: Linux passes RSI = 1, OVT 0; both are fine. */
	if (r->rsi > 1)
		vmwm_finding(m, "%s with RSI = %#llx (0 or 1 expected)", name,
			     (unsigned long long)r->rsi);
	if (!(m->granted & VMW_CAP_64_BIT_TARGET) && r->rbx > U32_ALL) {
		vmwm_finding(m, "%s PFN %#llx does not fit 32 bits", name,
			     (unsigned long long)r->rbx);
		return VMW_ERROR_PPN_INVALID;
	}
	return lock ? vmwm_lock(m, r->rbx, 0, name)
		    : vmwm_unlock(m, r->rbx, 0, name);
}

static uint32_t cap_needed(unsigned cmd)
{
	switch (cmd) {
	case VMW_CMD_LOCK:
	case VMW_CMD_UNLOCK:
		return VMW_CAP_BASIC;
	case VMW_CMD_BATCHED_LOCK:
	case VMW_CMD_BATCHED_UNLOCK:
		return VMW_CAP_BATCHED;
	case VMW_CMD_BATCHED_2M_LOCK:
	case VMW_CMD_BATCHED_2M_UNLOCK:
		return VMW_CAP_BATCHED_2M;
	case VMW_CMD_VMCI_DOORBELL_SET:
		return VMW_CAP_SIGNALLED_WAKEUP;
	default:
		return 0;
	}
}

/* Is this call's answer RESET? reset_on narrows it to chosen commands. */
static bool reset_due(struct vmw_model *m, unsigned cmd)
{
	const struct vmw_faults *f = &m->cfg.faults;
	uint64_t n = m->eligible_calls;

	if (f->reset_on) {
		if (!(f->reset_on & (1u << cmd)))
			return false;
		n = ++m->reset_on_calls;
		if (!f->reset_every && !f->reset_percent)
			return true;
	}
	return (f->reset_every && n % f->reset_every == 0) ||
	       vmwm_percent(m, f->reset_percent);
}

/* Call-level faults: RESET forgets the balloon, BUSY changes nothing. */
static uint32_t inject(struct vmw_model *m, unsigned cmd)
{
	const struct vmw_faults *f = &m->cfg.faults;

	m->eligible_calls++;
	if (reset_due(m, cmd)) {
		m->faults++;
		vmwm_set_clear(m);
		m->started = false;
		return VMW_ERROR_RESET;
	}
	if (vmwm_percent(m, f->busy_percent)) {
		m->faults++;
		return VMW_ERROR_BUSY;
	}
	return VMW_OK;
}

static uint32_t dispatch(struct vmw_model *m, struct vmw_regs *r, unsigned cmd)
{
	uint32_t need, status;

	/* §16.7: a soft rule, but the only reasonable answer. */
	if (cmd == 5 || cmd >= VMW_CMD_NR) {
		vmwm_finding(m, "unknown command %u", cmd);
		return VMW_ERROR_CMD_INVALID;
	}
	if (cmd == VMW_CMD_START)
		return do_start(m, r);
	/* §2: Linux tears its doorbell down with (~0, ~0), even first. */
	if (cmd == VMW_CMD_VMCI_DOORBELL_SET && r->rbx == VMCI_INVALID_ID &&
	    r->rsi == VMCI_INVALID_ID)
		return VMW_OK;
	if (!m->started) {
		/* §16.6: after RESET only START helps; say RESET again. */
		vmwm_finding(m, "%s before START (at boot or after RESET)",
			     vmwm_cmd_name(cmd));
		return VMW_ERROR_RESET;
	}
	need = cap_needed(cmd);
	if (need && !(m->granted & need)) {
		vmwm_finding(m,
			     "%s without its capability %#x granted "
			     "(granted %#x)",
			     vmwm_cmd_name(cmd), need, m->granted);
		return VMW_ERROR_CMD_INVALID;
	}
	status = inject(m, cmd);
	if (status != VMW_OK)
		return status;
	switch (cmd) {
	case VMW_CMD_GET_TARGET:
		return do_get_target(m, r);
	case VMW_CMD_LOCK:
	case VMW_CMD_UNLOCK:
		return do_single(m, r, cmd == VMW_CMD_LOCK);
	case VMW_CMD_GUEST_ID:
	case VMW_CMD_VMCI_DOORBELL_SET:
		/* Status only; no VMCI here, so a doorbell is never rung. */
		return VMW_OK;
	default:
		return vmwm_batch(m, r, cmd);
	}
}

static bool returns_target(unsigned cmd)
{
	return cmd == VMW_CMD_GET_TARGET || cmd == VMW_CMD_LOCK ||
	       cmd == VMW_CMD_UNLOCK ||
	       (cmd >= VMW_CMD_BATCHED_LOCK &&
		cmd <= VMW_CMD_BATCHED_2M_UNLOCK);
}

/*
 * The discard_every fault: look at one remembered frame per call (each
 * look is a memory read through the gdbstub); once the guest has written
 * to it, zero it. A frame locked again is forgotten: it is the host's.
 */
static void discard_stale(struct vmw_model *m)
{
	static const uint8_t zero[4096];
	uint64_t pfn, word = 0;
	unsigned i;

	if (!m->nr_stale || !m->mem.read || !m->mem.write)
		return;
	i = m->stale_next++ % m->nr_stale;
	pfn = m->stale[i];
	if (!vmw_model_is_locked(m, pfn) &&
	    m->mem.read(m->mem.ctx, pfn << 12, &word, sizeof(word)) == 0 &&
	    word == 0)
		return; /* not reused yet: look again later */
	if (!vmw_model_is_locked(m, pfn) &&
	    m->mem.write(m->mem.ctx, pfn << 12, zero, sizeof(zero)) == 0)
		m->faults++;
	m->stale[i] = m->stale[--m->nr_stale];
}

void vmw_model_call(struct vmw_model *m, struct vmw_regs *r)
{
	unsigned cmd = (unsigned)(r->rcx & 0xffff); /* §1: CX only */
	uint32_t status;

	if ((uint32_t)r->rax != VMW_BALLOON_MAGIC) {
		vmwm_finding(m, "call with EAX %#x instead of the magic %#x",
			     (uint32_t)r->rax, VMW_BALLOON_MAGIC);
		r->rax = U32_ALL; /* as if nobody listened on the port */
		return;
	}
	if ((uint16_t)r->rdx != VMW_BALLOON_PORT)
		vmwm_finding(m, "balloon call through port %#x",
			     (unsigned)(uint16_t)r->rdx);
	if (cmd < VMW_CMD_NR)
		m->calls[cmd]++;
	discard_stale(m);
	status = dispatch(m, r, cmd);
	r->rax = status; /* `inl` writes EAX; RAX's top half becomes 0 */
	/* §8, §16.2: the target after every successful (un)lock too. */
	if (status == VMW_OK && returns_target(cmd))
		r->rbx = (m->granted & VMW_CAP_64_BIT_TARGET) ||
					 m->target <= U32_ALL
				 ? m->target
				 : U32_ALL;
}

void vmw_model_set_faults(struct vmw_model *m, const struct vmw_faults *f)
{
	m->cfg.faults = *f;
	m->rng = f->seed; /* the same faults again from here */
	vmw_model_set_target(m, m->wish);
}

void vmw_model_get_faults(const struct vmw_model *m, struct vmw_faults *f)
{
	*f = m->cfg.faults;
}

void vmw_model_set_target(struct vmw_model *m, uint64_t frames)
{
	m->wish = frames;
	update_target(m);
}

uint64_t vmw_model_target(const struct vmw_model *m)
{
	return m->target;
}

uint64_t vmw_model_max_frames(const struct vmw_model *m)
{
	return m->max_frames;
}

uint64_t vmw_model_locked_frames(const struct vmw_model *m)
{
	return m->locked;
}

uint32_t vmw_model_granted_caps(const struct vmw_model *m)
{
	return m->granted;
}

bool vmw_model_started(const struct vmw_model *m)
{
	return m->started;
}

uint64_t vmw_model_calls(const struct vmw_model *m, enum vmw_cmd cmd)
{
	return (unsigned)cmd < VMW_CMD_NR ? m->calls[cmd] : 0;
}

uint64_t vmw_model_faults_injected(const struct vmw_model *m)
{
	return m->faults;
}

const char *vmw_model_cmd_name(unsigned cmd)
{
	return vmwm_cmd_name(cmd);
}

unsigned vmw_model_nr_findings(const struct vmw_model *m)
{
	return m->nr_findings;
}

const char *vmw_model_finding(const struct vmw_model *m, unsigned i)
{
	return i < m->nr_findings ? m->findings[i] : NULL;
}
