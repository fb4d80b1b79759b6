/*
 * vmw_model_int.h - the inside of the VMware balloon host model, shared by
 * vmw_model.c (commands, targets, faults, findings) and vmw_model_batch.c
 * (the set of locked frames and the batch page). Users see vmw_model.h.
 */
#ifndef PINPRICK_VMW_MODEL_INT_H
#define PINPRICK_VMW_MODEL_INT_H

#include "host/vmw/vmw_model.h"

#define VMWM_2M_SHIFT 9

struct vmw_model {
	struct vmw_model_config cfg;
	struct vmw_mem_ops mem;
	uint64_t pfn_end;    /* PFNs at or above are outside guest RAM */
	uint64_t max_frames; /* the host's ceiling for the balloon */
	uint64_t wish;	     /* vmw_model_set_target() */
	uint64_t target;     /* what the next GET_TARGET answers */

	uint32_t granted; /* capabilities since the last START */
	bool started;	  /* START seen, no RESET since */

	/* Locked frames: one bit per 4 KiB frame and per 2 MiB frame. */
	uint64_t *map4k, *map2m;
	uint16_t *small_in_2m; /* 4 KiB frames locked inside each 2 MiB */
	uint64_t nr_2m;	       /* 2 MiB frames covered */
	uint64_t locked;       /* in 4 KiB frames */

	uint64_t calls[VMW_CMD_NR];
	uint64_t eligible_calls; /* calls a RESET/BUSY may be injected into */
	uint64_t reset_on_calls; /* of those, calls of a reset_on command */
	uint64_t lock_tries;	 /* frames offered, for pinned_every */
	uint64_t gets;		 /* GET_TARGETs, for the flapping target */
	uint64_t faults;
	uint64_t rng;
	uint64_t unlocked;   /* frames unlocked, for discard_every */
	uint64_t stale[64];  /* unlocked frames the host will still zero */
	unsigned nr_stale, stale_next;

	unsigned nr_findings;
	uint64_t findings_lost;
	char findings[VMW_MAX_FINDINGS][VMW_FINDING_LEN];

	uint64_t entries[VMW_BATCH_MAX]; /* the batch page, as read */
	uint8_t applied[VMW_BATCH_MAX];	 /* entry changed state (undo) */
};

/* Record one finding (printf-style); the last slot counts the overflow. */
void vmwm_finding(struct vmw_model *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Deterministic from the seed: the same faults on every rerun. */
uint64_t vmwm_rand(struct vmw_model *m);
bool vmwm_percent(struct vmw_model *m, uint32_t percent);

/* Locked-set primitives (vmw_model_batch.c); order 0 or 9. */
int vmwm_set_init(struct vmw_model *m);
void vmwm_set_free(struct vmw_model *m);
void vmwm_set_clear(struct vmw_model *m);

/*
 * Lock or unlock one page for command cmd (for the findings' wording);
 * returns the page's status. Checks the guest's side: PFN in RAM,
 * alignment, locked twice, never locked; applies faults and the target.
 */
uint32_t vmwm_lock(struct vmw_model *m, uint64_t pfn, unsigned order,
		   const char *cmd);
uint32_t vmwm_unlock(struct vmw_model *m, uint64_t pfn, unsigned order,
		     const char *cmd);

/* Batched (UN)LOCK (cmds 6-9): returns the call status. */
uint32_t vmwm_batch(struct vmw_model *m, struct vmw_regs *r, unsigned cmd);

const char *vmwm_cmd_name(unsigned cmd);

#endif
