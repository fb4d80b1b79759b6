/*
 * vmw_model_batch.c - the model's locked frames and the batch page.
 *
 * The set of locked frames is two bitmaps sized from guest RAM (one bit
 * per 4 KiB frame, one per 2 MiB frame) plus a count of 4 KiB locks inside
 * each 2 MiB frame, so every question - locked? overlapping? - is O(1) and
 * an 8 GiB guest costs about 300 KiB. Batched commands (§5) read exactly
 * RSI entries, answer in bits 4..0 of each and touch nothing else.
 */
#include <stdlib.h>
#include <string.h>

#include "host/vmw/vmw_model_int.h"

#define FRAMES(order) (1ull << (order))

static bool bit(const uint64_t *map, uint64_t i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

static void set_bit(uint64_t *map, uint64_t i, bool on)
{
	if (on)
		map[i / 64] |= 1ull << (i % 64);
	else
		map[i / 64] &= ~(1ull << (i % 64));
}

int vmwm_set_init(struct vmw_model *m)
{
	uint64_t words4k = (m->pfn_end + 63) / 64;

	m->nr_2m = (m->pfn_end + FRAMES(VMWM_2M_SHIFT) - 1) >> VMWM_2M_SHIFT;
	m->map4k = calloc(words4k ? words4k : 1, sizeof(uint64_t));
	m->map2m = calloc((m->nr_2m + 63) / 64 + 1, sizeof(uint64_t));
	m->small_in_2m = calloc(m->nr_2m + 1, sizeof(uint16_t));
	if (m->map4k && m->map2m && m->small_in_2m)
		return 0;
	vmwm_set_free(m);
	return -1;
}

void vmwm_set_free(struct vmw_model *m)
{
	free(m->map4k);
	free(m->map2m);
	free(m->small_in_2m);
	m->map4k = m->map2m = NULL;
	m->small_in_2m = NULL;
}

void vmwm_set_clear(struct vmw_model *m)
{
	/* Every set bit is counted in m->locked: empty means all zero. */
	if (!m->locked)
		return;
	memset(m->map4k, 0, (m->pfn_end + 63) / 64 * sizeof(uint64_t));
	memset(m->map2m, 0, ((m->nr_2m + 63) / 64 + 1) * sizeof(uint64_t));
	memset(m->small_in_2m, 0, (m->nr_2m + 1) * sizeof(uint16_t));
	m->locked = 0;
}

/* Flip one page's state with no checks: the common end of lock/unlock. */
static void set_page(struct vmw_model *m, uint64_t pfn, unsigned order, bool on)
{
	if (order) {
		set_bit(m->map2m, pfn >> VMWM_2M_SHIFT, on);
	} else {
		set_bit(m->map4k, pfn, on);
		m->small_in_2m[pfn >> VMWM_2M_SHIFT] += on ? 1 : -1;
	}
	if (on)
		m->locked += FRAMES(order);
	else
		m->locked -= FRAMES(order);
}

bool vmw_model_is_locked(const struct vmw_model *m, uint64_t pfn)
{
	return pfn < m->pfn_end &&
	       (bit(m->map4k, pfn) || bit(m->map2m, pfn >> VMWM_2M_SHIFT));
}

/* Any frame of this page already locked, at either size? */
static bool overlaps_locked(const struct vmw_model *m, uint64_t pfn,
			    unsigned order)
{
	uint64_t big = pfn >> VMWM_2M_SHIFT;

	if (bit(m->map2m, big))
		return true;
	return order ? m->small_in_2m[big] != 0 : bit(m->map4k, pfn);
}

/* The guest-side checks both directions share; 0 if the page is sane. */
static uint32_t check_page(struct vmw_model *m, uint64_t pfn, unsigned order,
			   const char *cmd)
{
	if (pfn >= m->pfn_end || FRAMES(order) > m->pfn_end - pfn) {
		vmwm_finding(m,
			     "%s: PFN %#llx is outside guest RAM "
			     "(%llu frames)",
			     cmd, (unsigned long long)pfn,
			     (unsigned long long)m->pfn_end);
		return VMW_ERROR_PPN_INVALID;
	}
	if (pfn & (FRAMES(order) - 1)) {
		vmwm_finding(m, "%s: PFN %#llx is not 2 MiB aligned (§5)", cmd,
			     (unsigned long long)pfn);
		return VMW_ERROR_PPN_INVALID;
	}
	return VMW_OK;
}

uint32_t vmwm_lock(struct vmw_model *m, uint64_t pfn, unsigned order,
		   const char *cmd)
{
	const struct vmw_faults *f = &m->cfg.faults;
	uint32_t status = check_page(m, pfn, order, cmd);

	if (status)
		return status;
	if (overlaps_locked(m, pfn, order)) {
		/* 3 by its name (§4); a correct guest never sees it. */
		vmwm_finding(m, "%s: PFN %#llx locked twice", cmd,
			     (unsigned long long)pfn);
		return VMW_ERROR_PPN_LOCKED;
	}
	m->lock_tries++;
	if (f->pinned_every && m->lock_tries % f->pinned_every == 0) {
		m->faults++;
		return VMW_ERROR_PPN_PINNED;
	}
	if (vmwm_percent(m, f->notneeded_percent)) {
		m->faults++;
		return VMW_ERROR_PPN_NOTNEEDED;
	}
	/*
	 * §6: a page is taken while the balloon is below the target, so a
	 * 2 MiB page may end up to 511 frames over it, and a 4 KiB page never.
	 */
	if (m->locked >= m->target)
		return VMW_ERROR_PPN_NOTNEEDED;
	set_page(m, pfn, order, true);
	return VMW_OK;
}

uint32_t vmwm_unlock(struct vmw_model *m, uint64_t pfn, unsigned order,
		     const char *cmd)
{
	uint32_t status = check_page(m, pfn, order, cmd);
	bool locked;

	if (status)
		return status;
	locked = order ? bit(m->map2m, pfn >> VMWM_2M_SHIFT)
		       : bit(m->map4k, pfn);
	if (!locked) {
		vmwm_finding(
			m, "%s: PFN %#llx was never locked%s", cmd,
			(unsigned long long)pfn,
			!order && bit(m->map2m, pfn >> VMWM_2M_SHIFT)
				? " alone (it is inside a locked 2 MiB page)"
			: order && m->small_in_2m[pfn >> VMWM_2M_SHIFT]
				? " as a 2 MiB page"
				: "");
		return VMW_ERROR_PPN_UNLOCKED;
	}
	set_page(m, pfn, order, false);
	/* discard_every: remember the frame to wrongly zero it later. */
	for (uint64_t i = 0; i < (1ull << order); i++) {
		unsigned cap = sizeof(m->stale) / sizeof(m->stale[0]);

		if (!m->cfg.faults.discard_every ||
		    ++m->unlocked % m->cfg.faults.discard_every)
			continue;
		if (m->nr_stale < cap)
			m->stale[m->nr_stale++] = pfn + i;
		else /* full: the newest replaces one in turn */
			m->stale[m->unlocked / m->cfg.faults.discard_every %
				 cap] = pfn + i;
	}
	return VMW_OK;
}

/*
 * Cmds 6-9. A non-zero call status promises that no page changed state
 * (§5, §9), so a failure to write the answers back undoes the batch.
 */
uint32_t vmwm_batch(struct vmw_model *m, struct vmw_regs *r, unsigned cmd)
{
	bool lock =
		cmd == VMW_CMD_BATCHED_LOCK || cmd == VMW_CMD_BATCHED_2M_LOCK;
	unsigned order = cmd >= VMW_CMD_BATCHED_2M_LOCK ? VMWM_2M_SHIFT : 0;
	const char *name = vmwm_cmd_name(cmd);
	uint64_t n = r->rsi, page = r->rbx, gpa, i;

	if (n == 0 || n > VMW_BATCH_MAX) {
		vmwm_finding(m, "%s with %llu entries (1..%u allowed)", name,
			     (unsigned long long)n, VMW_BATCH_MAX);
		return VMW_ERROR_CMD_INVALID;
	}
	if (page >= m->pfn_end) {
		vmwm_finding(m, "%s: batch page PFN %#llx is outside guest RAM",
			     name, (unsigned long long)page);
		return VMW_ERROR_PPN_INVALID;
	}
	if (vmw_model_is_locked(m, page))
		vmwm_finding(m, "%s: the batch page %#llx is itself ballooned",
			     name, (unsigned long long)page);
	gpa = page << 12;
	if (!m->mem.read ||
	    m->mem.read(m->mem.ctx, gpa, m->entries, n * sizeof(uint64_t))) {
		vmwm_finding(m, "%s: cannot read the batch page at %#llx", name,
			     (unsigned long long)gpa);
		return VMW_ERROR_PPN_INVALID;
	}
	for (i = 0; i < n; i++) {
		uint64_t e = m->entries[i];
		uint32_t st;

		if (e & VMW_BATCH_RSVD_MASK) {
			vmwm_finding(m,
				     "%s entry %llu: reserved bits 11..5 "
				     "set (%#llx)",
				     name, (unsigned long long)i,
				     (unsigned long long)e);
			st = VMW_ERROR_PPN_INVALID;
		} else if (lock) {
			st = vmwm_lock(m, e >> 12, order, name);
		} else {
			st = vmwm_unlock(m, e >> 12, order, name);
		}
		m->applied[i] = st == VMW_OK;
		/* §16.3: bits 4..0 are ours, the rest goes back as it came. */
		m->entries[i] = (e & ~VMW_BATCH_STATUS_MASK) | st;
	}
	if (!m->mem.write ||
	    m->mem.write(m->mem.ctx, gpa, m->entries, n * sizeof(uint64_t))) {
		for (i = 0; i < n; i++)
			if (m->applied[i])
				set_page(m, m->entries[i] >> 12, order, !lock);
		vmwm_finding(m,
			     "%s: cannot write the batch page at %#llx; "
			     "batch undone",
			     name, (unsigned long long)gpa);
		return VMW_ERROR_PPN_INVALID;
	}
	return VMW_OK;
}
